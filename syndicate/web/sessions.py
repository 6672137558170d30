"""Signed-cookie sessions, the signed-in user, and CSRF tokens.

The cookie is signed (itsdangerous, through Starlette's SessionMiddleware) with ``settings.secret_key`` or, when
that is unset, a random key generated once and kept in the data folder with 0600 permissions, so sessions
survive restarts and every process of one installation agrees. Cookies are HttpOnly and SameSite=Lax, and
Secure when the public base URL is https.
"""

from __future__ import annotations

import hmac
import os
import secrets
import time
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from starlette.middleware.sessions import SessionMiddleware

from syndicate.config import get_settings
from syndicate.errors import AuthError, Forbidden
from syndicate.web import accounts
from syndicate.web.accounts import User

COOKIE = "syndicate_session"
MAX_AGE = 12 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class SignInRequired(AuthError):
    """This page needs a signed-in user."""

    code = "sign_in_required"


def secret_key() -> str:
    settings = get_settings()
    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        return settings.secret_key.get_secret_value()
    return _stored_secret(settings.data_dir / "secret_key")


def _stored_secret(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: of several processes starting at once, exactly one writes the key; the others read it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            key = path.read_text().strip()
            if key:
                return key
            os.sched_yield()
        raise
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def install(app: FastAPI) -> None:
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(),
        session_cookie=COOKIE,
        max_age=MAX_AGE,
        same_site="lax",
        https_only=get_settings().base_url.startswith("https://"),
    )


# --- who is signed in ----------------------------------------------------------------------------------------


def start(request: Request, user: User) -> None:
    """A fresh session for a user who just signed in (the old contents, CSRF token included, are dropped)."""
    request.session.clear()
    request.session["user_id"] = user.id
    request.session["issued_at"] = time.time()
    request.session[CSRF_FIELD] = secrets.token_urlsafe(32)


def end(request: Request) -> None:
    """Sign out: this cookie is emptied, and copies of it (and the user's other sessions) stop working."""
    user_id = request.session.get("user_id")
    if isinstance(user_id, int):
        accounts.sign_out_everywhere(user_id)
    request.session.clear()


def optional_user(request: Request) -> User | None:
    user_id = request.session.get("user_id")
    if not isinstance(user_id, int):
        return None
    user = accounts.load(user_id)
    if user is None or not _still_valid(user, request.session.get("issued_at")):
        # the account was removed, or the user signed out since this session began
        request.session.clear()
        return None
    return user


def _still_valid(user: User, issued_at: object) -> bool:
    if user.sessions_valid_after is None:
        return True
    return isinstance(issued_at, float) and issued_at > user.sessions_valid_after.timestamp()


def signed_in(request: Request) -> User:
    user = optional_user(request)
    if user is None:
        raise SignInRequired("sign in to see this page")
    return user


def admin_user(request: Request) -> User:
    user = signed_in(request)
    if not user.is_admin:
        raise Forbidden("this page is for operators")
    return user


# --- CSRF ------------------------------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = request.session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return token


async def check_csrf(request: Request) -> None:
    """Every form POST carries the session's token (a form field, or a header for htmx requests)."""
    expected = request.session.get(CSRF_FIELD)
    submitted = request.headers.get(CSRF_HEADER)
    if submitted is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        submitted = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not submitted or not hmac.compare_digest(expected, submitted):
        raise Forbidden("the form's security token is missing or out of date; reload the page and try again")


MaybeUser = Annotated[User | None, Depends(optional_user)]
SignedIn = Annotated[User, Depends(signed_in)]
AdminUser = Annotated[User, Depends(admin_user)]
Csrf = Depends(check_csrf)
