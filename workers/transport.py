"""kombu's Redis transport, keeping one client per channel for the channel's own commands.

kombu's Redis channel makes a new ``redis.Redis`` object for every command it sends outside its event loop
(``conn_or_acquire``): two per task in a worker's main process (recording the delivered message as unacked,
then acking it), about 80 µs each, 15% of that process's time in a profile of the pipeline benchmark. The
worker's main process hands every task to the pool, so its time per task bounds the whole worker's. The
client object is only a front for the channel's connection pool, which does the connecting, reconnecting and
thread-safety, so one kept per pool serves every command; when kombu replaces the pool (after a fork or a
connection error) the next command gets a new client on the new pool.

Everything else (messages, acks late, visibility, restore of unacked messages) is kombu's own code.

One repair: a command on a channel whose connection is already closed raises a connection error, not
kombu's AttributeError (see ``conn_or_acquire``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    #: (the pool, the client on it) last used for a command.
    _kept: tuple[Any, Any] | None = None

    @contextmanager
    def conn_or_acquire(self, client: Any = None) -> Iterator[Any]:
        if client:
            yield client
            return
        if self._pool is None and getattr(self.connection, "client", None) is None:
            # The channel is being closed after a broker error: its pools are gone and so is its connection's
            # address, and building a pool again (kombu's own code does it here too) fails with an
            # AttributeError. That happened when the worker, losing Redis with a task delivered and not yet
            # acked, closed the channel and tried to put the task back: no caller expects an AttributeError, and
            # the worker stopped ("Unrecoverable error") instead of reconnecting. A connection error is what
            # the callers handle: the worker reconnects, and the task, still in the unacked index, is delivered
            # again when it becomes visible (the pipeline's stalled-release sweep resumes its release sooner).
            raise ConnectionError("the broker connection of this channel is closed")
        pool = self.pool
        kept = self._kept
        if kept is None or kept[0] is not pool:
            kept = self._kept = (pool, self._create_client())
        yield kept[1]


class Transport(kombu_redis.Transport):
    Channel = Channel


def install() -> None:
    """Make ``redis://``, ``rediss://`` and ``redis+socket://`` URLs use this transport in this process. kombu picks
    a transport by the URL's scheme (or its prefix before "+", which no option overrides), so the alias is
    the one place to name it; call before the first connection (kombu caches what an alias resolved to)."""
    for scheme in ("redis", "rediss"):
        TRANSPORT_ALIASES[scheme] = f"{__name__}:Transport"
