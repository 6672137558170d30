"""The deep-translator backends, wrapped so that they fit the Translator protocol and fail in our terms
(LibreTranslate has a client of its own, libre.py, for batches and keep-alive).

deep-translator's clients call ``requests`` without a timeout and raise a mix of their own exceptions, bare
``Exception`` (Papago) and ``requests`` errors. Each call here therefore runs in a daemon thread with a
deadline (a hung provider costs one sleeping thread, never a stuck worker), and every failure becomes
``ProviderUnavailable`` (try again / try the next provider) or ``InputError`` (this provider cannot do this
language pair). Provider URLs pass the SSRF guard before each request; they are operator settings, so a
check-time guard is enough here (the OpenAI-compatible client in openai.py also guards at connect time).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import requests
from deep_translator import (
    DeeplTranslator,
    GoogleTranslator,
    MicrosoftTranslator,
    MyMemoryTranslator,
    PapagoTranslator,
)
from deep_translator import exceptions as dt

from syndicate.config import Settings
from syndicate.errors import ConfigError, InputError, ProviderUnavailable, SyndicateError, UnknownLanguage
from syndicate.netguard import check_url
from syndicate.translate.base import Translator
from syndicate.translate.chain import RetryPolicy, TranslatorChain
from syndicate.translate.libre import LibreTranslateProvider

#: deep-translator's ServerException keeps only a message; this maps it back to the HTTP status.
_SERVER_STATUS = {message: status for status, message in dt.ServerException.errors.items()}
_LANGUAGE_ERRORS = (dt.LanguageNotSupportedException, dt.InvalidSourceOrTargetLanguage)

#: Per-provider language codes where they differ from ours (we use Google's: zh-CN, zh-TW).
_CODES: dict[str, dict[str, str]] = {
    "deepl": {"zh-CN": "zh", "zh-TW": "zh", "en": "en"},
    "microsoft": {"zh-CN": "zh-Hans", "zh-TW": "zh-Hant"},
    "mymemory": {"ko": "ko-KR", "en": "en-US", "ja": "ja-JP", "zh-CN": "zh-CN", "vi": "vi-VN"},
}
#: What one request may carry. Google's client refuses 5,000 characters exactly; MyMemory takes 500 bytes.
MAX_CHARS = {"google": 4999, "deepl": 5000, "papago": 5000, "microsoft": 5000, "mymemory": 450}

Factory = Callable[[str, str], Any]


class DeepTranslatorProvider:
    """One deep-translator backend as a Translator."""

    def __init__(
        self,
        name: str,
        factory: Factory,
        *,
        settings: Settings,
        url: str | None = None,
        max_chars: int | None = None,
        model: str | None = None,
    ) -> None:
        self.name = name
        self.model = model
        self.max_chars = max_chars or MAX_CHARS.get(name, 5000)
        self._factory = factory
        self._settings = settings
        self._url = url
        self._timeout = settings.translate_timeout

    def __repr__(self) -> str:
        return f"<{self.name} provider>"

    def translate_batch(self, segments: list[str], source: str, target: str) -> list[str]:
        if self._url:
            check_url(self._url, self._settings)
        codes = _CODES.get(self.name, {})
        src, tgt = codes.get(source, source), codes.get(target, target)
        client = self._call(lambda: self._factory(src, tgt))
        out = []
        for text in segments:
            answer = self._call(partial(client.translate, text))
            if not isinstance(answer, str):
                raise ProviderUnavailable(f"{self.name}: answer is not text", provider=self.name)
            out.append(answer)
        return out

    def _call(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` with a deadline; our error or its result."""
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["value"] = fn()
            except BaseException as exc:
                box["error"] = exc

        thread = threading.Thread(target=run, name=f"translate-{self.name}", daemon=True)
        thread.start()
        thread.join(self._timeout)
        if thread.is_alive():
            raise ProviderUnavailable(f"{self.name}: no answer within {self._timeout:g}s", provider=self.name)
        if "error" in box:
            raise _mapped(self.name, box["error"]) from box["error"]
        return box.get("value")


def _mapped(name: str, exc: BaseException) -> SyndicateError:
    if isinstance(exc, SyndicateError):
        return exc
    if isinstance(exc, _LANGUAGE_ERRORS):
        return UnknownLanguage(f"{name}: language pair not supported", provider=name)
    if isinstance(exc, (dt.NotValidLength, dt.NotValidPayload)):
        return InputError(f"{name}: text refused ({exc})", provider=name)
    if isinstance(exc, (dt.ApiKeyException, dt.AuthorizationException)):
        return ConfigError(f"{name}: missing or rejected API key", provider=name)
    if isinstance(exc, dt.TooManyRequests):
        return ProviderUnavailable(f"{name}: rate limited (429)", provider=name, status=429)
    if isinstance(exc, dt.ServerException):
        status = _SERVER_STATUS.get(str(exc.args[0]) if exc.args else "", 0)
        return ProviderUnavailable(f"{name}: server error {status or exc}", provider=name, status=status)
    if isinstance(exc, requests.RequestException):
        return ProviderUnavailable(f"{name}: {type(exc).__name__}", provider=name)
    # TranslationNotFound, RequestError, a JSON decode error, Papago's bare Exception: a bad answer.
    return ProviderUnavailable(f"{name}: bad answer ({type(exc).__name__})", provider=name)


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


def _libre(settings: Settings) -> Translator:
    return LibreTranslateProvider.from_settings(settings)


def _google(settings: Settings) -> Translator:
    return DeepTranslatorProvider(
        "google",
        lambda s, t: GoogleTranslator(source=s, target=t),
        settings=settings,
        url="https://translate.google.com/m",
    )


def _deepl(settings: Settings) -> Translator:
    key = _secret(settings.deepl_api_key)
    if not key:
        raise ConfigError("deepl: set SYNDICATE_DEEPL_API_KEY")
    return DeepTranslatorProvider(
        "deepl",
        lambda s, t: DeeplTranslator(source=s, target=t, api_key=key, use_free_api=settings.deepl_free),
        settings=settings,
        url="https://api-free.deepl.com/" if settings.deepl_free else "https://api.deepl.com/",
    )


def _papago(settings: Settings) -> Translator:
    secret = _secret(settings.papago_secret_key)
    if not settings.papago_client_id or not secret:
        raise ConfigError("papago: set SYNDICATE_PAPAGO_CLIENT_ID and SYNDICATE_PAPAGO_SECRET_KEY")
    client_id = settings.papago_client_id
    return DeepTranslatorProvider(
        "papago",
        lambda s, t: PapagoTranslator(client_id=client_id, secret_key=secret, source=s, target=t),
        settings=settings,
        url="https://openapi.naver.com/",
    )


def _microsoft(settings: Settings) -> Translator:
    key = _secret(settings.microsoft_api_key)
    if not key:
        raise ConfigError("microsoft: set SYNDICATE_MICROSOFT_API_KEY")
    return DeepTranslatorProvider(
        "microsoft",
        lambda s, t: MicrosoftTranslator(source=s, target=t, api_key=key, region=settings.microsoft_region),
        settings=settings,
        url="https://api.cognitive.microsofttranslator.com/",
    )


def _mymemory(settings: Settings) -> Translator:
    email = settings.mymemory_email
    return DeepTranslatorProvider(
        "mymemory",
        lambda s, t: MyMemoryTranslator(source=s, target=t, email=email),
        settings=settings,
        url="https://api.mymemory.translated.net/",
    )


def _openai(settings: Settings) -> Translator:
    from syndicate.translate.openai import OpenAIChatTranslator

    return OpenAIChatTranslator.from_settings(settings)


BUILDERS: dict[str, Callable[[Settings], Translator]] = {
    "google": _google,
    "deepl": _deepl,
    "papago": _papago,
    "microsoft": _microsoft,
    "mymemory": _mymemory,
    "libre": _libre,
    "openai": _openai,
}


def build_providers(names: list[str], settings: Settings) -> list[Translator]:
    """The providers named in SYNDICATE_TRANSLATORS, in order; ConfigError for an unknown or unset one."""
    out = []
    for name in names:
        builder = BUILDERS.get(name.strip().lower())
        if builder is None:
            raise ConfigError(f"unknown translator {name!r}; one of {', '.join(BUILDERS)}")
        out.append(builder(settings))
    if not out:
        raise ConfigError("no translator configured (SYNDICATE_TRANSLATORS)")
    return out


def chain_from_settings(settings: Settings, names: list[str] | None = None) -> TranslatorChain:
    """The fallback chain SYNDICATE_TRANSLATORS describes (or ``names``), with the configured retries."""
    return TranslatorChain(
        build_providers(names or list(settings.translators), settings),
        retry=RetryPolicy(attempts=max(1, settings.translate_attempts), backoff=settings.translate_backoff),
        concurrency=settings.translate_concurrency,
        rates=_rates(settings.translate_rates),
    )


def _rates(entries: list[str]) -> dict[str, float]:
    out = {}
    for entry in entries:
        name, _, value = entry.partition("=")
        try:
            out[name.strip().lower()] = float(value)
        except ValueError as exc:
            raise ConfigError(f"SYNDICATE_TRANSLATE_RATES: expected name=requests_per_second, got {entry!r}") from exc
        if out[name.strip().lower()] <= 0:
            raise ConfigError(f"SYNDICATE_TRANSLATE_RATES: {entry!r} must be above 0")
    return out
