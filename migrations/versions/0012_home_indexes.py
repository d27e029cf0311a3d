"""App Home: the indexes a person's own feedback is read by (what they reported, what they own).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 10:00:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('feedback_items', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_items_team_id_owner_id', ['team_id', 'owner_id'], unique=False)

    with op.batch_alter_table('feedback_reporters', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_reporters_team_id_user_id', ['team_id', 'user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('feedback_reporters', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_reporters_team_id_user_id')

    with op.batch_alter_table('feedback_items', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_items_team_id_owner_id')

