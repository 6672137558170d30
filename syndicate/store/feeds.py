"""Feed scopes and their rendered documents (render once per change, serve many times)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select, tuple_, update
from sqlalchemy.orm import Session

from syndicate.store.db import INSERTS, insert_for
from syndicate.store.tables import FeedDocumentRow, FeedScopeRow, utcnow

_SCOPES = cast(Table, FeedScopeRow.__table__)
_DOCUMENTS = cast(Table, FeedDocumentRow.__table__)


def _upsert(insert: Callable[[Table], Any]) -> Any:
    stmt = insert(_SCOPES)
    return stmt.on_conflict_do_update(
        index_elements=["scope"], set_={"version": _SCOPES.c.version + 1, "changed_at": stmt.excluded.changed_at}
    )


#: A scope marked changed, new or known: one statement per dialect, built once and run for every scope in one
#: executemany (publishing touches several per release; a multi-row VALUES built per call cost more to build
#: and compile than to run).
_TOUCH = {name: _upsert(insert) for name, insert in INSERTS.items()}


def touch(s: Session, scopes: Iterable[str]) -> None:
    """Mark scopes changed (in the caller's transaction, so the change and the mark commit together)."""
    keys = sorted(set(scopes))  # one order for every writer, so two transactions cannot deadlock on PostgreSQL
    if not keys:
        return
    now = utcnow()
    conn = s.connection()
    conn.execute(
        _TOUCH[conn.dialect.name],
        [{"scope": key, "version": 1, "changed_at": now, "announced_version": 0} for key in keys],
    )


def scope_version(s: Session, scope: str) -> tuple[int, datetime] | None:
    row = s.get(FeedScopeRow, scope)
    return (row.version, row.changed_at) if row else None


def all_scopes(s: Session) -> Sequence[FeedScopeRow]:
    return s.scalars(select(FeedScopeRow).order_by(FeedScopeRow.scope)).all()


def rendered_versions(s: Session) -> dict[tuple[str, str], int]:
    """(scope, format) → the version of its stored rendering, without loading the bodies."""
    rows = s.execute(select(FeedDocumentRow.scope, FeedDocumentRow.format, FeedDocumentRow.rendered_version)).all()
    return {(scope, fmt): version for scope, fmt, version in rows}


def document(s: Session, scope: str, fmt: str, *, reload: bool = False) -> FeedDocumentRow | None:
    """The stored rendering (``reload``: read again, after save_documents wrote it past the session's cache)."""
    return s.get(FeedDocumentRow, (scope, fmt), populate_existing=reload)


def save_document(s: Session, scope: str, fmt: str, version: int, body: bytes, etag: str, changed_at: datetime) -> None:
    """Store a rendering unless a newer one is already stored (see save_documents)."""
    save_documents(s, [(scope, fmt, version, body, etag, changed_at)])


def save_documents(s: Session, docs: Sequence[tuple[str, str, int, bytes, str, datetime]]) -> None:
    """Store renderings (scope, format, version, body, ETag, changed at), each unless a newer one is already stored:
    two renderers may race (the render task and a reader's request), and the newest wins.

    One INSERT … ON CONFLICT DO UPDATE … WHERE for all of them: the conflicting row is locked and replaced only
    by a newer version, atomically, and the loser of a race waits for the winner's commit instead of failing.
    (Three statements per document, insert-if-missing, lock, update, were most of a render pass's time.)
    """
    if not docs:
        return
    now = utcnow()
    values = [
        {
            "scope": scope,
            "format": fmt,
            "rendered_version": version,
            "body": body,
            "etag": etag,
            "last_modified": changed_at,
            "rendered_at": now,
        }
        for scope, fmt, version, body, etag, changed_at in docs
    ]
    stmt = insert_for(s)(_DOCUMENTS)
    s.execute(
        stmt.on_conflict_do_update(
            index_elements=["scope", "format"],
            set_={
                name: stmt.excluded[name]
                for name in ("rendered_version", "body", "etag", "last_modified", "rendered_at")
            },
            where=_DOCUMENTS.c.rendered_version < stmt.excluded.rendered_version,
        ),
        values,
    )


def unannounced(s: Session, limit: int = 200) -> list[tuple[str, int]]:
    """Scopes changed since their last WebSub ping, with the version to mark once the hub has been told."""
    rows = s.execute(
        select(FeedScopeRow.scope, FeedScopeRow.version)
        .where(FeedScopeRow.announced_version < FeedScopeRow.version)
        .order_by(FeedScopeRow.scope)
        .limit(limit)
    ).all()
    return [(scope, version) for scope, version in rows]


def mark_announced(s: Session, scope: str, version: int) -> None:
    s.execute(
        update(FeedScopeRow)
        .where(FeedScopeRow.scope == scope, FeedScopeRow.announced_version < version)
        .values(announced_version=version)
    )


def fresh_etag(s: Session, scope: str, fmt: str) -> str | None:
    """The stored document's ETag if it is current for its scope's version, else None (one small query)."""
    row = s.execute(
        select(FeedDocumentRow.etag, FeedDocumentRow.rendered_version, FeedScopeRow.version)
        .outerjoin(FeedScopeRow, FeedScopeRow.scope == FeedDocumentRow.scope)
        .where(FeedDocumentRow.scope == scope, FeedDocumentRow.format == fmt)
    ).first()
    if row is None:
        return None
    etag, rendered, version = row
    return etag if rendered >= (version or 0) else None


def current_documents(
    s: Session, known: dict[tuple[str, str], str]
) -> tuple[set[tuple[str, str]], Sequence[FeedDocumentRow]]:
    """Of these (scope, format) renderings, each with the ETag a reader holds: the ones still current with that
    ETag, and the current renderings with another ETag (bodies loaded only for those). A rendering older than
    its scope's version is in neither: its scope changed and it waits to be rendered again."""
    if not known:
        return set(), []
    scopes = sorted({scope for scope, _ in known})
    rows = s.execute(
        select(FeedDocumentRow.scope, FeedDocumentRow.format, FeedDocumentRow.etag, FeedDocumentRow.rendered_version)
        .add_columns(FeedScopeRow.version)
        .outerjoin(FeedScopeRow, FeedScopeRow.scope == FeedDocumentRow.scope)
        .where(FeedDocumentRow.scope.in_(scopes))
    ).all()
    same: set[tuple[str, str]] = set()
    changed: list[tuple[str, str]] = []
    for scope, fmt, etag, rendered, version in rows:
        key = (scope, fmt)
        if key not in known or rendered < (version or 0):
            continue
        if etag == known[key]:
            same.add(key)
        else:
            changed.append(key)
    if not changed:
        return same, []
    docs = s.scalars(
        select(FeedDocumentRow).where(tuple_(FeedDocumentRow.scope, FeedDocumentRow.format).in_(changed))
    ).all()
    return same, docs
