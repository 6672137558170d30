"""Handing steps to the workers (the API is a producer only; it never runs a stage itself)."""

from __future__ import annotations

from syndicate.pipeline import Next


def enqueue(steps: list[Next]) -> None:
    from workers.tasks.pipeline import enqueue as send

    send(steps)
