"""The portal through the real service: seconds from the submit form to the release in the RSS feed, and how
long the main pages take to answer.

Starts an API process and a worker (2 processes) on SQLite and the embedded Redis in a temporary data folder,
signs in through the form, submits N releases through /submit (the browser's multipart POST, with its CSRF
token) and polls the all-agencies RSS feed until each appears; then times GETs of the main pages. Prints every
figure and the medians. The reference is the API's own path (bench/latency.py): the ratio printed is the
portal's median over the API's median, measured here the same way.

    python bench/portal.py [--n 10]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import create_key, free_port  # noqa: E402
from syndicate.embedded import EmbeddedRedis  # noqa: E402

PASSWORD = "bench password 1"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _until_in_feed(client: httpx.Client, base: str, title: str, start: float) -> float:
    while title.encode() not in client.get(f"{base}/feeds/ko/rss.xml").content:
        if time.perf_counter() - start > 30:
            raise SystemExit(f"{title!r} did not reach the feed in 30 s")
        time.sleep(0.01)
    return time.perf_counter() - start


def _portal_submit(client: httpx.Client, base: str, title: str) -> str:
    token = TOKEN.search(client.get(f"{base}/submit").text)
    assert token
    answer = client.post(
        f"{base}/submit",
        data={"csrf_token": token.group(1), "title": title, "body": "첫 문단.\n\n둘째 문단."},
        files={"attachments": ("", b"", "application/octet-stream")},
    )
    assert answer.status_code == 303, answer.text[:500]
    return answer.headers["location"]


def _median_ms(client: httpx.Client, url: str, n: int = 20) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        client.get(url).raise_for_status()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        redis = EmbeddedRedis(data)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}
        env.update(SYNDICATE_DATA_DIR=str(data), SYNDICATE_BROKER_URL=redis.start(), SYNDICATE_BASE_URL=base)
        run = [sys.executable, "-m", "syndicate"]
        subprocess.run([*run, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
        user = ["users", "create", "--agency", "incheon", "--email", "bench@incheon.go.kr", "--password", PASSWORD]
        subprocess.run([*run, *user], env=env, cwd=ROOT, check=True, capture_output=True)
        key = create_key(env, "incheon")
        quiet = {"env": env, "cwd": ROOT, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        procs = [
            subprocess.Popen([*run, "api", "--port", str(port)], **quiet),  # type: ignore[call-overload]
            subprocess.Popen([*run, "worker", "--concurrency", "2"], **quiet),  # type: ignore[call-overload]
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
            token = TOKEN.search(client.get(f"{base}/login").text)
            assert token
            client.post(
                f"{base}/login",
                data={"csrf_token": token.group(1), "email": "bench@incheon.go.kr", "password": PASSWORD},
            )

            portal, api = [], []
            release_page = ""
            for i in range(args.n + 1):
                title = f"인천시 포털 측정 보도자료 {i}"
                start = time.perf_counter()
                release_page = _portal_submit(client, base, title)
                portal_s = _until_in_feed(client, base, title, start)
                title = f"인천시 API 측정 보도자료 {i}"
                start = time.perf_counter()
                client.post(
                    f"{base}/api/v1/releases",
                    headers={"Authorization": f"Bearer {key}"},
                    json={"title": title, "body": "첫 문단.\n\n둘째 문단."},
                ).raise_for_status()
                api_s = _until_in_feed(client, base, title, start)
                if i:  # the first round warms up connections and imports
                    portal.append(portal_s)
                    api.append(api_s)
            print("portal submit → item in /feeds/ko/rss.xml, s:", " ".join(f"{f:.3f}" for f in sorted(portal)))
            print("API POST → item in /feeds/ko/rss.xml, s:   ", " ".join(f"{f:.3f}" for f in sorted(api)))
            pm, am = statistics.median(portal), statistics.median(api)
            print(f"median portal {pm:.3f} s, API {am:.3f} s, ratio {pm / am:.2f} (n={len(portal)})")

            public = release_page.replace("/my/releases/", "/releases/")
            for path in ("/healthz", "/", "/directory", "/archive", "/archive?q=포털", public, release_page, "/my"):
                print(f"GET {path}: median {_median_ms(client, base + path):.1f} ms")
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(20)
            redis.stop()


if __name__ == "__main__":
    main()
