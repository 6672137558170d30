"""The providers through our LibreTranslate and OpenAI-compatible clients, against a loopback server: batches and
the server's batch limits, retries, fallback, timeouts, the 5,000-character limit, translation memory, the API
key and the SSRF guard."""

from __future__ import annotations

import re
import time

import pytest

from syndicate.config import Settings
from syndicate.errors import ConfigError, InputError, ProviderUnavailable
from syndicate.model import Release
from syndicate.translate import (
    Glossary,
    LocalMemory,
    RetryPolicy,
    TranslatorChain,
    translate_release,
    translate_with_extra,
)
from syndicate.translate.base import detect_language
from syndicate.translate.chain import limiter_for
from syndicate.translate.providers import build_providers, chain_from_settings
from tests.translate.loopback import LoopbackServer

NAME = "인천광역시"


def settings_for(server: LoopbackServer, **extra: object) -> Settings:
    return Settings(
        libretranslate_url=server.url,
        openai_base_url=server.url + "/v1",
        allow_hosts=["127.0.0.1"],
        translate_timeout=2.0,
        **extra,  # type: ignore[arg-type]
    )


def chain(server: LoopbackServer, names: list[str], concurrency: int = 2, **extra: object) -> TranslatorChain:
    providers = build_providers(names, settings_for(server, **extra))
    return TranslatorChain(providers, retry=RetryPolicy(attempts=3, backoff=0.01), concurrency=concurrency)


def release(*paragraphs: str) -> Release:
    return Release(
        title=f"{NAME}, 청년 일자리 1만 개",
        subtitle="청년 고용 지원",
        paragraphs=list(paragraphs) or [f"{NAME}는 25일 계획을 발표했다.", "시는 올해 1만 개를 만든다."],
        original_url="https://www.incheon.go.kr/news/1",
    )


GLOSSARY = Glossary([])


def test_libre_sends_the_segments_of_a_release_as_one_batch(provider: LoopbackServer) -> None:
    out = translate_release(release(), "en", chain(provider, ["libre"]), GLOSSARY, LocalMemory())
    assert out.title == "en:개 en:1만 en:일자리 en:청년 en:인천광역시,"
    assert out.subtitle == "en:지원 en:고용 en:청년"
    assert out.paragraphs == [
        "en:발표했다. en:계획을 en:25일 en:인천광역시는",
        "en:만든다. en:개를 en:1만 en:올해 en:시는",
    ]
    assert out.provider == "libre" and out.source_language == "ko" and out.language == "en"
    assert out.label == "Machine translation from Korean; original: https://www.incheon.go.kr/news/1"
    assert provider.state.calls["/translate"] == 1
    assert provider.state.batches == [4]
    assert provider.state.keys == [None]  # no key configured: none sent


def test_libre_keeps_its_connection_alive_between_calls(provider: LoopbackServer) -> None:
    translators = chain(provider, ["libre"])
    for language in ("en", "ja", "vi"):
        translate_release(release(), language, translators, GLOSSARY, LocalMemory())
    assert provider.state.calls["/translate"] == 3
    assert len(set(provider.state.ports)) == 1, provider.state.ports


def test_openai_keeps_its_connections_alive_between_calls(provider: LoopbackServer) -> None:
    # One segment per request (a chat endpoint has no batch API), one at a time here (concurrency 1): every
    # request after the first goes on the connection the one before it left open.
    translators = chain(provider, ["openai"], concurrency=1)
    for language in ("en", "ja"):
        translate_release(release(), language, translators, GLOSSARY, LocalMemory())
    assert provider.state.calls["/v1/chat/completions"] == 8
    assert len(set(provider.state.ports)) == 1, provider.state.ports


def test_libre_sends_the_api_key(provider: LoopbackServer) -> None:
    translators = chain(provider, ["libre"], libretranslate_key="s3cret")
    translate_release(release(), "en", translators, GLOSSARY, LocalMemory())
    assert provider.state.keys == ["s3cret"]


def test_a_servers_batch_limit_splits_the_batch_and_is_remembered(provider: LoopbackServer) -> None:
    provider.state.batch_limit = 2
    translators = chain(provider, ["libre"])
    five = release("첫째 문단.", "둘째 문단.", "셋째 문단.")  # title, subtitle and three paragraphs
    out = translate_release(five, "en", translators, GLOSSARY, LocalMemory())
    assert out.paragraphs == ["en:문단. en:첫째", "en:문단. en:둘째", "en:문단. en:셋째"]
    assert out.provider == "libre"
    assert provider.state.batches == [5, 2, 2, 1]  # refused (400), then under the limit the server named
    assert translators.providers[0].batch_size == 2  # type: ignore[attr-defined]
    # The next call knows the limit: no refused request first.
    provider.state.reset()
    provider.state.batch_limit = 2
    translate_release(release("넷째 문단.", "다섯째 문단."), "en", translators, GLOSSARY, LocalMemory())
    assert provider.state.batches == [2, 2]


def test_a_servers_character_limit_splits_the_batch(provider: LoopbackServer) -> None:
    provider.state.limit = 40  # each segment fits, the four together do not
    out = translate_release(release(), "ja", chain(provider, ["libre"]), GLOSSARY, LocalMemory())
    assert out.provider == "libre" and all(p.startswith("ja:") for p in out.paragraphs)
    assert provider.state.batches[0] == 4 and len(provider.state.batches) > 2
    assert max(provider.state.batches[1:]) < 4


def test_a_garbage_answer_inside_a_batch_fails_the_provider(provider: LoopbackServer) -> None:
    provider.state.garbage_at = 2  # one empty answer among good ones, every time
    with pytest.raises(ProviderUnavailable, match="libre: empty answer"):
        translate_release(release(), "en", chain(provider, ["libre"]), GLOSSARY, LocalMemory())
    assert provider.state.calls["/translate"] == 3  # retried like any failure, then given up
    provider.state.reset()
    provider.state.garbage_at = 2
    memory = LocalMemory()
    out = translate_release(release(), "en", chain(provider, ["libre", "openai"]), GLOSSARY, memory)
    assert out.provider == "openai"  # nothing of the bad batch was kept, not even its good answers
    assert provider.state.calls == {"/translate": 3, "/v1/chat/completions": 4}
    assert len(memory) == 4


def test_a_refused_key_goes_to_the_next_provider_at_once(provider: LoopbackServer) -> None:
    provider.state.fail(403, times=1)
    out = translate_release(release(), "en", chain(provider, ["libre", "openai"]), GLOSSARY, LocalMemory())
    assert out.provider == "openai"
    assert provider.state.calls == {"/translate": 1, "/v1/chat/completions": 4}


def test_libre_unsupported_language_goes_to_the_next_provider(provider: LoopbackServer) -> None:
    built = build_providers(["libre"], settings_for(provider))[0]
    provider.state.fail(400, times=1)
    with pytest.raises(InputError):
        built.translate_batch(["하나."], "ko", "en")


def test_the_ssrf_guard_refuses_a_private_provider_url(provider: LoopbackServer) -> None:
    settings = Settings(libretranslate_url=provider.url, allow_hosts=[], translate_timeout=2.0)  # no exemption
    translators = TranslatorChain(build_providers(["libre"], settings), retry=RetryPolicy(3, backoff=0.01))
    with pytest.raises(ProviderUnavailable, match=r"refusing to contact 127\.0\.0\.1"):
        translate_release(release(), "en", translators, GLOSSARY, LocalMemory())
    assert provider.state.total == 0  # refused before connecting, and not retried


def test_openai_compatible_endpoint(provider: LoopbackServer) -> None:
    out = translate_release(release(), "ja", chain(provider, ["openai"]), GLOSSARY, LocalMemory())
    assert out.subtitle == "ja:지원 ja:고용 ja:청년"
    assert out.provider == "openai" and out.model == "gpt-4o-mini"
    assert provider.state.calls["/v1/chat/completions"] == 4


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_failing_request_is_retried(provider: LoopbackServer, status: int) -> None:
    provider.state.fail(status, times=2)
    out = translate_release(release(), "en", chain(provider, ["libre"]), GLOSSARY, LocalMemory())
    assert out.subtitle == "en:지원 en:고용 en:청년"
    assert provider.state.calls["/translate"] == 1 + 2


@pytest.mark.parametrize("name", ["openai", "libre"])
def test_retry_after_is_honoured(provider: LoopbackServer, name: str) -> None:
    provider.state.fail(429, times=1, retry_after=0.6)
    started = time.monotonic()
    out = translate_release(release("한 문단."), "en", chain(provider, [name]), GLOSSARY, LocalMemory())
    assert out.paragraphs == ["en:문단. en:한"]
    assert time.monotonic() - started >= 0.6


def test_a_provider_that_keeps_failing_falls_back_to_the_next(provider: LoopbackServer) -> None:
    provider.state.fail(500, times=3)  # libre's three tries for the first segment
    translators = chain(provider, ["libre", "openai"], concurrency=1)
    out = translate_release(release(), "en", translators, GLOSSARY, LocalMemory())
    assert out.provider == "openai"
    assert provider.state.calls == {"/translate": 3, "/v1/chat/completions": 4}
    assert all(p.startswith("en:") for p in [out.title, out.subtitle or "", *out.paragraphs])


def test_timeouts_fall_back_and_garbage_is_refused(provider: LoopbackServer) -> None:
    provider.state.delay = 3.0  # over the 2 s deadline
    with pytest.raises(ProviderUnavailable) as caught:
        translate_release(
            release("하나."), "en", chain(provider, ["libre"], translate_attempts=1), GLOSSARY, LocalMemory()
        )
    assert "no answer within" in str(caught.value)
    with pytest.raises(ProviderUnavailable, match=r"openai: no answer within 2s"):
        translate_release(
            release("하나."), "en", chain(provider, ["openai"], translate_attempts=1), GLOSSARY, LocalMemory()
        )
    provider.state.delay = 0.0
    provider.state.garbage = True
    with pytest.raises(ProviderUnavailable, match="every translation provider failed"):
        translate_release(release("둘."), "en", chain(provider, ["libre", "openai"]), GLOSSARY, LocalMemory())


def test_long_paragraphs_are_split_under_the_servers_limit_and_nothing_is_lost(provider: LoopbackServer) -> None:
    sentence = "인천광역시는 청년 일자리를 위해 새로운 지원 사업을 추진한다고 밝혔다. "
    long = sentence * 400  # about 16,000 characters
    assert len(long) > 3 * 5000
    out = translate_release(release(long), "en", chain(provider, ["libre"]), GLOSSARY, LocalMemory())
    assert max(len(t) for t in provider.state.received) <= 5000
    # every sentence came back, in one paragraph
    assert len(out.paragraphs) == 1
    assert out.paragraphs[0].count("en:밝혔다.") == 400

    # The limit is real: a provider told it may send 20,000 characters is refused by the server.
    big = build_providers(["libre"], settings_for(provider))[0]
    big.max_chars = 20000  # type: ignore[misc]
    with pytest.raises(ProviderUnavailable):
        translate_release(release(long), "en", TranslatorChain([big], retry=RetryPolicy(1)), GLOSSARY, LocalMemory())


def test_memory_never_sends_a_segment_twice_and_corrections_send_only_changes(provider: LoopbackServer) -> None:
    memory = LocalMemory()
    translators = chain(provider, ["libre"])
    first = release("첫째 문단.", "둘째 문단.", "셋째 문단.")
    translate_release(first, "en", translators, GLOSSARY, memory)
    assert provider.state.total == 1 and len(provider.state.received) == 5 and len(memory) == 5
    translate_release(first, "en", translators, GLOSSARY, memory)
    assert provider.state.total == 1  # all from memory
    corrected = release("첫째 문단.", "둘째 문단을 고쳤다.", "셋째 문단.")
    out = translate_release(corrected, "en", translators, GLOSSARY, memory)
    assert provider.state.total == 2 and provider.state.received[-1] == "둘째 문단을 고쳤다."  # only the change
    assert out.paragraphs[1] == "en:고쳤다. en:문단을 en:둘째"


def test_settings_build_the_chain(provider: LoopbackServer) -> None:
    names = chain_from_settings(settings_for(provider, translators=["libre", "openai", "google"])).names
    assert names == ["libre", "openai", "google"]


def test_html_keeps_its_tags(provider: LoopbackServer) -> None:
    html = '<p>인천광역시는 <a href="https://www.incheon.go.kr/">누리집</a>에서 <b>발표했다</b>.</p>'
    out = translate_release(release(html), "en", chain(provider, ["libre"]), GLOSSARY, LocalMemory())
    assert re.findall(r"<[^>]+>", out.paragraphs[0]) == re.findall(r"<[^>]+>", html)
    assert not any("<" in sent for sent in provider.state.received)  # tags never reach the provider


def test_the_rate_limit_is_respected(provider: LoopbackServer) -> None:
    translators = chain(provider, ["openai"], concurrency=4)  # one request per segment
    translators.rates["openai"] = 10.0
    limiter_for("openai", 10.0)._tokens = 0  # start with an empty bucket
    started = time.monotonic()
    translate_release(release(*[f"{i}번째 문단." for i in range(8)]), "en", translators, GLOSSARY, LocalMemory())
    assert provider.state.total == 10
    assert time.monotonic() - started >= 0.9  # 10 requests at 10/s from an empty bucket


def test_source_language_is_detected() -> None:
    assert detect_language("인천광역시는 25일 청년 일자리 계획을 발표했다") == "ko"
    assert detect_language("Incheon announced its youth jobs plan on the 25th") == "en"
    assert detect_language("仁川広域市は25日に発表した") == "ja"
    assert detect_language("仁川广域市宣布了青年就业计划") == "zh-CN"


def test_rates_come_from_settings(provider: LoopbackServer) -> None:
    built = chain_from_settings(settings_for(provider, translators=["libre"], translate_rates=["libre=50", "google=2"]))
    assert built.rates["libre"] == 50.0 and built.rates["google"] == 2.0
    with pytest.raises(ConfigError, match="SYNDICATE_TRANSLATE_RATES"):
        chain_from_settings(settings_for(provider, translators=["libre"], translate_rates=["libre=fast"]))


def test_extra_texts_go_in_the_same_request(provider: LoopbackServer) -> None:
    memory = LocalMemory()
    translators = chain(provider, ["libre"])
    extra = ["요약 문장.", "청년 고용 지원"]  # the second is the subtitle: sent once
    out, extra_out = translate_with_extra(release(), "en", translators, GLOSSARY, memory, extra=extra)
    assert provider.state.batches == [5]  # four segments and the one new extra text
    assert out.subtitle == "en:지원 en:고용 en:청년" and out.paragraphs[0].startswith("en:발표했다.")
    assert extra_out == ["en:문장. en:요약", "en:지원 en:고용 en:청년"]
    assert memory.get_many(["요약 문장."], "ko", "en", "libre") == {"요약 문장.": "en:문장. en:요약"}
