"""The SSRF guard: every URL we fetch or post to must resolve to a public address.

Checking a URL before the request is not enough: a redirect can point inward, and a name can resolve to a public
address at check time and to 127.0.0.1 at connect time (DNS rebinding). So the guard sits in the connection
itself: the httpx clients made here use a network backend that resolves the host, refuses the connection when
any address is private, loopback, link-local (cloud metadata), multicast or reserved, and then connects to the
very address it checked. TLS still verifies the certificate against the host name.

``SYNDICATE_ALLOW_HOSTS`` lists host names or CIDRs exempt from the guard (tests allow 127.0.0.1 that way).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpcore
import httpx

from syndicate.config import Settings
from syndicate.errors import BlockedURL

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Ranges that are not "public internet" even where the ipaddress flags miss them.
EXTRA_BLOCKED: tuple[IPNetwork, ...] = (
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT
    ipaddress.ip_network("192.0.0.0/24"),  # IETF protocol assignments
    ipaddress.ip_network("198.18.0.0/15"),  # benchmarking
    ipaddress.ip_network("64:ff9b::/96"),  # NAT64 can reach IPv4 private space
)


class Policy:
    """Which hosts and addresses may be contacted, from SYNDICATE_ALLOW_HOSTS."""

    def __init__(self, allow: Iterable[str] = ()) -> None:
        self.hosts: set[str] = set()
        self.networks: list[IPNetwork] = []
        for entry in allow:
            entry = entry.strip().lower()
            if not entry:
                continue
            try:
                self.networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                self.hosts.add(entry)

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return _policy(tuple(settings.allow_hosts))

    def allows_address(self, ip: IPAddress) -> bool:
        if any(ip in net for net in self.networks if net.version == ip.version):
            return True
        return is_public(ip)

    def check_host(self, host: str, port: int) -> list[str]:
        """Resolve ``host`` and return its addresses; BlockedURL if it is not allowed."""
        host = host.strip("[]").lower()
        addresses = _resolve(host, port)
        if host in self.hosts:
            return addresses
        for address in addresses:
            if not self.allows_address(ipaddress.ip_address(address)):
                raise BlockedURL(f"refusing to contact {host}: it resolves to a non-public address ({address})")
        return addresses


@lru_cache(maxsize=16)
def _policy(allow: tuple[str, ...]) -> Policy:
    # Every fetch checks its URL first; parsing the allow-list's networks again each time was a tenth of an
    # unchanged poll's CPU. A Policy is not changed after it is built.
    return Policy(allow)


def is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    ):
        return False
    return not any(ip in net for net in EXTRA_BLOCKED if net.version == ip.version)


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise BlockedURL(f"cannot resolve {host}: {exc}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise BlockedURL(f"{host} has no address")
    return addresses


def check_url(url: str, settings: Settings, *, resolve: bool = True) -> None:
    """Refuse a URL that is not http(s) or that resolves to a non-public address (BlockedURL). ``resolve=False``
    checks the URL's form only, for a caller whose connections pass the guard's backend, which resolves and
    checks the host on every connect (polls: a kept-alive connection to a checked address needs no second look,
    and resolving the host again cost a DNS lookup on every poll)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise BlockedURL(f"only http and https URLs are fetched, not {parts.scheme or 'a relative URL'}")
    if not parts.hostname:
        raise BlockedURL("the URL has no host")
    if parts.username or parts.password:
        raise BlockedURL("URLs with credentials are refused")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise BlockedURL(f"invalid port in {url!r}") from exc
    if resolve:
        Policy.from_settings(settings).check_host(parts.hostname, port)


# --- the guarded connection -------------------------------------------------------------------------------


#: When set (``time.monotonic()`` seconds), no read, write or connect on a guarded connection goes past it.
_DEADLINE: ContextVar[float | None] = ContextVar("syndicate_net_deadline", default=None)


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Bound every network operation on guarded connections in this block (this thread) to ``seconds`` from
    now. A read timeout bounds one read only: a server dripping its status line and headers a byte at a time
    would otherwise hold the caller, and its worker thread, for ever. Nested inside another deadline, the
    earlier of the two holds: a fetch's own deadline never extends the poll's (a board's pages)."""
    end = time.monotonic() + seconds
    outer = _DEADLINE.get()
    token = _DEADLINE.set(end if outer is None else min(end, outer))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    end = _DEADLINE.get()
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise error("the request's total time ran out")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every operation also ends by the caller's deadline, if it set one."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self.inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self.inner.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self.policy.check_host(host, port)
        error: Exception | None = None
        for address in addresses:
            try:
                stream = self.inner.connect_tcp(
                    address,
                    port,
                    timeout=_bounded(timeout, httpcore.ConnectTimeout),
                    local_address=local_address,
                    socket_options=socket_options,
                )
                return _DeadlineStream(stream)
            except httpcore.ConnectError as exc:
                error = exc
        assert error is not None
        raise error

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise BlockedURL("unix sockets are not reachable through the guard")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class AsyncGuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await anyio.to_thread.run_sync(self.policy.check_host, host, port)
        error: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except httpcore.ConnectError as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedURL("unix sockets are not reachable through the guard")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


@lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    # Built once per process: loading the CA bundle costs milliseconds, and it was most of a partner push's CPU
    # when every client built its own. An SSLContext is safe to share between threads and connections.
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def _transport(
    settings: Settings, limits: httpx.Limits | None, socket_options: list[tuple[int, int, int]] | None = None
) -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport(
        verify=tls_context(), limits=limits or httpx.Limits(), trust_env=False, socket_options=socket_options
    )
    transport._pool._network_backend = GuardedBackend(Policy.from_settings(settings))
    return transport


def _async_transport(settings: Settings, limits: httpx.Limits | None) -> httpx.AsyncHTTPTransport:
    transport = httpx.AsyncHTTPTransport(verify=tls_context(), limits=limits or httpx.Limits(), trust_env=False)
    transport._pool._network_backend = AsyncGuardedBackend(Policy.from_settings(settings))
    return transport


def _defaults(settings: Settings, kwargs: dict[str, Any]) -> dict[str, Any]:
    kwargs.setdefault("timeout", httpx.Timeout(settings.fetch_read_timeout, connect=settings.fetch_connect_timeout))
    kwargs.setdefault("headers", {"User-Agent": settings.user_agent})
    kwargs.setdefault("max_redirects", settings.fetch_max_redirects)
    # Environment proxies would route around the guard; they are not used.
    kwargs["trust_env"] = False
    return kwargs


def guarded_client(
    settings: Settings,
    *,
    limits: httpx.Limits | None = None,
    socket_options: list[tuple[int, int, int]] | None = None,
    **kwargs: Any,
) -> httpx.Client:
    """An httpx.Client whose every connection (redirects included) passes the guard."""
    return httpx.Client(transport=_transport(settings, limits, socket_options), **_defaults(settings, kwargs))


def guarded_async_client(settings: Settings, *, limits: httpx.Limits | None = None, **kwargs: Any) -> httpx.AsyncClient:
    """An httpx.AsyncClient whose every connection (redirects included) passes the guard."""
    return httpx.AsyncClient(transport=_async_transport(settings, limits), **_defaults(settings, kwargs))
