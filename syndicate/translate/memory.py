"""Translation memory: a segment already translated is never sent to a provider again.

Entries are keyed by (source text, source language, target language, provider). The text is the segment as
the provider saw it (placeholders in place of terms and tags), so a glossary's target forms can change without
invalidating the memory. ``HUMAN`` is the provider name of texts approved by a person: they are looked up first
and win over any machine translation.
"""

from __future__ import annotations

import threading
from typing import Protocol

HUMAN = "human"


class TranslationMemory(Protocol):
    def get_many(self, texts: list[str], source: str, target: str, provider: str) -> dict[str, str]:
        """The known translations among ``texts`` (text → translation)."""
        ...

    def put(self, text: str, source: str, target: str, provider: str, translated: str) -> None: ...


class LocalMemory:
    """A memory in this process (the CLI, tests, the benchmark); the service uses the database one."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str, str, str], str] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get_many(self, texts: list[str], source: str, target: str, provider: str) -> dict[str, str]:
        with self._lock:
            out = {}
            for text in texts:
                hit = self._entries.get((text, source, target, provider))
                if hit is not None:
                    out[text] = hit
            return out

    def put(self, text: str, source: str, target: str, provider: str, translated: str) -> None:
        with self._lock:
            self._entries[(text, source, target, provider)] = translated
