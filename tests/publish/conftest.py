"""Fixtures for the publishing tests: loopback partner servers, fast retry settings, a beat process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from syndicate.config import get_settings
from tests.conftest import Proc, wait_for
from tests.publish.partner_server import Server

ADMIN_TOKEN = "test-admin-token-0123456789"


@pytest.fixture
def partners() -> Iterator[Server]:
    server = Server()
    yield server
    server.close()


@pytest.fixture
def fast_delivery(monkeypatch: pytest.MonkeyPatch, partners: Server) -> None:
    """Retries after ~1 s (3 retries, then dead), a 1.5 s timeout per attempt, a WebSub hub, the admin API.
    Request it before ``worker`` and ``api_server`` so their processes inherit it."""
    monkeypatch.setenv("SYNDICATE_DELIVERY_SCHEDULE", "1,1,1")
    monkeypatch.setenv("SYNDICATE_DELIVERY_TIMEOUT", "1.5")
    monkeypatch.setenv("SYNDICATE_WEBSUB_HUB", f"{partners.base}/hub")
    monkeypatch.setenv("SYNDICATE_ADMIN_TOKEN", ADMIN_TOKEN)
    get_settings.cache_clear()


@pytest.fixture
def beat(database: str, broker: str, tmp_path: Path) -> Iterator[Proc]:
    """A real Celery beat process (embargo sweep, delivery sweep, WebSub sweep)."""
    proc = Proc(["beat"], tmp_path / "beat.log")
    try:
        wait_for(lambda: "beat: Starting" in proc.output() or proc.popen.poll() is not None, 30, what="beat")
        assert proc.popen.poll() is None, proc.output()
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def stack(fast_delivery: None, api_server: str, worker: Proc, beat: Proc) -> str:
    """API, worker and beat on one database and broker, with fast delivery settings; returns the API's base URL."""
    return api_server
