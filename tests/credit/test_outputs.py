"""The visible credit, as every output shows it."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser

from syndicate.credit import licence
from syndicate.model import AgencyRef, Credit, LocalizedName
from syndicate.publish.items import (
    FeedItem,
    FeedMeta,
    credit_fields,
    credit_html,
    credit_text,
    licence_name,
    usage_terms,
)
from syndicate.publish.rss import render_rss

INCHEON = AgencyRef(id="incheon", name=LocalizedName(ko="인천광역시", en="Incheon Metropolitan City"))
URL = "https://www.incheon.go.kr/IC010205/view?repSeq=1"


def test_english_credit_is_exact() -> None:
    credit = Credit(agency=INCHEON, licence=licence("KOGL-4"), via="포탈뉴스통신", line="[뉴스출처 : 인천시]")
    assert credit_text(credit, URL) == (
        "Source: Incheon Metropolitan City (인천광역시) · via 포탈뉴스통신 · Original: " + URL
        + " · Licence: KOGL Type 4 (attribution, no commercial use, no derivatives)"
    )  # fmt: skip
    # every target language gets the English form
    assert credit_text(credit, URL, "ja") == credit_text(credit, URL, "en")


def test_korean_credit_is_exact() -> None:
    credit = Credit(agency=INCHEON.model_copy(update={"department": "대변인실"}), licence=licence("KOGL-1"))
    assert credit_text(credit, URL, "ko") == (
        f"출처: 인천광역시 (Incheon Metropolitan City), 대변인실 · 원문: {URL} · 이용조건: 공공누리 제1유형 (출처표시)"
    )


def test_unknown_agency_and_licence_are_said_plainly() -> None:
    credit = Credit(agency=AgencyRef(found="한국천연염색박물관"), licence=licence("unknown"))
    assert credit_text(credit) == "Source: 한국천연염색박물관 · Licence: licence not stated (verbatim, with credit)"
    assert licence_name(licence("CC-BY-NC-ND-4.0")) == "CC BY-NC-ND 4.0"


def test_credit_html_links_the_original_and_the_licence() -> None:
    credit = Credit(agency=INCHEON, licence=licence("KOGL-1"))
    html = credit_html(credit, URL, "en")
    assert html.startswith('<p class="credit" lang="en">Source: Incheon Metropolitan City (인천광역시)')
    assert f'<a href="{URL}">{URL}</a>' in html
    assert '<a rel="license" href="https://www.kogl.or.kr/info/licenseType1.do">KOGL Type 1 (attribution)</a>' in html
    fields = credit_fields(credit, URL)
    assert fields["creator"] == "Incheon Metropolitan City" and fields["name_ko"] == "인천광역시"
    assert fields["licence_url"] == "https://www.kogl.or.kr/info/licenseType1.do"


def test_rss_items_carry_creator_rights_source_and_the_visible_credit() -> None:
    now = datetime(2026, 1, 5, 9, tzinfo=UTC)
    credit = Credit(agency=INCHEON, licence=licence("KOGL-4"))
    item = FeedItem(
        guid="https://s/releases/1", link="https://s/releases/1", title="인천시 발표", content_html="<p>본문</p>",
        language="ko", published_at=now, updated_at=now, credit=credit, original_url=URL,
    )  # fmt: skip
    meta = FeedMeta(
        scope="ko", title="t", description="d", language="ko", self_url="https://s/feeds/ko/rss.xml",
        home_url="https://s/", updated_at=now,
    )  # fmt: skip
    feed = feedparser.parse(render_rss(meta, [item]))
    assert feed.bozo == 0
    entry = feed.entries[0]
    assert entry.author == "Incheon Metropolitan City"
    assert entry.rights.startswith("공공누리 제4유형") and "licenseType4.do" in entry.rights
    assert entry.source.href == URL
    body = entry.content[0].value
    assert "출처: 인천광역시 (Incheon Metropolitan City)" in body and URL in body


def test_usage_terms_follow_the_licence() -> None:
    assert usage_terms(licence("KOGL-1")) == "KOGL Type 1 (attribution): credit the source"
    kogl4 = usage_terms(licence("KOGL-4"))
    assert "no commercial use" in kogl4 and "no translation or summary" in kogl4
    assert (
        usage_terms(licence("KOGL-2"), "ko")
        == "공공누리 제2유형 (출처표시+상업적 이용금지): 출처 표시, 상업적 이용 금지"
    )


def test_without_an_original_url_the_credit_links_the_agency_site() -> None:
    now = datetime(2026, 1, 5, 9, tzinfo=UTC)
    agency = INCHEON.model_copy(update={"homepage": "https://www.incheon.go.kr"})
    item = FeedItem(
        guid="https://s/releases/2", link="https://s/releases/2", title="t", content_html="<p>본문</p>",
        language="en", published_at=now, updated_at=now, credit=Credit(agency=agency, licence=licence("KOGL-1")),
    )  # fmt: skip
    meta = FeedMeta(
        scope="en", title="t", description="d", language="en", self_url="https://s/feeds/en/rss.xml",
        home_url="https://s/", updated_at=now,
    )  # fmt: skip
    entry = feedparser.parse(render_rss(meta, [item])).entries[0]
    assert entry.source.href == "https://www.incheon.go.kr"
    assert credit_fields(item.credit)["source_url"] == "https://www.incheon.go.kr"
