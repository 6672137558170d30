"""Every benchmark in one command: prints a table and writes the results as JSON.

    python bench/run.py [--quick] [--out results.json] [--only NAME ...]

Each benchmark measures its reference in the same run and reports the ratio, because this machine is shared and
absolute times drift. `--quick` runs short versions (under a minute in all on an idle 2-core machine: 36–38 s measured).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import Result  # noqa: E402

#: module name → how to call its run() (each returns a list of Result)
BENCHMARKS = [
    "feeds",
    "pipeline",
    "translated_latency",
    "ingest",
    "translate",
    "fanout",
    "summarize_eval",
    "memory",
]


def _run_one(name: str, quick: bool) -> list[Result]:
    module = importlib.import_module(f"bench.{name}")
    if name == "feeds":
        return list(module.run(seconds=1 if quick else 5, rounds=1 if quick else 3))
    return list(module.run(quick=quick))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short versions of every benchmark")
    parser.add_argument("--out", type=Path, help="write the results here as JSON")
    parser.add_argument("--only", nargs="*", choices=BENCHMARKS, help="run only these")
    args = parser.parse_args()
    results: list[Result] = []
    for name in args.only or BENCHMARKS:
        started = time.monotonic()
        try:
            found = _run_one(name, args.quick)
        except (Exception, SystemExit) as exc:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            found = [Result(name, {"error": str(exc)}, "—", None, "runs", False)]
        for result in found:
            result.figures.setdefault("seconds_taken", round(time.monotonic() - started, 1))
            result.show()
        results.extend(found)
    print()
    print(f"{'benchmark':28} {'ratio':>7}  {'target':34} result")
    for r in results:
        ratio = "—" if r.ratio is None else f"{r.ratio:.2f}"
        verdict = {True: "pass", False: "FAIL", None: "report"}[r.passed]
        print(f"{r.name:28} {ratio:>7}  {r.target:34} {verdict}")
    if args.out:
        args.out.write_text(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
