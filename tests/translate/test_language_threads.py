"""The languages of a translate call run on threads kept for the process, and a worker process builds the
provider chain and its client at start: the same outcomes as threads started per call, without their cost."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from syndicate import translation
from syndicate.config import get_settings
from syndicate.errors import SyndicateError
from syndicate.model import Release
from syndicate.translate import LocalMemory
from syndicate.translate.chain import TranslatorChain
from syndicate.translate.client import _clients
from tests.translate.loopback import LoopbackServer, use_libre

RELEASE = Release(title="인천시 청년 일자리", paragraphs=["시는 올해 예산을 늘린다.", "문의 바람."], language="ko")


@pytest.fixture
def configured(provider: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackServer]:
    use_libre(monkeypatch, provider.url, "en,ja,vi", ALLOW_HOSTS="127.0.0.1")
    yield provider
    get_settings.cache_clear()


def _threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("translate-lang")}


def test_languages_come_back_in_order_on_threads_kept_between_calls(configured: LoopbackServer) -> None:
    first = translation.translate_languages(RELEASE, ["en", "ja", "vi"], memory=LocalMemory())
    threads = _threads()
    again = translation.translate_languages(RELEASE, ["vi", "en", "ja"], memory=LocalMemory())
    assert [o.language for o in first] == ["en", "ja", "vi"] and [o.language for o in again] == ["vi", "en", "ja"]
    for outcome in (*first, *again):
        assert outcome.error is None and outcome.translation is not None
        assert outcome.translation.title.startswith(f"{outcome.language}:")
    assert threads and _threads() == threads  # no thread started for the second call


def test_a_language_that_fails_is_its_own_and_an_unexpected_error_waits_for_the_others(
    configured: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    configured.state.broken_targets = {"ja"}
    outcomes = translation.translate_languages(RELEASE, ["en", "ja"], memory=LocalMemory())
    assert outcomes[0].translation is not None and outcomes[1].translation is None and outcomes[1].error

    finished: list[str] = []
    real = TranslatorChain.translate

    def translate(self: TranslatorChain, texts: list[str], source: str, target: str, memory: object) -> object:
        if target == "en":
            raise RuntimeError("a bug")
        out = real(self, texts, source, target, memory)  # type: ignore[arg-type]
        finished.append(target)
        return out

    monkeypatch.setattr(TranslatorChain, "translate", translate)
    configured.state.broken_targets = set()
    configured.state.delay = 0.2
    with pytest.raises(RuntimeError):
        translation.translate_languages(RELEASE, ["en", "vi"], memory=LocalMemory())
    assert finished == ["vi"]  # the call returned only after the other language was done


def test_a_forked_process_gets_a_pool_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = translation._language_pool()
    assert translation._language_pool() is pool
    monkeypatch.setattr(translation.os, "getpid", lambda: -1)
    assert translation._language_pool() is not pool


def test_warm_up_builds_the_chain_and_the_client(configured: LoopbackServer) -> None:
    _clients.clear()
    translation.warm_up()
    assert translation._chain is not None and translation._chain[0] is get_settings()
    assert len(_clients) == 1
    translation.translate_languages(RELEASE, ["en"], memory=LocalMemory())
    assert len(_clients) == 1  # the request used the client made at warm-up


def test_warm_up_without_languages_or_with_a_bad_chain_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNDICATE_LANGUAGES", "")
    get_settings.cache_clear()
    translation.warm_up()
    monkeypatch.setenv("SYNDICATE_LANGUAGES", "en")
    monkeypatch.setenv("SYNDICATE_TRANSLATORS", "libre")
    monkeypatch.delenv("SYNDICATE_LIBRETRANSLATE_URL", raising=False)
    get_settings.cache_clear()
    with pytest.raises(SyndicateError):
        translation.configured_chain()
    translation.warm_up()  # logged, not raised: a worker must start even when translation is misconfigured
    get_settings.cache_clear()
