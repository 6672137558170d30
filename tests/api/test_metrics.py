"""/metrics: releases by status and stage, sources' health, translations, queue depth, in Prometheus format."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from syndicate import pipeline
from syndicate.model import RawRelease
from syndicate.store.db import session
from syndicate.store.tables import SourceStateRow, utcnow


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_metrics_report_the_whole_service(client: Any) -> None:
    release_id, _, steps = pipeline.submit(agency_id="incheon", raw=RawRelease(title="지표", body="본문."))
    pipeline.run_step(pipeline.STEPS[0], release_id, 1)
    with session() as s:
        s.add(SourceStateRow(source_id="broken-feed", consecutive_errors=3, error_kind="timeout", error_at=utcnow()))
    from workers.tasks.pipeline import enqueue

    enqueue(steps)  # one message waiting in the pipeline queue (no worker runs here)

    answer = client.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    samples = _samples(answer.text)
    assert samples[("syndicate_releases", (("status", "normalized"),))] == 1
    assert samples[("syndicate_release_versions_by_stage", (("stage", "normalize"),))] == 1
    key = ("syndicate_source_consecutive_errors", (("error_kind", "timeout"), ("source_id", "broken-feed")))
    assert samples[key] == 3
    assert samples[("syndicate_queue_depth", (("queue", "pipeline"),))] >= 1
