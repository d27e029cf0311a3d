"""Dialect-aware statements the ORM does not spell portably."""
from __future__ import annotations

from typing import Any

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
    for column in table.columns:  # Python-side defaults are not applied by Core inserts of a dict
        if column.key not in values and column.default is not None and column.default.is_callable:
            values[column.key] = column.default.arg(None)
        elif column.key not in values and column.default is not None and column.default.is_scalar:
            values[column.key] = column.default.arg
    result = await session.execute(insert(table).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)
