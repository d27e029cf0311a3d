"""User text in one representation (bot/usertext.py): Slack's format, normalised.

Rows stored before this held whichever form arrived: Slack's (messages, slash commands) or raw
characters (modal inputs). A value that cannot be Slack's (a bare `&`, `<` or `>`, or a `<…>`
that is no Slack token) was typed: all of it is escaped, so a typed `<https://evil|bank>` next
to it stays text. Any other value is normalised as Slack's (`from_slack`, idempotent), so the
migration can run over rows it has already converted. A typed value whose every `<…>` happens
to be valid token syntax (only `<!here>`, say) cannot be told from Slack's own: it is read as
Slack's, which renders a broadcast as inert text, never as a ping.

Columns holding user text are widened, since the stored form is longer than what was typed.

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.usertext import from_slack, from_typed, looks_like_slack

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WIDER = {
    'feedback_items': [('customer', 255, 1200), ('product_area', 100, 500)],
    'launches': [('name', 80, 400), ('name_key', 80, 400), ('template_name', 80, 400)],
    'launch_templates': [('name', 80, 400), ('name_key', 80, 400)],
    'launch_items': [('title', 150, 800)],
}
TEXT_COLUMNS = {
    'feedback_items': ('id', ['text', 'customer', 'product_area', 'outcome_note']),
    'feedback_reporters': ('id', ['details']),
    'launches': ('id', ['name']),
    'launch_templates': ('id', ['name']),
    'launch_items': ('id', ['title']),
    'launch_audit': ('id', ['detail']),
}


def upgrade() -> None:
    for table, columns in WIDER.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, old, new in columns:
                batch_op.alter_column(column, existing_type=sa.String(length=old), type_=sa.String(length=new),
                                      existing_nullable=column in ('customer', 'product_area'))
    bind = op.get_bind()
    for table, (key, columns) in TEXT_COLUMNS.items():
        _normalise(bind, table, key, columns)
    _normalise_keys(bind, 'launches')
    _normalise_keys(bind, 'launch_templates')
    _normalise_template_items(bind)


def _one_form(value: str) -> str:
    return from_slack(value) if looks_like_slack(value) else from_typed(value)


PAGE = 1000  # rows read at a time: 100,000 feedback items never sit in memory at once


def _normalise(bind: sa.engine.Connection, table: str, key: str, columns: list[str]) -> None:
    t = sa.table(table, sa.column(key), *(sa.column(c) for c in columns))
    last = None
    while True:
        query = sa.select(t).order_by(t.c[key]).limit(PAGE)
        rows = bind.execute(query if last is None else query.where(t.c[key] > last)).mappings().all()
        for row in rows:
            changed = {c: _one_form(row[c]) for c in columns if row[c] is not None and _one_form(row[c]) != row[c]}
            if changed:
                bind.execute(t.update().where(t.c[key] == row[key]).values(**changed))
        if len(rows) < PAGE:
            return
        last = rows[-1][key]


def _normalise_keys(bind: sa.engine.Connection, table: str) -> None:
    """name_key is the lower-cased name; a key another row already holds stays as it was."""
    t = sa.table(table, sa.column('id'), sa.column('team_id'), sa.column('name'), sa.column('name_key'))
    rows = bind.execute(sa.select(t)).mappings().all()
    taken = {(r['team_id'], r['name_key']) for r in rows}
    for row in rows:
        key = " ".join(row['name'].split()).lower()
        if key != row['name_key'] and (row['team_id'], key) not in taken:
            bind.execute(t.update().where(t.c.id == row['id']).values(name_key=key))
            taken.add((row['team_id'], key))


def _normalise_template_items(bind: sa.engine.Connection) -> None:
    t = sa.table('launch_templates', sa.column('id'), sa.column('items', sa.JSON()))
    for row in bind.execute(sa.select(t)).mappings().all():
        items = [dict(item, title=_one_form(str(item.get('title', '')))) for item in row['items'] or []]
        if items != (row['items'] or []):
            bind.execute(t.update().where(t.c.id == row['id']).values(items=items))


def downgrade() -> None:
    # The text stays in the one representation (it renders right with the old code's escaping
    # for everything but entities); only the column widths go back, where the data allows.
    for table, columns in WIDER.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, old, new in columns:
                batch_op.alter_column(column, existing_type=sa.String(length=new), type_=sa.String(length=old),
                                      existing_nullable=column in ('customer', 'product_area'))
