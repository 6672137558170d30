"""The provider fallback chain: memory first, then each provider in turn, with retries and rate limits.

For one language pair, the chain translates a list of segments. It cuts each segment to the provider's limit
(segments.py), answers what it can from translation memory, and sends the rest to the first provider,
``concurrency`` requests at a time, each through that provider's rate limiter. A request that fails with
``ProviderUnavailable`` (429, 5xx, timeout, garbage) is retried with exponential backoff (honouring
Retry-After); when it still fails, the provider is given up for this call and the segments it did not finish
go to the next provider. What a provider did translate is kept (and remembered) either way. When every
provider has failed, ``ProviderUnavailable`` carries each one's last error.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from syndicate.errors import ConfigError, FetchError, InputError, ProviderUnavailable, SyndicateError
from syndicate.translate.base import Translator
from syndicate.translate.memory import TranslationMemory
from syndicate.translate.segments import Chunk, chunks_for, join_chunks

log = logging.getLogger(__name__)

#: Errors that say "this provider cannot do this": no retry, go to the next provider at once.
_SKIP = (InputError, ConfigError, FetchError)
#: Requests per second by default; a provider's own published limits are lower than ours would hit.
DEFAULT_RATES = {"google": 5.0, "mymemory": 2.0, "papago": 10.0, "deepl": 10.0, "microsoft": 10.0}


class RateLimiter:
    """A token bucket shared by every thread that talks to one provider; ``hold`` obeys a Retry-After."""

    def __init__(self, rate: float, burst: int | None = None) -> None:
        self.rate = rate
        self.capacity = float(burst or max(1, int(rate)))
        self._tokens = self.capacity
        self._stamp = time.monotonic()
        self._not_before = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                wait = max(self._not_before - now, 0.0)
                if wait == 0.0 and self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                if wait == 0.0:
                    wait = (1.0 - self._tokens) / self.rate
            time.sleep(wait)

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._not_before = max(self._not_before, time.monotonic() + seconds)


_limiters: dict[str, RateLimiter] = {}
_limiters_lock = threading.Lock()


def limiter_for(name: str, rate: float) -> RateLimiter:
    """One limiter per provider per process, so concurrent releases and languages share it."""
    with _limiters_lock:
        limiter = _limiters.get(name)
        if limiter is None or limiter.rate != rate:
            limiter = _limiters[name] = RateLimiter(rate)
        return limiter


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    backoff: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int, error: ProviderUnavailable) -> float:
        delay = self.backoff * (2**attempt) * (0.5 + random.random())  # noqa: S311 - jitter, not a secret
        if error.retry_after:
            delay = max(delay, error.retry_after)
        return min(delay, self.max_delay)


@dataclass
class ChainResult:
    texts: list[str]
    #: providers that translated at least one segment (memory hits count for the provider they came from)
    providers: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    sent: int = 0
    remembered: int = 0


class TranslatorChain:
    def __init__(
        self,
        providers: Sequence[Translator],
        *,
        retry: RetryPolicy | None = None,
        concurrency: int = 4,
        rates: dict[str, float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not providers:
            raise ConfigError("a translator chain needs at least one provider")
        self.providers = list(providers)
        self.retry = retry or RetryPolicy()
        self.concurrency = max(1, concurrency)
        self.rates = {**DEFAULT_RATES, **(rates or {})}
        self._sleep = sleep

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.providers]

    def translate(self, texts: list[str], source: str, target: str, memory: TranslationMemory) -> ChainResult:
        results: list[str | None] = [t if not t.strip() else None for t in texts]
        result = ChainResult(texts=[])
        errors: dict[str, str] = {}
        for provider in self.providers:
            todo = [i for i, r in enumerate(results) if r is None]
            if not todo:
                break
            done, error = self._with_provider(provider, [texts[i] for i in todo], source, target, memory, result)
            for i, out in zip(todo, done, strict=True):
                results[i] = out
            if any(out is not None for out in done):
                result.providers.append(provider.name)
                if provider.model:
                    result.models.append(provider.model)
            if error is not None:
                errors[provider.name] = str(error)
        if any(r is None for r in results):
            detail = "; ".join(f"{name}: {msg}" for name, msg in errors.items())
            raise ProviderUnavailable(f"every translation provider failed ({detail})", errors=errors)
        result.texts = [r for r in results if r is not None]
        return result

    def _with_provider(
        self,
        provider: Translator,
        texts: list[str],
        source: str,
        target: str,
        memory: TranslationMemory,
        result: ChainResult,
    ) -> tuple[list[str | None], SyndicateError | None]:
        """Translations of ``texts`` by one provider (None where it failed) and its last error."""
        chunked: list[list[Chunk]] = [chunks_for(t, provider.max_chars) for t in texts]
        cores = list(dict.fromkeys(c.core for chunks in chunked for c in chunks if c.core))
        known = memory.get_many(cores, source, target, provider.name)
        result.remembered += len(known)
        missing = [c for c in cores if c not in known]
        failure: list[SyndicateError] = []
        stop = threading.Event()
        lock = threading.Lock()

        def send(core: str) -> None:
            if stop.is_set():
                return
            try:
                translated = self._request(provider, core, source, target)
            except SyndicateError as exc:
                stop.set()  # the provider is down for this call: do not hammer it with the rest
                with lock:
                    failure.append(exc)
                return
            memory.put(core, source, target, provider.name, translated)
            with lock:
                known[core] = translated
                result.sent += 1

        if missing:
            with ThreadPoolExecutor(min(self.concurrency, len(missing)), "translate-chain") as pool:
                list(pool.map(send, missing))
        done: list[str | None] = []
        for chunks in chunked:
            complete = all(c.core in known for c in chunks if c.core)
            done.append(join_chunks(chunks, known) if complete else None)
        return done, failure[0] if failure else None

    def _request(self, provider: Translator, text: str, source: str, target: str) -> str:
        limiter = limiter_for(provider.name, self.rates.get(provider.name, 20.0))
        attempt = 0
        while True:
            limiter.acquire()
            try:
                out = provider.translate_batch([text], source, target)
                return _checked(provider.name, text, out)
            except _SKIP:
                raise
            except ProviderUnavailable as exc:
                if exc.retry_after:
                    limiter.hold(exc.retry_after)
                attempt += 1
                if attempt >= self.retry.attempts:
                    raise
                log.info(
                    "translation provider failed, retrying",
                    extra={"stage": "translate", "provider": provider.name, "error": str(exc)},
                )
                self._sleep(self.retry.delay(attempt - 1, exc))


def _checked(name: str, text: str, out: list[str]) -> str:
    """The provider's answer, unless it is garbage: no answer, not text, empty, or wildly longer."""
    if len(out) != 1 or not isinstance(out[0], str):
        raise ProviderUnavailable(f"{name}: wrong number of answers", provider=name)
    answer = out[0].strip()
    if not answer:
        raise ProviderUnavailable(f"{name}: empty answer", provider=name)
    if len(answer) > 6 * len(text) + 200:
        raise ProviderUnavailable(f"{name}: answer far longer than the text", provider=name)
    return answer
