"""Seconds from a comms team's POST to the item in the RSS feed, through the real service.

Starts the service as `syndicate up` does (SQLite and the embedded Redis in a temporary data folder, an API
process and a worker with 2 processes), submits N releases one after another and polls the all-agencies RSS
feed until each appears. Prints every figure, the median and p95.

    python bench/latency.py [--n 10]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import create_key, free_port, service_env  # noqa: E402
from syndicate.embedded import EmbeddedRedis  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        redis = EmbeddedRedis(data)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = service_env(data, SYNDICATE_BROKER_URL=redis.start(), SYNDICATE_BASE_URL=base)
        run = [sys.executable, "-m", "syndicate"]
        subprocess.run([*run, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
        key = create_key(env, "incheon")
        procs = [
            subprocess.Popen(
                [*run, "api", "--port", str(port)],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
            subprocess.Popen(
                [*run, "worker", "--concurrency", "2"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
        ]
        try:
            client = httpx.Client(timeout=10)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if client.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            time.sleep(3)  # let the worker finish starting
            figures = []
            for i in range(args.n + 1):
                title = f"인천시 지연 측정 보도자료 {i}"
                start = time.perf_counter()
                answer = client.post(
                    f"{base}/api/v1/releases",
                    headers={"Authorization": f"Bearer {key}"},
                    json={"title": title, "body": "첫 문단.\n\n둘째 문단."},
                )
                answer.raise_for_status()
                while title.encode() not in client.get(f"{base}/feeds/ko/rss.xml").content:
                    if time.perf_counter() - start > 30:
                        raise SystemExit(f"release {i} did not reach the feed in 30 s")
                    time.sleep(0.01)
                if i:  # the first one warms up connections and imports
                    figures.append(time.perf_counter() - start)
            figures.sort()
            print("POST → item in /feeds/ko/rss.xml, seconds:", " ".join(f"{f:.3f}" for f in figures))
            p95 = figures[min(len(figures) - 1, round(0.95 * (len(figures) - 1)))]
            print(f"median {statistics.median(figures):.3f} s, p95 {p95:.3f} s (n={len(figures)})")
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(20)
            redis.stop()


if __name__ == "__main__":
    main()
