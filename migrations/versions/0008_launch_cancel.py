"""Launch cancel and delete: who cancelled a launch and when (kept with its history, out of
lists and nudges); on SQLite, launches and their items stop reusing the ids of deleted rows
(AUTOINCREMENT), so a stale button, modal or delivery claim naming a deleted launch never
reaches a new one. PostgreSQL sequences never reuse ids: only the columns change there.

Written by hand (autogenerate sees neither `sqlite_autoincrement` nor the reason for it).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == 'sqlite'


def _rebuild_items(autoincrement: bool) -> None:
    """SQLite only: copy launch_items into a table declared with (or without) AUTOINCREMENT.
    env.py turns foreign keys off around the copy, so no child row is cascaded away."""
    if _sqlite():
        with op.batch_alter_table('launch_items', schema=None, recreate='always',
                                  table_kwargs={'sqlite_autoincrement': autoincrement}):
            pass


def upgrade() -> None:
    # On SQLite the launches table is rebuilt by the batch (recreate='always' so the new table
    # carries AUTOINCREMENT); on PostgreSQL these are two ALTER TABLE … ADD COLUMN.
    recreate = 'always' if _sqlite() else 'auto'
    with op.batch_alter_table('launches', schema=None, recreate=recreate,
                              table_kwargs={'sqlite_autoincrement': True} if _sqlite() else {}) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancelled_by', sa.String(length=32), nullable=True))
    _rebuild_items(autoincrement=True)


def downgrade() -> None:
    _rebuild_items(autoincrement=False)
    recreate = 'always' if _sqlite() else 'auto'
    with op.batch_alter_table('launches', schema=None, recreate=recreate,
                              table_kwargs={'sqlite_autoincrement': False} if _sqlite() else {}) as batch_op:
        batch_op.drop_column('cancelled_by')
        batch_op.drop_column('cancelled_at')
