"""Bad sources do not delay good ones: two sources that accept and never answer, one that drips its answer a
byte at a time (status line and headers included), one that answers 500 and one that serves garbage are polled
again and again beside three healthy sources, which publish new items meanwhile.

Real processes: `syndicate up` (the pipeline worker, the poll/deliver worker, beat's poll sweep) on the test
database and broker; every source is a loopback server (the SSRF guard allows 127.0.0.1 in tests).

"For a day" is simulated by compressing the service's clock: SYNDICATE_TIME_SCALE=1/1440 makes a minute of the
test stand for a day. Poll intervals and the error backoff (60 s doubling to its 6 h cap, ±20% jitter) shrink
accordingly, the poll sweep runs every 0.5 s (its floor), and the healthy sources are polled at every sweep.
The network timeouts are not compressed: a hung source holds a worker thread for the whole read timeout (20 s)
each time it is polled, which, with its backoff compressed, is nearly all the time. Meanwhile the healthy
sources' new items must become releases within about one poll sweep (the median; the slowest, on a loaded machine,
within half the time a hung source holds a worker).
"""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
from sqlalchemy import select

from syndicate import catalog, polling
from syndicate.config import get_settings
from syndicate.model import Source
from syndicate.store.db import session
from syndicate.store.tables import ReleaseRow
from tests.conftest import figure, wait_for
from tests.ingest.server import Answer, Loopback, rss, serve
from tests.reliability.conftest import Service

pytestmark = pytest.mark.slow

SCALE = 1 / 1440
READ_TIMEOUT = 20.0
TOTAL_TIMEOUT = 30.0
SWEEP = 0.5  # the poll sweep's period at this scale (workers/schedule.py's floor)
#: Run this long after the first healthy item (seconds).
DURATION = 60.0
#: Time for a poll to fetch, parse and store, on top of the wait for the poll: typically (the median) and at
#: worst on a loaded, shared two-core machine. Both are well under the READ_TIMEOUT a hung source holds a
#: worker for, which is what a healthy source would wait if the bad ones could take its worker.
TYPICAL = 2.0
WORST = READ_TIMEOUT / 2
HEALTHY = ("good-a", "good-b", "good-c")


@pytest.fixture
def compressed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNDICATE_TIME_SCALE", str(SCALE))
    monkeypatch.setenv("SYNDICATE_FETCH_CONNECT_TIMEOUT", "5")
    monkeypatch.setenv("SYNDICATE_FETCH_READ_TIMEOUT", str(READ_TIMEOUT))
    monkeypatch.setenv("SYNDICATE_FETCH_TOTAL_TIMEOUT", str(TOTAL_TIMEOUT))
    get_settings.cache_clear()


def _release_exists(identity: str) -> bool:
    with session() as s:
        return s.scalar(select(ReleaseRow.id).where(ReleaseRow.identity == identity)) is not None


def _health() -> dict[str, dict[str, Any]]:
    return {source["id"]: source["health"] for source in polling.source_health()}


class Feeds:
    """The healthy sources' feeds, to which the test adds items."""

    def __init__(self, site: Loopback) -> None:
        self.site = site
        self.items: dict[str, list[tuple[str, str, str]]] = {name: [] for name in HEALTHY}
        for name in HEALTHY:
            self.add(name)

    def add(self, name: str) -> str:
        number = len(self.items[name]) + 1
        guid = f"{name}-{number}"
        self.items[name].insert(0, (guid, f"{name} 새 소식 {number}", f"{name}의 {number}번째 보도자료입니다."))
        self.site.route(f"/{name}.xml", Answer(200, rss(self.items[name]), {"Content-Type": "application/rss+xml"}))
        return f"guid:{name}:{guid}"


def test_bad_sources_do_not_delay_the_healthy_ones(compressed_clock: None, service: Service) -> None:
    with serve() as site:
        feeds = Feeds(site)
        site.route("/hung-1.xml", Answer(200, rss([("h", "없음", "없음")]), delay=3600))
        site.route("/hung-2.xml", Answer(200, rss([("h", "없음", "없음")]), delay=3600))
        # A header that never ends: the whole answer must be bounded, not each read.
        endless = {"X-Padding": "x" * 100_000}
        site.route("/drip.xml", Answer(200, rss([("d", "느림", "느림")]), endless, drip=0.5))
        site.route("/error.xml", Answer(500, b"internal error"))
        site.route("/garbage.xml", Answer(200, os.urandom(3000), {"Content-Type": "application/rss+xml"}))
        bad = {"hung-1": "timeout", "hung-2": "timeout", "drip": "timeout", "error": "http_status", "garbage": "parse"}
        _, skipped = catalog.add_runtime(
            [
                Source(id=name, agency="incheon", url=f"{site.base}/{name}.xml", interval_minutes=1)
                for name in (*bad, *HEALTHY)
            ]
        )
        assert not skipped, skipped
        # The sweep picks every source up at once; wait for the healthy ones' first items.
        for name in HEALTHY:
            wait_for(lambda n=name: _release_exists(f"guid:{n}:{n}-1"), 60, what=f"{name}'s first item")  # type: ignore[misc]

        seen: list[tuple[str, float, float]] = []  # (identity, latency, the source's poll interval) per new item
        started = time.monotonic()
        turn = 0
        while time.monotonic() - started < DURATION:
            name = HEALTHY[turn % len(HEALTHY)]
            turn += 1
            interval = (_health()[name]["interval_seconds"] or 60) * SCALE
            identity = feeds.add(name)
            published_at = time.monotonic()
            try:
                wait_for(lambda i=identity: _release_exists(i), 60, interval=0.05, what=identity)  # type: ignore[misc]
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n{_health()}\n{service.log()}") from None
            seen.append((identity, time.monotonic() - published_at, interval))
            time.sleep(2.0)

        health = _health()
        hits = {name: [r.at for r in site.hits(f"/{name}.xml")] for name in bad}

    latencies = sorted(latency for _, latency, _ in seen)
    median = latencies[len(latencies) // 2]
    typical = sorted(interval for _, _, interval in seen)[len(seen) // 2] + SWEEP + TYPICAL
    detail = [(identity, round(latency, 2), round(interval, 2)) for identity, latency, interval in seen]
    assert median <= typical, (f"median {median:.2f} s > {typical:.2f} s", detail)
    assert latencies[-1] <= WORST, (f"max {latencies[-1]:.2f} s > {WORST:.2f} s", detail)
    for name, kind in bad.items():
        state = health[name]
        assert state["status"] == "failing", (name, state)
        assert state["last_error"]["kind"] == kind, (name, state["last_error"])
        assert state["consecutive_errors"] >= 2, (name, state)
    for name in ("error", "garbage"):  # the fast failures show the backoff: each wait longer than the last
        gaps = [b - a for a, b in zip(hits[name], hits[name][1:], strict=False)]
        assert len(gaps) >= 3 and gaps[-1] > 2 * gaps[0], (name, [round(g, 1) for g in gaps])
    for name in HEALTHY:
        assert health[name]["status"] == "ok" and health[name]["consecutive_errors"] == 0, health[name]
    assert service.alive(), service.log()

    figure("bad_sources.healthy_items", len(latencies))
    figure("bad_sources.healthy_latency_p50_s", f"{median:.2f}")
    figure("bad_sources.healthy_latency_max_s", f"{latencies[-1]:.2f}")
    figure("bad_sources.bad_polls", sum(len(h) for h in hits.values()))
    figure("bad_sources.bad_errors_recorded", sum(health[name]["consecutive_errors"] for name in bad))
    figure("bad_sources.simulated_hours", f"{(time.monotonic() - started) / SCALE / 3600:.1f}")
    figure("bad_sources.simulated_hours_per_real_minute", f"{60 / SCALE / 3600:.0f}")
