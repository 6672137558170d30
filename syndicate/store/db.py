"""The database engine and sessions, built lazily from settings (never at import)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Connection, Dialect, Engine, Table, create_engine, event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from syndicate.store import checkpoint, writelock


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the API read while a worker writes; busy_timeout makes concurrent writers wait, not fail.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # The process's checkpoint thread keeps the log short; a commit checkpoints only past this (checkpoint.py).
    cursor.execute(f"PRAGMA wal_autocheckpoint={checkpoint.AUTOCHECKPOINT_PAGES}")
    cursor.close()


def _json_text(value: Any) -> str:
    """JSON columns as UTF-8 text: Korean written as itself takes 3 bytes a character, escaped (json.dumps's
    default) 6, and a release's text is mostly Korean, in its received version, its content and its
    translations' sources."""
    return json.dumps(value, ensure_ascii=False)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and ":memory:" not in url:
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            # Writers take turns on a file lock rather than in SQLite's sleeping busy handler (writelock.py).
            connect_args={"check_same_thread": False, "timeout": 30, "factory": writelock.LockingConnection},
            json_serializer=_json_text,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        if engine.url.database and ":memory:" not in url:
            checkpoint.ensure(engine.url.database)
        return engine
    # pool_pre_ping: a database restart must not leave workers holding dead connections.
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, json_serializer=_json_text)


_engines: dict[str, Engine] = {}


def _engine_for(url: str) -> Engine:
    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = make_engine(url)
    return engine


#: The settings the last engine was looked up for, and that engine: every session asks, and resolving the
#: database URL (a realpath of the data folder) costs more than the rest of opening a session.
_last: list[Any] = []


def get_engine() -> Engine:
    from syndicate.config import get_settings

    settings = get_settings()
    if _last and _last[0] is settings:
        return _last[1]
    engine = _engine_for(settings.resolved_database_url)
    _last[:] = [settings, engine]
    return engine


@lru_cache(maxsize=4)
def _sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session() -> Iterator[Session]:
    """A unit of work: commits on success, rolls back on error."""
    with _sessionmaker(get_engine())() as s:
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise


def reset() -> None:
    """Forget engines (tests and forked workers call this after changing settings)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
    checkpoint.stop_all()
    from syndicate.store import nearindex  # it runs its reads through this module

    nearindex.reset()
    _last.clear()
    _sessionmaker.cache_clear()


#: INSERT with ON CONFLICT, per dialect (the generic insert has no such clause).
INSERTS: dict[str, Callable[[Table], Any]] = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


def insert_for(s: Session) -> Callable[[Table], Any]:
    """The INSERT … ON CONFLICT construct of the session's database."""
    return INSERTS[s.get_bind().dialect.name]


def driver_rows(conn: Connection, sql: str, params: tuple[Any, ...]) -> Sequence[Any]:
    """Run ``sql`` on the driver's own cursor of ``conn`` and return its rows as the driver gives them (values
    not converted). For the few SQLite statements a poll runs every time, where SQLAlchemy's execution around a
    one-row statement cost several times the statement itself."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def core(s: Session | Connection) -> Connection:
    """The connection to run Core statements on: ``s``'s, or ``s`` itself (a poll reads and records its source's
    state on a bare connection, cheaper than a Session, whose per-transaction bookkeeping it does not need)."""
    return s if isinstance(s, Connection) else s.connection()


class _Driver(NamedTuple):
    """A statement as the SQLite driver takes it: SQL, parameter names in order, their types' bind processors,
    and the result columns' processors."""

    sql: str
    names: tuple[str, ...]
    binds: tuple[Callable[[Any], Any] | None, ...]
    results: tuple[Callable[[Any], Any] | None, ...]


#: id(statement) → (the statement, kept so that its id is not reused; its driver form)
_DRIVER: dict[int, tuple[Any, _Driver]] = {}


def direct(s: Session | Connection, statement: Any, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """``conn.execute(statement, params)``'s rows, for the few statements every poll or pipeline step runs
    (built once by their modules, every value a bound parameter: no column default is applied here). On SQLite
    they go to the driver's cursor, compiled once, with the column types' own bind and result processors:
    SQLAlchemy's execution around a one-row statement cost several times the statement. Other databases:
    through SQLAlchemy."""
    conn = core(s)
    if conn.dialect.name != "sqlite":
        result = conn.execute(statement, params)
        return [tuple(row) for row in result] if result.returns_rows else []
    found = _DRIVER.get(id(statement))
    if found is None:
        found = _DRIVER[id(statement)] = (statement, _compile(statement, conn.dialect))
    driver = found[1]
    values = tuple(params[n] if p is None else p(params[n]) for n, p in zip(driver.names, driver.binds, strict=True))
    rows = driver_rows(conn, driver.sql, values)
    return [tuple(v if p is None else p(v) for v, p in zip(row, driver.results, strict=True)) for row in rows]


def _compile(statement: Any, dialect: Dialect) -> _Driver:
    compiled: Any = statement.compile(dialect=dialect)
    names = tuple(compiled.positiontup or ())
    binds = tuple(compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names)
    columns = statement.selected_columns if statement.is_select else ()
    results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
    return _Driver(str(compiled), names, binds, results)
