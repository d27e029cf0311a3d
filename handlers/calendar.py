"""`/prodops hours|away|holidays|budget`: the working calendar's commands.

Dispatched from handlers/prodops.py (one listener serves `/prodops`); each listener reads the
typed request (bot/calendar/parsing.py), checks the role when it acts for someone else or the
workspace, calls one service function (bot/calendar/service.py) and answers ephemerally. A
person the bot has just created a row for is described by Slack after the commit.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.calendar import blocks
from bot.calendar.blocks import country_text, span_text
from bot.calendar.holidays import public_holidays
from bot.calendar.parsing import (AwayAdd, AwayList, AwayOff, BudgetSet, BudgetShow, CalendarRequest, CountrySet,
                                  CountryShow, DefaultHoursSet, DefaultHoursShow, HolidayAdd, HolidayRemove,
                                  HolidaysList, HoursReset, HoursSet, HoursShow)
from bot.calendar import service
from bot.context import Ctx
from bot.people.directory import valid_zone
from bot.people.flows import ensure_people
from bot.roles import RoleCheckUnavailable
from bot.text import user_mention
from bot.usertext import mrkdwn


def _slack_zone(ctx: Ctx, user_id: str) -> str | None:
    """Their zone as Slack told the role check (no call: the actor is looked up before the
    transaction), for a person row the bot creates before Slack has described them."""
    try:
        return valid_zone(ctx.rt.users.known(ctx.team_id, user_id).tz)
    except RoleCheckUnavailable:
        return None


async def _target(ctx: Ctx, user_id: str | None, action: str) -> str:
    """Whom the request is for: the asker, or someone else when a manager asks."""
    target = user_id or ctx.user_id
    if target != ctx.user_id:
        await ctx.require_manager(action)
    return target


def _whose(ctx: Ctx, user_id: str) -> str:
    return "Your" if user_id == ctx.user_id else f"{user_mention(user_id)}'s"


def _describe_later(ctx: Ctx, user_id: str) -> None:
    """Fill a row the bot created (name, zone, flags) from Slack once this request commits."""
    rt, team_id = ctx.rt, ctx.team_id
    ctx.later(lambda: ensure_people(rt, team_id, [user_id]))


# -- hours -------------------------------------------------------------------------------------
async def hours_show(ctx: Ctx, req: HoursShow) -> None:
    target = req.user_id or ctx.user_id
    view = await service.hours_view(ctx.team_id, target, session=ctx.session, tz=_slack_zone(ctx, target))
    await ctx.answer(f"{_whose(ctx, target)} working hours: {view.hours.describe()}",
                     blocks.hours_blocks(view, mine=target == ctx.user_id))


async def hours_set(ctx: Ctx, req: HoursSet) -> None:
    target = await _target(ctx, req.user_id, "set someone else's working hours")
    zone = _slack_zone(ctx, target)
    await service.set_hours(ctx.team_id, target, req.start, req.end, req.days, session=ctx.session, tz=zone)
    view = await service.hours_view(ctx.team_id, target, session=ctx.session, tz=zone)
    _describe_later(ctx, target)
    where = view.zone if view.zone_own else f"the workspace's time zone ({view.zone}) until Slack tells me theirs"
    await ctx.answer(f"{_whose(ctx, target)} working hours are now {view.hours.describe()}, in {where}.")


async def hours_reset(ctx: Ctx, req: HoursReset) -> None:
    target = await _target(ctx, req.user_id, "reset someone else's working hours")
    changed = await service.reset_hours(ctx.team_id, target, session=ctx.session)
    default = (await service.workspace_defaults(ctx.team_id, session=ctx.session)).hours.describe()
    if changed:
        await ctx.answer(f"{_whose(ctx, target)} working hours are back to the workspace default, {default}.")
    else:
        await ctx.answer(f"{_whose(ctx, target)} working hours already are the workspace default, {default}; "
                         "nothing changed.")


async def default_hours_show(ctx: Ctx, req: DefaultHoursShow) -> None:
    defaults = await service.workspace_defaults(ctx.team_id, session=ctx.session)
    await ctx.answer(f"Workspace default working hours: {defaults.hours.describe()}",
                     blocks.default_hours_blocks(defaults.hours, defaults.timezone))


async def default_hours_set(ctx: Ctx, req: DefaultHoursSet) -> None:
    await ctx.require_manager("change the workspace's default working hours")
    hours = await service.set_default_hours(ctx.team_id, req.start, req.end, req.days, session=ctx.session)
    ctx.workspace_changed()
    await ctx.answer(f"Workspace default working hours are now {hours.describe()}: everyone who has not set "
                     "their own works them, in their own time zone.")


# -- away --------------------------------------------------------------------------------------
async def away_add(ctx: Ctx, req: AwayAdd) -> None:
    target = await _target(ctx, req.user_id, "set someone else's away days")
    line = await service.add_away(ctx.team_id, target, req.first, req.last, req.note, session=ctx.session,
                                  created_by=ctx.user_id, tz=_slack_zone(ctx, target))
    _describe_later(ctx, target)
    who = "you are" if target == ctx.user_id else f"{user_mention(target)} is"
    note = f" ({mrkdwn(line.note, limit=200)})" if line.note else ""
    await ctx.answer(f"Noted: {who} away {span_text(line.first, line.last)}{note}. Nobody is prompted or nudged "
                     "while away.")


async def away_list(ctx: Ctx, req: AwayList) -> None:
    overview = await service.away_overview(ctx.team_id, ctx.user_id, session=ctx.session,
                                           tz=_slack_zone(ctx, ctx.user_id))
    await ctx.answer("Away periods", blocks.away_blocks(overview))


async def away_off(ctx: Ctx, req: AwayOff) -> None:
    target = await _target(ctx, req.user_id, "end someone else's away days")
    done = await service.end_away(ctx.team_id, target, session=ctx.session, tz=_slack_zone(ctx, target))
    who = "You have" if target == ctx.user_id else f"{user_mention(target)} has"
    if done.ended is None and not done.removed:
        await ctx.answer(f"{who} no current or upcoming away period; nothing changed.")
        return
    parts = []
    if done.ended is not None:
        parts.append(f"ended the away period {span_text(done.ended.first, done.ended.last)}")
    if done.removed:
        parts.append(f"removed {done.removed} upcoming away period{'s' if done.removed != 1 else ''}")
    greeting = "Welcome back: " if target == ctx.user_id and done.ended else "Done: "
    await ctx.answer(greeting + " and ".join(parts) + ".")


# -- holidays ----------------------------------------------------------------------------------
async def holidays_list(ctx: Ctx, req: HolidaysList) -> None:
    listing = await service.holiday_listing(ctx.team_id, ctx.user_id, session=ctx.session)
    await ctx.answer("Holidays", blocks.holidays_blocks(listing))


async def holiday_add(ctx: Ctx, req: HolidayAdd) -> None:
    await ctx.require_manager("change the workspace's holidays")
    await service.add_holiday(ctx.team_id, req.day, req.label, session=ctx.session, created_by=ctx.user_id)
    label = f": {mrkdwn(req.label, limit=200)}" if req.label else ""
    await ctx.answer(f"{req.day.isoformat()} ({req.day.strftime('%a')}) is now a workspace holiday{label}. "
                     "Nobody is prompted or nudged that day.")


async def holiday_remove(ctx: Ctx, req: HolidayRemove) -> None:
    await ctx.require_manager("change the workspace's holidays")
    name = await service.remove_holiday(ctx.team_id, req.day, session=ctx.session)
    if name is not None:
        label = f" ({mrkdwn(name, limit=200)})" if name else ""
        await ctx.answer(f"{req.day.isoformat()}{label} is no longer a workspace holiday.")
        return
    message = f"{req.day.isoformat()} is not a workspace holiday; nothing changed."
    country = (await service.workspace_defaults(ctx.team_id, session=ctx.session)).country
    preset = public_holidays(country, req.day.year).get(req.day) if country else None
    if country and preset:
        message += (f" It is a public holiday of {country_text(country)} ({mrkdwn(preset)}) from the country "
                    "preset; `/prodops holidays country off` stops using the preset.")
    await ctx.answer(message)


async def country_show(ctx: Ctx, req: CountryShow) -> None:
    defaults = await service.workspace_defaults(ctx.team_id, session=ctx.session)
    workspace = country_text(defaults.country) if defaults.country else "none"
    if req.user_id is None:
        await ctx.answer(f"The workspace's public-holiday country: {workspace}. Change it with "
                         "`/prodops holidays country DE` (admins) or `off`.")
        return
    view = await service.hours_view(ctx.team_id, req.user_id, session=ctx.session)
    own = (f"{country_text(view.country)} (their own)" if view.country_own and view.country
           else f"the workspace's, {workspace}")
    await ctx.answer(f"{_whose(ctx, req.user_id)} public holidays: {own}.")


async def country_set(ctx: Ctx, req: CountrySet) -> None:
    if req.user_id is None:
        await ctx.require_manager("change the workspace's holiday country")
        await service.set_workspace_country(ctx.team_id, req.code, session=ctx.session)
        ctx.workspace_changed()
        if req.code is None:
            await ctx.answer("The workspace no longer follows a country's public holidays (people who set their own "
                             "country keep theirs).")
        else:
            await ctx.answer(f"Public holidays of {country_text(req.code)} now apply to everyone who has not set a "
                             "country of their own.")
        return
    target = await _target(ctx, req.user_id, "set someone else's holiday country")
    await service.set_person_country(ctx.team_id, target, req.code, session=ctx.session, tz=_slack_zone(ctx, target))
    _describe_later(ctx, target)
    if req.code is None:
        await ctx.answer(f"{_whose(ctx, target)} public holidays follow the workspace's preset again.")
    else:
        await ctx.answer(f"{_whose(ctx, target)} public holidays are now those of {country_text(req.code)}.")


# -- budget ------------------------------------------------------------------------------------
async def budget_show(ctx: Ctx, req: BudgetShow) -> None:
    budget, own = await service.budget_of(ctx.team_id, session=ctx.session)
    await ctx.answer(f"Nudge budget: {budget} nudge{'s' if budget != 1 else ''} per person per local day"
                     f"{'' if own else ' (the default)'}; beyond it, nudges are folded into the next one. "
                     "Ops admins change it with `/prodops budget 5`.")


async def budget_set(ctx: Ctx, req: BudgetSet) -> None:
    await ctx.require_manager("change the nudge budget")
    await service.set_budget(ctx.team_id, req.budget, session=ctx.session)
    ctx.workspace_changed()
    await ctx.answer(f"Nudge budget set to {req.budget} nudge{'s' if req.budget != 1 else ''} per person per local "
                     "day; beyond it, nudges are folded into the next one.")


Listener = Callable[[Ctx, Any], Awaitable[None]]
LISTENERS: dict[type, Listener] = {
    HoursShow: hours_show, HoursSet: hours_set, HoursReset: hours_reset, DefaultHoursShow: default_hours_show,
    DefaultHoursSet: default_hours_set, AwayAdd: away_add, AwayList: away_list, AwayOff: away_off,
    HolidaysList: holidays_list, HolidayAdd: holiday_add, HolidayRemove: holiday_remove,
    CountryShow: country_show, CountrySet: country_set, BudgetShow: budget_show, BudgetSet: budget_set,
}


async def calendar_command(ctx: Ctx, request: CalendarRequest) -> None:
    await LISTENERS[type(request)](ctx, request)
