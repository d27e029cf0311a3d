"""Links between features: the launch that ships a feedback item (and what to tell its reporters),
when a launch was launched, and the launches a KPI is watched for.

Launches decided go whose day is already past are marked launched as of now, so the first tick
after the upgrade has nothing to do for them (nothing was linked to them before).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 19:57:07.110535
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('kpi_launches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('kpi_id', sa.Integer(), nullable=False),
    sa.Column('launch_id', sa.Integer(), nullable=False),
    sa.Column('linked_by', sa.String(length=32), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['kpi_id'], ['kpis.id'], name=op.f('fk_kpi_launches_kpi_id_kpis'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['launch_id'], ['launches.id'], name=op.f('fk_kpi_launches_launch_id_launches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_launches')),
    sa.UniqueConstraint('kpi_id', 'launch_id', name=op.f('uq_kpi_launches_kpi_id_launch_id'))
    )
    with op.batch_alter_table('kpi_launches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kpi_launches_launch_id'), ['launch_id'], unique=False)

    with op.batch_alter_table('feedback_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('launch_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ship_note', sa.Text(), nullable=True))
        batch_op.create_index('ix_feedback_items_launch_id', ['launch_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_feedback_items_launch_id_launches'), 'launches', ['launch_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('launches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('launched_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_launches_decision_launched_at_launch_date', ['decision', 'launched_at', 'launch_date'], unique=False)

    launches = sa.table('launches', sa.column('decision', sa.String), sa.column('launch_date', sa.Date),
                        sa.column('launched_at', sa.DateTime(timezone=True)))
    now = datetime.now(UTC)
    op.execute(launches.update().where(launches.c.decision == 'go', launches.c.launch_date < now.date())
               .values(launched_at=now))



def downgrade() -> None:
    with op.batch_alter_table('launches', schema=None) as batch_op:
        batch_op.drop_index('ix_launches_decision_launched_at_launch_date')
        batch_op.drop_column('launched_at')

    with op.batch_alter_table('feedback_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_feedback_items_launch_id_launches'), type_='foreignkey')
        batch_op.drop_index('ix_feedback_items_launch_id')
        batch_op.drop_column('ship_note')
        batch_op.drop_column('launch_id')

    with op.batch_alter_table('kpi_launches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kpi_launches_launch_id'))

    op.drop_table('kpi_launches')
