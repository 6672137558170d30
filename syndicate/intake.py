"""Recording what a source gave: which releases are new, which are corrections of known ones, and which are
the same text seen somewhere else.

- Same identity (source GUID or canonical URL) and same content hash: nothing new (the place is touched).
- Same identity, changed content hash: a correction, a new version of the release with its history kept.
- New identity whose text is a near-duplicate (SimHash within NEAR_BITS) of a stored release: one more place
  of that release (the outlet's page of an agency's release), with the outlet kept as ``via``.
- Otherwise a new release, with its fingerprint and its first place.

HTML bodies are sanitized (allow-list) before anything is hashed or stored.

A poll's items are recorded together: one query for the places already known, one for the near-duplicate
candidates of all new items, and new releases written with one INSERT per table (store/bulk.py). Items are
still decided one after another in feed order, so an item can be a near-duplicate of one earlier in the same
feed, and a feed naming one identity twice gets the second as a correction of the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from syndicate.model import RawRelease, Source
from syndicate.normalize import identity as ident
from syndicate.normalize.sanitize import sanitize_html
from syndicate.store import places
from syndicate.store import releases as store
from syndicate.store.bulk import NewRows


@dataclass
class _Batch:
    """New rows not yet written, and the near-duplicate candidates: (release id, fingerprint as an integer) of
    the stored releases within NEAR_BITS of some item of the poll, then of the releases new in it."""

    candidates: list[tuple[str, int]]
    rows: NewRows = field(default_factory=NewRows)
    pending: set[str] = field(default_factory=set)  # identities of the places in ``rows``
    created: set[str] = field(default_factory=set)  # release ids created in this batch (at version 1)
    seen: list[places.Known] = field(default_factory=list)  # stored places seen again, to touch

    def write(self, s: Session) -> None:
        self.rows.write(s)
        self.pending.clear()
        places.seen_again(s, self.seen)
        self.seen.clear()


def record(s: Session, source_id: str | None, raws: list[RawRelease], source: Source | None) -> list[tuple[str, int]]:
    """(release id, version) of every release version to put through the pipeline."""
    raws = [_clean(raw, source_id) for raw in raws]
    keys = [(ident.content_hash(raw), ident.identity(raw)) for raw in raws]
    identities = [identity or f"hash:{digest}" for digest, identity in keys]
    seen = places.by_identity(s, identities)
    unseen = [i for i, identity in enumerate(identities) if identity not in seen]
    fingerprints: list[str | None] = [None] * len(raws)
    for i, fp in zip(unseen, ident.fingerprints([ident.visible_text(raws[i]) for i in unseen]), strict=True):
        fingerprints[i] = fp
    near = places.near_duplicates(s, [int(fp, 16) for fp in fingerprints if fp])
    batch = _Batch(near)
    out = []
    for raw, (digest, _), identity, fingerprint in zip(raws, keys, identities, fingerprints, strict=True):
        if identity in batch.pending:
            # The feed names this identity twice: write what is pending so the second is seen as the first.
            batch.write(s)
            seen[identity] = places.by_identity(s, [identity])[identity]
        place = seen.get(identity)
        if place is not None:
            changed = _seen_again(s, batch, place, raw, digest, identity)
        else:
            changed = _new(s, batch, raw, source, digest, identity, fingerprint)
        if changed is not None:
            out.append(changed)
    batch.write(s)
    return out


def _clean(raw: RawRelease, source_id: str | None) -> RawRelease:
    """Nothing unsanitized is stored: the allow-list runs before the raw version is written (and before it is
    hashed, so a site rotating its tracking scripts does not make corrections out of nothing)."""
    body = sanitize_html(raw.body, raw.url) if raw.body_is_html else raw.body
    return raw.model_copy(update={"source_id": raw.source_id or source_id, "body": body})


def _new(
    s: Session,
    batch: _Batch,
    raw: RawRelease,
    source: Source | None,
    digest: str,
    identity: str,
    fingerprint: str | None,
) -> tuple[str, int] | None:
    twin = _near_duplicate(batch.candidates, fingerprint)
    if twin is not None:
        _place(batch, twin, identity, raw, digest)
        detail = {"url": raw.url, "source_id": raw.source_id, "via": raw.via}
        version = 1 if twin in batch.created else store.get(s, twin).version
        batch.rows.event(twin, version, "seen_elsewhere", detail)
        return None
    release_id = batch.rows.release(
        raw=_record(raw, digest),
        identity=identity,
        agency_id=source.agency if source else None,
        language=raw.language or (source.language if source else "ko"),
        category=(source.category if source else None) or (raw.categories[0][:100] if raw.categories else None),
        source_id=raw.source_id,
        fingerprint=fingerprint,
    )
    batch.created.add(release_id)
    if fingerprint:
        batch.candidates.append((release_id, int(fingerprint, 16)))
    _place(batch, release_id, identity, raw, digest)
    return release_id, 1


def _seen_again(
    s: Session, batch: _Batch, place: places.Known, raw: RawRelease, digest: str, identity: str
) -> tuple[str, int] | None:
    if place not in batch.seen:
        batch.seen.append(place)  # its last-seen time, and its hash as it is after this item, at batch.write
    if place.content_hash == digest:
        return None
    place.content_hash = digest
    row = store.get(s, place.release_id, lock=True)
    if row.identity != identity or row.retracted_at is not None:
        return None  # another place's copy changed; the release follows its own source
    return row.id, store.add_version(s, row, _record(raw, digest))


def _place(batch: _Batch, release_id: str, identity: str, raw: RawRelease, digest: str) -> None:
    batch.rows.place(
        release_id=release_id,
        identity=identity,
        url=raw.url,
        source_id=raw.source_id,
        via=raw.via,
        content_hash=digest,
    )
    batch.pending.add(identity)


def _near_duplicate(candidates: list[tuple[str, int]], fingerprint: str | None) -> str | None:
    """The nearest candidate within NEAR_BITS of ``fingerprint`` (of equals, the smallest id: the candidates come
    in no particular order). Every release that near is among the candidates (the stored ones within NEAR_BITS
    of some item of the poll, and the poll's own new releases); they are few, so each is simply measured."""
    if fingerprint is None:
        return None
    value = int(fingerprint, 16)
    best: tuple[int, str] | None = None
    for release_id, other in candidates:
        bits = (value ^ other).bit_count()
        if bits <= ident.NEAR_BITS and (best is None or (bits, release_id) < best):
            best = (bits, release_id)
    return best[1] if best else None


def _record(raw: RawRelease, digest: str) -> dict[str, Any]:
    return {"release": raw.model_dump(mode="json"), "licence": None, "hash": digest}
