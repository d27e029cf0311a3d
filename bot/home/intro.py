"""The one short introduction the bot posts when it is added to a channel: what it can do
there, once per channel however often it is re-added (claimed like any post), and never in a
channel shared with another organisation (Slack Connect: customer-facing, kept clean)."""
from __future__ import annotations

import logging

from bot.delivery import deliver_once
from bot.feedback.service import feedback_emoji
from bot.home.blocks import intro_message
from bot.runtime import Runtime
from bot.workspaces import WorkspaceInfo

log = logging.getLogger(__name__)

INTRO_KIND = "home.intro"  # key: the channel; one period: an introduction is said once


def wants_join(event: dict, _workspace: WorkspaceInfo, bot_user: str | None) -> bool:
    """Only the bot's own joining matters: every person joining any channel arrives too."""
    return bot_user is not None and event.get("user") == bot_user


async def introduce(rt: Runtime, team_id: str, channel: str, workspace: WorkspaceInfo) -> None:
    info = (await rt.client.conversations_info(channel=channel))["channel"]
    if info.get("is_ext_shared") or info.get("is_im") or info.get("is_mpim"):
        log.info("no introduction in %s: not a channel of this workspace alone", channel)
        return
    text, body = intro_message(feedback_emoji(workspace))
    await deliver_once(rt.db, team_id, INTRO_KIND, channel, "first",
                       lambda: rt.client.chat_postMessage(channel=channel, text=text, blocks=body))
