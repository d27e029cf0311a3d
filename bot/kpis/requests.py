"""What each /kpi request and form does: the permission, the write (bot/kpis/service.py), the
notices stored in the same transaction, and the Slack work after the commit (bot/kpis/flows.py).

Ops admins define KPIs and link them to launches; a KPI's owner (and ops admins) log values
and issue push tokens; everyone sees them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.channels import ensure_member
from bot.context import Ctx
from bot.errors import NotFound, UserError
from bot.kpis import blocks, flows, service
from bot.launches import service as launch_service
from bot.kpis.service import Definition
from bot.people.directory import bots_or_gone
from bot.people.flows import ensure_people
from bot.roles import refused
from bot.text import user_mention
from bot.usertext import mrkdwn, plain
from models.kpi import Kpi, KpiSource, KpiValue
from models.launch import Launch

FUTURE_DAYS = 1  # a value may be dated tomorrow at most (a zone ahead of the workspace's)
SHOW_VALUES = 15  # `/kpi show` lists this many recent values
PAST_DAYS = 3653  # …and ten years back at most (a typo like 1026 for 2026 is refused, not charted)


async def rows(ctx: Ctx, kpis: list[Kpi]) -> list[blocks.Row]:
    return await rows_of(ctx.session, kpis, clock.now())


async def rows_of(session: AsyncSession, kpis: list[Kpi], now: datetime) -> list[blocks.Row]:
    """What `/kpi` shows of each KPI (and the App Home): latest vs target, stale, failing."""
    recent = await service.recent(session, [k.id for k in kpis])
    return [_row(k, recent.get(k.id, []), now) for k in kpis]


def _row(k: Kpi, values: list[KpiValue], now: datetime) -> blocks.Row:
    latest = values[-1] if values else None
    previous = values[-2] if len(values) > 1 else None
    band = (k.band_low, k.band_high) if k.band_low is not None and k.band_high is not None else None
    return blocks.Row(k.key, k.name, k.unit, blocks.target_text(k.unit, k.direction, k.target, band),
                      latest.value if latest else None, service._aware(latest.at) if latest else None,
                      previous.value if previous else None,
                      service.on_target(k, latest.value) if latest else None, [v.value for v in values],
                      service.is_stale(k, latest, now), k.failing_reason if k.failing_since else None, k.owner_id,
                      k.source is KpiSource.BUILTIN)


async def listed(ctx: Ctx) -> list[blocks.Row]:
    return await rows(ctx, await service.listed(ctx.session, ctx.team_id))


async def add_form(ctx: Ctx) -> dict[str, Any]:
    await ctx.require_manager("define KPIs")
    return blocks.define_modal({"owner": ctx.user_id, "channel": ctx.channel_id
                                if ctx.channel_id and not ctx.channel_id.startswith("D") else None}, None)


def _not_builtin(k: Kpi, action: str) -> None:
    """A working agreement's values are the bot's own: not typed, pushed or redefined here."""
    if k.source is KpiSource.BUILTIN:
        raise UserError(f"`{mrkdwn(k.key)}` is a working agreement: the bot computes its values every day, so "
                        f"it cannot {action}. Change it with `/prodops agreements edit {mrkdwn(k.key)}`.")


async def edit_form(ctx: Ctx, key: str) -> dict[str, Any]:
    await ctx.require_manager("define KPIs")
    k = await service.get(ctx.session, ctx.team_id, key)
    _not_builtin(k, "be edited as a KPI")
    shown = {"key": k.key, "name": plain(k.name), "unit": k.unit.value, "direction": k.direction.value,
             "target": f"{k.target:g}" if k.target is not None else None,
             "band": f"{k.band_low:g} - {k.band_high:g}" if k.band_low is not None and k.band_high is not None else None,
             "owner": k.owner_id, "channel": k.channel_id, "stale": str(k.stale_days),
             "change": f"{k.change_pct:g}" if k.change_pct is not None else None,
             "baseline": f"{k.change_baseline:g}" if k.change_baseline is not None else None,
             "source": k.source.value, "url": k.pull_url, "path": k.pull_path,
             "every": str(k.pull_every or 60),
             "header_hint": f"{k.pull_header_name}: (kept; type a new one to replace it)" if k.pull_header_name else None}
    return blocks.define_modal(shown, k.id)


async def check_definer(ctx: Ctx, owner_id: str, channel_id: str, action: str) -> None:
    """The channel takes the bot's posts (asked before the transaction), the asker may define,
    the owner is a person: for a KPI and for a working agreement alike."""
    await ensure_member(ctx.rt.lookup or ctx.client, channel_id)
    await ctx.require_manager(action)
    if await bots_or_gone(ctx.session, ctx.team_id, [owner_id]):
        raise UserError("Pick a person as the owner: that one is a bot or has left the workspace.", field="owner")


async def save(ctx: Ctx, d: Definition, editing: int | None) -> str:
    await check_definer(ctx, d.owner_id, d.channel_id, "define KPIs")
    now = clock.now()
    if editing is None:
        k = await service.create(ctx.session, ctx.team_id, d, ctx.user_id, now)
        verb = "Added"
    else:
        k = await ctx.session.get(Kpi, editing)
        if k is None or k.team_id != ctx.team_id:
            raise UserError("That KPI no longer exists.")
        _not_builtin(k, "be edited as a KPI")
        await service.update_definition(ctx.session, k, d, now)
        verb = "Saved"
    rt, team_id, owner = ctx.rt, ctx.team_id, d.owner_id
    ctx.later(lambda: ensure_people(rt, team_id, [owner]))
    source = "pulled " + {60: "every hour", 360: "every 6 hours", 1440: "every day"}.get(d.pull_every or 60, "") \
        if d.source is KpiSource.HTTP else "logged with `/kpi log`"
    return f"{verb} the KPI `{d.key}` ({source}; owner {user_mention(d.owner_id)})."


async def remove(ctx: Ctx, key: str) -> int:
    await ctx.require_manager("remove KPIs")
    k = await service.get(ctx.session, ctx.team_id, key)
    if k.source is KpiSource.BUILTIN:  # its agreement would go with it, unannounced
        raise UserError(f"`{mrkdwn(k.key)}` is a working agreement: remove it with "
                        f"`/prodops agreements remove {mrkdwn(k.key)}`.")
    return await service.remove(ctx.session, k)


async def _require_owner(ctx: Ctx, k: Kpi, action: str) -> None:
    if ctx.user_id != k.owner_id and not await ctx.is_manager():
        raise refused(f"the KPI's owner ({user_mention(k.owner_id)}) and ops admins", action)


async def log(ctx: Ctx, key: str, value: float, day: date | None) -> tuple[Kpi, KpiValue]:
    k = await service.get(ctx.session, ctx.team_id, key)
    _not_builtin(k, "take values by hand")
    await _require_owner(ctx, k, "log its values")
    today = clock.today_in(ctx.workspace.timezone)
    if day is not None and (day - today).days > FUTURE_DAYS:
        raise UserError(f"{day.isoformat()} is in the future; log a value for today or an earlier day.")
    if day is not None and (today - day).days > PAST_DAYS:
        raise UserError(f"{day.isoformat()} is more than ten years ago; log values from the last ten years.")
    now = clock.now()
    at = now if day is None or day == today else datetime.combine(day, time(12), clock.zone(ctx.workspace.timezone))
    recorded = await service.record(ctx.session, k, value, at, "manual", ctx.user_id, now)
    await flows.store_notices(ctx.session, ctx.rt, recorded.notices, now)
    rt, notices = ctx.rt, recorded.notices
    if notices:
        ctx.later(lambda: flows.send_notices(rt, notices))
    return k, recorded.value


async def show(ctx: Ctx, key: str) -> list[Any]:
    k = await service.get(ctx.session, ctx.team_id, key)
    # The last values only (one indexed read): a KPI pulled hourly for years holds tens of
    # thousands; the answer lists 15 and the chart reads its own 90 days.
    history = (await service.recent(ctx.session, [k.id], n=SHOW_VALUES)).get(k.id, [])
    row = _row(k, history[-service.SPARK_POINTS:], clock.now())
    first, last = flows.chart_window(clock.now())
    watched = (await service.launches_for(ctx.session, ctx.team_id, [k.id], first, last))[k.id]
    linked = [_mark(launch) for launch in await service.linked(ctx.session, k)] if watched.linked else None
    rt, team_id, kpi_id, user = ctx.rt, ctx.team_id, k.id, ctx.user_id
    ctx.later(lambda: flows.send_chart(rt, team_id, kpi_id, user))
    return blocks.show_blocks(row, k.owner_id, k.channel_id,
                              [(service._aware(v.at), v.value, v.source) for v in history], k.source,
                              blocks.launches_text(k.key, linked, [_mark(x) for x in watched.launches],
                                                   flows.CHART_DAYS))


def _mark(launch: Launch) -> blocks.LaunchMark:
    return blocks.LaunchMark(launch.launch_date, launch.name, launch.cancelled_at is not None)


async def token(ctx: Ctx, key: str) -> str:
    k = await service.get(ctx.session, ctx.team_id, key)
    _not_builtin(k, "take pushed values")
    await _require_owner(ctx, k, "issue its push token")
    return blocks.token_text(k.key, await service.set_token(ctx.session, k), "https://<your bot's URL>")


# -- the launches a KPI is watched for ----------------------------------------------------------------

@dataclass(frozen=True)
class Linked:
    kpi: Kpi
    launch: Launch
    changed: bool  # False: it already was so (linked twice, unlinked when not linked)
    links_left: int = 0  # after an unlink: how many launches it is still watched for


async def _kpi_for_link(ctx: Ctx, key: str) -> Kpi:
    """The KPI by its key, or NotFound with the key one edit away, when there is one."""
    try:
        return await service.get(ctx.session, ctx.team_id, key)
    except NotFound:
        guess = await service.key_like(ctx.session, ctx.team_id, key)
        if guess is None:
            raise
        raise NotFound(f"There is no KPI with the key `{mrkdwn(key)}`. Did you mean `{guess}`? "
                       "`/kpi` lists them.") from None


async def _launch_for_link(ctx: Ctx, name: str, action: str, key: str) -> Launch:
    """The launch by name, as `/launch status` finds it, or NotFound with a name one edit away."""
    try:
        return await launch_service.get(ctx.session, ctx.team_id, name)
    except NotFound as exc:
        guess = await service.launch_like(ctx.session, ctx.team_id, name)
        if guess is None:
            raise
        raise NotFound(f"{exc.message} Did you mean `/kpi {action} {key} \"{mrkdwn(guess)}\"`?") from None


async def link(ctx: Ctx, key: str, name: str) -> Linked:
    """Watch the KPI for a launch: its chart, `/kpi show` and digest line mark its linked launches only."""
    await ctx.require_manager("link launches to KPIs")
    k = await _kpi_for_link(ctx, key)
    launch = await _launch_for_link(ctx, name, "link", k.key)
    if launch.cancelled_at is not None:
        shown = mrkdwn(launch.name)
        raise UserError(f"*{shown}* was cancelled, so `{k.key}` cannot be watched for it. "
                        f"`/launch reopen \"{shown}\"` (the launch owner or an ops admin) brings it back.")
    return Linked(k, launch, await service.link(ctx.session, k, launch, ctx.user_id))


async def unlink(ctx: Ctx, key: str, name: str) -> Linked:
    """Stop watching the KPI for a launch (a cancelled one too); with none left, it marks every launch."""
    await ctx.require_manager("unlink launches from KPIs")
    k = await _kpi_for_link(ctx, key)
    launch = await _launch_for_link(ctx, name, "unlink", k.key)
    changed = await service.unlink(ctx.session, k, launch)
    return Linked(k, launch, changed, len(await service.linked(ctx.session, k)))
