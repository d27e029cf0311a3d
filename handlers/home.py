"""App Home: publish the tab when someone opens it, and again once they have acted from it (a
click on it, or a form it opened and they submitted); its quick actions and the KPI log form."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot import clock

from bot.context import Ctx
from bot.edge import ProdOpsApp
from bot.errors import UserError
from bot.calendar.service import local_today
from bot.feature import Feature
from bot.feedback import blocks as feedback_blocks
from bot.feedback.enums import CaptureMeta
from bot.home import kpi_log, origin
from bot.home.blocks import quick_actions
from bot.home.cards import Viewer, registered
from bot.home.duties import CARD as FAILED_DUTIES
from bot.home.enums import HomeAction, HomeView
from bot.kpis import requests as kpi_requests
from bot.kpis.blocks import number
from bot.launches import blocks as launch_blocks, templates as launch_templates
from bot.home.dashboard import cards_for, home_view
from bot.home.intro import introduce, wants_join
from bot.roles import shown_as_manager
from bot.people.flows import ensure_people
from bot.runtime import Runtime


async def app_home_opened(ctx: Ctx, event: dict[str, Any]) -> None:
    if event.get("tab", "home") != "home":
        return
    rt, client, team_id, user_id = ctx.rt, ctx.client, ctx.team_id, str(event["user"])
    ctx.later(lambda: publish_home(rt, client, team_id, user_id))


async def publish_home(rt: Runtime, client: AsyncWebClient, team_id: str, user_id: str) -> None:
    """Every card for this person, read in one read-only unit of work (beside the writer, so
    it neither waits for nor holds it), then published (no Slack call inside the transaction)."""
    await rt.users.warm(team_id, user_id)  # Slack first, then the transaction
    # Recorded in the people directory with their Slack zone, so "Your time" and every
    # notice to them go by their own clock, not the workspace's (once; refreshed when stale).
    await ensure_people(rt, team_id, [user_id])
    async with rt.db.reading() as session:
        manager = await shown_as_manager(session, rt.users, team_id, user_id)
        _, zone = await local_today(team_id, user_id, session=session)
        viewer = Viewer(team_id, user_id, manager, clock.zone(zone), clock.now())
        cards = await cards_for(session, registered(rt.features), viewer)
    await client.views_publish(user_id=user_id, view=home_view(cards, rt.commands, viewer, quick_actions()))


async def rerender_home(body: dict[str, Any], context: AsyncBoltContext, next: Callable[[], Awaitable[None]]) -> None:
    """Someone acted from their App Home: a button clicked on it (check an item, answer a
    standup), or a form it opened submitted (bot/home/origin.py). Once that work is committed,
    their dashboard is drawn again, once, to show it; a refused submission commits nothing and
    draws nothing."""
    await next()
    if (origin.clicked_on_home(body) or origin.from_home(body)) and "ctx" in context:
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


async def log_kpi_clicked(ctx: Ctx, action: dict[str, Any]) -> None:
    """The quick action (no KPI chosen) or a row of "Your KPIs" (its key chosen)."""
    options, total = await kpi_log.choices(ctx.session, ctx.team_id, ctx.user_id, await ctx.shown_as_manager())
    await ctx.answer()
    ctx.open_modal(kpi_log.log_modal(options, total, str(action.get("value") or "") or None))


async def kpi_log_submitted(ctx: Ctx, view: dict[str, Any]) -> None:
    form = kpi_log.form_of(view)
    try:
        kpi, row = await kpi_requests.log(ctx, form.key, form.value, form.day)
    except UserError as refused:  # shown under the field it is about, the form kept open
        raise kpi_log.placed(refused, form) from None
    await ctx.answer()
    ctx.tell_later(None, f"Logged {number(row.value, kpi.unit)} for `{kpi.key}` ({row.at.date().isoformat()}).")


def listeners(app: ProdOpsApp) -> None:
    app.use(rerender_home)
    app.action(HomeAction.FILE_FEEDBACK)(file_feedback_clicked)
    app.action(HomeAction.NEW_LAUNCH)(new_launch_clicked)
    app.action(HomeAction.LOG_KPI)(log_kpi_clicked)
    app.view(HomeView.KPI_LOG)(kpi_log_submitted)
    app.event("app_home_opened")(app_home_opened)
    app.event("member_joined_channel")(member_joined_channel)


FEATURE = Feature("home", None, listeners=listeners, event_filters=(("member_joined_channel", wants_join),),
                  home_cards=(FAILED_DUTIES,))
