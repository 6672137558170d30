"""The batch sender (syndicate.fanout) against real loopback partners that verify Standard Webhooks signatures:
version order, bounded concurrency, a stalled partner delaying nobody, Retry-After, dead letters and their
metrics, and a worker killed mid-send losing nothing."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from syndicate import fanout
from syndicate import partners as partners_module
from syndicate.config import get_settings
from syndicate.store import deliveries as store
from syndicate.store.db import session
from syndicate.store.tables import DeliveryRow, utcnow
from tests.conftest import Proc, kill_hard, wait_for
from tests.publish import flow
from tests.publish.partner_server import Server


def _settings(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for key, value in values.items():
        monkeypatch.setenv(f"SYNDICATE_{key.upper()}", value)
    get_settings.cache_clear()


def _add(partners: Server, name: str, **behaviour: Any) -> tuple[str, Any]:
    partner, url = partners.partner(name, **behaviour)
    partner_id, partner.secret = partners_module.add_partner(name=name, url=url)
    return partner_id, partner


def _rows(partner_id: str) -> list[DeliveryRow]:
    with session() as s:
        return sorted(store.for_partner(s, partner_id), key=lambda r: r.id)


def test_one_run_sends_everything_due_in_version_order(database: str, partners: Server) -> None:
    added = [_add(partners, f"p{i}") for i in range(3)]
    first, _ = flow.publish("첫 보도자료")
    flow.correct(first, "첫 보도자료 (정정)")
    flow.publish("둘째 보도자료")
    # Version 2 is due only once version 1 is delivered: the same run picks it up after recording version 1.
    assert fanout.run() == 9
    for partner_id, partner in added:
        assert not partner.problems, partner.problems
        rows = _rows(partner_id)
        assert [r.status for r in rows] == ["delivered"] * 3
        assert sorted(r.webhook_id for r in partner.accepted) == sorted(r.webhook_id for r in rows)
        of_first = [(r.type, r.data["version"]) for r in partner.accepted if r.data["uri"].endswith(first)]
        assert of_first == [("release.published", "1"), ("release.updated", "2")]
        log = partners_module.delivery_log(partner_id)
        assert all([a["status_code"] for a in d["log"]] == [204] for d in log)
    assert fanout.run() == 0  # nothing left


def test_concurrency_is_bounded_per_partner_and_overall(
    database: str, partners: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    _settings(monkeypatch, delivery_partner_concurrency="2", delivery_concurrency="8")
    busy_id, busy = _add(partners, "busy", stall=0.3)
    for i in range(6):  # six releases: messages to one partner that need not wait for each other
        flow.publish(f"보도자료 {i}")
    assert fanout.run() == 6
    assert busy.peak == 2, busy.peak
    assert [r.status for r in _rows(busy_id)] == ["delivered"] * 6

    _settings(monkeypatch, delivery_partner_concurrency="4", delivery_concurrency="3")
    for i in range(6):
        flow.publish(f"또 보도자료 {i}")
    busy.peak = 0
    assert fanout.run() == 6
    assert busy.peak == 3, busy.peak


def test_a_stalled_partner_delays_nobody(database: str, partners: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    _settings(monkeypatch, delivery_timeout="2", delivery_schedule="60")
    slow_id, _slow = _add(partners, "slow", stall=6)
    _fast_id, fast = _add(partners, "fast")
    started = time.monotonic()
    flow.publish()
    assert fanout.run() == 2
    elapsed = time.monotonic() - started
    assert len(fast.accepted) == 1
    assert fast.accepted[0].at - started < 2, "the fast partner waited for the stalled one"
    assert elapsed >= 2  # the run itself waited for the stalled attempt's timeout, and no longer
    (row,) = _rows(slow_id)
    assert row.status == "pending" and (row.last_error or "").startswith("timeout")
    assert row.next_attempt_at is not None and row.next_attempt_at > utcnow() + timedelta(seconds=40)


def test_retry_after_dead_letters_and_their_metrics(
    database: str, partners: Server, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _settings(monkeypatch, delivery_schedule="1")
    busy_id, _ = _add(partners, "busy", status=503, retry_after="300")
    broken_id, broken = _add(partners, "broken", always_fail=True)
    ok_id, _ = _add(partners, "ok")
    flow.publish()
    before = utcnow()
    assert fanout.run() == 3
    (busy_row,) = _rows(busy_id)
    assert busy_row.status == "pending" and busy_row.next_attempt_at is not None
    assert (busy_row.next_attempt_at - before).total_seconds() >= 299  # Retry-After, not the schedule's 1 s
    with session() as s:  # the broken partner's retry falls due (time travel past the 1 s of the schedule)
        s.execute(update(DeliveryRow).where(DeliveryRow.partner_id == broken_id).values(next_attempt_at=utcnow()))
    assert fanout.run() == 1
    assert broken.requests == 2 and [r.status for r in _rows(broken_id)] == ["dead"]
    assert fanout.run() == 0, "a dead letter is not sent again until replayed"

    metrics = client.get("/metrics").text
    assert f'syndicate_partner_deliveries{{partner_id="{broken_id}",status="dead"}} 1.0' in metrics
    assert f'syndicate_partner_delivery_attempts{{outcome="failed",partner_id="{broken_id}"}} 2.0' in metrics
    assert f'syndicate_partner_delivery_attempts{{outcome="ok",partner_id="{ok_id}"}} 1.0' in metrics
    assert f'syndicate_partner_delivery_attempts{{outcome="failed",partner_id="{busy_id}"}} 1.0' in metrics

    broken.always_fail = False
    assert partners_module.replay(broken_id) == (broken_id, 1)
    assert fanout.run() == 1
    assert [r.status for r in _rows(broken_id)] == ["delivered"] and len(broken.accepted) == 1


@pytest.mark.e2e
def test_a_worker_killed_mid_send_loses_nothing(
    database: str, broker: str, partners: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers.tasks.pipeline import enqueue

    _settings(monkeypatch, delivery_timeout="10")
    partner_id, partner = _add(partners, "stuck", stall=30)
    worker = Proc(["worker", "--concurrency", "2"], tmp_path / "worker.log")
    try:
        wait_for(lambda: "ready." in worker.output() or worker.popen.poll() is not None, 60, what="worker ready")
        _, rest = flow.publish()
        enqueue([n for n in rest if n.step == "deliver"])
        wait_for(lambda: partner.requests == 1, 30, what="the message in flight")
        kill_hard(worker)
    finally:
        worker.stop()
    (row,) = _rows(partner_id)
    # Taken with a lease: pending, its attempt counted, and left alone by other senders until the lease runs out
    # (a send may still be on its way when a worker looks dead).
    assert row.status == "pending" and row.attempts == 1 and row.claim_token is not None
    assert row.next_attempt_at is not None and row.next_attempt_at > utcnow() + timedelta(seconds=30)
    assert fanout.run() == 0

    with session() as s:  # the lease runs out (time travel)
        s.execute(update(DeliveryRow).where(DeliveryRow.id == row.id).values(next_attempt_at=utcnow()))
    partner.stall = 0
    assert fanout.run() == 1
    (row,) = _rows(partner_id)
    assert row.status == "delivered" and row.attempts == 2 and row.claim_token is None
    assert [r.webhook_id for r in partner.accepted] == [row.webhook_id] and not partner.problems


def test_sender_slots_bound_the_runs_taking_messages(
    database: str, broker: str, partners: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers.celery_app import broker_redis
    from workers.tasks.deliver import SENDER_SLOT, due

    _settings(monkeypatch, delivery_senders="1")
    _, partner = _add(partners, "p")
    flow.publish()
    client = broker_redis()
    assert client is not None
    running = client.lock(SENDER_SLOT.format(0), timeout=30)
    assert running.acquire(blocking=False)
    # Another run holds the one slot: it looks for newly due messages itself, so this task ends at once.
    assert due() == 0 and partner.requests == 0
    running.release()
    assert due() == 1 and len(partner.accepted) == 1
    assert client.get(SENDER_SLOT.format(0)) is None, "the slot is given back when the run ends"
