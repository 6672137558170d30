"""Schemathesis against the partner admin API with the admin token: no generated input makes it answer 500."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from syndicate.config import get_settings

TOKEN = "admin-token-for-fuzzing-0123456789"


def test_no_generated_input_makes_the_partner_admin_fail(
    database: str, broker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from syndicate.api.app import create_app

    monkeypatch.setenv("SYNDICATE_ADMIN_TOKEN", TOKEN)
    get_settings.cache_clear()
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())
    failures: list[str] = []
    ran = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith("/api/v1/admin/partners"):
            continue

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: Any) -> None:
            nonlocal ran
            ran += 1
            response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}")
            assert "whsec_" not in response.text or (case.method == "POST" and response.status_code == 201)

        run()
    assert ran >= 4 * 10
    assert not failures, failures[:5]
