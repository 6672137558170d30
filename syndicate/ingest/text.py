"""Page text: paragraphs from an element, with page furniture and boilerplate left out."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

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
    "td",
    "th",
    "dl",
}
_NOISE_TAGS = (
    "script",
    "style",
    "noscript",
    "iframe",
    "form",
    "button",
    "nav",
    "footer",
    "aside",
    "select",
    "input",
    "template",
    "svg",
    "object",
    "embed",
)
_NOISE_NAMES = re.compile(
    r"sns|share|scrap|social|related|recommend|popular|banner|weather|footer|copyright|kogl|nuri|print|"
    r"font-?scale|comment|pager|prev|next|btn|tag|breadcrumb|location|satisfaction|survey|ad-|advert",
    re.I,
)
_BOILERPLATE = re.compile(
    r"공공누리|저작물은.*조건에 따라|무단\s*전재|재배포\s*금지|저작권자|copyright|all rights reserved|ⓒ|©|"
    r"^\s*(첨부파일|목록|이전글|다음글|인쇄|공유하기|스크랩|좋아요)\s*$|"
    r"^\s*[\w.+-]+@[\w-]+(\.[\w-]+)+\s*$",  # a reporter's e-mail address on its own line
    re.I,
)
_LABEL = re.compile(
    r"^\s*[-•·]?\s*(등록일|조회수?|작성자|날짜|담당부서|작성일|조회|번호|첨부파일|문의|연락처|수정일)\s*[:：]?\s*\S{0,25}\s*$"
    r"|^\s*[-•·]?\s*[\d.,:\-\s]+\s*$"
)
_SPACES = re.compile(r"[ \t\u00a0\u3000\r\n\f\v]+")


def drop_noise(root: HtmlElement) -> HtmlElement:
    """Remove scripts, forms, share buttons, widgets, related teasers and footers from a copy of the body."""
    for el in list(root.iter(*_NOISE_TAGS)):
        el.drop_tree()
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el is root:
            continue
        names = f"{el.get('class', '')} {el.get('id', '')}"
        if names.strip() and _NOISE_NAMES.search(names) and el.getparent() is not None:
            el.drop_tree()
    return root


def text_blocks(root: HtmlElement) -> list[str]:
    """The text of each block element in order; every <br> ends a block too."""
    parts: list[str] = []
    buffer: list[str] = []

    def flush() -> None:
        line = _SPACES.sub(" ", "".join(buffer)).strip()
        if line:
            parts.append(line)
        buffer.clear()

    def walk(el: HtmlElement) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if not tag:  # comments and processing instructions carry no text of the page
            return
        block = tag in BLOCKS
        if block or tag == "br":
            flush()
        if tag != "br" and el.text:
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


def is_boilerplate(line: str) -> bool:
    return bool(_BOILERPLATE.search(line))


def is_label(line: str) -> bool:
    return bool(_LABEL.match(line))


def main_element(root: HtmlElement) -> HtmlElement | None:
    """The element holding the article text, readability-style: every run of text of 25+ characters scores
    its parent (and half for the grandparent) by length and commas; the best, discounted by its share of
    link text, wins. None when the page has no run of prose at all."""
    scores: dict[HtmlElement, float] = {}
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in _NOISE_TAGS or el.tag in ("a", "head", "title"):
            continue
        own = _SPACES.sub(" ", " ".join([el.text or ""] + [c.tail or "" for c in el])).strip()
        if len(own) < 25:
            continue
        points = 1 + own.count(",") + own.count("，") + min(len(own) / 100, 3)
        holder = el if el.tag in ("td", "div", "article", "section") and len(el) == 0 else el.getparent()
        for depth, target in enumerate((holder, holder.getparent() if holder is not None else None)):
            if target is not None:
                scores[target] = scores.get(target, 0.0) + points / (1 + depth)
    if not scores:
        return None
    return max(scores, key=lambda el: scores[el] * (1 - _link_density(el)))


def _link_density(el: HtmlElement) -> float:
    text = len(el.text_content()) or 1
    links = sum(len(a.text_content()) for a in el.iter("a"))
    return min(1.0, links / text)
