"""New releases from one poll, written with one INSERT per table instead of ORM objects one by one.

A feed's new items are many rows of four tables (release, version, "received" event, place); the ORM's unit
of work would spend most of a poll's time on them. Here they are gathered as plain rows
and written in table order (releases first, for the foreign keys) with one executemany each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from syndicate.model import ReleaseStatus
from syndicate.store.releases import new_id
from syndicate.store.tables import (
    ReleaseEventRow,
    ReleasePlaceRow,
    ReleaseRow,
    ReleaseVersionRow,
    utcnow,
)

_TABLES: list[tuple[str, Table]] = [
    ("releases", cast(Table, ReleaseRow.__table__)),
    ("versions", cast(Table, ReleaseVersionRow.__table__)),
    ("events", cast(Table, ReleaseEventRow.__table__)),
    ("places", cast(Table, ReleasePlaceRow.__table__)),
]


@dataclass
class NewRows:
    releases: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    places: list[dict[str, Any]] = field(default_factory=list)

    def release(
        self,
        *,
        raw: dict[str, Any],
        identity: str,
        agency_id: str | None,
        language: str,
        category: str | None,
        source_id: str | None,
        fingerprint: str | None,
        quarters: tuple[int, int, int, int] | None,
    ) -> str:
        """A new release at version 1 with its "received" event (as store.releases.create), and its fingerprint
        with the fingerprint's quarters for finding near-duplicates of it."""
        release_id = new_id()
        now = utcnow()
        self.releases.append(
            {
                "id": release_id,
                "identity": identity,
                "agency_id": agency_id,
                "source_id": source_id,
                "fingerprint": fingerprint,
                **{f"fingerprint_q{k}": quarters[k] if quarters else None for k in range(4)},
                "status": ReleaseStatus.received.value,
                "language": language,
                "category": category,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        self.versions.append({"release_id": release_id, "version": 1, "raw": raw, "created_at": now})
        self.event(release_id, 1, "received", None)
        return release_id

    def event(self, release_id: str, version: int, stage: str, detail: dict[str, Any] | None) -> None:
        self.events.append(
            {"release_id": release_id, "version": version, "stage": stage, "detail": detail, "at": utcnow()}
        )

    def place(
        self,
        *,
        release_id: str,
        identity: str,
        url: str | None,
        source_id: str | None,
        via: str | None,
        content_hash: str | None,
    ) -> None:
        now = utcnow()
        self.places.append(
            {
                "release_id": release_id,
                "identity": identity,
                "url": url,
                "source_id": source_id,
                "via": via,
                "content_hash": content_hash,
                "first_seen_at": now,
                "last_seen_at": now,
            }
        )

    def write(self, s: Session) -> None:
        """Insert everything gathered (in foreign-key order) and start empty again."""
        conn = s.connection()  # Core straight on the connection: these rows are not ORM objects
        for name, table in _TABLES:
            rows = getattr(self, name)
            if rows:
                conn.execute(insert(table), rows)
                rows.clear()
