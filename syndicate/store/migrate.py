"""Alembic, driven from code: `syndicate db upgrade` and the tests call these."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d_%%(slug)s")
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def upgrade_and_sync(url: str | None = None) -> None:
    """Migrate to head, then mirror the agency registry into the database."""
    from syndicate.config import get_settings
    from syndicate.registry import get_registry
    from syndicate.store.agencies import sync_agencies
    from syndicate.store.db import session

    upgrade(url or get_settings().resolved_database_url)
    with session() as s:
        sync_agencies(s, list(get_registry().agencies.values()))
