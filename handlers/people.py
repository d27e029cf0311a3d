"""People: the user_change event keeps each person's record (time zone, name, flags) fresh, and
a periodic sweep re-checks the least recently checked with users.info (bot/people/)."""
from __future__ import annotations

from typing import Any

from bot.context import Ctx
from bot.edge import ProdOpsApp
from bot.feature import Feature
from bot.people.directory import record_everywhere
from bot.people.flows import REFRESH_SECONDS, leave_hooks, refresh_people
from bot.runtime import Runtime
from bot.calendar.home import CARD as TIME_CARD


async def user_change(ctx: Ctx, event: dict[str, Any]) -> None:
    """The event carries the whole user object: recorded in the request's transaction, no Slack call."""
    user = event.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str) or not user["id"]:
        return  # nothing to record (Slack always sends the object; be quiet about anything else)
    await record_everywhere(ctx.session, ctx.team_id, user, on_leave=leave_hooks(ctx.rt))


def listeners(app: ProdOpsApp) -> None:
    app.event("user_change")(user_change)


def jobs(rt: Runtime) -> None:
    async def refresh() -> None:
        await refresh_people(rt)

    rt.scheduler.register_interval("people:refresh", "refresh people from Slack", refresh, REFRESH_SECONDS)


# "Your time" (hours, away, holidays: the calendar /prodops hands its commands to) comes last on
# the dashboard, after the work cards.
FEATURE = Feature("people", None, listeners=listeners, jobs=jobs, home_cards=(TIME_CARD,))
