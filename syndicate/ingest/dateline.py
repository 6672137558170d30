"""An outlet's dateline at the head of a republished release: "(포탈뉴스통신) ", "(서울=연합뉴스) 홍길동 기자 = ",
"【광주=뉴시스】". The dateline is the outlet's, not the agency's: it leaves the text and the outlet becomes ``via``.
"""

from __future__ import annotations

import re

# An outlet name: ends in what Korean news organisations are called, or is a known wire.
_OUTLET = (
    r"[^()\[\]【】〔〕=\n]{0,20}?"
    r"(?:뉴스통신|통신사?|뉴스|일보|신문|방송|TV|미디어|저널|타임즈|타임스|투데이|경제|News|NEWS|뉴시스|뉴스1|연합)"
)
_DATELINE = re.compile(
    r"^\s*[(\[【〔]\s*(?:[가-힣A-Za-z·\s]{1,12}=\s*)?(?P<outlet>" + _OUTLET + r")\s*[)\]】〕]"
    r"\s*(?:[가-힣]{2,4}\s*(?:기자|특파원|통신원)\s*[=:]?\s*)?(?:[=:\-–]\s*)?"
)
# "홍길동 기자 = " when the outlet's bracket came in its own element before it.
_REPORTER = re.compile(r"^\s*[가-힣]{2,4}\s*(?:기자|특파원)\s*=\s*")


def split_dateline(text: str) -> tuple[str | None, str]:
    """(outlet, text without the dateline); (None, text) when the text does not start with one."""
    found = _DATELINE.match(text)
    if found is None:
        return None, text
    return found.group("outlet").strip(), text[found.end() :].lstrip()


def strip_reporter(text: str) -> str:
    return _REPORTER.sub("", text, count=1)
