"""The extractive summarizer: budget, order, what is left out, determinism on real releases."""

from __future__ import annotations

import json

import pytest

from syndicate.config import get_settings
from syndicate.model import Release
from syndicate.summarize import Budget, summarize_release
from syndicate.summarize.extractive import lead, summarize_sentences, trim_asides
from tests.conftest import FIXTURES

NAJU = FIXTURES / "corpus" / "kr-naju-pressreleases-scraped.json"
EXPECTED = FIXTURES / "summarize" / "kr-naju-pressreleases.expected.json"


def naju() -> dict[str, Release]:
    items = json.loads(NAJU.read_text(encoding="utf-8"))
    return {i["idx"]: Release(title=i["title"], paragraphs=[i["content"]], language="ko") for i in items}


RELEASE = Release(
    title="나주시, 경로당 김치냉장고 보급 완료",
    language="ko",
    paragraphs=[
        "전라남도 나주시(시장 윤병태)는 올해 관내 261개소 경로당에 김치냉장고 지원을 완료했다고 4일 밝혔다.",
        "시는 관내 모든 경로당을 대상으로 김치냉장고 보유 실태를 조사했으며 미보유 경로당 261개소에 보급을 마쳤다.",
        "윤병태 나주시장은 “경로당이 안전한 공간이 될 수 있도록 최선을 다하겠다”며 “지원을 계속하겠다”고 밝혔다.",
        "또한 2026년부터는 김치냉장고 교체 주기에 맞춰 노후 제품 교체도 지원할 계획이다.",
        "문의: 노인장애인과 노인복지팀 ☎ 061-339-1234",
        "담당부서 노인장애인과 담당자 김나주",
        "사진 설명) 나주시가 경로당에 김치냉장고 보급을 완료했다. (사진 제공-나주시)",
    ],
)


def test_quotes_contacts_and_captions_are_not_summary_material() -> None:
    summary = summarize_sentences(RELEASE, Budget(sentences=10, chars=10_000))
    text = " ".join(summary)
    assert "“" not in text
    assert "문의" not in text and "☎" not in text and "담당" not in text
    assert "사진" not in text
    assert len(summary) == 3


def test_office_holder_asides_are_dropped_but_amounts_stay() -> None:
    release = Release(
        title="협약",
        language="ko",
        paragraphs=["나주시 빛가람동(동장 김귀남)은 정기후원(1050만 원 상당)하는 협약을 체결했다고 밝혔다."],
    )
    assert summarize_sentences(release, Budget()) == [
        "나주시 빛가람동은 정기후원(1050만 원 상당)하는 협약을 체결했다고 밝혔다."
    ]


@pytest.mark.parametrize(("sentences", "chars"), [(1, 400), (2, 400), (3, 120), (3, 60), (5, 1000)])
def test_budget_in_sentences_and_characters_is_kept(sentences: int, chars: int) -> None:
    for release in list(naju().values())[:10]:
        summary = summarize_sentences(release, Budget(sentences=sentences, chars=chars))
        assert 1 <= len(summary) <= sentences
        assert len(" ".join(summary)) <= chars


def test_a_sentence_longer_than_the_budget_is_cut_not_dropped() -> None:
    release = Release(title="t", language="ko", paragraphs=[RELEASE.paragraphs[0]])
    [only] = summarize_sentences(release, Budget(sentences=3, chars=30))
    assert len(only) <= 30 and only.endswith("…")


def test_sentences_come_back_in_document_order() -> None:
    for release in naju().values():
        summary = summarize_sentences(release, Budget(sentences=3, chars=10_000))
        body = trim_asides(release.paragraphs[0])  # "(시장 윤병태)" asides are trimmed from summaries
        positions = [body.find(s) for s in summary]
        assert -1 not in positions and positions == sorted(positions)


def test_near_duplicates_are_not_both_chosen() -> None:
    first = "나주시는 올해 경로당 261곳에 김치냉장고를 보급했다고 밝혔다."
    release = Release(
        title="김치냉장고",
        language="ko",
        paragraphs=[
            first,
            "나주시는 올해 경로당 261곳에 김치냉장고를 모두 보급했다고 밝혔다.",
            "시는 내년 교체도 지원한다.",
        ],
    )
    assert summarize_sentences(release, Budget(sentences=2, chars=400)) == [first, "시는 내년 교체도 지원한다."]


def test_real_releases_give_the_pinned_summaries_every_time() -> None:
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    releases = naju()
    for idx, sentences in expected.items():
        assert summarize_sentences(releases[idx], Budget()) == sentences, idx
        assert summarize_sentences(releases[idx], Budget()) == sentences, idx


def test_english_release() -> None:
    release = Release(
        title="NASA selects new crew",
        language="en",
        paragraphs=[
            "NASA on Tuesday selected four astronauts for the Artemis II mission around the Moon.",
            '"This is a historic day," said the NASA Administrator.',
            "The crew will fly aboard the Orion spacecraft in 2025. Media contact: press@nasa.gov, 202-358-1600.",
            "Training for the mission begins at Johnson Space Center in Houston next month.",
        ],
    )
    summary = summarize_sentences(release, Budget(sentences=2, chars=400))
    assert summary[0].startswith("NASA on Tuesday selected")
    assert all("historic" not in s and "contact" not in s for s in summary)


def test_summarize_release_uses_settings_and_handles_an_empty_body(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNDICATE_SUMMARY_SENTENCES", "1")
    get_settings.cache_clear()
    summary = summarize_release(RELEASE, get_settings())
    assert summary.method == "extractive" and summary.language == "ko" and len(summary.sentences) == 1
    empty = summarize_release(Release(title="제목만", language="ko"), get_settings())
    assert empty.sentences == []


def test_lead_baseline_takes_the_first_sentences() -> None:
    assert lead(RELEASE, Budget(sentences=2, chars=10_000)) == RELEASE.paragraphs[:2]


def test_summaries_in_targets_translates_sentence_by_sentence() -> None:
    from syndicate.model import Summary
    from syndicate.summarize import summaries_in_targets

    calls: list[tuple[list[str], str, str]] = []

    def translate(texts: list[str], source: str, target: str) -> list[str]:
        calls.append((texts, source, target))
        return [f"[{target}] {t}" for t in texts]

    source = Summary(language="ko", sentences=["첫 문장.", "둘째 문장."])
    out = summaries_in_targets(source, ["ko", "en", "ja"], translate)
    assert [(s.language, s.method) for s in out] == [("en", "translated"), ("ja", "translated")]
    assert out[0].sentences == ["[en] 첫 문장.", "[en] 둘째 문장."]
    assert [c[2] for c in calls] == ["en", "ja"]


def test_a_huge_release_is_summarized_from_its_start_in_bounded_time() -> None:
    import time

    paragraphs = [i["content"] for i in json.loads(NAJU.read_text(encoding="utf-8"))] * 10  # 512,000 characters
    release = Release(title="t", language="ko", paragraphs=paragraphs)
    started = time.perf_counter()
    summary = summarize_sentences(release, Budget())
    assert time.perf_counter() - started < 10
    assert summary and summary[0] in trim_asides(paragraphs[0])
