"""A step task goes on with the release's next steps in its own process while no other pipeline task waits
(workers/tasks/pipeline.py ``run_on``), and hands them to the queue when others wait or a step fails there. On
the real Redis broker, with the step tasks called in this process as a pool process runs them."""

from __future__ import annotations

from typing import Any

import pytest
import redis

from syndicate import pipeline
from syndicate.model import RawRelease
from syndicate.store import releases as store
from syndicate.store.db import session
from tests.conftest import queued_tasks
from workers.tasks import pipeline as tasks


@pytest.fixture
def client(broker_client: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> redis.Redis:
    monkeypatch.setattr(tasks, "_busy_until", 0.0)  # what an earlier test saw of the queue is not this one's
    return broker_client


def _submit(title: str) -> str:
    release_id, _, _ = pipeline.submit(agency_id="incheon", raw=RawRelease(title=title, body="본문입니다."))
    return release_id


def _stage(release_id: str) -> tuple[str, str]:
    with session() as s:
        row = store.get(s, release_id)
        return row.status, store.version(s, release_id, 1).stage


def test_with_nothing_waiting_the_whole_chain_runs_in_one_task(
    client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    transactions: list[str] = []
    real = store.for_step

    def counted(s: Any, release_id: str, version: int, **kw: Any) -> Any:
        transactions.append(release_id)
        return real(s, release_id, version, **kw)

    monkeypatch.setattr(store, "for_step", counted)
    release_id = _submit("한 번에 끝까지")
    tasks.STEP_TASKS["normalize"](release_id, 1)
    assert _stage(release_id) == ("published", "publish")
    assert queued_tasks(client) == []  # no step was handed on; the render ran here too
    assert client.get(tasks.RENDER_PENDING) is None
    # Credit and the gate joined normalize's transaction, publishing the summary's: three, not six.
    assert len(transactions) == 3
    with session() as s:
        kinds = [e.stage for e in store.events(s, release_id)]
    assert [k for k in kinds if k in ("normalized", "credited", "licence_gate", "published")] == [
        "normalized",
        "credited",
        "licence_gate",
        "published",
    ]


def test_with_other_tasks_waiting_each_step_takes_its_own_task(client: redis.Redis) -> None:
    other = _submit("먼저 대기 중")
    release_id = _submit("차례를 지킨다")
    tasks.enqueue([pipeline.Next("normalize", other, 1)])  # another release's step is waiting
    tasks.STEP_TASKS["normalize"](release_id, 1)
    assert _stage(release_id)[1] == "normalize"
    assert tasks._busy_until > 0  # remembered for a moment: the next steps go to the queue without asking
    assert queued_tasks(client) == [
        ("syndicate.pipeline.normalize", [other, 1]),
        ("syndicate.pipeline.credit", [release_id, 1]),
    ]


def test_a_step_that_fails_in_the_chain_is_queued_with_its_own_retries(
    client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    release_id = _submit("중간에 실패")
    real = pipeline.run_step

    def flaky(step: str, release: str, version: int, **kw: Any) -> list[pipeline.Next]:
        if step == "translate":
            raise OSError("database went away")
        return real(step, release, version, **kw)

    monkeypatch.setattr(pipeline, "run_step", flaky)
    tasks.STEP_TASKS["normalize"](release_id, 1)  # does not raise: the failed step is the queue's now
    assert _stage(release_id)[1] == "gate"
    assert queued_tasks(client) == [("syndicate.pipeline.translate", [release_id, 1])]
    monkeypatch.setattr(pipeline, "run_step", real)
    client.delete("pipeline")  # a worker took the queued step, and runs it:
    monkeypatch.setattr(tasks, "_busy_until", 0.0)
    tasks.STEP_TASKS["translate"](release_id, 1)
    assert _stage(release_id) == ("published", "publish")
