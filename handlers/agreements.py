"""`/prodops agree|agreements|report` (dispatched from handlers/prodops.py) and the agreement form.

Thin: the role check, one service call (bot/agreements/service.py), the answer; the history
of a new or changed agreement is computed after the commit (off the ack path)."""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.agreements import blocks, report, service
from bot.agreements.digest import SECTION as REPORT_SECTION
from bot.agreements.duties import AGREEMENT_DAYS, backfill
from bot.agreements.metrics import METRICS
from bot.blocks import Block
from bot.context import Ctx
from bot.edge import ProdOpsApp
from bot.errors import UserError
from bot.feature import Feature
from bot.forms import FormData
from bot.kpis import service as kpis
from bot.kpis.requests import check_definer
from bot.launches.parsing import FUNCTIONS
from bot.prodops.parsing import ProdopsRequest
from bot.text import escape, user_mention
from bot.usertext import plain
from models.standup import Standup

ID_MAX = 2**31 - 1
log = logging.getLogger(__name__)


async def _standup_choices(ctx: Ctx) -> list[tuple[str, str]]:
    rows = (await ctx.session.execute(select(Standup.id, Standup.name).where(Standup.team_id == ctx.team_id)
                                      .order_by(Standup.name).limit(100))).all()
    return [(plain(name), str(sid)) for sid, name in rows]


async def agree(ctx: Ctx, request: ProdopsRequest) -> None:
    await ctx.require_manager("agree working agreements")
    channel = ctx.channel_id if ctx.channel_id and not ctx.channel_id.startswith("D") else None
    view = blocks.form({"owner": ctx.user_id, "channel": channel}, await _standup_choices(ctx), None)
    await ctx.answer()
    ctx.open_modal(view)


async def agreements_list(ctx: Ctx, request: ProdopsRequest) -> None:
    await ctx.answer("Measuring the working agreements…")
    ctx.later(_answer_later(ctx, _listed))


async def _listed(session: AsyncSession, team_id: str, zone_name: str) -> tuple[str, list[Block]]:
    yesterday = clock.today_in(zone_name) - timedelta(days=1)
    rows = []
    for agreement, kpi in await service.listed(session, team_id):
        # One reading as of yesterday for the value, its counts and its exceptions alike (the
        # stored day may predate late data; the chart shows the stored days).
        reading = await service.compute(session, agreement, yesterday)
        rows.append(blocks.Listed(kpi.key, kpi.name, float(kpi.target or 0), reading.value, reading,
                                  agreement.window_days, kpi.owner_id))
    return f"{len(rows)} working agreement{'s' if len(rows) != 1 else ''}", blocks.list_blocks(rows)


def _answer_later(ctx: Ctx, build: Callable[[AsyncSession, str, str], Awaitable[tuple[str, list[Block]]]]
                  ) -> Callable[[], Awaitable[None]]:
    """Reading a workspace's history takes seconds at size: after the ack, on a read-only unit
    of work, answered through the command's response_url."""
    rt, respond, team_id, zone_name = ctx.rt, ctx.respond, ctx.team_id, ctx.workspace.timezone

    async def answer() -> None:
        try:
            async with rt.db.reading() as session:
                text, body = await build(session, team_id, zone_name)
        except Exception:
            log.exception("working agreements: could not measure for %s", team_id)
            text, body = "Sorry, I couldn't measure that just now. Please try again in a minute.", []
        if respond is not None:
            await respond(text=text, blocks=body or None, response_type="ephemeral")

    return answer


async def agreements_edit(ctx: Ctx, request: ProdopsRequest) -> None:
    await ctx.require_manager("change working agreements")
    agreement, kpi = await service.get(ctx.session, ctx.team_id, request.key or "")
    within = str(agreement.within_days) if "{within}" in METRICS[agreement.metric].label else None
    values = {"metric": agreement.metric, "within": within, "target": f"{kpi.target or 0:g}",
              "function": agreement.function, "standup": str(agreement.standup_id) if agreement.standup_id else None,
              "owner": kpi.owner_id, "channel": kpi.channel_id}
    view = blocks.form(values, await _standup_choices(ctx), agreement.id)
    await ctx.answer()
    ctx.open_modal(view)


async def agreements_remove(ctx: Ctx, request: ProdopsRequest) -> None:
    await ctx.require_manager("remove working agreements")
    agreement, kpi = await service.get(ctx.session, ctx.team_id, request.key or "")
    values = await kpis.remove(ctx.session, kpi)  # the agreement and its days go with its KPI
    await ctx.answer(f"Removed the working agreement `{escape(kpi.key)}` and its {values} daily value"
                     f"{'s' if values != 1 else ''}.")


async def report_command(ctx: Ctx, request: ProdopsRequest) -> None:
    name = report.period_of(request.period, clock.today_in(ctx.workspace.timezone))[0]  # a bad period: refused now
    await ctx.answer(f"Working out the report for the last {name}…")
    period = request.period

    async def build(session: AsyncSession, team_id: str, zone_name: str) -> tuple[str, list[Block]]:
        return await report.build(session, team_id, period, clock.today_in(zone_name))

    ctx.later(_answer_later(ctx, build))


def _number(raw: str | None, field: str, what: str, *, whole: bool) -> float | None:
    if raw is None:
        return None
    cleaned = raw.strip().removesuffix("%").strip()
    if not re.fullmatch(r"\d{1,3}" if whole else r"\d{1,3}(\.\d{1,2})?", cleaned):
        raise UserError(f"{what}: a whole number from 0 to 60, like 3." if whole else
                        f"{what}: a number more than 0 and at most 100, like 90.", field=field)
    return float(cleaned)


def spec_from(view: dict[str, Any], standups: set[int]) -> service.Spec:
    """The form's fields, each refused under itself when it is not what the field asks for."""
    form = FormData(view)
    metric = form.choice("metric") or ""
    if metric not in METRICS:
        raise UserError("Pick one of the metrics.", field="metric")
    within = _number(form.text("within"), "within", "Working days", whole=True)
    target = _number(form.text("target"), "target", "The target", whole=False)
    if target is None:
        raise UserError("Type the target share, like 90.", field="target")
    function = form.choice("function")
    if function is not None and function not in FUNCTIONS:
        raise UserError("Pick one of the functions.", field="function")
    raw_standup = form.choice("standup")
    standup = int(raw_standup) if raw_standup and raw_standup.isdigit() and int(raw_standup) <= ID_MAX else None
    if raw_standup and standup not in standups:
        raise UserError("That standup no longer exists.", field="standup")
    owner, channel = form.user("owner"), form.channel("channel")
    if not owner:
        raise UserError("Pick the owner.", field="owner")
    if not channel:
        raise UserError("Pick a channel.", field="channel")
    if within and not METRICS[metric].label.count("{within}"):  # 0 is "none allowed": the same
        raise UserError("This metric has no working days to allow: leave it empty.", field="within")
    return service.Spec(metric, int(within if within is not None else METRICS[metric].within), target, owner, channel,
                        function=function, standup_id=standup)


def _editing(metadata: str) -> int | None:
    try:
        raw = json.loads(metadata or "{}").get("editing")
    except (ValueError, AttributeError):
        return 0
    if raw is None:
        return None
    return raw if type(raw) is int and 0 < raw <= ID_MAX else 0  # not True: a bool is an int


async def agreement_submitted(ctx: Ctx, view: dict[str, Any]) -> None:
    editing = _editing(str(view.get("private_metadata") or ""))
    standups = {int(v) for _, v in await _standup_choices(ctx)}
    spec = spec_from(view, standups)
    await check_definer(ctx, spec.owner_id, spec.channel_id, "agree working agreements")
    now = clock.now()
    if editing is None:
        agreement, kpi = await service.create(ctx.session, ctx.team_id, spec, ctx.user_id, ctx.workspace.timezone, now)
        verb = "Agreed"
    else:
        found = await service.listed(ctx.session, ctx.team_id)
        pair = next(((a, k) for a, k in found if a.id == editing), None)
        if pair is None:
            raise UserError("That working agreement no longer exists.")
        agreement, kpi = pair
        await service.change(ctx.session, agreement, kpi, spec, now)
        verb = "Saved"
    await ctx.answer()
    rt, agreement_id = ctx.rt, agreement.id
    ctx.later(lambda: backfill(rt, agreement_id))
    ctx.tell_later(spec.channel_id, f"{verb} the working agreement `{escape(kpi.key)}`: "
                                    f"{service.label(spec.metric, spec.within)}, {spec.target:g}% of the time "
                                    f"(owner {user_mention(spec.owner_id)}). Its last {service.BACKFILL_DAYS} days "
                                    "are being computed from what the bot already holds; `/prodops agreements` "
                                    "shows it and what broke it.")


ACTIONS = {"agree": agree, "agreements_list": agreements_list, "agreements_edit": agreements_edit,
           "agreements_remove": agreements_remove, "report": report_command}


def listeners(app: ProdOpsApp) -> None:
    app.view(blocks.FORM)(agreement_submitted)


FEATURE = Feature("agreements", None, listeners=listeners, duties=(AGREEMENT_DAYS,), digest_sections=(REPORT_SECTION,))
