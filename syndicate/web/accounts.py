"""People's accounts: argon2 password hashes, sign-in with a per-email-and-address failure limit.

API keys are for machines; people sign in with an email and a password and act for their agency.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from syndicate.errors import AuthError, InputError, RateLimited
from syndicate.store import users as store
from syndicate.store.db import session
from syndicate.store.tables import UserRow, utcnow

log = logging.getLogger(__name__)

#: Failed sign-ins allowed per email and client address within WINDOW.
MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
MIN_PASSWORD = 8
#: One message for a wrong email and a wrong password alike, so the form does not reveal who has an account.
WRONG = "the email or password is not right"

_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verifying against this when the email is unknown makes both failures take the same time. Made on first
    use, not at import: an argon2 hash costs every API start about 0.4 s otherwise."""
    return _hasher.hash("not a real password, only for timing")


@dataclass(frozen=True)
class User:
    id: int
    agency_id: str
    email: str
    is_admin: bool
    sessions_valid_after: datetime | None = None


def _user(row: UserRow) -> User:
    return User(row.id, row.agency_id, row.email, row.is_admin, row.sessions_valid_after)


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"the password needs at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def create_user(*, agency_id: str, email: str, password: str, is_admin: bool = False) -> User:
    if "@" not in email.strip()[1:-1]:
        raise InputError(f"not an email address: {email!r}")
    password_hash = hash_password(password)
    with session() as s:
        return _user(store.create(s, agency_id=agency_id, email=email, password_hash=password_hash, is_admin=is_admin))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def sign_in(email: str, password: str, address: str) -> User:
    """The user with this email and password, or AuthError (RateLimited after too many failures)."""
    with session() as s:
        if store.failures_since(s, email, address, utcnow() - WINDOW) >= MAX_FAILURES:
            raise RateLimited("too many failed sign-ins; try again in 15 minutes", retry_after=WINDOW.seconds)
        row = store.by_email(s, email)
        ok = _verify(row.password_hash if row else _dummy_hash(), password)
        if row is None or not ok:
            store.record_failure(s, email, address)
            log.info("sign-in failed", extra={"address": address})
            failed = True
        else:
            failed = False
            if _hasher.check_needs_rehash(row.password_hash):
                row.password_hash = _hasher.hash(password)
            row.last_login_at = utcnow()
            store.clear_failures(s, email, address)
            user = _user(row)
    if failed:  # raised after the commit, so the failure is counted
        raise AuthError(WRONG)
    return user


def load(user_id: int) -> User | None:
    with session() as s:
        row = store.get(s, user_id)
        return _user(row) if row else None


def sign_out_everywhere(user_id: int) -> None:
    """Sessions are signed cookies the server does not keep; signing out makes every earlier one invalid."""
    with session() as s:
        store.end_sessions(s, user_id)


def all_users() -> list[User]:
    with session() as s:
        return [_user(row) for row in store.all_users(s)]
