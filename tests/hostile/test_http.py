"""Hostile servers: a body or headers dripped a byte at a time, a redirect loop, a gzip bomb. Each fetch ends in
its clear error within its bounds; none hangs."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from syndicate.config import get_settings
from syndicate.errors import FetchTimeout, TooLarge, TooManyRedirects
from syndicate.ingest.fetch import fetch


class _Hostile(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(100_000):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.05)
            except (BrokenPipeError, ConnectionResetError):
                return
        elif self.path == "/drip-headers":
            # Each byte comes well within the read timeout; the headers never end.
            try:
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Padding: ")
                for _ in range(100_000):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.05)
            except (BrokenPipeError, ConnectionResetError):
                return
        elif self.path.startswith("/loop"):
            self.send_response(302)
            self.send_header("Location", "/loop-again" if self.path == "/loop" else "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/bomb":
            body = gzip.compress(b"\0" * (64 * 1024 * 1024))
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hostile() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_slow_drip_is_cut_off_at_the_total_timeout(hostile: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNDICATE_FETCH_TOTAL_TIMEOUT", "1.5")
    get_settings.cache_clear()
    started = time.monotonic()
    with pytest.raises(FetchTimeout):
        fetch(f"{hostile}/drip", get_settings())
    assert time.monotonic() - started < 5


def test_headers_dripped_forever_are_cut_off_at_the_total_timeout(
    hostile: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNDICATE_FETCH_TOTAL_TIMEOUT", "1.5")
    get_settings.cache_clear()
    started = time.monotonic()
    with pytest.raises(FetchTimeout):
        fetch(f"{hostile}/drip-headers", get_settings())
    assert time.monotonic() - started < 5


def test_redirect_loop_ends_at_the_cap(hostile: str) -> None:
    with pytest.raises(TooManyRedirects):
        fetch(f"{hostile}/loop", get_settings())


def test_gzip_bomb_is_capped_after_decompression(hostile: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNDICATE_FETCH_MAX_BYTES", str(1024 * 1024))
    get_settings.cache_clear()
    with pytest.raises(TooLarge):
        fetch(f"{hostile}/bomb", get_settings())
