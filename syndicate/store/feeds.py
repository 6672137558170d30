"""Feed scopes and their rendered documents (render once per change, serve many times)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from syndicate.store.tables import FeedDocumentRow, FeedScopeRow, utcnow


def touch(s: Session, scopes: Iterable[str]) -> None:
    """Mark scopes changed (in the caller's transaction, so the change and the mark commit together)."""
    now = utcnow()
    for scope in sorted(set(scopes)):
        row = s.get(FeedScopeRow, scope)
        if row is None:
            s.add(FeedScopeRow(scope=scope, version=1, changed_at=now))
        else:
            s.execute(
                update(FeedScopeRow)
                .where(FeedScopeRow.scope == scope)
                .values(version=FeedScopeRow.version + 1, changed_at=now)
            )
    s.flush()


def scope_version(s: Session, scope: str) -> tuple[int, datetime] | None:
    row = s.get(FeedScopeRow, scope)
    return (row.version, row.changed_at) if row else None


def all_scopes(s: Session) -> Sequence[FeedScopeRow]:
    return s.scalars(select(FeedScopeRow).order_by(FeedScopeRow.scope)).all()


def rendered_versions(s: Session) -> dict[tuple[str, str], int]:
    """(scope, format) → the version of its stored rendering, without loading the bodies."""
    rows = s.execute(select(FeedDocumentRow.scope, FeedDocumentRow.format, FeedDocumentRow.rendered_version)).all()
    return {(scope, fmt): version for scope, fmt, version in rows}


def document(s: Session, scope: str, fmt: str) -> FeedDocumentRow | None:
    return s.get(FeedDocumentRow, (scope, fmt))


def save_document(s: Session, scope: str, fmt: str, version: int, body: bytes, changed_at: datetime) -> None:
    """Store a rendering unless a newer one is already stored (two renderers may race; the newest wins).

    The render task and a reader's request can render the same new document at once: the row is created with
    INSERT … ON CONFLICT DO NOTHING (the loser waits for the winner's commit instead of failing), then locked
    and replaced only by a newer version.
    """
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    now = utcnow()
    values = {
        "scope": scope,
        "format": fmt,
        "rendered_version": version,
        "body": body,
        "etag": etag,
        "last_modified": changed_at,
        "rendered_at": now,
    }
    insert = postgresql_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    s.execute(insert(FeedDocumentRow).values(**values).on_conflict_do_nothing(index_elements=["scope", "format"]))
    row = s.get(FeedDocumentRow, (scope, fmt), with_for_update=True, populate_existing=True)
    assert row is not None
    if row.rendered_version < version:
        row.rendered_version, row.body, row.etag = version, body, etag
        row.last_modified, row.rendered_at = changed_at, now
    s.flush()


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
