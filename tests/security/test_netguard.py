"""The SSRF guard refuses non-public addresses at connect time, redirects included, unless allowed."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from syndicate.config import Settings
from syndicate.errors import BlockedURL
from syndicate.netguard import Policy, check_url, guarded_async_client, guarded_client, is_public


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/redirect"):
            target = self.path.split("to=", 1)[1]
            self.send_response(302)
            self.send_header("Location", target)
            self.end_headers()
            return
        body = b"inside"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fd00:ec2::254",
        "::ffff:127.0.0.1",
        "224.0.0.1",
        "64:ff9b::a00:1",
    ],
)
def test_non_public_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_public(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8080/x",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0x7f000001/",
        "http://2130706433/",
        "file:///etc/passwd",
        "gopher://127.0.0.1/",
        "ftp://a/",
        "http://user:pw@example.com/",
        "/relative",
    ],
)
def test_check_url_refuses(url: str) -> None:
    with pytest.raises(BlockedURL):
        check_url(url, Settings(allow_hosts=[]))


def test_allow_hosts_by_cidr_and_name() -> None:
    settings = Settings(allow_hosts=["127.0.0.0/8", "localhost"])
    check_url("http://127.0.0.1:9/", settings)
    check_url("http://localhost:9/", settings)
    assert Policy(["10.0.0.0/8"]).allows_address(ipaddress.ip_address("10.9.9.9"))


def test_guarded_client_refuses_loopback(server: str) -> None:
    with guarded_client(Settings(allow_hosts=[])) as client, pytest.raises(BlockedURL):
        client.get(server)


def test_guarded_client_allows_listed_host(server: str) -> None:
    with guarded_client(Settings(allow_hosts=["127.0.0.1"])) as client:
        assert client.get(server).text == "inside"


def test_redirect_into_a_blocked_address_is_refused(server: str) -> None:
    # The first hop is allowed by name ("localhost"); the redirect goes to an address that is not allowed.
    settings = Settings(allow_hosts=["localhost"])
    start = server.replace("127.0.0.1", "localhost") + "/redirect?to=http://127.0.0.2:1/"
    with guarded_client(settings, follow_redirects=True) as client, pytest.raises(BlockedURL):
        client.get(start)


async def _async_get(url: str, settings: Settings) -> str:
    async with guarded_async_client(settings) as client:
        return (await client.get(url)).text


def test_guarded_async_client(server: str) -> None:
    import anyio

    assert anyio.run(_async_get, server, Settings(allow_hosts=["127.0.0.1"])) == "inside"
    with pytest.raises(BlockedURL):
        anyio.run(_async_get, server, Settings(allow_hosts=[]))


def test_environment_proxies_are_ignored(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:1")
    with guarded_client(Settings(allow_hosts=["127.0.0.1"])) as client:
        assert client.get(server).text == "inside"
    assert httpx.URL(server).host == "127.0.0.1"
