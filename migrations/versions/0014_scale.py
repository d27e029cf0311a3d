"""Feedback at scale: a maintained vote count and durable export jobs.

`feedback_items.votes` counts the item's reporters. The database keeps it, with triggers on
feedback_reporters (insert, delete, and a move to another item), so every path that adds,
merges or removes a reporter keeps it right without knowing of it; it is filled for existing
rows here. On SQLite the triggers belong to feedback_reporters: a later migration that
rebuilds that table in batch mode must create them again (tests/test_migrations.py checks the
count against the reporters at head).

`export_jobs` holds each `/feedback export` from the moment it is asked, so a restart resumes it
and its file is delivered once.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 21:19:56.207671
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


SQLITE_TRIGGERS = (
    """CREATE TRIGGER feedback_reporters_votes_insert AFTER INSERT ON feedback_reporters
       BEGIN UPDATE feedback_items SET votes = votes + 1 WHERE id = NEW.item_id; END""",
    """CREATE TRIGGER feedback_reporters_votes_delete AFTER DELETE ON feedback_reporters
       BEGIN UPDATE feedback_items SET votes = votes - 1 WHERE id = OLD.item_id; END""",
    """CREATE TRIGGER feedback_reporters_votes_move AFTER UPDATE OF item_id ON feedback_reporters
       WHEN NEW.item_id IS NOT OLD.item_id
       BEGIN UPDATE feedback_items SET votes = votes - 1 WHERE id = OLD.item_id;
             UPDATE feedback_items SET votes = votes + 1 WHERE id = NEW.item_id; END""",
)
PG_FUNCTION = """CREATE OR REPLACE FUNCTION feedback_votes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.item_id IS NOT DISTINCT FROM OLD.item_id THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE feedback_items SET votes = votes + 1 WHERE id = NEW.item_id;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE feedback_items SET votes = votes - 1 WHERE id = OLD.item_id;
    END IF;
    RETURN NULL;
END $$"""
PG_TRIGGER = """CREATE TRIGGER feedback_reporters_votes AFTER INSERT OR DELETE OR UPDATE OF item_id
ON feedback_reporters FOR EACH ROW EXECUTE FUNCTION feedback_votes()"""


def upgrade() -> None:
    op.create_table('export_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'running', 'done', 'failed', name='exportstatus', native_enum=False, length=16), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=True),
    sa.Column('file_id', sa.String(length=32), nullable=True),
    sa.Column('error', sa.String(length=255), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_jobs'))
    )
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_export_jobs_status_lease_until', ['status', 'lease_until'], unique=False)

    with op.batch_alter_table('feedback_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('votes', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index('ix_feedback_items_team_id_votes_number', ['team_id', 'votes', 'number'], unique=False)

    op.execute("UPDATE feedback_items SET votes = (SELECT count(*) FROM feedback_reporters r "
               "WHERE r.item_id = feedback_items.id)")
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    else:
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)



def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "move"):
            op.execute(f"DROP TRIGGER IF EXISTS feedback_reporters_votes_{name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS feedback_reporters_votes ON feedback_reporters")
        op.execute("DROP FUNCTION IF EXISTS feedback_votes()")
    with op.batch_alter_table('feedback_items', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_items_team_id_votes_number')
        batch_op.drop_column('votes')

    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_export_jobs_status_lease_until')

    op.drop_table('export_jobs')
