"""Named locks shared by every worker: a Redis lock on the broker, or a file lock in the data folder when the
broker is not Redis (the filesystem broker of a one-machine install, whose workers share that folder)."""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from syndicate.config import get_settings

log = logging.getLogger(__name__)


@contextmanager
def exclusive(name: str, seconds: int) -> Iterator[bool]:
    """Yields True when this process holds the lock ``name``, False when someone else does. The Redis lock
    expires after ``seconds`` whatever happens, so a killed holder cannot keep it."""
    broker = get_settings().broker_url
    if broker.startswith(("redis://", "rediss://", "redis+socket://", "unix://")):
        client = redis.Redis.from_url(broker.replace("redis+socket://", "unix://"))
        lock = client.lock(f"syndicate:{name}", timeout=seconds, blocking=False)
        got = bool(lock.acquire(blocking=False))
        try:
            yield got
        finally:
            if got:
                try:
                    lock.release()
                except redis.exceptions.LockError:
                    log.warning("lock %s had expired", name)
            client.close()
        return
    folder = get_settings().data_dir / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{name.replace(':', '-')}.lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
