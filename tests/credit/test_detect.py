"""Licence detection from page marks, and the order in which a release's licence is decided."""

from __future__ import annotations

import pytest

from syndicate.credit import apply_credit
from syndicate.credit.detect import detect_licence
from syndicate.model import Release, Source
from syndicate.registry import Registry, get_registry
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def registry() -> Registry:
    return get_registry(ROOT / "feeds")


@pytest.mark.parametrize(
    ("hint", "licence_id"),
    [
        # as the corpus pages state it
        ("제4유형 공공누리 유형안내 사이트로 이동(새창) //www.kogl.or.kr/info/licenseType4.do", "KOGL-4"),
        ("공공누리 마크 - 제1유형(출처표시)", "KOGL-1"),
        ("공공누리 제4유형 마크:출처표시+상업적이용금지+변경금지", "KOGL-4"),
        ('"출처표시" http://www.kogl.or.kr/open/info/license_info/by.do', "KOGL-1"),
        ("OPEN 공공누리 공공저작물 자유이용허락(출처표시, 상업용금지, 변경금지)", "KOGL-4"),
        # other ways pages say it
        ("img_opentype02.png 공공누리", "KOGL-2"),
        ("출처표시-변경금지", "KOGL-3"),
        ("http://www.kogl.or.kr/open/info/license_info/by-nc.do", "KOGL-2"),
        ("KOGL Type 3: Source Indication + Change Prohibition", "KOGL-3"),
        ("https://creativecommons.org/licenses/by-nc-nd/4.0/", "CC-BY-NC-ND-4.0"),
        ("http://creativecommons.org/licenses/by/2.0/", "CC-BY-2.0"),
        ("https://creativecommons.org/publicdomain/zero/1.0/", "CC0-1.0"),
        ("Licensed under CC BY-SA 4.0", "CC-BY-SA-4.0"),
    ],
)
def test_marks_give_the_licence(hint: str, licence_id: str) -> None:
    lic = detect_licence(hint)
    assert lic is not None and lic.id == licence_id and lic.origin == "page"


@pytest.mark.parametrize(
    "hint", [None, "", "본 저작물은 “공공누리”", "공공누리 공공저작물 자유이용허락", "type 2 diabetes"]
)
def test_marks_without_a_type_give_nothing(hint: str | None) -> None:
    assert detect_licence(hint) is None


def test_the_most_restrictive_mark_wins() -> None:
    lic = detect_licence("공공누리 마크 - 제1유형(출처표시) | 제4유형:출처표시+상업적 이용금지+변경금지")
    assert lic is not None and lic.id == "KOGL-4"


def test_a_notice_in_the_text_counts_when_the_hint_is_missing(registry: Registry) -> None:
    release = Release(
        title="t",
        paragraphs=[
            "본문.",
            '본 저작물은 "공공누리" 제4유형:출처표시+상업적 이용금지+변경금지 조건에 따라 이용 할 수 있습니다.',
        ],
    )
    out = apply_credit(release, registry, agency_id="incheon")
    assert out.paragraphs == ["본문."]
    assert (out.credit.licence.id, out.credit.licence.origin) == ("KOGL-4", "page")


def test_precedence_override_then_page_then_source_then_agency(registry: Registry) -> None:
    page = Release(title="t", paragraphs=["본문."], licence_hint="공공누리 제4유형")
    plain = Release(title="t", paragraphs=["본문."])
    source = Source(id="s", agency="incheon", url="https://example.org/", licence="KOGL-2")
    forced = source.model_copy(update={"licence_override": True, "licence_note": "agreed with the city"})

    lic = apply_credit(page, registry, source=source, licence_id="KOGL-1", licence_origin="override").credit.licence
    assert (lic.id, lic.origin) == ("KOGL-1", "override")
    lic = apply_credit(page, registry, source=forced).credit.licence
    assert (lic.id, lic.origin, lic.note) == ("KOGL-2", "override", "agreed with the city")
    lic = apply_credit(page, registry, source=source).credit.licence
    assert (lic.id, lic.origin) == ("KOGL-4", "page")
    lic = apply_credit(plain, registry, source=source).credit.licence
    assert (lic.id, lic.origin) == ("KOGL-2", "source")
    lic = apply_credit(plain, registry, agency_id="damyang").credit.licence
    assert (lic.id, lic.origin) == ("KOGL-4", "agency")
    lic = apply_credit(plain, registry).credit.licence
    assert (lic.id, lic.origin) == ("unknown", "default")
    assert not lic.derivatives and not lic.commercial


def test_outlet_sources_credit_the_agency_named_in_the_line(registry: Registry) -> None:
    release = Release(
        title="인천시, 일자리 박람회 개최",
        paragraphs=["[뉴스출처 : 인천시] 인천시는 25일 박람회를 연다고 밝혔다."],
        body_html="<p>[뉴스출처 : 인천시] 인천시는 25일 박람회를 연다고 밝혔다.</p>",
    )
    source = Source(id="portal", agency="portalnews", url="https://example.org/rss")
    out = apply_credit(release, registry, source=source)
    assert out.credit.agency.id == "incheon"
    assert out.credit.line == "[뉴스출처 : 인천시]"
    assert out.credit.via == "포탈뉴스통신"
    assert out.paragraphs == ["인천시는 25일 박람회를 연다고 밝혔다."]
    assert out.body_html == "<p>인천시는 25일 박람회를 연다고 밝혔다.</p>"


@pytest.mark.parametrize(
    ("text", "agency_id", "found"),
    [
        ("광주광역시는 25일 인공지능 박람회를 연다고 밝혔다.", "gwangju", None),
        ("경기 광주시는 25일 남한산성 축제를 연다고 밝혔다.", "gwangju-gyeonggi", None),
        ("광주시는 25일 축제를 연다고 밝혔다.", None, "광주시"),  # which 광주시? kept as found, never guessed
    ],
)
def test_an_outlet_credit_of_a_shared_name_is_settled_by_the_text(
    registry: Registry, text: str, agency_id: str | None, found: str | None
) -> None:
    release = Release(title="광주시, 축제 개최", paragraphs=[f"[뉴스출처 : 광주시] {text}"])
    out = apply_credit(release, registry, source=Source(id="p", agency="portalnews", url="https://example.org/"))
    assert (out.credit.agency.id, out.credit.agency.found) == (agency_id, found)
    assert out.credit.line == "[뉴스출처 : 광주시]"
    assert out.paragraphs == [text]


def test_an_unknown_agency_is_kept_as_found(registry: Registry) -> None:
    release = Release(title="t", paragraphs=["본문.", "자료제공 : 한국천연염색박물관"])
    out = apply_credit(release, registry, source=Source(id="p", agency="portalnews", url="https://example.org/"))
    assert (out.credit.agency.id, out.credit.agency.found) == (None, "한국천연염색박물관")


def test_the_line_kept_is_the_one_that_credits_the_agency(registry: Registry) -> None:
    release = Release(title="t", paragraphs=["본문 (사진=연합뉴스)", "출처: 통계청", "자료제공 : 인천시 대변인실"])
    credit = apply_credit(release, registry, agency_id="incheon").credit
    assert credit.line == "자료제공 : 인천시 대변인실"
    assert credit.agency.department == "대변인실"


def test_an_outlet_named_in_a_line_is_never_the_issuer(registry: Registry) -> None:
    release = Release(title="[뉴스와이어] 제목", paragraphs=["[뉴스출처 : 인천시] 본문."])
    out = apply_credit(release, registry, source=Source(id="p", agency="portalnews", url="https://example.org/"))
    assert out.credit.agency.id == "incheon"
    alone = apply_credit(Release(title="[뉴스와이어] 제목"), registry, agency_id="portalnews")
    assert alone.credit.agency.id is None
