"""Page and board extraction details: attachments with their names, licence marks, board list pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from syndicate.errors import ParseError, UnsafeInput
from syndicate.ingest import parse_document, sniff
from syndicate.ingest.board import board_links
from syndicate.ingest.dateline import split_dateline
from syndicate.ingest.feed import safe_xml
from syndicate.ingest.page import extract_page
from syndicate.registry import get_registry

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"


def _text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_damyang_attachments_keep_their_korean_names() -> None:
    source = get_registry().sources["damyang-press"]
    page = "https://www.damyang.go.kr/board/view?boardId=BBS_0000007&dataSid=1"
    raw = extract_page(_text("page_damyang_no_doctype_hwp.html"), page, source)
    names = [a.name for a in raw.attachments]
    assert names == [
        "(12.11)담양군누리집,과학기술정보통신부‘웹접근성품질인증마크’인증.hwp",
        "정보통신접근성품질인증-담양군청.png",
    ]
    assert raw.attachments[0].type == "application/x-hwp"
    assert raw.attachments[1].type == "image/png"


def test_shinan_attachment_url_is_absolute_and_named() -> None:
    source = get_registry().sources["shinan-press"]
    url = "https://www.shinan.go.kr/home/www/openinfo/participation_07/participation_07_03/show/138492"
    raw = extract_page(_text("page_shinan_table_layout.html"), url, source)
    assert [a.name for a in raw.attachments] == ["보도자료(신안군 의료요양돌봄 통합지원회의 개최).hwp"]
    assert raw.attachments[0].url.startswith("https://www.shinan.go.kr/file/wsboard/data/www_bodo/1765529050.hwp/")
    assert raw.published == "2025-12-12 17:44:00"


def test_licence_hint_collects_every_mark() -> None:
    raw = extract_page(_text("page_seoul_wordpress_kogl4.html"))
    assert raw.licence_hint is not None
    parts = raw.licence_hint.split(" | ")
    assert any("kogl.or.kr/info/licenseType4.do" in p for p in parts)
    assert any("변경금지" in p for p in parts)
    assert extract_page(_text("page_yonhap_dateline_reporter.html")).licence_hint is None


@pytest.mark.parametrize(
    ("fixture", "source_id", "base", "count", "first"),
    [
        (
            "board_gangjin_list.html",
            "gangjin-press",
            "https://www.gangjin.go.kr/www/government/news/press",
            15,
            "https://www.gangjin.go.kr/www/government/news/press?idx=647621&mode=view",
        ),
        (
            "board_wando_list_noisy.html",
            "wando-press",
            "http://www.wando.go.kr/wando/sub.cs?m=299",
            8,
            "http://www.wando.go.kr/wando/sub.cs?m=1023&nttId=10010536&pBoardId=BBSMSTR_000000000036",
        ),
    ],
)
def test_board_list_pages_give_their_posts(fixture: str, source_id: str, base: str, count: int, first: str) -> None:
    selectors = get_registry().sources[source_id].selectors
    links = board_links(_text(fixture), base, selectors)
    assert len(links) == count and links[0] == first
    assert len(set(links)) == len(links)


def test_board_without_selectors_finds_view_links() -> None:
    links = board_links(_text("board_korea_kr_list.html"), "https://www.korea.kr/briefing/pressReleaseList.do")
    assert links[0].startswith("https://www.korea.kr/briefing/pressReleaseView.do?newsId=156738805")
    assert all("korea.kr" in link for link in links)


@pytest.mark.parametrize(
    ("text", "outlet", "rest"),
    [
        ("(포탈뉴스통신) 인천광역시는 25일", "포탈뉴스통신", "인천광역시는 25일"),
        ("(서울=연합뉴스) 홍길동 기자 = 서울시는", "연합뉴스", "서울시는"),
        ("【광주=뉴시스】 김철수 기자 = 광주시는", "뉴시스", "광주시는"),
        ("(사진) 서울시는", None, "(사진) 서울시는"),
        ("담양군(군수 정철원)은", None, "담양군(군수 정철원)은"),
    ],
)
def test_outlet_datelines(text: str, outlet: str | None, rest: str) -> None:
    assert split_dateline(text) == (outlet, rest)


def test_hostile_xml_is_refused_fast() -> None:
    import time

    bomb = (FIXTURES / "feed_entity_bomb.xml").read_bytes()
    started = time.monotonic()
    with pytest.raises(UnsafeInput):
        parse_document(bomb)
    assert time.monotonic() - started < 0.5
    with pytest.raises(UnsafeInput):
        safe_xml('<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://evil/x.dtd" [<!ELEMENT x ANY>]><x/>')


def test_sniffing_and_garbage() -> None:
    assert sniff(b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'></feed>") == "feed"
    assert sniff(b'{"version": "https://jsonfeed.org/version/1.1", "items": []}') == "jsonfeed"
    assert sniff(b"<!doctype html><html><body>x</body></html>", "text/html") == "page"
    with pytest.raises(ParseError):
        parse_document(b'{"not": "a feed"}')
    # A document cut off inside its only item: the fragment is not a release, and the source shows why.
    with pytest.raises(ParseError, match="no item is complete"):
        parse_document(b"<rss version='2.0'><channel><title>x</title><item><title>broken")
    with pytest.raises(ParseError):
        parse_document(b"<html><body><p>not a feed</p></body></html>", source=None)
    with pytest.raises(ParseError):
        parse_document(b"   ")


def test_jsonfeed_items_converge_on_raw_release() -> None:
    doc = parse_document((FIXTURES / "jsonfeed_escaped_uris.json").read_bytes())
    assert doc.kind == "jsonfeed" and len(doc.releases) == 30
    first = doc.releases[0]
    assert first.guid == first.url == "https://lukedorny.com/updates/new-font"
    assert (
        first.published
        == json.loads((FIXTURES / "jsonfeed_escaped_uris.json").read_text())["items"][0]["date_published"]
    )
