"""The hostile-input figures for the note, printed as ``FIGURE`` lines at the end of a run that includes these
tests: hostile cases handled out of tried (the table of inputs and the hostile servers), and the examples the
fuzzers ran (hypothesis's passing test cases, schemathesis's generated requests).

Counts travel on each report's user_properties, so they add up under pytest-xdist as well."""

from __future__ import annotations

import re
from typing import Any

import pytest

#: Test files whose every test is one hostile case.
CASE_FILES = ("tests/hostile/test_inputs.py", "tests/hostile/test_http.py")
_totals = {"tried": 0, "handled": 0, "fuzz": 0}


def pytest_runtest_teardown(item: pytest.Item) -> None:
    # The hypothesis plugin leaves a description of the run on the item; its "N passing" are the examples run.
    # Only for a test that is itself a hypothesis test: one that runs @given functions inside (schemathesis's)
    # leaves the last of them there, and records its own count instead.
    if not getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
        return
    stats = getattr(item, "hypothesis_statistics", "")
    examples = sum(int(n) for n in re.findall(r"(\d+) passing", stats))
    if examples:
        item.user_properties.append(("fuzz_examples", examples))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.nodeid.startswith(CASE_FILES) and (report.when == "call" or (report.when == "setup" and report.failed)):
        _totals["tried"] += 1
        _totals["handled"] += int(report.passed)
    if report.when != "teardown":
        return  # an item's properties ride on each of its reports; the teardown one has them all
    for name, value in report.user_properties:
        if name in ("fuzz_examples", "fuzz_requests"):
            _totals["fuzz"] += int(value)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _totals["tried"]:
        terminalreporter.write_line(f"FIGURE hostile.cases_handled={_totals['handled']}/{_totals['tried']}")
    if _totals["fuzz"]:
        terminalreporter.write_line(f"FIGURE fuzz.examples={_totals['fuzz']}")
