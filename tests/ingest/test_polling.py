"""Polling a source end to end on a real database and real HTTP: dedupe, corrections, near-duplicates from
other places, conditional GET, politeness, health and backoff, boards."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from syndicate import catalog, pipeline, polling, syndication
from syndicate.model import BoardSelectors, Source, SourceKind
from syndicate.store import places
from syndicate.store import releases as release_store
from syndicate.store import sources as source_store
from syndicate.store.db import session
from syndicate.store.tables import ReleasePlaceRow, ReleaseRow, utcnow
from tests.ingest.server import Answer, Loopback, Request, rss, serve

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"
BODY = (
    "인천광역시는 25일 청년 일자리 계획을 발표했다. 시는 올해 1만 개의 일자리를 만든다. "
    "시는 청년 고용 장려금과 창업 공간을 함께 지원하기로 했으며, 구직 청년에게 면접 정장을 빌려주는 사업도 이어간다."
)


@pytest.fixture
def site(database: str) -> Iterator[Loopback]:
    with serve() as loop:
        yield loop


def _add(source_id: str, url: str, kind: SourceKind = SourceKind.rss, **extra: object) -> Source:
    source = Source(id=source_id, agency="incheon", url=url, kind=kind, interval_minutes=30, **extra)  # type: ignore[arg-type]
    added, skipped = catalog.add_runtime([source])
    assert added == [source_id], skipped
    return source


def _count() -> int:
    with session() as s:
        return int(s.scalar(select(func.count()).select_from(ReleaseRow)) or 0)


def _state(source_id: str) -> source_store.SourceStateRow:
    with session() as s:
        return source_store.state(s, source_id)


def test_new_items_become_releases_once_and_a_changed_body_is_a_new_version(site: Loopback) -> None:
    items = [
        ("a1", "인천시, 청년 일자리 1만 개", BODY),
        ("a2", "인천시, 겨울철 한파 대책", "시는 한파 쉼터 300곳을 연다."),
    ]
    feed = {"body": rss(items)}
    site.route("/feed.xml", lambda _r: Answer(200, feed["body"], {"Content-Type": "application/rss+xml"}))
    _add("incheon-test", f"{site.base}/feed.xml")

    first = polling.poll("incheon-test")
    assert (first.status, first.new) == ("ok", 2)
    assert [s.step for s in first.steps] == ["normalize", "normalize"]
    pipeline.run_inline(first.steps)
    with session() as s:
        row = release_store.by_identity(s, "guid:incheon-test:a1")
        assert row is not None and row.status == "published" and row.source_id == "incheon-test"
        assert row.agency_id == "incheon" and row.fingerprint
        content = release_store.version(s, row.id, 1).content
        assert content is not None and content["credit"]["agency"]["id"] == "incheon"

    again = polling.poll("incheon-test")
    assert (again.status, again.new) == ("unchanged", 0)
    assert _count() == 2

    feed["body"] = rss([(items[0][0], items[0][1], BODY + " (정정) 신청은 12월까지 받는다."), items[1]])
    corrected = polling.poll("incheon-test")
    assert (corrected.status, corrected.new) == ("ok", 1)
    assert corrected.steps[0].version == 2
    pipeline.run_inline(corrected.steps)
    with session() as s:
        row = release_store.by_identity(s, "guid:incheon-test:a1")
        assert row is not None and row.version == 2 and row.published_version == 2
        assert len(release_store.versions(s, row.id)) == 2
    assert _count() == 2


def test_the_same_text_from_an_outlet_is_one_release_with_two_places(site: Loopback) -> None:
    site.route("/feed.xml", Answer(200, rss([("j1", "인천시, 2026년 청년 일자리 1만 개 만든다", BODY)])))
    outlet_page = (FIXTURES / "page_outlet_republished.html").read_text(encoding="utf-8")
    outlet_page = outlet_page.replace(
        "<p>시는 올해 1만 개의 일자리를 만든다. 시는 청년 고용 장려금과 창업 공간을 함께 지원하기로 했다.</p>",
        "<p>시는 올해 1만 개의 일자리를 만든다.</p><p>시는 청년 고용 장려금과 창업 공간을 함께 지원하기로 했으며,"
        " 구직 청년에게 면접 정장을 빌려주는 사업도 이어간다.</p>",
    )
    site.route("/news/91234", Answer(200, outlet_page.encode(), {"Content-Type": "text/html; charset=utf-8"}))
    _add("incheon-feed", f"{site.base}/feed.xml")
    _add("portal-page", f"{site.base}/news/91234", SourceKind.page)

    assert polling.poll("incheon-feed").new == 1
    outlet = polling.poll("portal-page")
    assert (outlet.status, outlet.new) == ("ok", 0)
    assert _count() == 1
    with session() as s:
        row = release_store.by_identity(s, "guid:incheon-feed:j1")
        assert row is not None
        seen = places.of_release(s, row.id)
        assert [(p.source_id, p.via) for p in seen] == [("incheon-feed", None), ("portal-page", "포탈뉴스통신")]
        assert "seen_elsewhere" in [e.stage for e in release_store.events(s, row.id)]


def test_a_release_polled_from_an_outlet_is_filed_under_the_agency_it_credits(site: Loopback) -> None:
    """The outlet only carried it: the city's agency feeds list it, the outlet's do not, and a correction the
    outlet publishes later keeps it there."""
    body = "[뉴스출처 : 인천시] " + BODY
    feed = {"body": rss([("p1", "인천시, 청년 일자리 1만 개", body)])}
    site.route("/feed.xml", lambda _r: Answer(200, feed["body"], {"Content-Type": "application/rss+xml"}))
    source = Source(id="portal-feed", agency="portalnews", url=f"{site.base}/feed.xml", interval_minutes=30)
    assert catalog.add_runtime([source])[0] == ["portal-feed"]

    first = polling.poll("portal-feed")
    assert first.new == 1
    pipeline.run_inline(first.steps)
    with session() as s:
        row = release_store.by_identity(s, "guid:portal-feed:p1")
        assert row is not None and (row.agency_id, row.status) == ("incheon", "published")
        release_id = row.id
        credit = release_store.version(s, release_id, 1).content["credit"]  # type: ignore[index]
        assert (credit["agency"]["id"], credit["via"]) == ("incheon", "포탈뉴스통신")
    assert "청년 일자리" in syndication.get_document("ko/agencies/incheon", "rss.xml").body.decode()
    assert "청년 일자리" not in syndication.get_document("ko/agencies/portalnews", "rss.xml").body.decode()

    feed["body"] = rss([("p1", "인천시, 청년 일자리 1만 개", body + " (정정) 신청은 12월까지 받는다.")])
    corrected = polling.poll("portal-feed")
    assert corrected.steps and corrected.steps[0].version == 2
    pipeline.run_inline(corrected.steps)
    with session() as s:
        row = release_store.get(s, release_id)
        assert (row.agency_id, row.published_version) == ("incheon", 2)


def test_conditional_get_then_304(site: Loopback) -> None:
    def feed(req: Request) -> Answer:
        if req.headers.get("if-none-match") == '"abc"':
            return Answer(304)
        return Answer(200, rss([("c1", "제목 하나", "본문 하나입니다.")]), {"ETag": '"abc"'})

    site.route("/feed.xml", feed)
    _add("etag-test", f"{site.base}/feed.xml")
    assert polling.poll("etag-test").status == "ok"
    assert _state("etag-test").etag == '"abc"'
    assert polling.poll("etag-test").status == "not_modified"
    assert _state("etag-test").etag == '"abc"'


def test_errors_are_recorded_backed_off_and_recovered_from(site: Loopback) -> None:
    answers = [Answer(500, b"oops"), Answer(500, b"oops"), Answer(200, rss([("e1", "복구", "다시 된다.")]))]
    site.route("/feed.xml", lambda _r: answers.pop(0))
    _add("flaky", f"{site.base}/feed.xml")

    now = utcnow()
    first = polling.poll("flaky", now=now)
    assert first.status == "error" and first.error is not None and "http_status" in first.error
    state = _state("flaky")
    assert (state.consecutive_errors, state.error_kind) == (1, "http_status")
    assert state.error_message == f"HTTP 500 from {site.base}/feed.xml"
    first_delay = (state.next_poll_at - now).total_seconds()
    assert 0.8 * 1800 <= first_delay <= 1.2 * 1800

    second = polling.poll("flaky", now=now)
    assert second.status == "error"
    second_delay = (_state("flaky").next_poll_at - now).total_seconds()
    assert _state("flaky").consecutive_errors == 2
    assert 0.8 * 3600 <= second_delay <= 1.2 * 3600

    [row] = [r for r in polling.source_health() if r["id"] == "flaky"]
    assert row["health"]["status"] == "failing" and row["health"]["last_error"]["kind"] == "http_status"

    third = polling.poll("flaky")
    assert third.status == "ok"
    state = _state("flaky")
    assert state.consecutive_errors == 0 and state.last_success_at is not None
    [row] = [r for r in polling.source_health() if r["id"] == "flaky"]
    assert row["health"]["status"] == "ok"


def test_retry_after_ttl_and_max_age_are_honoured(site: Loopback) -> None:
    site.route("/busy.xml", Answer(429, b"", {"Retry-After": "7200"}))
    site.route("/ttl.xml", Answer(200, rss([("t1", "느린 피드", "하루 한 번.")], ttl=180)))
    site.route("/cached.xml", Answer(200, rss([("m1", "캐시", "한 시간.")]), {"Cache-Control": "max-age=5400"}))
    for sid, path in (("busy", "/busy.xml"), ("ttl", "/ttl.xml"), ("cached", "/cached.xml")):
        _add(sid, f"{site.base}{path}")
    now = utcnow()
    busy = polling.poll("busy", now=now)
    assert busy.status == "error" and _state("busy").error_kind == "rate_limited"
    assert _state("busy").next_poll_at >= now + timedelta(seconds=7200)
    polling.poll("ttl", now=now)
    assert _state("ttl").next_poll_at == now + timedelta(minutes=180)
    polling.poll("cached", now=now)
    assert _state("cached").next_poll_at == now + timedelta(seconds=5400)


def test_interval_follows_how_often_the_source_publishes(site: Loopback) -> None:
    dates = ["Thu, 18 Sep 2025 05:00:00 GMT", "Thu, 18 Sep 2025 06:00:00 GMT", "Thu, 18 Sep 2025 07:00:00 GMT"]
    body = "".join(
        f"<item><title>글 {i}</title><guid>g{i}</guid><description>본문 {i} 입니다.</description>"
        f"<pubDate>{d}</pubDate></item>"
        for i, d in enumerate(dates)
    )
    doc = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{body}</channel></rss>'.encode()
    site.route("/feed.xml", Answer(200, doc))
    _add("hourly", f"{site.base}/feed.xml")  # registry interval 30 min
    polling.poll("hourly")
    assert _state("hourly").interval_seconds == 1800  # an hour between items: poll every half hour
    site.route("/feed.xml", Answer(200, doc + b" "))  # changed bytes, nothing new
    polling.poll("hourly")
    assert _state("hourly").interval_seconds == 2250  # nothing new: stretch by a quarter


def test_a_feed_answering_html_is_an_error_not_a_release(site: Loopback) -> None:
    site.route("/feed.xml", Answer(200, b"<html><body><h1>Login</h1></body></html>", {"Content-Type": "text/html"}))
    _add("login-wall", f"{site.base}/feed.xml")
    result = polling.poll("login-wall")
    assert result.status == "error" and _state("login-wall").error_kind == "parse"
    assert _count() == 0


def test_board_list_then_detail_pages(site: Loopback) -> None:
    site.route("/www/government/news/press", Answer(200, (FIXTURES / "board_gangjin_list.html").read_bytes()))
    site.route(
        "/www/government/news/press?idx=647621&mode=view",
        Answer(200, (FIXTURES / "page_gangjin_board_detail.html").read_bytes(), {"Content-Type": "text/html"}),
    )
    gangjin = catalog.get_source("gangjin-press")
    selectors = BoardSelectors.model_validate(gangjin.selectors.model_dump() if gangjin.selectors else {})
    _add("gangjin-loop", f"{site.base}/www/government/news/press", SourceKind.board, selectors=selectors)
    result = polling.poll("gangjin-loop")
    assert (result.status, result.new) == ("ok", 1)  # the other 14 posts answer 404 here and are skipped
    pipeline.run_inline(result.steps)
    with session() as s:
        row = s.scalar(select(ReleaseRow))
        assert row is not None and row.status == "published"
        content = release_store.version(s, row.id, 1).content
        assert content is not None and content["title"] == "“새로 열린 기차 타고 강진 가자”"
    # Known posts are not fetched again.
    site.route("/www/government/news/press", Answer(200, (FIXTURES / "board_gangjin_list.html").read_bytes() + b" "))
    before = len(site.hits("/www/government/news/press?idx=647621&mode=view"))
    polling.poll("gangjin-loop")
    assert len(site.hits("/www/government/news/press?idx=647621&mode=view")) == before


def test_due_sources_are_claimed_once(site: Loopback) -> None:
    _add("due-a", f"{site.base}/a.xml")
    now = utcnow()
    first = polling.claim_due(now)
    assert "due-a" in first
    assert "due-a" not in polling.claim_due(now + timedelta(seconds=30))  # leased while queued or running
    assert "due-a" in polling.claim_due(now + polling.LEASE + timedelta(seconds=1))


def test_places_are_unique_per_identity(site: Loopback) -> None:
    site.route(
        "/feed.xml", Answer(200, rss([("u1", "하나", "하나의 본문입니다."), ("u1", "하나", "하나의 본문입니다.")]))
    )
    _add("dup-items", f"{site.base}/feed.xml")
    assert polling.poll("dup-items").new == 1
    with session() as s:
        assert s.scalar(select(func.count()).select_from(ReleasePlaceRow)) == 1


def test_nothing_unsanitized_is_stored_and_script_churn_is_not_a_correction(site: Loopback) -> None:
    def item(script: str) -> bytes:
        body = (
            f"<![CDATA[<p onclick='x()'>시는 오늘 발표했다.</p><script>{script}</script><iframe src='//e'></iframe>]]>"
        )
        return rss([("s1", "스크립트가 섞인 글", body)])

    site.route("/feed.xml", Answer(200, item("track(1)")))
    _add("scripted", f"{site.base}/feed.xml")
    assert polling.poll("scripted").new == 1
    site.route("/feed.xml", Answer(200, item("track(2)")))
    assert polling.poll("scripted").new == 0  # only the script changed: not a correction
    with session() as s:
        row = release_store.by_identity(s, "guid:scripted:s1")
        assert row is not None
        stored = release_store.version(s, row.id, 1).raw["release"]["body"]
    assert "<p>시는 오늘 발표했다.</p>" in stored
    for bad in ("script", "track(", "onclick", "iframe"):
        assert bad not in stored


def _board_page(n: int) -> bytes:
    return (
        f"<html><head><title>보도자료 {n}</title></head><body><article><h1>인천시 보도자료 {n}호</h1>"
        f"<p>인천광역시는 {n}일 시민 안전 대책 {n}호를 발표했다. {BODY}</p>"
        f"<p>시 관계자는 대책 {n}호를 연말까지 마무리하겠다고 밝혔다.</p></article></body></html>"
    ).encode()


def test_a_slow_board_keeps_what_it_read_within_its_time_and_reads_the_rest_next_poll(
    site: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A board poll's pages together get a bounded time (half the poll's lease): a board whose pages are slow
    cannot keep its poll running past the lease. What was read is kept; the other posts are new next poll."""
    links = "".join(f'<li><a href="/board?mode=view&amp;idx={n}">보도자료 {n}</a></li>' for n in range(1, 5))
    site.route("/board", Answer(200, f"<html><body><ul>{links}</ul></body></html>".encode()))
    for n in range(1, 5):
        site.route(f"/board?mode=view&idx={n}", Answer(200, _board_page(n), {"Content-Type": "text/html"}, delay=0.4))
    _add("slow-board", f"{site.base}/board", SourceKind.board)
    monkeypatch.setattr(polling, "BOARD_SECONDS", 0.6)
    started = time.monotonic()
    first = polling.poll("slow-board")
    assert time.monotonic() - started < 1.5
    assert first.status == "ok" and 1 <= first.new < 4, first
    monkeypatch.setattr(polling, "BOARD_SECONDS", 30.0)
    site.route("/board", Answer(200, f"<html><body><ul>{links}</ul> </body></html>".encode()))  # a new hash
    second = polling.poll("slow-board")
    assert second.status == "ok" and first.new + second.new == 4, second


def test_a_fetch_deadline_inside_a_shorter_one_does_not_extend_it() -> None:
    from syndicate import netguard

    with netguard.deadline(0.05), netguard.deadline(60):
        time.sleep(0.06)
        with pytest.raises(TimeoutError):
            netguard._bounded(5.0, TimeoutError)


def test_a_runtime_source_changed_in_the_database_is_read_as_changed(database: str) -> None:
    # Runtime sources are kept built by their row's values (store/sources.py): an edited row is a new one.
    _add("edited-feed", "https://www.example.go.kr/a.xml")
    first = catalog.get_source("edited-feed")
    assert catalog.get_source("edited-feed") == first
    with session() as s:
        row = s.get(source_store.SourceRow, "edited-feed")
        assert row is not None
        row.url, row.interval_minutes = "https://www.example.go.kr/b.xml", 90
    again = catalog.get_source("edited-feed")
    assert (again.url, again.interval_minutes) == ("https://www.example.go.kr/b.xml", 90)
    assert (first.url, first.interval_minutes) == ("https://www.example.go.kr/a.xml", 30)
