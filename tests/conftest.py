"""Shared fixtures: a real database (SQLite per test, or PostgreSQL), a real Redis broker (embedded by default),
real worker and API processes.

    SYNDICATE_TEST_DATABASE_URL   run against this database instead of a SQLite file per test
    SYNDICATE_TEST_BROKER_URL     use this Redis instead of an embedded one
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import psutil
import pytest
import redis
from sqlalchemy import text

from syndicate.config import get_settings
from syndicate.registry import get_registry
from syndicate.store import db as store_db

if TYPE_CHECKING:
    from syndicate.embedded import EmbeddedRedis

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TEST_DB = os.environ.get("SYNDICATE_TEST_DATABASE_URL", "")
TEST_BROKER = os.environ.get("SYNDICATE_TEST_BROKER_URL", "")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _reset_caches() -> None:
    get_settings.cache_clear()
    get_registry.cache_clear()  # type: ignore[attr-defined]
    store_db.reset()


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test gets its own data folder and settings; nothing leaks from the developer's environment."""
    for key in list(os.environ):
        if key.startswith("SYNDICATE_") and not key.startswith("SYNDICATE_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("SYNDICATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SYNDICATE_ALLOW_HOSTS", "127.0.0.1,localhost,::1")
    monkeypatch.setenv("SYNDICATE_BASE_URL", "http://testserver")
    _reset_caches()
    yield
    _reset_caches()


@pytest.fixture(scope="session")
def _pg_schema() -> Iterator[None]:
    """PostgreSQL: a clean schema migrated once per session."""
    if not TEST_DB:
        yield
        return
    from sqlalchemy import create_engine

    from syndicate.store.migrate import upgrade

    engine = create_engine(TEST_DB)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(TEST_DB)
    yield


@pytest.fixture
def database(_pg_schema: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated, empty database with the agency registry loaded; returns its URL."""
    from syndicate.store.migrate import upgrade_and_sync
    from syndicate.store.tables import Base

    if TEST_DB:
        url = TEST_DB
        monkeypatch.setenv("SYNDICATE_DATABASE_URL", url)
        _reset_caches()
        with store_db.session() as s:
            names = ", ".join(t.name for t in reversed(Base.metadata.sorted_tables))
            s.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        url = f"sqlite:///{tmp_path / 'data' / 'syndicate.db'}"
        monkeypatch.setenv("SYNDICATE_DATABASE_URL", url)
        _reset_caches()
    upgrade_and_sync(url)
    return url


@pytest.fixture(scope="session")
def _broker_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if TEST_BROKER:
        yield TEST_BROKER
        return
    from syndicate.embedded import EmbeddedRedis

    server = EmbeddedRedis(tmp_path_factory.mktemp("broker"))
    url = server.start()
    yield url
    server.stop()


@pytest.fixture
def broker(_broker_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A real, empty Redis broker; returns its URL (also set as SYNDICATE_BROKER_URL)."""
    redis.Redis.from_url(_broker_url.replace("redis+socket://", "unix://")).flushdb()
    monkeypatch.setenv("SYNDICATE_BROKER_URL", _broker_url)
    get_settings.cache_clear()
    from workers.celery_app import reconfigure

    reconfigure()
    return _broker_url


@pytest.fixture
def broker_client(database: str, broker: str) -> redis.Redis:
    """A Redis client on the test broker, beside a ready database (for tests that run steps and look into the
    queues)."""
    return redis.Redis.from_url(broker.replace("redis+socket://", "unix://"))


def queued_tasks(client: redis.Redis, queue: str = "pipeline") -> list[tuple[str, list[Any]]]:
    """(task name, positional arguments) of each task waiting in ``queue``, oldest first."""
    out = []
    for raw in reversed(client.lrange(queue, 0, -1)):  # LPUSH: the newest first
        message = json.loads(raw)
        args, _, _ = json.loads(base64.b64decode(message["body"]))
        out.append((message["headers"]["task"], args))
    return out


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_TEST_")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def figure(name: str, value: object) -> None:
    """A measured figure, in the stable form the note's figures are collected from (``-s | grep FIGURE``)."""
    print(f"FIGURE {name}={value}")


def wait_for(predicate: object, timeout: float = 20.0, interval: float = 0.05, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Proc:
    """A child process whose output goes to a log file, shown when a test fails."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.log = log
        self._fh = log.open("wb")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "syndicate", *args],
            env=_child_env(),
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._fh.close()


def kill_hard(proc: Proc) -> None:
    """SIGKILL a process and its children at once (a machine losing power, the OOM killer), no clean-up."""
    family = [psutil.Process(proc.popen.pid), *psutil.Process(proc.popen.pid).children(recursive=True)]
    for p in family:
        p.send_signal(signal.SIGKILL)
    psutil.wait_procs(family, timeout=10)
    proc.stop()


@pytest.fixture
def worker(database: str, broker: str, tmp_path: Path) -> Iterator[Proc]:
    """A real Celery worker process (2 processes) on the test broker and database."""
    proc = Proc(["worker", "--concurrency", "2"], tmp_path / "worker.log")
    try:
        wait_for(lambda: "ready." in proc.output() or proc.popen.poll() is not None, 60, what="worker ready")
        assert proc.popen.poll() is None, proc.output()
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def api_server(database: str, broker: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real API server (uvicorn) on a free port; returns its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("SYNDICATE_BASE_URL", base)
    get_settings.cache_clear()
    proc = Proc(["api", "--port", str(port)], tmp_path / "api.log")

    def up() -> bool:
        try:
            return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return proc.popen.poll() is not None

    try:
        wait_for(up, 30, what="API server")
        assert proc.popen.poll() is None, proc.output()
        yield base
    finally:
        proc.stop()


@pytest.fixture
def client(database: str, broker: str) -> Iterator[object]:
    """The API in-process (FastAPI TestClient), sending tasks to the real test broker."""
    from fastapi.testclient import TestClient

    from syndicate.api.app import create_app

    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def agency_key(database: str) -> object:
    """A function that creates an API key for an agency."""
    from syndicate.store import keys

    def make(agency: str = "incheon") -> str:
        with store_db.session() as s:
            return keys.create_key(s, agency)

    return make


@pytest.fixture
def bare_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real agencies without the real sources, so the sweep polls only what a test adds (nothing here may
    try to reach korea.kr)."""
    folder = tmp_path / "registry"
    (folder / "sources").mkdir(parents=True)
    shutil.copy(ROOT / "feeds" / "agencies.toml", folder / "agencies.toml")
    monkeypatch.setenv("SYNDICATE_REGISTRY_DIR", str(folder))
    get_settings.cache_clear()
    get_registry.cache_clear()  # type: ignore[attr-defined]
    return folder


@pytest.fixture
def own_redis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmbeddedRedis]:
    """A broker of this test's own, so that stopping or restarting it disturbs no other test."""
    from syndicate.embedded import EmbeddedRedis
    from workers.celery_app import reconfigure

    server = EmbeddedRedis(tmp_path / "redis")
    monkeypatch.setenv("SYNDICATE_BROKER_URL", server.start())
    get_settings.cache_clear()
    reconfigure()
    yield server
    server.stop()
    monkeypatch.undo()
    get_settings.cache_clear()
    reconfigure()
