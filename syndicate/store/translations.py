"""Translations of releases (one row per release and language) and the translation memory."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, Text, bindparam, delete, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from syndicate.model import ReviewState, Translation
from syndicate.store.db import insert_for, session
from syndicate.store.tables import TranslationMemoryRow, TranslationRow, utcnow

_MEMORY = cast(Table, TranslationMemoryRow.__table__)


def get(s: Session, release_id: str, language: str) -> TranslationRow | None:
    return s.scalar(
        select(TranslationRow).where(TranslationRow.release_id == release_id, TranslationRow.language == language)
    )


def for_release(s: Session, release_id: str) -> Sequence[TranslationRow]:
    return s.scalars(
        select(TranslationRow).where(TranslationRow.release_id == release_id).order_by(TranslationRow.language)
    ).all()


#: Built once with a bound parameter: every publication asks, and building the expression cost more than running
#: it. Still run through the session, whose autoflush shows a translation saved earlier in the same transaction.
_SHOWN_LANGUAGES = (
    select(TranslationRow.language)
    .where(
        TranslationRow.release_id == bindparam("release_id"),
        TranslationRow.pending.is_(False),
        TranslationRow.content.is_not(None),
    )
    .order_by(TranslationRow.language)
)


def shown_languages(s: Session, release_id: str) -> list[str]:
    """Languages with a translation feeds may show (done, not pending)."""
    return list(s.scalars(_SHOWN_LANGUAGES, {"release_id": release_id}).all())


def shown_many(s: Session, release_ids: Sequence[str]) -> list[tuple[str, str, str]]:
    """(release id, language, stored content as JSON text) of every shown translation (done, not pending) of
    these releases, one query; unparsed, for a caller that keeps parsed ones (itemcache.TRANSLATIONS)."""
    if not release_ids:
        return []
    rows = s.execute(
        select(TranslationRow.release_id, TranslationRow.language, sql_cast(TranslationRow.content, Text)).where(
            TranslationRow.release_id.in_(list(release_ids)),
            TranslationRow.pending.is_(False),
            TranslationRow.content.is_not(None),
        )
    ).all()
    return [(release_id, language, content) for release_id, language, content in rows]


def content(s: Session, release_id: str, language: str) -> Translation | None:
    row = get(s, release_id, language)
    if row is None or row.pending or row.content is None:
        return None
    return Translation.model_validate(row.content)


def _row(s: Session, release_id: str, language: str) -> TranslationRow:
    row = get(s, release_id, language)
    if row is None:
        row = TranslationRow(release_id=release_id, language=language, version=0, attempts=0, pending=False)
        s.add(row)
    return row


def save(s: Session, release_id: str, version: int, translation: Translation) -> None:
    _fill(_row(s, release_id, translation.language), version, translation)
    s.flush()


def save_many(s: Session, release_id: str, version: int, translations: Sequence[Translation]) -> None:
    """Several languages of one release with one query and one flush (the translate step records them all)."""
    if not translations:
        return
    rows = {row.language: row for row in for_release(s, release_id)}
    for translation in translations:
        row = rows.get(translation.language)
        if row is None:
            row = rows[translation.language] = TranslationRow(
                release_id=release_id, language=translation.language, version=0, attempts=0, pending=False
            )
            s.add(row)
        _fill(row, version, translation)
    s.flush()


def _fill(row: TranslationRow, version: int, translation: Translation) -> None:
    row.version = version
    row.content = translation.model_dump(mode="json")
    row.provider, row.model, row.review = translation.provider, translation.model, translation.review.value
    row.pending, row.attempts, row.next_attempt_at, row.error = False, 0, None, None
    row.updated_at = utcnow()


def mark_pending(
    s: Session, release_id: str, version: int, language: str, error: str, next_attempt_at: datetime
) -> int:
    """Every provider failed: feeds leave this language out until a retry succeeds. Returns the attempts."""
    row = _row(s, release_id, language)
    row.version = version
    row.pending = True
    row.attempts = (row.attempts or 0) + 1
    row.next_attempt_at = next_attempt_at
    row.error = error[:2000]
    row.updated_at = utcnow()
    s.flush()
    return row.attempts


def due(s: Session, now: datetime, limit: int = 50) -> Sequence[TranslationRow]:
    return s.scalars(
        select(TranslationRow)
        .where(TranslationRow.pending.is_(True), TranslationRow.next_attempt_at <= now)
        .order_by(TranslationRow.next_attempt_at)
        .limit(limit)
    ).all()


def remove(s: Session, release_id: str) -> int:
    """Drop every translation of a release (its licence no longer allows derivatives)."""
    result: Any = s.execute(delete(TranslationRow).where(TranslationRow.release_id == release_id))
    return int(result.rowcount or 0)


def is_approved(row: TranslationRow | None) -> bool:
    return row is not None and row.review == ReviewState.approved.value


# --- translation memory -------------------------------------------------------------------------------------


def memory_key(text: str, source: str, target: str, provider: str) -> str:
    return hashlib.sha256("\0".join((provider, source, target, text)).encode()).hexdigest()


#: New memory entries: (source, target, provider) → (text → translation).
MemoryWrites = dict[tuple[str, str, str], dict[str, str]]


def remember_new(s: Session, entries: MemoryWrites) -> None:
    """Add provider translations to the memory in the caller's transaction, one statement. They were missing a
    moment ago, so no lookup first; one another worker added meanwhile is left as it is (both are the
    provider's answers). Sorted by key: two transactions adding overlapping entries on PostgreSQL then take
    their row locks in the same order, and the second waits instead of deadlocking."""
    now = utcnow()
    keyed = sorted(
        (memory_key(text, source, target, provider), source, target, provider, text, out)
        for (source, target, provider), translated in entries.items()
        for text, out in translated.items()
    )
    values = [
        {
            "key": key,
            "source_lang": source,
            "target_lang": target,
            "provider": provider,
            "source_text": text,
            "target_text": out,
            "created_at": now,
        }
        for key, source, target, provider, text, out in keyed
    ]
    if values:
        # The rows as parameters of one cached statement (a multi-row VALUES clause would be compiled anew).
        s.execute(insert_for(s)(_MEMORY).on_conflict_do_nothing(index_elements=["key"]), values)


def remember(s: Session, text: str, source: str, target: str, provider: str, translated: str) -> None:
    """Add or replace one memory entry in the caller's transaction (a reviewer's text replaces the old)."""
    key = memory_key(text, source, target, provider)
    row = s.get(TranslationMemoryRow, key)
    if row is None:
        s.add(
            TranslationMemoryRow(
                key=key,
                source_lang=source,
                target_lang=target,
                provider=provider,
                source_text=text,
                target_text=translated,
                created_at=utcnow(),
            )
        )
    else:
        row.target_text = translated
    s.flush()


class StoredMemory:
    """The translation memory in the database. Each call is its own short transaction: translations run in
    threads, outside the pipeline step's transaction, and a remembered segment must survive a failed step."""

    def get_many(self, texts: list[str], source: str, target: str, provider: str) -> dict[str, str]:
        if not texts:
            return {}
        keys = {memory_key(t, source, target, provider): t for t in texts}
        with session() as s:
            rows = s.scalars(select(TranslationMemoryRow).where(TranslationMemoryRow.key.in_(list(keys)))).all()
            return {keys[r.key]: r.target_text for r in rows}

    def lookup(self, keys: list[tuple[str, str, str, str]]) -> dict[tuple[str, str, str, str], str]:
        """The known translations among ``keys`` ((text, source, target, provider) → translation), whatever
        their languages and providers, in one query: a release's lookups for every language at once."""
        if not keys:
            return {}
        hashed = {
            memory_key(text, source, target, provider): (text, source, target, provider)
            for text, source, target, provider in keys
        }
        with session() as s:
            rows = s.execute(
                select(TranslationMemoryRow.key, TranslationMemoryRow.target_text).where(
                    TranslationMemoryRow.key.in_(list(hashed))
                )
            ).all()
            return {hashed[key]: text for key, text in rows}

    def put(self, text: str, source: str, target: str, provider: str, translated: str) -> None:
        try:
            with session() as s:
                remember(s, text, source, target, provider, translated)
        except IntegrityError:
            pass  # another worker remembered the same segment first; both answers are the provider's

    def put_many(self, translated: dict[str, str], source: str, target: str, provider: str) -> None:
        """One transaction for all the segments a call translated."""
        self.write_many({(source, target, provider): translated})

    def write_many(self, entries: MemoryWrites) -> None:
        """One transaction (one statement, ``remember_new``) for translations of several languages and providers."""
        if any(entries.values()):
            with session() as s:
                remember_new(s, entries)


def remove_language(s: Session, release_id: str, language: str) -> None:
    s.execute(
        delete(TranslationRow).where(TranslationRow.release_id == release_id, TranslationRow.language == language)
    )
