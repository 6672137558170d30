"""How good and how fast are our summaries? ROUGE against human-written summary lines, and latency.

The set: the 47 real Naju city press releases in tests/fixtures/summarize/ (a byte-identical copy of
../shared/corpus/kr-naju-pressreleases-scraped.json). Every one of them opens with a 부제 (subtitle): one to
three summary lines the city's press office wrote above the lead. The scraper flattened the page, so the
subtitle sits at the start of ``content``, glued to the lead sentence. We cut it off (``split_subtitle``) and use
it as the reference; the summarizers only ever see the body after it, so nothing of the reference leaks into
the input. The title stays in the input (a real release has it). Added to them: the real corpus pages with a
subtitle, read by the ingest code as `syndicate extract` reads them (subtitle and body come apart there): the
Gangjin county page (KOGL-1); the Damyang page has one too but is KOGL-4, so it is left out, as the pipeline
would not summarize it.

ROUGE-1/2/L F1 over Korean content morphemes from kiwipiepy (tags NNG NNP NR SN SL SH VV VA XR: nouns,
numerals, foreign words, Hanja, verb and adjective stems including irregular ones (VV-I, VA-R, …), roots;
particles and endings are dropped), averaged over the set, for our summarizer and for Lead-3 (the first three
sentences of the same body). The same comparison is then repeated at budgets of 1 to 4 sentences.

Speed: each body of 2,000 characters or more, cut to 2,000 characters, summarized repeatedly after one warm-up
call; the median is printed.

    python bench/summarize_eval.py            # the whole set, 20 timing runs per text
    python bench/summarize_eval.py --quick    # 12 releases, 5 timing runs, no table by budget
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import Result  # noqa: E402
from syndicate.model import Release  # noqa: E402
from syndicate.summarize.base import Budget  # noqa: E402
from syndicate.summarize.extractive import lead, summarize_sentences, trim_asides  # noqa: E402
from syndicate.summarize.sentences import korean_tokens as _korean_tokens  # noqa: E402

# ROUGE tokenizes each reference once per table row, and many candidates (lead-3 against lead-3 trimmed, the
# same sentences at two budgets) are the same text: the morphemes of one string are the same every time.
korean_tokens = functools.lru_cache(maxsize=None)(_korean_tokens)

CORPUS = ROOT / "tests" / "fixtures" / "corpus" / "kr-naju-pressreleases-scraped.json"
# Byte-identical to ../shared/corpus/kr-gangjin-pressrelease-detail.html (KOGL-1) and
# kr-damyang-pressrelease-detail.html (KOGL-4), as the ingest tests keep them.
PAGES = [
    ROOT / "tests" / "fixtures" / "ingest" / "page_gangjin_board_detail.html",
    ROOT / "tests" / "fixtures" / "ingest" / "page_damyang_no_doctype_hwp.html",
]

# The lead sentence names the city first ("전라남도 나주시는 …", "전남 나주시 …", "나주시천연염색문화재단이 …");
# the subtitle lines before it never end a sentence, so the cut is searched only before the first "다. ".
_LEAD_STRICT = re.compile(r"\s(?=(?:전라남도|전남)\s+나주시)")
_LEAD_LOOSE = re.compile(r"\s(?=나주시)")


def split_subtitle(content: str) -> tuple[str, str] | None:
    """(subtitle, body) of a Naju release, or None when no subtitle can be told apart."""
    end = content.find("다. ")
    head = content[: end if end > 0 else len(content)]
    match = _LEAD_STRICT.search(head) or _LEAD_LOOSE.search(head)
    if match is None or match.start() == 0:
        return None
    return content[: match.start()].strip(), content[match.start() :].strip()


def naju_set(limit: int | None = None) -> list[tuple[Release, str]]:
    cases = []
    for item in json.loads(CORPUS.read_text(encoding="utf-8")):
        parts = split_subtitle(item["content"])
        if parts is None:
            continue
        subtitle, body = parts
        cases.append((Release(title=item["title"], paragraphs=[body], language="ko"), subtitle))
    return cases[:limit] if limit else cases


def page_set() -> tuple[list[tuple[Release, str]], list[str]]:
    """Real pages with a subtitle, read by `syndicate extract`'s own code (subtitle and body come apart there).
    A page whose licence forbids derivatives is left out, as the pipeline would leave it unsummarized."""
    from syndicate.polling import extract

    cases, excluded = [], []
    for path in PAGES:
        releases, _ = extract(str(path))
        release = releases[0]
        if not release.subtitle:
            continue
        if not release.credit.licence.derivatives:
            excluded.append(f"{path.name} ({release.credit.licence.id})")
            continue
        cases.append((release.model_copy(update={"subtitle": None}), release.subtitle.replace("\n", " ")))
    return cases, excluded


def load_set(limit: int | None = None) -> tuple[list[tuple[Release, str]], list[str]]:
    pages, excluded = page_set()
    return naju_set(limit) + pages, excluded


# --- ROUGE ------------------------------------------------------------------------------------------------------


def _f1(overlap: float, candidate: int, reference: int) -> float:
    if not overlap or not candidate or not reference:
        return 0.0
    precision, recall = overlap / candidate, overlap / reference
    return 2 * precision * recall / (precision + recall)


def rouge_n(candidate: list[str], reference: list[str], n: int) -> float:
    def grams(tokens: list[str]) -> Counter[tuple[str, ...]]:
        return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))

    cand, ref = grams(candidate), grams(reference)
    return _f1(sum((cand & ref).values()), sum(cand.values()), sum(ref.values()))


def rouge_l(candidate: list[str], reference: list[str]) -> float:
    previous = [0] * (len(reference) + 1)
    for token in candidate:
        current = [0]
        for j, ref_token in enumerate(reference):
            current.append(previous[j] + 1 if token == ref_token else max(previous[j + 1], current[j]))
        previous = current
    return _f1(previous[-1], len(candidate), len(reference))


def scores(summaries: list[list[str]], references: list[str]) -> dict[str, float]:
    totals = {"R1": 0.0, "R2": 0.0, "RL": 0.0}
    for sentences, reference in zip(summaries, references, strict=True):
        cand, ref = korean_tokens(" ".join(sentences)), korean_tokens(reference)
        totals["R1"] += rouge_n(cand, ref, 1)
        totals["R2"] += rouge_n(cand, ref, 2)
        totals["RL"] += rouge_l(cand, ref)
    return {k: v / len(references) for k, v in totals.items()}


def head_to_head(ours: list[list[str]], baseline: list[list[str]], references: list[str]) -> tuple[int, int, int]:
    """How many releases each method wins on ROUGE-1 (a mean can hide a few large wins)."""
    better = worse = same = 0
    for mine, theirs, reference in zip(ours, baseline, references, strict=True):
        ref = korean_tokens(reference)
        a = rouge_n(korean_tokens(" ".join(mine)), ref, 1)
        b = rouge_n(korean_tokens(" ".join(theirs)), ref, 1)
        better, worse, same = better + (a > b), worse + (a < b), same + (a == b)
    return better, worse, same


# --- running --------------------------------------------------------------------------------------------------


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up: the Kiwi model loads on first use
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run(quick: bool = False) -> list[Result]:
    """Prints the full table; returns the extractive summary's ROUGE-1 against Lead-3's, and its latency."""
    cases, excluded = load_set(12 if quick else None)
    runs = 5 if quick else 20
    budget = Budget()  # the settings' defaults: 3 sentences, 400 characters
    references = [subtitle for _, subtitle in cases]

    ours = [summarize_sentences(release, budget) for release, _ in cases]
    lead3 = [lead(release, Budget(sentences=3, chars=10**9)) for release, _ in cases]
    ours_scores, lead_scores = scores(ours, references), scores(lead3, references)
    # For context, not for the verdict: how much of the gain is the trimming of "(시장 윤병태)" asides, and the
    # first sentence alone (the references are one line, so shorter outputs gain precision).
    lead3_trimmed = [[trim_asides(s) for s in sentences] for sentences in lead3]
    lead1 = [sentences[:1] for sentences in lead3]
    rows = [
        ("extractive", ours_scores, ours),
        ("lead-3", lead_scores, lead3),
        ("lead-3 trim", scores(lead3_trimmed, references), lead3_trimmed),
        ("lead-1", scores(lead1, references), lead1),
    ]

    print(
        f"releases: {len(cases)} (human subtitle as reference; budget {budget.sentences} sentences, "
        f"{budget.chars} chars); left out for their licence: {', '.join(excluded) or 'none'}"
    )
    print(f"{'method':<13}{'ROUGE-1':>9}{'ROUGE-2':>9}{'ROUGE-L':>9}{'mean chars':>12}")
    for name, result, outs in rows:
        chars = statistics.mean(len(" ".join(s)) for s in outs)
        print(f"{name:<13}{result['R1']:>9.4f}{result['R2']:>9.4f}{result['RL']:>9.4f}{chars:>12.0f}")
    for key in ("R1", "R2", "RL"):
        ratio = ours_scores[key] / lead_scores[key] if lead_scores[key] else float("inf")
        print(f"ratio extractive/lead-3 {key}: {ratio:.3f}")
    better, worse, same = head_to_head(ours, lead3, references)
    print(f"per release, ROUGE-1 against lead-3: better {better}, worse {worse}, tied {same}")

    # Context, not the verdict: the whole comparison again at each budget. Quick leaves it out (it costs more
    # than the rest together).
    if not quick:
        print("same sentence budget, no character cap (ROUGE-1 / ROUGE-2 / ROUGE-L):")
        for n in (1, 2, 3, 4):
            unlimited = Budget(sentences=n, chars=10**9)
            ours_n = scores([summarize_sentences(r, unlimited) for r, _ in cases], references)
            lead_n = scores([lead(r, unlimited) for r, _ in cases], references)
            print(
                f"  {n} sentence(s): extractive {ours_n['R1']:.4f} / {ours_n['R2']:.4f} / {ours_n['RL']:.4f}"
                f"   lead-{n} {lead_n['R1']:.4f} / {lead_n['R2']:.4f} / {lead_n['RL']:.4f}"
                f"   R1 ratio {ours_n['R1'] / lead_n['R1']:.3f}"
            )

    long_texts = [r for r, _ in naju_set() if len(r.paragraphs[0]) >= 2000]
    timings = []
    for release in long_texts:
        cut = release.model_copy(update={"paragraphs": [release.paragraphs[0][:2000]]})
        timings.append(median_ms(lambda cut=cut: summarize_sentences(cut, budget), runs))  # type: ignore[misc]
    latency = statistics.median(timings)
    print(f"latency, 2,000-char Korean release, median of {len(long_texts)} texts x {runs} runs: {latency:.1f} ms")
    ratio = ours_scores["R1"] / lead_scores["R1"]
    return [
        Result(
            "summary_quality",
            {
                "releases": len(cases),
                "rouge1": round(ours_scores["R1"], 4),
                "lead3_rouge1": round(lead_scores["R1"], 4),
                "rouge2_ratio": round(ours_scores["R2"] / lead_scores["R2"], 3),
                "rougeL_ratio": round(ours_scores["RL"] / lead_scores["RL"], 3),
                "latency_2000_chars_ms": round(latency, 1),
            },
            "Lead-3 against the human subtitles",
            round(ratio, 3),
            "> 1.0 (better than Lead-3)",
            ratio > 1.0,
        )
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="12 releases, 5 timing runs, no table by budget")
    args = parser.parse_args()
    results = run(args.quick)
    for result in results:
        result.show()
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
