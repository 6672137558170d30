"""Credit lines and contact blocks: find them in a release's title and paragraphs, and take them out.

Korean releases name their issuer in many small ways; each pattern below is one of them, as seen in real pages:

    [뉴스출처 : 인천시]                 bracketed source line (news wires republishing a release)
    자료제공 : 대구광역시 일자리투자국  a whole paragraph naming who provided the material
    (사진=광주시 제공) (사진 제공-나주시)  photo credits, usually at the end of a caption paragraph
    출처: … / 제공: … / Source: …       whole-line source statements
    [외교부] 제목                       the ministry prefix of policy-portal titles
    담당부서 : … / 문의 : … / (업무담당자 행정과 홍길동 ☎061-…)   contact blocks
    본 저작물은 "공공누리" 제4유형 … 조건에 따라 이용할 수 있습니다.   the licence notice itself

Everything found is returned as ``Found`` values (kept for ``credit.line``, ``credit.contact`` and licence
detection); what is left of a paragraph stays, and a paragraph that was only credit is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

#: kinds, in the order a credit line is preferred for ``credit.line``
KINDS = ("source", "prefix", "photo", "contact", "notice")


@dataclass(frozen=True)
class Found:
    kind: str  # one of KINDS
    text: str  # exactly as it stood in the text
    name: str | None = None  # who it names (agency, maybe followed by a department), without phone numbers
    phone: str | None = None


_SEP = r"\s*[:：=]\s*"
_SOURCE_WORDS = r"(?:뉴스\s*출처|자료\s*출처|보도\s*자료\s*제공|자료\s*제공|출처|제공)"
# "[뉴스출처 : 인천시]", "【자료제공=서울시】"
_BRACKETED = re.compile(rf"[\[【［<〈]\s*{_SOURCE_WORDS}{_SEP}(?P<name>[^\]】］>〉\[]{{1,80}}?)\s*[\]】］>〉]")
# "(사진=광주시 제공)", "(사진 제공-나주시)", "(사진제공=OO)", "[사진=OO 제공]", "(자료=OO)"
_PHOTO = re.compile(
    r"[(（\[]\s*(?:사진|자료|그래픽|영상|이미지|사진\s*자료)\s*(?:제공)?\s*[=:：\-–/]\s*"
    r"(?P<name>(?:[^()（）\[\]]|[(（][^()（）]{1,20}[)）]){1,80}?)\s*(?:제공)?\s*[)）\]]"
)
_PHOTO_EN = re.compile(
    r"[(\[]\s*(?:photo|image|picture)s?\s*(?:courtesy\s+of|credit\s*:|by|:|=)\s*(?P<name>[^()\[\]]{1,80}?)\s*[)\]]",
    re.IGNORECASE,
)
# A whole paragraph that only says where the text came from.
_SOURCE_LINE = re.compile(rf"^[\[【(]?\s*{_SOURCE_WORDS}\s*[\]】)]?{_SEP}(?P<name>[^\[\]【】]{{1,100}})$")
_SOURCE_LINE_EN = re.compile(
    r"^(?:source|credit|courtesy(?:\s+of)?|provided\s+by|issued\s+by)\s*[:：]\s*(?P<name>.{1,120})$",
    re.IGNORECASE,
)
_CONTACT_WORDS = (
    r"(?:업무\s*담당자|담당\s*부서|담당자|보도\s*담당|홍보\s*담당|담당|문의\s*처|문의|연락처|전화|등록\s*부서|"
    r"media\s+contact|contact)"
)
# "담당부서 : 정책기획관 기획담당관", "[문의] 일자리정책과 053-803-1234", "※ 문의: …"
_CONTACT_LINE = re.compile(
    rf"^(?:[※*\-·•]\s*)?[\[【(]?\s*{_CONTACT_WORDS}\s*[\]】)]?\s*(?P<sep>[:：]?)\s*(?P<rest>.{{1,140}})$",
    re.IGNORECASE,
)
# "(업무담당자 행정과 박주홍 ☎061-380-3192)", "(문의: 행정과 061-123-4567)"
_CONTACT_PAREN = re.compile(
    rf"[(（]\s*{_CONTACT_WORDS}\s*[:：]?\s*(?P<rest>(?:[^()（）]|[(（][\d\-\s]{{4,14}}[)）]){{1,100}}?)\s*[)）]"
)
# Phone numbers: "☎061-380-3192", "02-2133-6630", "(240-8940)"; a year range such as "2025-2026" is not one.
_PHONE = re.compile(
    r"(?:☎|☏|tel\.?|전화)\s*[:：]?\s*\(?\d[\d)(\-.\s]{5,18}\d|\(?\b0\d{1,2}\)?[\-.\s]?\d{3,4}[\-.\s]\d{4}\b"
    r"|(?!\(?\s*(?:19|20)\d\d-(?:19|20)\d\d\b)(?:\(\s*\d{3,4}-\d{4}\s*\)|\b\d{3,4}-\d{4}\b)",
    re.IGNORECASE,
)
_NOTICE = re.compile(r"공공누리|KOGL|creative\s*commons|creativecommons\.org", re.IGNORECASE)
# A notice says the work may be used under conditions; a sentence that merely mentions 공공누리 is prose.
_NOTICE_TERMS = re.compile(
    r"이용\s*할\s*수\s*있습니다|licen[cs]ed\s+under|available\s+under\s+(?:a|the)\b", re.IGNORECASE
)
_TITLE_PREFIX = re.compile(r"^\s*[\[【［](?P<name>[^\]】］]{1,40})[\]】］]\s*")
_LEFTOVER = re.compile(r"^[\s.,·\-–—/|:;※*()\[\]]*$")


def title_prefix(title: str, is_agency: Callable[[str], bool]) -> tuple[str, Found | None]:
    """Take "[외교부]" off the front of a title when it names an agency; "[보도자료]" and the like stay."""
    match = _TITLE_PREFIX.match(title)
    if not match or not is_agency(match.group("name").strip()):
        return title, None
    rest = title[match.end() :].strip()
    if not rest:  # a title that is only a bracket keeps it: better a prefixed title than none
        return title, None
    return rest, Found("prefix", match.group(0).strip(), match.group("name").strip())


def split_phone(text: str) -> tuple[str, str | None]:
    """("행정과 박주홍 ☎061-380-3192") → ("행정과 박주홍", "☎061-380-3192")."""
    phones = [m.group(0).strip() for m in _PHONE.finditer(text)]
    if not phones:
        return _clean(text), None
    rest = _PHONE.sub(" ", text)
    rest = re.sub(r"[(（]\s*[)）]", " ", rest)
    return _clean(rest).strip(" ,/·-"), ", ".join(phones)


def _clean(text: str) -> str:
    return " ".join(text.split())


def _name(raw: str) -> tuple[str | None, str | None]:
    name, phone = split_phone(raw)
    name = re.sub(r"\s*제공$", "", name).strip(" .,:;")
    return (name or None), phone


def _whole_line(text: str) -> Found | None:
    """The paragraph is one credit line (source, contact or licence notice) and nothing else."""
    if len(text) <= 400 and _NOTICE.search(text) and _NOTICE_TERMS.search(text):
        return Found("notice", text)
    if len(text) > 160:
        return None
    for pattern in (_SOURCE_LINE, _SOURCE_LINE_EN):
        match = pattern.match(text)
        if match:
            name, phone = _name(match.group("name"))
            return Found("source", text, name, phone)
    match = _CONTACT_LINE.match(text)
    if match:
        rest = match.group("rest")
        name, phone = split_phone(rest)
        # "문의가 급증했다" is a sentence, not a contact block: require a separator or a phone number.
        if match.group("sep") or phone:
            return Found("contact", text, name.strip(" .,:;") or None, phone)
    return None


_INLINE = (
    ("source", _BRACKETED),
    ("photo", _PHOTO),
    ("photo", _PHOTO_EN),
    ("contact", _CONTACT_PAREN),
)


def _inline(text: str) -> tuple[str, list[Found]]:
    """Credit fragments inside a paragraph: take them out, return what is left."""
    found: list[Found] = []
    for kind, pattern in _INLINE:
        pieces: list[str] = []
        last = 0
        for match in pattern.finditer(text):
            groups = match.groupdict()
            name, phone = _name(groups.get("name") or groups.get("rest") or "")
            if kind == "contact" and not phone:
                continue  # "(담당 공무원이 설명했다)" is prose; a contact block has a number
            found.append(Found(kind, match.group(0), name, phone))
            pieces += [text[last : match.start()], " "]
            last = match.end()
        text = "".join(pieces) + text[last:]
    return _clean(text), found


_LABEL = re.compile(rf"^[\[【(]?\s*{_CONTACT_WORDS}\s*[\]】)]?\s*[:：]?$", re.IGNORECASE)


def label_value(paragraphs: list[str]) -> list[str]:
    """Join label/value layouts (<dt>담당부서</dt><dd>행정과</dd>, table cells) into "담당부서 : 행정과"."""
    out: list[str] = []
    i = 0
    while i < len(paragraphs):
        text = _clean(paragraphs[i])
        nxt = _clean(paragraphs[i + 1]) if i + 1 < len(paragraphs) else ""
        if _LABEL.match(text) and nxt and len(nxt) <= 60 and not _LABEL.match(nxt):
            out.append(f"{text.rstrip(':： ')} : {nxt}")
            i += 2
            continue
        out.append(paragraphs[i])
        i += 1
    return out


def split_paragraphs(paragraphs: list[str]) -> tuple[list[str], list[Found]]:
    """Paragraphs without credit lines, and the credit lines found (in order)."""
    kept: list[str] = []
    found: list[Found] = []
    for paragraph in label_value(paragraphs):
        rest, inline = _inline(_clean(paragraph))
        found.extend(inline)
        # What is left may itself be a whole credit line: "[뉴스출처 : 인천시] 담당: 홍보과 032-440-0000".
        whole = _whole_line(rest)
        if whole is not None:
            found.append(whole)
            continue
        if rest and not _LEFTOVER.match(rest):
            kept.append(rest if inline else paragraph)  # untouched paragraphs stay exactly as they were
    return kept, found


def is_credit_only(text: str) -> bool:
    """True when ``text`` is nothing but credit lines (used to drop blocks from body HTML)."""
    kept, found = split_paragraphs([text])
    return bool(found) and not kept
