"""A translation provider on 127.0.0.1 that speaks LibreTranslate's ``POST /translate`` and an OpenAI-compatible
``POST /v1/chat/completions``, with deterministic answers and injectable failures.

The "translation" is deterministic and recognisably not the input: words are reversed in order and each
non-marker word is rewritten as ``{target}:{word}``, so a test can see that the provider changed the sentence
around the placeholders. Failures are scripted: ``fail(status, times)``, ``delay`` seconds per answer, a text
``limit`` (LibreTranslate answers 400 over it, as a real server with --char-limit does; for a batch, over the
characters of all its texts), ``batch_limit`` (--batch-limit: 400 for a ``q`` list longer than it), ``mangle``
(the provider drops the placeholder brackets), ``garbage`` (empty answers) and ``garbage_at`` (one empty answer
inside each batch). LibreTranslate's ``q`` may be one text or a list of texts (answered with a list), as on the
real server.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_MARKER = re.compile(r"⟦\d+⟧")
_NAMES = {"English": "en", "Japanese": "ja", "Chinese (Simplified)": "zh-CN", "Vietnamese": "vi", "Korean": "ko"}


def fake_translate(text: str, target: str) -> str:
    words = text.split()
    return " ".join(w if _MARKER.fullmatch(w) else f"{target}:{w}" for w in reversed(words))


class State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.received: list[str] = []
        self.failures: list[tuple[int, dict[str, str]]] = []
        self.delay = 0.0
        self.limit = 5000
        self.mangle = False
        self.garbage = False
        #: target languages this provider answers 500 for, every time
        self.broken_targets: set[str] = set()
        #: LibreTranslate's --batch-limit: the most texts one request's ``q`` list may hold (None: no limit)
        self.batch_limit: int | None = None
        #: an empty answer at this index of every batch (a garbage answer among good ones)
        self.garbage_at: int | None = None
        #: the ``api_key`` of each LibreTranslate request, and how many texts it carried
        self.keys: list[str | None] = []
        self.batches: list[int] = []
        #: the client's port of each request: the same port again means a kept-alive connection
        self.ports: list[int] = []

    def fail(self, status: int, times: int = 1, retry_after: float | None = None) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        with self.lock:
            self.failures.extend([(status, headers)] * times)

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.received.clear()
            self.failures.clear()
            self.keys.clear()
            self.batches.clear()
            self.ports.clear()
        self.delay, self.limit, self.mangle, self.garbage = 0.0, 5000, False, False
        self.broken_targets = set()
        self.batch_limit = self.garbage_at = None

    @property
    def total(self) -> int:
        return sum(self.calls.values())


class Handler(BaseHTTPRequestHandler):
    server: LoopbackServer
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY on each connection, as LibreTranslate's own server (waitress) sets it. Without it, the answer's
    # headers and body go in two writes, Nagle holds the body until the client ACKs the headers, and the client
    # delays that ACK: 40 ms added to every answer on a kept-alive connection (fresh ones start in quick-ACK).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def do_GET(self) -> None:
        # Not LibreTranslate's: what a test or benchmark in another process reads of this server's state.
        if urlsplit(self.path).path == "/_loopback/calls":
            self._send(200, {"total": self.server.state.total})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        state = self.server.state
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with state.lock:
            state.calls[path] += 1
            state.ports.append(self.client_address[1])
            failure = state.failures.pop(0) if state.failures else None
        if state.delay:
            time.sleep(state.delay)
        if failure is not None:
            self._send(failure[0], {"error": "injected"}, failure[1])
            return
        if path == "/translate":
            self._libre(body)
        elif path == "/v1/chat/completions":
            self._openai(body)
        else:
            self._send(404, {"error": "not found"})

    def _libre(self, body: bytes) -> None:
        params = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        if body:
            if self.headers.get("Content-Type", "").startswith("application/json"):
                params.update(json.loads(body))
            else:
                params.update({k: v[0] for k, v in parse_qs(body.decode()).items()})
        state = self.server.state
        q, target = params.get("q", ""), params.get("target", "en")
        with state.lock:
            state.keys.append(params.get("api_key"))
            state.batches.append(len(q) if isinstance(q, list) else 1)
        if target in state.broken_targets:
            self._send(500, {"error": "injected for this target"})
            return
        # The real server's checks and messages (LibreTranslate app.py): --batch-limit counts the texts of a
        # list, --char-limit the characters of all of them; both answer 400 "... exceeds text limit (L)".
        if isinstance(q, list) and state.batch_limit is not None and len(q) > state.batch_limit:
            self._send(400, {"error": f"Invalid request: request ({len(q)}) exceeds text limit ({state.batch_limit})"})
            return
        size = sum(len(t) for t in q) if isinstance(q, list) else len(q)
        if size > state.limit:
            self._send(400, {"error": f"Invalid request: request ({size}) exceeds text limit ({state.limit})"})
            return
        texts = q if isinstance(q, list) else [q]
        answers = [self._translate(text, target) or "" for text in texts]
        if state.garbage_at is not None and len(answers) > state.garbage_at:
            answers[state.garbage_at] = ""
        self._send(200, {"translatedText": answers if isinstance(q, list) else answers[0]})

    def _openai(self, body: bytes) -> None:
        data = json.loads(body)
        system, user = data["messages"][0]["content"], data["messages"][-1]["content"]
        found = re.search(r"from (.+?) to (.+?)\. ", system)
        target = _NAMES.get(found.group(2), "xx") if found else "xx"
        answer = self._translate(user, target)
        if answer is None:
            self._send(400, {"error": {"message": "context length exceeded"}})
            return
        self._send(
            200,
            {
                "id": "chatcmpl-loopback",
                "object": "chat.completion",
                "model": data.get("model"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}}],
            },
        )

    def _translate(self, text: str, target: str) -> str | None:
        """The answer for one text; None when it is over the character limit."""
        state = self.server.state
        with state.lock:
            state.received.append(text)
        if len(text) > state.limit:
            return None
        if state.garbage:
            return ""
        answer = fake_translate(text, target)
        if state.mangle:
            answer = answer.replace("⟦", "").replace("⟧", "")
        return answer

    def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 drops connections under a burst; a dropped SYN costs a 1 s retransmit.
    request_queue_size = 128

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.state = State()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> LoopbackServer:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def main() -> None:
    """Serve in a process of its own (``python -m tests.translate.loopback --delay 0.2``): a benchmark's own work
    must not hold the provider's answers back. Prints the URL, then serves until killed."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before every answer")
    args = parser.parse_args()
    server = LoopbackServer(args.port)
    server.state.delay = args.delay
    print(server.url, flush=True)
    server.serve_forever()


def use_libre(monkeypatch: Any, url: str, languages: str, **extra: str) -> None:
    """Point this process's settings at the LibreTranslate server at ``url`` as the only provider, translating
    into ``languages`` (comma-separated) with a short timeout; ``extra`` sets more SYNDICATE_ settings
    (``TRANSLATE_BACKOFF="0.01"``)."""
    from syndicate.config import get_settings

    monkeypatch.setenv("SYNDICATE_LANGUAGES", languages)
    monkeypatch.setenv("SYNDICATE_TRANSLATORS", "libre")
    monkeypatch.setenv("SYNDICATE_LIBRETRANSLATE_URL", url)
    monkeypatch.setenv("SYNDICATE_TRANSLATE_TIMEOUT", "2")
    for name, value in extra.items():
        monkeypatch.setenv(f"SYNDICATE_{name}", value)
    get_settings.cache_clear()


if __name__ == "__main__":
    main()
