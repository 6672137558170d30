"""Schemathesis against the API's own OpenAPI schema: no generated input makes it answer 500.

Runs in-process (ASGI) against a real database and broker, with a valid agency key on every request so that
the fuzzing reaches past authentication.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.conftest import figure

EXAMPLES = 30


def test_no_generated_input_makes_the_api_fail(
    database: str, broker: str, agency_key: Any, record_property: Callable[[str, object], None]
) -> None:
    from syndicate.api.app import create_app

    app = create_app()
    key = agency_key("incheon")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    ran = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: Any) -> None:
            nonlocal ran
            ran += 1
            response = case.call(headers={"Authorization": f"Bearer {key}"})
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}")

        run()
    record_property("fuzz_requests", ran)  # counted in the fuzz figure (tests/hostile/conftest.py)
    figure("schemathesis.requests", ran)
    assert ran > 0
    assert not failures, failures[:5]
