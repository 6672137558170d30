"""Article pages → RawRelease: the release and nothing else.

With the source's CSS selectors (feeds/sources/*.toml) the title, body, date and attachments are read where
the site puts them; without, trafilatura finds the main text and the title and date come from headings,
metadata and labelled fields. Either way the text is cut into paragraphs, page furniture (share buttons,
widgets, related teasers, copyright notices) is dropped, a title repeated at the top of the body goes, short
lines under it become the subtitle, and an outlet's dateline becomes ``via``.
"""

from __future__ import annotations

import html as html_lib
import re
from urllib.parse import urljoin, urlsplit

import lxml.html
import trafilatura
from lxml.html import HtmlElement

from syndicate.errors import ParseError
from syndicate.ingest.attachments import find_attachments, licence_hint
from syndicate.ingest.dateline import split_dateline, strip_reporter
from syndicate.ingest.text import drop_noise, is_boilerplate, is_label, main_element, text_blocks
from syndicate.model import Attachment, RawRelease, Source

_DATE = re.compile(
    r"\d{4}\s*[.\-/년]\s*\d{1,2}\s*[.\-/월]\s*\d{1,2}\s*일?(?:\.?\s*(?:\([^)]{1,3}\)\s*)?(?:오전|오후|AM|PM)?\s*\d{1,2}\s*:\s*\d{2}(?:\s*:\s*\d{2})?)?"
)
_DATE_LABEL = re.compile(
    r"^\s*(등록일시?|작성일시?|게시일|날짜|일자|등록|작성|배포일시?|보도일시?|date|posted)\b", re.I
)
_HEADINGS = "h1, h2, h3, h4, .tit, .title, .subject, #dev-title"
_SUBTITLE_MARK = re.compile(r"^\s*(?:[-–—□■◇◆▲△○ㅇ※]\s*)+")


def load_html(text: str) -> HtmlElement:
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)  # lxml refuses str input that declares an encoding
    if not text.strip():
        raise ParseError("the page is empty")
    try:
        return lxml.html.document_fromstring(text)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise ParseError(f"could not read the page: {exc}") from exc


def site_url(root: HtmlElement) -> str | None:
    """The address the page gives for itself (canonical link, og:url), whatever it is."""
    for value in root.xpath("//link[@rel='canonical']/@href | //meta[@property='og:url']/@content"):
        if value.strip().startswith("http"):
            return str(value.strip())
    return None


def canonical_url(root: HtmlElement) -> str | None:
    """The page's own address, unless it only names the site (Gangjin's og:url is "…/www" on every page):
    a release must not claim the home page as its original."""
    url = site_url(root)
    if url is None:
        return None
    parts = urlsplit(url)
    if not parts.query and len([seg for seg in parts.path.split("/") if seg]) <= 1:
        return None
    return url


def extract_page(text: str, url: str | None = None, source: Source | None = None) -> RawRelease:
    root = load_html(text)
    url = url or canonical_url(root)
    # Links resolve against the page's address; failing that, against the site it names (right for the
    # absolute paths boards use for files and images).
    base = url or site_url(root)
    hint = licence_hint(root)
    selectors = source.selectors if source else None
    title_el = _select(root, selectors.title if selectors else None)
    body_el = _select(root, selectors.body if selectors else None)
    blocks, images = _body(root, body_el, text, base)
    title = " ".join(title_el.text_content().split()) if title_el is not None else _generic_title(root, blocks)
    if not title or not blocks:
        raise ParseError("no release found on the page (no title or no text)")
    subtitle, paragraphs = _lead(title, blocks)
    via, paragraphs = _dateline(paragraphs)
    region = _select(root, selectors.attachments if selectors else None)
    if region is None:
        region = _container(root, title_el, body_el)
    attachments = find_attachments(region, base)
    paragraphs = [p for p in paragraphs if not _names_a_file(p, attachments)]
    return RawRelease(
        source_id=source.id if source else None,
        url=url,
        title=title,
        subtitle=subtitle,
        body=_html(paragraphs, images),
        body_is_html=True,
        published=_date(root, selectors.date if selectors else None, region),
        language=(source.language if source else None) or _language(root),
        attachments=attachments,
        licence_hint=hint,
        via=via,
        timezone=source.timezone if source else "Asia/Seoul",
    )


def _select(root: HtmlElement, css: str | None) -> HtmlElement | None:
    if not css:
        return None
    found = root.cssselect(css)
    return found[0] if found else None


def _body(root: HtmlElement, body_el: HtmlElement | None, text: str, url: str | None) -> tuple[list[str], list[str]]:
    if body_el is None:
        body_el = main_element(drop_noise(_copy(root)))
    if body_el is not None and len(body_el.text_content().strip()) < 40:
        body_el = None  # too little to be the article: let trafilatura have a look
    if body_el is not None:
        body_el = drop_noise(_copy(body_el))
        images = _images(body_el, url)
        return [b for b in text_blocks(body_el) if not is_boilerplate(b)], images
    found = trafilatura.extract(
        text, url=url, output_format="html", include_tables=True, include_images=True, include_comments=False
    )
    if not found:
        return [], []
    main = lxml.html.fromstring(found)
    images = _images(main, url)
    return [b for b in text_blocks(main) if not is_boilerplate(b) and not is_label(b)], images


def _copy(el: HtmlElement) -> HtmlElement:
    return lxml.html.fromstring(lxml.html.tostring(el, encoding="unicode"))


def _images(root: HtmlElement, url: str | None) -> list[str]:
    """Photos of the release, not licence badges or icons."""
    out = []
    for img in root.iter("img"):
        src, marks = (img.get("src") or "").strip(), f"{img.get('src')} {img.get('alt')} {img.get('class')}"
        if src and not re.search(r"kogl|opentype|ccl|공공누리|icon|ico_|blank|spacer", marks, re.I):
            out.append(urljoin(url or "", src))
    return out


def _generic_title(root: HtmlElement, blocks: list[str]) -> str:
    for label in root.xpath("//th | //dt"):
        if " ".join(label.text_content().split()) in ("제목", "Title"):
            cell = label.getnext()
            if cell is not None and cell.text_content().strip():
                return " ".join(cell.text_content().split())
    headings = [" ".join(h.text_content().split()) for h in root.cssselect(_HEADINGS) if not _in_chrome(h)]
    headings = [h for h in headings if 4 <= len(h) <= 300]
    for block in blocks[:3]:
        for heading in headings:
            if _same(block, heading):
                return heading
    og = root.xpath("string(//meta[@property='og:title']/@content)").strip()
    if og and ">" not in og:
        return " ".join(og.split())
    if headings:
        return max(headings[:5], key=len)
    title = root.xpath("string(//title)")
    return re.split(r"\s+[<>|:\-]\s+", " ".join(title.split()))[0]


def _in_chrome(el: HtmlElement) -> bool:
    for parent in el.iterancestors():
        if parent.tag in ("nav", "header", "footer", "aside") or re.search(
            r"gnb|lnb|snb|menu|nav|footer|header|banner|quick",
            f"{parent.get('class', '')} {parent.get('id', '')}",
            re.I,
        ):
            return True
    return False


def _same(a: str, b: str) -> bool:
    norm = lambda s: re.sub(r"[\W_]+", "", s)  # noqa: E731 - quotes and spaces differ between copies
    return bool(norm(a)) and norm(a) == norm(b)


def _lead(title: str, blocks: list[str]) -> tuple[str | None, list[str]]:
    """Drop the title where the body repeats it; take the short lines under it as the subtitle."""
    at = next((i for i, block in enumerate(blocks[:3]) if _same(block, title)), None)
    repeated = at is not None
    if at is not None:
        blocks = blocks[at + 1 :]
    subtitle: list[str] = []
    while blocks and len(subtitle) < 3 and len(blocks) > 1:
        line = blocks[0]
        marked = bool(_SUBTITLE_MARK.match(line))
        short = len(line) <= 80 and not line.rstrip().endswith(("다.", ".", "다"))
        if not (short and (repeated or marked)):
            break
        subtitle.append(_SUBTITLE_MARK.sub("", line).strip(" -–—"))
        blocks = blocks[1:]
    return ("\n".join(subtitle) or None), blocks


def _names_a_file(line: str, attachments: list[Attachment]) -> bool:
    """A line of the body that only lists an attached file ("보도자료.hwp (Down : 1, Size : 689 KB)")."""
    return any(a.name and line.startswith(a.name) and len(line) - len(a.name) < 40 for a in attachments)


def _dateline(paragraphs: list[str]) -> tuple[str | None, list[str]]:
    if not paragraphs:
        return None, paragraphs
    outlet, rest = split_dateline(paragraphs[0])
    if outlet is None:
        return None, paragraphs
    if not rest and len(paragraphs) > 1:
        return outlet, [strip_reporter(paragraphs[1]), *paragraphs[2:]]
    return outlet, [rest, *paragraphs[1:]] if rest else paragraphs[1:]


def _container(root: HtmlElement, title_el: HtmlElement | None, body_el: HtmlElement | None) -> HtmlElement:
    """Where a release's attachments are: the smallest element holding both title and body, else the page
    without its header, navigation and footer."""
    if title_el is not None and body_el is not None:
        body_ancestors = {id(a) for a in body_el.iterancestors()}
        for parent in title_el.iterancestors():
            if id(parent) in body_ancestors:
                return parent
    page = _copy(root)
    for el in page.xpath("//nav | //header | //footer | //*[@id='header' or @id='footer' or @id='gnb']"):
        el.drop_tree()
    return page


def _date(root: HtmlElement, css: str | None, region: HtmlElement) -> str | None:
    if css:
        found = _select(root, css)
        if found is not None:
            match = _DATE.search(found.text_content())
            return match.group(0).strip() if match else " ".join(found.text_content().split()) or None
    meta = root.xpath(
        "string(//meta[@property='article:published_time' or @name='article:published_time' "
        "or @itemprop='datePublished' or @name='date' or @name='DC.date.issued']/@content)"
    ).strip()
    if meta:
        return meta
    for el in region.iter("dt", "th", "b", "strong", "span", "label", "li", "em"):
        label = el.text or ""
        if _DATE_LABEL.match(label):
            holder = el.getnext() if el.getnext() is not None else el
            match = _DATE.search(holder.text_content()) or _DATE.search(el.text_content())
            if match:
                return match.group(0).strip()
    match = _DATE.search(region.text_content())
    return match.group(0).strip() if match else None


def _language(root: HtmlElement) -> str | None:
    lang = root.get("lang") or root.xpath("string(//meta[@http-equiv='content-language']/@content)")
    return lang.split("-")[0].lower() if lang else None


def _html(paragraphs: list[str], images: list[str]) -> str:
    parts = [f"<p>{html_lib.escape(p, quote=False)}</p>" for p in paragraphs]
    parts += [f'<figure><img src="{html_lib.escape(src)}"></figure>' for src in images if src]
    return "".join(parts)
