"""compose.yaml is valid against the Compose Specification and has the production shape."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = Path(__file__).resolve().parent / "fixtures" / "schemas" / "compose-spec.json"


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_is_valid_against_the_specification() -> None:
    schema = json.loads(SCHEMA.read_text())
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(_compose()), key=str)
    assert not errors, [e.message for e in errors]


def test_compose_runs_every_part_with_healthchecks_and_order() -> None:
    services = _compose()["services"]
    assert set(services) >= {"postgres", "redis", "migrate", "api", "worker", "beat", "flower"}
    for name in ("postgres", "redis", "api"):
        assert "healthcheck" in services[name], name
    assert services["migrate"]["command"] == ["syndicate", "db", "upgrade"]
    for name in ("api", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        env = services[name]["environment"]
        assert env["SYNDICATE_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["SYNDICATE_BROKER_URL"].startswith("redis://")
    # Workers scale: no fixed container name or host port on them.
    assert "container_name" not in services["worker"] and "ports" not in services["worker"]


def test_slow_outside_servers_have_their_own_workers() -> None:
    services = _compose()["services"]
    assert services["worker"]["command"][-2:] == ["--queues", "pipeline"]
    assert services["worker-io"]["command"][-2:] == ["--queues", "poll,deliver"]
    # They mostly wait: threads, as `syndicate up` runs them (every fetch and push has a total deadline).
    command = services["worker-io"]["command"]
    assert command[command.index("--pool") + 1] == "threads"
