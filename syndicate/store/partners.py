"""Partners: outlets that receive signed pushes."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from syndicate.errors import NotFound
from syndicate.store.tables import PartnerRow


def create(
    s: Session,
    *,
    name: str,
    url: str,
    secret: str,
    languages: list[str] | None = None,
    agencies: list[str] | None = None,
    categories: list[str] | None = None,
    commercial: bool = False,
    ninjs_version: str = "3",
) -> PartnerRow:
    row = PartnerRow(
        id="pt_" + uuid.uuid4().hex[:24],
        name=name,
        url=url,
        secret=secret,
        languages=list(languages or []),
        agencies=list(agencies or []),
        categories=list(categories or []),
        commercial=commercial,
        ninjs_version=ninjs_version,
        active=True,
    )
    s.add(row)
    s.flush()
    return row


def get(s: Session, partner_id: str) -> PartnerRow:
    row = s.get(PartnerRow, partner_id)
    if row is None:
        raise NotFound(f"no partner {partner_id}")
    return row


def load(s: Session, partner_ids: Collection[str]) -> Sequence[PartnerRow]:
    """Several partners in one query."""
    if not partner_ids:
        return []
    return s.scalars(select(PartnerRow).where(PartnerRow.id.in_(list(partner_ids)))).all()


def disable(s: Session, partner_ids: Collection[str]) -> None:
    """Stop sending to these partners (they answered 410 Gone) until an operator's replay re-enables them."""
    if partner_ids:
        s.execute(
            update(PartnerRow)
            .where(PartnerRow.id.in_(list(partner_ids)))
            .values(active=False)
            .execution_options(synchronize_session="fetch")
        )


def find(s: Session, id_or_name: str) -> PartnerRow:
    """A partner by id, or by name when the name is unambiguous (for the CLI)."""
    row = s.get(PartnerRow, id_or_name)
    if row is not None:
        return row
    rows = s.scalars(select(PartnerRow).where(PartnerRow.name == id_or_name)).all()
    if len(rows) != 1:
        raise NotFound(f"no partner {id_or_name!r}" if not rows else f"several partners are named {id_or_name!r}")
    return rows[0]


def active(s: Session) -> Sequence[PartnerRow]:
    return s.scalars(select(PartnerRow).where(PartnerRow.active.is_(True)).order_by(PartnerRow.created_at)).all()


def all_partners(s: Session) -> Sequence[PartnerRow]:
    return s.scalars(select(PartnerRow).order_by(PartnerRow.created_at)).all()
