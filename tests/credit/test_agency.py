"""Agency matching against feeds/agencies.toml: aliases, departments, never a guess."""

from __future__ import annotations

import pytest

from syndicate.credit import agency
from syndicate.registry import Registry, get_registry
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def registry() -> Registry:
    return get_registry(ROOT / "feeds")


@pytest.mark.parametrize(
    ("name", "agency_id", "department"),
    [
        ("인천시", "incheon", None),
        ("인천광역시", "incheon", None),
        ("Incheon", "incheon", None),
        ("Incheon Metropolitan City", "incheon", None),
        ("대구광역시 일자리투자국", "daegu", "일자리투자국"),
        ("인천시청 교통정책과", "incheon", "교통정책과"),
        ("나주시청", "naju", None),
        ("나주시보건소", "naju", "보건소"),
        ("조달청", "pps", None),
        ("기획재정부", "moef", None),  # former name, kept as an alias
        ("원자력안전위원회", "nssc", None),
        ("서울특별시 정책기획관기획담당관", "seoul", "정책기획관 기획담당관"),
    ],
)
def test_names_match_registry_agencies(registry: Registry, name: str, agency_id: str, department: str | None) -> None:
    ref = agency.match(registry, name)
    assert ref is not None
    assert (ref.id, ref.department) == (agency_id, department)
    assert ref.name is not None and ref.found is None


@pytest.mark.parametrize(
    "name", ["재.나주시천연염색문화재단", "나주시천연염색문화재단", "한국천연염색박물관", "Acme Corp"]
)
def test_unknown_names_are_kept_as_found(registry: Registry, name: str) -> None:
    ref = agency.match(registry, name)
    assert ref is not None
    assert (ref.id, ref.name, ref.found) == (None, None, name)


def test_a_bare_department_belongs_to_the_default_agency(registry: Registry) -> None:
    shinan = registry.agency("shinan")
    assert shinan is not None
    ref = agency.match(registry, "노인건강과 노인복지팀", default=shinan)
    assert ref is not None and (ref.id, ref.department) == ("shinan", "노인건강과 노인복지팀")
    assert agency.department_of(shinan, "행정과 박주홍", registry) == "행정과"
    # A line naming another agency says nothing about this one's department.
    assert agency.department_of(shinan, "대구광역시 일자리투자국", registry) is None


@pytest.mark.parametrize(
    ("name", "context", "agency_id", "department"),
    [
        ("광주시", "광주광역시는 25일 인공지능 산업 육성 계획을 발표했다.", "gwangju", None),
        ("광주시", "경기 광주시는 25일 남한산성 문화제를 연다고 밝혔다.", "gwangju-gyeonggi", None),
        ("광주시청", "경기도 광주시 오포읍 주민을 위한 사업이다.", "gwangju-gyeonggi", None),
        ("광주시 문화관광과", "광주광역시 동구 일대에서 열린다.", "gwangju", "문화관광과"),
    ],
)
def test_a_shared_name_matches_the_agency_the_text_names(
    registry: Registry, name: str, context: str, agency_id: str, department: str | None
) -> None:
    ref = agency.match(registry, name, context=context)
    assert ref is not None and (ref.id, ref.department, ref.found) == (agency_id, department, None)


@pytest.mark.parametrize(
    "context",
    [
        None,
        "광주시는 25일 청년 일자리 계획을 발표했다.",  # names neither
        "광주광역시와 경기 광주시가 교류 협약을 맺었다.",  # names both
        "Gwangju announced a plan.",  # a name part of both agencies' names
    ],
)
def test_a_shared_name_the_text_does_not_settle_is_kept_as_found(registry: Registry, context: str | None) -> None:
    ref = agency.match(registry, "광주시", context=context)
    assert ref is not None and (ref.id, ref.found) == (None, "광주시")


def test_a_shared_name_is_the_default_agency_when_it_is_one_of_them(registry: Registry) -> None:
    for agency_id in ("gwangju", "gwangju-gyeonggi"):
        default = registry.agency(agency_id)
        ref = agency.match(registry, "광주시", default=default)
        assert ref is not None and ref.id == agency_id
    # A default that is neither does not decide it.
    ref = agency.match(registry, "광주시", default=registry.agency("incheon"))
    assert ref is not None and ref.id is None
