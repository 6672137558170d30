"""Dates as sources write them."""

from __future__ import annotations

from datetime import datetime

import pytest

from syndicate.normalize.dates import parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thu, 18 Sep 2025 05:32:00 GMT", "2025-09-18T05:32:00+00:00"),
        ("Tue, 24 Jul 2018 17:13 EDT", "2018-07-24T17:13:00-04:00"),
        ("Thu, 18 Sep 2025 14:32:00 KST", "2025-09-18T14:32:00+09:00"),
        ("2025-09-18T14:32:00+09:00", "2025-09-18T14:32:00+09:00"),
        ("2025-09-18T05:32:00Z", "2025-09-18T05:32:00+00:00"),
        ("2025.09.18 14:32", "2025-09-18T14:32:00+09:00"),
        ("2025-09-18 오후 2:32", "2025-09-18T14:32:00+09:00"),
        ("2025-09-18 오전 12:05", "2025-09-18T00:05:00+09:00"),
        ("2025년 9월 18일 14시 32분", "2025-09-18T14:32:00+09:00"),
        ("2025.12.10", "2025-12-10T00:00:00+09:00"),
        ("2025-12-12 17:44:00", "2025-12-12T17:44:00+09:00"),
    ],
)
def test_forms(text: str, expected: str) -> None:
    parsed = parse_date(text)
    assert parsed is not None and parsed == datetime.fromisoformat(expected)
    assert parsed.utcoffset() == datetime.fromisoformat(expected).utcoffset()


def test_zone_less_dates_are_read_in_the_source_zone() -> None:
    assert parse_date("2025-09-18 09:00", "America/New_York") == datetime.fromisoformat("2025-09-18T09:00:00-04:00")


@pytest.mark.parametrize("text", ["", "   ", "지난주", "Mon, 01 Jan 1900 00:00:00 +0000", "2025-13-45", None])
def test_unreadable_dates_are_none(text: str | None) -> None:
    assert parse_date(text) is None
