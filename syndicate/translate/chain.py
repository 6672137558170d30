"""The provider fallback chain: memory first, then each provider in turn, with retries and rate limits.

For one language pair, the chain translates a list of segments. It cuts each segment to the provider's limit
(segments.py), answers what it can from translation memory, and sends the rest to the first provider. A provider
with a batch API (``batch_size`` > 1, e.g. LibreTranslate) gets them in as few requests as its limits allow
(texts per request, characters per request), usually one; the others get one segment per request. Several
requests go ``concurrency`` at a time, each through that provider's rate limiter (a batch is one request). A
request that fails with ``ProviderUnavailable`` (429, 5xx, timeout, garbage in any of its answers) is retried
with exponential backoff (honouring Retry-After); when it still fails, the provider is given up for this call and
the segments it did not finish go to the next provider. A batch the server refuses as too large is sent again
in smaller ones. What a provider did translate is kept and remembered (one memory write per call) either way.
When every provider has failed, ``ProviderUnavailable`` carries each one's last error.
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
from syndicate.translate.base import BatchTooLarge, Translator, batch_size
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
        new: dict[str, str] = {}
        stop = threading.Event()
        lock = threading.Lock()

        def send(batch: list[str]) -> None:
            if stop.is_set():
                return
            try:
                translated, requests = self._send(provider, batch, source, target)
            except SyndicateError as exc:
                stop.set()  # the provider is down for this call: do not hammer it with the rest
                with lock:
                    failure.append(exc)
                return
            with lock:
                new.update(translated)
                result.sent += requests

        batches = _batches(missing, batch_size(provider), provider.max_chars)
        if len(batches) == 1:
            send(batches[0])  # the usual case with a batch API: no thread to start
        elif batches:
            with ThreadPoolExecutor(min(self.concurrency, len(batches)), "translate-chain") as pool:
                list(pool.map(send, batches))
        if new:
            # One transaction for everything this provider translated in this call, failed or not: what it did
            # translate is kept.
            memory.put_many(new, source, target, provider.name)
            known.update(new)
        done: list[str | None] = []
        for chunks in chunked:
            complete = all(c.core in known for c in chunks if c.core)
            done.append(join_chunks(chunks, known) if complete else None)
        return done, failure[0] if failure else None

    def _send(self, provider: Translator, batch: list[str], source: str, target: str) -> tuple[dict[str, str], int]:
        """``batch`` translated (text → translation) and the requests it took. When the server refuses the batch
        as too large, it goes again in smaller batches (under the limit the server named, or in halves)."""
        try:
            return dict(zip(batch, self._request(provider, batch, source, target), strict=True)), 1
        except BatchTooLarge as exc:
            if len(batch) == 1:
                raise
            if exc.texts:
                smaller = _batches(batch, exc.texts, provider.max_chars)
            elif exc.chars:
                smaller = _batches(batch, len(batch), exc.chars)
            else:
                smaller = _batches(batch, (len(batch) + 1) // 2, provider.max_chars)
            if len(smaller) == 1:  # the limits named would not split it: halve it so that this ends
                smaller = [batch[: len(batch) // 2], batch[len(batch) // 2 :]]
            log.info(
                "translation batch too large, sending it in smaller ones",
                extra={"stage": "translate", "provider": provider.name, "error": str(exc)},
            )
            out: dict[str, str] = {}
            requests = 1
            for part in smaller:
                translated, sent = self._send(provider, part, source, target)
                out.update(translated)
                requests += sent
            return out, requests

    def _request(self, provider: Translator, texts: list[str], source: str, target: str) -> list[str]:
        """One request (a batch counts as one for the rate limiter), retried while the provider is unavailable;
        every answer in it must pass ``_checked``, or the whole request counts as failed."""
        limiter = limiter_for(provider.name, self.rates.get(provider.name, 20.0))
        attempt = 0
        while True:
            limiter.acquire()
            try:
                out = provider.translate_batch(texts, source, target)
                return _checked(provider.name, texts, out)
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


def _batches(texts: list[str], size: int, chars: int) -> list[list[str]]:
    """``texts`` in order, in batches of at most ``size`` texts and ``chars`` characters (a text longer than
    ``chars`` alone in its batch: the server says whether it takes it)."""
    out: list[list[str]] = []
    current: list[str] = []
    total = 0
    for text in texts:
        if current and (len(current) >= size or total + len(text) > chars):
            out.append(current)
            current, total = [], 0
        current.append(text)
        total += len(text)
    if current:
        out.append(current)
    return out


def _checked(name: str, texts: list[str], out: list[str]) -> list[str]:
    """The provider's answers, unless one is garbage: missing, not text, empty, or wildly longer than its text."""
    if not isinstance(out, list) or len(out) != len(texts):
        raise ProviderUnavailable(f"{name}: wrong number of answers", provider=name)
    checked = []
    for text, answer in zip(texts, out, strict=True):
        if not isinstance(answer, str):
            raise ProviderUnavailable(f"{name}: answer is not text", provider=name)
        answer = answer.strip()
        if not answer:
            raise ProviderUnavailable(f"{name}: empty answer", provider=name)
        if len(answer) > 6 * len(text) + 200:
            raise ProviderUnavailable(f"{name}: answer far longer than the text", provider=name)
        checked.append(answer)
    return checked
