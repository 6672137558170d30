"""The admin API for partners, in-process: auth, the secret shown once, the SSRF guard, the delivery log."""

from __future__ import annotations

from typing import Any

import pytest

from syndicate.config import get_settings
from tests.publish import flow

TOKEN = "admin-token-for-tests-0123456789"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def admin(monkeypatch: pytest.MonkeyPatch, client: Any) -> Any:
    monkeypatch.setenv("SYNDICATE_ADMIN_TOKEN", TOKEN)
    get_settings.cache_clear()
    return client


def test_partner_admin_needs_the_token(admin: Any) -> None:
    assert admin.get("/api/v1/admin/partners").status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert (
        admin.post(
            "/api/v1/admin/partners", json={"name": "x", "url": "http://127.0.0.1:9/"}, headers=wrong
        ).status_code
        == 401
    )


def test_secret_only_in_the_creation_answer(admin: Any) -> None:
    created = admin.post(
        "/api/v1/admin/partners",
        json={"name": "Kyodo", "url": "http://127.0.0.1:9/hook", "languages": ["ja"], "ninjs_version": "2.2"},
        headers=ADMIN,
    )
    assert created.status_code == 201, created.text
    partner_id, secret = created.json()["id"], created.json()["secret"]
    assert secret.startswith("whsec_")
    flow.publish()
    for path in ("/api/v1/admin/partners", f"/api/v1/admin/partners/{partner_id}/deliveries"):
        answer = admin.get(path, headers=ADMIN)
        assert answer.status_code == 200 and secret not in answer.text and "whsec_" not in answer.text
    (listed,) = admin.get("/api/v1/admin/partners", headers=ADMIN).json()
    assert listed["languages"] == ["ja"] and listed["ninjs_version"] == "2.2"
    assert listed["counts"] == {}  # the release is Korean only: a Japanese-only partner gets nothing yet


@pytest.mark.parametrize("url", ["http://10.0.0.7/hook", "http://[fd00::1]:8080/x", "http://169.254.169.254/"])
def test_private_partner_urls_are_refused(admin: Any, url: str) -> None:
    answer = admin.post("/api/v1/admin/partners", json={"name": "evil", "url": url}, headers=ADMIN)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "blocked_url"


def test_delivery_log_and_replay(admin: Any) -> None:
    partner_id = admin.post(
        "/api/v1/admin/partners", json={"name": "P", "url": "http://127.0.0.1:9/p"}, headers=ADMIN
    ).json()["id"]
    release_id, _ = flow.publish()
    (entry,) = admin.get(f"/api/v1/admin/partners/{partner_id}/deliveries", headers=ADMIN).json()
    assert entry["release_id"] == release_id and entry["type"] == "release.published" and entry["status"] == "pending"
    since = admin.get(
        f"/api/v1/admin/partners/{partner_id}/deliveries", params={"since": "2999-01-01T00:00:00"}, headers=ADMIN
    )
    assert since.status_code == 200 and since.json() == []
    replay = admin.post(
        f"/api/v1/admin/partners/{partner_id}/replay", json={"since": "2000-01-01T00:00:00Z"}, headers=ADMIN
    )
    assert replay.status_code == 202 and replay.json() == {"id": partner_id, "replayed": 1}
    assert admin.get("/api/v1/admin/partners/pt_nobody/deliveries", headers=ADMIN).status_code == 404


def test_metrics_count_partner_messages_by_status(admin: Any) -> None:
    partner_id = admin.post(
        "/api/v1/admin/partners", json={"name": "M", "url": "http://127.0.0.1:9/m"}, headers=ADMIN
    ).json()["id"]
    flow.publish()
    metrics = admin.get("/metrics").text
    assert f'syndicate_partner_deliveries{{partner_id="{partner_id}",status="pending"}} 1.0' in metrics


def test_control_characters_and_bad_ids_are_422_not_500(admin: Any) -> None:
    answer = admin.post(
        "/api/v1/admin/partners",
        json={"name": "a\x00b", "url": "http://127.0.0.1:9/", "languages": ["\x00"]},
        headers=ADMIN,
    )
    assert answer.status_code == 422, answer.text
    assert admin.get("/api/v1/admin/partners/%00x/deliveries", headers=ADMIN).status_code == 422
    assert admin.post("/api/v1/admin/partners/a%20b/replay", headers=ADMIN).status_code == 422
