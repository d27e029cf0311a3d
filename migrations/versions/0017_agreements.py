"""Working agreements (issue 18): `agreements`, `agreement_days`, `feedback_items.triaged_at`.

An agreement is a KPI whose source is built in (`kpis.source = 'builtin'`: the column is a
VARCHAR(8) without a CHECK, so the new value needs no change there). `triaged_at` is when an
item first left `new`; for items already past it, the best the stored rows can say is backfilled:
`closed_at` when closed, else `updated_at` (an upper bound: the item was triaged by then).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 02:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('agreements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('kpi_id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.String(length=40), nullable=False),
    sa.Column('function', sa.String(length=32), nullable=True),
    sa.Column('standup_id', sa.Integer(), nullable=True),
    sa.Column('within_days', sa.Integer(), nullable=False),
    sa.Column('window_days', sa.Integer(), nullable=False),
    sa.Column('next_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['kpi_id'], ['kpis.id'], name=op.f('fk_agreements_kpi_id_kpis'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['standup_id'], ['standups.id'], name=op.f('fk_agreements_standup_id_standups'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_agreements_team_id_workspaces'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreements')),
    sa.UniqueConstraint('kpi_id', name=op.f('uq_agreements_kpi_id')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.create_index('ix_agreements_next_at', ['next_at'], unique=False)
        batch_op.create_index('ix_agreements_team_id', ['team_id'], unique=False)

    op.create_table('agreement_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('value', sa.Double(), nullable=True),
    sa.Column('kept', sa.Integer(), nullable=False),
    sa.Column('broken', sa.Integer(), nullable=False),
    sa.Column('kpi_value_id', sa.Integer(), nullable=True),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'],
                            name=op.f('fk_agreement_days_agreement_id_agreements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['kpi_value_id'], ['kpi_values.id'],
                            name=op.f('fk_agreement_days_kpi_value_id_kpi_values'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_days')),
    sa.UniqueConstraint('agreement_id', 'day', name=op.f('uq_agreement_days_agreement_id_day'))
    )

    with op.batch_alter_table('feedback_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('triaged_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE feedback_items SET triaged_at = COALESCE(closed_at, updated_at) WHERE status <> 'new'")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite's own DROP COLUMN: batch mode's copy would drop 0014's and 0015's triggers.
        op.execute("ALTER TABLE feedback_items DROP COLUMN triaged_at")
    else:
        with op.batch_alter_table('feedback_items', schema=None) as batch_op:
            batch_op.drop_column('triaged_at')
    op.drop_table('agreement_days')
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.drop_index('ix_agreements_team_id')
        batch_op.drop_index('ix_agreements_next_at')
    op.drop_table('agreements')
