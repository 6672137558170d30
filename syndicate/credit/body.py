"""Taking credit lines out of a release's sanitized body HTML, as ``lines`` takes them out of its paragraphs.

Feeds publish ``body_html``; a credit line left there would be published twice (once as found, once as our
visible credit) and, worse, a contact block with a civil servant's phone number would travel to every partner.
"""

from __future__ import annotations

import re

import lxml.etree
import lxml.html

from syndicate.credit.lines import Found, label_value, split_paragraphs

_LEAF_BLOCKS = {"p", "div", "li", "dd", "dt", "figcaption", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "td"}


def _text(el: lxml.html.HtmlElement) -> str:
    return " ".join(el.text_content().split())


def _has_block_child(el: lxml.html.HtmlElement) -> bool:
    return any(isinstance(c.tag, str) and c.tag in _LEAF_BLOCKS for c in el.iterdescendants())


def _pattern(fragment: str) -> re.Pattern[str]:
    """The fragment with any run of whitespace (newlines and tabs of the markup included) where it has one."""
    return re.compile(r"[ \t]*" + r"\s+".join(re.escape(word) for word in fragment.split()) + r"[ \t]*")


def _cut(pattern: re.Pattern[str], value: str) -> str:
    """Remove matches; one keeps a space only where it joined two words."""
    return pattern.sub(lambda m: " " if 0 < m.start() and m.end() < len(value) else "", value)


def _strip_text_nodes(el: lxml.html.HtmlElement, found: list[Found]) -> None:
    """Remove each found fragment from the text node that holds it (fragments split by markup stay)."""
    patterns = [_pattern(item.text) for item in found]
    for node in el.iter():
        for attr in ("text", "tail"):
            value = getattr(node, attr)
            if not value:
                continue
            for pattern in patterns:
                value = _cut(pattern, value)
            setattr(node, attr, value)


def _br_lines(root: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """<br> elements whose tail is a line of its own: the text between it and the next <br> or the end."""
    out = []
    for br in root.iter("br"):
        after = br.getnext()
        if br.tail and br.tail.strip() and (after is None or after.tag == "br"):
            out.append(br)
    return out


def _strip_lines(root: lxml.html.HtmlElement) -> None:
    """Lines separated by <br> inside inline markup (Shinan's board puts a whole release in one <span>): each
    such line is checked as a paragraph of its own."""
    for br in _br_lines(root):
        value = br.tail or ""
        kept, here = split_paragraphs([value])
        if not here:
            continue
        if not kept:
            br.tail = "\n" if "\n" in value else ""
        else:
            for item in here:
                value = _cut(_pattern(item.text), value)
            br.tail = value


def strip_credit(body_html: str, found: list[Found]) -> str:
    """``body_html`` without the credit lines that were found in the paragraphs."""
    if not body_html.strip() or not found:
        return body_html
    try:
        root = lxml.html.fragment_fromstring(body_html, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
        return body_html
    leaves = [
        el
        for el in root.iter()
        if isinstance(el.tag, str) and el.tag in _LEAF_BLOCKS and not _has_block_child(el) and _text(el)
    ]
    texts = {item.text for item in found}
    for i, el in enumerate(leaves):
        if el.getparent() is None and el is not root:
            continue  # dropped with its label
        text = _text(el)
        following = leaves[i + 1] if i + 1 < len(leaves) else None
        joined = label_value([text, _text(following)]) if following is not None else [text, ""]
        if following is not None and len(joined) == 1 and joined[0] in texts:  # <dt>담당부서</dt><dd>행정과</dd>
            following.drop_tree()
            el.drop_tree()
            continue
        kept, here = split_paragraphs([text])
        if not here:
            continue
        if not kept and el is root:
            return ""
        if not kept:
            el.drop_tree()
        else:
            _strip_text_nodes(el, here)
    _strip_lines(root)
    inner = (root.text or "") + "".join(lxml.html.tostring(child, encoding="unicode") for child in root)
    return inner.strip()
