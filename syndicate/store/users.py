"""Portal users and failed sign-ins. Passwords arrive here already hashed; this module never sees one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from syndicate.errors import Conflict, NotFound
from syndicate.store.tables import AgencyRow, LoginFailureRow, UserRow, utcnow


def normalize_email(email: str) -> str:
    return email.strip().lower()


def create(s: Session, *, agency_id: str, email: str, password_hash: str, is_admin: bool = False) -> UserRow:
    if s.get(AgencyRow, agency_id) is None:
        raise NotFound(f"unknown agency {agency_id!r}")
    email = normalize_email(email)
    if by_email(s, email) is not None:
        raise Conflict(f"a user with the email {email} exists")
    row = UserRow(agency_id=agency_id, email=email, password_hash=password_hash, is_admin=is_admin)
    s.add(row)
    try:
        s.flush()
    except IntegrityError as exc:  # a concurrent create of the same email
        raise Conflict(f"a user with the email {email} exists") from exc
    return row


def by_email(s: Session, email: str) -> UserRow | None:
    return s.scalar(select(UserRow).where(UserRow.email == normalize_email(email)))


def get(s: Session, user_id: int) -> UserRow | None:
    return s.get(UserRow, user_id)


def all_users(s: Session) -> Sequence[UserRow]:
    return s.scalars(select(UserRow).order_by(UserRow.agency_id, UserRow.email)).all()


def record_failure(s: Session, email: str, address: str, keep: timedelta = timedelta(days=1)) -> None:
    """Count one failure; failures older than ``keep`` are dropped on the way, so the table stays small."""
    now = utcnow()
    s.execute(delete(LoginFailureRow).where(LoginFailureRow.at < now - keep))
    s.add(LoginFailureRow(email=normalize_email(email), address=address[:64], at=now))


def failures_since(s: Session, email: str, address: str, since: datetime) -> int:
    stmt = select(func.count()).where(
        LoginFailureRow.email == normalize_email(email),
        LoginFailureRow.address == address[:64],
        LoginFailureRow.at >= since,
    )
    return int(s.scalar(stmt) or 0)


def clear_failures(s: Session, email: str, address: str) -> None:
    s.execute(
        delete(LoginFailureRow).where(
            LoginFailureRow.email == normalize_email(email), LoginFailureRow.address == address[:64]
        )
    )


def end_sessions(s: Session, user_id: int) -> None:
    row = s.get(UserRow, user_id)
    if row is not None:
        row.sessions_valid_after = utcnow()
