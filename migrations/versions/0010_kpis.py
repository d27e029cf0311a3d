"""KPIs: definitions (target or band, owner, channel, staleness, source; the next pull and the
staleness instant indexed for the minute tick; a push token's hash), their values, and the pulls
that failed with why.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 10:00:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('kpis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=400), nullable=False),
    sa.Column('unit', sa.Enum('percent', 'count', 'currency', 'ratio', 'duration', name='kpiunit', native_enum=False, length=10), nullable=False),
    sa.Column('direction', sa.Enum('higher', 'lower', name='direction', native_enum=False, length=8), nullable=False),
    sa.Column('target', sa.Double(), nullable=True),
    sa.Column('band_low', sa.Double(), nullable=True),
    sa.Column('band_high', sa.Double(), nullable=True),
    sa.Column('owner_id', sa.String(length=32), nullable=False),
    sa.Column('channel_id', sa.String(length=32), nullable=False),
    sa.Column('stale_days', sa.Integer(), nullable=False),
    sa.Column('change_pct', sa.Double(), nullable=True),
    sa.Column('change_baseline', sa.Double(), nullable=True),
    sa.Column('source', sa.Enum('manual', 'http', name='kpisource', native_enum=False, length=8), nullable=False),
    sa.Column('pull_url', sa.Text(), nullable=True),
    sa.Column('pull_header_name', sa.String(length=100), nullable=True),
    sa.Column('pull_header_value', sa.Text(), nullable=True),
    sa.Column('pull_path', sa.String(length=200), nullable=True),
    sa.Column('pull_every', sa.Integer(), nullable=True),
    sa.Column('next_pull_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('push_token_hash', sa.String(length=64), nullable=True),
    sa.Column('failing_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failing_reason', sa.String(length=255), nullable=True),
    sa.Column('stale_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_kpis_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpis')),
    sa.UniqueConstraint('team_id', 'key', name=op.f('uq_kpis_team_id_key')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('kpis', schema=None) as batch_op:
        batch_op.create_index('ix_kpis_next_pull_at', ['next_pull_at'], unique=False)
        batch_op.create_index('ix_kpis_push_token_hash', ['push_token_hash'], unique=False)
        batch_op.create_index('ix_kpis_stale_at', ['stale_at'], unique=False)

    op.create_table('kpi_pulls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kpi_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['kpi_id'], ['kpis.id'], name=op.f('fk_kpi_pulls_kpi_id_kpis'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_pulls'))
    )
    with op.batch_alter_table('kpi_pulls', schema=None) as batch_op:
        batch_op.create_index('ix_kpi_pulls_kpi_id_at', ['kpi_id', 'at'], unique=False)

    op.create_table('kpi_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kpi_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('value', sa.Double(), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('by', sa.String(length=32), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['kpi_id'], ['kpis.id'], name=op.f('fk_kpi_values_kpi_id_kpis'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_values')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('kpi_values', schema=None) as batch_op:
        batch_op.create_index('ix_kpi_values_kpi_id_at', ['kpi_id', 'at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('kpi_values', schema=None) as batch_op:
        batch_op.drop_index('ix_kpi_values_kpi_id_at')

    op.drop_table('kpi_values')
    with op.batch_alter_table('kpi_pulls', schema=None) as batch_op:
        batch_op.drop_index('ix_kpi_pulls_kpi_id_at')

    op.drop_table('kpi_pulls')
    with op.batch_alter_table('kpis', schema=None) as batch_op:
        batch_op.drop_index('ix_kpis_stale_at')
        batch_op.drop_index('ix_kpis_push_token_hash')
        batch_op.drop_index('ix_kpis_next_pull_at')

    op.drop_table('kpis')
