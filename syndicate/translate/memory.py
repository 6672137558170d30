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

    def put_many(self, translated: dict[str, str], source: str, target: str, provider: str) -> None:
        """Remember several translations (text → translation) at once: one write, not one per segment."""
        ...


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

    def put_many(self, translated: dict[str, str], source: str, target: str, provider: str) -> None:
        with self._lock:
            for text, out in translated.items():
                self._entries[(text, source, target, provider)] = out


#: One memory entry's key: (text, source language, target language, provider).
Key = tuple[str, str, str, str]


class Prefetched:
    """A memory whose lookups were made in advance, in one query, for every language of a release, and whose
    writes are kept until ``flush``, then made in one transaction.

    A release into three languages used to ask the database twice per language (approved texts, then the
    provider's memory), each a transaction of its own, all before the first provider request went out, and
    to write once per language after: on SQLite those writes queue for the one write lock, at the end of the
    step. The answers for ``keys`` come from ``found`` (fetched a moment ago); any other lookup goes to
    ``inner``. Writes update the snapshot at once, so a later lookup in the same call sees them."""

    def __init__(self, inner: TranslationMemory, keys: list[Key], found: dict[Key, str]) -> None:
        self._inner = inner
        self._known: dict[Key, str | None] = dict.fromkeys(keys)
        self._known.update(found)
        self._pending: dict[tuple[str, str, str], dict[str, str]] = {}
        self._lock = threading.Lock()

    def get_many(self, texts: list[str], source: str, target: str, provider: str) -> dict[str, str]:
        out: dict[str, str] = {}
        rest: list[str] = []
        with self._lock:
            for text in texts:
                key = (text, source, target, provider)
                if key not in self._known:
                    rest.append(text)
                    continue
                hit = self._known[key]
                if hit is not None:
                    out[text] = hit
        if rest:
            out.update(self._inner.get_many(rest, source, target, provider))
        return out

    def put(self, text: str, source: str, target: str, provider: str, translated: str) -> None:
        self.put_many({text: translated}, source, target, provider)

    def put_many(self, translated: dict[str, str], source: str, target: str, provider: str) -> None:
        with self._lock:
            self._pending.setdefault((source, target, provider), {}).update(translated)
            for text, out in translated.items():
                self._known[(text, source, target, provider)] = out

    def take(self) -> dict[tuple[str, str, str], dict[str, str]]:
        """What was put since the last flush or take, for the caller to write ((source, target, provider) →
        (text → translation)); forgotten here."""
        with self._lock:
            pending, self._pending = self._pending, {}
        return pending

    def flush(self) -> None:
        """Write what was put since the last flush: one transaction where the memory can (``write_many``)."""
        pending = self.take()
        if not pending:
            return
        write_many = getattr(self._inner, "write_many", None)
        if write_many is not None:
            write_many(pending)
            return
        for (source, target, provider), translated in pending.items():
            self._inner.put_many(translated, source, target, provider)
