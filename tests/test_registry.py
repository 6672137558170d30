"""feeds/agencies.toml as a whole: ids, names, aliases, homepages, licences, and who must be in it."""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

import pytest

from syndicate.credit.licence import KNOWN
from syndicate.errors import ConfigError
from syndicate.model import Agency
from syndicate.registry import Registry, fold, load_registry
from tests.conftest import ROOT

FILE = ROOT / "feeds" / "agencies.toml"

# Every central ministry (부) in force, and the 17 metropolitan and provincial governments.
MINISTRIES = {
    "재정경제부", "과학기술정보통신부", "교육부", "외교부", "통일부", "법무부", "국방부", "행정안전부", "국가보훈부",
    "문화체육관광부", "농림축산식품부", "산업통상부", "보건복지부", "기후에너지환경부", "고용노동부", "성평등가족부",
    "국토교통부", "해양수산부", "중소벤처기업부",
}  # fmt: skip
REGIONS = {
    "서울특별시", "부산광역시", "대구광역시", "인천광역시", "광주광역시", "대전광역시", "울산광역시", "세종특별자치시",
    "경기도", "강원특별자치도", "충청북도", "충청남도", "전북특별자치도", "전라남도", "경상북도", "경상남도",
    "제주특별자치도",
}  # fmt: skip
KINDS = {"ministry", "agency", "metropolitan", "province", "city", "county", "outlet"}


@pytest.fixture(scope="module")
def entries() -> list[dict[str, object]]:
    with FILE.open("rb") as fh:
        return list(tomllib.load(fh)["agency"])


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry(ROOT / "feeds")


def test_ids_are_unique_and_slugs(entries: list[dict[str, object]]) -> None:
    ids = Counter(str(e["id"]) for e in entries)
    assert [i for i, n in ids.items() if n > 1] == []
    assert all(i.replace("-", "").isalnum() and i == i.lower() for i in ids)


def test_no_name_or_alias_is_claimed_twice(registry: Registry) -> None:
    owners: dict[str, set[str]] = {}
    for agency in registry.agencies.values():
        for name in {agency.id, agency.name.ko, agency.name.en, *agency.aliases}:
            owners.setdefault(fold(name), set()).add(agency.id)
    assert {k: v for k, v in owners.items() if len(v) > 1} == {}


def test_every_agency_is_complete(registry: Registry) -> None:
    for agency in registry.agencies.values():
        assert agency.kind in KINDS, agency.id
        assert agency.name.ko.strip() and agency.name.en.strip(), agency.id
        assert agency.licence in KNOWN, (agency.id, agency.licence)
        if agency.homepage is not None:
            assert agency.homepage.startswith("https://"), agency.id
        assert len(set(agency.departments)) == len(agency.departments), agency.id


def test_all_ministries_and_regions_are_present(registry: Registry) -> None:
    by_name = {a.name.ko: a for a in registry.agencies.values()}
    assert MINISTRIES - set(by_name) == set()
    assert {by_name[m].kind for m in MINISTRIES} == {"ministry"}
    assert REGIONS - set(by_name) == set()
    assert {by_name[r].kind for r in REGIONS} <= {"metropolitan", "province"}
    assert sum(a.kind in ("metropolitan", "province") for a in registry.agencies.values()) == 17


def test_issuers_named_in_the_corpus_are_present(registry: Registry) -> None:
    """Every ministry on the policy portal pages of the corpus, and every local government whose pages it holds."""
    import json

    import lxml.html

    fixtures = ROOT / "tests" / "fixtures"
    titles = json.loads((fixtures / "corpus" / "kr-korea-kr-pressrelease-titles-scraped.json").read_text("utf-8"))
    names = {a["source"] for a in titles["articles"]}
    page = lxml.html.fromstring((fixtures / "ingest" / "board_korea_kr_list.html").read_text(encoding="utf-8"))
    names |= {el.text_content().split()[-1] for el in page.xpath('//span[@class="source"]')}
    names |= {"서울특별시", "강진군", "담양군", "신안군", "완도군", "나주시", "인천시", "대구광역시", "광주시"}
    missing = {n for n in names if registry.match_agency(n) is None and not registry.sharing(n)}
    assert missing == set()


def test_outlets_are_never_an_issuers_default(registry: Registry) -> None:
    outlets: list[Agency] = [a for a in registry.agencies.values() if a.kind == "outlet"]
    assert outlets and all(a.licence == "unknown" for a in outlets)


def test_source_licences_are_known(registry: Registry) -> None:
    for source in registry.sources.values():
        assert source.licence is None or source.licence in KNOWN, (source.id, source.licence)
        assert not source.licence_override or (source.licence and source.licence_note), source.id


def test_a_source_override_in_toml_beats_the_page_marks(tmp_path: object) -> None:
    import shutil
    from pathlib import Path

    from syndicate.credit import apply_credit
    from syndicate.model import Release

    feeds = Path(str(tmp_path)) / "feeds"
    (feeds / "sources").mkdir(parents=True)
    shutil.copy(FILE, feeds / "agencies.toml")
    (feeds / "sources" / "test.toml").write_text(
        '[[source]]\nid = "damyang-board"\nagency = "damyang"\nurl = "https://www.damyang.go.kr/board"\n'
        'kind = "board"\nlicence = "KOGL-1"\nlicence_override = true\n'
        'licence_note = "written permission from the county, 2026-01-05"\n',
        encoding="utf-8",
    )
    registry = load_registry(feeds)
    source = registry.sources["damyang-board"]
    release = Release(title="t", paragraphs=["본문."], licence_hint="공공누리 제4유형")
    lic = apply_credit(release, registry, source=source).credit.licence
    assert (lic.id, lic.origin, lic.note) == ("KOGL-1", "override", "written permission from the county, 2026-01-05")


def test_every_city_and_county_of_jeonnam_is_present(registry: Registry) -> None:
    """The corpus is mostly Jeollanam-do (Naju, Gangjin, Damyang, Shinan, Wando): all 22 of its cities and
    counties are in the registry, so a regional wire's credit line always matches."""
    jeonnam = (
        "목포시 여수시 순천시 나주시 광양시 담양군 곡성군 구례군 고흥군 보성군 화순군 장흥군 강진군 해남군 영암군 "
        "무안군 함평군 영광군 장성군 완도군 진도군 신안군"
    ).split()
    assert len(jeonnam) == 22
    assert [n for n in jeonnam if registry.match_agency(n) is None] == []


def test_a_shared_name_is_declared_by_every_agency_that_shares_it(tmp_path: Path) -> None:
    """광주시 belongs to two agencies: declared shared in both it loads; claimed as a plain alias by one it is
    refused, as any name two agencies claim."""
    entry = '[[agency]]\nid = "{id}"\nname = {{ ko = "{ko}", en = "{en}" }}\n{names}\n'
    one = entry.format(id="a", ko="광주광역시", en="Gwangju Metropolitan City", names='shared_aliases = ["광주시"]')
    two = entry.format(id="b", ko="경기도 광주시", en="Gwangju City", names='shared_aliases = ["광주시"]')
    (tmp_path / "agencies.toml").write_text(one + two, encoding="utf-8")
    registry = load_registry(tmp_path)
    assert [a.id for a in registry.sharing("광주 시")] == ["a", "b"] and registry.match_agency("광주시") is None
    plain = entry.format(id="b", ko="경기도 광주시", en="Gwangju City", names='aliases = ["광주시"]')
    (tmp_path / "agencies.toml").write_text(one + plain, encoding="utf-8")
    with pytest.raises(ConfigError, match="shared"):
        load_registry(tmp_path)
