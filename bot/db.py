"""Async engines and sessions: one unit of work per request or job, committed at the edge, and
read-only units of work that never wait for (or hold) the writer.

SQLite has one writer: the writer engine has one connection and takes the write lock at BEGIN.
Beside it, in WAL mode, a pool of read connections on the same file (deferred BEGIN, so a read
takes a snapshot and no lock; `query_only`, so a write there fails instead of queueing for the
lock). PostgreSQL has no single writer: reads use the same pool in READ ONLY transactions, and
a request reads on its own session (bot/edge.py `_reader`): one pooled connection per request,
so a burst larger than the pool queues instead of each holding one and waiting for a second.
"""
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


def _sqlite_query_only(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def _sqlite_begin_deferred(conn: Any) -> None:
    """A read's snapshot spans its whole transaction (several statements agree), lock-free in WAL."""
    conn.exec_driver_sql("BEGIN")


def _sqlite_begin_immediate(conn: Any) -> None:
    """Take SQLite's write lock at BEGIN: a deferred transaction that reads and then writes
    fails at once (SQLITE_BUSY, no busy wait) when another writer committed in between, which
    concurrent reactions do. Waiting at BEGIN serialises writers under busy_timeout instead."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")


DEFAULT_POOL_SIZE = 10  # PostgreSQL connections per process (DATABASE_POOL_SIZE); as many again may overflow
SQLITE_READERS = 4  # read connections beside SQLite's one writer


def _is_file_sqlite(url: str) -> bool:
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and bool(parsed.database) and parsed.database != ":memory:"


def create_engine(url: str, pool_size: int = DEFAULT_POOL_SIZE) -> AsyncEngine:
    """The writer engine (on PostgreSQL the only one; pool_size applies there)."""
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
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, connect_args={"timeout": 5}
    )


def create_read_engine(url: str, writer: AsyncEngine) -> AsyncEngine:
    """Where read-only units of work run. SQLite file: its own pool of query-only connections
    (WAL lets them read while the writer writes). PostgreSQL: the writer's pool, each
    transaction READ ONLY. SQLite in memory: the writer itself (another connection would be
    another, empty, database)."""
    if writer.dialect.name == "postgresql":
        return writer.execution_options(postgresql_readonly=True)
    if not _is_file_sqlite(url):
        return writer
    engine = create_async_engine(url, connect_args={"timeout": 5}, pool_size=SQLITE_READERS, max_overflow=0,
                                 pool_timeout=15)
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    event.listen(engine.sync_engine, "connect", _sqlite_query_only)
    event.listen(engine.sync_engine, "begin", _sqlite_begin_deferred)
    return engine


class Database:
    """Owns the engines; hands out sessions whose commit/rollback the caller's edge decides."""

    def __init__(self, url: str, pool_size: int = DEFAULT_POOL_SIZE) -> None:
        self.url = url
        self.engine = create_engine(url, pool_size)
        self.read_engine = create_read_engine(url, self.engine)
        self.sessions = async_sessionmaker(self.engine, class_=Session, expire_on_commit=False)
        self.read_sessions = async_sessionmaker(self.read_engine, class_=Session, expire_on_commit=False)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @property
    def reads_beside_writer(self) -> bool:
        """Whether a read session is a connection of its own (false only for SQLite in memory,
        where a request must read on its writer session instead of waiting for itself)."""
        return self.read_engine is not self.engine

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

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Session]:
        """A unit of work that only reads: rolled back at the end, never the write lock, never
        waits for a writer (a write inside it fails: query_only / READ ONLY)."""
        async with self.read_sessions() as session:
            try:
                yield session
            finally:
                await session.rollback()

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        if self.reads_beside_writer and self.backend == "sqlite":
            await self.read_engine.dispose()
        await self.engine.dispose()
