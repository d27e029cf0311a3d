"""/kpi, its definition form, and the push endpoint's request handling (POST /kpi/<key>).

Each listener parses (bot/kpis/parsing.py, bot/kpis/forms.py), calls one function of
bot/kpis/requests.py, and answers."""
from __future__ import annotations

import re
from typing import Any

from bot.context import Ctx
from bot.edge import ProdOpsApp
from bot.feature import Feature
from bot.blocks import section
from bot.help import help_blocks, unknown_line
from bot.kpis import blocks, requests
from bot.kpis.blocks import KPI_VIEW, number
from bot.kpis.digest import SECTION as KPIS_SECTION
from bot.kpis.duties import KPI_PULLS, KPI_STALE, NOTICES
from bot.kpis.forms import definition_from
from bot.kpis.help import KPI
from bot.kpis.home import ATTENTION as KPIS_ATTENTION, MINE as KPIS_MINE
from bot.kpis.parsing import KpiCommand, parse_command
from bot.kpis.service import owners_left
from bot.usertext import from_slack


async def kpi_command(ctx: Ctx, command: dict[str, Any]) -> None:
    request = parse_command(from_slack(command.get("text", "")))
    await SUBCOMMANDS[request.action](ctx, request)


async def _list(ctx: Ctx, request: KpiCommand) -> None:
    rows = await requests.listed(ctx)
    await ctx.answer(f"{len(rows)} KPI{'s' if len(rows) != 1 else ''}", blocks.list_blocks(rows))


async def _help(ctx: Ctx, request: KpiCommand) -> None:
    if request.unknown is None:
        await ctx.answer("/kpi help", help_blocks([KPI]))
        return
    said = unknown_line("/kpi", request.unknown, request.typo)
    await ctx.answer(said, [section(said), *help_blocks([KPI])])


async def _add(ctx: Ctx, request: KpiCommand) -> None:
    form = await requests.add_form(ctx)
    await ctx.answer()
    ctx.open_modal(form)


async def _edit(ctx: Ctx, request: KpiCommand) -> None:
    form = await requests.edit_form(ctx, request.key or "")
    await ctx.answer()
    ctx.open_modal(form)


async def _remove(ctx: Ctx, request: KpiCommand) -> None:
    values = await requests.remove(ctx, request.key or "")
    await ctx.answer(f"Removed the KPI `{request.key}` and its {values} value{'s' if values != 1 else ''}.")


async def _log(ctx: Ctx, request: KpiCommand) -> None:
    assert request.value is not None
    kpi, row = await requests.log(ctx, request.key or "", request.value, request.day)
    await ctx.answer(f"Logged {number(row.value, kpi.unit)} for `{kpi.key}` ({row.at.date().isoformat()}).")


async def _show(ctx: Ctx, request: KpiCommand) -> None:
    await ctx.answer(f"KPI {request.key}", await requests.show(ctx, request.key or ""))


async def _token(ctx: Ctx, request: KpiCommand) -> None:
    await ctx.answer(await requests.token(ctx, request.key or ""))


async def _link(ctx: Ctx, request: KpiCommand) -> None:
    done = await requests.link(ctx, request.key or "", request.launch or "")
    await ctx.answer(blocks.linked_text(done.kpi.key, done.launch.name, done.launch.launch_date, done.changed))


async def _unlink(ctx: Ctx, request: KpiCommand) -> None:
    done = await requests.unlink(ctx, request.key or "", request.launch or "")
    await ctx.answer(blocks.unlinked_text(done.kpi.key, done.launch.name, done.changed, done.links_left))


SUBCOMMANDS = {"list": _list, "help": _help, "add": _add, "edit": _edit, "remove": _remove, "log": _log,
               "show": _show, "token": _token, "link": _link, "unlink": _unlink}


ID_MAX = 2**31 - 1  # row ids fit a 32-bit integer column


def _editing(metadata: str) -> int | None:
    """The KPI id the form edits (None: a new one). Forged metadata (not an id, out of range) is
    id 0, which no KPI has: "no longer exists", not a database error."""
    if not metadata:
        return None
    return int(metadata) if re.fullmatch(r"[0-9]{1,10}", metadata) and int(metadata) <= ID_MAX else 0


async def kpi_submitted(ctx: Ctx, view: dict[str, Any]) -> None:
    editing = _editing(str(view.get("private_metadata") or ""))
    definition = definition_from(view, ctx.user_id, editing=editing is not None)
    message = await requests.save(ctx, definition, editing)
    await ctx.answer()
    ctx.tell_later(definition.channel_id, message)


def listeners(app: ProdOpsApp) -> None:
    app.command("/kpi")(kpi_command)
    app.view(KPI_VIEW)(kpi_submitted)


FEATURE = Feature("kpis", KPI, listeners=listeners, duties=(KPI_PULLS, KPI_STALE), notices=NOTICES,
                  on_leave=(owners_left,), digest_sections=(KPIS_SECTION,), home_cards=(KPIS_MINE, KPIS_ATTENTION))
