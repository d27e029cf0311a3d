"""Feedback items, reporters (votes), tags; the per-workspace feedback number sequence.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 00:27:24.882878
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('feedback_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('customer', sa.String(length=255), nullable=True),
    sa.Column('product_area', sa.String(length=100), nullable=True),
    sa.Column('importance', sa.Enum('low', 'medium', 'high', 'critical', name='importance', native_enum=False, length=16), nullable=True),
    sa.Column('status', sa.Enum('new', 'triaged', 'planned', 'shipped', 'declined', 'merged', name='feedbackstatus', native_enum=False, length=16), nullable=False),
    sa.Column('capture_state', sa.Enum('pending', 'ready', name='capturestate', native_enum=False, length=16), nullable=False),
    sa.Column('source', sa.Enum('reaction', 'shortcut', 'command', name='feedbacksource', native_enum=False, length=16), nullable=False),
    sa.Column('channel_id', sa.String(length=32), nullable=True),
    sa.Column('message_ts', sa.String(length=32), nullable=True),
    sa.Column('author_id', sa.String(length=32), nullable=True),
    sa.Column('permalink', sa.String(length=512), nullable=True),
    sa.Column('created_by', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.String(length=32), nullable=True),
    sa.Column('outcome_note', sa.Text(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merged_into_id'], ['feedback_items.id'], name=op.f('fk_feedback_items_merged_into_id_feedback_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_feedback_items_team_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_items')),
    sa.UniqueConstraint('team_id', 'channel_id', 'message_ts', name=op.f('uq_feedback_items_team_id_channel_id_message_ts')),
    sa.UniqueConstraint('team_id', 'number', name=op.f('uq_feedback_items_team_id_number'))
    )
    with op.batch_alter_table('feedback_items', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_items_capture_state_created_at', ['capture_state', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_items_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_index('ix_feedback_items_team_id_status_created_at', ['team_id', 'status', 'created_at'], unique=False)

    op.create_table('feedback_reporters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('source', sa.Enum('reaction', 'shortcut', 'command', name='feedbacksource', native_enum=False, length=16), nullable=False),
    sa.Column('details', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['feedback_items.id'], name=op.f('fk_feedback_reporters_item_id_feedback_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_reporters')),
    sa.UniqueConstraint('item_id', 'user_id', name=op.f('uq_feedback_reporters_item_id_user_id'))
    )
    with op.batch_alter_table('feedback_reporters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_reporters_item_id'), ['item_id'], unique=False)

    op.create_table('feedback_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['feedback_items.id'], name=op.f('fk_feedback_tags_item_id_feedback_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_tags')),
    sa.UniqueConstraint('item_id', 'tag', name=op.f('uq_feedback_tags_item_id_tag'))
    )
    with op.batch_alter_table('feedback_tags', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_tags_team_id_tag', ['team_id', 'tag'], unique=False)

    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feedback_seq', sa.Integer(), server_default='0', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.drop_column('feedback_seq')

    with op.batch_alter_table('feedback_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_tags_team_id_tag')

    op.drop_table('feedback_tags')
    with op.batch_alter_table('feedback_reporters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_reporters_item_id'))

    op.drop_table('feedback_reporters')
    with op.batch_alter_table('feedback_items', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_items_team_id_status_created_at')
        batch_op.drop_index(batch_op.f('ix_feedback_items_merged_into_id'))
        batch_op.drop_index('ix_feedback_items_capture_state_created_at')

    op.drop_table('feedback_items')
