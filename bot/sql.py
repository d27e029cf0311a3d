"""Dialect-aware statements the ORM does not spell portably."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Table

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase


async def insert_ignore(session: AsyncSession, model: type[DeclarativeBase], **values: Any) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True when this call inserted the row.

    A unique constraint is the arbiter, so concurrent callers (or replicas) get exactly one True.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = model.__table__  # type: ignore[attr-defined]
    for key, default in _defaults(table):  # Core inserts of a dict skip Python-side defaults
        if key not in values:
            values[key] = default.arg(None) if default.is_callable else default.arg
    result = await session.execute(insert(table).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)


@lru_cache(maxsize=None)
def _defaults(table: Table) -> tuple[tuple[str, Any], ...]:
    return tuple((c.key, c.default) for c in table.columns
                 if c.default is not None and (c.default.is_callable or c.default.is_scalar))
