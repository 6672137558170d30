"""A partner's ninjs carries the release's summary as its description (not only the subtitle)."""

from __future__ import annotations

from syndicate import delivery, pipeline
from syndicate.model import RawRelease
from syndicate.store import partners
from syndicate.store import releases as store
from syndicate.store import summaries as summary_store
from syndicate.store.db import session

BODY = (
    "인천광역시는 25일 청년 일자리 1만 개를 만드는 계획을 발표했다.\n\n"
    "시는 올해 예산 500억 원을 들여 청년 창업과 취업을 돕는다.\n\n"
    "문의 : 일자리정책과 032-440-0000"
)


def test_partner_ninjs_describes_the_release_with_its_summary(database: str) -> None:
    raw = RawRelease(title="인천시, 청년 일자리 1만 개", subtitle="청년 고용 확대", body=BODY, body_is_html=False)
    release_id, _, _ = pipeline.submit(agency_id="incheon", raw=raw)
    for step in pipeline.STEPS:
        pipeline.run_step(step, release_id, 1)
    with session() as s:
        partner = partners.create(s, name="desk", url="https://partner.example/hook", secret="whsec_dGVzdA==")
        row = store.get(s, release_id)
        summary = summary_store.for_release(s, release_id)[0]
        doc = delivery.release_ninjs(row, store.version(s, release_id, 1), partner, status="usable")
    descriptions = {d["role"]: d["value"] for d in doc["descriptions"]}  # type: ignore[union-attr]
    assert descriptions["summary"] == " ".join(summary.sentences)
    assert descriptions["summary"] != "청년 고용 확대"
