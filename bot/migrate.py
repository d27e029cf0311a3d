"""Apply Alembic migrations programmatically (the bot does this before serving).

Several replicas starting at once each try to upgrade: on PostgreSQL the upgrade runs under a
session-level advisory lock on a fixed key, so one replica migrates while the others wait, then
find the schema at head and do nothing. The lock is held on a connection of its own and goes
with it (a replica killed mid-migration releases it; the migration's own transaction rolls back).
SQLite needs none: its file has one writer, and migrations take the write lock.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
# pg_advisory_lock's 64-bit key for "ProdOps Bot migrations": the bytes of "prodmigr". Fixed: every
# version of the bot must take the same lock.
MIGRATION_LOCK_KEY = int.from_bytes(b"prodmigr", "big") & 0x7FFF_FFFF_FFFF_FFFF

log = logging.getLogger(__name__)


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini")) if (ROOT / "alembic.ini").exists() else Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    config.attributes["configured_by_bot"] = True
    return config


def upgrade_sync(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


async def upgrade(database_url: str, revision: str = "head") -> None:
    """env.py runs its own event loop, so migrations run in a worker thread; on PostgreSQL
    under the migration lock."""
    if make_url(database_url).get_backend_name() != "postgresql":
        await asyncio.to_thread(upgrade_sync, database_url, revision)
        return
    from bot.db import create_engine

    engine = create_engine(database_url)
    try:
        async with engine.connect() as lock:
            got = await lock.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            if not got:
                log.info("another process is migrating the database; waiting for it to finish")
                await lock.scalar(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            await lock.commit()  # the lock is the session's, not the transaction's: nothing stays open
            try:
                await asyncio.to_thread(upgrade_sync, database_url, revision)
            finally:
                # A lost connection has released the lock already; the upgrade's own error stands.
                with contextlib.suppress(Exception):
                    await lock.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
                    await lock.commit()
    finally:
        await engine.dispose()
