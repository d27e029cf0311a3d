"""Clicks on the live checklist (and the nudge DM's "Mark done") and on the go/no-go summary.

Each is acked at once; what the click changes, and the thread line it leaves, is decided in
bot/launches/requests.py; button values and block ids are read back by bot/launches/forms.py.
"""
from __future__ import annotations

from typing import Any

from bot.context import Ctx
from bot.edge import ProdOpsApp
from bot.launches import requests
from bot.launches.enums import LaunchAction
from bot.launches.forms import clicked_item, item_of, launch_of
from bot.launches.parsing import parse_date
from models.launch import Decision


async def item_toggled(ctx: Ctx, action: dict[str, Any]) -> None:
    await ctx.answer()
    await requests.check_off(ctx, clicked_item(action.get("value")))


async def compact_toggled(ctx: Ctx, action: dict[str, Any]) -> None:
    await ctx.answer()
    await requests.check_off(ctx, clicked_item((action.get("selected_option") or {}).get("value")))


async def owner_picked(ctx: Ctx, action: dict[str, Any]) -> None:
    await ctx.answer()
    await requests.assign(ctx, item_of(action), action.get("selected_user"))


async def due_picked(ctx: Ctx, action: dict[str, Any]) -> None:
    await ctx.answer()
    await requests.set_due(ctx, item_of(action), parse_date(str(action.get("selected_date") or "")))


DECISIONS = {LaunchAction.GO: Decision.GO, LaunchAction.NO_GO: Decision.NO_GO}


async def decision_clicked(ctx: Ctx, action: dict[str, Any]) -> None:
    await ctx.answer()
    await requests.decide(ctx, launch_of(action).l, DECISIONS[LaunchAction(action["action_id"])])


def listeners(app: ProdOpsApp) -> None:
    app.action(LaunchAction.TOGGLE)(item_toggled)
    app.action(LaunchAction.COMPACT_TOGGLE)(compact_toggled)
    app.action(LaunchAction.OWNER)(owner_picked)
    app.action(LaunchAction.DUE)(due_picked)
    for decision in DECISIONS:
        app.action(decision)(decision_clicked)
