"""Sending a task on a Redis broker with one LPUSH of the message Celery itself would send.

Every pipeline step enqueues the next one, and ``app.send_task`` cost about 0.48 ms of CPU a message against
0.05 ms for the LPUSH it comes down to (measured in a pool process's profile: a new redis client object per
message in kombu's Redis channel, the producer pool, ``Connection.ensure``, three dict rebuilds of the message).
Here Celery still builds the task message (``amqp.as_task_v2``: headers, body, properties, parent and root ids),
kombu still serializes the body, and the envelope around it is kombu's Redis envelope, written by hand once per
queue: any stock Celery worker consumes it, acks stay late (acking is the consumer's business, not the
sender's), and tests/workers/test_send.py compares it with what kombu writes, key by key, so an upgrade that
changes kombu's envelope fails a test instead of the workers.

Only plain sends go this way (a task name, arguments, the queue its route names); anything else, a broker that
is not Redis, task-sent events asked for, or a Redis error, takes ``app.send_task`` and its retry policy, so a
broker restart is met exactly as before.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from typing import Any
from uuid import uuid4

from celery import Celery
from celery.utils.nodenames import anon_nodename
from kombu.serialization import dumps as serialize
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class LeanSender:
    """Sends tasks of ``app`` with one LPUSH on ``client`` (a redis client on the broker, kept for the
    process's life: its connection pool reconnects after a broker restart, and redis-py retries a command
    whose connection dropped)."""

    def __init__(self, app: Celery, client: Any) -> None:
        self.app = app
        self.client = client
        #: task name → its queue: the router is asked once per name (routes come from configuration).
        self._queues: dict[str, str] = {}
        self._origin_of: tuple[int, str] = (0, "")

    def _origin(self) -> str:
        """Celery's ``anon_nodename()``, the origin header, once per process (it names the pid)."""
        pid = os.getpid()
        if self._origin_of[0] != pid:
            self._origin_of = (pid, anon_nodename())
        return self._origin_of[1]

    def queue_of(self, name: str) -> str:
        queue = self._queues.get(name)
        if queue is None:
            routed = self.app.amqp.router.route({}, name, None, None)
            found = routed.get("queue")
            queue = self._queues[name] = found if isinstance(found, str) else found.name
        return queue

    def message(self, name: str, args: list[Any] | tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None) -> str:
        """The serialized message, as kombu's Redis channel would LPUSH it for ``app.send_task(name, ...)``."""
        app = self.app
        parent = app.current_worker_task
        parent_id = root_id = None
        if parent is not None:
            parent_id = parent.request.id
            root_id = parent.request.root_id or parent_id
        # What send_task builds (same arguments), so headers, body and properties are Celery's own. Two of its
        # values are given, as Celery would compute them, from what is cheaper to know here: the origin (a
        # hostname lookup per message) and, for the plain arguments steps take, the arguments' repr.
        headers, properties, body, _ = app.amqp.as_task_v2(
            str(uuid4()),
            name,
            args,
            kwargs,
            reply_to=app.thread_oid,
            root_id=root_id,
            parent_id=parent_id,
            # None, as send_task leaves it: the worker then goes by the task's own setting.
            ignore_result=None,
            origin=self._origin(),
            argsrepr=_plain_repr(args or ()),
            kwargsrepr=_plain_repr(kwargs or {}),
        )
        content_type, content_encoding, data = serialize(body, serializer=app.conf.task_serializer)
        queue = self.queue_of(name)
        envelope = {
            # kombu's virtual transport encodes every body in base64 (Channel.body_encoding).
            "body": base64.b64encode(data if isinstance(data, bytes) else data.encode()).decode(),
            "content-encoding": content_encoding,
            "content-type": content_type,
            "headers": headers,
            "properties": {
                **properties,
                "delivery_mode": 2,  # persistent, kombu's default
                # An anonymous direct exchange: the routing key is the queue.
                "delivery_info": {"exchange": "", "routing_key": queue},
                "priority": 0,
                "body_encoding": "base64",
                "delivery_tag": str(uuid4()),
            },
        }
        return json.dumps(envelope)

    def send(self, name: str, args: list[Any] | tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None) -> int:
        """Returns the queue's length with this message (LPUSH's reply)."""
        # Priority 0 lives in the list named after the queue itself (kombu's _q_for_pri).
        return int(self.client.lpush(self.queue_of(name), self.message(name, args, kwargs)))


def _plain(value: Any) -> bool:
    return value is None or type(value) is int or (type(value) is str and value.isascii() and value.isalnum())


def _plain_repr(value: list[Any] | tuple[Any, ...] | dict[str, Any]) -> str | None:
    """``repr(value)`` when Celery's ``saferepr`` would give the same (a few ints and ASCII words: release ids,
    versions), else None, and Celery computes it."""
    items = value.values() if isinstance(value, dict) else value
    if len(items) > 4 or not all(_plain(item) for item in items):
        return None
    if isinstance(value, dict) and not all(type(key) is str and key.isidentifier() for key in value):
        return None
    return repr(value)


_senders: dict[int, LeanSender | None] = {}


def _sender(app: Celery) -> LeanSender | None:
    """The lean sender for ``app``'s current broker, or None when it cannot be used."""
    key = id(app)
    if key in _senders:
        return _senders[key]
    from workers.celery_app import broker_redis

    client = broker_redis()
    # Task-sent events are published by send_task only; a prefix or priorities would change the list's name.
    options = app.conf.broker_transport_options or {}
    usable = (
        client is not None
        and not app.conf.task_send_sent_event
        and not options.get("global_keyprefix")
        and not options.get("queue_order_strategy")
    )
    sender = _senders[key] = LeanSender(app, client) if usable else None
    return sender


def forget() -> None:
    """Drop the senders (the broker in settings changed; see celery_app.reconfigure)."""
    _senders.clear()


def send_task(
    app: Celery, name: str, args: list[Any] | tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None
) -> int | None:
    """``app.send_task(name, args, kwargs)``, in one LPUSH when the broker allows. Returns the length of the
    task's queue with it, when the LPUSH told (None when Celery sent it)."""
    sender = _sender(app)
    if sender is not None:
        try:
            return sender.send(name, args, kwargs)
        except RedisError as exc:
            # Celery's own path retries and reconnects as its policy says; a copy sent twice is harmless
            # (every step is idempotent), one lost is not.
            log.warning("lean send failed, sending through Celery", extra={"error": str(exc)})
    app.send_task(name, args=list(args), kwargs=kwargs)
    return None
