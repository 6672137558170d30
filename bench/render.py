"""Milliseconds to render one 50-item feed in each format, against feedgen (the common Python feed library) as
the reference for RSS and Atom; and to build and sign one partner message (ninjs 3.1 + Standard Webhooks).

    python bench/render.py [--items 50] [--rounds 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feedgen.feed import FeedGenerator  # noqa: E402

from syndicate.publish.atom import render_atom  # noqa: E402
from syndicate.publish.items import FeedItem, FeedMeta  # noqa: E402
from syndicate.publish.jsonfeed import render_jsonfeed  # noqa: E402
from syndicate.publish.ninjs import to_ninjs  # noqa: E402
from syndicate.publish.rss import render_rss  # noqa: E402
from syndicate.publish.webhooks import new_secret, payload, signed_headers, webhook_id  # noqa: E402
from tests.publish import samples  # noqa: E402


def _items(n: int) -> list[FeedItem]:
    body = "".join(f"<p>{'인천광역시는 청년 일자리 계획을 발표했다. ' * 8}</p>" for _ in range(12))
    return [samples.original(i).model_copy(update={"content_html": body}) for i in range(n)]


def _feedgen(kind: str) -> Callable[[FeedMeta, list[FeedItem]], bytes]:
    def render(meta: FeedMeta, items: list[FeedItem]) -> bytes:
        fg = FeedGenerator()
        fg.id(meta.self_url)
        fg.title(meta.title)
        fg.link(href=meta.home_url, rel="alternate")
        fg.link(href=meta.self_url, rel="self")
        fg.description(meta.description)
        fg.language(meta.language)
        fg.updated(meta.updated_at)
        for item in items:
            entry = fg.add_entry(order="append")
            entry.id(item.guid)
            entry.title(item.title)
            entry.link(href=item.link)
            entry.author(name=item.credit.agency.name.en if item.credit.agency.name else "unknown")
            entry.published(item.published_at)
            entry.updated(item.updated_at)
            entry.description(item.summary or "")
            entry.content(item.content_html, type="CDATA" if kind == "rss" else "html")
            for att in item.attachments:
                entry.enclosure(att.url, "0", att.type or "application/octet-stream")
        return bytes(fg.rss_str() if kind == "rss" else fg.atom_str())

    return render


def _median_ms(fn: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    items, meta = _items(args.items), samples.meta()
    ours = {"rss": render_rss, "atom": render_atom, "json": render_jsonfeed}
    print(f"one {args.items}-item feed, median of {args.rounds} renders:")
    for name, render in ours.items():
        ms = _median_ms(lambda render=render: render(meta, items), args.rounds)
        line = f"  {name:5} {ms:7.2f} ms"
        if name in ("rss", "atom"):
            ref = _median_ms(lambda name=name: _feedgen(name)(meta, items), args.rounds)
            line += f"   feedgen {ref:7.2f} ms   ratio {ms / ref:.2f}"
        print(line)
    secret, item = new_secret(), items[0]

    def message() -> object:
        data = to_ninjs(item, version=1)
        body = payload("release.published", data, item.updated_at)
        return signed_headers(secret, webhook_id("pt", "r", 1, "release.published"), body, item.updated_at)

    print(f"one partner message (ninjs 3.1 + signature): {_median_ms(message, args.rounds * 10):.3f} ms")


if __name__ == "__main__":
    main()
