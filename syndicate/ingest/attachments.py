"""What a page carries besides its text: attached files (hwp, pdf, images, with their names) and licence
marks (KOGL 공공누리 images and notices, Creative Commons links) for the credit stage to interpret."""

from __future__ import annotations

import mimetypes
import re
from urllib.parse import unquote, urljoin, urlsplit

from lxml.html import HtmlElement

from syndicate.model import Attachment

EXTENSIONS = (
    "hwp",
    "hwpx",
    "pdf",
    "doc",
    "docx",
    "xls",
    "xlsx",
    "ppt",
    "pptx",
    "zip",
    "jpg",
    "jpeg",
    "png",
    "gif",
    "txt",
    "odt",
)
_WHOLE = re.compile(r"^([^<>|*?\"\n/\\]{1,200}\.(?:" + "|".join(EXTENSIONS) + r"))$", re.I)
_SIZE_NOTE = re.compile(r"\s*(?:[(\[][^()\[\]]*(?:kb|mb|gb|byte|bytes|down|size|hit)[^()\[\]]*[)\]]\s*)+$", re.I)
_PRINT = re.compile(r"screen_print|/print\b|print\.(?:jpg|pdf)", re.I)
_ONCLICK_URL = re.compile(r"""(?:location\.href\s*=\s*|\w+\(\s*)['"]([^'"]+)['"](?:\s*,\s*['"]([^'"]*)['"])?""")
_VERBS = ("다운로드", "바로보기", "바로듣기", "미리보기", "내려받기", "download", "보기", "preview", "인쇄", "print")
_DOWNLOAD = re.compile(r"down(load)?|file_?down|attach|fileDown|\.do\?.*file", re.I)
_TYPES = {"hwp": "application/x-hwp", "hwpx": "application/hwp+zip"}
LICENCE_WORDS = ("공공누리", "KOGL", "kogl.or.kr", "출처표시", "상업적", "변경금지", "creativecommons.org")


def find_attachments(region: HtmlElement, base_url: str | None) -> list[Attachment]:
    """Links in ``region`` that are files: an attachment extension in the URL, or a file name in the link, its
    data attributes or its list item. Named as the page shows the file. A download button that carries only
    a file name (the site builds the request in script) is kept with the page's URL, where the file is."""
    found: dict[str, Attachment] = {}
    for el in region.iter("a", "button"):
        url = _url_of(el)
        name = _name_of(el, url)
        if name is None:
            continue
        if url is None:
            if not _data_name(el) or not base_url:
                continue
            url = base_url
        elif _PRINT.search(url):
            continue  # "save this page as PDF/JPG" links are not attachments
        absolute = urljoin(base_url, url) if base_url else url
        key = name.lower()
        # The same file is often linked twice (download and preview): keep the link that downloads.
        if key not in found or (_DOWNLOAD.search(absolute) and not _DOWNLOAD.search(found[key].url)):
            found[key] = Attachment(url=absolute, name=name, type=file_type(name))
    seen: set[str] = set()
    out = []
    for item in found.values():
        if item.url not in seen or item.url == base_url:
            seen.add(item.url)
            out.append(item)
    return out


def _name_of(el: HtmlElement, url: str | None) -> str | None:
    own = " ".join(el.text_content().split())
    path_name = _whole_name(unquote(urlsplit(url).path).rsplit("/", 1)[-1]) if url else None
    name = _whole_name(own) or _whole_name(_data_name(el)) or _whole_name(_onclick_name(el))
    if name:
        return name
    if path_name and _meaningful(own):
        return f"{own}.{path_name.rsplit('.', 1)[-1]}"
    if url and (path_name or _DOWNLOAD.search(url)):
        return _context_name(el) or path_name
    return None


def _whole_name(text: str | None) -> str | None:
    """``text`` when all of it is a file name (a size note such as "(87 kb)" or "[jpg,11 MB]" may follow)."""
    if not text:
        return None
    text = _SIZE_NOTE.sub("", " ".join(text.split())).strip()
    found = _WHOLE.match(text)
    return found.group(1).strip() if found else None


def _context_name(el: HtmlElement) -> str | None:
    """The file name printed next to a download button, in the same list item or table row."""
    for parent in el.iterancestors("li", "tr", "dd"):
        for child in parent.iter():
            if child is not el and isinstance(child.tag, str):
                name = _whole_name(child.text_content())
                if name:
                    return name
        return None
    return None


def _data_name(el: HtmlElement) -> str:
    for attr in ("data-file-nm", "data-file-name", "data-filename", "data-name", "download"):
        if el.get(attr):
            return str(el.get(attr))
    return ""


def _meaningful(text: str) -> bool:
    return 1 < len(text) <= 150 and not any(verb in text.lower() for verb in _VERBS)


def file_type(name: str) -> str | None:
    ext = name.rsplit(".", 1)[-1].lower()
    return _TYPES.get(ext) or mimetypes.guess_type(f"x.{ext}")[0]


def licence_hint(root: HtmlElement) -> str | None:
    """The text, alt, title or href of every element that mentions a licence mark, joined by " | "."""
    marks: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style", "head", "meta"):
            continue
        for value in (el.get("alt"), el.get("title"), el.get("href"), _own_text(el)):
            if value and any(word.lower() in value.lower() for word in LICENCE_WORDS):
                text = " ".join(value.split())
                if text not in marks:
                    marks.append(text)
    return " | ".join(marks) or None


def _url_of(el: HtmlElement) -> str | None:
    href = (el.get("href") or "").strip()
    if href and not href.lower().startswith(("javascript:", "#", "mailto:")):
        return href
    found = _ONCLICK_URL.search(el.get("onclick") or "") or _ONCLICK_URL.search(href)
    if found and "/" in found.group(1):
        return found.group(1)
    return None


def _onclick_name(el: HtmlElement) -> str:
    found = _ONCLICK_URL.search(el.get("onclick") or "")
    return (found.group(2) or "") if found else ""


def _own_text(el: HtmlElement) -> str:
    """Text directly in ``el`` (not its children), so a notice is reported once, not by every ancestor."""
    parts = [el.text or ""] + [child.tail or "" for child in el]
    return " ".join(p.strip() for p in parts if p and p.strip())
