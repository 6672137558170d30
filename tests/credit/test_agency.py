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
        ("광주시", "gwangju", None),
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
