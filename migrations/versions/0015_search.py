"""Feedback search through a text index: `feedback_items.search_doc` and its index.

`search_doc` is the item's searchable text (text, customer, product area, tags) normalized in
Python (bot/feedback/search.py `document` and `refresh`: with the text, customer and area of
the items merged into it; a frozen copy of it is here, since a migration must
not change when the app does), so both backends tokenize the same string the same way.

SQLite: an FTS5 external-content table `feedback_fts` over it, kept by triggers on
feedback_items (insert, delete, an update of search_doc). The triggers belong to
feedback_items: a later migration that rebuilds that table in batch mode must create them
again and rebuild the index. PostgreSQL: a GIN index on to_tsvector('simple', search_doc).
alembic autogenerate does not see either (migrations/env.py `include_name`).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 21:40:00
"""
from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000

SQLITE = (
    """CREATE VIRTUAL TABLE feedback_fts USING fts5(search_doc, content='feedback_items', content_rowid='id',
       tokenize='unicode61 remove_diacritics 0')""",
    """CREATE TRIGGER feedback_items_fts_insert AFTER INSERT ON feedback_items
       BEGIN INSERT INTO feedback_fts(rowid, search_doc) VALUES (NEW.id, NEW.search_doc); END""",
    """CREATE TRIGGER feedback_items_fts_delete AFTER DELETE ON feedback_items
       BEGIN INSERT INTO feedback_fts(feedback_fts, rowid, search_doc) VALUES ('delete', OLD.id, OLD.search_doc); END""",
    """CREATE TRIGGER feedback_items_fts_update AFTER UPDATE OF search_doc ON feedback_items
       BEGIN INSERT INTO feedback_fts(feedback_fts, rowid, search_doc) VALUES ('delete', OLD.id, OLD.search_doc);
             INSERT INTO feedback_fts(rowid, search_doc) VALUES (NEW.id, NEW.search_doc); END""",
    "INSERT INTO feedback_fts(feedback_fts) VALUES ('rebuild')",
)
PG_INDEX = ("CREATE INDEX ix_feedback_items_search_doc ON feedback_items "
            "USING gin (to_tsvector('simple', search_doc))")


def _normalize(text: str | None) -> str:
    """bot/feedback/search.py `normalize` as of this revision."""
    if not text:
        return ""
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")  # Slack's escapes are not words
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(ch if ch.isalnum() else " " for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(kept.split())


def _backfill() -> None:
    bind = op.get_bind()
    items = sa.table("feedback_items", sa.column("id", sa.Integer), sa.column("text", sa.Text),
                     sa.column("customer", sa.String), sa.column("product_area", sa.String),
                     sa.column("search_doc", sa.Text),
                     sa.column("merged_into_id", sa.Integer), sa.column("number", sa.Integer))
    tags = sa.table("feedback_tags", sa.column("item_id", sa.Integer), sa.column("tag", sa.String))
    after = 0
    while rows := bind.execute(sa.select(items.c.id, items.c.text, items.c.customer, items.c.product_area)
                               .where(items.c.id > after).order_by(items.c.id).limit(BATCH)).all():
        ids = [r.id for r in rows]
        tagged: dict[int, list[str]] = {i: [] for i in ids}
        for item_id, tag in bind.execute(sa.select(tags.c.item_id, tags.c.tag).where(tags.c.item_id.in_(ids))
                                         .order_by(tags.c.item_id, tags.c.tag)).all():
            tagged[item_id].append(tag)
        for into, *fields in bind.execute(
                sa.select(items.c.merged_into_id, items.c.text, items.c.customer, items.c.product_area)
                .where(items.c.merged_into_id.in_(ids)).order_by(items.c.merged_into_id, items.c.number)).all():
            tagged[into] += [f for f in fields if f]
        bind.execute(items.update().where(items.c.id == sa.bindparam("b_id"))
                     .values(search_doc=sa.bindparam("b_doc")),
                     [{"b_id": r.id, "b_doc": _normalize(" ".join(
                         p for p in (r.text, r.customer, r.product_area, *tagged[r.id]) if p))} for r in rows])
        after = ids[-1]


def upgrade() -> None:
    with op.batch_alter_table('feedback_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_doc', sa.Text(), server_default='', nullable=False))
    _backfill()
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE:
            op.execute(statement)
    else:
        op.execute(PG_INDEX)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS feedback_items_fts_{name}")
        op.execute("DROP TABLE IF EXISTS feedback_fts")
        # SQLite's own DROP COLUMN (3.35+), not batch mode's copy-and-rename: renaming a copy
        # into feedback_items fails while 0014's vote triggers on feedback_reporters name it.
        op.execute("ALTER TABLE feedback_items DROP COLUMN search_doc")
        return
    op.execute("DROP INDEX IF EXISTS ix_feedback_items_search_doc")
    with op.batch_alter_table('feedback_items', schema=None) as batch_op:
        batch_op.drop_column('search_doc')
