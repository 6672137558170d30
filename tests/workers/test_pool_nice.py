"""A worker's pool processes run at SYNDICATE_WORKER_NICE (workers/celery_app.py), its main process as started:
the main process hands every task over and acks it, and goes first when the cores are busy."""

from __future__ import annotations

import contextlib
from pathlib import Path

import psutil
import pytest

from tests.conftest import Proc, wait_for


def _pool_nice(proc: Proc, expected: list[int]) -> list[int]:
    """The niceness of the worker's pool processes, read until it is ``expected`` or 10 s have passed: each pool
    process renices itself in worker_process_init, which may come after the worker logs "ready."."""
    main = psutil.Process(proc.popen.pid)
    seen: list[int] = []

    def reached() -> bool:
        seen[:] = [p.nice() for p in main.children()]
        return seen == expected

    with contextlib.suppress(AssertionError):  # the caller's assertion shows what was seen instead
        wait_for(reached, 10, what="the pool processes' niceness")
    return seen


def test_pool_processes_yield_to_the_main_process(worker: Proc) -> None:
    main = psutil.Process(worker.popen.pid)
    started_at = psutil.Process().nice()  # the worker's main process keeps the niceness it was started with
    assert main.nice() == started_at
    expected = [min(19, started_at + 19)] * 2
    assert _pool_nice(worker, expected) == expected


@pytest.mark.parametrize("nice", ["0", "7"])
def test_the_niceness_is_a_setting(
    database: str, broker: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nice: str
) -> None:
    monkeypatch.setenv("SYNDICATE_WORKER_NICE", nice)
    # A worker without the pipeline queue: it starts without loading the summarizer's model.
    proc = Proc(["worker", "--concurrency", "2", "--queues", "poll,deliver"], tmp_path / "worker.log")
    try:
        wait_for(lambda: "ready." in proc.output() or proc.popen.poll() is not None, 60, what="worker ready")
        assert proc.popen.poll() is None, proc.output()
        started_at = psutil.Process().nice()
        expected = [min(19, started_at + int(nice))] * 2
        assert _pool_nice(proc, expected) == expected
    finally:
        proc.stop()


def test_the_niceness_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from syndicate.config import Settings

    for bad in ("-1", "20"):
        monkeypatch.setenv("SYNDICATE_WORKER_NICE", bad)
        with pytest.raises(ValidationError):
            Settings()
