"""Bytes → text: declared charsets honoured when true, caught when false, detected when missing."""

from __future__ import annotations

import codecs

import pytest

from syndicate.ingest.encoding import decode

KOREAN = "똠방각하 전시회를 연다. 서울특별시는 25일 청년 일자리 계획을 발표했다."


@pytest.mark.parametrize(
    ("body", "http_charset", "used"),
    [
        (KOREAN.encode("cp949"), "euc-kr", "cp949"),  # HTTP says EUC-KR, bytes use CP949-only syllables
        (KOREAN.encode("cp949"), None, None),  # nothing declared: detected
        (KOREAN.encode("cp949"), "utf-8", None),  # HTTP lies (utf-8): the strict decode fails, detection wins
        (KOREAN.encode("cp949"), "iso-8859-1", None),  # a Western charset for CJK bytes is not believed
        (f'<?xml version="1.0" encoding="EUC-KR"?><t>{KOREAN}</t>'.encode("cp949"), None, "cp949"),
        (f'<html><head><meta charset="euc-kr"></head><body>{KOREAN}</body></html>'.encode("cp949"), None, "cp949"),
        (codecs.BOM_UTF8 + KOREAN.encode("utf-8"), "euc-kr", "utf-8"),  # a byte-order mark beats everything
        (KOREAN.encode("utf-16"), None, "utf-16"),
        (KOREAN.encode("utf-8"), None, "utf-8"),
    ],
)
def test_decode(body: bytes, http_charset: str | None, used: str | None) -> None:
    text, encoding = decode(body, http_charset)
    assert KOREAN in text
    if used is not None:
        assert encoding == used
    assert "\ufffd" not in text


def test_latin1_text_declared_latin1_stays_latin1() -> None:
    text, encoding = decode("Café de la Paix".encode("latin-1"), "iso-8859-1")
    assert text == "Café de la Paix" and encoding == "iso8859-1"
