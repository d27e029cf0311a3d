"""Who may do what: Slack admins/owners (users.info, cached briefly) and configured ops admins.

Role checks sit on the ack path, so the directory has its own Web API client with a short
timeout and no waiting out rate limits: a slow or rate-limited Slack fails the check quickly
with a clear message instead of missing Slack's 3-second window.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import PermissionDenied, UserError
from bot.workspaces import is_ops_admin

log = logging.getLogger(__name__)

CACHE_SECONDS = 300.0


class RoleCheckUnavailable(UserError):
    """Slack could not tell us the user's role in time (or does not know the user)."""

    def __init__(self, message: str, error: str = "") -> None:
        super().__init__(message)
        self.error = error  # Slack's error code, e.g. user_not_found, ratelimited


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
    """users.info with a short cache: role checks must not cost a Slack call per click.

    No Slack call may run while a request's transaction is open (on SQLite it holds the only
    connection and the write lock): the edge `warm`s the actor before the transaction begins,
    and role checks inside it read only what is `known`."""

    def __init__(self, client: AsyncWebClient, ttl: float = CACHE_SECONDS) -> None:
        self._client = client
        self._ttl = ttl
        self._cache: dict[tuple[str, str], tuple[float, SlackUser]] = {}
        self._failed: dict[tuple[str, str], RoleCheckUnavailable] = {}

    async def warm(self, team_id: str, user_id: str) -> None:
        """Look the user up now, so a later check needs no Slack call; a failure is kept for it."""
        try:
            await self.get(team_id, user_id)
            self._failed.pop((team_id, user_id), None)
        except RoleCheckUnavailable as exc:
            self._failed[(team_id, user_id)] = exc

    def known(self, team_id: str, user_id: str) -> SlackUser:
        """The user as last looked up; why Slack could not tell, when it could not."""
        hit = self._cache.get((team_id, user_id))
        if hit and hit[0] > time.monotonic():
            return hit[1]
        raise self._failed.get((team_id, user_id)) or RoleCheckUnavailable(
            "I couldn't check your role with Slack just now. Please try again in a moment.")

    async def get(self, team_id: str, user_id: str) -> SlackUser:
        now = time.monotonic()
        hit = self._cache.get((team_id, user_id))
        if hit and hit[0] > now:
            return hit[1]
        try:
            data = (await self._client.users_info(user=user_id))["user"]
        except SlackApiError as exc:
            error = exc.response.get("error") or f"HTTP {exc.response.status_code}"
            log.warning("users.info %s failed: %s", user_id, error)
            raise RoleCheckUnavailable(f"I couldn't check your role with Slack ({error}). Please try again in a moment.",
                                       error=str(error)) from None
        except Exception as exc:  # timeouts, connection errors
            log.warning("users.info %s failed: %s", user_id, type(exc).__name__)
            raise RoleCheckUnavailable("Slack didn't answer in time while I checked your role. Please try again.") from None
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

    def known_names(self, team_id: str, user_ids: list[str]) -> dict[str, str]:
        """Names already looked up (no Slack call): for plain text shown under a deadline."""
        return {uid: hit[1].name for uid in user_ids if (hit := self._cache.get((team_id, uid)))}

    async def names_within(self, team_id: str, user_ids: list[str], seconds: float) -> dict[str, str]:
        """Names for a surface with a deadline (a modal's trigger): looked up together, and
        whatever has not answered in `seconds` shows as an id."""
        found = self.known_names(team_id, user_ids)
        missing = [u for u in dict.fromkeys(user_ids) if u not in found][:20]
        tasks = [asyncio.ensure_future(self.get(team_id, u)) for u in missing]
        if tasks:
            done, pending = await asyncio.wait(tasks, timeout=seconds)
            for task in pending:
                task.cancel()
            found.update({t.result().id: t.result().name for t in done if t.exception() is None})
        return found

    async def names(self, team_id: str, user_ids: list[str], limit: int = 200) -> dict[str, str]:
        """Names of mentioned people for plain text with no deadline (exports); the ones Slack
        cannot tell are left out, and the text shows their id instead."""
        found = self.known_names(team_id, user_ids)
        for user_id in [u for u in user_ids if u not in found][:limit]:
            try:
                found[user_id] = (await self.get(team_id, user_id)).name
            except RoleCheckUnavailable:
                continue
        return found


async def is_manager(session: AsyncSession, users: UserDirectory, team_id: str, user_id: str) -> bool:
    """Ops admins of the workspace, and Slack workspace admins/owners, manage the bot.

    Reads the directory without calling Slack (the caller warmed it before its transaction);
    raises RoleCheckUnavailable when only Slack could tell and it did not answer."""
    if await is_ops_admin(session, team_id, user_id):
        return True
    user = users.known(team_id, user_id)
    return user.is_admin or user.is_owner


async def shown_as_manager(session: AsyncSession, users: UserDirectory, team_id: str, user_id: str) -> bool:
    """is_manager for what only changes how something is shown (which buttons, which cards):
    when Slack cannot tell, the person is shown as not a manager instead of being refused."""
    try:
        return await is_manager(session, users, team_id, user_id)
    except RoleCheckUnavailable:
        return False


def refused(who: str, what: str, hint: str = "") -> PermissionDenied:
    """The one wording of a refusal, in every feature: "Only <who> can <what>." and a hint."""
    return PermissionDenied(f"Only {who} can {what}." + (f" {hint}" if hint else ""))


async def require_manager(session: AsyncSession, users: UserDirectory, team_id: str, user_id: str, action: str) -> None:
    """is_manager, or a refusal in the bot-wide wording (and RoleCheckUnavailable as it is)."""
    if not await is_manager(session, users, team_id, user_id):
        raise refused("ops admins and Slack workspace admins", action, "Ask one of them, or see `/prodops admins list`.")
