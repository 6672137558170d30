"""Prometheus metrics, collected at scrape time from the database and the broker.

Counting in the database (not in process-local counters) is deliberate: API, workers and beat are separate
processes, often on separate machines, and a scrape of any API process must see the whole service.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from redis.exceptions import RedisError

from syndicate.store import deliveries, stats
from syndicate.store.db import session

log = logging.getLogger(__name__)


class DatabaseCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        with session() as s:
            releases = GaugeMetricFamily("syndicate_releases", "Releases by status", labels=["status"])
            for status, count in stats.releases_by_status(s):
                releases.add_metric([status], count)
            yield releases

            stages = GaugeMetricFamily(
                "syndicate_release_versions_by_stage",
                "Current release versions by the last pipeline step done",
                labels=["stage"],
            )
            for stage, count in stats.versions_by_stage(s):
                stages.add_metric([stage], count)
            yield stages

            errors = GaugeMetricFamily(
                "syndicate_source_consecutive_errors",
                "Failed polls in a row per source (0: the last poll worked)",
                labels=["source_id", "error_kind"],
            )
            last = GaugeMetricFamily(
                "syndicate_source_last_success_timestamp_seconds",
                "When each source was last polled successfully",
                labels=["source_id"],
            )
            items = GaugeMetricFamily("syndicate_source_items_seen", "Items seen per source", labels=["source_id"])
            for row in stats.sources(s):
                errors.add_metric([row.source_id, row.error_kind or ""], row.consecutive_errors)
                if row.last_success_at is not None:
                    last.add_metric([row.source_id], row.last_success_at.timestamp())
                items.add_metric([row.source_id], row.items_seen)
            yield errors
            yield last
            yield items

            translations = GaugeMetricFamily(
                "syndicate_translations",
                "Translations by provider and state (pending: every provider failed)",
                labels=["provider", "state"],
            )
            for provider, pending, count in stats.translations(s):
                translations.add_metric([provider or "", "pending" if pending else "done"], count)
            yield translations

            segments = GaugeMetricFamily(
                "syndicate_translation_segments",
                "Segments translated by each provider (calls made; repeats come from memory)",
                labels=["provider"],
            )
            for provider, count in stats.segments_by_provider(s):
                segments.add_metric([provider], count)
            yield segments


class QueueCollector(Collector):
    """Messages waiting in each Celery queue (Redis broker only)."""

    def collect(self) -> Iterator[Metric]:
        from workers.celery_app import QUEUES, broker_redis

        gauge = GaugeMetricFamily("syndicate_queue_depth", "Tasks waiting per queue", labels=["queue"])
        client = broker_redis()
        if client is not None:
            try:
                for queue in QUEUES:
                    gauge.add_metric([queue], client.llen(queue))
            except RedisError as exc:  # a broker outage must not break the scrape of everything else
                log.warning("queue depth unavailable", extra={"error": type(exc).__name__})
        yield gauge


class DeliveryCollector(Collector):
    """Partner messages by partner and status (pending, delivered, dead, refused): dead ones need an operator.
    And attempts made per partner, ok (2xx) or failed, from the delivery log."""

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "syndicate_partner_deliveries", "Partner messages by status", labels=["partner_id", "status"]
        )
        attempts = GaugeMetricFamily(
            "syndicate_partner_delivery_attempts",
            "Attempts made per partner, by outcome (ok: a 2xx answer)",
            labels=["partner_id", "outcome"],
        )
        with session() as s:
            for partner_id, counts in deliveries.counts_by_partner(s).items():
                for status, count in counts.items():
                    gauge.add_metric([partner_id, status], count)
            for partner_id, counts in deliveries.attempts_by_partner(s).items():
                for outcome, count in counts.items():
                    attempts.add_metric([partner_id, outcome], count)
        yield gauge
        yield attempts


def registry() -> CollectorRegistry:
    reg = CollectorRegistry()
    reg.register(DatabaseCollector())
    reg.register(DeliveryCollector())
    reg.register(QueueCollector())
    return reg
