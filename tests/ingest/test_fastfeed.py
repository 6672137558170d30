"""The fast feed path (fastfeed.py) reads what it accepts exactly as feedparser does, and declines the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.errors import SyndicateError
from syndicate.ingest.fastfeed import parse_fast
from syndicate.ingest.feed import parse_feed
from syndicate.model import Source

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"
FEEDS = sorted(FIXTURES.glob("feed_*.xml"))
SOURCE = Source(id="src", agency="naju", url="https://www.example.go.kr/rss.xml", language="ko")


def _both(body: bytes, source: Source | None = SOURCE, base: str = "https://www.example.go.kr/rss.xml") -> tuple:
    fast = parse_feed(body, base_url=base, source=source)
    slow = parse_feed(body, base_url=base, source=source, use_fast=False)
    return fast, slow


@pytest.mark.parametrize("path", FEEDS, ids=[p.stem for p in FEEDS])
@pytest.mark.parametrize("source", [SOURCE, None], ids=["source", "no-source"])
def test_fast_path_equals_feedparser_on_every_fixture(path: Path, source: Source | None) -> None:
    try:
        fast, slow = _both(path.read_bytes(), source)
    except SyndicateError as exc:  # hostile or unreadable: both paths refuse alike (checked before either runs)
        with pytest.raises(type(exc)):
            parse_feed(path.read_bytes(), source=source, use_fast=False)
        return
    assert fast.releases == slow.releases
    assert (fast.title, fast.ttl_minutes) == (slow.title, slow.ttl_minutes)


def test_fast_path_accepts_the_plain_feeds() -> None:
    """The fixtures that are plain RSS 2.0 / 0.91 / 1.0 go the fast way (so the test above compares something)."""
    accepted = set()
    for path in FEEDS:
        text = path.read_bytes()
        try:
            found = parse_fast(_prepared(text), base_url=None, source=SOURCE)
        except SyndicateError:
            continue
        if found is not None:
            accepted.add(path.stem)
    assert {"feed_bad_dates", "feed_rdf_rss10", "feed_rss091_external_doctype", "feed_wrong_charset_latin1"} <= accepted
    assert "feed_truncated" not in accepted  # not well-formed: feedparser's bozo handling decides


def _prepared(body: bytes) -> bytes:
    from syndicate.ingest.encoding import decode
    from syndicate.ingest.feed import safe_xml

    text = safe_xml(decode(body)[0])
    return text.split("?>", 1)[1].strip().encode() if text.lstrip().startswith("<?xml") else text.encode()


ITEM = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><link>https://a.kr/</link>'
    "<language>ko-KR</language>{item}</channel></rss>"
)


@pytest.mark.parametrize(
    "item",
    [
        '<item><title>A</title><link xml:base="https://b.kr/">https://a.kr/1</link><description>x</description>'
        "</item>",  # xml:base changes what feedparser resolves against
        "<item><title>A &amp; B</title><link>https://a.kr/1</link><description>x</description></item>",
        "<item><title>A</title><guid>https://a.kr/g</guid><description>x</description></item>",  # guid as link
        '<item><title xml:lang="en">A</title><link>https://a.kr/1</link><description>x</description></item>',
        "<item><title>A</title><link>/relative</link><description>x</description></item>",
        "<item><title>A</title><link>HTTP://A.KR/1</link><description>x</description></item>",
        "<item><title>A</title><link>https://a.kr/1</link><content:encoded xmlns:content="
        '"http://purl.org/rss/1.0/modules/content/">y</content:encoded></item>',
        "<item><title>A</title><link>https://a.kr/1</link><author>a@b.kr (A)</author></item>",
    ],
)
def test_fast_path_declines_what_feedparser_reads_differently_and_results_still_agree(item: str) -> None:
    body = ITEM.format(item=item).encode()
    assert parse_fast(body, base_url="https://a.kr/rss", source=SOURCE) is None
    fast, slow = _both(body)
    assert fast.releases == slow.releases


@pytest.mark.parametrize(
    "description",
    [
        '<![CDATA[<p>x <a href="/rel">r</a> R&D</p><br><img src="i.png">]]>',  # feedparser's HTML pass runs
        "&lt;p&gt;escaped &amp;amp; markup&lt;/p&gt;",
        "<![CDATA[<P>Upper</P><p>plain</p>]]>",
        "plain text, no markup",
        "<![CDATA[<p>a &lt; b &gt; c</p>]]>",
        "",
    ],
)
def test_bodies_come_out_as_feedparser_gives_them(description: str) -> None:
    item = f"<item><title>A</title><link>https://a.kr/1</link><description>{description}</description></item>"
    body = ITEM.format(item=item).encode()
    assert parse_fast(body, base_url="https://a.kr/rss", source=SOURCE) is not None
    fast, slow = _both(body, base="https://a.kr/rss")
    assert fast.releases == slow.releases


def test_empty_elements_read_as_feedparser_reads_them() -> None:
    item = "<item><title></title><link>https://a.kr/1</link><guid></guid><description>x</description><pubDate/></item>"
    body = ITEM.format(item=item).encode()
    assert parse_fast(body, base_url="https://a.kr/rss", source=SOURCE) is not None
    fast, slow = _both(body)
    assert fast.releases == slow.releases


def test_fast_path_reads_categories_enclosures_and_dates_as_feedparser() -> None:
    item = (
        '<item><title>제목</title><link>https://a.kr/1</link><guid isPermaLink="false">g-1</guid>'
        "<description><![CDATA[<p>본문 <b>굵게</b></p><p>둘째</p>]]></description>"
        "<pubDate> Thu, 18 Sep 2025 09:00:00 +0900 </pubDate><category>경제</category><category>경제</category>"
        '<category domain="x">복지</category><enclosure url="https://a.kr/f.hwp" length="10" type="application/x-hwp"/>'
        '<comments>https://a.kr/c</comments><dc:identifier xmlns:dc="http://purl.org/dc/elements/1.1/">X1</dc:identifier>'
        "</item>"
    )
    body = ITEM.format(item=item).encode()
    assert parse_fast(body, base_url="https://a.kr/rss", source=SOURCE) is not None
    fast, slow = _both(body)
    assert fast.releases == slow.releases
    assert fast.releases[0].categories == ["경제", "복지"]


def test_links_kept_as_they_are_are_what_urljoin_gives() -> None:
    # fastfeed returns a plain absolute link as it is instead of asking urljoin; urljoin must agree on every
    # such link (random ones over the characters urlsplit treats specially), and the others still go to it.
    import random
    from urllib.parse import urljoin

    from syndicate.ingest.fastfeed import _PLAIN_URL, _url

    rng = random.Random(3)
    alphabet = [*"abcAZ09.-_~/:?#;[]@!$'()*+,=% \t\r\n\x00\x7f가é", "//", "../", "./", "%2F", ":80", "\u3000"]
    plain = 0
    for _ in range(60000):
        value = rng.choice(["http://", "https://"]) + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        if _PLAIN_URL.fullmatch(value):
            plain += 1
            assert urljoin("https://www.example.go.kr/a/b.xml", value) == value
    assert plain > 1000
    assert _url("https://www.example.go.kr/a/../b?", "https://www.example.go.kr/") == "https://www.example.go.kr/a/../b"
    assert _url("http://www.example.go.kr/보도/1;", None) == "http://www.example.go.kr/보도/1"
    assert _url("https://www.example.go.kr/보도/1", None) == "https://www.example.go.kr/보도/1"
