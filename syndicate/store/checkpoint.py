"""Copying SQLite's write-ahead log back into the database from a thread, so that no commit pays for it.

SQLite checkpoints on its own in the commit that takes the log past ``wal_autocheckpoint`` pages, and that
commit waits for the copy and its fsync. A render pass writes 2 MB and more of feed documents, so every second
publication's render commit crossed the default threshold and took 8–15 ms instead of under one, on the path
every reader of every feed waits on. Each process that opens the database therefore runs one daemon thread
that checkpoints every CHECKPOINT_SECONDS (PASSIVE: it never waits for readers or writers, and the sqlite3
module releases the GIL while it copies and syncs). The automatic checkpoint stays as a safety net at a far
higher threshold, for a process that writes a lot and lives too briefly for its thread to run.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from urllib.parse import quote

log = logging.getLogger(__name__)

#: How often the thread checkpoints.
CHECKPOINT_SECONDS = 0.5
#: Pages (4 KB) the log may hold before a commit checkpoints it itself (SQLite's default is 1000).
AUTOCHECKPOINT_PAGES = 10_000


class Checkpointer:
    """One thread checkpointing one database file until ``stop``."""

    def __init__(self, path: str, interval: float = CHECKPOINT_SECONDS) -> None:
        self.path = path
        self.interval = interval
        self.pid = os.getpid()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        # A forked child inherits the object but not the thread.
        return self.pid == os.getpid() and self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        if self.alive():
            self._thread.join(5)

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        try:
            while not self._stop.wait(self.interval):
                try:
                    if connection is None:
                        # mode=rw: never create the file (a database not made yet is the migrations' job).
                        uri = f"file:{quote(self.path)}?mode=rw"
                        connection = sqlite3.connect(uri, uri=True, timeout=0, check_same_thread=False)
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:
                    # Busy (another checkpoint, a schema change) or a database not created yet: next time.
                    log.debug("checkpoint skipped", extra={"error": str(exc)})
        finally:
            if connection is not None:
                connection.close()


_running: dict[str, Checkpointer] = {}
_lock = threading.Lock()


def ensure(path: str) -> None:
    """A checkpointer for this database file in this process (started once; again in a forked child)."""
    with _lock:
        current = _running.get(path)
        if current is None or not current.alive():
            _running[path] = Checkpointer(path)


def stop_all() -> None:
    with _lock:
        running = list(_running.values())
        _running.clear()
    for checkpointer in running:
        checkpointer.stop()
