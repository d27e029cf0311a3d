"""Clicks on the live checklist (and the nudge DM's "Mark done") and on the go/no-go summary.

Each is acked at once; what the click changes, and the thread line it leaves, is decided in
bot/launches/requests.py. Button values and block ids are read as small models; a stale one is
refused with one wording (bot/launches/enums.py).
"""
from __future__ import annotations

from typing import Any

from bot.context import Ctx
from bot.edge import ProdOpsApp
from bot.forms import read_meta
from bot.launches import requests
from bot.launches.enums import STALE_CHECKLIST, STALE_GO_NO_GO, ItemRef, LaunchAction, LaunchRef, item_of_block
from bot.launches.parsing import parse_date
from models.launch import Decision


async def item_toggled(ctx: Ctx, action: dict[str, Any]) -> None:
    await ctx.answer()
    await requests.check_off(ctx, read_meta(ItemRef, action.get("value"), STALE_CHECKLIST))


async def compact_toggled(ctx: Ctx, action: dict[str, Any]) -> None:
    await ctx.answer()
    value = (action.get("selected_option") or {}).get("value")
    await requests.check_off(ctx, read_meta(ItemRef, value, STALE_CHECKLIST))


async def owner_picked(ctx: Ctx, action: dict[str, Any]) -> None:
    await ctx.answer()
    await requests.assign(ctx, item_of_block(str(action.get("block_id", ""))), action.get("selected_user"))


async def due_picked(ctx: Ctx, action: dict[str, Any]) -> None:
    await ctx.answer()
    ref = item_of_block(str(action.get("block_id", "")))
    await requests.set_due(ctx, ref, parse_date(str(action.get("selected_date") or "")))


DECISIONS = {LaunchAction.GO: Decision.GO, LaunchAction.NO_GO: Decision.NO_GO}


async def decision_clicked(ctx: Ctx, action: dict[str, Any]) -> None:
    await ctx.answer()
    ref = read_meta(LaunchRef, action.get("value"), STALE_GO_NO_GO)
    await requests.decide(ctx, ref.l, DECISIONS[LaunchAction(action["action_id"])])


def listeners(app: ProdOpsApp) -> None:
    app.action(LaunchAction.TOGGLE)(item_toggled)
    app.action(LaunchAction.COMPACT_TOGGLE)(compact_toggled)
    app.action(LaunchAction.OWNER)(owner_picked)
    app.action(LaunchAction.DUE)(due_picked)
    for decision in DECISIONS:
        app.action(decision)(decision_clicked)
