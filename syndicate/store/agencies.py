"""Keeps the agencies table in step with feeds/agencies.toml."""

from __future__ import annotations

from sqlalchemy.orm import Session

from syndicate.model import Agency
from syndicate.store.tables import AgencyRow, utcnow


def sync_agencies(s: Session, agencies: list[Agency]) -> int:
    """Insert or update every registry agency; returns how many rows changed. Rows are never deleted, since
    releases refer to them."""
    changed = 0
    existing = {row.id: row for row in s.query(AgencyRow).all()}
    for agency in agencies:
        row = existing.get(agency.id)
        if row is None:
            s.add(AgencyRow(id=agency.id, name_ko=agency.name.ko, name_en=agency.name.en))
            changed += 1
        elif (row.name_ko, row.name_en) != (agency.name.ko, agency.name.en):
            row.name_ko, row.name_en, row.updated_at = agency.name.ko, agency.name.en, utcnow()
            changed += 1
    return changed
