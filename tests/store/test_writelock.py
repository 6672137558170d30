"""SQLite writers take turns on ``<database>-writer`` (store/writelock.py): a second writer waits for the first's
commit on the file lock, not in SQLite's sleeping busy handler; reads never wait; every way a transaction ends
lets the next writer in; and a lock held past the connection's timeout leaves the decision to SQLite. These run
on SQLite whatever the suite's database is (PostgreSQL has no such lock)."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from syndicate.store import db
from syndicate.store.writelock import LockingConnection, _writes


def _database(tmp_path: Path) -> str:
    path = str(tmp_path / "db.sqlite")
    c = sqlite3.connect(path)
    c.execute("PRAGMA journal_mode=WAL")
    c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
    c.execute("INSERT INTO t VALUES (1, 0)")
    c.commit()
    c.close()
    return path


def _connect(path: str, timeout: float = 30) -> LockingConnection:
    c = sqlite3.connect(path, timeout=timeout, factory=LockingConnection, check_same_thread=False)
    assert isinstance(c, LockingConnection)
    return c


def _held_elsewhere(path: str) -> bool:
    """Is the writer lock held by some connection (tried from a descriptor of its own)?"""
    fd = os.open(f"{path}-writer", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_second_writer_waits_for_the_first_commit_and_then_writes(tmp_path: Path) -> None:
    path = _database(tmp_path)
    first, second = _connect(path), _connect(path)
    first.execute("UPDATE t SET v = v + 1 WHERE id = 1")
    assert _held_elsewhere(path)
    done: list[float] = []

    def write() -> None:
        second.execute("UPDATE t SET v = v + 10 WHERE id = 1")
        second.commit()
        done.append(time.monotonic())

    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(0.2)
    assert not done, "the second writer went ahead while the first held the lock"
    # A read on either side meanwhile takes no lock and sees the last commit.
    assert _connect(path).execute("SELECT v FROM t").fetchone() == (0,)
    committed = time.monotonic()
    first.commit()
    thread.join(5)
    assert done and done[0] - committed < 0.1, "the waiting writer was not let in soon after the commit"
    assert first.execute("SELECT v FROM t").fetchone() == (11,)
    assert not _held_elsewhere(path)


@pytest.mark.parametrize(
    ("sql", "writes"),
    [
        ("UPDATE t SET v = 1", True),
        ("  insert into t values (2, 0)", True),
        ("-- a note\nUPDATE t SET v = 1", True),
        ("/* a note */ DELETE FROM t", True),
        ("/* one */ -- two\n  REPLACE INTO t VALUES (1, 0)", True),
        ("WITH x AS (SELECT 5 AS v) UPDATE t SET v = (SELECT v FROM x)", True),
        ("-- first\nWITH x AS (SELECT 1) INSERT INTO t SELECT 3, 0 FROM x", True),
        ("SELECT v FROM t", False),
        ("WITH x AS (SELECT 1 AS v) SELECT v FROM x", False),
        ("-- UPDATE t\nSELECT v FROM t", False),
        ("/* DELETE */ SELECT v FROM t", False),
        ("PRAGMA journal_mode", False),
    ],
)
def test_writes_are_told_by_their_first_keyword_after_comments(tmp_path: Path, sql: str, writes: bool) -> None:
    assert _writes(sql) is writes
    # and the connection holds the lock for them, in the transaction Python's sqlite3 opened (or not) for them
    path = _database(tmp_path)
    c = _connect(path)
    c.execute(sql)
    assert _held_elsewhere(path) is (writes and c.in_transaction)
    c.rollback()
    assert not _held_elsewhere(path)


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_every_end_of_a_transaction_releases_the_lock(tmp_path: Path, end: str) -> None:
    path = _database(tmp_path)
    c = _connect(path)
    c.execute("SELECT v FROM t").fetchall()
    assert not _held_elsewhere(path), "a read took the writer lock"
    c.executemany("INSERT INTO t (v) VALUES (?)", [(1,), (2,)])
    assert _held_elsewhere(path)
    getattr(c, end)()
    assert not _held_elsewhere(path)


def test_a_write_outside_a_transaction_holds_nothing_after_it(tmp_path: Path) -> None:
    path = _database(tmp_path)
    c = sqlite3.connect(path, factory=LockingConnection, isolation_level=None)
    c.execute("UPDATE t SET v = 5 WHERE id = 1")
    assert not c.in_transaction
    assert not _held_elsewhere(path)


def test_a_failed_write_outside_a_transaction_releases_too(tmp_path: Path) -> None:
    path = _database(tmp_path)
    c = sqlite3.connect(path, factory=LockingConnection, isolation_level=None)
    with pytest.raises(sqlite3.IntegrityError):
        c.execute("INSERT INTO t VALUES (1, 0)")
    assert not _held_elsewhere(path)


def test_a_lock_held_past_the_timeout_leaves_it_to_sqlite(tmp_path: Path) -> None:
    """Someone holds the file lock but not SQLite's (a stuck holder of ours would hold both: then SQLite's busy
    timeout answers, as it did before this lock existed). The writer goes on after its timeout."""
    path = _database(tmp_path)
    stranger = os.open(f"{path}-writer", os.O_RDWR | os.O_CREAT)
    fcntl.flock(stranger, fcntl.LOCK_EX)
    try:
        c = _connect(path, timeout=0.3)
        started = time.monotonic()
        c.execute("UPDATE t SET v = 7 WHERE id = 1")
        c.commit()
        waited = time.monotonic() - started
        assert 0.25 <= waited < 2
        assert c.execute("SELECT v FROM t").fetchone() == (7,)
    finally:
        os.close(stranger)


def test_a_holder_that_dies_holds_no_one_up(tmp_path: Path) -> None:
    path = _database(tmp_path)
    script = (
        "import os, sqlite3, sys\n"
        "from syndicate.store.writelock import LockingConnection\n"
        "c = sqlite3.connect(sys.argv[1], factory=LockingConnection)\n"
        "c.execute('UPDATE t SET v = 1 WHERE id = 1')\n"
        "os._exit(9)\n"
    )
    subprocess.run([sys.executable, "-c", script, path], check=False)
    c = _connect(path, timeout=5)
    started = time.monotonic()
    c.execute("UPDATE t SET v = 2 WHERE id = 1")
    c.commit()
    assert time.monotonic() - started < 0.5
    assert not _held_elsewhere(path)


def test_a_forked_child_does_not_keep_its_parents_lock(tmp_path: Path) -> None:
    """The parent dies holding the lock while a child it forked lives on: the lock must go with the parent (the
    child drops the descriptor it inherited), not stay held for as long as the child lives."""
    path = _database(tmp_path)
    script = (
        "import os, sqlite3, sys, time\n"
        "from syndicate.store.writelock import LockingConnection\n"
        "c = sqlite3.connect(sys.argv[1], factory=LockingConnection)\n"
        "c.execute('UPDATE t SET v = 1 WHERE id = 1')\n"
        "if os.fork() == 0:\n"
        "    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)\n"
        "    os.dup2(1, 2)\n"
        "    time.sleep(30)\n"
        "    os._exit(0)\n"
        "print('forked', flush=True)\n"
        "os._exit(9)\n"
    )
    child = subprocess.run([sys.executable, "-c", script, path], check=False, capture_output=True, text=True)
    assert "forked" in child.stdout, child.stderr
    c = _connect(path, timeout=5)
    started = time.monotonic()
    c.execute("UPDATE t SET v = 2 WHERE id = 1")
    c.commit()
    assert time.monotonic() - started < 0.5


def test_in_memory_databases_take_no_file_lock() -> None:
    c = sqlite3.connect(":memory:", factory=LockingConnection)
    c.execute("CREATE TABLE t (v INTEGER)")
    c.execute("INSERT INTO t VALUES (1)")
    c.commit()
    assert c.execute("SELECT v FROM t").fetchall() == [(1,)]


def test_the_engine_connects_with_the_writer_lock(tmp_path: Path) -> None:
    path = tmp_path / "engine.sqlite"
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert isinstance(conn.connection.dbapi_connection, LockingConnection)
            conn.execute(text("CREATE TABLE t (v INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
            assert _held_elsewhere(str(path))
            conn.commit()
            assert not _held_elsewhere(str(path))
            conn.execute(text("INSERT INTO t VALUES (2)"))
        # Returned to the pool without a commit: the pool's rollback ends the transaction and lets others in.
        assert not _held_elsewhere(str(path))
    finally:
        engine.dispose()
