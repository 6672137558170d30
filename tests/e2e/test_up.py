"""`syndicate up`: the whole service from one command on the embedded default, stopped cleanly by Ctrl-C,
and finding its data again on the next start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import feedparser
import httpx
import psutil
import pytest

from tests.conftest import ROOT, free_port, wait_for

pytestmark = pytest.mark.e2e


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}
    env["SYNDICATE_DATA_DIR"] = str(data_dir)
    return env


def _start(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "syndicate", "up", "--port", str(port)],
        env=_env(data_dir),
        cwd=ROOT,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _titles(base: str) -> list[str]:
    return [e.title for e in feedparser.parse(httpx.get(f"{base}/feeds/ko/rss.xml").content).entries]


def _stop(proc: subprocess.Popen[bytes], sig: int) -> list[psutil.Process]:
    children = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(sig)
    assert proc.wait(40) == 0
    _gone, alive = psutil.wait_procs(children, timeout=10)
    return alive


def test_up_runs_everything_stops_cleanly_and_restarts(tmp_path: Path) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "up.log"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(data_dir, port, log)
    try:
        wait_for(lambda: _healthy(base) or proc.poll() is not None, 60, what="syndicate up")
        assert proc.poll() is None, log.read_text()
        assert (data_dir / "syndicate.db").exists()
        names = {" ".join(p.cmdline()) for p in psutil.Process(proc.pid).children(recursive=True)}
        assert any("redis-server" in n for n in names), names
        assert any(" beat" in n for n in names), names
        # A pipeline worker, and a worker of its own for polls and pushes (so slow outside servers cannot take
        # the pipeline's processes).
        assert any(" worker" in n and "--queues pipeline " in n for n in names), names
        assert any(" worker" in n and "--queues poll,deliver " in n and "--pool threads" in n for n in names), names

        key = subprocess.run(
            [sys.executable, "-m", "syndicate", "keys", "create", "--agency", "seoul"],
            env=_env(data_dir),
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        answer = httpx.post(
            f"{base}/api/v1/releases",
            headers={"Authorization": f"Bearer {key}"},
            json={"title": "서울시 한 줄 보도자료", "body": "본문입니다."},
        )
        assert answer.status_code == 202
        wait_for(lambda: "서울시 한 줄 보도자료" in _titles(base), 30, what="item in feed")
        home = httpx.get(base + "/")
        assert home.status_code == 200 and "syndicate" in home.text

        alive = _stop(proc, signal.SIGINT)
        assert alive == [], [p.cmdline() for p in alive]
    finally:
        if proc.poll() is None:
            proc.kill()

    proc = _start(data_dir, port, log)
    try:
        wait_for(lambda: _healthy(base) or proc.poll() is not None, 60, what="second start")
        assert "서울시 한 줄 보도자료" in _titles(base)
        assert _stop(proc, signal.SIGTERM) == []
    finally:
        if proc.poll() is None:
            proc.kill()
