"""What a feed is made of, independent of its format: FeedMeta for the channel, FeedItem per release."""

from __future__ import annotations

from datetime import datetime
from html import escape

from pydantic import BaseModel, Field

from syndicate.model import Attachment, Credit, Licence


class FeedItem(BaseModel):
    guid: str
    link: str
    title: str
    summary: str | None = None
    content_html: str = ""
    language: str
    published_at: datetime
    updated_at: datetime
    credit: Credit
    #: where the agency published it (the credit links here)
    original_url: str | None = None
    categories: list[str] = Field(default_factory=list)
    attachments: list[Attachment] = Field(default_factory=list)
    #: "Machine translation from Korean; original: URL", or None for originals and reviewed translations
    label: str | None = None
    #: language → URL of the same release in other languages (hreflang alternates)
    alternates: dict[str, str] = Field(default_factory=dict)
    #: for bilingual feeds: the original beside the translation
    original: FeedItem | None = None


class FeedMeta(BaseModel):
    scope: str
    title: str
    description: str
    language: str
    self_url: str
    home_url: str
    updated_at: datetime
    hub: str | None = None


_KOGL_CONDITIONS = {
    "KOGL-1": ("attribution", "출처표시"),
    "KOGL-2": ("attribution, no commercial use", "출처표시+상업적 이용금지"),
    "KOGL-3": ("attribution, no derivatives", "출처표시+변경금지"),
    "KOGL-4": ("attribution, no commercial use, no derivatives", "출처표시+상업적 이용금지+변경금지"),
}


def licence_name(licence: Licence, language: str = "en") -> str:
    """A licence as readers know it: "KOGL Type 4 (attribution, no commercial use, no derivatives)",
    "공공누리 제4유형 (출처표시+상업적 이용금지+변경금지)", "CC BY-NC 4.0"."""
    korean = language.split("-")[0] == "ko"
    if licence.id in _KOGL_CONDITIONS:
        number = licence.id[-1]
        en, ko = _KOGL_CONDITIONS[licence.id]
        return f"공공누리 제{number}유형 ({ko})" if korean else f"KOGL Type {number} ({en})"
    if licence.id.startswith("CC-"):
        kind, _, version = licence.id[3:].rpartition("-")
        return f"CC {kind} {version}"
    if licence.id == "CC0-1.0":
        return "CC0 1.0"
    if licence.id == "public-domain":
        return "퍼블릭 도메인" if korean else "public domain"
    return "이용조건 미표시 (원문 그대로, 출처 표시)" if korean else "licence not stated (verbatim, with credit)"


def usage_terms(licence: Licence, language: str = "en") -> str:
    """What a reader or partner may do with the text (ninjs usageTerms), from the licence's permissions."""
    korean = language.split("-")[0] == "ko"
    name = licence_name(licence, language)
    if korean:
        terms = ["출처 표시"]
        terms += [] if licence.commercial else ["상업적 이용 금지"]
        terms += [] if licence.derivatives else ["변경 금지(번역·요약 불가, 원문 그대로만 게재)"]
        return f"{name}: " + ", ".join(terms)
    terms = ["credit the source"]
    terms += [] if licence.commercial else ["no commercial use"]
    terms += [] if licence.derivatives else ["no changes (no translation or summary; republish verbatim only)"]
    return f"{name}: " + "; ".join(terms)


def credit_fields(credit: Credit, original_url: str | None = None, language: str = "en") -> dict[str, str | None]:
    """The credit as every format needs it: who (author/by/dc:creator), their own name (source), department,
    via, the line as found, the licence (id, name, URL) and the original URL."""
    agency = credit.agency
    return {
        "agency_id": agency.id,
        "creator": agency.name.en if agency.name else (agency.found or "unknown agency"),
        "name_ko": agency.name.ko if agency.name else None,
        "name_en": agency.name.en if agency.name else None,
        "department": agency.department,
        "via": credit.via,
        "line": credit.line,
        "licence": credit.licence.id,
        "licence_name": licence_name(credit.licence, language),
        "licence_url": credit.licence.url,
        "usage_terms": usage_terms(credit.licence, language),
        "original_url": original_url,
        #: where the credit links: the original, else the agency's site
        "source_url": original_url or agency.homepage,
    }


def _who(credit: Credit, korean: bool) -> str:
    agency = credit.agency
    if agency.name is None:
        return agency.found or ("알 수 없음" if korean else "unknown agency")
    who = f"{agency.name.ko} ({agency.name.en})" if korean else f"{agency.name.en} ({agency.name.ko})"
    return f"{who}, {agency.department}" if agency.department else who


def credit_text(credit: Credit, original_url: str | None = None, language: str = "en") -> str:
    """The visible credit, in every feed and payload:
    "Source: Incheon Metropolitan City (인천광역시) · via 포탈뉴스통신 · Original: URL · Licence: KOGL Type 1 (…)";
    in Korean: "출처: 인천광역시 (Incheon Metropolitan City) · 경유: … · 원문: URL · 이용조건: 공공누리 제1유형 (…)".
    Every target language gets the English form."""
    korean = language.split("-")[0] == "ko"
    parts = [f"출처: {_who(credit, True)}" if korean else f"Source: {_who(credit, False)}"]
    if credit.via:
        parts.append(f"경유: {credit.via}" if korean else f"via {credit.via}")
    if original_url:
        parts.append(f"원문: {original_url}" if korean else f"Original: {original_url}")
    name = licence_name(credit.licence, language)
    parts.append(f"이용조건: {name}" if korean else f"Licence: {name}")
    return " · ".join(parts)


def credit_html(credit: Credit, original_url: str | None = None, language: str = "en") -> str:
    """``credit_text`` as a paragraph, with the original and the licence as links."""
    text = escape(credit_text(credit, original_url, language))
    if original_url:
        text = text.replace(escape(original_url), f'<a href="{escape(original_url)}">{escape(original_url)}</a>', 1)
    if credit.licence.url:
        name = escape(licence_name(credit.licence, language))
        text = text.replace(name, f'<a rel="license" href="{escape(credit.licence.url)}">{name}</a>', 1)
    return f'<p class="credit" lang="{escape(language)}">{text}</p>'
