"""Async engine and sessions: one unit of work per request or job, committed at the edge."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


class Session(AsyncSession):
    """An AsyncSession that Bolt's lazy-listener request copy skips instead of deep-copying."""

    def __deepcopy__(self, memo: dict[int, Any]) -> "Session":
        raise TypeError("a database session belongs to one request")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (below) instead of the driver's implicit, deferred one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # SQLite's lower() (and so ILIKE) folds ASCII only: "Ärger" would never find "ärger" while
    # PostgreSQL finds it. Python's str.lower gives both backends the same answer.
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _sqlite_begin_immediate(conn: Any) -> None:
    """Take SQLite's write lock at BEGIN: a deferred transaction that reads and then writes
    fails at once (SQLITE_BUSY, no busy wait) when another writer committed in between, which
    concurrent reactions do. Waiting at BEGIN serialises writers under busy_timeout instead."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # One connection: SQLite has one writer anyway, and waiting for it in asyncio's queue is
        # fair and prompt, while waiting in SQLite's busy handler sleeps in growing steps (up to
        # 100 ms) with the event loop idle. Nothing may open a second unit of work while
        # holding one, or it would wait for itself (pool_timeout turns that into an error).
        engine = create_async_engine(url, connect_args={"timeout": 5}, pool_size=1, max_overflow=0,
                                     pool_timeout=15)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_async_engine(
        url, pool_size=10, max_overflow=10, pool_pre_ping=True, connect_args={"timeout": 5}
    )


class Database:
    """Owns the engine; hands out sessions whose commit/rollback the caller's edge decides."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.sessions = async_sessionmaker(self.engine, class_=Session, expire_on_commit=False)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[Session]:
        """Commit when the block ends normally, roll back when it raises."""
        async with self.sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()
