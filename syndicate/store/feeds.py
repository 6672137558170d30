"""Feed scopes and their rendered documents (render once per change, serve many times)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select, update
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


def document(s: Session, scope: str, fmt: str) -> FeedDocumentRow | None:
    return s.get(FeedDocumentRow, (scope, fmt))


def save_document(s: Session, scope: str, fmt: str, version: int, body: bytes, changed_at: datetime) -> None:
    """Store a rendering unless a newer one is already stored (two renderers may race; the newest wins)."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    row = s.get(FeedDocumentRow, (scope, fmt), with_for_update=True)
    if row is None:
        s.add(
            FeedDocumentRow(
                scope=scope,
                format=fmt,
                rendered_version=version,
                body=body,
                etag=etag,
                last_modified=changed_at,
                rendered_at=utcnow(),
            )
        )
    elif row.rendered_version < version:
        row.rendered_version, row.body, row.etag = version, body, etag
        row.last_modified, row.rendered_at = changed_at, utcnow()
    s.flush()


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
