"""The filing's writes in as few statements and hops as each backend allows (issue 16).

A filing is the ack path's one write, so it skips the ORM's unit of work: the item, its first
reporter and its tags are Core statements whose SQL is built once per table shape and cached.

- PostgreSQL: one statement files a new item: data-modifying CTEs take the workspace's next
  number (the UPDATE's row lock serialises filing per workspace, as `_lock_workspace` did),
  insert the item, its reporter and its tags. Looking a message's item up takes the same lock
  first (`FOR UPDATE` of the workspace row), then reads in a snapshot taken after it.
- SQLite: the statements of one filing run in one call on aiosqlite's worker thread (the
  driver's `sqlite3` connection used directly), instead of one thread hop per cursor call;
  the transaction is the request's own (BEGIN IMMEDIATE already holds the one write lock).

`feedback_items.votes` is the triggers' (migration 0014): never written here. What the ORM
session later needs of a new item (a triage in the same unit of work) is given to it as a
clean persistent instance, with no SELECT.
"""
from __future__ import annotations

import enum
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from bot import clock
from models.feedback import CaptureState, FeedbackItem, FeedbackReporter, FeedbackSource

ITEMS: Table = FeedbackItem.__table__  # type: ignore[assignment]
NEVER_WRITTEN = frozenset({"id", "votes", "number"})  # the key, the triggers' count, the statement's number


@dataclass(frozen=True)
class Stored:
    """What a filing's caller needs of the item, read without loading it."""

    id: int
    number: int
    text: str
    capture_state: CaptureState
    merged_into_id: int | None = None


def _is_sqlite(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _item_values(team_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Every column the INSERT writes, with the model's defaults for those not given."""
    values: dict[str, Any] = {}
    for column in ITEMS.columns:
        key = column.key
        if key in NEVER_WRITTEN:
            continue
        if key in fields:
            values[key] = fields[key]
        elif column.default is not None and column.default.is_callable:
            values[key] = column.default.arg(None)
        elif column.default is not None and column.default.is_scalar:
            values[key] = column.default.arg
        else:
            values[key] = None
    values.update((key, value) for key, value in fields.items() if key not in values)  # loud if no such column
    values["team_id"] = team_id
    return values


def attach(session: AsyncSession, item_id: int, values: dict[str, Any]) -> FeedbackItem:
    """The new row as a clean persistent ORM instance (every column known, nothing to load)."""
    item = FeedbackItem(id=item_id, votes=1, **values)
    make_transient_to_detached(item)
    session.add(item)
    return item


async def create(session: AsyncSession, team_id: str, reporter: str, source: FeedbackSource,
                 tags: tuple[str, ...], **fields: Any) -> tuple[int, dict[str, Any]]:
    """Insert a new item with its next number, its reporter and its tags; (id, values written)."""
    now = clock.now()
    values = _item_values(team_id, {"source": source, "created_by": reporter, "created_at": now,
                                    "updated_at": now, **fields})
    tags = tuple(dict.fromkeys(tags))
    reporter_row = {"team_id": team_id, "user_id": reporter, "source": source, "created_at": now, "updated_at": now}
    if _is_sqlite(session):
        item_id, number = await _on_sqlite_thread(session, _sqlite_create, _sqlite_params(session, values),
                                                  _sqlite_params(session, reporter_row, FeedbackReporter.__table__),
                                                  tags)
    else:
        item_id, number = await _pg_create(session, values, reporter_row, tags)
    values["number"] = number
    return item_id, values


async def find_message(session: AsyncSession, team_id: str, channel_id: str, message_ts: str) -> Stored | None:
    """The item filed from this message, if any, under the workspace's filing lock (PostgreSQL:
    the workspace row, locked in the same statement; SQLite: the transaction's write lock)."""
    if _is_sqlite(session):
        return await _on_sqlite_thread(session, _sqlite_find, team_id, channel_id, message_ts)
    conn = await session.connection()
    # Two statements: the lock first, then the look-up in a snapshot taken after it. In one
    # statement, a filing that held the lock meanwhile and committed this message's item stayed
    # invisible (READ COMMITTED re-reads only the locked row after the wait, not the joined
    # ones), so two people reacting at once both inserted it and one failed on the unique key.
    if (await conn.execute(_PG_LOCK, {"team_id": team_id})).first() is None:
        return None
    row = (await conn.execute(_PG_FIND, {"team_id": team_id, "channel_id": channel_id,
                                         "message_ts": message_ts})).first()
    return _stored(row) if row is not None else None


async def add_reporter(session: AsyncSession, team_id: str, item_id: int, reporter: str,
                       source: FeedbackSource) -> bool:
    """One vote per person per item (the unique constraint arbitrates): True when added."""
    now = clock.now()
    row = {"team_id": team_id, "item_id": item_id, "user_id": reporter, "source": source,
           "created_at": now, "updated_at": now}
    if _is_sqlite(session):
        params = _sqlite_params(session, row, FeedbackReporter.__table__)
        return await _on_sqlite_thread(session, _sqlite_vote, params)
    conn = await session.connection()
    # RETURNING says whether the row went in (asyncpg's rowcount for a skipped conflict is not
    # reliable through SQLAlchemy's text() statements).
    return (await conn.execute(_PG_VOTE, {**row, "source": source.value})).first() is not None


def _stored(row: Any) -> Stored:
    return Stored(int(row[0]), int(row[1]), row[2] or "", CaptureState(row[3]), row[4])


# -- SQLite: one hop on aiosqlite's thread per call ----------------------------------------

async def _on_sqlite_thread(session: AsyncSession, fn: Callable[..., Any], *args: Any) -> Any:
    """Run `fn(sqlite3_connection, *args)` on the writer connection's own thread, inside the
    request's transaction (opened first, so its BEGIN IMMEDIATE has run)."""
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    aio = raw.driver_connection  # aiosqlite.Connection
    return await aio._execute(lambda: fn(aio._conn, *args))


@lru_cache(maxsize=None)
def _processors(dialect: Dialect, table: Table) -> dict[str, Callable[[Any], Any] | None]:
    """Each column's bind processor for this dialect (UTC datetimes, enums as their values)."""
    # dialect_impl: a TypeDecorator's own processor alone leaves SQLite's datetime formatting out,
    # and an aware datetime would be stored in sqlite3's format, not the ORM's (so comparisons
    # with every other stored instant were wrong by the format)
    return {c.key: c.type.dialect_impl(dialect).bind_processor(dialect) for c in table.columns}


def _sqlite_params(session: AsyncSession, values: dict[str, Any], table: Table = ITEMS) -> dict[str, Any]:
    processors = _processors(session.get_bind().dialect, table)
    out: dict[str, Any] = {}
    for key, value in values.items():
        process = processors.get(key)
        out[key] = process(value) if process is not None and value is not None else value
    return out


@lru_cache(maxsize=None)
def _sqlite_insert_sql(table_name: str, columns: tuple[str, ...], returning: str = "") -> str:
    names = ", ".join(columns)
    marks = ", ".join(f":{c}" for c in columns)
    sql = f"INSERT INTO {table_name} ({names}) VALUES ({marks})"
    return f"{sql} RETURNING {returning}" if returning else sql


_SQLITE_NEXT_NUMBER = ("UPDATE workspaces SET feedback_seq = feedback_seq + 1 WHERE team_id = ? "
                       "RETURNING feedback_seq")
_SQLITE_TAG = "INSERT INTO feedback_tags (team_id, item_id, tag) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
_SQLITE_FIND = ("SELECT id, number, text, capture_state, merged_into_id FROM feedback_items "
                "WHERE team_id = ? AND channel_id = ? AND message_ts = ?")


def _sqlite_create(conn: sqlite3.Connection, item: dict[str, Any], reporter: dict[str, Any],
                   tags: tuple[str, ...]) -> tuple[int, int]:
    row = conn.execute(_SQLITE_NEXT_NUMBER, (item["team_id"],)).fetchone()
    if row is None:
        raise LookupError(f"no workspace {item['team_id']} to number feedback in")
    item = {**item, "number": int(row[0])}
    item_id = int(conn.execute(_sqlite_insert_sql("feedback_items", tuple(item), "id"), item).fetchone()[0])
    reporter = {**reporter, "item_id": item_id}
    conn.execute(_sqlite_insert_sql("feedback_reporters", tuple(reporter)), reporter)
    if tags:
        conn.executemany(_SQLITE_TAG, [(item["team_id"], item_id, tag) for tag in tags])
    return item_id, item["number"]


def _sqlite_find(conn: sqlite3.Connection, team_id: str, channel_id: str, message_ts: str) -> Stored | None:
    row = conn.execute(_SQLITE_FIND, (team_id, channel_id, message_ts)).fetchone()
    return _stored(row) if row is not None else None


def _sqlite_vote(conn: sqlite3.Connection, reporter: dict[str, Any]) -> bool:
    sql = _sqlite_insert_sql("feedback_reporters", tuple(reporter)) + " ON CONFLICT DO NOTHING"
    return conn.execute(sql, reporter).rowcount == 1


# -- PostgreSQL: one round trip per step, statements compiled once --------------------------

_PG_LOCK = text("SELECT team_id FROM workspaces WHERE team_id = :team_id FOR UPDATE")
_PG_FIND = text("SELECT id, number, text, capture_state, merged_into_id FROM feedback_items "
                "WHERE team_id = :team_id AND channel_id = :channel_id AND message_ts = :message_ts")
_PG_VOTE = text(
    "INSERT INTO feedback_reporters (team_id, item_id, user_id, source, created_at, updated_at) "
    "VALUES (:team_id, :item_id, :user_id, :source, :created_at, :updated_at) ON CONFLICT DO NOTHING RETURNING id"
)


@lru_cache(maxsize=None)
def _pg_create_statement(columns: tuple[str, ...]) -> Any:
    item_columns = ", ".join((*columns, "number"))
    item_values = ", ".join((*(f":i_{c}" for c in columns), "(SELECT feedback_seq FROM seq)"))
    return text(
        "WITH seq AS (UPDATE workspaces SET feedback_seq = feedback_seq + 1 WHERE team_id = :i_team_id "
        "RETURNING feedback_seq), "
        f"item AS (INSERT INTO feedback_items ({item_columns}) VALUES ({item_values}) RETURNING id, number, team_id), "
        "reporter AS (INSERT INTO feedback_reporters (team_id, item_id, user_id, source, created_at, updated_at) "
        "VALUES (:i_team_id, (SELECT id FROM item), :r_user_id, :r_source, :r_created_at, :r_updated_at)), "
        "tags AS (INSERT INTO feedback_tags (team_id, item_id, tag) SELECT item.team_id, item.id, t "
        "FROM item, unnest(CAST(:tags AS VARCHAR[])) AS t ON CONFLICT DO NOTHING) "
        "SELECT id, number FROM item"
    )


def _pg_value(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


async def _pg_create(session: AsyncSession, item: dict[str, Any], reporter: dict[str, Any],
                     tags: tuple[str, ...]) -> tuple[int, int]:
    params = {f"i_{k}": _pg_value(v) for k, v in item.items()}
    params.update({f"r_{k}": _pg_value(v) for k, v in reporter.items() if k != "team_id"})
    params["tags"] = list(tags)
    conn = await session.connection()
    row = (await conn.execute(_pg_create_statement(tuple(item)), params)).one()
    return int(row[0]), int(row[1])

