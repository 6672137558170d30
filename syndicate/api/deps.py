"""Request dependencies: who is calling."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header

from syndicate.config import get_settings
from syndicate.errors import AuthError
from syndicate.store import keys
from syndicate.store.db import session


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise AuthError("missing Authorization: Bearer <key>")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("expected Authorization: Bearer <key>")
    return token.strip()


def agency_key(authorization: Annotated[str | None, Header()] = None) -> str:
    """The agency whose API key made the request."""
    token = _bearer(authorization)
    with session() as s:
        return keys.agency_for_key(s, token)


def optional_agency(authorization: Annotated[str | None, Header()] = None) -> str | None:
    if not authorization:
        return None
    return agency_key(authorization)


def admin(authorization: Annotated[str | None, Header()] = None) -> None:
    token = _bearer(authorization)
    expected = get_settings().admin_token
    if expected is None or not expected.get_secret_value():
        raise AuthError("the admin API is disabled (set SYNDICATE_ADMIN_TOKEN)")
    if not hmac.compare_digest(token.encode(), expected.get_secret_value().encode()):
        raise AuthError("invalid admin token")


AgencyId = Annotated[str, Depends(agency_key)]
MaybeAgency = Annotated[str | None, Depends(optional_agency)]
Admin = Annotated[None, Depends(admin)]
