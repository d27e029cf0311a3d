"""Who may triage an item: ops admins (and Slack admins) and the item's owner."""
from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import PermissionDenied
from bot.roles import UserDirectory, can_manage
from models.feedback import FeedbackItem


async def can_triage(session: AsyncSession, users: UserDirectory, client: AsyncWebClient,
                     item: FeedbackItem, user_id: str) -> bool:
    return item.owner_id == user_id or await can_manage(session, users, client, item.team_id, user_id)


async def require_triage(session: AsyncSession, users: UserDirectory, client: AsyncWebClient,
                         item: FeedbackItem, user_id: str) -> None:
    if not await can_triage(session, users, client, item, user_id):
        raise PermissionDenied(
            f"Only ops admins and the owner of #{item.number} can triage it. "
            "You can still add details to feedback you filed or voted for."
        )
