"""Driving the pipeline in-process (no worker): submit, then run each step as the tasks would."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from syndicate import pipeline
from syndicate.model import RawRelease


def raw(title: str = "인천시, 청년 일자리 1만 개 만든다", **extra: Any) -> RawRelease:
    return RawRelease(
        title=title,
        body="<p>인천광역시는 25일 청년 일자리 계획을 발표했다.</p><p>시는 1만 개의 일자리를 만든다.</p>",
        language="ko",
        url="https://www.incheon.go.kr/news/1",
        **extra,
    )


def run(steps: list[pipeline.Next]) -> list[pipeline.Next]:
    """Run pipeline steps until only render/deliver are left; returns those."""
    rest: list[pipeline.Next] = []
    while steps:
        step = steps.pop(0)
        if step.step in ("render", "deliver"):
            rest.append(step)
        else:
            steps.extend(pipeline.run_step(step.step, step.release_id, step.version))
    return rest


def publish(
    title: str = "인천시, 청년 일자리 1만 개 만든다",
    *,
    agency: str = "incheon",
    category: str | None = "economy",
    embargo_until: datetime | None = None,
    licence: str | None = None,
) -> tuple[str, list[pipeline.Next]]:
    release_id, _, steps = pipeline.submit(
        agency_id=agency, raw=raw(title), category=category, embargo_until=embargo_until, licence_id=licence
    )
    return release_id, run(steps)


def correct(release_id: str, title: str) -> list[pipeline.Next]:
    _, steps = pipeline.correct(release_id, agency_id=None, raw=raw(title), category="economy")
    return run(steps)
