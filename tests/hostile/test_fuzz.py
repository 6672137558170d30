"""Hypothesis fuzzing of the input side: feed parsing, page extraction and sanitizing never raise anything but
our own errors, never hang, and never let markup through that a reader would run."""

from __future__ import annotations

import re

import lxml.html
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syndicate.errors import SyndicateError
from syndicate.ingest import parse_document
from syndicate.model import RawRelease
from syndicate.normalize import normalize
from syndicate.normalize.sanitize import sanitize_html

FORBIDDEN = {"script", "style", "iframe", "object", "embed", "form", "svg", "math", "meta", "base", "link"}
BAD_SCHEME = re.compile(r"^\s*(javascript|vbscript|data):", re.I)


def unsafe(html: str) -> str | None:
    """What a browser would run in ``html``, judged on the parsed tree (escaped text is inert), or None."""
    if not html.strip():
        return None
    for root in lxml.html.fragments_fromstring(f"<div>{html}</div>"):
        if not isinstance(root, lxml.html.HtmlElement):
            continue
        for el in root.iter():
            if not isinstance(el.tag, str):
                continue
            if el.tag.lower() in FORBIDDEN:
                return f"<{el.tag}>"
            for name, value in el.attrib.items():
                if name.lower().startswith("on"):
                    return f"{name}="
                if name.lower() in ("href", "src") and BAD_SCHEME.match(re.sub(r"[\t\n\r]", "", value)):
                    return f"{name}={value}"
    return None


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)

TAGS = ["p", "a", "img", "script", "style", "iframe", "svg", "div", "span", "b", "table", "td", "form", "object"]
ATTRS = ["href", "src", "onerror", "onclick", "style", "title", "alt", "xmlns", "lang"]
VALUES = [
    "javascript:alert(1)",
    "jav\tascript:x",
    " JaVaScRiPt:x",
    "data:text/html,x",
    "https://a.kr/x",
    "/rel",
    "vbscript:x",
    "#",
    'x" onload="y',
    "&#106;avascript:x",
]


@st.composite
def html_fragments(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 12))):
        tag = draw(st.sampled_from(TAGS))
        attrs = " ".join(
            f'{draw(st.sampled_from(ATTRS))}="{draw(st.sampled_from(VALUES))}"' for _ in range(draw(st.integers(0, 3)))
        )
        text = draw(st.text(max_size=20))
        closing = draw(st.booleans())
        parts.append(f"<{tag} {attrs}>{text}" + (f"</{tag}>" if closing else ""))
    return "".join(parts)


@FUZZ
@given(html_fragments())
def test_sanitized_html_is_inert(fragment: str) -> None:
    cleaned = sanitize_html(fragment, "https://example.go.kr/a/")
    assert unsafe(cleaned) is None, cleaned


@FUZZ
@given(st.binary(max_size=4000), st.sampled_from(["application/rss+xml", "text/html", "application/json", ""]))
def test_any_bytes_give_releases_or_our_error(body: bytes, content_type: str) -> None:
    try:
        doc = parse_document(body, url="https://example.go.kr/feed", content_type=content_type)
    except SyndicateError:
        return
    for raw in doc.releases:
        assert isinstance(raw, RawRelease)


@st.composite
def feeds(draw: st.DrawFn) -> bytes:
    items = "".join(
        f"<item><title>{draw(st.text(max_size=30))}</title><description>{draw(html_fragments())}</description>"
        f"<link>{draw(st.sampled_from(VALUES))}</link><pubDate>{draw(st.text(max_size=25))}</pubDate></item>"
        for _ in range(draw(st.integers(0, 4)))
    )
    xml = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    return xml.encode("utf-8", "surrogatepass")


@FUZZ
@given(feeds())
def test_fuzzed_feeds_normalize_to_inert_releases(body: bytes) -> None:
    try:
        doc = parse_document(body, url="https://example.go.kr/feed")
    except SyndicateError:
        return
    for raw in doc.releases:
        release = normalize(raw)
        assert unsafe(release.body_html) is None, release.body_html
        assert release.original_url is None or not re.match(
            r"\s*(javascript|vbscript|data):", release.original_url, re.I
        )


@FUZZ
@given(html_fragments(), st.text(max_size=200))
def test_fuzzed_pages_extract_or_fail_cleanly(fragment: str, text: str) -> None:
    page = f"<html><head><title>{text[:50]}</title></head><body><h1>{text}</h1><div>{fragment}</div></body></html>"
    try:
        doc = parse_document(
            page.encode("utf-8", "surrogatepass"), url="https://example.go.kr/p", content_type="text/html"
        )
    except SyndicateError:
        return
    for raw in doc.releases:
        assert unsafe(normalize(raw).body_html) is None


def test_the_checker_sees_what_a_browser_would_run() -> None:
    assert unsafe('<a href="jav\tascript:x">x</a>') == "href=jav\tascript:x"
    assert unsafe('<p onclick="x()">x</p>') == "onclick="
    assert unsafe("<svg><circle/></svg>") == "<svg>"
    assert unsafe("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>") is None
