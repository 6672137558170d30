"""Memory of `syndicate up` (every process it runs: API, worker and its pool, beat, embedded Redis): idle,
after a batch of releases, and after two further batches, which must not grow it.

    python bench/memory.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import httpx
import psutil

from bench.common import (
    POLL,
    PY,
    WORKER_GRACE,
    Result,
    create_key,
    free_port,
    process,
    service_env,
    wait_http,
    wait_ready,
)


def _memory_mb(pid: int) -> tuple[float, float]:
    """(PSS, RSS) of a process and all its descendants, in MB. PSS divides each shared page among the processes
    that map it, so the worker's forked pool (which shares the Korean model with its parent) is counted once;
    RSS counts shared pages once per process and so overstates what the service costs."""
    root = psutil.Process(pid)
    pss = rss = 0
    for proc in [root, *root.children(recursive=True)]:
        try:
            info = proc.memory_full_info()
        except psutil.NoSuchProcess:
            continue
        pss += getattr(info, "pss", info.rss)
        rss += info.rss
    return pss / 2**20, rss / 2**20


async def _submit(base: str, key: str, start: int, n: int) -> list[str]:
    sem = asyncio.Semaphore(8)
    async with httpx.AsyncClient(timeout=30) as client:

        async def one(i: int) -> str:
            async with sem:
                answer = await client.post(
                    f"{base}/api/v1/releases",
                    headers={"Authorization": f"Bearer {key}"},
                    json={"title": f"메모리 측정 {i}", "body": f"첫 문단 {i}.\n\n둘째 문단 {i}.", "category": "mem"},
                )
                answer.raise_for_status()
                return str(answer.json()["id"])

        return list(await asyncio.gather(*(one(i) for i in range(start, start + n))))


def _wait_published(base: str, key: str, ids: list[str], timeout: float) -> None:
    client = httpx.Client(timeout=10)
    deadline = time.monotonic() + timeout
    for release_id in reversed(ids):
        while (
            client.get(f"{base}/api/v1/releases/{release_id}", headers={"Authorization": f"Bearer {key}"}).json()[
                "status"
            ]
            != "published"
        ):
            if time.monotonic() > deadline:
                raise SystemExit("releases did not all publish in time")
            time.sleep(POLL)


def run(quick: bool = False) -> list[Result]:
    first, further = (10, 5) if quick else (10_000, 1_000)
    # Seconds for the service to settle before each reading (the last renders, the allocator's frees).
    settle = 0.5 if quick else 3
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        # No target language: offline, the default (English through Google) would only measure pending retries.
        env = service_env(tmp / "data", SYNDICATE_BASE_URL=base, SYNDICATE_LANGUAGES="")
        # The key first (it creates the database): `syndicate up` then finds it up to date, and nothing but the
        # service itself runs inside its processes.
        key = create_key(env, "incheon")
        log = tmp / "up.log"
        with process([*PY, "up", "--port", str(port)], env, log, grace=WORKER_GRACE) as up:
            wait_http(f"{base}/healthz")
            # Idle means everything started: both workers consuming (the pipeline worker has its Korean model).
            wait_ready(log, count=2)
            time.sleep(settle)
            idle, idle_rss = _memory_mb(up.pid)
            sizes = []
            start = 0
            for n in (first, further, further):
                ids = asyncio.run(_submit(base, key, start, n))
                start += n
                _wait_published(base, key, ids, timeout=max(120, n / 5))
                time.sleep(settle)
                sizes.append(_memory_mb(up.pid)[0])
    growth = sizes[2] - sizes[1]
    # Allocators hold some slack; more than 5% between two equal batches is growth, not noise.
    steady = growth <= 0.05 * sizes[1]
    return [
        Result(
            "memory_up",
            {
                "measure": "PSS of every process of `syndicate up`",
                "idle_mb": round(idle, 1),
                "idle_rss_mb": round(idle_rss, 1),
                f"after_{first}_mb": round(sizes[0], 1),
                f"after_+{further}_mb": round(sizes[1], 1),
                f"after_+{further}_again_mb": round(sizes[2], 1),
                "growth_between_last_two_mb": round(growth, 1),
            },
            "—",
            None,
            "report both; no growth between two further batches",
            steady,
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
