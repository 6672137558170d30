"""API keys: created once (the caller sees the key a single time), stored as SHA-256, scoped to one agency."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from syndicate.errors import AuthError, NotFound
from syndicate.store.tables import AgencyRow, ApiKeyRow, utcnow

KEY_PREFIX = "syn_"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(s: Session, agency_id: str, label: str | None = None) -> str:
    if s.get(AgencyRow, agency_id) is None:
        raise NotFound(f"unknown agency {agency_id!r}")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    s.add(ApiKeyRow(agency_id=agency_id, prefix=key[:10], key_hash=_hash(key), label=label))
    s.flush()
    return key


#: "Last used" is kept to the minute. Written on every request, it made every authenticated call a write
#: transaction of its own (an UPDATE and its commit before the handler began).
LAST_USED_PRECISION = timedelta(minutes=1)


def agency_for_key(s: Session, key: str) -> str:
    """The agency a key belongs to, or AuthError. Lookup is by hash, so timing reveals nothing of the key."""
    if not key.startswith(KEY_PREFIX):
        raise AuthError("invalid API key")
    digest = _hash(key)
    row = s.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == digest, ApiKeyRow.revoked_at.is_(None)))
    if row is None or not hmac.compare_digest(row.key_hash, digest):
        raise AuthError("invalid API key")
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION:
        row.last_used_at = now
    return row.agency_id


def revoke_key(s: Session, prefix: str) -> int:
    rows = s.scalars(select(ApiKeyRow).where(ApiKeyRow.prefix == prefix, ApiKeyRow.revoked_at.is_(None))).all()
    for row in rows:
        row.revoked_at = utcnow()
    return len(rows)
