"""The Translator protocol every provider implements, language names, and a script-based language detector.

A provider translates a list of plain-text segments from one language into another and either returns one
translation per segment or raises ``ProviderUnavailable`` (rate limit, 5xx, timeout, garbage: another try or
another provider may succeed) or ``InputError`` (this provider cannot do it, e.g. an unsupported language:
retrying the same provider is pointless, the next one may). Providers never see glossary terms or HTML tags:
those are replaced by placeholders (``glossary.PLACEHOLDER``) before the text leaves us.
"""

from __future__ import annotations

import unicodedata
from typing import Protocol, runtime_checkable

from syndicate.errors import InputError, UnknownLanguage


@runtime_checkable
class Translator(Protocol):
    #: short stable name (``libre``, ``google``, ``openai``, ...), recorded on each translation and memory entry
    name: str
    #: the model behind it where that is known (``gpt-4o-mini``); None for the classic MT services
    model: str | None
    #: the longest segment, in characters, one request may carry
    max_chars: int

    def translate_batch(self, segments: list[str], source: str, target: str) -> list[str]: ...


def batch_size(provider: Translator) -> int:
    """How many segments ``provider`` takes in one request (its optional ``batch_size``; 1 when it has none).

    A provider with a real batch API says so with ``batch_size`` > 1; its ``max_chars`` then bounds the
    characters of a whole request, not only of one segment (LibreTranslate's --char-limit counts them so)."""
    return max(1, int(getattr(provider, "batch_size", 1) or 1))


class BatchTooLarge(InputError):
    """The server refused a batch as too large (too many texts or characters in one request). ``texts`` and
    ``chars`` are the limits it named, where it named one; the chain splits the batch and sends it again."""

    code = "batch_too_large"

    def __init__(self, message: str, *, texts: int | None = None, chars: int | None = None, **context: object):
        super().__init__(message, **context)
        self.texts = texts
        self.chars = chars


LANGUAGE_NAMES: dict[str, str] = {
    "ko": "Korean",
    "en": "English",
    "ja": "Japanese",
    "zh": "Chinese",
    "zh-CN": "Chinese (Simplified)",
    "zh-TW": "Chinese (Traditional)",
    "vi": "Vietnamese",
    "th": "Thai",
    "id": "Indonesian",
    "ru": "Russian",
    "mn": "Mongolian",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "ar": "Arabic",
}


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def check_language(code: str) -> str:
    """A target or source language code as configured (``en``, ``zh-CN``); UnknownLanguage if malformed."""
    base, _, region = code.partition("-")
    if not (2 <= len(base) <= 3 and base.isalpha() and base.islower()) or (region and not region.isalnum()):
        raise UnknownLanguage(f"not a language code: {code!r} (expected e.g. en, ja, zh-CN)")
    return code


def detect_language(text: str) -> str:
    """The language of ``text`` by its script: Hangul → ko, kana → ja, Han only → zh-CN, Latin → en.

    Deliberately small: releases come from Korean agencies (Hangul) or in English; a statistical detector
    would add a dependency for cases we do not meet. Raises UnknownLanguage when no letters are found.
    """
    counts = {"hangul": 0, "kana": 0, "han": 0, "latin": 0, "other": 0}
    for ch in text:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        if name.startswith("HANGUL"):
            counts["hangul"] += 1
        elif name.startswith(("HIRAGANA", "KATAKANA")):
            counts["kana"] += 1
        elif name.startswith("CJK"):
            counts["han"] += 1
        elif name.startswith("LATIN"):
            counts["latin"] += 1
        else:
            counts["other"] += 1
    total = sum(counts.values())
    # Korean text quotes English names and Han characters; a fifth of the letters in Hangul is Korean.
    if total and counts["hangul"] >= 0.2 * total:
        return "ko"
    if total and counts["kana"] >= 0.1 * total:
        return "ja"
    if total and counts["han"] >= 0.5 * total:
        return "zh-CN"
    if total and counts["latin"] >= 0.5 * total:
        return "en"
    raise UnknownLanguage("cannot tell the language of the text; give it explicitly")
