"""bench/run.py can call every benchmark it lists (each must offer run(quick) -> list[Result])."""

from __future__ import annotations

import importlib
import inspect

import pytest

from bench.run import BENCHMARKS


@pytest.mark.parametrize("name", BENCHMARKS)
def test_every_listed_benchmark_has_a_run_function(name: str) -> None:
    module = importlib.import_module(f"bench.{name}")
    run = getattr(module, "run", None)
    assert callable(run), f"bench/{name}.py has no run()"
    parameters = inspect.signature(run).parameters
    assert "quick" in parameters or name == "feeds", f"bench/{name}.py run() takes no quick flag"
