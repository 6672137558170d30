"""Delivery planning and ordering, embargo time travel, the licence gate and the SSRF guard, in-process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks import Webhook

from syndicate import delivery, pipeline, syndication
from syndicate import partners as partners_module
from syndicate.errors import BlockedURL
from syndicate.publish import webhooks, websub
from syndicate.store import deliveries as store
from syndicate.store.db import session
from syndicate.store.tables import DeliveryRow, utcnow
from tests.publish import flow


def _rows(release_id: str) -> list[DeliveryRow]:
    with session() as s:
        return list(store.of_release(s, release_id))


def test_signature_verifies_with_the_standardwebhooks_library() -> None:
    secret = webhooks.new_secret()
    assert secret.startswith("whsec_")
    now = datetime.now(UTC)
    msg_id = webhooks.webhook_id("pt_1", "r1", 2, "release.updated")
    body = webhooks.payload("release.updated", {"uri": "http://x/releases/r1"}, now)
    headers = webhooks.signed_headers(secret, msg_id, body, now)
    assert Webhook(secret).verify(body, headers)["type"] == "release.updated"
    with pytest.raises(Exception, match="signature"):
        Webhook(webhooks.new_secret()).verify(body, headers)
    assert msg_id == webhooks.webhook_id("pt_1", "r1", 2, "release.updated")
    assert len({webhooks.webhook_id("pt_1", "r1", v, t) for v in (1, 2) for t in webhooks.EVENT_TYPES}) == 6


def test_websub_ping_body() -> None:
    body = websub.publish_body(["http://testserver/feeds/ko/rss.xml", "http://testserver/feeds/ko/atom.xml"])
    assert body == (
        b"hub.mode=publish&hub.url=http%3A%2F%2Ftestserver%2Ffeeds%2Fko%2Frss.xml"
        b"&hub.url=http%3A%2F%2Ftestserver%2Ffeeds%2Fko%2Fatom.xml"
    )


def test_retry_schedule_has_jitter_and_ends() -> None:
    now = utcnow()
    schedule = [5, 30, 120]
    for attempt, seconds in enumerate(schedule, start=1):
        at = delivery.next_attempt(schedule, attempt, now)
        assert at is not None and seconds * 0.8 <= (at - now).total_seconds() <= seconds * 1.2
    assert delivery.next_attempt(schedule, 4, now) is None


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/latest/meta-data", "http://10.1.2.3/hook", "file:///etc/passwd", "ftp://x/"]
)
def test_partner_urls_pass_the_ssrf_guard(database: str, url: str) -> None:
    with pytest.raises(BlockedURL):
        partners_module.add_partner(name="evil", url=url)


def test_filters_select_partners_and_versions_go_out_in_order(database: str) -> None:
    everyone, _ = partners_module.add_partner(name="all", url="http://127.0.0.1:9/all")
    incheon, _ = partners_module.add_partner(name="incheon", url="http://127.0.0.1:9/i", agencies=["incheon"])
    partners_module.add_partner(name="seoul", url="http://127.0.0.1:9/s", agencies=["seoul"])
    partners_module.add_partner(name="culture", url="http://127.0.0.1:9/c", categories=["culture"])
    partners_module.add_partner(name="japanese", url="http://127.0.0.1:9/j", languages=["ja"])
    release_id, rest = flow.publish()
    assert pipeline.Next("deliver", release_id, 1) in rest
    flow.correct(release_id, "정정된 제목")
    rows = _rows(release_id)
    assert sorted((r.partner_id, r.version, r.type) for r in rows) == sorted(
        [(p, v, t) for p in (everyone, incheon) for v, t in ((1, "release.published"), (2, "release.updated"))]
    )
    # Version 2 waits while version 1 is pending for the same partner.
    with session() as s:
        due = set(store.due(s, utcnow()))
    first = {r.id for r in rows if r.version == 1}
    assert due == first
    reserved = dict(delivery.reserve_due())
    assert set(reserved) == first
    assert delivery.reserve_due() == [], "a reserved message is not handed to a second task"
    with session() as s:
        for delivery_id in sorted(first):
            assert store.claim(s, delivery_id, "not-the-token", utcnow(), timedelta(seconds=60)) is None
            row = store.claim(s, delivery_id, reserved[delivery_id], utcnow(), timedelta(seconds=60))
            assert row is not None
            # The same task delivered twice by the broker: the token is spent.
            assert store.claim(s, delivery_id, reserved[delivery_id], utcnow(), timedelta(seconds=60)) is None
            store.record_attempt(s, row, status_code=204, error=None, latency_ms=3, delivered=True, retry_at=None)
    with session() as s:
        assert set(store.due(s, utcnow())) == {r.id for r in rows if r.version == 2}


def test_retraction_goes_to_partners_that_had_the_release(database: str) -> None:
    had, _ = partners_module.add_partner(name="had", url="http://127.0.0.1:9/had")
    release_id, _ = flow.publish()
    late, _ = partners_module.add_partner(name="late", url="http://127.0.0.1:9/late")
    steps = pipeline.retract(release_id, agency_id="incheon")
    assert pipeline.Next("deliver", release_id, 0) in steps
    retractions = [(r.partner_id, r.type) for r in _rows(release_id) if r.type == "release.retracted"]
    assert retractions == [(had, "release.retracted")]
    assert late not in {r.partner_id for r in _rows(release_id)}


def test_licence_gate_refuses_commercial_partners_and_records_why(database: str) -> None:
    shop, _ = partners_module.add_partner(name="shop", url="http://127.0.0.1:9/shop", commercial=True)
    ngo, _ = partners_module.add_partner(name="ngo", url="http://127.0.0.1:9/ngo")
    release_id, _ = flow.publish(licence="KOGL-2")
    rows = {r.partner_id: r for r in _rows(release_id)}
    assert rows[shop].status == "refused" and rows[shop].last_error == "KOGL-2 forbids commercial use"
    assert rows[ngo].status == "pending"
    with session() as s:
        assert rows[shop].id not in set(store.due(s, utcnow()))
    open_id, _ = flow.publish("공공누리 1유형", licence="KOGL-1")
    assert {r.partner_id: r.status for r in _rows(open_id)} == {shop: "pending", ngo: "pending"}


def test_embargo_time_travel(database: str, client: Any) -> None:
    """Nothing anywhere before the minute; everything at it (the beat's sweep run with a clock a day ahead)."""
    partner_id, _ = partners_module.add_partner(name="watcher", url="http://127.0.0.1:9/w")
    until = (utcnow() + timedelta(days=1)).replace(second=0, microsecond=0)
    release_id, rest = flow.publish("엠바고: 내일 정오 공개", embargo_until=until)
    assert rest == []
    assert pipeline.release_embargoes(at=until - timedelta(seconds=1)) == []

    def visible() -> dict[str, bool]:
        out = {}
        for filename in ("rss.xml", "atom.xml", "feed.json"):
            for scope in ("ko", "ko/agencies/incheon", "ko/categories/economy"):
                body = syndication.get_document(scope, filename).body.decode()
                out[f"{scope}/{filename}"] = "엠바고: 내일 정오 공개" in body
        return out

    assert not any(visible().values())
    assert client.get(f"/api/v1/releases/{release_id}").status_code == 404  # type: ignore[attr-defined]
    assert _rows(release_id) == []

    after = pipeline.release_embargoes(at=until)
    assert pipeline.Next("deliver", release_id, 1) in after
    assert all(visible().values()), visible()
    assert client.get(f"/api/v1/releases/{release_id}").status_code == 200  # type: ignore[attr-defined]
    assert [(r.partner_id, r.status) for r in _rows(release_id)] == [(partner_id, "pending")]


def test_replay_makes_dead_messages_due_again(database: str) -> None:
    partner_id, _ = partners_module.add_partner(name="p", url="http://127.0.0.1:9/p")
    release_id, _ = flow.publish()
    ((delivery_id, token),) = delivery.reserve_due()
    with session() as s:
        claimed = store.claim(s, delivery_id, token, utcnow(), timedelta(seconds=60))
        assert claimed is not None
        store.record_attempt(
            s, claimed, status_code=500, error="HTTP 500", latency_ms=5, delivered=False, retry_at=None
        )
    assert [r.status for r in _rows(release_id)] == ["dead"]
    assert partners_module.replay("p", since=utcnow() - timedelta(hours=1)) == (partner_id, 1)
    assert [r.status for r in _rows(release_id)] == ["pending"]
    log = partners_module.delivery_log(partner_id)
    assert log[0]["log"][0]["status_code"] == 500 and "secret" not in str(log)


def test_send_signs_and_a_loopback_partner_verifies(database: str, partners: Any) -> None:
    """delivery.send in-process against a real HTTP partner that verifies with standardwebhooks."""
    partner, url = partners.partner("ok")
    _partner_id, partner.secret = partners_add(url)
    release_id, _ = flow.publish()
    (row,) = _rows(release_id)
    ((delivery_id, token),) = delivery.reserve_due()
    assert delivery_id == row.id
    assert delivery.send(row.id, token) == "delivered"
    assert delivery.send(row.id, token) is None  # a duplicate task: nothing left to claim
    assert delivery.reserve_due() == []
    (got,) = partner.accepted
    assert got.webhook_id == row.webhook_id and got.type == "release.published" and not partner.problems


def test_retry_after_is_honoured(database: str, partners: Any) -> None:
    _partner, url = partners.partner("busy", status=429, retry_after="120")
    partners_add(url)
    release_id, _ = flow.publish()
    (row,) = _rows(release_id)
    before = utcnow()
    assert _send(release_id) == "pending"
    (row,) = _rows(release_id)
    assert row.last_status_code == 429 and row.next_attempt_at is not None
    assert (row.next_attempt_at - before).total_seconds() >= 119  # not the schedule's first 5 s


def test_410_gone_disables_the_partner_until_replayed(database: str, partners: Any) -> None:
    partner, url = partners.partner("gone", status=410)
    partner_id, partner.secret = partners_add(url)
    first_id, _ = flow.publish("첫째")
    second_id, _ = flow.publish("둘째")
    assert _send(first_id) == "dead"
    assert _send(second_id) == "dead"
    assert partner.requests == 1, "a disabled partner is not contacted again"
    third_id, _ = flow.publish("셋째")
    assert _rows(third_id) == [], "a disabled partner gets no new messages"
    partner.status = 0
    assert partners_module.replay(partner_id) == (partner_id, 2)
    assert _send(first_id) == "delivered"


def test_next_attempt_takes_the_longer_of_schedule_and_retry_after() -> None:
    now = utcnow()
    at = delivery.next_attempt([1, 1], 1, now, retry_after=30)
    assert at is not None and 30 <= (at - now).total_seconds() <= 30.001
    at = delivery.next_attempt([100], 1, now, retry_after=1)
    assert at is not None and (at - now).total_seconds() >= 80
    assert delivery.next_attempt([1], 1, now, retry_after=10**9) <= now + timedelta(days=1)  # type: ignore[operator]


def partners_add(url: str) -> tuple[str, str]:
    return partners_module.add_partner(name=url.rsplit("/", 1)[-1], url=url)


def test_websub_ping_once_per_change_and_again_after_a_hub_failure(
    database: str, partners: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from syndicate import announce
    from syndicate.config import get_settings
    from syndicate.errors import DeliveryFailed

    assert announce.announce() == 0  # no hub configured: nothing to do
    monkeypatch.setenv("SYNDICATE_WEBSUB_HUB", f"{partners.base}/hub")
    get_settings.cache_clear()
    flow.publish()
    partners.hub_status = 503
    with pytest.raises(DeliveryFailed):
        announce.announce()
    partners.hub_status = 204
    assert announce.announce() == 3  # ko, ko/agencies/incheon, ko/categories/economy
    assert announce.announce() == 0  # nothing changed since
    ping = partners.hub_pings[-1]
    assert ping["hub.mode"] == ["publish"]
    assert "http://testserver/feeds/ko/atom.xml" in ping["hub.url"] and len(ping["hub.url"]) == 9
    flow.publish("두 번째")
    assert announce.announce() == 3


def _send(release_id: str) -> str | None:
    """What the delivery sweep and a send task do for a release's one due message."""
    ((delivery_id, token),) = delivery.reserve_due(release_id)
    return delivery.send(delivery_id, token)
