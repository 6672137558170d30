"""A real HTTP server on 127.0.0.1 whose answers a test scripts: per path, a function of the request."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    #: seconds between bytes: the whole answer, status line and headers included, is dripped a byte at a time
    drip: float = 0.0


Route = Callable[["Request"], Answer]


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)


class Loopback:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self.base = ""

    def route(self, path: str, answer: Answer | Route) -> None:
        self.routes[path] = answer if callable(answer) else (lambda _req, a=answer: a)

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]


@contextmanager
def serve() -> Iterator[Loopback]:
    loop = Loopback()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            request = Request(self.path, {k.lower(): v for k, v in self.headers.items()})
            loop.requests.append(request)
            route = loop.routes.get(self.path)
            answer = route(request) if route else Answer(404, b"not found")
            if answer.delay:
                threading.Event().wait(answer.delay)
            if answer.drip:
                self._drip(answer)
                return
            try:
                self.send_response(answer.status)
                for key, value in answer.headers.items():
                    if value:  # an empty value leaves the header out (a streamed body without Content-Length)
                        self.send_header(key, value)
                if "Content-Length" not in answer.headers:
                    self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
                if answer.headers.get("Content-Length") == "":
                    self.close_connection = True
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _drip(self, answer: Answer) -> None:
            lines = [f"HTTP/1.1 {answer.status} OK", f"Content-Length: {len(answer.body)}"]
            lines += [f"{key}: {value}" for key, value in answer.headers.items()]
            head = ("\r\n".join(lines) + "\r\n\r\n").encode()
            try:
                for byte in head + answer.body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(answer.drip)
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    loop.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield loop
    finally:
        server.shutdown()
        server.server_close()


def rss(items: list[tuple[str, str, str]], ttl: int | None = None, pub: str = "Thu, 18 Sep 2025 05:32:00 GMT") -> bytes:
    """An RSS 2.0 document of (guid, title, description) items."""
    body = "".join(
        f'<item><title>{t}</title><guid isPermaLink="false">{g}</guid><link>https://www.example.go.kr/p/{g}</link>'
        f"<description>{d}</description><pubDate>{pub}</pubDate></item>"
        for g, t, d in items
    )
    ttl_tag = f"<ttl>{ttl}</ttl>" if ttl else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>시청 보도자료</title>'
        f"<link>https://www.example.go.kr/</link><description>d</description>{ttl_tag}{body}</channel></rss>"
    ).encode()
