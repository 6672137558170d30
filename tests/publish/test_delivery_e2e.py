"""Partner pushes end to end: real API, worker and beat processes, real broker and database, loopback partners
that verify Standard Webhooks signatures and validate ninjs."""

from __future__ import annotations

import time
from typing import Any

import feedparser
import httpx
import pytest

from tests.conftest import wait_for
from tests.publish.conftest import ADMIN_TOKEN
from tests.publish.partner_server import Server, dump

pytestmark = pytest.mark.e2e
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _add_partner(base: str, name: str, url: str, **filters: Any) -> tuple[str, str]:
    answer = httpx.post(f"{base}/api/v1/admin/partners", json={"name": name, "url": url, **filters}, headers=ADMIN)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"], answer.json()["secret"]


def _submit(base: str, key: str, title: str, **extra: Any) -> str:
    body = {
        "title": title,
        "body": "인천광역시는 25일 계획을 발표했다.\n\n시는 일자리를 만든다.",
        "category": "economy",
        **extra,
    }
    answer = httpx.post(f"{base}/api/v1/releases", json=body, headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


def _status(base: str, release_id: str, key: str) -> str:
    answer = httpx.get(f"{base}/api/v1/releases/{release_id}", headers={"Authorization": f"Bearer {key}"})
    return str(answer.json()["status"])


def _log(base: str, partner_id: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{base}/api/v1/admin/partners/{partner_id}/deliveries", headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def _titles(base: str, path: str) -> list[str]:
    feed = feedparser.parse(httpx.get(base + path).content)
    assert feed.bozo == 0, (path, feed.get("bozo_exception"))
    return [e.title for e in feed.entries]


def test_publish_correct_retract_reach_partners_and_feeds(stack: str, partners: Server, agency_key: Any) -> None:
    base, key = stack, agency_key("incheon")
    p3, url3 = partners.partner("all")
    p22, url22 = partners.partner("incheon22", ninjs_version="2.2")
    p_other, url_other = partners.partner("seoul-only")
    id3, p3.secret = _add_partner(base, "All", url3)
    id22, p22.secret = _add_partner(base, "Incheon 2.2", url22, agencies=["incheon"], ninjs_version="2.2")
    _, p_other.secret = _add_partner(base, "Seoul", url_other, agencies=["seoul"])

    started = time.monotonic()
    release_id = _submit(base, key, "인천시 청년 일자리 계획")
    wait_for(lambda: len(p3.accepted) == 1 and len(p22.accepted) == 1, 30, what="first pushes")
    first_push = time.monotonic() - started
    first = p3.accepted[0]
    assert first.type == "release.published" and first.data["version"] == "1"
    assert first.data["uri"].endswith(f"/releases/{release_id}")
    assert first.data["by"] == "Incheon Metropolitan City" and "공공누리 제1유형" in first.data["usageTerms"]
    assert p22.accepted[0].data["versioncreated"]  # 2.2 spelling, validated by the receiver
    for path in ("/feeds/ko/rss.xml", "/feeds/ko/atom.xml"):
        assert "인천시 청년 일자리 계획" in _titles(base, path)
    guid_before = feedparser.parse(httpx.get(base + "/feeds/ko/atom.xml").content).entries[0].id

    # Correction: same guid, new title, release.updated to both partners.
    answer = httpx.patch(
        f"{base}/api/v1/releases/{release_id}",
        json={"title": "인천시 청년 일자리 계획 (정정)", "body": "정정된 본문입니다.", "category": "economy"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert answer.status_code == 202, answer.text
    wait_for(lambda: len(p3.accepted) == 2 and len(p22.accepted) == 2, 30, what="update pushes")
    assert p3.events() == [("release.published", "1"), ("release.updated", "2")]
    assert p3.accepted[1].data["headlines"][0]["value"] == "인천시 청년 일자리 계획 (정정)"
    wait_for(lambda: "인천시 청년 일자리 계획 (정정)" in _titles(base, "/feeds/ko/atom.xml"), 15, what="feed updated")
    entry = feedparser.parse(httpx.get(base + "/feeds/ko/atom.xml").content).entries[0]
    assert entry.id == guid_before
    json_feed = httpx.get(base + "/feeds/ko/feed.json").json()
    assert json_feed["items"][0]["title"] == "인천시 청년 일자리 계획 (정정)"

    # Retraction: out of every feed, 410 from the public API, release.retracted to partners that had it.
    answer = httpx.post(f"{base}/api/v1/releases/{release_id}/retract", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 202, answer.text
    wait_for(lambda: len(p3.accepted) == 3 and len(p22.accepted) == 3, 30, what="retraction pushes")
    assert p3.accepted[2].type == "release.retracted" and p3.accepted[2].data["pubStatus"] == "canceled"
    for path in ("/feeds/ko/rss.xml", "/feeds/ko/atom.xml", "/feeds/ko/agencies/incheon/rss.xml"):
        assert not any(t.startswith("인천시 청년") for t in _titles(base, path)), path
    assert httpx.get(base + "/feeds/ko/feed.json").json()["items"] == []
    assert httpx.get(f"{base}/api/v1/releases/{release_id}").status_code == 410

    assert p_other.requests == 0, "a partner filtered to another agency gets nothing"
    assert not p3.problems and not p22.problems, (p3.problems, p22.problems)
    ids = [r.webhook_id for r in p3.accepted]
    assert len(set(ids)) == 3
    log = _log(base, id3)
    assert [d["status"] for d in log] == ["delivered"] * 3
    assert all("secret" not in str(d) for d in log)
    listing = httpx.get(f"{base}/api/v1/admin/partners", headers=ADMIN).json()
    assert all("secret" not in p for p in listing) and {p["id"] for p in listing} >= {id3, id22}

    # WebSub: the hub heard about the changed feeds.
    wait_for(
        lambda: any(f"{base}/feeds/ko/rss.xml" in p.get("hub.url", []) for p in partners.hub_pings),
        20,
        what="WebSub ping",
    )
    assert all(p["hub.mode"] == ["publish"] for p in partners.hub_pings)
    print(f"seconds from POST to first partner push: {first_push:.3f}")


def test_flaky_partner_gets_retries_in_version_order(stack: str, partners: Server, agency_key: Any) -> None:
    base, key = stack, agency_key("incheon")
    flaky, url = partners.partner("flaky", fail_first=3)
    partner_id, flaky.secret = _add_partner(base, "Flaky", url)
    release_id = _submit(base, key, "첫 판")
    wait_for(lambda: _status(base, release_id, key) == "published", 30, what="published")
    httpx.patch(
        f"{base}/api/v1/releases/{release_id}",
        json={"title": "둘째 판", "body": "고친 본문.", "category": "economy"},
        headers={"Authorization": f"Bearer {key}"},
    ).raise_for_status()
    wait_for(lambda: len(flaky.accepted) == 2, 40, what="both versions delivered")
    assert flaky.events() == [("release.published", "1"), ("release.updated", "2")], dump(flaky.events())
    log = sorted(_log(base, partner_id), key=lambda d: d["id"])
    assert [entry["status_code"] for entry in log[0]["log"]] == [500, 500, 500, 204]
    assert log[0]["attempts"] == 4 and log[1]["status"] == "delivered"
    assert all(entry["latency_ms"] >= 0 for entry in log[0]["log"])


def test_dead_partner_dead_letters_then_replays(stack: str, partners: Server, agency_key: Any) -> None:
    base, key = stack, agency_key("incheon")
    dead, url = partners.partner("dead", always_fail=True)
    partner_id, dead.secret = _add_partner(base, "Dead", url)
    _submit(base, key, "아무도 못 받는 보도자료")
    wait_for(lambda: [d["status"] for d in _log(base, partner_id)] == ["dead"], 40, what="dead letter")
    assert dead.requests == 4  # the first attempt and the three retries of the schedule
    dead.always_fail = False
    answer = httpx.post(f"{base}/api/v1/admin/partners/{partner_id}/replay", json={}, headers=ADMIN)
    assert answer.status_code == 202 and answer.json()["replayed"] == 1, answer.text
    wait_for(lambda: len(dead.accepted) == 1, 30, what="replayed delivery")
    assert [d["status"] for d in _log(base, partner_id)] == ["delivered"]
    assert dead.accepted[0].webhook_id == _log(base, partner_id)[0]["webhook_id"]


def test_slow_partner_does_not_delay_a_fast_one(stack: str, partners: Server, agency_key: Any) -> None:
    base, key = stack, agency_key("incheon")
    slow, slow_url = partners.partner("slow", stall=30)
    fast, fast_url = partners.partner("fast")
    slow_id, slow.secret = _add_partner(base, "Slow", slow_url)
    _, fast.secret = _add_partner(base, "Fast", fast_url)
    latencies = []
    for n in range(3):
        started = time.monotonic()
        _submit(base, key, f"빠른 전달 {n}")
        wait_for(lambda n=n: len(fast.accepted) == n + 1, 15, what=f"fast partner got release {n}")
        latencies.append(time.monotonic() - started)
    # The slow one timed out (1.5 s) and is being retried; the fast one never waited for it.
    wait_for(lambda: any(d["last_error"] for d in _log(base, slow_id)), 15, what="slow partner timed out")
    assert all("timeout" in (d["last_error"] or "timeout") for d in _log(base, slow_id))
    latencies.sort()
    print(f"fast partner, seconds from POST to push, median of 3 beside a stalled partner: {latencies[1]:.3f}")
    assert latencies[1] < 8


def test_commercial_partner_never_gets_a_noncommercial_licence(stack: str, partners: Server, agency_key: Any) -> None:
    base, key = stack, agency_key("incheon")
    shop, shop_url = partners.partner("shop")
    ngo, ngo_url = partners.partner("ngo")
    shop_id, shop.secret = _add_partner(base, "Shop", shop_url, commercial=True)
    _, ngo.secret = _add_partner(base, "NGO", ngo_url)
    _submit(base, key, "비영리 조건 보도자료", licence="KOGL-4")
    wait_for(lambda: len(ngo.accepted) == 1, 30, what="non-commercial partner push")
    log = _log(base, shop_id)
    assert [d["status"] for d in log] == ["refused"] and "KOGL-4 forbids commercial use" in log[0]["last_error"]
    time.sleep(1)
    assert shop.requests == 0


def test_embargoed_release_appears_nowhere_before_its_minute(stack: str, partners: Server, agency_key: Any) -> None:
    from datetime import UTC, datetime, timedelta

    base, key = stack, agency_key("incheon")
    watcher, url = partners.partner("watcher")
    _, watcher.secret = _add_partner(base, "Watcher", url)
    until = datetime.now(UTC) + timedelta(seconds=6)
    release_id = _submit(base, key, "엠바고 보도자료", embargo_until=until.isoformat())
    wait_for(lambda: _status(base, release_id, key) == "embargoed", 20, what="embargoed")
    assert datetime.now(UTC) < until, "the machine was too slow for this test's embargo window"
    for path in ("/feeds/ko/rss.xml", "/feeds/ko/atom.xml", "/feeds/ko/agencies/incheon/rss.xml"):
        assert "엠바고 보도자료" not in _titles(base, path)
    assert httpx.get(f"{base}/api/v1/releases/{release_id}").status_code == 404
    assert watcher.requests == 0
    wait_for(lambda: len(watcher.accepted) == 1, 30, what="push after the embargo")
    lag = time.monotonic()
    assert datetime.now(UTC) >= until
    wait_for(lambda: "엠바고 보도자료" in _titles(base, "/feeds/ko/rss.xml"), 15, what="feed after the embargo")
    assert httpx.get(f"{base}/api/v1/releases/{release_id}").status_code == 200
    print(f"embargo lifted; feed caught up {time.monotonic() - lag:.3f}s after the push")
