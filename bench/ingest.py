"""Polling throughput: N loopback feeds polled through the real ingest path, against bare feedparser.

Serves N RSS feeds of K Korean releases each on 127.0.0.1 (text from the Naju corpus). A first round polls
every feed (untimed: it creates the releases). Then each timed round changes half of the feeds (new items in
front) and leaves the other half unchanged (304 to the conditional GET), and polls all N through
``syndicate.polling.poll``: guarded HTTP fetch, charset handling, hostile-XML check, feedparser, identity,
near-duplicate fingerprint and dedupe against a SQLite database, health and schedule bookkeeping.
``--full`` also runs normalize → credit → publish for every new release in this process.

The reference is bare ``feedparser.parse`` on the same bytes of the changed feeds. Prints items/s for both and
the ratio (ours / feedparser), medians over the rounds.

    python bench/ingest.py [--feeds 500] [--items 10] [--rounds 3] [--quick] [--full]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _feed(index: int, version: int, items: int, texts: list[str]) -> bytes:
    entries = []
    for k in range(items):
        n = version * items + k  # a new version pushes new items in front
        # Distinct releases: six sentences drawn per item, so no two items are near-duplicates of each other.
        text = " ".join(random.Random(index * 1_000_003 + n).sample(texts, 6))
        entries.append(
            f'<item><title>피드 {index} 보도자료 {n}</title><guid isPermaLink="false">f{index}-{n}</guid>'
            f"<link>https://www.example.go.kr/f{index}/{n}</link><description><![CDATA[<p>{text}</p>"
            f"<p>(피드 {index}, 글 {n})</p>]]></description>"
            f"<pubDate>Thu, 18 Sep 2025 {n % 24:02d}:00:00 +0900</pubDate>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>시청 {index} 보도자료</title><link>https://www.example.go.kr/</link><description>d</description>"
        + "".join(reversed(entries))
        + "</channel></rss>"
    ).encode()


class Feeds:
    def __init__(self, count: int, items: int, texts: list[str]) -> None:
        self.count, self.items, self.texts = count, items, texts
        self.version = [0] * count
        self.cache: dict[tuple[int, int], bytes] = {}

    def body(self, index: int) -> bytes:
        key = (index, self.version[index])
        if key not in self.cache:
            self.cache[key] = _feed(index, self.version[index], self.items, self.texts)
        return self.cache[key]


def _serve(feeds: Feeds) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            index = int(self.path.strip("/").split(".")[0])
            etag = f'"{index}-{feeds.version[index]}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = feeds.body(index)
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="40 feeds of 5 items, 3 rounds")
    parser.add_argument("--full", action="store_true", help="also normalize, credit and publish new releases")
    args = parser.parse_args()
    if args.quick:
        args.feeds, args.items = 40, 5

    folder = Path(tempfile.mkdtemp(prefix="syndicate-bench-ingest-"))
    registry = folder / "registry"
    (registry / "sources").mkdir(parents=True)
    shutil.copy(ROOT / "feeds" / "agencies.toml", registry / "agencies.toml")
    os.environ.update(
        {
            "SYNDICATE_DATA_DIR": str(folder / "data"),
            "SYNDICATE_DATABASE_URL": f"sqlite:///{folder / 'data' / 'syndicate.db'}",
            "SYNDICATE_REGISTRY_DIR": str(registry),
            "SYNDICATE_ALLOW_HOSTS": "127.0.0.1",
        }
    )
    import feedparser
    import httpx

    from syndicate import catalog, pipeline, polling
    from syndicate.config import get_settings
    from syndicate.ingest.fetch import make_client
    from syndicate.model import Source
    from syndicate.store.migrate import upgrade_and_sync

    corpus = json.loads((ROOT / "tests/fixtures/normalize/naju_releases.json").read_text(encoding="utf-8"))
    texts = [s for item in corpus for s in re.split(r"(?<=다\.)\s+", item["content"]) if len(s) > 30]
    feeds = Feeds(args.feeds, args.items, texts)
    server, base = _serve(feeds)
    upgrade_and_sync()
    catalog.add_runtime(
        [Source(id=f"bench-{i}", agency="naju", url=f"{base}/{i}.xml", interval_minutes=30) for i in range(args.feeds)]
    )
    client: httpx.Client = make_client(get_settings())

    def poll_all() -> tuple[int, int]:
        new = 0
        for i in range(args.feeds):
            result = polling.poll(f"bench-{i}", client=client)
            if result.status == "error":
                raise SystemExit(f"bench-{i}: {result.error}")
            new += result.new
            if args.full:
                pipeline.run_inline([s for s in result.steps if s.step != "render"])
        return new, 0

    started = time.perf_counter()
    first, _ = poll_all()
    print(f"warm-up: {args.feeds} feeds, {first} releases created in {time.perf_counter() - started:.1f} s")

    ours, reference = [], []
    for round_no in range(1, args.rounds + 1):
        changed = list(range(0, args.feeds, 2))  # half change, half stay the same (304)
        for i in changed:
            feeds.version[i] += 1
        items = len(changed) * args.items
        started = time.perf_counter()
        new, _ = poll_all()
        elapsed = time.perf_counter() - started
        # Random sentence draws now and then make two items near-duplicates; those are recognised as one
        # release (a second place), which is the point, and still count as handled items.
        assert new >= items * 0.98, (new, items)
        bodies = [feeds.body(i) for i in changed]
        started = time.perf_counter()
        parsed = sum(len(feedparser.parse(body).entries) for body in bodies)
        bare = time.perf_counter() - started
        assert parsed == items
        ours.append(items / elapsed)
        reference.append(items / bare)
        print(
            f"round {round_no}: {args.feeds} feeds ({len(changed)} changed, {args.feeds - len(changed)} unchanged), "
            f"{items} new items ({new} new releases) in {elapsed:.2f} s = {items / elapsed:.0f} items/s; "
            f"feedparser.parse alone {items / bare:.0f} items/s"
        )
    client.close()
    server.shutdown()
    ours_median, ref_median = statistics.median(ours), statistics.median(reference)
    mode = "fetch+parse+dedupe+store" + (" +normalize/credit/publish" if args.full else "")
    print(f"syndicate poll ({mode}): {ours_median:.0f} items/s (median of {args.rounds} rounds)")
    print(f"reference feedparser.parse on the same bytes: {ref_median:.0f} items/s")
    print(f"ratio: {ours_median / ref_median:.2f}")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
