"""Near-duplicate candidates on SQLite: every stored fingerprint held in the process, kept in step with the
releases table by rowid.

Looked up in SQL (store/places.py, as on PostgreSQL), a poll of 10 new items probes the releases table's four
quarter indexes 520 times (normalize/identity.py ``probes``): 0.4 ms at 10,000 releases and 1.4 ms at 50,000
(measured; each probe is a B-tree descent, and the cost grows with the store), and writing those four indexes
put about four random pages per new release into the commit, 40 of a 10-item poll's 75 or so WAL frames.

Here each process keeps the fingerprints of the stored releases in arrays, each quarter's values sorted, and
before every lookup reads the releases added since its last one: ``rowid >= last rowid read`` is a range on
the table's own B-tree, usually a row or none. That is complete because releases are never deleted, their
fingerprints never change, and SQLite has one writer at a time, which takes rowids in the order its
transactions commit: a rowid seen means every smaller one that will ever be visible is visible. The first row
of that read is the last one read before; if its id differs (the database was replaced under the process, or
a transaction whose rows it read rolled back), the index is read again from the start. On SQLite the quarter
columns are then not written (``places.quarters_in_sql``), and their indexes leave empty ones out.

A lookup finds what the SQL one does (multi-index hashing, identity.probes: a release within NEAR_BITS shares
a probe key): the sorted quarters answer by binary search, the releases read since the last sort (the tail)
are measured directly, and of the candidates only those within NEAR_BITS are returned.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import Connection

from syndicate.normalize import identity as ident
from syndicate.store.db import driver_rows

#: Releases read since the last sort that a lookup measures one by one; past this (or a 64th of the store),
#: all are sorted in.
TAIL = 512
#: Each quarter's 65536 values, one after the other, are the keys
_QUARTER = 1 << 16
#: Each quarter's probe masks (identity.MASKS), as arrays
_MASKS = [np.array(masks, dtype=np.uint32) for masks in ident.MASKS]

_SINCE = "SELECT rowid, id, fingerprint FROM releases WHERE rowid >= ? ORDER BY rowid"
_IDS = "SELECT id, fingerprint FROM releases WHERE rowid IN (SELECT value FROM json_each(?))"


class NearIndex:
    """The fingerprints of one database's releases, and where each quarter value occurs.

    A quarter value is looked up as one key, ``k * 65536 + value`` for quarter k. The releases sorted in have
    their four keys in ``keys``, sorted, with their positions beside them in ``positions``. Those read since
    (the tail: at most TAIL, or a 64th of the store) are measured against the fingerprints looked up directly.
    A release is its rowid and fingerprint, 40 bytes with its keys; the ids of the few found near are read
    from the table."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        self.rowid = 0  # the last rowid read, and its release's id (None: nothing read yet)
        self.last_id: str | None = None
        self.rowids = np.zeros(0, dtype=np.int64)
        self.fps = np.zeros(0, dtype=np.uint64)
        self.count = 0
        self.sorted_upto = 0  # positions below this are in ``keys``/``positions``, the rest are the tail
        self.keys = np.zeros(0, dtype=np.uint32)
        self.positions = np.zeros(0, dtype=np.int32)

    def near(self, conn: Connection, fingerprints: Sequence[int]) -> list[tuple[str, int]]:
        """(release id, fingerprint) of the stored releases within NEAR_BITS of one of ``fingerprints`` at
        least, in no particular order: ``places.near_duplicates``."""
        with self.lock:
            self._catch_up(conn)
            if not fingerprints or not self.count:
                return []
            ours = np.array(fingerprints, dtype=np.uint64)
            found: list[np.ndarray] = [np.arange(self.sorted_upto, self.count)]
            if self.sorted_upto:
                # Every release within NEAR_BITS shares a probe key with the fingerprint (identity.probes).
                # uint32 like ``keys``: searching with another type would convert all of ``keys`` each time; and
                # sorted, which numpy's search takes advantage of (each search starts from the one before).
                probes = np.concatenate(
                    [
                        ((_quarter(ours, k).astype(np.uint32)[:, None] ^ masks) + np.uint32(k * _QUARTER)).ravel()
                        for k, masks in enumerate(_MASKS)
                    ]
                )
                probes.sort()
                starts = np.searchsorted(self.keys, probes, side="left")
                ends = np.searchsorted(self.keys, probes, side="right")
                hit = ends > starts
                starts, lengths = starts[hit], (ends - starts)[hit]
                # every position of every run found, in one gather
                first = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
                found.append(self.positions[first + np.arange(len(first))])
            candidates = np.concatenate(found)
            # sharing a probe key is much looser than being near: at 12,000 releases a poll of 10 items shares
            # keys with about 100 releases, and seldom is one of them near
            close = np.bitwise_count(self.fps[candidates][None, :] ^ ours[:, None]) <= ident.NEAR_BITS
            kept = np.unique(candidates[close.any(axis=0)])
            if not len(kept):
                return []
            rowids = json.dumps(self.rowids[kept].tolist())
            return [(release_id, int(fp, 16)) for release_id, fp in driver_rows(conn, _IDS, (rowids,))]

    def _catch_up(self, conn: Connection) -> None:
        rows = driver_rows(conn, _SINCE, (self.rowid,))
        if self.last_id is not None:
            if not rows or rows[0][0] != self.rowid or rows[0][1] != self.last_id:
                self.clear()  # not the database read before: read it all again
                rows = driver_rows(conn, _SINCE, (0,))
            else:
                rows = rows[1:]
        if not rows:
            return
        self.rowid, self.last_id = rows[-1][0], rows[-1][1]
        added = [(rowid, value) for rowid, _, fp in rows if (value := _value(fp)) is not None]
        if not added:
            return
        start, need = self.count, self.count + len(added)
        if need > len(self.fps):  # room for twice as many, so that appending stays cheap
            size = max(need, 2 * len(self.fps), 1024)
            self.fps = np.concatenate([self.fps[:start], np.zeros(size - start, dtype=np.uint64)])
            self.rowids = np.concatenate([self.rowids[:start], np.zeros(size - start, dtype=np.int64)])
        self.rowids[start:need] = [rowid for rowid, _ in added]
        self.fps[start:need] = [value for _, value in added]
        self.count = need
        # A sort takes time in proportion to the store, so the tail may grow with it.
        if self.count - self.sorted_upto > max(TAIL, self.count // 64):
            self._sort()

    def _sort(self) -> None:
        values = self.fps[: self.count]
        keys, positions = [], []
        for k in range(4):
            quarter = _quarter(values, k)
            order = np.argsort(quarter, kind="stable")  # of 16-bit keys: a radix sort, linear in the store
            keys.append(quarter[order].astype(np.uint32) + np.uint32(k * _QUARTER))
            positions.append(order.astype(np.int32))
        # quarter k's keys all above quarter k-1's: the four sorted runs make one sorted array
        self.keys = np.concatenate(keys)
        self.positions = np.concatenate(positions)
        self.sorted_upto = self.count


def _quarter(values: np.ndarray, k: int) -> np.ndarray:
    """Quarter k of each fingerprint (quarter 0: the first four hex digits, as identity.quarters)."""
    return ((values >> np.uint64(48 - 16 * k)) & np.uint64(0xFFFF)).astype(np.uint16)


def _value(fingerprint: str | None) -> int | None:
    """A stored fingerprint as an integer; None for none, or one that is not a 64-bit SimHash in hex."""
    if not fingerprint:
        return None
    try:
        value = int(fingerprint, 16)
    except ValueError:
        return None
    return value if 0 <= value < 1 << 64 else None


#: One index per database file, per process (a forked child starts again: its parent's lock may be held).
_INDEXES: dict[str, NearIndex] = {}
_PID = [os.getpid()]
_GUARD = threading.Lock()


def for_database(database: str) -> NearIndex:
    global _GUARD
    if _PID[0] != os.getpid():
        _PID[0] = os.getpid()
        _INDEXES.clear()
        _GUARD = threading.Lock()
    with _GUARD:
        index = _INDEXES.get(database)
        if index is None:
            index = _INDEXES[database] = NearIndex()
        return index


def near(conn: Connection, fingerprints: Sequence[int]) -> list[tuple[str, int]]:
    """``NearIndex.near`` of the process's index of ``conn``'s database."""
    database: Any = conn.engine.url.database or ":memory:"
    return for_database(str(database)).near(conn, fingerprints)


def reset() -> None:
    """Forget every index (store.db.reset: the settings, and so the databases, may have changed)."""
    _INDEXES.clear()
