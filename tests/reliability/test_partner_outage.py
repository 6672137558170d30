"""A partner down for a while, then back: every message arrives, in version order per release, and a message
that arrives twice carries the same webhook-id both times.

Real processes: `syndicate up` (API, pipeline worker, the poll/deliver worker, beat with its delivery sweep) on
the test database and broker, and a loopback partner that verifies the Standard Webhooks signature and validates
the ninjs. The partner first refuses connections (nothing listens on its port), then answers 500, then comes
back. Meanwhile releases are submitted, corrected (several versions) and one is retracted. The test judges only
what the partner received and the delivery log, not how the sender works.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable

import pytest
from sqlalchemy import select

from syndicate import partners, pipeline
from syndicate.config import get_settings
from syndicate.model import RawRelease
from syndicate.store.db import session
from syndicate.store.tables import ReleaseRow
from tests.conftest import figure, free_port, wait_for
from tests.publish.partner_server import Partner, Server, dump
from tests.reliability.conftest import Service

pytestmark = pytest.mark.slow

#: Each phase of the outage lasts at least this long (seconds).
PHASE = 6.0
RANK = {"release.published": 0, "release.updated": 1, "release.retracted": 2}


@pytest.fixture
def outage_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    # Retries every 1–3 s for about 50 s in all: longer than the outage, so nothing should go dead.
    monkeypatch.setenv("SYNDICATE_DELIVERY_SCHEDULE", "1,1,2,2" + ",3" * 16)
    monkeypatch.setenv("SYNDICATE_DELIVERY_TIMEOUT", "2")
    monkeypatch.setenv("SYNDICATE_SUBMIT_PER_MINUTE", "0")
    monkeypatch.setenv("SYNDICATE_STALL_SECONDS", "5")
    get_settings.cache_clear()


def _enqueue(steps: list[pipeline.Next]) -> None:
    from workers.tasks.pipeline import enqueue

    enqueue(steps)


def _published_version(release_id: str) -> int:
    with session() as s:
        return int(s.scalar(select(ReleaseRow.published_version).where(ReleaseRow.id == release_id)) or 0)


def _submit(title: str) -> str:
    release_id, _, steps = pipeline.submit(agency_id="incheon", raw=RawRelease(title=title, body=f"{title} 본문."))
    _enqueue(steps)
    wait_for(lambda: _published_version(release_id) == 1, 60, what=f"{title} published")
    return release_id


def _correct(release_id: str, title: str, version: int) -> None:
    number, steps = pipeline.correct(
        release_id, agency_id="incheon", raw=RawRelease(title=title, body=f"{title} 고친 본문 {version}.")
    )
    assert number == version
    _enqueue(steps)
    wait_for(lambda: _published_version(release_id) == version, 60, what=f"{title} v{version} published")


def _phase(work: Callable[[], None]) -> None:
    started = time.monotonic()
    work()
    time.sleep(max(0.0, PHASE - (time.monotonic() - started)))


def test_partner_down_then_back_gets_every_version_in_order(outage_settings: None, service: Service) -> None:
    port = free_port()
    partner_id, secret = partners.add_partner(name="Outage", url=f"http://127.0.0.1:{port}/outage")
    receiver = Partner(secret=secret, always_fail=True)
    ids: dict[str, str] = {}

    def refused() -> None:  # nothing listens on the partner's port
        for name in "ABCD":
            ids[name] = _submit(f"장애 중 보도자료 {name}")
        for name in "ABC":
            _correct(ids[name], f"장애 중 보도자료 {name} 정정", 2)
        for name in "AB":
            _correct(ids[name], f"장애 중 보도자료 {name} 재정정", 3)

    def failing() -> None:  # the partner answers 500 to everything
        for name in "EF":
            ids[name] = _submit(f"장애 중 보도자료 {name}")
        _correct(ids["E"], "장애 중 보도자료 E 정정", 2)
        _enqueue(pipeline.retract(ids["D"], agency_id="incheon", reason="outage test"))

    _phase(refused)
    server = Server(port)
    try:
        server.partners["outage"] = receiver
        _phase(failing)
        refused_or_failed = receiver.requests
        assert refused_or_failed > 0, "the partner should have been tried while it answered 500"
        receiver.always_fail = False
        back_at = time.monotonic()
        expected = 3 + 3 + 2 + 1 + 2 + 1 + 1  # A..F's versions and D's retraction

        def all_delivered() -> bool:
            log = partners.delivery_log(partner_id)
            return len(log) == expected and all(d["status"] == "delivered" for d in log)

        try:
            wait_for(all_delivered, 120, interval=0.25, what=f"all {expected} messages delivered")
        except AssertionError as exc:
            log = [(d["release_id"], d["version"], d["type"], d["status"]) for d in partners.delivery_log(partner_id)]
            raise AssertionError(f"{exc}\n{dump(log)}\n{service.log()}") from None
        recovery = max(r.at for r in receiver.accepted) - back_at
    finally:
        server.close()

    assert not receiver.problems, receiver.problems
    log = partners.delivery_log(partner_id)
    by_release: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    ids_of: dict[tuple[str, int, str], set[str]] = defaultdict(set)
    for got in receiver.accepted:
        release_id = got.data["uri"].rsplit("/", 1)[-1]
        version = int(got.data["version"])
        by_release[release_id].append((version, RANK[got.type], got.webhook_id))
        ids_of[(release_id, version, got.type)].add(got.webhook_id)

    # Every message in the log arrived, and only those.
    assert {d["webhook_id"] for d in log} == {r.webhook_id for r in receiver.accepted}
    # Each (release, version, event) came with one webhook-id; repeats (if any) reuse it.
    new_id_duplicates = sum(len(v) - 1 for v in ids_of.values())
    assert new_id_duplicates == 0, dump({str(k): sorted(v) for k, v in ids_of.items() if len(v) > 1})
    # Version order per release, as the partner saw it.
    for release_id, seen in by_release.items():
        order = [(v, rank) for v, rank, _ in seen]
        assert order == sorted(order), (release_id, order)
    # Every release's latest state reached the partner.
    finals = {ids[n]: 3 for n in "AB"} | {ids["C"]: 2, ids["E"]: 2, ids["F"]: 1}
    for release_id, version in finals.items():
        assert max(v for v, _, _ in by_release[release_id]) == version, release_id
    assert (1, RANK["release.retracted"]) in [(v, r) for v, r, _ in by_release[ids["D"]]]
    assert service.alive(), service.log()

    figure("partner_outage.messages", expected)
    figure("partner_outage.lost", expected - len({d["webhook_id"] for d in log if d["status"] == "delivered"}))
    figure("partner_outage.duplicates_same_id", len(receiver.accepted) - len({r.webhook_id for r in receiver.accepted}))
    figure("partner_outage.duplicates_new_id", new_id_duplicates)
    figure("partner_outage.failed_attempts_while_down", sum(len(d["log"]) for d in log) - len(log))
    figure("partner_outage.recovery_s", f"{recovery:.1f}")
