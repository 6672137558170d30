"""Releases translated per minute into 3 languages, with a loopback provider that answers in 200 ms.

Runs the translate step's own code (``syndicate.translation.translate_languages``: the languages at once,
``--concurrency`` requests in flight per language, the provider's rate limiter, glossary and memory) over the
47 real Naju releases of the corpus, through the real deep-translator LibreTranslator client and a
LibreTranslate-speaking server on 127.0.0.1. ``--workers`` releases are translated at a time, as that many
worker processes would. Each release is title + one paragraph (two segments; nothing needs splitting).

The ideal is what the concurrency allows if every request took exactly the provider's 200 ms and nothing
else cost time: per release, ceil(segments / concurrency) rounds of 200 ms (the languages run side by side),
times ``--workers`` releases at a time, and no more than the rate limit (``--rate`` requests/s) lets through.
The ratio is measured / ideal.

    python bench/translate.py [--quick] [--workers 2] [--concurrency 4] [--latency 0.2] [--rate 1000]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import Result  # noqa: E402
from syndicate.config import Settings  # noqa: E402
from syndicate.translate import LocalMemory, RetryPolicy, TranslatorChain, segments_of  # noqa: E402
from syndicate.translate.providers import build_providers  # noqa: E402
from syndicate.translation import translate_languages  # noqa: E402
from tests.translate.conftest import corpus_releases  # noqa: E402
from tests.translate.loopback import LoopbackServer  # noqa: E402

LANGUAGES = ["en", "ja", "vi"]


def run_once(args: argparse.Namespace, releases: list, server: LoopbackServer) -> tuple[float, int]:
    settings = Settings(libretranslate_url=server.url, allow_hosts=["127.0.0.1"], translate_timeout=10.0)
    chain = TranslatorChain(
        build_providers(["libre"], settings),
        retry=RetryPolicy(attempts=3, backoff=0.1),
        concurrency=args.concurrency,
        rates={"libre": args.rate},
    )
    memory = LocalMemory()  # fresh: every segment goes to the provider
    server.state.reset()
    server.state.delay = args.latency

    def one(release: object) -> None:
        outcomes = translate_languages(release, LANGUAGES, chain, memory)  # type: ignore[arg-type]
        failed = [o.language for o in outcomes if o.translation is None]
        if failed:
            raise SystemExit(f"translation failed for {failed}")

    started = time.perf_counter()
    with ThreadPoolExecutor(args.workers) as pool:
        list(pool.map(one, releases))
    return time.perf_counter() - started, server.state.total


def run(
    quick: bool = False, workers: int = 2, concurrency: int = 4, latency: float = 0.2, rate: float = 1000.0
) -> list[Result]:
    args = argparse.Namespace(workers=workers, concurrency=concurrency, latency=latency, rate=rate)
    releases = corpus_releases()[: 12 if quick else None]
    runs = 1 if quick else 3
    segments = [len(segments_of(r)) for r in releases]
    rounds = sum(math.ceil(n / concurrency) for n in segments)
    concurrency_seconds = rounds * latency / workers
    # The provider's rate limit caps it too: one request per segment per language, after a burst of rate tokens.
    requests = len(LANGUAGES) * sum(segments)
    rate_seconds = max(requests - max(1, int(rate)), 0) / rate
    ideal_seconds = max(concurrency_seconds, rate_seconds)
    ideal_per_minute = len(releases) / ideal_seconds * 60 if ideal_seconds else float("inf")

    server = LoopbackServer().start()
    try:
        figures = []
        for i in range(runs):
            seconds, calls = run_once(args, releases, server)
            per_minute = len(releases) / seconds * 60
            figures.append(per_minute)
            print(
                f"run {i + 1}: {len(releases)} releases × {len(LANGUAGES)} languages, {calls} provider calls, "
                f"{seconds:.2f} s, {per_minute:.1f} releases/min"
            )
    finally:
        server.stop()
    median = statistics.median(figures)
    ratio = median / ideal_per_minute
    return [
        Result(
            "translation_throughput",
            {
                "releases_min": round(median, 1),
                "translations_min": round(median * len(LANGUAGES), 1),
                "ideal_releases_min": round(ideal_per_minute, 1),
                "runs": [round(f, 1) for f in figures],
            },
            f"ideal at workers={workers}, concurrency={concurrency}, provider latency {latency * 1000:.0f} ms",
            round(ratio, 3),
            "report (no target in the issue)",
            None,
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="12 releases, 1 run (instead of 47 releases, 3 runs)")
    parser.add_argument("--workers", type=int, default=2, help="releases at a time (worker processes)")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight per language")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds the provider takes per request")
    parser.add_argument("--rate", type=float, default=1000.0, help="the provider's rate limit, requests/s")
    args = parser.parse_args()
    for result in run(args.quick, args.workers, args.concurrency, args.latency, args.rate):
        result.show()


if __name__ == "__main__":
    main()
