"""Hostile and broken input: each case ends in a clear error (its code) or a cleaned release, quickly, and
nothing unsafe reaches a stored release or a feed.

Every case is one row: the bytes a source could send and what must come of them. Cases that yield releases go
on through the real pipeline (normalize, credit, gate, publish) and the published RSS is checked too.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pytest
from lxml import etree

from syndicate import pipeline, syndication
from syndicate.errors import SyndicateError
from syndicate.ingest import parse_document
from syndicate.model import Release

#: What must never reach a release or a feed (checked on the XML-decoded text, as a reader would see it). A
#: dangerous scheme counts where a URL starts (an http URL whose path merely contains "javascript:" is inert).
UNSAFE = re.compile(
    r"<\s*(script|style|iframe|object|embed|form|input|meta|base|link|svg|math)\b|\son\w+\s*="
    r"|(?:^|[\s\"'=(])(?:javascript|vbscript|data):"
    r"|[\u202a-\u202e\u2066-\u2069\u0000-\u0008\u000b\u000c\u000e-\u001f]",
    re.I,
)


@dataclass
class Case:
    name: str
    body: bytes
    content_type: str = "application/rss+xml"
    error: str | None = None  # expected error code, or None for "cleaned releases"
    min_items: int = 1


def rss(item: str, channel: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<link>https://example.go.kr/</link><description>d</description>{channel}"
        f"<item>{item}</item></channel></rss>"
    ).encode()


def item(title: str = "제목", description: str = "본문", extra: str = "") -> str:
    return (
        f"<title>{title}</title><link>https://example.go.kr/a/1</link><guid>g1</guid>"
        f"<description>{description}</description>{extra}"
    )


def esc(html: str) -> str:
    return html.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def page(body: str, head: str = "") -> bytes:
    return (
        f'<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>보도자료</title>{head}</head>'
        f'<body><article><h1>인천시 보도자료 제목</h1><div class="content">{body}</div></article></body>'
        "</html>"
    ).encode()


BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(8))
    + b']><rss version="2.0"><channel><title>&i;</title><item><title>&i;</title></item></channel></rss>'
)

CASES = [
    # --- hostile XML --------------------------------------------------------------------------------------
    Case("billion-laughs", BOMB, error="unsafe_input"),
    Case(
        "external-entity",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<rss version="2.0"><channel><item><title>&x;</title></item></channel></rss>',
        error="unsafe_input",
    ),
    Case(
        "external-parameter-entity",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM '
        b'"http://169.254.169.254/latest/">%p;]><rss version="2.0"><channel/></rss>',
        error="unsafe_input",
    ),
    Case(
        "quadratic-blowup",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "' + b"x" * 50_000 + b'">]>'
        b'<rss version="2.0"><channel><item><title>' + b"&a;" * 2000 + b"</title></item></channel></rss>",
        error="unsafe_input",
    ),
    Case(
        "xinclude",
        rss(
            item(extra='<x:include xmlns:x="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/>')
        ),
    ),
    Case(
        "xslt-stylesheet-pi",
        b'<?xml version="1.0"?><?xml-stylesheet type="text/xsl" href="file:///x"?>' + rss(item()).split(b"?>", 1)[1],
    ),
    # --- broken XML and encodings -------------------------------------------------------------------------
    Case("truncated-mid-item", rss(item())[:-40], error="parse"),
    Case("truncated-after-an-item", rss(item()).replace(b"</channel></rss>", b"<item><title>\xec\x9e\x98")),
    Case("empty", b"", error="parse"),
    Case("whitespace-only", b" \n\t ", error="parse"),
    Case("binary-garbage", bytes(range(256)) * 20, content_type="application/octet-stream", error="parse"),
    Case("json-not-a-feed", b'{"hello": "world"}', content_type="application/json", error="parse"),
    Case("wrong-charset-declared", rss(item("인천광역시 발표")).replace(b"utf-8", b"iso-8859-1")),
    Case(
        "euc-kr-undeclared", rss(item("인천광역시 발표")).replace(b' encoding="utf-8"', b"").decode().encode("euc-kr")
    ),
    Case(
        "utf16-bom",
        "\ufeff".encode("utf-16-le") + rss(item("인천")).decode().replace("utf-8", "utf-16").encode("utf-16-le"),
    ),
    Case("invalid-utf8-bytes", rss(item("인천")).replace("인천".encode(), b"\xec\x9d\xb8\xff\xfe")),
    # --- dates --------------------------------------------------------------------------------------------
    Case("invalid-date", rss(item(extra="<pubDate>2025-13-45 99:99</pubDate>"))),
    Case("absurd-future-date", rss(item(extra="<pubDate>Fri, 31 Dec 9999 23:59:59 GMT</pubDate>"))),
    Case("absurd-past-date", rss(item(extra="<pubDate>Mon, 01 Jan 1900 00:00:00 GMT</pubDate>"))),
    Case("zero-date", rss(item(extra="<pubDate>0000-00-00 00:00:00</pubDate>"))),
    Case("words-as-date", rss(item(extra="<pubDate>어제 오후</pubDate>"))),
    # --- sizes --------------------------------------------------------------------------------------------
    Case("enormous-title", rss(item(title="가" * 300_000))),
    Case("enormous-body", rss(item(description=esc("<p>" + "나" * 500_000 + "</p>")))),
    Case(
        "many-items",
        rss("</item><item>".join(item(f"제목 {i}").replace("g1", f"g{i}") for i in range(3000))),
        min_items=3000,
    ),
    Case(
        "deep-nesting", page("<div>" * 5000 + "깊은 본문 문단입니다." * 10 + "</div>" * 5000), content_type="text/html"
    ),
    # --- invisible and control characters -----------------------------------------------------------------
    Case("bidi-override", rss(item("\u202e인천시\u202c 발표 \u2066x\u2069", "문단 \u202e뒤집기"))),
    Case(
        "control-chars",
        rss(item("제목\u0007\u0008", "본문\u001b[31m 빨강")).replace(b"\x07", b"").replace(b"\x08", b""),
    ),
    Case(
        "null-bytes-in-page",
        page("본문\u0000 문단입니다. 충분히 긴 문단입니다.").replace(b"\\u0000", b"\x00"),
        content_type="text/html",
    ),
    Case("zero-width", rss(item("인\u200b천\ufeff시"))),
    # --- injection ----------------------------------------------------------------------------------------
    Case("script-tag", rss(item(description=esc("<p>본문</p><script>alert(1)</script>")))),
    Case("script-in-title", rss(item(title=esc("<script>alert(1)</script>제목")))),
    Case("event-handler", rss(item(description=esc('<p>본문<img src="https://x/a.png" onerror="alert(1)"></p>')))),
    Case("javascript-href", rss(item(description=esc('<a href="javascript:alert(1)">링크</a> 본문')))),
    Case(
        "javascript-obfuscated",
        rss(item(description=esc('<a href="jav&#x09;ascript:alert(1)">x</a><a href="JaVaScRiPt:alert(2)">y</a> 본문'))),
    ),
    Case("vbscript-href", rss(item(description=esc('<a href="vbscript:msgbox(1)">x</a> 본문')))),
    Case("data-url-img", rss(item(description=esc('<img src="data:text/html;base64,PHNjcmlwdD4=">본문')))),
    Case("style-tag-and-attr", rss(item(description=esc('<style>body{}</style><p style="x:expression(1)">본문</p>')))),
    Case("iframe", rss(item(description=esc('<iframe src="https://evil/"></iframe><p>본문</p>')))),
    Case("svg-with-script", rss(item(description=esc("<svg><script>alert(1)</script><circle/></svg><p>본문</p>")))),
    Case("object-embed", rss(item(description=esc('<object data="x.swf"></object><embed src="x.swf"><p>본문</p>')))),
    Case("form-input", rss(item(description=esc('<form action="https://evil"><input name="pw"></form><p>본문</p>')))),
    Case(
        "meta-refresh",
        rss(item(description=esc('<meta http-equiv="refresh" content="0;url=https://evil"><p>본문</p>'))),
    ),
    Case("base-href", rss(item(description=esc('<base href="https://evil/"><p><a href="/x">본문</a></p>')))),
    Case(
        "conditional-comment",
        rss(item(description=esc("<!--[if IE]><script>alert(1)</script><![endif]--><p>본문</p>"))),
    ),
    Case("cdata-script", rss(item(description="<![CDATA[<p>본문</p><script>alert(1)</script>]]>"))),
    Case("javascript-link-element", rss(item(extra="")).replace(b"https://example.go.kr/a/1", b"javascript:alert(1)")),
    Case(
        "page-with-scripts",
        page(
            '<p onclick="x()">본문 문단입니다. 충분히 긴 문단입니다.</p><script>alert(1)</script>',
            head='<script src="https://evil/x.js"></script>',
        ),
        content_type="text/html",
    ),
    Case(
        "jsonfeed-script",
        b'{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[{"id":"1",'
        b'"url":"javascript:alert(1)","title":"<b>x</b>","content_html":"<p>ok</p><script>alert(1)</script>"}]}',
        content_type="application/feed+json",
    ),
    Case(
        "atom-xml-base-javascript",
        b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"'
        b' xml:base="javascript:alert(1)//"><title>t</title><id>x</id><updated>2025-09-18T00:00:00Z</updated>'
        b'<entry><title>x</title><id>e1</id><updated>2025-09-18T00:00:00Z</updated><link href="/a"/>'
        b'<content type="html">&lt;a href="/b"&gt;b&lt;/a&gt; ok</content></entry></feed>',
        content_type="application/atom+xml",
    ),
]


def _texts(release: Release) -> list[str]:
    return [
        release.title,
        release.subtitle or "",
        release.body_html,
        *release.paragraphs,
        release.original_url or "",
        *(a.url for a in release.attachments),
    ]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input(case: Case, database: str) -> None:
    started = time.monotonic()
    try:
        doc = parse_document(case.body, url="https://example.go.kr/feed", content_type=case.content_type)
        releases = pipeline.preview(doc.releases)
        outcome = None
    except SyndicateError as exc:
        outcome, releases = exc.code, []
    elapsed = time.monotonic() - started
    assert elapsed < 10, f"{case.name} took {elapsed:.1f} s"
    assert outcome == case.error, f"{case.name}: expected {case.error}, got {outcome}"
    if case.error:
        return
    assert len(releases) >= case.min_items, f"{case.name}: {len(releases)} releases"
    for release in releases:
        for text in _texts(release):
            assert not UNSAFE.search(text), (case.name, UNSAFE.search(text), text[:200])
        assert "\ufffd" not in release.title, (case.name, release.title)
        assert len(release.title) <= 1000
        if release.published_at is not None:
            assert 1990 <= release.published_at.year <= 2100
    _publish_and_check_feed(case, doc.releases[:3])


def _publish_and_check_feed(case: Case, raws: list) -> None:
    for raw in raws:
        release_id, _, _ = pipeline.submit(agency_id="incheon", raw=raw)
        for step in pipeline.STEPS:
            pipeline.run_step(step, release_id, 1)
    body = syndication.get_document("ko", "rss.xml").body
    root = etree.fromstring(body)
    for node in root.iter():
        for text in (node.text or "", *node.attrib.values()):
            assert not UNSAFE.search(text), (case.name, node.tag, text[:200])


def test_there_are_at_least_forty_cases() -> None:
    assert len(CASES) >= 40
