"""fingerprint quarters: on SQLite only the releases that have them are indexed; two redundant indexes go

On SQLite each process now finds near-duplicates in an index of its own (store/nearindex.py) and new releases
leave their quarter columns empty, so the four quarter indexes become partial (``IS NOT NULL``): a NULL would
still be an index entry to write in each of the four. PostgreSQL keeps looking the quarters up in SQL and its
indexes as they are. ``ix_releases_status`` is the first column of ``ix_releases_status_published``, and
``ix_release_versions_release_id`` of the (release_id, version) unique constraint: either serves every lookup
the shorter one did, and each was one more index entry written per release.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_QUARTERS = [f"fingerprint_q{k}" for k in range(4)]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in _QUARTERS:
            op.drop_index(f"ix_releases_{name}", table_name="releases")
            op.create_index(f"ix_releases_{name}", "releases", [name], sqlite_where=sa.text(f"{name} IS NOT NULL"))
    op.drop_index("ix_releases_status", table_name="releases")
    op.drop_index("ix_release_versions_release_id", table_name="release_versions")


def downgrade() -> None:
    op.create_index("ix_release_versions_release_id", "release_versions", ["release_id"])
    op.create_index("ix_releases_status", "releases", ["status"])
    if op.get_bind().dialect.name == "sqlite":
        for name in _QUARTERS:
            op.drop_index(f"ix_releases_{name}", table_name="releases")
            op.create_index(f"ix_releases_{name}", "releases", [name])
