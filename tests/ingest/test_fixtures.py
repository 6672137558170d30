"""Every fixture in tests/fixtures/ingest gives exactly its expected JSON through `syndicate extract`'s path,
and nothing unsafe or garbled reaches the output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ingest.cases import cases, expected_path, run

CASES = cases()
MOJIBAKE = ("\ufffd", "Ã", "ì", "ë", "í", "Â")


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_fixture_gives_expected_json(path: Path) -> None:
    expected = json.loads(expected_path(path).read_text(encoding="utf-8"))
    assert run(path) == expected


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_no_mojibake_no_active_content(path: Path) -> None:
    out = run(path)
    if isinstance(out, dict) and "error" in out:
        return
    for release in out if isinstance(out, list) else [out]:
        text = json.dumps([release["title"], release["subtitle"], release["paragraphs"]], ensure_ascii=False)
        assert not any(mark in text for mark in MOJIBAKE), text[:200]
        html = release["body_html"].lower()
        for bad in ("<script", "javascript:", "onerror", "onclick", "<iframe", "<style"):
            assert bad not in html, (bad, html[:300])


#: sha256 prefixes of the shared corpus files (../shared/corpus/README.md) our copies must match byte for byte.
CORPUS_SHA256 = {
    "page_seoul_wordpress_kogl4.html": "3f6707df0285e3b7",
    "page_gangjin_board_detail.html": "85ed1c658393d423",
    "page_damyang_no_doctype_hwp.html": "946599202af2405e",
    "page_shinan_table_layout.html": "9d4b0885824257ff",
    "feed_euckr_undeclared.xml": "5fd085d61c543713",
    "feed_nasa_rss2_zone_names.xml": "ae377a3536afaa84",
    "feed_nws_atom_blank_line_before_prolog.xml": "909eee2d49036a7d",
    "jsonfeed_escaped_uris.json": "3174c6018f1ce357",
    "board_korea_kr_list.html": "28737e1f64b0c3f7",
    "board_gangjin_list.html": "b12999057455e828",
    "board_wando_list_noisy.html": "b5dbc1728f895ae4",
}


def test_every_case_has_an_expected_file_and_the_corpus_copies_are_byte_identical() -> None:
    from hashlib import sha256

    for path in CASES:
        assert expected_path(path).is_file(), path
    fixtures = CASES[0].parent
    for name, prefix in CORPUS_SHA256.items():
        assert sha256((fixtures / name).read_bytes()).hexdigest().startswith(prefix), name


def test_page_content_in_detail() -> None:
    """What the issue asks of a page, checked by hand on the real Gangjin and Damyang pages."""
    fixtures = CASES[0].parent
    gangjin = run(fixtures / "page_gangjin_board_detail.html")
    assert gangjin["title"] == "“새로 열린 기차 타고 강진 가자”"
    assert gangjin["subtitle"].startswith("남도해양관광열차 부산관광객 초청 팸투어 성료")
    assert gangjin["paragraphs"][0].startswith("강진군문화관광재단이 코레일과")
    assert gangjin["paragraphs"][-1].startswith("*사진설명")
    assert gangjin["published_at"] == "2025-12-10T00:00:00+09:00"
    assert gangjin["attachments"][0]["name"] == "2- 기차여행 재단.jpg"
    body = " ".join(gangjin["paragraphs"])
    for furniture in ("조회수", "목록", "공공누리", "다운로드", "등록된 글이 없습니다"):
        assert furniture not in body
    outlet = run(fixtures / "page_outlet_republished.html")
    assert outlet["credit"]["via"] == "포탈뉴스통신"
    assert outlet["paragraphs"][0] == "인천광역시는 25일 청년 일자리 계획을 발표했다."
    assert not any("무단전재" in p or "많이 본 기사" in p or "맑음" in p for p in outlet["paragraphs"])
    assert run(fixtures / "page_yonhap_dateline_reporter.html")["credit"]["via"] == "연합뉴스"
