"""PostgreSQL search: a stored tsvector beside `search_doc`, and statistics for the planner.

Measured at 100,000 items (bench/RESULTS.md, issue 20): with 0015's expression index, every
row the planner looked at outside the index (a `@@` filter while reading the primary key
backwards, or the bitmap heap scan's recheck) ran `to_tsvector` again: a common word's search
cost 90-110 ms, a rarer one's 96 ms. A generated, stored `search_tsv` is parsed once, when
search_doc is written, and the GIN index moves to it (0.4 / 6.7 / 0.07 ms for a common, a
rare and an absent word). ANALYZE gives the planner the column's lexeme statistics at once
(without them it guessed 2,000 rows for a word in 95,000 and sorted them all).

SQLite: nothing (FTS5 holds its own index, migration 0015). Neither the column nor its index
is in the models; alembic autogenerate skips them (bot/feedback/search.py `include_name`).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 01:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op


revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("ALTER TABLE feedback_items ADD COLUMN search_tsv tsvector "
               "GENERATED ALWAYS AS (to_tsvector('simple', search_doc)) STORED")
    op.execute("CREATE INDEX ix_feedback_items_search_tsv ON feedback_items USING gin (search_tsv)")
    op.execute("DROP INDEX IF EXISTS ix_feedback_items_search_doc")
    op.execute("ANALYZE feedback_items")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("CREATE INDEX IF NOT EXISTS ix_feedback_items_search_doc ON feedback_items "
               "USING gin (to_tsvector('simple', search_doc))")
    op.execute("DROP INDEX IF EXISTS ix_feedback_items_search_tsv")
    op.execute("ALTER TABLE feedback_items DROP COLUMN IF EXISTS search_tsv")
