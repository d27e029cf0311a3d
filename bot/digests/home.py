"""The digests card on an ops admin's App Home: each digest's next and last post, the failing
first (a channel that refuses it), from the service `/digest list` uses. Times are on the
viewer's clock, and the card says which zone that is (`/digest list` shows each digest's own)."""
from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.blocks import context, section
from bot.digests import blocks, service
from bot.digests.requests import next_post
from bot.home.cards import LIST_MAX, HomeCard, Viewer
from bot.text import channel_mention
from bot.usertext import mrkdwn
from models.digest import Digest


def _line(d: Digest, viewer: Viewer) -> str:
    if d.failing_reason:
        state = f":warning: failing in {channel_mention(d.channel_id)}: `{d.failing_reason}`"
    elif d.paused_at is not None:
        state = ":double_vertical_bar: paused"
    else:
        when = next_post(d)
        state = f"next {blocks.local(when, viewer.zone)}" if when is not None else "no day chosen"
    last = f" · last {blocks.local(d.last_posted_at, viewer.zone)}" if d.last_posted_at else " · not posted yet"
    return f"• *{mrkdwn(d.name, limit=80)}* in {channel_mention(d.channel_id)} · {state}{last}"


async def build(session: AsyncSession, viewer: Viewer) -> list[dict[str, Any]] | None:
    digests = await service.listed(session, viewer.team_id)
    if not digests:
        return None
    ordered = sorted(digests, key=lambda d: (d.failing_reason is None, d.paused_at is not None,
                                             d.next_at or clock.now()))
    failing = sum(1 for d in digests if d.failing_reason)
    head = (f"*Digests* · {len(digests)}" + (f" · :warning: {failing} failing" if failing else "")
            + f" · times in your zone, {viewer.zone.key}")
    lines = [_line(d, viewer) for d in ordered[:LIST_MAX]]
    more = f"and {len(digests) - LIST_MAX} more: " if len(digests) > LIST_MAX else ""
    return [section(head), section("\n".join(lines)), context(f"{more}`/digest list` · `/digest setup` for a new one")]


CARD = HomeCard("digests", build, managers_only=True, shows_all="`/digest list`")
