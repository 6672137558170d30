"""Plain-text paragraphs from HTML or text, and HTML from paragraphs."""

from __future__ import annotations

import html as html_lib
import re
import unicodedata

import lxml.html

BLOCKS = {
    "p",
    "div",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "tr",
    "dd",
    "dt",
    "figcaption",
    "caption",
    "table",
    "ul",
    "ol",
    "section",
    "article",
}
_SPACES = re.compile(r"[ \t\u00a0\u3000\r\f\v]+")
# Control characters and bidi overrides change how text is shown without being visible: never keep them.
_INVISIBLE = re.compile("[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b\u202a-\u202e\u2066-\u2069\ufeff]")


def clean_line(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    return _SPACES.sub(" ", text).strip()


def paragraphs_from_text(text: str) -> list[str]:
    """Split plain text into paragraphs at blank lines; single newlines inside a paragraph become spaces
    unless the text has no blank lines at all, in which case every line is a paragraph."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    chunks = re.split(r"\n\s*\n", text) if re.search(r"\n\s*\n", text) else text.split("\n")
    out = [clean_line(chunk.replace("\n", " ")) for chunk in chunks]
    return [p for p in out if p]


def paragraphs_from_html(html: str) -> list[str]:
    """The text of each block element, in order; <br> runs split paragraphs too."""
    if not html.strip():
        return []
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
        return paragraphs_from_text(html)
    parts: list[str] = []
    buffer: list[str] = []

    def flush() -> None:
        line = clean_line("".join(buffer))
        if line:
            parts.append(line)
        buffer.clear()

    def walk(el: lxml.html.HtmlElement) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        block = tag in BLOCKS
        if block:
            flush()
        if tag == "br":
            flush()
        elif el.text:
            buffer.append(el.text)
        for child in el:
            walk(child)
            if child.tail:
                buffer.append(child.tail)
        if block:
            flush()

    walk(root)
    flush()
    return parts


def html_from_paragraphs(paragraphs: list[str]) -> str:
    return "".join(f"<p>{html_lib.escape(p, quote=False)}</p>" for p in paragraphs)


def looks_like_html(text: str) -> bool:
    return bool(re.search(r"<(p|br|div|span|a|img|ul|ol|li|h[1-6]|table|strong|em|b|i)\b[^>]*>", text, re.I))
