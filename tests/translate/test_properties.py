"""Property tests over the 47 real Naju releases: splitting loses nothing, official names come out exact
whatever the provider does around them, and fallback always yields a complete translation."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syndicate.errors import ProviderUnavailable
from syndicate.model import Release
from syndicate.registry import get_registry
from syndicate.translate import LocalMemory, RetryPolicy, TranslatorChain, segments_of, translate_release
from syndicate.translate.glossary import from_registry
from syndicate.translate.segments import chunks_for, join_chunks, split_text
from tests.translate.conftest import corpus_releases
from tests.translate.loopback import fake_translate

RELEASES = corpus_releases()
GLOSSARY = from_registry(get_registry())
TERMS_EN = GLOSSARY.terms("ko", "en")
#: no rate limit in-process: the limiter is tested with the loopback server
FAST = {name: 1e6 for name in ("scripted", "p0", "p1", "p2")}


class Scripted:
    """A provider in-process (the HTTP path is covered by test_providers): deterministic, can fail or mangle."""

    def __init__(self, name: str, max_chars: int, fail: bool = False, mangle: bool = False) -> None:
        self.name, self.model, self.max_chars = name, None, max_chars
        self.fail, self.mangle = fail, mangle
        self.seen: list[str] = []

    def translate_batch(self, segments: list[str], source: str, target: str) -> list[str]:
        self.seen.extend(segments)
        if self.fail:
            raise ProviderUnavailable(f"{self.name} is down")
        assert all(len(s) <= self.max_chars for s in segments), "a segment over the provider's limit"
        out = [fake_translate(s, target) for s in segments]
        return [o.replace("⟦", "(").replace("⟧", ")") for o in out] if self.mangle else out


release_strategy = st.sampled_from(RELEASES)


@given(release_strategy, st.integers(min_value=8, max_value=800))
def test_split_text_loses_nothing_and_respects_the_limit(release: Release, limit: int) -> None:
    for text in segments_of(release):
        parts = split_text(text, limit)
        assert "".join(parts) == text
        assert all(len(p) <= limit for p in parts)
        chunks = chunks_for(text, limit)
        assert join_chunks(chunks, {c.core: c.core for c in chunks}) == text


@given(release_strategy, st.integers(min_value=60, max_value=700))
def test_sentence_boundaries_are_preferred(release: Release, limit: int) -> None:
    # Every cut falls after a sentence end or a space unless a single word is longer than the limit.
    for part in split_text(release.paragraphs[0], limit)[:-1]:
        assert re.search(r"(\s|[.!?。])$", part), part[-20:]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(release_strategy, st.booleans(), st.integers(min_value=40, max_value=600))
def test_official_names_are_exact_and_never_sent(release: Release, mangle: bool, limit: int) -> None:
    provider = Scripted("scripted", limit, mangle=mangle)
    chain = TranslatorChain([provider], retry=RetryPolicy(1), concurrency=1, rates=FAST)
    out = translate_release(release, "en", chain, GLOSSARY, LocalMemory())
    translated = " ".join([out.title, *out.paragraphs])
    for term, form in TERMS_EN.items():
        count = sum(text.count(term) for text in segments_of(release))
        if count:
            assert translated.count(form) >= count, (term, form)
    for sent in provider.seen:
        assert not any(term in sent for term in TERMS_EN), "a protected term reached the provider"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(release_strategy, st.lists(st.booleans(), min_size=1, max_size=3))
def test_fallback_translates_completely_or_raises(release: Release, down: list[bool]) -> None:
    providers = [Scripted(f"p{i}", 300 + 100 * i, fail=d) for i, d in enumerate(down)]
    chain = TranslatorChain(providers, retry=RetryPolicy(1), concurrency=2, rates=FAST)
    if all(down):
        try:
            translate_release(release, "ja", chain, GLOSSARY, LocalMemory())
        except ProviderUnavailable:
            return
        raise AssertionError("all providers down, yet a translation")
    out = translate_release(release, "ja", chain, GLOSSARY, LocalMemory())
    first_up = next(p.name for p, d in zip(providers, down, strict=True) if not d)
    assert out.provider == first_up
    assert len(out.paragraphs) == len(release.paragraphs)
    assert all(p.strip() for p in out.paragraphs)


class Batching(Scripted):
    """A provider with a batch API: ``batch_size`` texts and ``max_chars`` characters per request at most."""

    def __init__(self, name: str, max_chars: int, batch_size: int) -> None:
        super().__init__(name, max_chars)
        self.batch_size = batch_size
        self.requests: list[list[str]] = []

    def translate_batch(self, segments: list[str], source: str, target: str) -> list[str]:
        self.requests.append(segments)
        assert len(segments) <= self.batch_size, "more texts than the batch limit"
        assert len(segments) == 1 or sum(map(len, segments)) <= self.max_chars, "more characters than the limit"
        return super().translate_batch(segments, source, target)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(release_strategy, st.integers(min_value=40, max_value=3000), st.integers(min_value=1, max_value=8))
def test_batches_respect_the_limits_and_lose_nothing(release: Release, limit: int, size: int) -> None:
    provider = Batching("scripted", limit, size)
    # One request at a time, so that the requests are seen in the order the batches were made.
    chain = TranslatorChain([provider], retry=RetryPolicy(1), concurrency=1, rates=FAST)
    out = translate_release(release, "en", chain, GLOSSARY, LocalMemory())
    reference = translate_release(
        release, "en", TranslatorChain([Scripted("scripted", limit)], rates=FAST), GLOSSARY, LocalMemory()
    )
    assert (out.title, out.paragraphs) == (reference.title, reference.paragraphs)  # same as one text per request
    sent = [text for request in provider.requests for text in request]
    assert len(sent) == len(set(sent))  # each distinct text once
    # As few requests as the limits allow: no two neighbouring batches would have fitted in one.
    for first, second in zip(provider.requests, provider.requests[1:], strict=False):
        assert len(first) + len(second) > size or sum(map(len, first + second)) > limit
