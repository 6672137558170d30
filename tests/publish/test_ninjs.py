"""ninjs 3.x and 2.2 from FeedItems, valid against the IPTC schemas, with the credit where partners look."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from syndicate.publish.ninjs import to_ninjs
from tests.publish import samples
from tests.publish.schemas import errors, ninjs_validator


@pytest.mark.parametrize("status", ["published", "updated", "retracted"])
def test_ninjs_3_is_valid_and_credits_the_agency(status: str) -> None:
    doc = to_ninjs(
        samples.original(),
        version=2,
        status=status,
        embargoed_until=datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
        translations=[samples.translation()],
    )
    assert errors(ninjs_validator("3"), doc) == []
    assert doc["uri"] == "http://testserver/releases/r1" and doc["version"] == "2"
    assert doc["pubStatus"] == ("canceled" if status == "retracted" else "usable")
    assert doc["by"] == "Incheon Metropolitan City"
    assert doc["copyrightHolder"] == "Incheon Metropolitan City (인천광역시)"
    assert "공공누리 제1유형" in doc["copyrightNotice"] and "포탈뉴스통신" in doc["copyrightNotice"]
    assert doc["usageTerms"].startswith("공공누리 제1유형 (출처표시): 출처 표시")
    assert doc["infoSources"][0]["uri"] == "https://www.incheon.go.kr/news/1"
    assert doc["headlines"] == [{"role": "main", "value": "인천시, 청년 일자리 1만 개 만든다"}]
    assert doc["bodies"][0]["value"].startswith("인천광역시는 25일")
    translation = next(a for a in doc["associations"] if a.get("rel") == "translation")
    assert translation["language"] == "en" and translation["edNote"].startswith("Machine translation")


def test_ninjs_22_is_valid_and_lowercase() -> None:
    doc = to_ninjs(
        samples.original(),
        version=1,
        embargoed_until=datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
        translations=[samples.translation()],
        ninjs_version="2.2",
    )
    assert errors(ninjs_validator("2.2"), doc) == []
    assert "versioncreated" in doc and "copyrightholder" in doc and "embargoed" in doc
    assert errors(ninjs_validator("3"), doc), "a 2.2 document must not pass as 3.x"


def test_schema_validation_is_not_vacuous() -> None:
    doc = to_ninjs(samples.original(), version=1)
    doc["pubStatus"] = "deleted"
    assert errors(ninjs_validator("3"), doc)
