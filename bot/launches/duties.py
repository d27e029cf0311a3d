"""The launch feature's due work, run by the minute tick (bot/duties.py)."""
from __future__ import annotations

from datetime import datetime, timedelta

from bot.duties import Duty, WorkItem
from bot.launches import flows
from bot.runtime import Runtime


async def _due_nudges(rt: Runtime, at: datetime) -> list[WorkItem]:
    return [
        WorkItem(n.team_id, flows.NUDGE_KIND, n.person, n.day.isoformat(), n.due_at,
                 f"launch nudge to {n.person} in {n.team_id} for {n.day.isoformat()} "
                 f"({len(n.items)} item{'s' if len(n.items) != 1 else ''})", n)
        for n in await flows.due_nudges(rt, at)
    ]


async def _send_nudge(rt: Runtime, item: WorkItem) -> None:
    await flows.post_nudge(rt.client, item.payload)


# 09:00 local, once per person and local day. A bot that was down sends it when it is back the
# same local day: due_nudges only ever returns today's nudge, so the grace (the rest of the day,
# an hour more for a day that falls back after 09:00) never skips one that is still today's.
LAUNCH_NUDGES = Duty("launch nudges", _due_nudges, _send_nudge, grace=timedelta(hours=16))
