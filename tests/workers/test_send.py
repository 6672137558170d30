"""The lean sender (workers/send.py): the message it LPUSHes is the one ``app.send_task`` sends, a stock Celery
worker runs it and acks it, and a broker restart is met as before."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import redis

from syndicate.config import get_settings
from syndicate.embedded import EmbeddedRedis
from tests.conftest import ROOT, wait_for
from workers import send
from workers.celery_app import app, reconfigure

#: A plain `celery worker` on the stock app: none of syndicate's worker set-up.
STOCK_WORKER = [sys.executable, "-m", "celery", "-A", "tests.workers.stock_app", "worker", "--loglevel=INFO"]


def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url.replace("redis+socket://", "unix://"))


def _comparable(raw: bytes) -> dict[str, Any]:
    """A queued message without what is drawn anew for every message (ids, the delivery tag)."""
    message = json.loads(raw)
    headers, properties = message["headers"], message["properties"]
    task_id = headers.pop("id")
    assert headers.pop("root_id") == task_id  # sent outside a task: the message is its own root
    assert properties.pop("correlation_id") == task_id
    assert properties.pop("delivery_tag")
    message["body"] = json.loads(base64.b64decode(message["body"]))
    return message


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "queue"),
    [
        ("syndicate.pipeline.credit", ["0190aa", 2], None, "pipeline"),
        ("syndicate.deliver.due", [], {"release_id": "0190aa"}, "deliver"),
        ("syndicate.pipeline.render", [], None, "pipeline"),
        # Arguments whose repr is left to Celery's saferepr: not plain ASCII words, too many, nested.
        ("syndicate.pipeline.credit", ["보도자료 id", 2], None, "pipeline"),
        ("syndicate.pipeline.render", [[f"ko/agencies/a{i}" for i in range(400)]], None, "pipeline"),
        ("syndicate.deliver.due", [], {"release_id": None, "ids": list(range(9))}, "deliver"),
    ],
)
def test_lean_message_is_what_send_task_sends(
    broker: str, name: str, args: list[Any], kwargs: dict[str, Any] | None, queue: str
) -> None:
    client = _client(broker)
    app.send_task(name, args=args, kwargs=kwargs)
    sender = send._sender(app)
    assert sender is not None, "a Redis broker without task events takes the lean path"
    sender.send(name, args, kwargs)
    newest, oldest = client.lrange(queue, 0, -1)  # LPUSH: the newest first
    assert _comparable(newest) == _comparable(oldest)


def test_not_lean_when_task_events_are_sent(broker: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # task-sent events are published by send_task; the lean path would silently drop them.
    monkeypatch.setenv("SYNDICATE_TASK_EVENTS", "true")
    get_settings.cache_clear()
    reconfigure()
    try:
        assert send._sender(app) is None
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        reconfigure()


def test_stock_worker_runs_and_acks_lean_messages(broker: str, tmp_path: Path) -> None:
    client = _client(broker)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_TEST_")}
    env.update(PYTHONPATH=str(ROOT), SYNDICATE_BROKER_URL=broker)
    log = tmp_path / "stock.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [*STOCK_WORKER, "-Q", "pipeline,deliver", "--concurrency=1", "--without-gossip", "--without-mingle"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: "ready." in log.read_text(errors="replace"), 60, what="stock worker ready")
        send.send_task(app, "syndicate.pipeline.credit", ["0190aa", 2])
        send.send_task(app, "syndicate.deliver.due", kwargs={"release_id": "0190aa"})
        wait_for(lambda: client.llen("stock:ran") == 2, 30, what="both tasks run")
        ran = sorted(json.loads(item) for item in client.lrange("stock:ran", 0, -1))
        assert ran == [["credit", ["0190aa", 2], {}], ["due", [], {"release_id": "0190aa"}]]
        # Acks are late and the consumer's: nothing is left unacknowledged once both ran.
        wait_for(lambda: not client.hlen("unacked"), 10, what="both acked")
        assert "ERROR" not in log.read_text(errors="replace")
    finally:
        worker.terminate()
        worker.wait(20)


def test_lean_sender_survives_a_broker_restart(own_redis: EmbeddedRedis, monkeypatch: pytest.MonkeyPatch) -> None:
    url = get_settings().broker_url
    send.send_task(app, "syndicate.pipeline.credit", ["before", 1])
    sender = send._sender(app)
    own_redis.stop()
    # While the broker is down, the send goes to Celery's own path (its retry policy, its error).
    fallen_back: list[tuple[str, Any, Any]] = []
    monkeypatch.setattr(app, "send_task", lambda name, args, kwargs: fallen_back.append((name, args, kwargs)))
    started = time.monotonic()
    send.send_task(app, "syndicate.pipeline.credit", ["down", 1])
    assert fallen_back == [("syndicate.pipeline.credit", ["down", 1], None)]
    assert time.monotonic() - started < 15
    own_redis.start()
    send.send_task(app, "syndicate.pipeline.credit", ["after", 1])
    assert send._sender(app) is sender, "the same client, reconnected"
    bodies = [json.loads(base64.b64decode(json.loads(m)["body"]))[0] for m in _client(url).lrange("pipeline", 0, -1)]
    assert bodies == [["after", 1]] or bodies == [["after", 1], ["before", 1]]
