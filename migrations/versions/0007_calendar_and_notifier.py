"""The working calendar and the notifier: away periods, workspace holidays, snoozes and the last
run of each duty; working hours, a holiday country and the next working-period start on each
person (indexed: the minute tick's one query); the notifier's columns on deliveries (recipient,
next try, render data, budget and fold bookkeeping) with the indexes its sweep and budget read.
The delivery status is a VARCHAR without a CHECK, so its new values need no change here.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 11:13:22.128210
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('duty_runs',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_duty_runs'))
    )
    op.create_table('away_periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=800), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_away_periods_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_away_periods'))
    )
    with op.batch_alter_table('away_periods', schema=None) as batch_op:
        batch_op.create_index('ix_away_periods_team_id_ends_on', ['team_id', 'ends_on'], unique=False)
        batch_op.create_index('ix_away_periods_team_id_user_id_ends_on', ['team_id', 'user_id', 'ends_on'], unique=False)

    op.create_table('holidays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=400), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_holidays_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holidays')),
    sa.UniqueConstraint('team_id', 'day', name=op.f('uq_holidays_team_id_day'))
    )
    op.create_table('snoozes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_snoozes_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_snoozes')),
    sa.UniqueConstraint('team_id', 'user_id', 'kind', name=op.f('uq_snoozes_team_id_user_id_kind'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('next_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('data', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('what', sa.String(length=255), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('nudge', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('folded_into', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('note', sa.String(length=255), nullable=True))
        batch_op.create_index('ix_deliveries_status_next_at', ['status', 'next_at'], unique=False)
        batch_op.create_index('ix_deliveries_team_id_recipient_sent_at', ['team_id', 'recipient', 'sent_at'], unique=False)

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('work_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('work_start', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('work_end', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('holiday_country', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('next_start_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_people_next_start_at', ['next_start_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index('ix_people_next_start_at')
        batch_op.drop_column('next_start_at')
        batch_op.drop_column('holiday_country')
        batch_op.drop_column('work_end')
        batch_op.drop_column('work_start')
        batch_op.drop_column('work_days')

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_team_id_recipient_sent_at')
        batch_op.drop_index('ix_deliveries_status_next_at')
        batch_op.drop_column('note')
        batch_op.drop_column('folded_into')
        batch_op.drop_column('nudge')
        batch_op.drop_column('what')
        batch_op.drop_column('data')
        batch_op.drop_column('next_at')
        batch_op.drop_column('recipient')

    op.drop_table('snoozes')
    op.drop_table('holidays')
    with op.batch_alter_table('away_periods', schema=None) as batch_op:
        batch_op.drop_index('ix_away_periods_team_id_user_id_ends_on')
        batch_op.drop_index('ix_away_periods_team_id_ends_on')

    op.drop_table('away_periods')
    op.drop_table('duty_runs')
