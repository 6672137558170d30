"""Recording what a source gave: which releases are new, which are corrections of known ones, and which are
the same text seen somewhere else.

- Same identity (source GUID or canonical URL) and same content hash: nothing new (the place is touched).
- Same identity, changed content hash: a correction, a new version of the release with its history kept.
- New identity whose text is a near-duplicate (SimHash within NEAR_BITS) of a stored release: one more place
  of that release (the outlet's page of an agency's release), with the outlet kept as ``via``.
- Otherwise a new release, with its fingerprint and its first place.

HTML bodies are sanitized (allow-list) before anything is hashed or stored.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from syndicate.model import RawRelease, Source
from syndicate.normalize import identity as ident
from syndicate.normalize.sanitize import sanitize_html
from syndicate.store import places
from syndicate.store import releases as store
from syndicate.store.tables import ReleasePlaceRow, utcnow


def record(s: Session, source_id: str | None, raws: list[RawRelease], source: Source | None) -> list[tuple[str, int]]:
    """(release id, version) of every release version to put through the pipeline."""
    raws = [_clean(raw, source_id) for raw in raws]
    keys = [(ident.content_hash(raw), ident.identity(raw)) for raw in raws]
    seen = places.by_identity(s, [identity or f"hash:{digest}" for digest, identity in keys])
    out = []
    for raw, (digest, identity) in zip(raws, keys, strict=True):
        changed = _one(s, raw, source, digest, identity or f"hash:{digest}", seen)
        if changed is not None:
            out.append(changed)
    return out


def _clean(raw: RawRelease, source_id: str | None) -> RawRelease:
    """Nothing unsanitized is stored: the allow-list runs before the raw version is written (and before it is
    hashed, so a site rotating its tracking scripts does not make corrections out of nothing)."""
    body = sanitize_html(raw.body, raw.url) if raw.body_is_html else raw.body
    return raw.model_copy(update={"source_id": raw.source_id or source_id, "body": body})


def _one(
    s: Session, raw: RawRelease, source: Source | None, digest: str, identity: str, seen: dict[str, ReleasePlaceRow]
) -> tuple[str, int] | None:
    place = seen.get(identity)
    if place is not None:
        return _seen_again(s, place, raw, digest, identity)
    fingerprint = ident.fingerprint(ident.visible_text(raw))
    twin = _near_duplicate(s, fingerprint)
    if twin is not None:
        seen[identity] = _place(s, twin, identity, raw, digest)
        detail = {"url": raw.url, "source_id": raw.source_id, "via": raw.via}
        store.event(s, twin, store.get(s, twin).version, "seen_elsewhere", detail)
        return None
    row = store.create(
        s,
        raw=_record(raw, digest),
        identity=identity,
        agency_id=source.agency if source else None,
        language=raw.language or (source.language if source else "ko"),
        category=(source.category if source else None) or (raw.categories[0][:100] if raw.categories else None),
        source_id=raw.source_id,
        fingerprint=fingerprint,
    )
    if fingerprint:
        places.add_bands(s, row.id, ident.bands(fingerprint))
    seen[identity] = _place(s, row.id, identity, raw, digest)
    return row.id, 1


def _seen_again(
    s: Session, place: ReleasePlaceRow, raw: RawRelease, digest: str, identity: str
) -> tuple[str, int] | None:
    place.last_seen_at = utcnow()
    if place.content_hash == digest:
        return None
    place.content_hash = digest
    row = store.get(s, place.release_id, lock=True)
    if row.identity != identity or row.retracted_at is not None:
        return None  # another place's copy changed; the release follows its own source
    return row.id, store.add_version(s, row, _record(raw, digest))


def _place(s: Session, release_id: str, identity: str, raw: RawRelease, digest: str) -> ReleasePlaceRow:
    return places.add(
        s,
        release_id=release_id,
        identity=identity,
        url=raw.url,
        source_id=raw.source_id,
        via=raw.via,
        content_hash=digest,
    )


def _near_duplicate(s: Session, fingerprint: str | None) -> str | None:
    if fingerprint is None:
        return None
    for release_id, other in places.candidates(s, ident.bands(fingerprint)):
        if ident.near(fingerprint, other):
            return release_id
    return None


def _record(raw: RawRelease, digest: str) -> dict[str, Any]:
    return {"release": raw.model_dump(mode="json"), "licence": None, "hash": digest}
