"""The Alembic migrations create exactly the tables in store/tables.py, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from syndicate.store.db import get_engine
from syndicate.store.migrate import MIGRATIONS, alembic_config
from syndicate.store.tables import Base


def test_migrations_match_the_tables(database: str) -> None:
    with get_engine().connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], diff


def test_one_linear_history_with_dated_files() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1, script.get_heads()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        assert path.name[:4].isdigit() and path.name[4] == "_", path.name
