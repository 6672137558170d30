"""fingerprint quarters: four indexed columns on releases replace the 28 fingerprint_bands rows per release

Near-duplicates are now found by multi-index hashing over the SimHash's four 16-bit quarters
(normalize/identity.py). The quarters of stored fingerprints are filled in here; the whole fingerprint was
never looked up by value, so its index goes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 12:00:00
"""

from __future__ import annotations

from itertools import combinations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_QUARTERS = [f"fingerprint_q{k}" for k in range(4)]


def upgrade() -> None:
    with op.batch_alter_table("releases", schema=None) as batch_op:
        for name in _QUARTERS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))
        batch_op.drop_index(batch_op.f("ix_releases_fingerprint"))
    releases = sa.table("releases", sa.column("id", sa.String), sa.column("fingerprint", sa.String))
    conn = op.get_bind()
    rows = conn.execute(sa.select(releases.c.id, releases.c.fingerprint).where(releases.c.fingerprint.is_not(None)))
    values = [
        {"rid": rid, **{name: int(fp[4 * k : 4 * k + 4], 16) for k, name in enumerate(_QUARTERS)}} for rid, fp in rows
    ]
    if values:
        quarters = sa.table(
            "releases", sa.column("id", sa.String), *(sa.column(name, sa.Integer) for name in _QUARTERS)
        )
        conn.execute(quarters.update().where(quarters.c.id == sa.bindparam("rid")), values)
    with op.batch_alter_table("releases", schema=None) as batch_op:
        for name in _QUARTERS:
            batch_op.create_index(batch_op.f(f"ix_releases_{name}"), [name], unique=False)
    op.drop_table("fingerprint_bands")


def downgrade() -> None:
    op.create_table(
        "fingerprint_bands",
        sa.Column("band", sa.String(length=8), nullable=False),
        sa.Column("release_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["release_id"], ["releases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("band", "release_id"),
    )
    # The pairs of bytes of every stored fingerprint, as the bands were written before 0008.
    conn = op.get_bind()
    releases = sa.table("releases", sa.column("id", sa.String), sa.column("fingerprint", sa.String))
    bands = sa.table("fingerprint_bands", sa.column("band", sa.String), sa.column("release_id", sa.String))
    rows = conn.execute(sa.select(releases.c.id, releases.c.fingerprint).where(releases.c.fingerprint.is_not(None)))
    values = [
        {"band": f"{i}{j}{fp[2 * i : 2 * i + 2]}{fp[2 * j : 2 * j + 2]}", "release_id": rid}
        for rid, fp in rows
        for i, j in combinations(range(8), 2)
    ]
    if values:
        conn.execute(bands.insert(), values)
    with op.batch_alter_table("releases", schema=None) as batch_op:
        for name in _QUARTERS:
            batch_op.drop_index(batch_op.f(f"ix_releases_{name}"))
        batch_op.create_index(batch_op.f("ix_releases_fingerprint"), ["fingerprint"], unique=False)
    # Not in batch mode: SQLite would rebuild the table, and dropping the old one with foreign keys on would
    # cascade to every release's rows. SQLite drops an unindexed column in place (3.35+).
    for name in _QUARTERS:
        op.drop_column("releases", name)
