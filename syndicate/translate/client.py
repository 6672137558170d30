"""The HTTP client the translation providers share: one guarded, kept-alive httpx client per process."""

from __future__ import annotations

import os
import socket
import threading
from typing import Any

import httpx

from syndicate.config import Settings
from syndicate.netguard import deadline, guarded_client

_clients: dict[tuple[Any, ...], httpx.Client] = {}
_clients_lock = threading.Lock()


def shared_client(settings: Settings) -> httpx.Client:
    """One guarded client per process (and per guard policy), so connections are reused across calls, languages,
    releases and providers. httpx.Client is safe to share between threads. Keyed by the process id too: a client
    made before a worker forked must not share its sockets with the child. Redirects are not followed: a
    provider that redirects is misconfigured, and its answer says so."""
    key = (os.getpid(), tuple(settings.allow_hosts), settings.user_agent)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            limits = httpx.Limits(max_connections=64, max_keepalive_connections=32, keepalive_expiry=60.0)
            # TCP_NODELAY as requests/urllib3 set it: httpcore writes a request's headers and body separately,
            # and on a kept-alive connection Nagle would hold the body until the server's delayed ACK (40 ms).
            nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
            client = _clients[key] = guarded_client(
                settings, limits=limits, socket_options=nodelay, follow_redirects=False
            )
        return client


def post(settings: Settings, url: str, **kwargs: Any) -> httpx.Response:
    """POST to a provider on the shared client within ``translate_timeout``: each read and connect by httpx's
    timeout, and the whole exchange by the guard's deadline, so a server dripping its answer byte by byte cannot
    hold the request past it. httpx's exceptions are the caller's to map (each names its provider)."""
    limit = settings.translate_timeout
    with deadline(limit):
        return shared_client(settings).post(url, timeout=httpx.Timeout(limit, connect=min(5.0, limit)), **kwargs)
