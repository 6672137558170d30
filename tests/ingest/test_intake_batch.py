"""A poll's items are recorded together (one INSERT per table) but decided one after another: what an earlier
item of the same feed created counts for the later ones, exactly as when each item was written on its own."""

from __future__ import annotations

from sqlalchemy import func, select

from syndicate import pipeline
from syndicate.model import RawRelease
from syndicate.normalize import identity as ident
from syndicate.store import places
from syndicate.store import releases as release_store
from syndicate.store.db import session
from syndicate.store.tables import ReleaseRow

TEXT = (
    "시는 올해 청년 일자리 1만 개를 만든다고 밝혔다. 청년 고용 장려금과 창업 공간을 함께 지원하고, 구직 청년에게 "
    "면접 정장을 빌려주는 사업도 이어간다. 시는 기업 100곳과 협약을 맺어 채용 연계도 넓힐 계획이다."
)
OTHER = (
    "군은 내년 1월부터 농어촌 버스 노선을 개편한다고 18일 밝혔다. 주민 의견을 반영해 배차 간격을 줄이고, "
    "읍면 소재지와 병원을 잇는 순환 노선을 새로 만든다."
)


def _raw(guid: str, title: str, body: str) -> RawRelease:
    return RawRelease(guid=guid, url=f"https://www.example.go.kr/p/{guid}", title=title, body=f"<p>{body}</p>")


def _count(table: type) -> int:
    with session() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def test_one_identity_twice_in_a_feed_is_a_release_and_its_correction(database: str) -> None:
    steps = pipeline.ingest("src", [_raw("a", "제목", TEXT), _raw("a", "제목 (수정)", TEXT)])
    assert [(s.step, s.version) for s in steps] == [("normalize", 1), ("normalize", 2)]
    assert steps[0].release_id == steps[1].release_id
    with session() as s:
        assert [v.version for v in release_store.versions(s, steps[0].release_id)] == [1, 2]
        assert len(places.of_release(s, steps[0].release_id)) == 1


def test_a_near_duplicate_later_in_the_same_feed_is_a_second_place(database: str) -> None:
    steps = pipeline.ingest(
        "src",
        [_raw("a", "청년 일자리", TEXT), _raw("b", "다른 글", OTHER), _raw("c", "청년 일자리", TEXT + " (재게시)")],
    )
    assert len(steps) == 2 and _count(ReleaseRow) == 2
    first = steps[0].release_id
    with session() as s:
        assert [p.identity for p in places.of_release(s, first)] == ["guid:src:a", "guid:src:c"]
        assert [e.stage for e in release_store.events(s, first)] == ["received", "seen_elsewhere"]
    # each release stored with its fingerprint, and where near-duplicates are looked up in SQL its quarters
    # (on SQLite each process indexes the fingerprints itself: store/nearindex.py)
    with session() as s:
        in_sql = places.quarters_in_sql(s)
        assert in_sql == (s.get_bind().dialect.name != "sqlite")
        for row in s.scalars(select(ReleaseRow)):
            assert row.fingerprint is not None
            stored = (row.fingerprint_q0, row.fingerprint_q1, row.fingerprint_q2, row.fingerprint_q3)
            assert stored == (ident.quarters(row.fingerprint) if in_sql else (None, None, None, None))


def test_the_next_poll_sees_what_the_batch_wrote(database: str) -> None:
    first = pipeline.ingest("src", [_raw("a", "청년 일자리", TEXT)])
    again = pipeline.ingest("src", [_raw("a", "청년 일자리", TEXT), _raw("z", "청년 일자리", TEXT)])
    assert len(first) == 1 and again == []  # the same item, and the same text under a new identity
    with session() as s:
        assert len(places.of_release(s, first[0].release_id)) == 2


def test_a_correction_is_remembered_and_places_seen_again_are_touched(database: str) -> None:
    first = pipeline.ingest("src", [_raw("a", "청년 일자리", TEXT), _raw("b", "버스 노선", OTHER)])
    with session() as s:
        before = {p.identity: p.last_seen_at for p in places.of_release(s, first[1].release_id)}
    corrected = pipeline.ingest("src", [_raw("a", "청년 일자리 (정정)", TEXT), _raw("b", "버스 노선", OTHER)])
    assert [(s.release_id, s.version) for s in corrected] == [(first[0].release_id, 2)]
    # the next poll sees the corrected text as it is now stored: nothing new
    assert pipeline.ingest("src", [_raw("a", "청년 일자리 (정정)", TEXT), _raw("b", "버스 노선", OTHER)]) == []
    with session() as s:
        (place,) = places.of_release(s, first[1].release_id)
        assert place.last_seen_at > before["guid:src:b"]
        assert [v.version for v in release_store.versions(s, first[0].release_id)] == [1, 2]


def test_an_outlets_copy_of_a_submitted_release_is_a_second_place_of_it(database: str) -> None:
    """A comms team submits; an outlet republishes; the poll of the outlet's feed finds the submission."""
    submitted, _, _ = pipeline.submit(
        agency_id="incheon", raw=RawRelease(title="청년 일자리", body=f"<p>{TEXT}</p>", body_is_html=True)
    )
    steps = pipeline.ingest("outlet", [_raw("x", "청년 일자리", TEXT + " [뉴스출처 : 인천시]")])
    assert steps == [] and _count(ReleaseRow) == 1
    with session() as s:
        assert [p.identity for p in places.of_release(s, submitted)] == ["guid:outlet:x"]
        assert [e.stage for e in release_store.events(s, submitted)] == ["received", "seen_elsewhere"]


def test_a_batch_writes_the_same_rows_as_sqlalchemys_insert(database: str) -> None:
    """store/bulk.py hands SQLite the rows converted by the column types' own processors: what is stored (times,
    JSON, scalar defaults) must be what SQLAlchemy's executemany stores for the same rows."""
    import copy

    from sqlalchemy import String, insert, type_coerce

    from syndicate.store import bulk

    def gathered(key: str) -> bulk.NewRows:
        rows = bulk.NewRows()
        release = rows.release(
            raw={"release": {"title": "청년 일자리", "categories": []}, "licence": None, "hash": "h"},
            identity=f"guid:src:{key}",
            agency_id="incheon",
            language="ko",
            category=None,
            source_id="src",
            fingerprint="0123456789abcdef",
        )
        rows.place(
            release_id=release, identity=f"guid:src:{key}", url=None, source_id="src", via=None, content_hash="h"
        )
        rows.event(release, 1, "seen_elsewhere", {"url": "https://www.example.go.kr/p/1", "via": None})
        return rows

    def stored(ids: set[str]) -> dict[str, list[tuple[object, ...]]]:
        out = {}
        with session() as s:
            for name, table in bulk._TABLES:
                key = table.c.id if name == "releases" else table.c.release_id
                # as stored: no result processing (a time written in another format would read back equal)
                columns = [type_coerce(c, String) for c in table.c if c.name not in ("id", "release_id", "identity")]
                out[name] = [tuple(row) for row in s.execute(select(*columns).where(key.in_(ids)))]
        return out

    fast, slow = gathered("fast"), gathered("slow")
    fast_ids = {r["id"] for r in fast.releases}
    slow_ids = {r["id"] for r in slow.releases}
    # the same times on both sides, so that the stored rows can be compared whole
    for a, b in zip(
        [*fast.releases, *fast.versions, *fast.events, *fast.places],
        [*slow.releases, *slow.versions, *slow.events, *slow.places],
        strict=True,
    ):
        b.update({k: v for k, v in a.items() if k.endswith("_at") or k == "at"})
    with session() as s:
        fast.write(s)
        # the quarter columns as write fills them in (where the database looks near-duplicates up in SQL)
        for row in slow.releases:
            row.update(places.quarter_columns(s, row["fingerprint"]))
        conn = s.connection()
        for name, table in bulk._TABLES:
            conn.execute(insert(table), copy.deepcopy(getattr(slow, name)))
    assert stored(fast_ids) == stored(slow_ids)
    assert all(stored(fast_ids).values())


def test_near_duplicates_are_the_stored_releases_within_near_bits(database: str) -> None:
    """places.near_duplicates finds exactly the stored releases within NEAR_BITS of one of the fingerprints: the
    near ones however their differing bits spread over the quarters, and none of those sharing a probe key or
    nothing but further away. Written in two batches, so that on SQLite both the sorted part of the process's
    index and its tail are looked in."""
    import random

    from syndicate.store import bulk

    rng = random.Random(11)
    probed = [rng.getrandbits(64) for _ in range(12)]
    stored = [rng.getrandbits(64) for _ in range(600)]
    for value in probed:
        for _ in range(8):  # near ones, within NEAR_BITS
            bits = rng.sample(range(64), rng.randrange(ident.NEAR_BITS + 1))
            stored.append(value ^ sum(1 << b for b in bits))
        # sharing a probe key but further: one quarter equal, the others three bits apart (9 bits in all)
        stored.append(value ^ 0b111 ^ (0b111 << 16) ^ (0b111 << 32))
        # every quarter two bits apart (8 bits), sharing no key; and one bit past NEAR_BITS
        stored.append(value ^ 0b11 ^ (0b11 << 16) ^ (0b11 << 32) ^ (0b11 << 48))
        stored.append(value ^ sum(1 << b for b in rng.sample(range(64), ident.NEAR_BITS + 1)))

    def write(values: list[int], first: int) -> dict[str, int]:
        rows = bulk.NewRows()
        ids = {}
        for n, value in enumerate(values, first):
            fp = f"{value:016x}"
            release_id = rows.release(
                raw={"release": {}, "licence": None, "hash": "h"},
                identity=f"guid:src:{n}",
                agency_id=None,
                language="ko",
                category=None,
                source_id="src",
                fingerprint=fp,
            )
            ids[release_id] = value
        with session() as s:
            rows.write(s)
        return ids

    ids: dict[str, int] = {}
    for part, first in ((stored[:550], 0), (stored[550:], 550)):
        ids.update(write(part, first))
        expected = sorted((i, v) for i, v in ids.items() if any((v ^ p).bit_count() <= ident.NEAR_BITS for p in probed))
        with session() as s:
            found = places.near_duplicates(s, probed)
        assert sorted(found) == expected
    assert len(expected) >= len(probed) * 8
    with session() as s:
        assert places.near_duplicates(s, []) == []
        assert sorted(places.near_duplicates(s, probed[:1])) == sorted(
            (i, v) for i, v in ids.items() if (v ^ probed[0]).bit_count() <= ident.NEAR_BITS
        )
