"""Every corpus page gets its expected credit and licence, through normalize → apply_credit."""

from __future__ import annotations

import json

import pytest

from syndicate.credit import apply_credit
from syndicate.credit.lines import split_paragraphs
from syndicate.model import Release
from syndicate.normalize.text import paragraphs_from_html, paragraphs_from_text
from syndicate.registry import Registry, get_registry
from tests.credit.pages import CORPUS, FIXTURES, PAGES, Case, cases, release_for


@pytest.fixture(scope="module")
def registry() -> Registry:
    return get_registry(FIXTURES.parent.parent.parent / "feeds")


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.name)
def test_page_credit_and_licence(case: Case, registry: Registry) -> None:
    release = apply_credit(release_for(case), registry, agency_id=case.agency)
    credit, want = release.credit, case.expected
    assert credit.agency.id == want["agency_id"]
    assert credit.agency.name is not None
    assert credit.licence.id == want["licence"]
    assert credit.licence.origin == want["origin"]
    assert credit.licence.note and "found on the page" in credit.licence.note
    if "department" in want:
        assert credit.agency.department == want["department"]
    if "line" in want:
        assert credit.line == want["line"]
    if "contact_contains" in want:
        assert credit.contact and str(want["contact_contains"]) in credit.contact
    # The body HTML lost exactly what the paragraphs lost.
    assert paragraphs_from_html(release.body_html) == release.paragraphs
    # Whatever was taken out is gone from both the paragraphs and the body HTML.
    text = "\n".join(release.paragraphs)
    assert "공공누리" not in text and "조건에 따라 이용" not in text
    for fragment in filter(None, (credit.line, credit.contact)):
        for part in fragment.split(" / "):
            assert part not in text
            assert part not in release.body_html


def test_all_seven_corpus_pages_are_covered() -> None:
    names = {c.name for c in cases()}
    html = set(PAGES) - {"kr-korea-kr-pressrelease-list"}
    assert names == html
    licences = [c.expected["licence"] for c in cases()]
    assert licences.count("KOGL-4") == 3 and "KOGL-1" in licences


def test_korea_kr_list_items_credit_their_ministry_via_the_portal(registry: Registry) -> None:
    """The policy portal's items: the ministry named on each item is the issuer, the portal is only `via`."""
    import lxml.html

    root = lxml.html.fromstring(PAGES["kr-korea-kr-pressrelease-list"].read_text(encoding="utf-8"))
    sources = [el.text_content().split()[-1] for el in root.xpath('//span[@class="source"]')]
    assert len(sources) == 20
    for ministry in sources:
        release = apply_credit(Release(title=f"[{ministry}] 제목"), registry, agency_id="korea-kr")
        assert release.title == "제목"
        assert release.credit.agency.id is not None, ministry
        assert release.credit.line == f"[{ministry}]"
        assert release.credit.via == "대한민국 정책브리핑"
        assert release.credit.licence.origin == "agency"


def test_korea_kr_scraped_titles_match_every_ministry(registry: Registry) -> None:
    data = json.loads((CORPUS / "kr-korea-kr-pressrelease-titles-scraped.json").read_text(encoding="utf-8"))
    for article in data["articles"]:
        release = apply_credit(
            Release(title=f"[{article['source']}] {article['title']}"), registry, agency_id="korea-kr"
        )
        assert release.credit.agency.id is not None, article["source"]
        # "[보도설명자료]" is a kind of release, not an agency: it stays in the title.
        assert release.title == article["title"]


def test_naju_photo_credits_leave_the_text(registry: Registry) -> None:
    data = json.loads((CORPUS / "kr-naju-pressreleases-scraped.json").read_text(encoding="utf-8"))
    assert len(data) == 47
    for article in data:
        paragraphs = paragraphs_from_text(article["content"])
        release = apply_credit(Release(title=article["title"], paragraphs=paragraphs), registry, agency_id="naju")
        text = " ".join(release.paragraphs)
        assert "(사진 제공-" not in text, article["idx"]
        assert release.credit.line and release.credit.line.startswith("(사진 제공-")
        assert release.credit.agency.id == "naju"
        # Nothing else was lost: the text is the original minus the credit line.
        assert text.replace(" ", "") == article["content"].replace(release.credit.line, "").replace(" ", "")


def test_naju_contact_in_the_text_is_kept_when_it_is_prose(registry: Registry) -> None:
    """ "…건강증진과(☎061-339-4850)로 문의하면 …" is a sentence for readers, not a contact block."""
    data = json.loads((CORPUS / "kr-naju-pressreleases-scraped.json").read_text(encoding="utf-8"))
    article = next(a for a in data if "☎061-339-4850" in a["content"])
    kept, _ = split_paragraphs(paragraphs_from_text(article["content"]))
    assert "☎061-339-4850" in " ".join(kept)
