"""Thin tasks: ids in, one pipeline step, the next steps enqueued after the step's commit."""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import Task
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError

from syndicate import pipeline, syndication
from syndicate.errors import Retriable
from workers import send
from workers.celery_app import app, broker_redis
from workers.locks import exclusive

log = logging.getLogger(__name__)

#: Retried with exponential backoff: temporary failures and a database that is restarting.
RETRY_ON = (Retriable, DBAPIError, ConnectionError, TimeoutError)
RETRY_KW: dict[str, Any] = {
    "autoretry_for": RETRY_ON,
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": None,
}


#: Set while a render task is queued: a burst of publications then costs one render, not one each.
RENDER_PENDING = "syndicate:render-pending"
#: Set when a render pass ends, for HOLDOFF_FACTOR times as long as it took: a publication meanwhile has its
#: render queued for when the key expires, and the publications after it join that one. In a burst the passes
#: then take at most 1 / (1 + HOLDOFF_FACTOR) of a process instead of one pass per publication (measured:
#: 297 passes for 300 releases, a third of the pool's time, before); a lone publication never meets the key.
RENDER_HOLDOFF = "syndicate:render-holdoff"
HOLDOFF_FACTOR = 2
HOLDOFF_MAX_MS = 1000


def enqueue(steps: list[pipeline.Next], *, render_here: bool = False) -> None:
    """Send the steps to the workers. ``render_here`` (a pipeline worker's step, whose commit made the change):
    the render they ask for runs in this process, after the others are sent, instead of as a task of its own."""
    render_asked = False
    for nxt in steps:
        if nxt.step == "render":
            render_asked = True
        elif nxt.step == "deliver":
            send.send_task(app, "syndicate.deliver.due", kwargs={"release_id": nxt.release_id})
        else:
            waiting = send.send_task(app, f"syndicate.pipeline.{nxt.step}", [nxt.release_id, nxt.version])
            if waiting is not None and waiting > 1:
                _note_busy()
    if render_asked:
        _render_soon(render_here)


def _render_soon(here: bool = False) -> None:
    client = broker_redis()
    try:
        # The key expires by itself, so a render task lost with its worker cannot block rendering for good.
        if client is not None and not client.set(RENDER_PENDING, "1", nx=True, ex=30):
            return  # a render is queued and has not started: it will see this change
        wait_ms = client.pttl(RENDER_HOLDOFF) if client is not None else 0
    except RedisError:
        log.warning("render coalescing unavailable; rendering anyway")
        client, wait_ms = None, 0
    if wait_ms > 0:
        # The flag stays set until this task starts: publications until then are rendered by it.
        app.send_task(render.name, countdown=wait_ms / 1000)
        return
    if here and client is not None:
        # Readers wait for the render after every publication; a task of its own would add a queue hop (send,
        # broker, another process picking it up) to that wait. Coalescing is unchanged: the flag is taken as
        # when queuing, and cleared as the render starts. Only with the flag (on Redis): without coordination
        # every step would render.
        try:
            _render_and_announce(None, client)
            return
        except Exception:  # the change is committed; the render task retries it
            log.warning("render after publishing failed; queued as a task", exc_info=True)
    send.send_task(app, render.name)


def _step_task(step: str) -> Task:
    @app.task(name=f"syndicate.pipeline.{step}", bind=True, **RETRY_KW)
    def run(self: Task, release_id: str, version: int) -> None:
        enqueue(run_on(step, release_id, version), render_here=True)

    return run


def run_on(step: str, release_id: str, version: int) -> list[pipeline.Next]:
    """Run the step, then the release's next steps in this process while no other pipeline task is waiting;
    returns what is left to enqueue.

    A step's own task buys fairness when others wait: their releases move on between its steps, and both pool
    processes share the work. With nothing waiting it buys only a queue hop per step (send, the broker, the
    worker's parent handing it to a pool process: 1–3 ms each, four of them before a release is public), so
    then the chain goes on here, and a step with nothing slow to prepare (credit, the gate, publishing) joins
    its predecessor's transaction (``go_on``). Every step stays idempotent; a step that raises in a transaction
    of its own here is sent as its own task instead, with its own retries, and this task ends well."""
    follow = pipeline.run_step(step, release_id, version, go_on=_pipeline_idle)
    for _ in pipeline.STEPS:
        nxt = _next_step(follow)
        if nxt is None or not _pipeline_idle():
            break
        try:
            follow = pipeline.run_step(nxt.step, nxt.release_id, nxt.version, go_on=_pipeline_idle)
        except Exception:  # the step's own task retries it
            log.warning(
                "step failed in its predecessor's task; queued as its own",
                extra={"release_id": nxt.release_id, "stage": nxt.step},
                exc_info=True,
            )
            break
    return follow


def _next_step(follow: list[pipeline.Next]) -> pipeline.Next | None:
    """The one pipeline step ``follow`` asks for (not a render or a delivery), if that is all it asks for."""
    if len(follow) == 1 and follow[0].step in STEP_TASKS:
        return follow[0]
    return None


#: Until when (time.monotonic) this process takes the pipeline queue as busy, from its last look at the
#: queue's length or the length an LPUSH of a step answered. In a burst, asking before every step cost a round
#: trip to a busy Redis each (a fifth of the pool's time in a profile); within this long, steps go to the queue
#: without asking.
_busy_until = 0.0
BUSY_MEMORY = 0.05


def _note_busy() -> None:
    global _busy_until
    _busy_until = time.monotonic() + BUSY_MEMORY


def _pipeline_idle() -> bool:
    """Is the pipeline queue empty on the broker? False when that cannot be told (no Redis broker, an error):
    then every step takes its own task, as it always may."""
    if time.monotonic() < _busy_until:
        return False
    client = broker_redis()
    if client is None:
        return False
    try:
        waiting = client.llen(app.conf.task_default_queue)
    except RedisError:
        return False
    if waiting:
        _note_busy()
    return not waiting


STEP_TASKS = {step: _step_task(step) for step in pipeline.STEPS}


@app.task(name="syndicate.pipeline.render", **RETRY_KW)
def render(scopes: list[str] | None = None) -> int:
    return _render_and_announce(scopes, broker_redis())


def _render_and_announce(scopes: list[str] | None, client: Any) -> int:
    if client is not None:
        # Cleared before rendering: a change committed from here on queues one more render.
        client.delete(RENDER_PENDING)
    started = time.monotonic()
    written = pipeline.render(scopes, saved=(lambda: _announce(client)) if client is not None else None)
    if client is not None and written:
        _announce(client)
        holdoff = min(HOLDOFF_MAX_MS, round((time.monotonic() - started) * 1000 * HOLDOFF_FACTOR))
        try:
            if holdoff > 0:
                client.set(RENDER_HOLDOFF, "1", px=holdoff)
        except RedisError:
            log.warning("render holdoff not set; the next publication renders at once")
    if pipeline.announces():
        app.send_task("syndicate.deliver.websub")
    return written


def _announce(client: Any) -> None:
    """Tell the API processes that renderings changed (the pass's language-wide feeds, before its narrower ones)."""
    try:
        client.publish(syndication.FEEDS_CHANGED, "1")
    except RedisError:
        log.warning("feed change not announced; API processes see it within their freshness interval")


@app.task(name="syndicate.pipeline.release_embargoes", **RETRY_KW)
def release_embargoes() -> None:
    enqueue(pipeline.release_embargoes())


@app.task(name="syndicate.pipeline.resume_stalled", **RETRY_KW)
def resume_stalled() -> None:
    enqueue(pipeline.resume_stalled())


#: A retry sweep waits on providers that may be hanging; its lock outlives any sweep, and a killed one's expires.
RETRY_LOCK_SECONDS = 3600


@app.task(name="syndicate.pipeline.retry_translations", **RETRY_KW)
def retry_translations() -> None:
    # One sweep at a time: while providers are down a sweep can outlast the beat's period, and overlapping
    # sweeps would take every pipeline process and stop releases publishing in their own language.
    with exclusive("retry-translations", RETRY_LOCK_SECONDS) as got:
        if not got:
            log.info("retry sweep skipped: one is running", extra={"stage": "translate"})
            return
        scopes = pipeline.retry_translations()
    if scopes:
        render.delay(scopes)
