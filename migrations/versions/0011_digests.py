"""Digests: a channel's scheduled summary (cadence, local time and zone, the sections and their
filters, the next occurrence indexed for the minute tick, the last post and a failure episode),
and the indexes the digest sections read by.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 10:00:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('digests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=400), nullable=False),
    sa.Column('name_key', sa.String(length=400), nullable=False),
    sa.Column('channel_id', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.String(length=32), nullable=False),
    sa.Column('cadence', sa.Enum('daily', 'weekly', name='cadence', native_enum=False, length=8), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('at_minutes', sa.Integer(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('sections', sa.JSON(), nullable=False),
    sa.Column('when_empty', sa.Enum('skip', 'say', name='whenempty', native_enum=False, length=8), nullable=False),
    sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=32), nullable=False),
    sa.Column('next_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_period', sa.String(length=16), nullable=True),
    sa.Column('last_posted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_period', sa.String(length=16), nullable=True),
    sa.Column('last_channel', sa.String(length=32), nullable=True),
    sa.Column('last_ts', sa.String(length=32), nullable=True),
    sa.Column('failing_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failing_reason', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_digests_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digests')),
    sa.UniqueConstraint('team_id', 'name_key', name=op.f('uq_digests_team_id_name_key')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('digests', schema=None) as batch_op:
        batch_op.create_index('ix_digests_next_at', ['next_at'], unique=False)
    # -- feedback and launch section indexes (upgrade) --
    with op.batch_alter_table('feedback_items', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_items_team_id_created_at', ['team_id', 'created_at'], unique=False)
        batch_op.create_index('ix_feedback_items_team_id_status_closed_at', ['team_id', 'status', 'closed_at'],
                              unique=False)
    with op.batch_alter_table('feedback_reporters', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_reporters_team_id_created_at_item_id',
                              ['team_id', 'created_at', 'item_id'], unique=False)
    # -- end feedback and launch section indexes (upgrade) --
    # -- standup and KPI section indexes (upgrade) --
    with op.batch_alter_table('standups', schema=None) as batch_op:
        batch_op.create_index('ix_standups_team_id_channel_id', ['team_id', 'channel_id'], unique=False)
    with op.batch_alter_table('kpis', schema=None) as batch_op:
        batch_op.create_index('ix_kpis_team_id_channel_id', ['team_id', 'channel_id'], unique=False)
    # -- end standup and KPI section indexes (upgrade) --



def downgrade() -> None:
    # -- feedback and launch section indexes (downgrade) --
    with op.batch_alter_table('feedback_reporters', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_reporters_team_id_created_at_item_id')
    with op.batch_alter_table('feedback_items', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_items_team_id_status_closed_at')
        batch_op.drop_index('ix_feedback_items_team_id_created_at')
    # -- end feedback and launch section indexes (downgrade) --
    # -- standup and KPI section indexes (downgrade) --
    with op.batch_alter_table('kpis', schema=None) as batch_op:
        batch_op.drop_index('ix_kpis_team_id_channel_id')
    with op.batch_alter_table('standups', schema=None) as batch_op:
        batch_op.drop_index('ix_standups_team_id_channel_id')
    # -- end standup and KPI section indexes (downgrade) --
    with op.batch_alter_table('digests', schema=None) as batch_op:
        batch_op.drop_index('ix_digests_next_at')

    op.drop_table('digests')
