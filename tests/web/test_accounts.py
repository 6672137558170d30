"""Accounts: argon2 hashes, sign-in with a generic error and a failure limit, the CLI, sessions and CSRF."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from syndicate.cli import app as cli
from syndicate.store.db import session
from syndicate.store.tables import UserRow
from syndicate.web.accounts import MAX_FAILURES
from tests.web.conftest import PASSWORD, csrf_of, sign_in


def test_passwords_are_stored_as_argon2_hashes(make_user: Callable[..., Any]) -> None:
    make_user("incheon", "Press@Incheon.go.kr")
    with session() as s:
        row = s.scalars(select(UserRow)).one()
    assert row.email == "press@incheon.go.kr"
    assert row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in row.password_hash


def test_cli_creates_users_who_can_sign_in(client: Any, database: str, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli, ["users", "create", "--agency", "seoul", "--email", "pr@seoul.go.kr", "--password", PASSWORD, "--admin"]
    )
    assert result.exit_code == 0, result.output
    again = runner.invoke(
        cli, ["users", "create", "--agency", "seoul", "--email", "pr@seoul.go.kr", "--password", PASSWORD]
    )
    assert again.exit_code == 1 and "exists" in again.output
    short = runner.invoke(
        cli, ["users", "create", "--agency", "seoul", "--email", "b@seoul.go.kr", "--password", "short"]
    )
    assert short.exit_code == 1 and "8 characters" in short.output
    unknown = runner.invoke(
        cli, ["users", "create", "--agency", "atlantis", "--email", "c@x.kr", "--password", PASSWORD]
    )
    assert unknown.exit_code == 1 and "unknown agency" in unknown.output

    answer = sign_in(client, "pr@seoul.go.kr")
    assert answer.status_code == 303 and answer.headers["location"] == "/my"
    assert client.get("/admin/sources").status_code == 200


def test_wrong_email_and_wrong_password_get_the_same_answer(client: Any, make_user: Callable[..., Any]) -> None:
    make_user("incheon")
    wrong_password = sign_in(client, "press@incheon.go.kr", "not the password")
    no_such_user = sign_in(client, "nobody@incheon.go.kr", "not the password")
    assert wrong_password.status_code == no_such_user.status_code == 401
    assert "이메일 또는 비밀번호가 맞지 않습니다" in wrong_password.text  # Korean by default
    assert "이메일 또는 비밀번호가 맞지 않습니다" in no_such_user.text
    assert client.get("/my", follow_redirects=False).status_code == 303  # still signed out


def test_sign_in_is_limited_per_email_and_address(client: Any, make_user: Callable[..., Any]) -> None:
    make_user("incheon")
    for _ in range(MAX_FAILURES):
        assert sign_in(client, "press@incheon.go.kr", "guess").status_code == 401
    # Now even the right password is refused for a while, with a message that says why.
    locked = sign_in(client, "press@incheon.go.kr")
    assert locked.status_code == 429
    assert "15" in locked.text
    # Another account from the same address is not affected.
    make_user("seoul")
    assert sign_in(client, "press@seoul.go.kr").status_code == 303


def test_pages_need_signing_in(client: Any, database: str) -> None:
    answer = client.get("/submit", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/submit"


def test_operators_pages_need_an_admin(client: Any, make_user: Callable[..., Any]) -> None:
    make_user("incheon")
    sign_in(client, "press@incheon.go.kr")
    assert client.get("/admin/sources").status_code == 403
    assert client.get("/admin/users").status_code == 403


def test_session_cookie_is_httponly_and_lax(client: Any, make_user: Callable[..., Any]) -> None:
    make_user("incheon")
    answer = sign_in(client, "press@incheon.go.kr")
    cookie = answer.headers["set-cookie"]
    assert "syndicate_session=" in cookie and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # the test base URL is http


def test_the_session_secret_is_generated_once_with_0600(client: Any, database: str) -> None:
    from syndicate.config import get_settings
    from syndicate.web.sessions import secret_key

    path = get_settings().data_dir / "secret_key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert secret_key() == secret_key() == path.read_text().strip()


def test_every_form_post_needs_the_csrf_token(client: Any, make_user: Callable[..., Any]) -> None:
    make_user("incheon")
    # Without a token even the sign-in form is refused.
    refused = client.post("/login", data={"email": "press@incheon.go.kr", "password": PASSWORD})
    assert refused.status_code == 403
    assert sign_in(client, "press@incheon.go.kr").status_code == 303
    form = {"title": "제목", "body": "본문."}
    assert client.post("/submit", data=form).status_code == 403
    assert client.post("/submit", data={**form, "csrf_token": "forged"}).status_code == 403
    token = csrf_of(client.get("/submit").text)
    assert client.post("/submit", data={**form, "csrf_token": token}, follow_redirects=False).status_code == 303
    assert client.post("/logout").status_code == 403


def test_cookies_are_secure_on_an_https_base_url(
    database: str, broker: str, make_user: Callable[..., Any], monkeypatch: Any
) -> None:
    from fastapi.testclient import TestClient

    from syndicate.api.app import create_app
    from syndicate.config import get_settings

    monkeypatch.setenv("SYNDICATE_BASE_URL", "https://press.example.kr")
    get_settings.cache_clear()
    make_user("incheon")
    with TestClient(create_app(), base_url="https://testserver") as client:
        cookie = sign_in(client, "press@incheon.go.kr").headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie


def test_sign_in_only_redirects_to_local_paths(client: Any, make_user: Callable[..., Any]) -> None:
    make_user("incheon")
    token = csrf_of(client.get("/login").text)
    for target, expected in (("//evil.example/x", "/my"), ("https://evil.example/", "/my"), ("/submit", "/submit")):
        client.cookies.clear()
        token = csrf_of(client.get("/login").text)
        answer = client.post(
            "/login",
            data={"email": "press@incheon.go.kr", "password": PASSWORD, "csrf_token": token, "next": target},
            follow_redirects=False,
        )
        assert answer.headers["location"] == expected, target


def test_every_word_the_templates_use_is_translated() -> None:
    import re

    from syndicate.credit.licence import ACTIONS
    from syndicate.model import ReleaseStatus
    from syndicate.web.i18n import STRINGS
    from syndicate.web.pages import WEB
    from syndicate.web.views import TIMELINE

    used = set()
    for template in (WEB / "templates").glob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([\w.]+)["']""", template.read_text()))
    assert used, "no t() calls found"
    used -= {"stage.", "action."}  # "stage." ~ status, "action." ~ gate action: all of them, checked below
    used |= {f"stage.{name}" for name in [*ReleaseStatus, *TIMELINE, "refused", "skipped", "pending"]}
    used |= {f"action.{name}" for name in ACTIONS}
    assert not used - set(STRINGS), sorted(used - set(STRINGS))
    assert all(ko and en for ko, en in STRINGS.values())


def test_signing_out_ends_copies_of_the_session(client: Any, make_user: Callable[..., Any]) -> None:
    make_user("incheon")
    sign_in(client, "press@incheon.go.kr")
    stolen = dict(client.cookies)
    token = csrf_of(client.get("/submit").text)
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    client.cookies.clear()
    client.cookies.update(stolen)  # someone replays the old cookie
    assert client.get("/my", follow_redirects=False).status_code == 303
    assert sign_in(client, "press@incheon.go.kr").status_code == 303  # a new sign-in works again
    assert client.get("/my", follow_redirects=False).status_code == 200
