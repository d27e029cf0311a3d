"""Standups: their setup, participants (each with the next prompt or reminder due, indexed for
the minute tick), answers per person and day, the day's summary post and blockers; and launch
risks, where a standup blocker that names a launch counts against its go/no-go.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:00:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('standups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=400), nullable=False),
    sa.Column('name_key', sa.String(length=400), nullable=False),
    sa.Column('channel_id', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.String(length=32), nullable=False),
    sa.Column('questions', sa.JSON(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('prompt_at', sa.Integer(), nullable=False),
    sa.Column('deadline_at', sa.Integer(), nullable=False),
    sa.Column('mode', sa.Enum('each', 'summary', name='postmode', native_enum=False, length=8), nullable=False),
    sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=32), nullable=False),
    sa.Column('next_summary_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_summary_day', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_standups_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standups')),
    sa.UniqueConstraint('team_id', 'name_key', name=op.f('uq_standups_team_id_name_key')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('standups', schema=None) as batch_op:
        batch_op.create_index('ix_standups_next_summary_at', ['next_summary_at'], unique=False)

    op.create_table('launch_risks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('launch_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('raised_by', sa.String(length=32), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['launch_id'], ['launches.id'], name=op.f('fk_launch_risks_launch_id_launches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_launch_risks')),
    sa.UniqueConstraint('launch_id', 'source', 'ref', name=op.f('uq_launch_risks_launch_id_source_ref'))
    )
    op.create_table('standup_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('standup_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('posted_version', sa.Integer(), nullable=False),
    sa.Column('unposted', sa.Boolean(), nullable=False),
    sa.Column('message_channel', sa.String(length=32), nullable=True),
    sa.Column('message_ts', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['standup_id'], ['standups.id'], name=op.f('fk_standup_answers_standup_id_standups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standup_answers')),
    sa.UniqueConstraint('standup_id', 'user_id', 'day', name=op.f('uq_standup_answers_standup_id_user_id_day')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('standup_answers', schema=None) as batch_op:
        batch_op.create_index('ix_standup_answers_standup_id_day', ['standup_id', 'day'], unique=False)
        batch_op.create_index(batch_op.f('ix_standup_answers_unposted'), ['unposted'], unique=False)

    op.create_table('standup_blockers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('standup_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('cleared_on', sa.Date(), nullable=True),
    sa.Column('launch_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['standup_id'], ['standups.id'], name=op.f('fk_standup_blockers_standup_id_standups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standup_blockers')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('standup_blockers', schema=None) as batch_op:
        batch_op.create_index('ix_standup_blockers_standup_id_user_id_cleared_on', ['standup_id', 'user_id', 'cleared_on'], unique=False)

    op.create_table('standup_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('standup_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('channel_id', sa.String(length=32), nullable=False),
    sa.Column('summary_ts', sa.String(length=32), nullable=True),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['standup_id'], ['standups.id'], name=op.f('fk_standup_days_standup_id_standups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standup_days')),
    sa.UniqueConstraint('standup_id', 'day', name=op.f('uq_standup_days_standup_id_day'))
    )
    op.create_table('standup_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('standup_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_day', sa.Date(), nullable=True),
    sa.Column('next_event', sa.String(length=8), nullable=True),
    sa.ForeignKeyConstraint(['standup_id'], ['standups.id'], name=op.f('fk_standup_members_standup_id_standups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standup_members')),
    sa.UniqueConstraint('standup_id', 'user_id', name=op.f('uq_standup_members_standup_id_user_id'))
    )
    with op.batch_alter_table('standup_members', schema=None) as batch_op:
        batch_op.create_index('ix_standup_members_next_at', ['next_at'], unique=False)
        batch_op.create_index('ix_standup_members_team_id_user_id', ['team_id', 'user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('standup_members', schema=None) as batch_op:
        batch_op.drop_index('ix_standup_members_team_id_user_id')
        batch_op.drop_index('ix_standup_members_next_at')

    op.drop_table('standup_members')
    op.drop_table('standup_days')
    with op.batch_alter_table('standup_blockers', schema=None) as batch_op:
        batch_op.drop_index('ix_standup_blockers_standup_id_user_id_cleared_on')

    op.drop_table('standup_blockers')
    with op.batch_alter_table('standup_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_standup_answers_unposted'))
        batch_op.drop_index('ix_standup_answers_standup_id_day')

    op.drop_table('standup_answers')
    op.drop_table('launch_risks')
    with op.batch_alter_table('standups', schema=None) as batch_op:
        batch_op.drop_index('ix_standups_next_summary_at')

    op.drop_table('standups')
