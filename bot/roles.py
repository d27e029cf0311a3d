"""Who may do what: Slack admins/owners (users.info, cached briefly) and configured ops admins."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import PermissionDenied
from bot.workspaces import is_ops_admin

log = logging.getLogger(__name__)

CACHE_SECONDS = 300.0


@dataclass(frozen=True)
class SlackUser:
    id: str
    name: str
    tz: str
    is_admin: bool
    is_owner: bool
    is_bot: bool
    deleted: bool


class UserDirectory:
    """users.info with a short cache: role checks must not cost a Slack call per click."""

    def __init__(self, ttl: float = CACHE_SECONDS) -> None:
        self._ttl = ttl
        self._cache: dict[tuple[str, str], tuple[float, SlackUser]] = {}

    async def get(self, client: AsyncWebClient, team_id: str, user_id: str) -> SlackUser:
        now = time.monotonic()
        hit = self._cache.get((team_id, user_id))
        if hit and hit[0] > now:
            return hit[1]
        data = (await client.users_info(user=user_id))["user"]
        user = SlackUser(
            id=data["id"],
            name=data.get("real_name") or data.get("name") or user_id,
            tz=data.get("tz") or "UTC",
            is_admin=bool(data.get("is_admin")),
            is_owner=bool(data.get("is_owner")),
            is_bot=bool(data.get("is_bot")),
            deleted=bool(data.get("deleted")),
        )
        self._cache[(team_id, user_id)] = (now + self._ttl, user)
        return user

    def forget(self, team_id: str, user_id: str) -> None:
        self._cache.pop((team_id, user_id), None)


async def can_manage(
    session: AsyncSession, users: UserDirectory, client: AsyncWebClient, team_id: str, user_id: str
) -> bool:
    """Ops admins of the workspace, and Slack workspace admins/owners, manage the bot."""
    if await is_ops_admin(session, team_id, user_id):
        return True
    try:
        user = await users.get(client, team_id, user_id)
    except SlackApiError as exc:  # fail closed: without Slack's word, nobody is an admin
        log.warning("users.info for %s failed: %s", user_id, exc.response.get("error"))
        return False
    return user.is_admin or user.is_owner


async def require_manager(
    session: AsyncSession,
    users: UserDirectory,
    client: AsyncWebClient,
    team_id: str,
    user_id: str,
    action: str,
) -> None:
    if not await can_manage(session, users, client, team_id, user_id):
        raise PermissionDenied(
            f"Only ops admins and Slack workspace admins can {action}. "
            "Ask one of them, or see `/prodops admins list`."
        )
