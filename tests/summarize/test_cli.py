"""`syndicate summarize INPUT.json`, run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES, ROOT

NAJU = FIXTURES / "corpus" / "kr-naju-pressreleases-scraped.json"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_TEST_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "syndicate", "summarize", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )


def release_file(tmp_path: Path, **extra: object) -> Path:
    item = json.loads(NAJU.read_text(encoding="utf-8"))[0]
    release = {"title": item["title"], "subtitle": None, "paragraphs": [item["content"]], "language": "ko", **extra}
    path = tmp_path / "release.json"
    path.write_text(json.dumps(release, ensure_ascii=False), encoding="utf-8")
    return path


def test_prints_summary_language_and_method(tmp_path: Path) -> None:
    done = run(str(release_file(tmp_path)), "--sentences", "2", "--chars", "300")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert set(answer) == {"summary", "language", "method"}
    assert answer["language"] == "ko" and answer["method"] == "extractive"
    assert 1 <= len(answer["summary"]) <= 2 and len(" ".join(answer["summary"])) <= 300
    assert "빛가람동" in answer["summary"][0]


def test_accepts_the_api_release_object(tmp_path: Path) -> None:
    inner = json.loads(release_file(tmp_path).read_text(encoding="utf-8"))
    wrapped = tmp_path / "api.json"
    wrapped.write_text(json.dumps({"id": "x", "status": "published", "release": inner}), encoding="utf-8")
    done = run(str(wrapped))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["summary"]


def test_bad_input_is_one_line_on_stderr_and_exit_1(tmp_path: Path) -> None:
    not_json = tmp_path / "broken.json"
    not_json.write_text("{not json", encoding="utf-8")
    no_title = tmp_path / "no-title-with-a-rather-long-file-name-so-the-message-would-wrap.json"
    no_title.write_text(json.dumps({"paragraphs": ["본문이다."]}), encoding="utf-8")
    for path, expected in (
        (not_json, "is not a JSON file"),
        (no_title, "title: Field required"),
        (tmp_path / "missing.json", "cannot read"),
    ):
        done = run(str(path))
        assert done.returncode == 1
        assert done.stdout == ""
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], done.stderr
        assert "Traceback" not in done.stderr


def test_a_licence_that_forbids_derivatives_is_refused(tmp_path: Path) -> None:
    credit = {"licence": {"id": "KOGL-4", "derivatives": False, "commercial": False, "origin": "page"}}
    done = run(str(release_file(tmp_path, credit=credit)))
    assert done.returncode == 1
    assert done.stderr.strip() == "error: KOGL-4 forbids derivatives; a summary is one"


def test_extract_output_feeds_summarize(tmp_path: Path) -> None:
    """The contract between the two commands, on real pages: KOGL-1 is summarized, KOGL-4 refused."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_TEST_")}
    env["PYTHONPATH"] = str(ROOT)
    for page, allowed in (("page_gangjin_board_detail.html", True), ("page_damyang_no_doctype_hwp.html", False)):
        extracted = subprocess.run(
            [sys.executable, "-m", "syndicate", "extract", str(FIXTURES / "ingest" / page)],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=60,
        )
        assert extracted.returncode == 0, extracted.stderr
        path = tmp_path / f"{page}.json"
        path.write_text(extracted.stdout, encoding="utf-8")
        done = run(str(path))
        if allowed:
            assert done.returncode == 0, done.stderr
            summary = json.loads(done.stdout)["summary"]
            assert summary[0].startswith("강진군문화관광재단이 코레일과 공동으로 추진한")
        else:
            assert done.returncode == 1 and "KOGL-4 forbids derivatives" in done.stderr
