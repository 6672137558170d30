"""The Celery app, configured from settings when first used (never at import of syndicate modules)."""

from __future__ import annotations

import gc
from typing import Any

from celery import Celery
from celery.signals import setup_logging, worker_init, worker_process_init

from syndicate.config import get_settings
from syndicate.embedded import filesystem_broker
from workers.priority import yield_to_the_main_process

QUEUES = ("pipeline", "poll", "deliver")


def _transport_options(broker: str) -> dict[str, Any]:
    # An unacknowledged task (its worker killed) goes back to the queue after this long.
    options: dict[str, Any] = {"visibility_timeout": 600}
    if broker.startswith("filesystem://"):
        options.update(filesystem_broker(get_settings().data_dir)[1])
    return options


def make_app() -> Celery:
    broker = get_settings().broker_url or "memory://"
    transport_options = _transport_options(broker)
    app = Celery(
        "syndicate", broker=broker, include=["workers.tasks.pipeline", "workers.tasks.poll", "workers.tasks.deliver"]
    )
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        broker_transport_options=transport_options,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        task_default_queue="pipeline",
        task_routes={"syndicate.poll.*": {"queue": "poll"}, "syndicate.deliver.*": {"queue": "deliver"}},
        worker_hijack_root_logger=False,
        worker_send_task_events=get_settings().task_events,
        task_send_sent_event=get_settings().task_events,
        beat_schedule=_beat_schedule(),
        timezone="UTC",
    )
    return app


def _beat_schedule() -> dict[str, dict[str, Any]]:
    from workers.schedule import schedule

    return schedule()


_redis: dict[str, Any] = {}


def broker_redis() -> Any | None:
    """A Redis client on the broker (for small coordination keys), or None when the broker is not Redis."""
    url = get_settings().broker_url
    if not url.startswith(("redis://", "rediss://", "redis+socket://", "unix://")):
        return None
    client = _redis.get(url)
    if client is None:
        import redis

        client = _redis[url] = redis.Redis.from_url(url.replace("redis+socket://", "unix://"), socket_timeout=5)
    return client


def reconfigure() -> None:
    """Point the existing app at the broker in the current settings (tests change settings after import)."""
    broker = get_settings().broker_url or "memory://"
    app.conf.broker_url = broker
    app.conf.broker_transport_options = _transport_options(broker)
    app.conf.worker_send_task_events = app.conf.task_send_sent_event = get_settings().task_events
    _redis.clear()
    from workers import send

    send.forget()
    # What Celery itself does after a fork: forget connection and producer pools, so the next send connects
    # to the broker now configured.
    app._after_fork()


@setup_logging.connect
def _logging(loglevel: str | int | None = None, **_: Any) -> None:
    # Connected, this replaces Celery's own logging setup with ours (logfmt, secrets redacted).
    from syndicate.logs import configure

    configure(loglevel if isinstance(loglevel, str) else "INFO")


worker_process_init.connect(yield_to_the_main_process)


@worker_process_init.connect
def _fresh_connections(**_: Any) -> None:
    # A forked worker must not share the parent's database connections.
    from syndicate.store import db

    db.reset()


#: Does this worker run pipeline steps (and so need the summarizer's models)? Set in the parent, inherited by
#: the forked pool processes.
_runs_pipeline = True


@worker_init.connect
def _preload(sender: Any = None, **_: Any) -> None:
    # In the parent, before the pool forks: the pool processes then share the Korean model's ~330 MB
    # copy-on-write (measured: 3 MB of its pages private to each child after analysing) instead of each loading
    # its own. A worker for polls and pushes only never loads it.
    global _runs_pipeline
    consume_from = getattr(getattr(sender, "app", None), "amqp", None)
    queues = consume_from.queues.consume_from if consume_from is not None else None
    _runs_pipeline = not queues or "pipeline" in queues
    if _runs_pipeline:
        from syndicate import pipeline

        pipeline.preload()
    # Everything made so far (imports, settings, the model's Python side) lives as long as the worker: frozen
    # right before the pool forks, the collector in a pool process never writes to those objects' headers, so
    # their pages stay shared instead of being copied into each process (`syndicate up` idle: 874 → 828 MB PSS),
    # and a full collection walks only what tasks made.
    gc.freeze()


@worker_process_init.connect
def _warm_up(**_: Any) -> None:
    # A no-op after _preload; kept for pools started some other way. In a background thread: this signal must
    # return within worker_proc_alive_timeout (4 s), and the model can take longer than that to load.
    if _runs_pipeline:
        from syndicate import pipeline

        pipeline.warm_up()


app = make_app()
