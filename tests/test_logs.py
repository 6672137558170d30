"""Logs carry stable keys and never a secret."""

from __future__ import annotations

import logging

import pytest

from syndicate.logs import LogfmtFormatter, redact


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("key syn_zA2h1DKxcHx_bNaa4FVId15AOu7EgMJ6RMlExxG3bo4 used", "zA2h1DKxcHx"),
        ("secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw created", "MfKQ9r8GKYqr"),
        ("Authorization: Bearer abcdefghijklmnop1234", "abcdefghijklmnop1234"),
        ("url=https://x/?api_key=SECRET123456&q=1", "SECRET123456"),
        ('{"password": "hunter2hunter2"}', "hunter2hunter2"),
    ],
)
def test_secrets_are_redacted(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out and "[redacted]" in out


def test_records_carry_stable_keys_and_are_redacted() -> None:
    record = logging.LogRecord(
        "syndicate.pipeline", logging.WARNING, __file__, 1, "delivery failed for whsec_abcdefghijkl1234", None, None
    )
    record.release_id, record.partner_id, record.stage = "r1", "p1", "deliver"
    line = LogfmtFormatter().format(record)
    assert "release_id=r1" in line and "partner_id=p1" in line and "stage=deliver" in line
    assert "abcdefghijkl1234" not in line
