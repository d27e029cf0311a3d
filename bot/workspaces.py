"""Workspace records: created on first contact, holding the timezone and the ops admins."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.sql import insert_ignore
from bot.text import escape
from models.workspace import OpsAdmin, Workspace


@dataclass(frozen=True)
class WorkspaceInfo:
    """What listeners read about their workspace; a snapshot, cached briefly per process."""

    team_id: str
    name: str
    timezone: str
    settings: dict[str, Any]

    @classmethod
    def of(cls, row: Workspace) -> "WorkspaceInfo":
        return cls(row.team_id, row.name, row.timezone, dict(row.settings or {}))


class WorkspaceCache:
    """Saves a query on every request. Changes made here are forgotten at once (after their
    commit); another replica's changes show within the TTL."""

    def __init__(self, ttl: float = 30.0) -> None:
        self._ttl = ttl
        self._rows: dict[str, tuple[float, WorkspaceInfo]] = {}

    def get(self, team_id: str) -> WorkspaceInfo | None:
        hit = self._rows.get(team_id)
        return hit[1] if hit and hit[0] > time.monotonic() else None

    def put(self, info: WorkspaceInfo) -> None:
        self._rows[info.team_id] = (time.monotonic() + self._ttl, info)

    def forget(self, team_id: str) -> None:
        self._rows.pop(team_id, None)


async def ensure_workspace(session: AsyncSession, team_id: str, name: str = "") -> Workspace:
    workspace = await session.get(Workspace, team_id)
    if workspace is None:
        await insert_ignore(session, Workspace, team_id=team_id, name=name, timezone="UTC", settings={})
        workspace = await session.get(Workspace, team_id)
        assert workspace is not None
    return workspace


def validate_timezone(name: str) -> str:
    name = name.strip()
    if not name or name not in available_timezones():
        raise UserError(
            f"`{escape(name) or ' '}` is not an IANA timezone name. Try one like `Europe/Berlin`, "
            "`America/New_York` or `UTC`."
        )
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"`{escape(name)}` is not a timezone this server knows.") from None
    return name


async def set_timezone(session: AsyncSession, team_id: str, name: str) -> str:
    workspace = await ensure_workspace(session, team_id)
    workspace.timezone = validate_timezone(name)
    await session.flush()
    return workspace.timezone


async def update_settings(session: AsyncSession, team_id: str, **changes: Any) -> None:
    workspace = await ensure_workspace(session, team_id)
    workspace.settings = {**(workspace.settings or {}), **changes}
    await session.flush()


async def list_ops_admins(session: AsyncSession, team_id: str) -> list[str]:
    rows = await session.scalars(
        select(OpsAdmin.user_id).where(OpsAdmin.team_id == team_id).order_by(OpsAdmin.created_at)
    )
    return list(rows)


async def is_ops_admin(session: AsyncSession, team_id: str, user_id: str) -> bool:
    return await session.get(OpsAdmin, (team_id, user_id)) is not None


async def add_ops_admin(session: AsyncSession, team_id: str, user_id: str, added_by: str) -> bool:
    """True when the user was not an ops admin before."""
    return await insert_ignore(session, OpsAdmin, team_id=team_id, user_id=user_id, added_by=added_by)


async def remove_ops_admin(session: AsyncSession, team_id: str, user_id: str) -> bool:
    result = await session.execute(
        delete(OpsAdmin).where(OpsAdmin.team_id == team_id, OpsAdmin.user_id == user_id)
    )
    return bool(result.rowcount)
