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
from bot.feedback import blocks as feedback_blocks
from bot.feedback.enums import CaptureMeta
from bot.home.blocks import quick_actions
from bot.home.cards import Viewer, registered
from bot.home.duties import CARD as FAILED_DUTIES
from bot.home.enums import HomeAction
from bot.launches import blocks as launch_blocks, templates as launch_templates
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
    await client.views_publish(user_id=user_id, view=home_view(cards, rt.commands, viewer, quick_actions()))


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


async def file_feedback_clicked(ctx: Ctx, action: dict[str, Any]) -> None:
    await ctx.answer()
    ctx.open_modal(feedback_blocks.capture_modal(CaptureMeta(channel_id=None)))


async def new_launch_clicked(ctx: Ctx, action: dict[str, Any]) -> None:
    names = await launch_templates.names(ctx.session, ctx.team_id)
    await ctx.answer()
    ctx.open_modal(launch_blocks.new_launch_modal(names, ctx.user_id, None))


def listeners(app: ProdOpsApp) -> None:
    app.use(rerender_home)
    app.action(HomeAction.FILE_FEEDBACK)(file_feedback_clicked)
    app.action(HomeAction.NEW_LAUNCH)(new_launch_clicked)
    app.event("app_home_opened")(app_home_opened)
    app.event("member_joined_channel")(member_joined_channel)


FEATURE = Feature("home", None, listeners=listeners, event_filters=(("member_joined_channel", wants_join),),
                  home_cards=(FAILED_DUTIES,))
