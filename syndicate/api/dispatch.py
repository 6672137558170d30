"""Handing steps to the workers (the API is a producer only; it never runs a stage itself)."""

from __future__ import annotations

from syndicate.pipeline import Next


def enqueue(steps: list[Next]) -> None:
    from workers.tasks.pipeline import enqueue as send

    send(steps)


def poll(source_id: str) -> None:
    """Poll one source now, in a worker (a fetch can take a while; a request must not wait for it)."""
    from workers.tasks.poll import poll_source

    poll_source.delay(source_id)


def enqueue_due() -> None:
    """Ask a worker to send the partner messages that are due now."""
    from workers.celery_app import app

    app.send_task("syndicate.deliver.due")
