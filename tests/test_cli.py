"""The command line: help for everything, keys printed alone, clean one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from syndicate.cli import app

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def _commands(group: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    import typer.main

    click_group = typer.main.get_command(group)  # type: ignore[arg-type]
    out: list[tuple[str, ...]] = []

    def walk(cmd: object, path: tuple[str, ...]) -> None:
        out.append(path)
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, (*path, name))

    walk(click_group, prefix)
    return out


@pytest.mark.parametrize("path", _commands(app))
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    if path:
        # Each subcommand says what it does in its own words, not just its usage line.
        lines = [line for line in result.output.splitlines() if line.strip() and "Usage" not in line]
        assert len(lines) > 2


def test_keys_create_prints_only_the_key(database: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "syndicate", "keys", "create", "--agency", "incheon"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("syn_") and len(lines[0]) > 40
    from syndicate.store import keys
    from syndicate.store.db import session

    with session() as s:
        assert keys.agency_for_key(s, lines[0]) == "incheon"


def test_unknown_agency_is_a_one_line_error(database: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "syndicate", "keys", "create", "--agency", "atlantis"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == "error: unknown agency 'atlantis'"
