"""Who may triage an item: ops admins (and Slack admins) and the item's owner."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import PermissionDenied
from bot.roles import UserDirectory, can_manage, may_manage
from models.feedback import FeedbackItem


async def can_triage(session: AsyncSession, users: UserDirectory, item: FeedbackItem, user_id: str) -> bool:
    """For showing triage controls: a failed role lookup just hides them."""
    return item.owner_id == user_id or await may_manage(session, users, item.team_id, user_id)


async def require_triage(session: AsyncSession, users: UserDirectory, item: FeedbackItem, user_id: str) -> None:
    if item.owner_id == user_id or await can_manage(session, users, item.team_id, user_id):
        return
    raise PermissionDenied(
        f"Only ops admins and the owner of #{item.number} can triage it. "
        "You can still add details to feedback you filed or voted for."
    )
