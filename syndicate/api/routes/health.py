"""Liveness and Prometheus metrics."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text

from syndicate.store import deliveries
from syndicate.store.db import session
from syndicate.store.tables import ReleaseRow

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    with session() as s:
        s.execute(text("SELECT 1"))
    return {"status": "ok", "database": "ok"}


class ReleaseCollector(Collector):
    """Releases by status, read from the database at scrape time (so every API process reports the same)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily("syndicate_releases", "Releases by status", labels=["status"])
        with session() as s:
            for status, count in s.execute(select(ReleaseRow.status, func.count()).group_by(ReleaseRow.status)):
                gauge.add_metric([status], count)
        yield gauge


class DeliveryCollector(Collector):
    """Partner messages by partner and status (pending, delivered, dead, refused): dead ones need an operator."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "syndicate_partner_deliveries", "Partner messages by status", labels=["partner_id", "status"]
        )
        with session() as s:
            for partner_id, counts in deliveries.counts_by_partner(s).items():
                for status, count in counts.items():
                    gauge.add_metric([partner_id, status], count)
        yield gauge


@router.get("/metrics")
def metrics() -> Response:
    registry = CollectorRegistry()
    registry.register(ReleaseCollector())
    registry.register(DeliveryCollector())
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
