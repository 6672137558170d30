"""Rendering a portal page: the template, the interface language, the signed-in user and the CSRF token."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from syndicate.config import get_settings
from syndicate.credit.licence import KNOWN
from syndicate.web import i18n, sessions

WEB = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=str(WEB / "templates"))
STATIC = WEB / "static"
KST = ZoneInfo("Asia/Seoul")


def _when(value: datetime | None) -> str:
    """Times are shown in Korean time, the agencies' and most readers' clock."""
    if value is None:
        return "—"
    return value.astimezone(KST).strftime("%Y-%m-%d %H:%M KST")


def _web_url(value: str | None) -> str:
    """Only http(s) links reach an href: a feed could carry a javascript: URL, and autoescaping does not stop it."""
    if value and value.lower().startswith(("http://", "https://")):
        return value
    return "#"


TEMPLATES.env.filters["when"] = _when
TEMPLATES.env.filters["web_url"] = _web_url
TEMPLATES.env.globals["licences"] = sorted(KNOWN)


#: Pages load only our own script and style, cannot be framed (clickjacking) and post only to us.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _with_lang(request: Request, code: str) -> str:
    return f"{request.url.path}?{urlencode({**request.query_params, 'lang': code})}"


def page(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    lang = i18n.pick(request)
    user = context.get("user") if context and "user" in context else sessions.optional_user(request)
    ctx = {
        "lang": lang,
        "t": i18n.translator(lang),
        "user": user,
        "csrf": sessions.csrf_token(request),
        "max_mb": get_settings().attachment_max_bytes // (1024 * 1024),
        "switch": {code: _with_lang(request, code) for code in i18n.LANGUAGES},
        **(context or {}),
    }
    response = TEMPLATES.TemplateResponse(request, name, ctx, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response
