"""Submission API: keys are hashed and scoped to one agency; bad input gets a 422 naming the field."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from syndicate import pipeline
from syndicate.store.db import session
from syndicate.store.tables import ApiKeyRow

BODY = {"title": "인천시 보도자료", "body": "첫 문단.\n\n둘째 문단."}


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _publish_now(release_id: str) -> None:
    for step in pipeline.STEPS:
        pipeline.run_step(step, release_id, 1)


def test_missing_or_wrong_key_is_401(client: Any) -> None:
    assert client.post("/api/v1/releases", json=BODY).status_code == 401
    answer = client.post("/api/v1/releases", json=BODY, headers=_auth("syn_not-a-key"))
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthorized"
    assert answer.headers["www-authenticate"] == "Bearer"
    assert client.post("/api/v1/releases", json=BODY, headers={"Authorization": "Basic abc"}).status_code == 401


def test_submission_is_accepted_and_queued(client: Any, agency_key: Any) -> None:
    answer = client.post("/api/v1/releases", json=BODY, headers=_auth(agency_key("incheon")))
    assert answer.status_code == 202
    assert answer.json()["status"] == "received"
    assert len(answer.json()["id"]) == 32


def test_validation_error_names_the_field(client: Any, agency_key: Any) -> None:
    key = agency_key("incheon")
    answer = client.post("/api/v1/releases", json={"body": "text"}, headers=_auth(key))
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["field"] == "title"
    assert "title" in answer.json()["message"]
    answer = client.post("/api/v1/releases", json={**BODY, "embargo_until": "2030-01-01T09:00:00"}, headers=_auth(key))
    assert answer.status_code == 422 and answer.json()["detail"][0]["field"] == "embargo_until"
    answer = client.post("/api/v1/releases", json={**BODY, "licence": "WTFPL"}, headers=_auth(key))
    assert answer.status_code == 422 and answer.json()["detail"][0]["field"] == "licence"


def test_a_key_cannot_submit_for_another_agency(client: Any, agency_key: Any) -> None:
    key = agency_key("incheon")
    answer = client.post("/api/v1/releases", json={**BODY, "agency": "seoul"}, headers=_auth(key))
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["field"] == "agency"


def test_unpublished_releases_are_visible_only_to_their_agency(client: Any, agency_key: Any) -> None:
    incheon, seoul = agency_key("incheon"), agency_key("seoul")
    release_id = client.post("/api/v1/releases", json=BODY, headers=_auth(incheon)).json()["id"]
    assert client.get(f"/api/v1/releases/{release_id}", headers=_auth(incheon)).status_code == 200
    assert client.get(f"/api/v1/releases/{release_id}", headers=_auth(seoul)).status_code == 404
    assert client.get(f"/api/v1/releases/{release_id}").status_code == 404
    # Nor may another agency correct or retract it.
    assert client.patch(f"/api/v1/releases/{release_id}", json=BODY, headers=_auth(seoul)).status_code == 403
    assert client.post(f"/api/v1/releases/{release_id}/retract", headers=_auth(seoul)).status_code == 403

    _publish_now(release_id)
    public = client.get(f"/api/v1/releases/{release_id}")
    assert public.status_code == 200 and public.json()["status"] == "published"
    assert public.json()["error"] is None


def test_retracted_release_is_gone_for_the_public(client: Any, agency_key: Any) -> None:
    key = agency_key("incheon")
    release_id = client.post("/api/v1/releases", json=BODY, headers=_auth(key)).json()["id"]
    _publish_now(release_id)
    assert client.post(f"/api/v1/releases/{release_id}/retract", headers=_auth(key)).status_code == 202
    assert client.get(f"/api/v1/releases/{release_id}").status_code == 410
    assert client.get(f"/api/v1/releases/{release_id}", headers=_auth(key)).json()["status"] == "retracted"


def test_keys_are_stored_hashed(client: Any, agency_key: Any) -> None:
    key = agency_key("incheon")
    with session() as s:
        row = s.scalars(select(ApiKeyRow)).one()
    assert key not in (row.key_hash, row.prefix) and len(row.key_hash) == 64
    assert key.startswith(row.prefix)


def test_last_use_is_kept_to_the_minute(client: Any, agency_key: Any) -> None:
    """Recorded on a key's first use, and again only once the last record is a minute old: not a write on every
    request."""
    from datetime import timedelta

    from sqlalchemy import update

    from syndicate.store.keys import LAST_USED_PRECISION

    key = agency_key("incheon")

    def last_used() -> Any:
        with session() as s:
            return s.scalars(select(ApiKeyRow.last_used_at)).one()

    assert last_used() is None
    assert client.post("/api/v1/releases", json=BODY, headers=_auth(key)).status_code == 202
    first = last_used()
    assert first is not None
    assert client.post("/api/v1/releases", json=BODY, headers=_auth(key)).status_code == 202
    assert last_used() == first
    earlier = first - LAST_USED_PRECISION - timedelta(seconds=1)
    with session() as s:
        s.execute(update(ApiKeyRow).values(last_used_at=earlier))
    assert client.post("/api/v1/releases", json=BODY, headers=_auth(key)).status_code == 202
    assert last_used() > first


def test_submissions_are_rate_limited_per_agency(client: Any, agency_key: Any, monkeypatch: Any) -> None:
    from syndicate.config import get_settings

    monkeypatch.setenv("SYNDICATE_SUBMIT_PER_MINUTE", "3")
    get_settings.cache_clear()
    incheon, seoul = agency_key("incheon"), agency_key("seoul")
    codes = [client.post("/api/v1/releases", json=BODY, headers=_auth(incheon)).status_code for _ in range(4)]
    assert codes == [202, 202, 202, 429]
    limited = client.post("/api/v1/releases", json=BODY, headers=_auth(incheon))
    assert limited.json()["error"] == "rate_limited" and limited.headers["retry-after"] == "60"
    # Another agency has its own allowance.
    assert client.post("/api/v1/releases", json=BODY, headers=_auth(seoul)).status_code == 202
