"""Milliseconds the credit stage takes per release, beside the normalize stage on the same input (the reference).

Inputs: the 47 Naju releases of the corpus (plain text, one photo credit each) and the 6 corpus pages with a
release body (HTML with contact blocks and licence notices). Prints the median per input set and the ratio
credit / normalize.

    python bench/credit.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from syndicate.credit import apply_credit  # noqa: E402
from syndicate.model import RawRelease  # noqa: E402
from syndicate.normalize import normalize  # noqa: E402
from syndicate.registry import load_registry  # noqa: E402
from tests.credit.pages import FIXTURES, cases, licence_hint  # noqa: E402


def _ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    registry = load_registry(ROOT / "feeds")

    naju = json.loads((FIXTURES / "kr-naju-pressreleases-scraped.json").read_text(encoding="utf-8"))
    raws = [("naju", RawRelease(title=a["title"], body=a["content"], body_is_html=False)) for a in naju]
    import lxml.html

    for case in cases():
        root = lxml.html.fromstring((FIXTURES / f"{case.name}.html").read_text(encoding="utf-8"))
        body = "".join(lxml.html.tostring(el, encoding="unicode") for s in case.selectors for el in root.cssselect(s))
        raws.append((case.agency, RawRelease(title=case.name, body=body, licence_hint=licence_hint(root))))

    rows: dict[str, list[tuple[float, float]]] = {"naju": [], "pages": []}
    for agency, raw in raws:
        release = normalize(raw)
        norm = _ms(lambda raw=raw: normalize(raw), args.repeat)  # type: ignore[misc]
        cred = _ms(lambda r=release, a=agency: apply_credit(r, registry, agency_id=a), args.repeat)  # type: ignore[misc]
        rows["naju" if agency == "naju" else "pages"].append((cred, norm))
    for name, pairs in rows.items():
        cred = statistics.median(c for c, _ in pairs)
        norm = statistics.median(n for _, n in pairs)
        print(
            f"{name:6} n={len(pairs):3}  credit median {cred:7.3f} ms  normalize median {norm:7.3f} ms  "
            f"ratio {cred / norm:5.2f}"
        )


if __name__ == "__main__":
    main()
