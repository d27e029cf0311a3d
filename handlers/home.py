"""App Home: publish the tab when someone opens it."""
from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.context import Ctx
from bot.edge import ProdOpsApp
from bot.feature import Feature
from bot.home.blocks import home_view
from bot.roles import shown_as_manager
from bot.runtime import Runtime


async def app_home_opened(ctx: Ctx, event: dict[str, Any]) -> None:
    if event.get("tab", "home") != "home":
        return
    rt, client, team_id, user_id = ctx.rt, ctx.client, ctx.team_id, str(event["user"])
    ctx.later(lambda: publish_home(rt, client, team_id, user_id))


async def publish_home(rt: Runtime, client: AsyncWebClient, team_id: str, user_id: str) -> None:
    await rt.users.warm(team_id, user_id)  # Slack first, then the transaction
    async with rt.db.unit_of_work() as session:
        manager = await shown_as_manager(session, rt.users, team_id, user_id)
    await client.views_publish(user_id=user_id, view=home_view(rt.commands, manager))


def listeners(app: ProdOpsApp) -> None:
    app.event("app_home_opened")(app_home_opened)


FEATURE = Feature("home", None, listeners=listeners)
