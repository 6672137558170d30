"""SQLite writers take turns on a file lock, so a writer that has to wait is woken as soon as the other commits.

SQLite lets one connection write at a time. A writer that finds the database locked calls its busy handler,
which sleeps 1, 2, 5, 10, 15, 20, 25, … ms between tries, whatever the holder still needs. Pipeline steps hold
the write lock for one to two milliseconds, so the two pool processes meet often, and the one that waits
sleeps longer than it had to: traced in a pipeline burst, the pool processes slept 1,268 times in 8 s, 3.0 s
in all. Two processes writing small transactions as fast as they can: 3,100–3,800 transactions/s with the busy
handler, 4,300–4,600 with this lock.

So each connection of ours (``LockingConnection``, the sqlite3 connection class the engine creates) takes an
exclusive ``flock`` on ``<database>-writer`` before its transaction's first write, and drops it once the
transaction ends (commit, rollback, close). Writers then wait for each other here, polling a non-blocking
``flock`` every 20–200 µs, instead of in SQLite's handler. SQLite's own locking is unchanged and still decides;
this only orders the writers first. A connection that cannot get the file lock within its timeout goes on
without it, and SQLite's busy timeout applies as before. The kernel drops a ``flock`` with its process, so a
writer that dies holds no one up.

Reads take no lock (WAL lets them run beside the writer). Only our own connections take part: the checkpoint
thread's PASSIVE checkpoints never wait for a writer, and a writer this module does not see (another program)
meets SQLite's busy handler as before.
"""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
import time
import weakref
from typing import Any

#: Statements that take SQLite's write lock (the first keyword; Python's sqlite3 opens its implicit
#: transaction before the DML ones). Others (SELECT, PRAGMA, BEGIN, SAVEPOINT) do not wait here.
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")

#: The first and the longest pause between two tries of a held lock: a step holds it for about a millisecond,
#: and a waiter should notice its release within a fraction of that, without spinning on a core meanwhile.
FIRST_PAUSE = 0.00002
LONGEST_PAUSE = 0.0002


#: What may come before a statement's first keyword: white space and comments (which Python's sqlite3 skips too,
#: when it decides whether a statement opens a transaction).
_LEADING = re.compile(r"(?:\s+|--[^\n]*(?:\n|\Z)|/\*.*?(?:\*/|\Z))*", re.S)
#: A keyword of a statement that writes, anywhere in a WITH statement (whose common table expressions may feed one)
_WRITE_WORD = re.compile(r"\b(?:INSERT|UPDATE|DELETE|REPLACE)\b", re.I)


def _writes(sql: str) -> bool:
    head = sql.lstrip()[:7].upper()
    if head.startswith(_WRITES):
        return True
    if not head.startswith(("--", "/*", "WITH")):
        return False
    # Rare (none of ours): a comment first, or a WITH clause. Missing a write here would only leave it to
    # SQLite's busy handler; taking one for a read (a keyword inside a string) only holds the lock for it.
    leading = _LEADING.match(sql)
    rest = sql[leading.end() :] if leading else sql
    head = rest[:7].upper()
    return head.startswith(_WRITES) or (head.startswith("WITH") and _WRITE_WORD.search(rest) is not None)


class LockingCursor(sqlite3.Cursor):
    connection: LockingConnection

    def execute(self, sql: str, parameters: Any = (), /) -> LockingCursor:
        self.connection.before(sql)
        try:
            return super().execute(sql, parameters)
        finally:
            self.connection.after()

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> LockingCursor:
        self.connection.before(sql)
        try:
            return super().executemany(sql, seq_of_parameters)
        finally:
            self.connection.after()


class LockingConnection(sqlite3.Connection):
    """A sqlite3 connection whose write transactions hold ``<database>-writer`` (see the module's text)."""

    #: Every open one in this process, for the fork hook below.
    _open: weakref.WeakSet[LockingConnection] = weakref.WeakSet()

    def __init__(self, database: Any, timeout: float = 5.0, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, timeout, *args, **kwargs)
        self._timeout = timeout
        self._held = False
        path = os.fsdecode(database)
        # A URI or an in-memory database: no file beside it to lock.
        self._lock_path = None if path.startswith("file:") or path in ("", ":memory:") else f"{path}-writer"
        self._lock_fd: int | None = None
        self._lock_pid = 0
        LockingConnection._open.add(self)

    def _descriptor(self) -> int | None:
        """This process's descriptor of the lock file, opened on first use."""
        if self._lock_pid != os.getpid():
            self._forget()
            self._lock_pid = os.getpid()
            if self._lock_path is not None:
                try:
                    self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                except OSError:
                    self._lock_path = None  # a read-only folder: SQLite's busy handler alone, as before
        return self._lock_fd

    def cursor(self, factory: Any = LockingCursor) -> Any:
        return super().cursor(factory)

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> Any:
        return self.cursor().executemany(sql, seq_of_parameters)

    def before(self, sql: str) -> None:
        if self._lock_path is None or not _writes(sql) or (self._held and self._lock_pid == os.getpid()):
            return
        fd = self._descriptor()
        if fd is not None:
            self._acquire(fd)

    def after(self) -> None:
        """After a statement, a commit or a rollback: once no transaction is open (a write outside one is
        committed already), nothing is left to wait for."""
        if self._held and not self.in_transaction:
            self._release()

    def _acquire(self, fd: int) -> None:
        pause, deadline = FIRST_PAUSE, None
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                now = time.monotonic()
                if deadline is None:
                    deadline = now + self._timeout
                elif now >= deadline:
                    return  # SQLite's busy handler takes over from here
                time.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE)
                continue
            self._held = True
            return

    def _forget(self) -> None:
        """In a forked child: drop the descriptor inherited from the parent. A ``flock`` belongs to the open file,
        which parent and child then share: on it they would not exclude each other, and while the child kept it
        open a lock the parent died holding would stay held. Closing the child's reference leaves the parent's
        lock as it is."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
        self._lock_fd, self._lock_pid, self._held = None, 0, False

    def _release(self) -> None:
        self._held = False
        # Only the process that took it: a child that inherited this object mid-transaction holds nothing.
        if self._lock_fd is not None and self._lock_pid == os.getpid():
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.after()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.after()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._held:
                self._release()
            if self._lock_fd is not None and self._lock_pid == os.getpid():
                os.close(self._lock_fd)
                self._lock_fd = None


def _after_fork_in_child() -> None:
    for connection in list(LockingConnection._open):
        connection._forget()


os.register_at_fork(after_in_child=_after_fork_in_child)
