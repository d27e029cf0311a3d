"""Whether the bot can post in a channel, asked before anything is written that will post there
(a launch's checklist, a standup's answers)."""
from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import UserError
from bot.text import channel_mention

NOT_INVITED = frozenset({"not_in_channel", "channel_not_found"})  # inviting the bot fixes these


async def ensure_member(client: AsyncWebClient, channel_id: str, field: str = "channel") -> None:
    """Refuse up front if the bot cannot post in `channel_id`. Called with the short-timeout
    lookup client, before the request's transaction begins (no Slack call inside one).

    Only Slack's membership answers (not_in_channel, channel_not_found, is_member false) ask
    for an invite; any other Slack error says nothing about membership, so the person is told
    Slack could not be reached and to try again."""
    where = channel_mention(channel_id)
    try:
        info = (await client.conversations_info(channel=channel_id))["channel"]
    except SlackApiError as exc:
        error = exc.response.get("error") or f"HTTP {exc.response.status_code}"
        if error in NOT_INVITED:
            raise UserError(f"I can't see {where} ({error}). Invite me with `/invite @ProdOps` first.",
                            field=field) from None
        raise UserError(f"I couldn't reach Slack to check {where} (Slack said `{error}`). "
                        "Nothing was saved; please try again in a moment.", field=field) from None
    except Exception as exc:  # timeout: Slack is slow, say so rather than miss the ack window
        raise UserError(f"Slack didn't answer in time about {where} ({type(exc).__name__}); please try again.",
                        field=field) from None
    if info.get("is_archived"):
        raise UserError(f"{where} is archived: nothing can be posted there. Pick another channel.", field=field)
    if not info.get("is_member"):
        raise UserError(f"I'm not in {where}. Invite me with `/invite @ProdOps`, then try again.", field=field)
