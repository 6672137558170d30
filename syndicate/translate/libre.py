"""LibreTranslate as a Translator, spoken directly over httpx: keep-alive, batches, and our own error mapping.

This provider used to go through deep-translator's LibreTranslator. Measured in the translate step (yappi,
loopback server): every call cost about 3 ms of CPU inside ``requests`` alone (``getproxies_environment``
scanning os.environ, a new TCP connection per call, urllib3's URL encoding), plus a thread per call for a
deadline ``requests`` cannot give; and the client sends one text per request, so a release in three languages
was 18 provider calls. LibreTranslate's ``POST /translate`` takes ``q`` as a JSON list and answers
``translatedText`` as a list, so here one request carries all the segments of one call that fit the server's
limits, over one process-wide guarded client whose connections are kept alive between calls.

The SSRF guard sits in the client's connections (syndicate.netguard), so the check happens at connect time and
covers DNS rebinding. A server started with ``--batch-limit`` or ``--char-limit`` answers 400 "request (N)
exceeds text limit (L)" for a batch over them: that becomes ``BatchTooLarge`` with the limit it named, the chain
splits the batch and this provider remembers the limit for later calls.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from syndicate.config import Settings
from syndicate.errors import ConfigError, InputError, ProviderUnavailable, UnknownLanguage
from syndicate.translate import client
from syndicate.translate.base import BatchTooLarge

#: Our language codes where LibreTranslate's differ (we use Google's: zh-CN, zh-TW).
CODES = {"zh-CN": "zh", "zh-TW": "zt"}
#: Texts per request until the server says otherwise. LibreTranslate's own default is no limit; public
#: instances commonly run with --batch-limit 32 or more. A lower real limit is learned from its 400.
BATCH_SIZE = 32
#: Characters per request (and so per segment): LibreTranslate's usual --char-limit.
MAX_CHARS = 5000

_LIMIT = re.compile(r"request \((\d+)\) exceeds (?:text|character) limit \((\d+)\)", re.IGNORECASE)
_UNSUPPORTED = re.compile(r"is not supported|is not available as a target language", re.IGNORECASE)


class LibreTranslateProvider:
    """``POST {url}/translate`` with ``q`` as a list; one request per batch."""

    def __init__(self, url: str, settings: Settings, api_key: str | None = None) -> None:
        self.name = "libre"
        self.model: str | None = None
        #: the characters one request may carry (all its texts together), and so the longest segment
        self.max_chars = MAX_CHARS
        #: the texts one request may carry; lowered when the server names its --batch-limit
        self.batch_size = BATCH_SIZE
        self._url = url.rstrip("/") + "/translate"
        self._key = api_key
        self._settings = settings
        self._timeout = settings.translate_timeout

    def __repr__(self) -> str:
        return "<libre provider>"

    def warm_up(self) -> None:
        """Make this process's client now (its TLS context loads the CA bundle), not in the first request."""
        client.shared_client(self._settings)

    @classmethod
    def from_settings(cls, settings: Settings) -> LibreTranslateProvider:
        if not settings.libretranslate_url:
            raise ConfigError("libre: set SYNDICATE_LIBRETRANSLATE_URL")
        key = settings.libretranslate_key.get_secret_value() if settings.libretranslate_key else None
        return cls(settings.libretranslate_url, settings, key or None)

    def translate_batch(self, segments: list[str], source: str, target: str) -> list[str]:
        if not segments:
            return []
        # One text goes as a plain string: servers older than the batch API understand that too.
        body: dict[str, Any] = {
            "q": segments if len(segments) > 1 else segments[0],
            "source": CODES.get(source, source),
            "target": CODES.get(target, target),
            "format": "text",
        }
        if self._key:
            body["api_key"] = self._key
        try:
            answer = client.post(self._settings, self._url, json=body)
        except httpx.TimeoutException as exc:
            raise ProviderUnavailable(f"libre: no answer within {self._timeout:g}s", provider=self.name) from exc
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"libre: {type(exc).__name__}", provider=self.name) from exc
        self._check_status(answer, segments)
        return self._texts(answer, segments)

    def _check_status(self, answer: httpx.Response, segments: list[str]) -> None:
        status = answer.status_code
        if status < 400:
            return
        message = _error(answer)
        if status == 429 or status >= 500:
            raise ProviderUnavailable(
                f"libre: HTTP {status} {message}".rstrip(),
                provider=self.name,
                status=status,
                retry_after=_retry_after(answer),
            )
        if status in (401, 403):
            detail = f" {message}" if message else ""
            raise ConfigError(f"libre: HTTP {status}{detail} (check SYNDICATE_LIBRETRANSLATE_KEY)", provider=self.name)
        if status == 404:
            raise ConfigError(f"libre: no /translate at {self._url} (check SYNDICATE_LIBRETRANSLATE_URL)")
        if status == 400:
            limit = _LIMIT.search(message)
            if limit is not None and len(segments) > 1:
                size, most = int(limit.group(1)), int(limit.group(2))
                # The server names one size; whether it counted texts or characters tells which limit it was.
                texts = most if size == len(segments) else None
                chars = most if texts is None else None
                self._learn(texts, chars)
                raise BatchTooLarge(f"libre: {message}", provider=self.name, texts=texts, chars=chars)
            if _UNSUPPORTED.search(message):
                raise UnknownLanguage(f"libre: {message}", provider=self.name)
        raise InputError(f"libre: HTTP {status} {message}".rstrip(), provider=self.name)

    def _learn(self, texts: int | None, chars: int | None) -> None:
        """Remember the server's limits for later calls (the chain re-batches this one)."""
        if texts is not None and texts >= 1:
            self.batch_size = min(self.batch_size, texts)
        if chars is not None and chars >= 8:
            self.max_chars = min(self.max_chars, chars)

    def _texts(self, answer: httpx.Response, segments: list[str]) -> list[str]:
        try:
            data: Any = answer.json()
            translated = data["translatedText"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ProviderUnavailable("libre: answer without translatedText", provider=self.name) from exc
        if isinstance(translated, str) and len(segments) == 1:
            translated = [translated]
        if not isinstance(translated, list) or len(translated) != len(segments):
            raise ProviderUnavailable("libre: wrong number of answers", provider=self.name)
        if not all(isinstance(t, str) for t in translated):
            raise ProviderUnavailable("libre: answer is not text", provider=self.name)
        return translated


def _error(answer: httpx.Response) -> str:
    """The server's own error message ({"error": "..."}), or nothing."""
    try:
        data = answer.json()
    except ValueError:
        return ""
    message = data.get("error") if isinstance(data, dict) else None
    return str(message)[:300] if message else ""


def _retry_after(answer: httpx.Response) -> float | None:
    try:
        return max(0.0, float(answer.headers.get("retry-after", "")))
    except ValueError:
        return None
