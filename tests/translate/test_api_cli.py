"""Reviewed translations over the API, translations in GET, and `syndicate translate` on the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from syndicate import pipeline
from syndicate.cli import app
from syndicate.model import RawRelease
from tests.translate.loopback import LoopbackServer
from tests.translate.test_pipeline import configured, run  # noqa: F401 - fixture

runner = CliRunner()


def test_put_a_reviewed_translation(client: Any, agency_key: Any, configured: LoopbackServer) -> None:  # noqa: F811
    key = agency_key("incheon")
    raw = RawRelease(title="인천광역시 공지", body="첫 문단.\n\n둘째 문단.", body_is_html=False, language="ko")
    release_id, _, _ = pipeline.submit(agency_id="incheon", raw=raw)
    run(release_id)
    auth = {"Authorization": f"Bearer {key}"}
    body = {"title": "Incheon notice", "paragraphs": ["First paragraph.", "Second paragraph."]}

    other = client.put(
        f"/api/v1/releases/{release_id}/translations/en",
        json=body,
        headers={"Authorization": f"Bearer {agency_key('seoul')}"},
    )
    assert other.status_code == 403
    short = client.put(
        f"/api/v1/releases/{release_id}/translations/en", json={**body, "paragraphs": ["x"]}, headers=auth
    )
    assert short.status_code == 422 and "one translated paragraph per original" in short.json()["message"]

    answer = client.put(f"/api/v1/releases/{release_id}/translations/en", json=body, headers=auth)
    assert answer.status_code == 200, answer.text
    assert answer.json()["review"] == "approved"

    release = client.get(f"/api/v1/releases/{release_id}").json()
    by_lang = {t["language"]: t for t in release["translations"]}
    assert by_lang["en"]["review"] == "approved" and by_lang["en"]["content"]["title"] == "Incheon notice"
    assert by_lang["ja"]["provider"] == "libre" and by_lang["ja"]["pending"] is False
    assert by_lang["ja"]["error"] is None


def _release_file(tmp_path: Path, **extra: Any) -> Path:
    data = {
        "title": "인천광역시, 청년 일자리 1만 개",
        "subtitle": None,
        "paragraphs": ["인천광역시는 25일 계획을 발표했다."],
        "body_html": "<p>인천광역시는 25일 계획을 발표했다.</p>",
        "original_url": "https://www.incheon.go.kr/news/1",
        **extra,
    }
    path = tmp_path / "release.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_cli_translates_one_release(tmp_path: Path, provider: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNDICATE_LIBRETRANSLATE_URL", provider.url)
    result = runner.invoke(app, ["translate", "--to", "en", "--translators", "libre", str(_release_file(tmp_path))])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["language"] == "en"
    assert out["paragraphs"][0].count("Incheon Metropolitan City") == 1
    assert out["translation"]["provider"] == "libre"
    assert out["translation"]["source_language"] == "ko"  # detected: the input gave no language
    assert out["translation"]["label"] == "Machine translation from Korean; original: https://www.incheon.go.kr/news/1"
    assert out["body_html"].startswith("<p>")


def test_cli_errors_are_one_line(tmp_path: Path, provider: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNDICATE_LIBRETRANSLATE_URL", provider.url)
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2", encoding="utf-8")
    for args in (
        ["translate", "--to", "en", str(bad)],
        ["translate", "--to", "en", str(tmp_path / "missing.json")],
        ["translate", "--to", "en", "--translators", "nope", str(_release_file(tmp_path))],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 1, result.output
        # (rich wraps the one line at the test terminal's 80 columns)
        assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr, result.stderr
    provider.state.fail(500, times=100)
    monkeypatch.setenv("SYNDICATE_TRANSLATE_BACKOFF", "0.01")
    from syndicate.config import get_settings

    get_settings.cache_clear()
    result = runner.invoke(app, ["translate", "--to", "en", "--translators", "libre", str(_release_file(tmp_path))])
    assert result.exit_code == 1 and "every translation provider failed" in result.stderr
