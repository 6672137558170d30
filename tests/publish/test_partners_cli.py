"""`syndicate partners add | list | replay` as an operator runs them (a real subprocess on the test database)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_TEST_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "syndicate", "partners", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_add_prints_id_and_secret_once_and_list_never_shows_it(database: str) -> None:
    added = _run(
        "add",
        "Yonhap English",
        "http://127.0.0.1:9/hook",
        "--languages",
        "en,ja",
        "--agencies",
        "incheon",
        "--commercial",
        "--ninjs",
        "2.2",
    )
    assert added.returncode == 0, added.stderr
    lines = dict(line.split(": ", 1) for line in added.stdout.strip().splitlines())
    assert lines["id"].startswith("pt_") and lines["secret"].startswith("whsec_")
    listed = _run("list")
    assert listed.returncode == 0, listed.stderr
    assert lines["id"] in listed.stdout and "Yonhap English" in listed.stdout
    assert "languages=en,ja" in listed.stdout and "commercial" in listed.stdout
    assert lines["secret"] not in listed.stdout and "whsec_" not in listed.stdout
    replayed = _run("replay", "Yonhap English", "--since", "2026-01-01T00:00Z")
    assert replayed.returncode == 0 and "replaying 0 message(s)" in replayed.stderr


def test_bad_input_is_one_line_and_exit_1(database: str) -> None:
    for args in (
        ("add", "Metadata", "http://169.254.169.254/latest"),
        ("add", "Bad ninjs", "http://127.0.0.1:9/x", "--ninjs", "1.0"),
        ("replay", "nobody"),
        ("replay", "nobody", "--since", "yesterday-ish"),
    ):
        done = _run(*args)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert done.stderr.startswith("error: ") and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "Traceback" not in done.stderr
