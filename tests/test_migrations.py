"""Migrations: up from empty on the test backend, and the models match the latest revision."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.db import create_engine
from bot.feedback.search import include_name
from bot.migrate import upgrade
from models import Base
from tests.conftest import Bot


def _diff(connection) -> list[object]:  # noqa: ANN001 - sync connection inside run_sync
    context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
    return list(compare_metadata(context, Base.metadata))


async def test_schema_matches_models(bot: Bot) -> None:
    """The session's database was migrated from empty; autogenerate must find nothing to do."""
    async with bot.rt.db.engine.connect() as conn:
        assert await conn.run_sync(_diff) == []
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"workspaces", "ops_admins", "processed_events", "deliveries", "schedules", "alembic_version"} <= tables


async def test_upgrade_from_empty_sqlite_file_and_again(tmp_path) -> None:  # noqa: ANN001
    url = f"sqlite+aiosqlite:///{tmp_path}/fresh/prodops.sqlite3"
    await upgrade(url)
    await upgrade(url)  # idempotent: nothing left to apply
    engine = create_engine(url)
    async with engine.connect() as conn:
        assert await conn.run_sync(_diff) == []
    await engine.dispose()
