"""The operators' pages (users with is_admin): source health with poll-now, partners with their delivery log,
dead letters and replay, and people's accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from syndicate import catalog
from syndicate import partners as partner_ops
from syndicate.api import dispatch
from syndicate.errors import Conflict, InputError, NotFound
from syndicate.registry import get_registry
from syndicate.store.db import session
from syndicate.web import accounts, views
from syndicate.web.pages import page
from syndicate.web.sessions import AdminUser, Csrf

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def admin_home(user: AdminUser) -> Response:
    return RedirectResponse("/admin/sources", status_code=303)


@router.get("/sources", response_class=HTMLResponse)
def sources(request: Request, user: AdminUser) -> Response:
    with session() as s:
        health = views.source_health(s)
    return page(
        request, "admin_sources.html", {"user": user, "sources": health, "done": request.query_params.get("done")}
    )


@router.post("/sources/{source_id}/poll", dependencies=[Csrf])
def poll_now(source_id: str, user: AdminUser) -> Response:
    catalog.get_source(source_id)  # NotFound for an unknown id
    dispatch.poll(source_id)
    return RedirectResponse("/admin/sources?done=1", status_code=303)


@router.get("/partners", response_class=HTMLResponse)
def partners(request: Request, user: AdminUser) -> Response:
    with session() as s:
        listed = views.partners(s)
    return page(
        request, "admin_partners.html", {"user": user, "partners": listed, "done": request.query_params.get("done")}
    )


@router.post("/partners/{partner_id}/replay", dependencies=[Csrf])
def replay(partner_id: str, user: AdminUser) -> Response:
    """Send the partner's messages again, dead letters included (same webhook ids, so receivers drop copies)."""
    partner_ops.replay(partner_id, None)
    dispatch.enqueue_due()
    return RedirectResponse("/admin/partners?done=1", status_code=303)


def _users_page(request: Request, user: accounts.User, error: str | None = None, status_code: int = 200) -> Response:
    agencies = sorted(get_registry().agencies.values(), key=lambda a: a.id)
    ctx = {"user": user, "users": accounts.all_users(), "agencies": agencies, "error": error}
    return page(request, "admin_users.html", ctx, status_code)


@router.get("/users", response_class=HTMLResponse)
def users(request: Request, user: AdminUser) -> Response:
    return _users_page(request, user)


@router.post("/users", response_class=HTMLResponse, dependencies=[Csrf])
def create_user(
    request: Request,
    user: AdminUser,
    agency: Annotated[str, Form()],
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    is_admin: Annotated[bool, Form()] = False,
) -> Response:
    try:
        accounts.create_user(agency_id=agency, email=email, password=password, is_admin=is_admin)
    except (InputError, Conflict, NotFound) as exc:
        return _users_page(request, user, str(exc), 422)
    return RedirectResponse("/admin/users", status_code=303)
