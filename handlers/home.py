"""App Home: publish the tab when someone opens it."""
from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.edge import ProdOpsApp
from bot.help import COMMANDS
from bot.home.blocks import home_view
from bot.runtime import Runtime
from bot.tasks import Defer
from bot.roles import may_manage
from bot.workspaces import WorkspaceInfo


def register(app: ProdOpsApp, rt: Runtime) -> None:
    @app.event("app_home_opened")
    async def app_home_opened(event: dict[str, Any], client: AsyncWebClient, workspace: WorkspaceInfo,
                              defer: Defer) -> None:
        if event.get("tab", "home") != "home":
            return
        user_id, team_id = event["user"], workspace.team_id

        async def publish() -> None:
            async with rt.db.unit_of_work() as own_session:  # the role lookup may call Slack: after the ack
                manager = await may_manage(own_session, rt.users, team_id, user_id)
            await client.views_publish(user_id=user_id, view=home_view(COMMANDS, manager))

        defer(publish)
