"""The FastAPI application. Errors become HTTP here, and only here."""

from __future__ import annotations

import gc
import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from syndicate import allocator, errors
from syndicate.api.feedserve import FeedFastPath
from syndicate.api.routes import (
    credit_admin,
    feeds,
    health,
    operators,
    partners,
    portal,
    public,
    releases,
    sources,
    translations,
)

log = logging.getLogger(__name__)

#: Paths answered with JSON errors; everything else is a portal page and gets an HTML error page.
MACHINE_PATHS = ("/api/", "/feeds", "/healthz", "/metrics", "/docs", "/openapi.json", "/attachments/")

#: The one map from our error tree to HTTP statuses (most specific class first).
STATUS: list[tuple[type[errors.SyndicateError], int]] = [
    (errors.AuthError, 401),
    (errors.Forbidden, 403),
    (errors.LicenceForbids, 403),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.Gone, 410),
    (errors.BlockedURL, 422),
    (errors.InputError, 422),
    (errors.RateLimited, 429),
    (errors.Retriable, 503),
    (errors.FetchError, 502),
    (errors.ConfigError, 500),
]


def status_for(exc: errors.SyndicateError) -> int:
    for cls, code in STATUS:
        if isinstance(exc, cls):
            return code
    return 500


async def _syndicate_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.SyndicateError)
    code = status_for(exc)
    headers = {"WWW-Authenticate": "Bearer"} if code == 401 else None
    if isinstance(exc, errors.Retriable) and exc.retry_after:
        headers = {"Retry-After": str(int(exc.retry_after))}
    if code >= 500:
        log.error("request failed", extra={"path": request.url.path, "error": exc.code})
    if not request.url.path.startswith(MACHINE_PATHS):
        return _portal_error(request, exc, code)
    return JSONResponse({"error": exc.code, "message": exc.message}, status_code=code, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    fields = [
        {"field": ".".join(str(p) for p in err["loc"] if p != "body"), "message": err["msg"]} for err in exc.errors()
    ]
    names = ", ".join(f["field"] for f in fields)
    if not request.url.path.startswith(MACHINE_PATHS):
        return _portal_error(request, errors.InputError(f"invalid field(s): {names}"), 422)
    return JSONResponse(
        {"error": "invalid_input", "message": f"invalid field(s): {names}", "detail": fields}, status_code=422
    )


def _portal_error(request: Request, exc: errors.SyndicateError, code: int) -> Response:
    """People get a page, not JSON; a page that needs signing in sends them to the sign-in form."""
    from urllib.parse import quote

    from syndicate.web.pages import page
    from syndicate.web.sessions import SignInRequired

    if isinstance(exc, SignInRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    return page(request, "error.html", {"code": code, "message": exc.message}, status_code=code)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (unknown path, wrong method): a page for people, FastAPI's JSON for machines."""
    assert isinstance(exc, StarletteHTTPException)
    if request.url.path.startswith(MACHINE_PATHS) or exc.status_code < 400:
        return await http_exception_handler(request, exc)
    from syndicate.web.pages import page

    return page(request, "error.html", {"code": exc.status_code, "message": str(exc.detail)}, exc.status_code)


def create_app() -> FastAPI:
    app = FastAPI(
        title="syndicate",
        summary="Press-release syndication and translation, credited and licence-aware.",
        version="0.1.0",
    )
    app.add_exception_handler(errors.SyndicateError, _syndicate_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.include_router(releases.router)
    app.include_router(translations.router)
    app.include_router(feeds.router)
    # The feeds' hot path runs before the framework's routing (see feedserve).
    app.add_middleware(FeedFastPath)
    app.include_router(health.router)
    app.include_router(sources.router)
    app.include_router(credit_admin.router)
    app.include_router(partners.router)
    _add_portal(app)
    return app


def _add_portal(app: FastAPI) -> None:
    from syndicate.web import sessions
    from syndicate.web.pages import STATIC

    sessions.install(app)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.include_router(public.router)
    app.include_router(portal.router)
    app.include_router(operators.router)


def create_asgi() -> FeedFastPath:
    """What `syndicate api` serves: the app behind the feeds' fast path, so that a feed request skips even the
    framework's outermost middleware. (create_app keeps the same path inside, for in-process clients.)"""
    app = FeedFastPath(create_app())
    # Before the server's worker threads start: a new set of them under each burst must not take new arenas
    # (allocator.py). Here, not in the CLI: every server process (uvicorn --workers) runs this factory.
    allocator.fewer_arenas()
    # The imports and the app live as long as the server: frozen, a full collection walks only what requests
    # made (a full collection over all of them took 40–70 ms at start-up, while nothing was being served).
    gc.freeze()
    return app
