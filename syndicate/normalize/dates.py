"""Dates as sources write them: RFC 822, ISO 8601, and the Korean board forms; zone-less ones in the source's
zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

_KOREAN = re.compile(
    r"(?P<y>\d{4})\s*[.\-/년]\s*(?P<m>\d{1,2})\s*[.\-/월]\s*(?P<d>\d{1,2})\s*일?\.?"
    r"(?:\s*(?:\([^)]*\))?\s*(?P<ampm>오전|오후|AM|PM|am|pm)?\s*(?P<H>\d{1,2})\s*[:시]\s*(?P<M>\d{1,2})"
    r"(?:\s*[:분]\s*(?P<S>\d{1,2}))?)?"
)


# Zone abbreviations email.utils does not know, as Korean and Japanese feeds write them.
_OFFSETS = {"KST": "+0900", "JST": "+0900"}
_ZONE_NAMES = re.compile(r"(?<=\s)(KST|JST)\s*$", re.I)


@lru_cache(maxsize=4096)
def parse_date(value: str | None, tz: str = "Asia/Seoul") -> datetime | None:
    """An aware datetime for ``value``, or None when it is not a date we can read (never raises).

    Cached (a datetime is immutable): every poll of a changed feed reads the dates of the items it has shown
    before again, to adapt the source's schedule, and normalizing a new release reads its own once more."""
    if not value or not value.strip():
        return None
    text = _ZONE_NAMES.sub(lambda m: _OFFSETS[m.group(1).upper()], value.strip())
    zone = ZoneInfo(tz)
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            parsed = _korean(text)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    if not (1990 <= parsed.year <= 2100):
        return None
    return parsed


def _korean(text: str) -> datetime | None:
    match = _KOREAN.search(text)
    if not match:
        return None
    hour = int(match["H"] or 0)
    ampm = (match["ampm"] or "").lower()
    if ampm in ("오후", "pm") and hour < 12:
        hour += 12
    elif ampm in ("오전", "am") and hour == 12:
        hour = 0
    try:
        return datetime(
            int(match["y"]),
            int(match["m"]),
            int(match["d"]),
            hour,
            int(match["M"] or 0),
            int(match["S"] or 0),
        )
    except ValueError:
        return None


def utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC)
