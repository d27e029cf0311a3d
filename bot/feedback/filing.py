"""What a request that files feedback decides and sequences: the filing itself (service), then,
after the commit, reading the message and confirming to the person (flows).

Called by the capture listeners (handlers/feedback.py) with the request's `ctx`; values the
deferred work needs are read before the commit, so nothing touches an expired row.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot import usertext
from bot.context import Ctx
from bot.errors import UserError
from bot.feedback import flows, service, similar
from bot.feedback.enums import CaptureMeta
from bot.feedback.parsing import Draft, parse_draft
from bot.feedback.service import Receipt
from models.feedback import CaptureState, FeedbackSource


@dataclass(frozen=True)
class Reaction:
    """The filing emoji on a message: who reacted, to which message, whose message it is."""

    reactor: str
    channel: str
    ts: str
    author_id: str | None

    @classmethod
    def of(cls, event: dict[str, Any]) -> Reaction:
        item = event["item"]
        return cls(reactor=event["user"], channel=item["channel"], ts=item["ts"], author_id=event.get("item_user"))


async def from_reaction(ctx: Ctx, reaction: Reaction, once: str) -> None:
    """A new item is read from Slack after the commit; a vote is confirmed unless the item is
    still being read (the capture confirms it when it completes)."""
    filed = await service.file_message(ctx.session, ctx.team_id, reaction.reactor, reaction.channel, reaction.ts,
                                       FeedbackSource.REACTION, author_id=reaction.author_id)
    rt, client, team_id, item_id, r = ctx.rt, ctx.client, ctx.team_id, filed.item.id, reaction
    if filed.created:
        ctx.later(lambda: flows.capture_reacted_message(rt, client, team_id, item_id, r.reactor, r.channel, r.ts))
    elif filed.voted and filed.item.capture_state is not CaptureState.PENDING:
        _confirm_later(ctx, reaction.channel, reaction.reactor, filed.receipt, once)


async def withdraw_reaction(ctx: Ctx, reaction: Reaction) -> None:
    await service.withdraw_reaction_vote(ctx.session, ctx.team_id, reaction.reactor, reaction.channel, reaction.ts)


def open_shortcut_form(ctx: Ctx, channel_id: str | None, message: dict[str, Any]) -> None:
    """The capture form for "File as feedback", holding the message's text as plain text (opened
    after the ack, once the people it mentions are looked up)."""
    if message.get("bot_id") or message.get("subtype") == "bot_message":
        raise UserError(flows.BOT_MESSAGE)
    meta = CaptureMeta(channel_id=channel_id, message_ts=message.get("ts"), author_id=message.get("user"),
                       shortcut=True)
    text = usertext.from_slack(str(message.get("text") or ""))
    rt, client, team_id, trigger_id = ctx.rt, ctx.client, ctx.team_id, ctx.trigger_id
    ctx.later(lambda: flows.open_shortcut_form(rt, client, team_id, trigger_id, meta, text))


async def from_form(ctx: Ctx, meta: CaptureMeta, draft: Draft, once: str) -> None:
    """The capture form: a message's filing (from the shortcut) or typed feedback; confirmed
    to the person after the commit (a new shortcut filing once its text is settled)."""
    if meta.channel_id and meta.message_ts:
        filed = await service.file_message(ctx.session, ctx.team_id, ctx.user_id, meta.channel_id, meta.message_ts,
                                           FeedbackSource.SHORTCUT, draft, author_id=meta.author_id)
        if filed.created:
            _complete_later(ctx, filed.item.id, meta.channel_id, meta.message_ts, draft.text,
                            (ctx.user_id, filed.receipt, once))
            similar.offer_later(ctx, filed.item.number, meta.channel_id)
            return
        receipt = filed.receipt
    else:
        receipt = Receipt.new(await service.file_text(ctx.session, ctx.team_id, ctx.user_id, meta.channel_id, draft))
        similar.offer_later(ctx, receipt.number, meta.channel_id)
    _confirm_later(ctx, meta.channel_id, ctx.user_id, receipt, once)


async def from_question(ctx: Ctx, text: str, *, once: str) -> Receipt | None:
    """The typo question's [File as feedback]: the text exactly as typed, as `/feedback file
    <text>` files it; None when this question's text was filed already (a second click)."""
    draft = parse_draft(usertext.from_slack(text))
    if not await service.first_time(ctx.session, ctx.team_id, f"feedback.typo:{once}"):
        return None
    return Receipt.new(await service.file_text(ctx.session, ctx.team_id, ctx.user_id, ctx.channel_id, draft))


def _complete_later(ctx: Ctx, item_id: int, channel: str, ts: str, submitted: str,
                    confirm_to: tuple[str, Receipt, str]) -> None:
    """A new item gets its permalink, and the message itself when the form's copy is unedited."""
    rt, client, team_id = ctx.rt, ctx.client, ctx.team_id
    ctx.later(lambda: flows.complete_shortcut_capture(rt, client, team_id, item_id, channel, ts, submitted,
                                                      confirm_to))


def _confirm_later(ctx: Ctx, channel: str | None, user: str, receipt: Receipt, once: str) -> None:
    rt, client, team_id = ctx.rt, ctx.client, ctx.team_id
    ctx.later(lambda: flows.confirm(rt, client, team_id, channel, user, receipt, once))
