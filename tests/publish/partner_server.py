"""A loopback partner endpoint that does what a careful receiver does: verifies the Standard Webhooks signature
with the standardwebhooks library, validates the ninjs payload with jsonschema, and records what it accepted.

Behaviour is scripted per request: answer 500 for the first N requests, stall for S seconds, or always fail.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from standardwebhooks import Webhook

from tests.publish.schemas import errors, ninjs_validator


@dataclass
class Received:
    webhook_id: str
    type: str
    data: dict[str, Any]
    at: float


@dataclass
class Partner:
    secret: str = ""
    ninjs_version: str = "3"
    fail_first: int = 0
    always_fail: bool = False
    stall: float = 0.0
    #: answer this status (with ``retry_after`` as Retry-After) instead of verifying, when set
    status: int = 0
    retry_after: str | None = None
    requests: int = 0
    #: requests being answered right now, and the most there ever were at once
    open: int = 0
    peak: int = 0
    accepted: list[Received] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, body: bytes, headers: dict[str, str]) -> int:
        with self.lock:
            self.requests += 1
            self.open += 1
            self.peak = max(self.peak, self.open)
            number = self.requests
        try:
            return self._answer(number, body, headers)
        finally:
            with self.lock:
                self.open -= 1

    def _answer(self, number: int, body: bytes, headers: dict[str, str]) -> int:
        if self.stall:
            time.sleep(self.stall)
        if self.status:
            return self.status
        if self.always_fail or number <= self.fail_first:
            return 500
        try:
            message = Webhook(self.secret).verify(body, headers)
        except Exception as exc:  # the library's own verification errors
            self.problems.append(f"signature: {exc}")
            return 401
        problems = errors(ninjs_validator(self.ninjs_version), message["data"])
        if problems or message["type"] not in ("release.published", "release.updated", "release.retracted"):
            self.problems.append(f"payload: {problems or message['type']}")
            return 422
        with self.lock:
            self.accepted.append(Received(headers["webhook-id"], message["type"], message["data"], time.monotonic()))
        return 204

    def events(self) -> list[tuple[str, str]]:
        """(type, version) of each accepted message, in arrival order."""
        version_key = "version"
        return [(r.type, r.data[version_key]) for r in self.accepted]


class Server:
    """A ThreadingHTTPServer on 127.0.0.1 routing /<name> to scripted partners and /hub to a WebSub hub log."""

    def __init__(self, port: int = 0) -> None:
        self.partners: dict[str, Partner] = {}
        self.hub_pings: list[dict[str, list[str]]] = []
        self.hub_status = 204
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                name = self.path.strip("/")
                partner = outer.partners.get(name)
                if name == "hub":
                    outer.hub_pings.append(parse_qs(body.decode()))
                    code = outer.hub_status
                else:
                    code = 404 if partner is None else partner.handle(body, dict(self.headers.items()))
                try:
                    self.send_response(code)
                    if partner is not None and partner.retry_after and code >= 400:
                        self.send_header("retry-after", partner.retry_after)
                    self.send_header("content-length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender gave up (timeout) while we stalled

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def partner(self, name: str, **behaviour: Any) -> tuple[Partner, str]:
        partner = self.partners[name] = Partner(**behaviour)
        return partner, f"{self.base}/{name}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def dump(value: object) -> str:
    return json.dumps(value, default=str, indent=1)[:3000]
