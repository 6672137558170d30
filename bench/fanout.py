"""Partner fan-out: signed ninjs pushes to 100 loopback partners through the real delivery path (Celery tasks on
the embedded Redis, 2 worker processes on the poll and deliver queues, delivery rows in SQLite), against a bare
async httpx POST loop sending the same number of bodies of the same size to the same receiver, measured in the
same run.

    python bench/fanout.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import PY, WORKER_GRACE, Result, embedded_broker, free_port, process, upgrade, wait_http, wait_ready

PARTNERS = 100


async def _bare(url: str, bodies: int, body: bytes, concurrency: int = 32) -> float:
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency)) as client:

        async def one(i: int) -> None:
            async with sem:
                answer = await client.post(
                    f"{url}/p{i % PARTNERS}", content=body, headers={"content-type": "application/json"}
                )
                answer.raise_for_status()

        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(bodies)))
        return bodies / (time.perf_counter() - start)


def _ours(log: Path, url: str, releases: int) -> tuple[float, int]:
    """Deliveries per second through the worker (started, writing ``log``), timed from the burst's enqueue."""
    from sqlalchemy import func, select

    from syndicate import pipeline
    from syndicate.model import RawRelease
    from syndicate.store import partners
    from syndicate.store.db import session
    from syndicate.store.tables import DeliveryRow
    from workers.tasks.pipeline import enqueue

    with session() as s:
        for i in range(PARTNERS):
            partners.create(s, name=f"partner-{i}", url=f"{url}/p{i}", secret="whsec_YmVuY2htYXJrLXNlY3JldA==")
    deliveries = []
    for i in range(releases):
        raw = RawRelease(title=f"배포 측정 {i}", body="첫 문단입니다.\n\n둘째 문단입니다.")
        release_id, _, _ = pipeline.submit(agency_id="incheon", raw=raw)
        follow = []
        for step in pipeline.STEPS:
            follow = pipeline.run_step(step, release_id, 1)
        deliveries += [n for n in follow if n.step == "deliver"]
    wait_ready(log)
    wait_http(f"{url}/")
    # Every release's pushes start together, like a burst of releases, and the clock starts before the first.
    start = time.perf_counter()
    enqueue(deliveries)
    total = releases * PARTNERS
    while True:
        with session() as s:
            done = s.scalar(select(func.count()).where(DeliveryRow.status == "delivered")) or 0
        if done >= total:
            break
        if time.perf_counter() - start > 600:
            raise SystemExit(f"only {done} of {total} deliveries after 600 s")
        time.sleep(0.02)
    return total / (time.perf_counter() - start), total


def run(quick: bool = False) -> list[Result]:
    releases = 1 if quick else 10  # quick: one release to the 100 partners
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with embedded_broker(tmp, SYNDICATE_ALLOW_HOSTS="127.0.0.1", SYNDICATE_LANGUAGES="") as env:
            receiver = [
                sys.executable,
                "-m",
                "uvicorn",
                "bench.receiver:app",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
            ]
            upgrade(env)  # before the worker opens the database
            log = tmp / "worker.log"
            # The worker consumes the queues of `syndicate up`'s worker for polls and pushes, so it does not load
            # the summarizer's models, which no delivery uses. It and the receiver start while this process fills
            # the database; nothing reaches the worker's queue before the timed burst.
            worker = [*PY, "worker", "--concurrency", "2", "--queues", "poll,deliver"]
            with process(receiver, env), process(worker, env, log, grace=WORKER_GRACE):
                ours, total = _ours(log, url, releases)
                body = b'{"type":"release.published","timestamp":"2026-11-25T00:00:00Z","data":' + b"x" * 3000 + b"}"
                bare = asyncio.run(_bare(url, total, body))
    ratio = ours / bare
    return [
        Result(
            "partner_fanout",
            {"deliveries_s": round(ours, 1), "bare_httpx_s": round(bare, 1), "deliveries": total, "partners": PARTNERS},
            "bare async httpx POST loop to the same receivers",
            round(ratio, 3),
            ">= 0.5",
            ratio >= 0.5,
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    for result in run(args.quick):
        result.show()


if __name__ == "__main__":
    main()
