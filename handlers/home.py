"""App Home: publish the tab when someone opens it."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot import clock

from bot.context import Ctx
from bot.edge import ProdOpsApp
from bot.calendar.service import local_today
from bot.feature import Feature
from bot.home.cards import Viewer, registered
from bot.home.dashboard import cards_for, home_view
from bot.home.intro import introduce, wants_join
from bot.roles import shown_as_manager
from bot.runtime import Runtime


async def app_home_opened(ctx: Ctx, event: dict[str, Any]) -> None:
    if event.get("tab", "home") != "home":
        return
    rt, client, team_id, user_id = ctx.rt, ctx.client, ctx.team_id, str(event["user"])
    ctx.later(lambda: publish_home(rt, client, team_id, user_id))


async def publish_home(rt: Runtime, client: AsyncWebClient, team_id: str, user_id: str) -> None:
    """Every card for this person, read in one unit of work, then published (no Slack call
    inside the transaction)."""
    await rt.users.warm(team_id, user_id)  # Slack first, then the transaction
    async with rt.db.unit_of_work() as session:
        manager = await shown_as_manager(session, rt.users, team_id, user_id)
        _, zone = await local_today(team_id, user_id, session=session)
        viewer = Viewer(team_id, user_id, manager, clock.zone(zone), clock.now())
        cards = await cards_for(session, registered(rt.features), viewer)
    await client.views_publish(user_id=user_id, view=home_view(cards, rt.commands, viewer))


async def rerender_home(body: dict[str, Any], context: AsyncBoltContext, next: Callable[[], Awaitable[None]]) -> None:
    """A button clicked on someone's App Home (check an item, answer a standup): once the
    click's work is committed, their dashboard is drawn again to show it."""
    await next()
    view = body.get("view") if isinstance(body.get("view"), dict) else None
    if body.get("type") == "block_actions" and view is not None and view.get("type") == "home" \
            and "ctx" in context:
        ctx: Ctx = context["ctx"]
        rt, client, team_id, user_id = ctx.rt, ctx.client, ctx.team_id, ctx.user_id
        ctx.later(lambda: publish_home(rt, client, team_id, user_id))


async def member_joined_channel(ctx: Ctx, event: dict[str, Any], context: dict[str, Any]) -> None:
    """The bot itself was added to a channel: it introduces itself there, once."""
    channel = str(event.get("channel") or "")
    if channel and wants_join(event, ctx.workspace, context.get("bot_user_id")):
        rt, team_id, workspace = ctx.rt, ctx.team_id, ctx.workspace
        ctx.later(lambda: introduce(rt, team_id, channel, workspace))


def listeners(app: ProdOpsApp) -> None:
    app.use(rerender_home)
    app.event("app_home_opened")(app_home_opened)
    app.event("member_joined_channel")(member_joined_channel)


FEATURE = Feature("home", None, listeners=listeners, event_filters=(("member_joined_channel", wants_join),))
