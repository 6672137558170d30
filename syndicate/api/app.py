"""The FastAPI application. Errors become HTTP here, and only here."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates

from syndicate import errors
from syndicate.api.feedserve import FeedFastPath
from syndicate.api.routes import credit_admin, feeds, health, partners, releases, sources, translations

log = logging.getLogger(__name__)

WEB = Path(__file__).resolve().parent.parent / "web"

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
    return JSONResponse({"error": exc.code, "message": exc.message}, status_code=code, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    fields = [
        {"field": ".".join(str(p) for p in err["loc"] if p != "body"), "message": err["msg"]} for err in exc.errors()
    ]
    names = ", ".join(f["field"] for f in fields)
    return JSONResponse(
        {"error": "invalid_input", "message": f"invalid field(s): {names}", "detail": fields}, status_code=422
    )


def create_app() -> FastAPI:
    app = FastAPI(
        title="syndicate",
        summary="Press-release syndication and translation, credited and licence-aware.",
        version="0.1.0",
    )
    app.add_exception_handler(errors.SyndicateError, _syndicate_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.include_router(releases.router)
    app.include_router(translations.router)
    app.include_router(feeds.router)
    # The feeds' hot path runs before the framework's routing (see feedserve).
    app.add_middleware(FeedFastPath)
    app.include_router(health.router)
    app.include_router(sources.router)
    app.include_router(credit_admin.router)
    app.include_router(partners.router)
    templates = Jinja2Templates(directory=str(WEB / "templates"))

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> Response:
        from syndicate import syndication

        return templates.TemplateResponse(request, "home.html", {"feeds": syndication.all_feed_urls()[:40]})

    return app


def create_asgi() -> FeedFastPath:
    """What `syndicate api` serves: the app behind the feeds' fast path, so that a feed request skips even the
    framework's outermost middleware. (create_app keeps the same path inside, for in-process clients.)"""
    return FeedFastPath(create_app())
