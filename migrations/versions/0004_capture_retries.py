"""Reaction captures retry with backoff: an attempt count and a next-attempt time, indexed as
the sweeper's queue (instead of the filing time).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 08:35:26.168227
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('feedback_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('capture_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('capture_next_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_index('ix_feedback_items_capture_state_created_at')
        batch_op.create_index('ix_feedback_items_capture_state_capture_next_at', ['capture_state', 'capture_next_at'], unique=False)

    # Captures already waiting are due at once, oldest first.
    items = sa.table('feedback_items', sa.column('capture_state', sa.String()),
                     sa.column('capture_next_at', sa.DateTime(timezone=True)),
                     sa.column('created_at', sa.DateTime(timezone=True)))
    op.execute(items.update().where(items.c.capture_state == 'pending').values(capture_next_at=items.c.created_at))


def downgrade() -> None:
    with op.batch_alter_table('feedback_items', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_items_capture_state_capture_next_at')
        batch_op.create_index('ix_feedback_items_capture_state_created_at', ['capture_state', 'created_at'], unique=False)
        batch_op.drop_column('capture_next_at')
        batch_op.drop_column('capture_attempts')
