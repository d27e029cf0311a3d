"""What each /standup request, button and form does, between the handler's parsing and its
answer: the permission, the write (bot/standups/service.py), the notices stored in the same
transaction, and the Slack work scheduled for after the commit (bot/standups/flows.py)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.calendar.load import calendar_of
from bot.channels import ensure_member
from bot.calendar.working import Calendar
from bot.context import Ctx
from bot.errors import NotFound, PermissionDenied, UserError
from bot.launches import flows as launch_flows, service as launch_service
from bot.notify import outbox
from bot.notify.notice import Notice
from bot.notify.send import notify
from bot.people.flows import ensure_people
from bot.roles import refused
from bot.standups import blocks, flows, schedule, service
from bot.standups.duties import BLOCKER_KIND, LAUNCH_LINE_KIND
from bot.standups.enums import DayRef, DeleteMeta, Field_, SetupMeta
from bot.standups.parsing import ANSWER_MAX, blocker_question, days_text, time_text
from bot.standups.service import RISK_SOURCE, Saved, Setup, risk_ref
from bot.text import channel_mention, user_mention
from bot.usertext import mrkdwn, plain
from models.standup import PostMode, Standup, StandupBlocker

OLDEST_DAYS = 7  # a prompt's button still opens the form this many days later (a late answer)


async def _manages(ctx: Ctx, standup: Standup) -> bool:
    return ctx.user_id == standup.owner_id or await ctx.is_manager()


async def require_manages(ctx: Ctx, standup: Standup, action: str) -> None:
    if not await _manages(ctx, standup):
        raise refused(f"the standup's owner ({user_mention(standup.owner_id)}) and ops admins", action)


async def require_setup(ctx: Ctx, channel_id: str | None, field: str | None = None) -> None:
    """A new standup: ops admins, or whoever owns a standup reporting in that channel. On the
    submitted form the refusal goes under `field` (the channel): the form stays open to pick
    another channel instead of closing and losing what was typed."""
    if await service.owns_standup_in(ctx.session, ctx.team_id, ctx.user_id, channel_id):
        return
    if not await ctx.is_manager():
        refusal = refused("ops admins and the owner of a standup in that channel", "set up a standup",
                          "Ask one of them, or see `/prodops admins list`.")
        raise PermissionDenied(refusal.message, field=field)


def _know(ctx: Ctx, users: list[str]) -> None:
    """After the commit, make sure the people directory knows them (their zone decides when
    they are prompted); the people sweep catches any this misses."""
    rt, team_id = ctx.rt, ctx.team_id
    if users:
        ctx.later(lambda: ensure_people(rt, team_id, users))


# -- setup ------------------------------------------------------------------------------------------

async def setup_form(ctx: Ctx) -> dict[str, Any]:
    await require_setup(ctx, ctx.channel_id)
    # Run from a DM, the DM is no report channel: the form starts without one.
    channel = ctx.channel_id if ctx.channel_id and not ctx.channel_id.startswith("D") else None
    defaults = blocks.SetupDefaults(channel_id=channel, members=[ctx.user_id], owner_id=ctx.user_id)
    return blocks.setup_modal(defaults, SetupMeta(c=ctx.channel_id or ""))


async def edit_form(ctx: Ctx, name: str) -> dict[str, Any]:
    standup = await service.get(ctx.session, ctx.team_id, name)
    await require_manages(ctx, standup, "edit it")
    defaults = blocks.SetupDefaults(standup.name, standup.channel_id, await service.member_ids(ctx.session, standup.id),
                                    list(standup.questions), standup.days, standup.prompt_at, standup.deadline_at,
                                    standup.mode, standup.owner_id)
    return blocks.setup_modal(defaults, SetupMeta(s=standup.id, c=ctx.channel_id or ""))


async def save_setup(ctx: Ctx, setup: Setup, meta: SetupMeta) -> str:
    """The setup form, submitted: the channel is checked before anything is written. Returns
    what to tell the person."""
    await ensure_member(ctx.rt.lookup or ctx.client, setup.channel_id)
    setup = await _without_bots(ctx, setup)
    if meta.s is None:
        await require_setup(ctx, setup.channel_id, field=Field_.CHANNEL)
        standup = await service.create(ctx.session, ctx.team_id, setup, ctx.user_id)
        verb = "Created"
    else:
        standup = await service.get_by_id(ctx.session, ctx.team_id, meta.s)
        await require_manages(ctx, standup, "edit it")
        if setup.channel_id != standup.channel_id:  # owning this standup is no say over another channel
            await require_setup(ctx, setup.channel_id, field=Field_.CHANNEL)
        await service.update_setup(ctx.session, standup, setup)
        verb = "Saved"
    _know(ctx, [*setup.members, setup.owner_id])
    posting = ("each answer goes up as it arrives" if setup.mode is PostMode.EACH
               else "answers go up with the summary at the deadline")
    return (f"{verb} the standup *{mrkdwn(setup.name)}*: {blocks.counted(len(setup.members), 'participant')}, "
            f"{schedule_text(setup.days, setup.prompt, setup.deadline)}, reporting in "
            f"{channel_mention(setup.channel_id)}; {posting}.")


async def _without_bots(ctx: Ctx, setup: Setup) -> Setup:
    """Bots and people who left (as the directory knows them) are not participants, and cannot
    own a standup: its blocker DMs would go nowhere."""
    unwanted = await service.unwanted(ctx.session, ctx.team_id, [*setup.members, setup.owner_id])
    if setup.owner_id in unwanted:
        raise UserError("Pick a person as the owner: that one is a bot or has left the workspace.", field=Field_.OWNER)
    members = [m for m in setup.members if m not in unwanted]
    if not members:
        raise UserError("Pick at least one person: bots and people who left can't take part.", field=Field_.MEMBERS)
    return replace(setup, members=members)


def schedule_text(days: int, prompt: int, deadline: int) -> str:
    return (f"prompted {days_text(days)} at {time_text(prompt)} in each person's own time zone, "
            f"due by {time_text(deadline)}")


async def listed(ctx: Ctx) -> list[blocks.Listed]:
    standups = await service.listed(ctx.session, ctx.team_id)
    counts = await service.member_counts(ctx.session, [s.id for s in standups])
    return [blocks.Listed(s.name, s.channel_id, s.owner_id, counts.get(s.id, 0), s.days, s.prompt_at, s.deadline_at,
                          s.mode, s.paused_at is not None) for s in standups]


async def pause(ctx: Ctx, name: str, paused: bool) -> tuple[Standup, bool]:
    standup = await service.get(ctx.session, ctx.team_id, name)
    await require_manages(ctx, standup, "pause or resume it")
    return standup, await service.set_paused(ctx.session, standup, paused, clock.now())


async def ask_delete(ctx: Ctx, name: str) -> dict[str, Any]:
    standup = await service.get(ctx.session, ctx.team_id, name)
    await require_manages(ctx, standup, "delete it")
    answers = await service.answer_count(ctx.session, standup.id)
    return blocks.delete_modal(standup.name, answers, DeleteMeta(s=standup.id, n=standup.name, c=ctx.channel_id or ""))


async def delete(ctx: Ctx, meta: DeleteMeta) -> str | None:
    """None when it was already gone (a second click, another admin)."""
    try:
        standup = await service.get_by_id(ctx.session, ctx.team_id, meta.s)
    except NotFound:
        return None
    await require_manages(ctx, standup, "delete it")
    blockers = await service.open_blockers(ctx.session, standup.id)
    launches = [lid for b in blockers for lid in await launch_service.clear_risk(
        ctx.session, ctx.team_id, RISK_SOURCE, risk_ref(b.id))]
    await service.remove(ctx.session, standup)
    _rerender(ctx, launches)
    return standup.name


# -- answering --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Opened:
    form: dict[str, Any] | None = None  # open this modal
    choices: list[tuple[int, str, date]] | None = None  # or let the person choose


async def answer_calendar(session: AsyncSession, team_id: str, user_id: str) -> Calendar:
    """Their calendar from far enough back for the oldest day a button still opens."""
    return await calendar_of(session, team_id, user_id, from_day=(clock.now() - timedelta(days=8)).date())


async def _calendar(ctx: Ctx) -> Calendar:
    return await answer_calendar(ctx.session, ctx.team_id, ctx.user_id)


async def _form(ctx: Ctx, standup: Standup, day: date, cal: Calendar) -> dict[str, Any]:
    current = await service.answer_of(ctx.session, standup.id, ctx.user_id, day)
    previous = await service.previous_answer(ctx.session, standup.id, ctx.user_id, day)
    blocker = await service.open_blocker(ctx.session, standup.id, ctx.user_id)
    late = current.late if current is not None else clock.now() >= schedule.deadline_at(cal, service.times(standup), day)
    return blocks.answer_modal(blocks.AnswerForm(
        standup.id, standup.name, day, list(standup.questions), list(current.answers) if current else None,
        list(previous.answers) if previous else None, blocker_question(standup.questions),
        blocker.text if blocker is not None else None, late))


async def day_to_answer(session: AsyncSession, standup: Standup, user_id: str, cal: Calendar) -> date | None:
    """The day `/standup` opens (and the App Home's button): not one whose deadline came before
    the person joined."""
    t = service.times(standup)
    since = cal.local_date(clock.now()) - timedelta(days=OLDEST_DAYS)
    day = schedule.answer_day(cal, t, clock.now(), await service.answered_days(session, standup.id, user_id, since))
    joined = await service.joined_at(session, standup.id, user_id)
    if day is not None and joined is not None and schedule.deadline_at(cal, t, day) <= joined:
        return schedule.next_day(t, day)
    return day


async def open_for_today(ctx: Ctx, name: str | None) -> Opened:
    """`/standup` (the person's standups) or `/standup <name>` (NotFound: no standup has that name;
    handlers/standups.py answers it with the help)."""
    cal = await _calendar(ctx)
    if name is not None:
        standup = await service.get(ctx.session, ctx.team_id, name)
        await _require_member(ctx, standup)
        mine = [standup]
    else:
        mine = [s for s in await service.standups_of(ctx.session, ctx.team_id, ctx.user_id) if s.paused_at is None]
        if not mine:
            raise UserError("You aren't in any running standup. `/standup list` shows them; their owners add "
                            "participants with `/standup edit <name>`.")
    choices = []
    for standup in mine:
        day = await day_to_answer(ctx.session, standup, ctx.user_id, cal)
        if day is not None:
            choices.append((standup.id, standup.name, day))
    if not choices:
        raise UserError("That standup has no days set; its owner can pick them with `/standup edit`.")
    if len(choices) > 1:
        return Opened(choices=choices)
    standup = mine[0] if len(mine) == 1 else next(s for s in mine if s.id == choices[0][0])
    return Opened(form=await _form(ctx, standup, choices[0][2], cal))


async def _require_member(ctx: Ctx, standup: Standup) -> None:
    if not await service.is_member(ctx.session, standup.id, ctx.user_id):
        raise UserError(f"You aren't part of the standup *{mrkdwn(standup.name)}*. Its owner "
                        f"({user_mention(standup.owner_id)}) or an ops admin can add you with "
                        f"`/standup edit {mrkdwn(standup.name)}`.")


def _day_of(ref: DayRef) -> date:
    try:
        return date.fromisoformat(ref.d)
    except ValueError:
        raise UserError("That button or form is out of date; run `/standup` again.") from None


async def _check_day(ctx: Ctx, standup: Standup, day: date, cal: Calendar) -> None:
    t = service.times(standup)
    today = cal.local_date(clock.now())
    if day < today - timedelta(days=OLDEST_DAYS):
        raise UserError(f"The standup of {blocks.day_label(day)} is more than a week old; it can't be answered now. "
                        "`/standup` opens today's.")
    upcoming = schedule.next_day(t, today)
    if not t.is_day(day):
        raise UserError(f"{blocks.day_label(day)} is not one of this standup's days (any more); "
                        "`/standup` opens today's.")
    if day > today and day != upcoming:
        raise UserError(f"The standup of {blocks.day_label(day)} can't be answered yet: answers open after the "
                        "deadline of the day before. `/standup` opens the one you can answer now.")
    joined = await service.joined_at(ctx.session, standup.id, ctx.user_id)
    if joined is not None and schedule.deadline_at(cal, t, day) <= joined:
        raise UserError(f"You joined *{mrkdwn(standup.name)}* after the deadline of {blocks.day_label(day)}, "
                        "so there is nothing to answer for that day. `/standup` opens today's.")


async def open_from_button(ctx: Ctx, ref: DayRef) -> dict[str, Any]:
    standup = await service.get_by_id(ctx.session, ctx.team_id, ref.s)
    await _require_member(ctx, standup)
    day, cal = _day_of(ref), await _calendar(ctx)
    await _check_day(ctx, standup, day, cal)
    return await _form(ctx, standup, day, cal)


def read_answers(values: list[str | None]) -> list[str]:
    answers = [(v or "").strip() for v in values]
    if not any(answers):
        raise UserError("Answer at least one question.", field="q0")
    for i, answer in enumerate(answers):
        if len(plain(answer)) > ANSWER_MAX:
            raise UserError(f"Keep each answer under {ANSWER_MAX} characters.", field=f"q{i}")
    return answers


async def submit(ctx: Ctx, ref: DayRef, values: list[str | None]) -> str:
    """Save the person's answers for the day and schedule what follows: the post (or its
    update), the summary's counts, the owner's one DM about a new blocker, and a blocker that
    names a launch onto that launch. Returns the confirmation to show."""
    standup = await service.get_by_id(ctx.session, ctx.team_id, ref.s)
    await _require_member(ctx, standup)
    day, cal = _day_of(ref), await _calendar(ctx)
    await _check_day(ctx, standup, day, cal)
    answers = read_answers(values[:len(standup.questions)])
    late = clock.now() >= schedule.deadline_at(cal, service.times(standup), day)
    saved = await service.save_answer(ctx.session, standup, ctx.user_id, day, answers, late=late)
    if not saved.changed:
        return "Nothing changed: those are the answers already posted."
    summarised = await service.days_summarised(ctx.session, standup.id, day)
    if standup.mode is PostMode.SUMMARY and summarised is None:
        saved.answer.unposted = False  # goes up with the summary, whose post publishes it
    notices = await _blocker_effects(ctx, standup, saved, cal.local_date(clock.now()))
    rt, team_id, answer_id, standup_id, user = ctx.rt, ctx.team_id, saved.answer.id, standup.id, ctx.user_id
    ctx.later(lambda: flows.after_answer(rt, team_id, standup_id, answer_id, day, user))
    for notice in notices:
        ctx.later(lambda notice=notice: notify(rt, notice))
    where = channel_mention(standup.channel_id)
    if standup.mode is PostMode.SUMMARY and summarised is None:
        return f"Saved. It goes up in {where} with the summary once the deadline has passed."
    edited = "" if saved.first else " (the posted message is updated)"
    return f"Saved{edited}. It's going up in {where}" + (", marked late." if saved.answer.late else ".")


async def _blocker_effects(ctx: Ctx, standup: Standup, saved: Saved, today: date) -> list[Notice]:
    """The owner's DM about a new blocker, and the launch a blocker names (a risk on it, one
    line in its checklist thread): stored with the answer, sent after the commit."""
    notices: list[Notice] = []
    launches: list[int] = []
    if saved.cleared is not None:
        launches += await launch_service.clear_risk(ctx.session, ctx.team_id, RISK_SOURCE, risk_ref(saved.cleared.id))
    blocker = saved.blocker
    if blocker is not None:
        launch = await launch_service.named_in(ctx.session, ctx.team_id, blocker.text, today)
        if launch is None and blocker.launch_id is not None:  # the text no longer names it
            launches += await launch_service.clear_risk(ctx.session, ctx.team_id, RISK_SOURCE, risk_ref(blocker.id))
            blocker.launch_id = None
        if launch is not None:
            if blocker.launch_id not in (None, launch.id):
                launches += await launch_service.clear_risk(ctx.session, ctx.team_id, RISK_SOURCE,
                                                            risk_ref(blocker.id))
            blocker.launch_id = launch.id
            await launch_service.raise_risk(ctx.session, launch, RISK_SOURCE, risk_ref(blocker.id), blocker.text,
                                            blocker.user_id)
            launches.append(launch.id)
            notices.append(_notice(LAUNCH_LINE_KIND, blocker, f"launch:{launch.id}", launch.channel_id,
                                   f"standup blocker {blocker.id} on launch {launch.id}"))
        if saved.raised and standup.owner_id != ctx.user_id:
            notices.append(_notice(BLOCKER_KIND, blocker, "raised", standup.owner_id,
                                   f"standup blocker {blocker.id} to {standup.owner_id}"))
    now = clock.now()
    for notice in notices:  # stored now: a crash after the commit leaves them for the notifier's sweep
        await outbox.enqueue(ctx.session, notice, nudge=False, now=now)
    _rerender(ctx, launches)
    return notices


def _notice(kind: str, blocker: StandupBlocker, period: str, to: str, what: str) -> Notice:
    return Notice(blocker.team_id, kind, f"blocker:{blocker.id}", period, to, f"{what} in {blocker.team_id}",
                  {"b": blocker.id})


def _rerender(ctx: Ctx, launch_ids: list[int]) -> None:
    """The checklists of launches whose standup blockers changed show the change."""
    rt, client, team_id = ctx.rt, ctx.client, ctx.team_id
    for launch_id in dict.fromkeys(launch_ids):
        ctx.later(lambda launch_id=launch_id: launch_flows.render(rt, client, team_id, launch_id))


# -- stats ------------------------------------------------------------------------------------------

STATS_DAYS = 30


async def stats(ctx: Ctx, name: str | None) -> list[Any]:
    if name is None:
        mine = await service.standups_of(ctx.session, ctx.team_id, ctx.user_id)
        if len(mine) != 1:
            raise UserError("Which standup? `/standup stats <name>`; `/standup list` shows the names.")
        standup = mine[0]
    else:
        standup = await service.get(ctx.session, ctx.team_id, name)
    # Per-person participation is for the team itself, its owner and ops admins.
    if not (await service.is_member(ctx.session, standup.id, ctx.user_id) or await _manages(ctx, standup)):
        raise refused(f"the standup's participants, its owner ({user_mention(standup.owner_id)}) and ops admins",
                      "see its stats")
    today = clock.today_in(ctx.workspace.timezone)
    first = today - timedelta(days=STATS_DAYS - 1)
    people = await service.stats(ctx.session, standup, first, today, clock.now())
    raised, cleared, open_now, median = await service.blocker_totals(ctx.session, standup, first, today, today)
    return blocks.stats_blocks(standup.name, first, today, people, raised, open_now, cleared, median)
