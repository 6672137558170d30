"""workers/transport.py: kombu's Redis transport with one client kept per channel pool."""

from __future__ import annotations

import kombu.transport
import pytest
from kombu import Connection

from workers import transport


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only for this test: install() changes the process's aliases, and kombu caches what they resolved to.
    monkeypatch.setattr(kombu.transport, "TRANSPORT_ALIASES", dict(kombu.transport.TRANSPORT_ALIASES))
    monkeypatch.setattr(transport, "TRANSPORT_ALIASES", kombu.transport.TRANSPORT_ALIASES)
    monkeypatch.setattr(kombu.transport, "_transport_cache", {})
    transport.install()


def test_broker_urls_take_the_transport_and_one_client_serves_a_pool(installed: None, broker: str) -> None:
    with Connection(broker) as conn:
        channel = conn.default_channel
        assert isinstance(conn.transport, transport.Transport) and isinstance(channel, transport.Channel)
        with channel.conn_or_acquire() as first, channel.conn_or_acquire() as second:
            assert first is second and first.connection_pool is channel.pool
        # kombu replaces the pool after a fork or a connection error: the next command gets a client on the new one.
        channel._disconnect_pools()
        with channel.conn_or_acquire() as third:
            assert third is not first and third.connection_pool is channel.pool
            assert third.ping()


def test_messages_go_round_with_late_acks(installed: None, broker: str) -> None:
    with Connection(broker) as conn:
        queue = conn.SimpleQueue("transport-test")
        queue.put({"n": 1})
        message = queue.get(timeout=5)
        assert message.payload == {"n": 1}
        channel = conn.default_channel
        with channel.conn_or_acquire() as client:
            assert client.hlen("unacked") == 1  # delivered, not yet acked
            message.ack()
            assert client.hlen("unacked") == 0
        queue.close()


def test_a_channel_closed_with_a_message_unacked_raises_a_connection_error(installed: None, broker: str) -> None:
    """The broker gone while a task is delivered and not acked: the worker closes the connection, and the closing
    channel tries to put the message back. That must fail as a connection error, which the worker's consumer
    ignores and reconnects after (kombu.common.ignore_errors), not as an AttributeError, which stopped the
    worker for good."""
    from kombu.common import ignore_errors

    conn = Connection(broker)
    queue = conn.SimpleQueue("transport-closed")
    queue.put({"n": 1})
    message = queue.get(timeout=5)
    channel = conn.default_channel
    assert channel.qos._delivered, "the message is delivered and not acked"
    # As after a broker error: the channel's pools are dropped and the transport's connection is released.
    channel._disconnect_pools()
    conn.transport.client = None  # what kombu's Connection.release leaves on the transport the channel holds
    with pytest.raises(ConnectionError):
        channel.qos.restore_unacked()
    ignore_errors(conn, channel.close)  # as the consumer closes it: no error escapes
    conn.transport.client = conn
    del message
