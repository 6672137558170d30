"""The render after a publication: run by the publishing step's own process (no queue hop for readers to wait
for), coalesced with a render already queued, and queued as a task when it fails there. On the real Redis
broker, with the step tasks called in this process as a pool process runs them."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis

from syndicate import pipeline, syndication
from syndicate.model import RawRelease
from syndicate.store.db import session
from syndicate.store.feeds import scope_version
from tests.conftest import queued_tasks
from workers.tasks import pipeline as tasks


def _up_to_publish(title: str) -> str:
    release_id, _, _ = pipeline.submit(agency_id="incheon", raw=RawRelease(title=title, body="본문입니다."))
    for step in pipeline.STEPS[:-1]:
        pipeline.run_step(step, release_id, 1)
    return release_id


def _queued(client: redis.Redis) -> list[str]:
    """Names of the tasks waiting in the pipeline queue."""
    return [name for name, _ in queued_tasks(client)]


def _rendered(scope: str) -> bool:
    """Is the stored rendering of the scope's RSS current?"""
    return syndication.fresh_etag(scope, "rss.xml") is not None


@pytest.fixture
def client(broker_client: redis.Redis) -> redis.Redis:
    return broker_client


def test_the_publishing_step_renders_and_announces_in_its_own_process(client: redis.Redis) -> None:
    syndication.render_stale()  # the feeds as they are before the release
    release_id = _up_to_publish("발행 즉시 렌더링")
    listener = client.pubsub(ignore_subscribe_messages=True)
    listener.subscribe(syndication.FEEDS_CHANGED)
    try:
        listener.get_message(timeout=1)  # the subscription itself
        tasks.STEP_TASKS["publish"](release_id, 1)
        assert _rendered("ko") and _rendered("ko/agencies/incheon")
        assert "발행 즉시 렌더링" in syndication.get_document("ko", "rss.xml").body.decode()
        assert "syndicate.pipeline.render" not in _queued(client)
        assert client.get(tasks.RENDER_PENDING) is None  # nothing left to block the next render
        assert listener.get_message(timeout=5) is not None, "API processes were not told"
    finally:
        listener.close()


def test_a_render_already_queued_takes_the_change(client: redis.Redis) -> None:
    release_id = _up_to_publish("이미 대기 중인 렌더링")
    client.set(tasks.RENDER_PENDING, "1", ex=30)  # a render task is queued and has not started
    tasks.STEP_TASKS["publish"](release_id, 1)
    assert not _rendered("ko"), "rendered twice: the queued render will see this change"
    assert "syndicate.pipeline.render" not in _queued(client)
    tasks.render()  # the queued task, when it runs
    assert _rendered("ko") and client.get(tasks.RENDER_PENDING) is None


def test_a_render_that_fails_after_publishing_is_queued_as_a_task(
    client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    release_id = _up_to_publish("렌더링 실패")

    def broken(scopes: Any = None, saved: Any = None) -> int:
        raise OSError("disk full")

    with monkeypatch.context() as patched:
        patched.setattr(pipeline, "render", broken)
        tasks.STEP_TASKS["publish"](release_id, 1)  # the publication stands: the step does not fail for it
    with session() as s:
        assert scope_version(s, "ko") is not None
    assert _queued(client) == ["syndicate.pipeline.render"]
    assert not _rendered("ko")
    tasks.render()
    assert _rendered("ko")


def test_a_publication_right_after_a_render_pass_waits_for_the_holdoff(
    client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a burst, renders are spaced out: after a pass, the next waits HOLDOFF_FACTOR times as long as it took,
    as one queued task that every publication meanwhile joins."""
    # The pass here takes milliseconds: a factor that makes its holdoff the longest allowed (1 s) leaves this
    # test the time to publish twice within it on a loaded machine.
    monkeypatch.setattr(tasks, "HOLDOFF_FACTOR", 10_000)
    first = _up_to_publish("첫 번째 발행")
    tasks.STEP_TASKS["publish"](first, 1)  # renders here, then holds the next render off
    held = client.pttl(tasks.RENDER_HOLDOFF)
    assert 0 < held <= tasks.HOLDOFF_MAX_MS, held
    second = _up_to_publish("곧이어 두 번째 발행")
    third = _up_to_publish("세 번째 발행")
    tasks.STEP_TASKS["publish"](second, 1)
    tasks.STEP_TASKS["publish"](third, 1)
    queued = [json.loads(raw) for raw in client.lrange("pipeline", 0, -1)]
    assert [m["headers"]["task"] for m in queued] == ["syndicate.pipeline.render"]  # one for both
    assert queued[0]["headers"]["eta"] is not None  # due when the holdoff ends
    assert not _rendered("ko"), "rendered during the holdoff"
    tasks.render()  # the queued task, at its time
    body = syndication.get_document("ko", "rss.xml").body.decode()
    assert "곧이어 두 번째 발행" in body and "세 번째 발행" in body
    assert client.get(tasks.RENDER_PENDING) is None


def test_the_language_wide_feeds_are_stored_and_announced_before_the_narrower_ones(
    client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    syndication.render_stale()
    release_id = _up_to_publish("넓은 피드 먼저")
    seen: list[tuple[bool, bool]] = []
    announce = tasks._announce

    def announcing(redis_client: Any) -> None:
        # What a reader finds at each announcement: the language-wide feed, the agency's feed.
        seen.append((_rendered("ko"), _rendered("ko/agencies/incheon")))
        announce(redis_client)

    monkeypatch.setattr(tasks, "_announce", announcing)
    tasks.STEP_TASKS["publish"](release_id, 1)
    assert seen == [(True, False), (True, True)]
    assert "넓은 피드 먼저" in syndication.get_document("ko/agencies/incheon", "rss.xml").body.decode()


def test_a_pass_with_only_one_kind_of_scope_commits_once(database: str) -> None:
    syndication.render_stale()
    pipeline.run_step("publish", _up_to_publish("한 번에"), 1)
    calls: list[int] = []
    assert syndication.render_stale(["ko/agencies/incheon"], lambda: calls.append(1)) == 3
    assert calls == [] and _rendered("ko/agencies/incheon") and not _rendered("ko")
    assert syndication.render_stale(None, lambda: calls.append(1)) == 3  # "ko" alone is left
    assert calls == [] and _rendered("ko")
