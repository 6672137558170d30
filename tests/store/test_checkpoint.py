"""SQLite's log is copied back by the process's checkpoint thread, not by the commit that crosses a threshold."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from sqlalchemy import text

from syndicate.store import checkpoint, db


def _threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "sqlite-checkpoint" and t.is_alive()]


def test_a_large_commit_returns_before_the_copy_and_the_thread_copies_it(tmp_path: Path) -> None:
    path = tmp_path / "check.db"
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE docs (id INTEGER PRIMARY KEY, body BLOB)"))
        time.sleep(checkpoint.CHECKPOINT_SECONDS * 3)  # the table itself copied back
        before = path.stat().st_size
        body = os.urandom(4 * 2**20)  # 1,000 pages and more: past SQLite's default threshold
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO docs (body) VALUES (:b)"), {"b": body})
        # The commit left the pages in the log (SQLite's own checkpoint at 1,000 pages would have copied them).
        assert path.stat().st_size == before
        assert (tmp_path / "check.db-wal").stat().st_size > len(body)
        deadline = time.monotonic() + 10
        while path.stat().st_size < before + len(body):
            assert time.monotonic() < deadline, "the checkpoint thread did not copy the log back"
            time.sleep(0.05)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT length(body) FROM docs")).scalar() == len(body)
    finally:
        engine.dispose()
        checkpoint.stop_all()


def test_one_thread_per_database_stopped_with_the_engines(tmp_path: Path) -> None:
    checkpoint.stop_all()
    engines = [db.make_engine(f"sqlite:///{tmp_path / 'a.db'}") for _ in range(3)]
    engines.append(db.make_engine(f"sqlite:///{tmp_path / 'b.db'}"))
    try:
        assert len(_threads()) == 2
    finally:
        for engine in engines:
            engine.dispose()
    db.reset()  # what tests and forked workers call
    deadline = time.monotonic() + 5
    while _threads():
        assert time.monotonic() < deadline, "checkpoint threads left running"
        time.sleep(0.05)


def test_a_missing_database_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "never.db"
    checker = checkpoint.Checkpointer(str(path), interval=0.01)
    try:
        time.sleep(0.2)
        assert not path.exists()
    finally:
        checker.stop()
