"""The registry of sources, and what users see of it: `syndicate sources`, `syndicate poll`, `syndicate extract`
and GET /api/v1/sources."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import cssselect
import pytest
from typer.testing import CliRunner

from syndicate.cli import app
from syndicate.model import SourceKind
from syndicate.registry import get_registry
from tests.conftest import ROOT
from tests.ingest.server import Answer, rss, serve

FIXTURES = ROOT / "tests" / "fixtures" / "ingest"
runner = CliRunner()


def test_every_registry_source_is_valid() -> None:
    registry = get_registry()
    assert len(registry.sources) >= 15
    raw_ids = []
    for path in sorted((ROOT / "feeds" / "sources").glob("*.toml")):
        raw_ids += [entry["id"] for entry in tomllib.loads(path.read_text(encoding="utf-8"))["source"]]
    assert sorted(raw_ids) == sorted(registry.sources)
    for source in registry.sources.values():
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]+", source.id), source.id
        assert source.agency in registry.agencies, source.id
        assert source.url.startswith(("https://", "http://")), source.id
        assert 5 <= source.interval_minutes <= 24 * 60, source.id
        assert source.language == "ko" and source.timezone == "Asia/Seoul", source.id
        for css in source.selectors.model_dump(exclude_none=True).values() if source.selectors else []:
            cssselect.GenericTranslator().css_to_xpath(css)  # raises on a bad selector
        if source.kind == SourceKind.board:
            assert source.selectors is None or source.selectors.list_item or source.selectors.title, source.id
    kinds = {s.kind for s in registry.sources.values()}
    assert {SourceKind.rss, SourceKind.board} <= kinds
    assert any("korea.kr" in s.url for s in registry.sources.values())


def test_sources_import_list_export(database: str, tmp_path: Path) -> None:
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        """<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>
        <outline text="Incheon press" type="rss" xmlUrl="https://www.incheon.go.kr/rss/press.xml" agency="incheon"/>
        <outline text="부산광역시" type="rss" xmlUrl="https://www.busan.go.kr/rss/press.xml"/>
        <outline text="Unknown" type="rss" xmlUrl="https://example.org/feed.xml"/>
        <outline text="Duplicate" type="rss" xmlUrl="https://www.korea.kr/rss/dept_moef.xml" agency="moef"/>
        </body></opml>""",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["sources", "import", str(opml)])
    assert result.exit_code == 0, result.output
    assert "imported 2 source(s)" in result.output
    assert "example.org/feed.xml: no agency" in result.output
    assert "already in the registry" in result.output

    listed = runner.invoke(app, ["sources", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    exported = runner.invoke(app, ["sources", "export"])
    assert exported.exit_code == 0
    assert 'xmlUrl="https://www.incheon.go.kr/rss/press.xml"' in exported.output
    assert 'agency="busan"' in exported.output
    assert 'xmlUrl="https://www.korea.kr/rss/dept_moef.xml"' in exported.output
    # What we export, we can import elsewhere with nothing lost.
    from syndicate.opml import read_opml

    back = read_opml(exported.output.encode())
    assert {s.url for s in back.sources} >= {"https://www.incheon.go.kr/rss/press.xml"}
    assert back.skipped == []


def test_opml_with_entities_is_refused(database: str, tmp_path: Path) -> None:
    opml = tmp_path / "bomb.opml"
    opml.write_text('<?xml version="1.0"?><!DOCTYPE o [<!ENTITY a "aaaa">]><opml><body/></opml>')
    result = runner.invoke(app, ["sources", "import", str(opml)])
    assert result.exit_code == 1 and "refused" in result.output


def test_poll_command_and_api_health(client: Any, tmp_path: Path) -> None:
    with serve() as site:
        site.route("/ok.xml", Answer(200, rss([("p1", "인천시 소식", "인천시는 오늘 발표했다.")])))
        site.route("/broken.xml", Answer(503, b"down"))
        opml = tmp_path / "two.opml"
        opml.write_text(
            f"""<opml version="2.0"><body>
            <outline text="ok" id="ok-feed" xmlUrl="{site.base}/ok.xml" agency="incheon"/>
            <outline text="broken" id="broken-feed" xmlUrl="{site.base}/broken.xml" agency="incheon"/>
            </body></opml>"""
        )
        assert runner.invoke(app, ["sources", "import", str(opml)]).exit_code == 0
        ok = runner.invoke(app, ["poll", "ok-feed"])
        assert ok.exit_code == 0 and "ok-feed: ok, 1 new" in ok.output, ok.output
        broken = runner.invoke(app, ["poll", "broken-feed"])
        assert broken.exit_code == 1 and "broken-feed: error" in broken.output
    answer = client.get("/api/v1/sources")
    assert answer.status_code == 200
    rows = {row["id"]: row for row in answer.json()}
    assert rows["ok-feed"]["health"]["status"] == "ok"
    failing = rows["broken-feed"]["health"]
    assert failing["status"] == "failing" and failing["consecutive_errors"] == 1
    assert failing["last_error"]["kind"] == "http_status" and "503" in failing["last_error"]["message"]
    assert failing["next_poll_at"] is not None
    assert rows["korea-kr-moef"]["health"]["status"] == "never"
    only = client.get("/api/v1/sources", params={"status": "failing"}).json()
    assert [row["id"] for row in only] == ["broken-feed"]
    assert client.get("/api/v1/sources/broken-feed").json()["health"]["consecutive_errors"] == 1
    assert client.get("/api/v1/sources/nope").status_code == 404
    table = runner.invoke(app, ["sources", "list", "--failing"])
    assert "broken-feed" in table.output and "ok-feed" not in table.output


def _extract(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "syndicate", "extract", *args], capture_output=True, text=True, cwd=ROOT, timeout=60
    )


def test_extract_prints_an_object_for_a_page_and_a_list_for_a_feed() -> None:
    import json

    page = _extract(str(FIXTURES / "page_gangjin_board_detail.html"))
    assert page.returncode == 0, page.stderr
    release = json.loads(page.stdout)
    assert release["title"] == "“새로 열린 기차 타고 강진 가자”"
    assert release["credit"]["agency"]["id"] == "gangjin"  # the page's own address names its source
    feed = _extract(str(FIXTURES / "feed_nasa_rss2_zone_names.xml"))
    assert feed.returncode == 0 and len(json.loads(feed.stdout)) == 10


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("/nonexistent/file.xml", "no such file"),
        (str(FIXTURES / "feed_entity_bomb.xml"), "entities"),
        ("http://169.254.169.254/latest/meta-data/", "non-public address"),
    ],
)
def test_extract_bad_input_is_one_line_and_exit_1(target: str, message: str) -> None:
    result = _extract(target)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr
