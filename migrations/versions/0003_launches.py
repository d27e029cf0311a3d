"""Launch checklists: templates, launches, items and their audit trail.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 00:34:22.736130
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('launch_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('name_key', sa.String(length=80), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_launch_templates_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_launch_templates')),
    sa.UniqueConstraint('team_id', 'name_key', name=op.f('uq_launch_templates_team_id_name_key'))
    )
    op.create_table('launches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('name_key', sa.String(length=80), nullable=False),
    sa.Column('launch_date', sa.Date(), nullable=False),
    sa.Column('channel_id', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.String(length=32), nullable=False),
    sa.Column('template_name', sa.String(length=80), nullable=False),
    sa.Column('message_ts', sa.String(length=32), nullable=True),
    sa.Column('decision', sa.Enum('go', 'no_go', name='decision', native_enum=False, length=8), nullable=True),
    sa.Column('decided_by', sa.String(length=32), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_launches_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_launches')),
    sa.UniqueConstraint('team_id', 'name_key', name=op.f('uq_launches_team_id_name_key'))
    )
    with op.batch_alter_table('launches', schema=None) as batch_op:
        batch_op.create_index('ix_launches_team_id_launch_date', ['team_id', 'launch_date'], unique=False)

    op.create_table('launch_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('launch_id', sa.Integer(), nullable=False),
    sa.Column('function', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=150), nullable=False),
    sa.Column('offset_days', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.String(length=32), nullable=True),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('done_by', sa.String(length=32), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['launch_id'], ['launches.id'], name=op.f('fk_launch_items_launch_id_launches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_launch_items'))
    )
    with op.batch_alter_table('launch_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_launch_items_launch_id'), ['launch_id'], unique=False)
        batch_op.create_index('ix_launch_items_team_id_owner_id_done', ['team_id', 'owner_id', 'done'], unique=False)

    op.create_table('launch_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('launch_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['launch_items.id'], name=op.f('fk_launch_audit_item_id_launch_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['launch_id'], ['launches.id'], name=op.f('fk_launch_audit_launch_id_launches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_launch_audit'))
    )
    with op.batch_alter_table('launch_audit', schema=None) as batch_op:
        batch_op.create_index('ix_launch_audit_launch_id_at', ['launch_id', 'at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('launch_audit', schema=None) as batch_op:
        batch_op.drop_index('ix_launch_audit_launch_id_at')

    op.drop_table('launch_audit')
    with op.batch_alter_table('launch_items', schema=None) as batch_op:
        batch_op.drop_index('ix_launch_items_team_id_owner_id_done')
        batch_op.drop_index(batch_op.f('ix_launch_items_launch_id'))

    op.drop_table('launch_items')
    with op.batch_alter_table('launches', schema=None) as batch_op:
        batch_op.drop_index('ix_launches_team_id_launch_date')

    op.drop_table('launches')
    op.drop_table('launch_templates')
