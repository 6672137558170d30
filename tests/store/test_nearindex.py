"""On SQLite each process finds near-duplicates in its own index of the stored fingerprints (store/nearindex.py):
it must see what other processes stored, forget what it read of a transaction that rolled back, and start
again on a database replaced under it. These run on SQLite whatever the suite's database is (on PostgreSQL
the lookup is in SQL, which tests/ingest/test_intake_batch.py covers on both)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from syndicate import pipeline
from syndicate.model import RawRelease
from syndicate.normalize import identity as ident
from syndicate.store import db, nearindex, places
from syndicate.store.migrate import upgrade_and_sync
from syndicate.store.tables import Base

_INSERT = "INSERT INTO releases (id, identity, fingerprint, status, language, version, published_version, created_at, updated_at) VALUES (?, ?, ?, 'received', 'ko', 1, 0, '2026-12-07 00:00:00', '2026-12-07 00:00:00')"  # noqa: E501


def _engine(path: Path) -> Engine:
    engine = db.make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    return engine


def _store_elsewhere(path: Path, rows: list[tuple[str, int]]) -> None:
    """Rows written by another process, as another worker's poll writes them."""
    values = [(release_id, f"guid:x:{release_id}", f"{fp:016x}") for release_id, fp in rows]
    script = "import sqlite3, sys, json; c = sqlite3.connect(sys.argv[1]); c.executemany(sys.argv[2], json.loads(sys.argv[3])); c.commit()"  # noqa: E501
    subprocess.run([sys.executable, "-c", script, str(path), _INSERT, json.dumps(values)], check=True)


def _near(engine: Engine, fingerprints: list[int]) -> list[tuple[str, int]]:
    with engine.connect() as conn:
        return sorted(nearindex.near(conn, fingerprints))


@pytest.fixture(autouse=True)
def _fresh() -> None:
    nearindex.reset()


def test_what_another_process_stored_is_found_at_the_next_lookup(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    engine = _engine(path)
    rng = random.Random(3)
    mine = rng.getrandbits(64)
    assert _near(engine, [mine]) == []
    _store_elsewhere(path, [("r1", mine ^ 0b101), ("r2", mine ^ (1 << 63) ^ 0xFF)])  # 2 bits away; 9 bits
    assert _near(engine, [mine]) == [("r1", mine ^ 0b101)]
    # enough releases that the index sorts them in, then one more in its tail
    many = [(f"m{n}", rng.getrandbits(64)) for n in range(nearindex.TAIL + 10)]
    _store_elsewhere(path, [*many, ("r3", mine ^ (1 << 40))])
    index = nearindex.for_database(str(path))
    assert _near(engine, [mine]) == [("r1", mine ^ 0b101), ("r3", mine ^ (1 << 40))]
    assert index.sorted_upto > 0 and index.count == len(many) + 3
    _store_elsewhere(path, [("r4", mine ^ (0b11 << 20))])
    assert _near(engine, [mine])[-1] == ("r4", mine ^ (0b11 << 20))
    assert index.sorted_upto < index.count  # r4 came in the tail
    expected = sorted((i, v) for i, v in many if (v ^ many[0][1]).bit_count() <= ident.NEAR_BITS)
    assert _near(engine, [many[0][1]]) == expected


def test_a_database_replaced_under_the_process_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    engine = _engine(path)
    fp = 0x0123456789ABCDEF
    _store_elsewhere(path, [("old", fp)])
    assert _near(engine, [fp]) == [("old", fp)]
    engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = _engine(path)
    _store_elsewhere(path, [("new", fp ^ 1)])
    assert _near(engine, [fp]) == [("new", fp ^ 1)]


def test_rows_read_in_a_transaction_that_rolled_back_are_forgotten(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    engine = _engine(path)
    fp = 0x0F0F0F0F0F0F0F0F
    _store_elsewhere(path, [("kept", fp ^ 0b1)])
    with engine.connect() as conn:
        conn.exec_driver_sql(_INSERT, ("gone", "guid:x:gone", f"{fp:016x}"))
        assert sorted(nearindex.near(conn, [fp])) == [("gone", fp), ("kept", fp ^ 1)]
        conn.rollback()
    _store_elsewhere(path, [("later", fp ^ 0b10)])  # takes the rowid "gone" had
    assert _near(engine, [fp]) == [("kept", fp ^ 1), ("later", fp ^ 0b10)]


TEXT = (
    "시는 올해 청년 일자리 1만 개를 만든다고 밝혔다. 청년 고용 장려금과 창업 공간을 함께 지원하고, 구직 청년에게 "
    "면접 정장을 빌려주는 사업도 이어간다. 시는 기업 100곳과 협약을 맺어 채용 연계도 넓힐 계획이다."
)


TITLE = "청년 일자리 1만 개"


def _raw(guid: str, url: str, body: str) -> RawRelease:
    return RawRelease(guid=guid, url=url, title=TITLE, body=f"<p>{body}</p>")


def test_an_outlets_copy_of_a_release_another_worker_stored_is_one_more_place(database: str) -> None:
    """Two worker processes: one stores the agency's release, the other then polls an outlet's copy of it, which
    becomes a second place of that release (on SQLite through the second process's index)."""
    upgrade_and_sync(database)
    with db.session() as s:  # this process's index is read before the other process writes
        assert places.near_duplicates(s, [int(ident.fingerprint(f"{TITLE} {TEXT}") or "0", 16)]) == []
    script = (
        "import sys; from syndicate import pipeline; from syndicate.model import RawRelease; "
        "pipeline.ingest('agency-feed', [RawRelease(guid='a', url='https://www.example.go.kr/p/1', "
        "title=sys.argv[1], body='<p>' + sys.argv[2] + '</p>')])"
    )
    subprocess.run([sys.executable, "-c", script, TITLE, TEXT], check=True, timeout=120)
    steps = pipeline.ingest("outlet-feed", [_raw("b", "https://news.example.com/a/9", TEXT + " [뉴스출처 : 인천시]")])
    assert steps == []  # not a new release
    with db.session() as s:
        (release_id,) = s.execute(text("SELECT id FROM releases")).scalars().all()
        assert [p.identity for p in places.of_release(s, release_id)] == ["guid:agency-feed:a", "guid:outlet-feed:b"]
