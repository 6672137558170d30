"""Credit lines leave the body HTML exactly as they leave the paragraphs."""

from __future__ import annotations

import pytest

from syndicate.credit.body import strip_credit
from syndicate.credit.lines import split_paragraphs
from syndicate.normalize.text import paragraphs_from_html


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>[뉴스출처 : 인천시] 인천시는 발표했다.</p>", "<p>인천시는 발표했다.</p>"),
        ("<p>본문.</p><p>자료제공 : 대구광역시 일자리투자국</p>", "<p>본문.</p>"),
        (
            "<p>본문.</p><dl><dt>담당부서</dt><dd>행정과</dd><dt>문의</dt><dd>061-380-3192</dd></dl>",
            "<p>본문.</p><dl></dl>",
        ),
        ("<p>캡션. (사진=광주시 제공)</p>", "<p>캡션.</p>"),
        ("<p><span>본문<br>\n자료제공: 노인건강과 노인복지팀 (240-8940)</span></p>", "<p><span>본문<br>\n</span></p>"),
        # a contact inside a sentence is prose: it stays in both
        ("<p>자세한 내용은 <b>문의: 02-123-4567</b>로 하면 된다.</p>", None),
        ("<p>본문만 있다.</p>", None),
    ],
)
def test_body_loses_what_the_paragraphs_lose(html: str, expected: str | None) -> None:
    kept, found = split_paragraphs(paragraphs_from_html(html))
    out = strip_credit(html, found)
    assert out == (expected if expected is not None else html)
    assert paragraphs_from_html(out) == kept
