"""The licence gate in the pipeline, licence overrides and the unmatched-agency list, through the real API
(in-process) on a real database; pipeline steps are run directly, in order, as the worker would run them."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from syndicate import pipeline
from syndicate.config import get_settings
from syndicate.credit import allowed
from syndicate.model import RawRelease
from syndicate.store import releases as store
from syndicate.store.db import session

ADMIN = "admin-secret-for-tests"


@pytest.fixture
def admin(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("SYNDICATE_ADMIN_TOKEN", ADMIN)
    get_settings.cache_clear()
    return {"Authorization": f"Bearer {ADMIN}"}


def run_all(release_id: str, version: int = 1, first: str = "normalize") -> list[str]:
    """Run the steps a worker would run, following what each returns; the steps that ran, in order."""
    ran = []
    queue = [pipeline.Next(first, release_id, version)]
    while queue:
        nxt = queue.pop(0)
        if nxt.step == "render":
            continue
        ran.append(nxt.step)
        queue.extend(pipeline.run_step(nxt.step, nxt.release_id, nxt.version))
    return ran


def read(client: TestClient, release_id: str, key: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    answer = client.get(f"/api/v1/releases/{release_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_kogl4_submission_is_gated_and_the_reason_shows(client: TestClient, agency_key: Any) -> None:
    key = agency_key("seoul")
    body = {
        "title": "2026년 1월 주요 시민안내사항",
        "body": "본문입니다.\n\n담당부서 : 정책기획관",
        "licence": "KOGL-4",
    }
    answer = client.post("/api/v1/releases", json=body, headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 202, answer.text
    release_id = answer.json()["id"]

    assert run_all(release_id) == list(pipeline.STEPS)  # every step runs; a refusal is recorded, not a halt

    release = read(client, release_id)  # published: anyone may read it
    gate = release["gate"]
    assert gate["licence"] == "KOGL-4"
    assert gate["translate"] == {
        "allowed": False,
        "reason": "KOGL-4 forbids derivatives; a translation is a derivative",
    }
    assert gate["summarize"]["allowed"] is False and "summary" in gate["summarize"]["reason"]
    assert gate["deliver_commercial"] == {"allowed": False, "reason": "KOGL-4 forbids commercial use"}
    assert not allowed(gate, "translate") and not allowed(gate, "summarize")
    assert release["licence"]["id"] == "KOGL-4" and release["licence"]["origin"] == "submission"
    credit = release["release"]["credit"]
    assert credit["agency"]["id"] == "seoul" and credit["agency"]["department"] == "정책기획관"
    assert release["release"]["paragraphs"] == ["본문입니다."]
    events = [e for e in release["events"] if e["stage"] == "licence_gate"]
    assert len(events) == 1 and events[0]["detail"]["translate"]["allowed"] is False


def test_page_marks_gate_a_polled_release_whatever_the_agency_default(client: TestClient, database: str) -> None:
    raw = RawRelease(title="담양군 누리집 인증", body="본문.", body_is_html=False, licence_hint="공공누리 제4유형")
    release_id, _, _ = pipeline.submit(agency_id="incheon", raw=raw)  # incheon's default is KOGL-1
    run_all(release_id)
    release = read(client, release_id)
    assert release["licence"]["origin"] == "page"
    assert release["gate"]["translate"]["allowed"] is False


def test_operator_override_reruns_credit_and_the_gate(client: TestClient, admin: dict[str, str]) -> None:
    raw = RawRelease(title="인천시 보도자료", body="본문.", body_is_html=False)
    release_id, _, _ = pipeline.submit(agency_id="incheon", raw=raw)
    run_all(release_id)
    assert read(client, release_id)["gate"]["translate"]["allowed"] is True  # KOGL-1 by default

    assert (
        client.put(f"/api/v1/admin/releases/{release_id}/licence", json={"licence": "KOGL-4", "note": "x"}).status_code
        == 401
    )
    wrong = client.put(
        f"/api/v1/admin/releases/{release_id}/licence", json={"licence": "KOGL-9", "note": "x"}, headers=admin
    )
    assert wrong.status_code == 422
    answer = client.put(
        f"/api/v1/admin/releases/{release_id}/licence",
        json={"licence": "KOGL-4", "note": "the city's page says Type 4", "by": "ops@example.org"},
        headers=admin,
    )
    assert answer.status_code == 202, answer.text
    assert answer.json()["rerun"] == ["normalize"]
    assert answer.json()["licence_override"]["note"] == "the city's page says Type 4"

    assert run_all(release_id) == list(pipeline.STEPS)  # every step runs; a refusal is recorded, not a halt
    release = read(client, release_id)
    assert release["licence"] == {
        "id": "KOGL-4",
        "derivatives": False,
        "commercial": False,
        "url": "https://www.kogl.or.kr/info/licenseType4.do",
        "origin": "override",
        "note": "the city's page says Type 4",
    }
    assert release["gate"]["translate"]["allowed"] is False
    override = [e for e in release["events"] if e["stage"] == "licence_override"]
    assert override and override[0]["detail"]["by"] == "ops@example.org"
    assert release["status"] == "published"


def test_unknown_agency_is_flagged_for_an_operator(client: TestClient, agency_key: Any, admin: dict[str, str]) -> None:
    key = agency_key("portalnews")  # an outlet: the agency is whoever the credit line names
    body = {"title": "천연염색 교류전", "body": "[뉴스출처 : 한국천연염색박물관] 교류전을 연다."}
    release_id = client.post("/api/v1/releases", json=body, headers={"Authorization": f"Bearer {key}"}).json()["id"]
    known = {"title": "인천시 발표", "body": "[뉴스출처 : 인천시] 인천시는 발표했다."}
    other_id = client.post("/api/v1/releases", json=known, headers={"Authorization": f"Bearer {key}"}).json()["id"]
    run_all(release_id)
    run_all(other_id)

    assert client.get("/api/v1/admin/unmatched").status_code == 401
    listed = client.get("/api/v1/admin/unmatched", headers=admin).json()
    assert [(u["release_id"], u["found"]) for u in listed] == [(release_id, "한국천연염색박물관")]
    credit = read(client, release_id)["release"]["credit"]
    assert credit["agency"] == {
        "id": None,
        "name": None,
        "found": "한국천연염색박물관",
        "department": None,
        "homepage": None,
    }
    assert credit["via"] == "포탈뉴스통신"
    other = read(client, other_id)["release"]
    assert other["credit"]["agency"]["id"] == "incheon" and other["paragraphs"] == ["인천시는 발표했다."]


def test_cli_licence_set_records_and_enqueues(database: str, broker: str) -> None:
    from typer.testing import CliRunner

    from syndicate.cli import app

    raw = RawRelease(title="t", body="본문.", body_is_html=False)
    release_id, _, _ = pipeline.submit(agency_id="incheon", raw=raw)
    run_all(release_id)
    result = CliRunner().invoke(app, ["licence", "set", "KOGL-3", "--release", release_id, "--note", "agreed"])
    assert result.exit_code == 0, result.output
    with session() as s:
        row = store.get(s, release_id)
        assert row.licence_override is not None and row.licence_override["id"] == "KOGL-3"
        assert store.version(s, release_id, 1).stage == "received"  # normalize, credit and the gate run again
    bad = CliRunner().invoke(app, ["licence", "set", "KOGL-7", "--release", release_id, "--note", "x"])
    assert bad.exit_code == 1 and "unknown licence" in bad.output


def test_a_correction_that_changes_the_licence_changes_the_gate(client: TestClient, agency_key: Any) -> None:
    key = agency_key("incheon")
    headers = {"Authorization": f"Bearer {key}"}
    body = {"title": "인천시 발표", "body": "본문입니다."}
    release_id = client.post("/api/v1/releases", json=body, headers=headers).json()["id"]
    run_all(release_id)
    assert allowed(read(client, release_id)["gate"], "translate")

    answer = client.patch(f"/api/v1/releases/{release_id}", json={**body, "licence": "KOGL-3"}, headers=headers)
    assert answer.status_code == 202, answer.text
    run_all(release_id, version=answer.json()["version"])
    gate = read(client, release_id, key)["gate"]
    assert gate["licence"] == "KOGL-3"
    assert not allowed(gate, "translate") and not allowed(gate, "summarize")
    assert allowed(gate, "deliver_commercial")  # Type 3 allows commercial use, only not changes


def test_recredit_after_the_registry_learns_the_name(
    client: TestClient, agency_key: Any, admin: dict[str, str], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from syndicate.registry import get_registry
    from tests.conftest import ROOT

    key = agency_key("portalnews")
    body = {"title": "교류전", "body": "[뉴스출처 : 한국천연염색박물관] 교류전을 연다."}
    release_id = client.post("/api/v1/releases", json=body, headers={"Authorization": f"Bearer {key}"}).json()["id"]
    run_all(release_id)
    assert [u["release_id"] for u in client.get("/api/v1/admin/unmatched", headers=admin).json()] == [release_id]

    feeds = tmp_path / "feeds"
    shutil.copytree(ROOT / "feeds", feeds)
    with (feeds / "agencies.toml").open("a", encoding="utf-8") as fh:
        fh.write(
            '\n[[agency]]\nid = "natural-dye-museum"\nkind = "agency"\n'
            'name = { ko = "한국천연염색박물관", en = "Korea Natural Dyeing Museum" }\n'
        )
    monkeypatch.setenv("SYNDICATE_REGISTRY_DIR", str(feeds))
    get_settings.cache_clear()
    get_registry.cache_clear()  # type: ignore[attr-defined]

    answer = client.post(f"/api/v1/admin/releases/{release_id}/recredit", headers=admin)
    assert answer.status_code == 202 and answer.json() == ["normalize"]
    run_all(release_id)
    assert client.get("/api/v1/admin/unmatched", headers=admin).json() == []
    credit = read(client, release_id, key)["release"]["credit"]
    assert credit["agency"]["id"] == "natural-dye-museum" and credit["via"] == "포탈뉴스통신"


@pytest.mark.parametrize(
    "path", ["submission-kogl4", "submission-kogl3", "page-kogl3", "agency-default", "source-default", "cc-nd"]
)
def test_type_3_and_4_are_gated_whichever_path(
    path: str, client: TestClient, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """However a release comes to be under a no-derivatives licence, the pipeline's gate forbids translating
    and summarizing it, and says why."""
    agency, licence_id, hint, source_id = "incheon", None, None, None
    if path.startswith("submission"):
        licence_id = {"submission-kogl4": "KOGL-4", "submission-kogl3": "KOGL-3"}[path]
    elif path == "page-kogl3":
        hint = "공공누리 마크 - 제3유형(출처표시+변경금지)"
    elif path == "agency-default":
        agency = "damyang"  # KOGL-4 by default in the registry
    elif path == "cc-nd":
        hint = "https://creativecommons.org/licenses/by-nd/4.0/"
    else:
        import shutil

        from syndicate.registry import get_registry
        from tests.conftest import ROOT

        feeds = tmp_path / "feeds"
        shutil.copytree(ROOT / "feeds", feeds)
        (feeds / "sources").mkdir(exist_ok=True)
        (feeds / "sources" / "gated.toml").write_text(
            '[[source]]\nid = "incheon-news"\nagency = "incheon"\nurl = "https://www.incheon.go.kr/rss"\n'
            'licence = "KOGL-3"\n',
            encoding="utf-8",
        )
        monkeypatch.setenv("SYNDICATE_REGISTRY_DIR", str(feeds))
        get_settings.cache_clear()
        get_registry.cache_clear()  # type: ignore[attr-defined]
        source_id = "incheon-news"
    raw = RawRelease(title="보도자료", body="본문.", body_is_html=False, licence_hint=hint)
    if source_id:
        with session() as s:
            release_id = store.create(
                s, raw={"release": raw.model_dump(mode="json"), "licence": None}, agency_id=agency,
                language="ko", source_id=source_id,
            ).id  # fmt: skip
    else:
        release_id, _, _ = pipeline.submit(agency_id=agency, raw=raw, licence_id=licence_id)
    run_all(release_id)
    gate = read(client, release_id)["gate"]
    assert not allowed(gate, "translate") and not allowed(gate, "summarize"), gate
    assert "forbids derivatives" in gate["translate"]["reason"]


def test_later_steps_ask_the_gate_and_refusals_are_recorded(client: TestClient) -> None:
    raw = RawRelease(title="t", body="본문.", body_is_html=False)
    kogl4, _, _ = pipeline.submit(agency_id="incheon", raw=raw, licence_id="KOGL-4")
    kogl1, _, _ = pipeline.submit(agency_id="incheon", raw=raw, licence_id="KOGL-1")
    ungated, _, _ = pipeline.submit(agency_id="incheon", raw=raw)
    run_all(kogl4)
    run_all(kogl1)
    with session() as s:
        assert not pipeline.licence_allows(s, store.get(s, kogl4), 1, "translate")
        assert not pipeline.licence_allows(s, store.get(s, kogl4), 1, "deliver_commercial")
        assert pipeline.licence_allows(s, store.get(s, kogl1), 1, "summarize")
        assert not pipeline.licence_allows(s, store.get(s, ungated), 1, "translate")  # no gate yet: fail closed
    refused = [e for e in read(client, kogl4)["events"] if e["stage"] == "licence_refused"]
    assert [e["detail"] for e in refused] == [
        # the translate and summarize steps' own refusals, then the two asked here
        {"action": "translate", "reason": "KOGL-4 forbids derivatives; a translation is a derivative"},
        {"action": "summarize", "reason": "KOGL-4 forbids derivatives; a summary is one"},
        {"action": "translate", "reason": "KOGL-4 forbids derivatives; a translation is a derivative"},
        {"action": "deliver_commercial", "reason": "KOGL-4 forbids commercial use"},
    ]
    assert not [e for e in read(client, kogl1)["events"] if e["stage"] == "licence_refused"]
