"""Licence detection: a page's licence marks → a licence id.

The ingest stage collects the marks into ``Release.licence_hint``: the text, alt, title and href of every
element that mentions 공공누리, KOGL, kogl.or.kr, 출처표시, 상업적, 변경금지 or creativecommons.org, joined by
" | ". Real pages say the same thing in several ways, and we read them all:

    제4유형 / licenseType4.do / img_opentype04.png / "KOGL Type 4"           the type number
    출처표시+상업적 이용금지+변경금지 / (출처표시, 상업용금지, 변경금지)       the conditions spelled out
    kogl.or.kr/open/info/license_info/by-nc-nd.do                           the old KOGL condition links
    creativecommons.org/licenses/by-nc-nd/4.0/                              Creative Commons

When marks disagree (a page template with one type, a notice with another), the most restrictive wins: we may
only do what every mark allows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from syndicate.credit.licence import KNOWN, licence
from syndicate.model import Licence

_KOGL = re.compile(r"공공누리|kogl|출처\s*표시|source\s+indication", re.IGNORECASE)
_TYPE_NUMBER = re.compile(
    r"제\s*([1-4])\s*유형|licen[cs]e_?type0?([1-4])|opentype0?([1-4])|kogl[\s\-_:]*(?:type)?\s*([1-4])\b"
    r"|공공누리\s*([1-4])\s*유형|\btype\s*([1-4])\b",
    re.IGNORECASE,
)
_KOGL_LINK = re.compile(r"kogl\.or\.kr/\S*?license_info/(by(?:-nc)?(?:-nd)?)\.do", re.IGNORECASE)
_ATTRIBUTION = re.compile(r"출처\s*표시|source\s+indication|attribution", re.IGNORECASE)
_NO_COMMERCIAL = re.compile(
    r"상업(?:적|용)\s*(?:이용)?\s*금지|commercial\s+use\s+prohibit|non-?commercial", re.IGNORECASE
)
_NO_CHANGE = re.compile(r"변경\s*금지|change\s+prohibit|no\s*-?deriv", re.IGNORECASE)
_CC_LINK = re.compile(r"creativecommons\.org/licenses/([a-z\-]+)/(\d\.\d)", re.IGNORECASE)
_CC_ZERO = re.compile(r"creativecommons\.org/publicdomain/zero/|\bCC0\b", re.IGNORECASE)
_CC_MARK = re.compile(r"creativecommons\.org/publicdomain/mark/", re.IGNORECASE)
_CC_TEXT = re.compile(r"\bCC[\s\-]+(BY(?:[\s\-]+(?:NC|ND|SA))*)[\s\-]+(\d\.\d)\b")


def _kogl(segment: str) -> str | None:
    """The KOGL type one mark states, by number, by link or by its conditions."""
    if not _KOGL.search(segment) and "kogl" not in segment.lower():
        return None
    match = _TYPE_NUMBER.search(segment)
    if match and (match.group(6) is None or re.search("kogl|공공누리", segment, re.IGNORECASE)):
        number = next(g for g in match.groups() if g)
        return f"KOGL-{number}"
    link = _KOGL_LINK.search(segment)
    if link:
        return {"by": "KOGL-1", "by-nc": "KOGL-2", "by-nd": "KOGL-3", "by-nc-nd": "KOGL-4"}[link.group(1).lower()]
    if _ATTRIBUTION.search(segment):
        no_commercial = bool(_NO_COMMERCIAL.search(segment))
        no_change = bool(_NO_CHANGE.search(segment))
        return f"KOGL-{1 + int(no_commercial) + 2 * int(no_change)}"
    return None


def _creative_commons(segment: str) -> str | None:
    if _CC_ZERO.search(segment):
        return "CC0-1.0"
    if _CC_MARK.search(segment):
        return "public-domain"
    link = _CC_LINK.search(segment)
    if link:
        kind, version = link.group(1).upper(), link.group(2)
    else:
        text = _CC_TEXT.search(segment)
        if not text:
            return None
        kind, version = re.sub(r"[\s\-]+", "-", text.group(1).upper()), text.group(2)
    candidate = f"CC-{kind}-{version}"
    return candidate if candidate in KNOWN else None


def _restrictiveness(licence_id: str) -> tuple[int, int]:
    derivatives, commercial, _ = KNOWN[licence_id]
    return int(derivatives) + int(commercial), int(derivatives)


def detect_licence(hint: str | None, texts: Iterable[str] = ()) -> Licence | None:
    """The licence the page's marks (and any licence notice in its text) state, or None when they state none."""
    segments = [s for s in (hint or "").split(" | ") if s.strip()]
    segments += [t for t in texts if t and t.strip()]
    found: list[tuple[str, str]] = []
    for segment in segments:
        licence_id = _kogl(segment) or _creative_commons(segment)
        if licence_id:
            found.append((licence_id, segment.strip()[:200]))
    if not found:
        return None
    licence_id, evidence = min(found, key=lambda pair: _restrictiveness(pair[0]))
    return licence(licence_id, "page", note=f"found on the page: {evidence}")
