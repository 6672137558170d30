"""Liveness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from syndicate.metrics import registry as metrics_registry
from syndicate.store.db import session

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    with session() as s:
        s.execute(text("SELECT 1"))
    return {"status": "ok", "database": "ok"}


@router.get("/metrics")
def metrics() -> Response:
    return Response(generate_latest(metrics_registry()), media_type=CONTENT_TYPE_LATEST)
