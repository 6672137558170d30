"""Serving a cached ~200 KB feed, and answering its conditional GET with 304, against nginx serving the same
bytes from a file with the same worker count (one each), both measured with wrk in this run.

    python bench/feeds.py [--seconds 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import httpx

from bench.common import PY, Result, free_port, median, nginx, process, service_env, upgrade, wait_http, wrk


def _fill(target_bytes: int) -> None:
    """Publish releases until the all-agencies Korean RSS feed is about target_bytes (in the service that
    ``use_service`` pointed this process at)."""
    from syndicate import pipeline, syndication
    from syndicate.model import RawRelease

    paragraph = "인천광역시는 25일 청년 일자리 확대를 위한 종합 계획을 발표했다. " * 16
    i = 0
    while len(syndication.get_document("ko", "rss.xml").body) < target_bytes:
        if i > 200:
            raise SystemExit("the feed does not grow to the target size; raise SYNDICATE_FEED_ITEMS")
        for _ in range(10):
            raw = RawRelease(title=f"인천시 벤치마크 보도자료 {i}", body=f"{paragraph}\n\n{paragraph}", language="ko")
            release_id, _, _ = pipeline.submit(agency_id="incheon", raw=raw)
            for step in pipeline.STEPS:
                pipeline.run_step(step, release_id, 1)
            i += 1


def run(seconds: int = 5, rounds: int = 3) -> list[Result]:
    if not shutil.which("nginx") or not shutil.which("wrk"):
        raise SystemExit("needs nginx and wrk (Debian: apt-get install nginx-light wrk)")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        # No target language: the default (English through Google) would wait on a provider this bench never needs.
        env = service_env(tmp / "data", SYNDICATE_FEED_ITEMS="60", SYNDICATE_LANGUAGES="")
        upgrade(env)  # before the API opens the database
        api_port = free_port()
        # The API starts (imports) while this process fills the feed; nothing is timed until both are done.
        with process([*PY, "api", "--port", str(api_port)], env, tmp / "api.log"):
            _fill(200_000)
            api_url = f"http://127.0.0.1:{api_port}/feeds/ko/rss.xml"
            wait_http(api_url)
            body = httpx.get(api_url).content
            etag = httpx.get(api_url).headers["etag"]
            root = tmp / "www" / "feeds" / "ko"
            root.mkdir(parents=True)
            (root / "rss.xml").write_bytes(body)
            with nginx(tmp, tmp / "www") as nginx_base:
                nginx_url = f"{nginx_base}/feeds/ko/rss.xml"
                wait_http(nginx_url)
                check = httpx.get(nginx_url)
                if check.status_code != 200 or check.content != body:
                    raise SystemExit(f"nginx does not serve the feed: {check.status_code}")
                nginx_etag = check.headers["etag"]
                ours, theirs, ours304, theirs304 = [], [], [], []
                for _ in range(rounds):
                    theirs.append(wrk(nginx_url, seconds))
                    ours.append(wrk(api_url, seconds))
                    theirs304.append(wrk(nginx_url, seconds, headers={"If-None-Match": nginx_etag}))
                    ours304.append(wrk(api_url, seconds, headers={"If-None-Match": etag}))
    size = len(body)
    r200 = median(ours) / median(theirs)
    r304 = median(ours304) / median(theirs304)
    return [
        Result(
            "feed_200",
            {
                "bytes": size,
                "req_s": round(median(ours)),
                "nginx_req_s": round(median(theirs)),
                "runs": [round(x) for x in ours],
            },
            "nginx, same bytes from a file, 1 worker",
            round(r200, 3),
            ">= 0.7",
            r200 >= 0.7,
        ),
        Result(
            "feed_304",
            {"req_s": round(median(ours304)), "nginx_req_s": round(median(theirs304))},
            "nginx 304 on the same file, 1 worker",
            round(r304, 3),
            ">= 0.3",
            r304 >= 0.3,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for result in run(args.seconds, args.rounds):
        result.show()


if __name__ == "__main__":
    main()
