"""The poll's HTTP client (ingest/client.py) against raw servers on 127.0.0.1 whose connections a test scripts:
kept-alive connections reused, and replaced when the server closed them; bodies by length, chunked and to the
close; answers too large in their headers refused cleanly; an unread body not spoiling the next request; TLS
verified against the host, over the guard's connections; and the client polls keep between them (one a thread,
its idle connections closed)."""

from __future__ import annotations

import os
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import trustme

from syndicate import catalog, netguard, polling
from syndicate.config import get_settings
from syndicate.errors import FetchError, HTTPStatusError
from syndicate.ingest.fetch import fetch, make_client
from syndicate.model import Source

#: One connection's script: given the socket, serve it (read requests, write answers) and return.
Script = Callable[[socket.socket, int], None]


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        data += chunk
    return data


def _answer(body: bytes, extra: str = "") -> bytes:
    return f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body


@contextmanager
def raw_server(script: Script, wrap: ssl.SSLContext | None = None) -> Iterator[tuple[str, list[int]]]:
    """Serves each accepted connection with ``script(sock, number)`` in a thread; yields the base URL and the
    list of connection numbers accepted so far."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[int] = []

    def loop() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            number = len(accepted)
            accepted.append(number)

            def serve(conn: socket.socket = conn, number: int = number) -> None:
                try:
                    sock = wrap.wrap_socket(conn, server_side=True) if wrap else conn
                    with sock:
                        script(sock, number)
                except (OSError, ssl.SSLError):
                    pass

            threading.Thread(target=serve, daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    scheme = "https" if wrap else "http"
    try:
        yield f"{scheme}://127.0.0.1:{listener.getsockname()[1]}", accepted
    finally:
        listener.close()


def _keep_alive(conn: socket.socket, number: int) -> None:
    while request := _read_request(conn):
        path = request.split(b" ")[1].decode()
        conn.sendall(_answer(f"{number} {path}".encode()))


def test_requests_to_one_origin_share_one_kept_alive_connection() -> None:
    with raw_server(_keep_alive) as (base, accepted), make_client(get_settings()) as client:
        bodies = [fetch(f"{base}/feed/{n}", get_settings(), client=client).body for n in range(3)]
    assert bodies == [b"0 /feed/0", b"0 /feed/1", b"0 /feed/2"]
    assert accepted == [0]


def test_a_connection_the_server_closed_is_replaced() -> None:
    def one_answer_then_close(conn: socket.socket, number: int) -> None:
        if _read_request(conn):
            conn.sendall(_answer(f"{number}".encode()))  # keep-alive promised, then closed while idle

    with raw_server(one_answer_then_close) as (base, accepted), make_client(get_settings()) as client:
        first = fetch(f"{base}/a", get_settings(), client=client)
        threading.Event().wait(0.1)  # the close has reached us
        second = fetch(f"{base}/a", get_settings(), client=client)
    assert (first.body, second.body) == (b"0", b"1")
    assert accepted == [0, 1]


def test_a_request_the_server_drops_unanswered_is_sent_once_more() -> None:
    """The server takes the second request on a kept connection and closes without a word (its keep-alive
    timer ran out as the request came): the request goes again on a new connection, once."""

    def drop_the_second(conn: socket.socket, number: int) -> None:
        if _read_request(conn):
            conn.sendall(_answer(f"{number}".encode()))
        if number == 0:
            _read_request(conn)  # then closes, unanswered

    with raw_server(drop_the_second) as (base, accepted), make_client(get_settings()) as client:
        assert fetch(f"{base}/a", get_settings(), client=client).body == b"0"
        assert fetch(f"{base}/a", get_settings(), client=client).body == b"1"
    assert accepted == [0, 1]

    def always_drop(conn: socket.socket, number: int) -> None:
        _read_request(conn)

    with raw_server(always_drop) as (base, accepted), pytest.raises(FetchError):
        fetch(f"{base}/a", get_settings())
    assert accepted == [0]  # a new connection is not retried


def test_chunked_and_read_to_the_close_bodies() -> None:
    def chunked(conn: socket.socket, number: int) -> None:
        while _read_request(conn):
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n<rss>\r\n7\r\n</rss>\n\r\n0\r\n\r\n"
            )

    def to_the_close(conn: socket.socket, number: int) -> None:
        _read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + "보도자료".encode() * 1000)

    with raw_server(chunked) as (base, accepted), make_client(get_settings()) as client:
        assert [fetch(f"{base}/c", get_settings(), client=client).body for _ in range(2)] == [b"<rss></rss>\n"] * 2
        assert accepted == [0]
    with raw_server(to_the_close) as (base, accepted), make_client(get_settings()) as client:
        assert fetch(f"{base}/c", get_settings(), client=client).body == "보도자료".encode() * 1000
        assert fetch(f"{base}/c", get_settings(), client=client).body == "보도자료".encode() * 1000
        assert accepted == [0, 1]


@pytest.mark.parametrize(
    "head",
    [
        "".join(f"X-{n}: {n}\r\n" for n in range(150)),  # more headers than anyone needs
        f"X-Long: {'a' * 70_000}\r\n",  # a header line past the limit
    ],
)
def test_answers_with_monstrous_headers_are_a_clean_error(head: str) -> None:
    def monstrous(conn: socket.socket, number: int) -> None:
        _read_request(conn)
        conn.sendall(f"HTTP/1.1 200 OK\r\n{head}Content-Length: 2\r\n\r\nok".encode())

    with raw_server(monstrous) as (base, _), pytest.raises(FetchError):
        fetch(f"{base}/h", get_settings())


def test_an_unread_error_body_does_not_spoil_the_next_request() -> None:
    def error_then_ok(conn: socket.socket, number: int) -> None:
        if number == 0 and _read_request(conn):
            conn.sendall(b"HTTP/1.1 500 Oops\r\nContent-Length: 100000\r\n\r\n" + b"x" * 100_000)
        while _read_request(conn):
            conn.sendall(_answer(b"fine"))

    with raw_server(error_then_ok) as (base, accepted), make_client(get_settings()) as client:
        with pytest.raises(HTTPStatusError):
            fetch(f"{base}/e", get_settings(), client=client)
        assert fetch(f"{base}/e", get_settings(), client=client).body == b"fine"
    assert accepted == [0, 1]  # the connection with the unread body was not used again


def test_a_header_that_would_split_the_request_is_refused_before_sending() -> None:
    with raw_server(_keep_alive) as (base, accepted):
        with pytest.raises(FetchError):
            fetch(f"{base}/a", get_settings(), etag='"v1"\r\nX-Injected: 1')
        assert accepted == []  # nothing was sent, not even a connection made


def test_tls_is_verified_against_the_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ca = trustme.CA()
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(served)
    with raw_server(_keep_alive, wrap=served) as (base, accepted):
        # an authority we do not trust: refused
        with pytest.raises(FetchError):
            fetch(f"{base}/t", get_settings())
        trusting = ssl.create_default_context()
        ca.configure_trust(trusting)
        monkeypatch.setattr(netguard, "tls_context", lambda: trusting)
        with make_client(get_settings()) as client:
            bodies = [fetch(f"{base}/t{n}", get_settings(), client=client).body for n in range(2)]
        assert bodies == [b"1 /t0", b"1 /t1"]  # one verified connection, kept alive
        assert accepted == [0, 1]
    other = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("syndicate.example").configure_cert(other)
    with raw_server(_keep_alive, wrap=other) as (base, _), pytest.raises(FetchError):
        fetch(f"{base}/t", get_settings())  # a certificate for another name


def _feed_answers(conn: socket.socket, number: int) -> None:
    while request := _read_request(conn):
        path = request.split(b" ")[1].decode()
        feed = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
            f"<item><title>{path} 보도자료</title><guid>{path}</guid><description>본문 {path}</description></item>"
            "</channel></rss>"
        )
        conn.sendall(_answer(feed.encode(), "Content-Type: application/rss+xml\r\n"))


def test_polls_of_sources_on_one_site_share_the_thread_s_connection(database: str) -> None:
    """Without a client of their own, polls take their thread's, and keep its connection for the next poll:
    two sources on one site, polled one after the other, cost one connection."""
    with raw_server(_feed_answers) as (base, accepted):
        catalog.add_runtime(
            [Source(id=f"shared-{n}", agency="incheon", url=f"{base}/{n}.xml", interval_minutes=30) for n in range(2)]
        )
        results = [polling.poll(f"shared-{n}") for n in range(2)]
        assert [(r.status, r.new) for r in results] == [("ok", 1), ("ok", 1)]
        assert accepted == [0]
        assert polling.shared_client(get_settings()) is polling.shared_client(get_settings())


def test_the_thread_s_client_is_not_a_forked_child_s() -> None:
    parent = polling.shared_client(get_settings())
    pid = os.fork()
    if pid == 0:  # the child: exit code 0 when it made a client of its own
        os._exit(0 if polling.shared_client(get_settings()) is not parent else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert polling.shared_client(get_settings()) is parent


def test_idle_connections_and_those_beyond_the_cap_are_closed() -> None:
    with (
        raw_server(_keep_alive) as (one, _),
        raw_server(_keep_alive) as (two, _),
        raw_server(_keep_alive) as (three, _),
    ):
        with make_client(get_settings()) as client:
            for base in (one, two, three):
                fetch(f"{base}/x", get_settings(), client=client)
            kept = dict(client.connections)
            client.prune(idle_seconds=60, keep=2)
            assert len(client.connections) == 2
            dropped = [conn for key, conn in kept.items() if key not in client.connections]
            assert [conn.port for conn in dropped] == [int(one.rsplit(":", 1)[1])]  # the least recently used
            assert dropped[0].sock is None  # closed, not only forgotten
            client.prune(idle_seconds=0, keep=2)
            assert client.connections == {}
