"""Portal helpers: accounts, and signing a TestClient in through the real form (with its CSRF token)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from syndicate.web.accounts import User, create_user

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def make_user(database: str) -> Callable[..., User]:
    def make(agency: str = "incheon", email: str | None = None, admin: bool = False) -> User:
        return create_user(agency_id=agency, email=email or f"press@{agency}.go.kr", password=PASSWORD, is_admin=admin)

    return make


def sign_in(client: Any, email: str, password: str = PASSWORD) -> Any:
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}, follow_redirects=False
    )
