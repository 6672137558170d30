"""Fixtures for the fault tests: the whole service as `syndicate up` runs it, on the test database and broker,
and the ``FIGURE`` lines the tests print (collect them with ``pytest tests/reliability -s | grep FIGURE``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from syndicate.config import get_settings
from tests.conftest import Proc, free_port, wait_for


class Service:
    """`syndicate up` (API, pipeline worker, poll/deliver worker, beat) as one child process."""

    def __init__(self, proc: Proc, base: str) -> None:
        self.proc, self.base = proc, base

    def alive(self) -> bool:
        import psutil

        if self.proc.popen.poll() is not None:
            return False
        names = [" ".join(p.cmdline()) for p in psutil.Process(self.proc.popen.pid).children(recursive=True)]
        roles = (" api ", " worker --queues pipeline ", " worker --queues poll,deliver ", " beat")
        return all(any(role in f"{n} " for n in names) for role in roles)

    def log(self) -> str:
        return self.proc.output()[-6000:]


@pytest.fixture
def service(
    database: str, broker: str, bare_registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Service]:
    """`syndicate up` on the test database and broker, with the registry's agencies but none of its sources (a
    test adds the loopback sources it polls). A test sets its SYNDICATE_* settings before asking for this
    fixture, so every process inherits them."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("SYNDICATE_BASE_URL", base)
    get_settings.cache_clear()
    proc = Proc(["up", "--port", str(port)], tmp_path / "up.log")

    def ready() -> bool:
        if proc.popen.poll() is not None:
            return True
        out = proc.output()
        if "pipeline@" not in out or "io@" not in out or out.count(" ready.") < 2:
            return False
        try:
            return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(ready, 90, interval=0.2, what="syndicate up")
        assert proc.popen.poll() is None, proc.output()
        yield Service(proc, base)
    finally:
        proc.stop()
