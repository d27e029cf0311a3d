"""The notifier's buttons: every nudge's "Snooze until tomorrow" and "Snooze 1 week" (bot/notify/)."""
from __future__ import annotations

from typing import Any

from bot import clock
from bot.calendar.load import calendar_of
from bot.context import Ctx
from bot.edge import ProdOpsApp
from bot.feature import Feature
from bot.notify.snooze import SNOOZE_BLOCK, SnoozeAction, read_ref, set_snooze, snooze_end
from bot.blocks import context

STALE = "That button is out of date; nothing was snoozed."


async def snooze_clicked(ctx: Ctx, action: dict[str, Any]) -> None:
    """Snoozes that kind of nudge for whoever clicked (a DM: the person it was for)."""
    await ctx.ack()
    ref = read_ref(action.get("value"))
    kind = ctx.rt.notices.get(ref.k) if ref is not None else None
    if kind is None or not kind.nudge:
        ctx.tell_later(ctx.channel_id, STALE)
        return
    now = clock.now()
    cal = await calendar_of(ctx.session, ctx.team_id, ctx.user_id, from_day=now.date())
    choice = "day" if action.get("action_id") == SnoozeAction.DAY else "week"
    until = snooze_end(choice, cal, now)
    await set_snooze(ctx.session, ctx.team_id, ctx.user_id, kind.kind, until)
    shown = until.astimezone(cal.zone).strftime("%a %d %b %H:%M %Z")
    line = f":zzz: {kind.label.capitalize()} snoozed until {shown}."
    message = ctx.body.get("message") or {}
    kept = [b for b in message.get("blocks") or [] if b.get("block_id") != SNOOZE_BLOCK]
    respond = ctx.respond
    if respond is not None and kept:
        ctx.later(lambda: respond(replace_original=True, text=str(message.get("text") or line),
                                  blocks=[*kept, context(line)]))
    else:
        ctx.tell_later(ctx.channel_id, line)


def listeners(app: ProdOpsApp) -> None:
    for action in SnoozeAction:
        app.action(action)(snooze_clicked)


FEATURE = Feature("notify", None, listeners=listeners)
