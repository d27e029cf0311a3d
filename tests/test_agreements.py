"""Working agreements (issue 18) through the real endpoint: a history whose answer is known exactly
(working days across a weekend and a workspace holiday), the agreement made with the form (a
KPI whose source is built in), its backfilled daily values, the exceptions, the report, the
daily value stored once by two replicas ticking at once, and bad input refused with nothing
changed. On SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot import duties
from bot.agreements import metrics
from bot.agreements.blocks import FORM
from bot.agreements.metrics import Scope, WorkingDays
from bot.clock import Clock
from bot.calendar.working import Calendar
from bot.calendar.hours import DEFAULT_HOURS
from models.agreement import Agreement, AgreementDay
from models.kpi import Kpi, KpiSource, KpiValue
from models.launch import Launch, LaunchAudit, LaunchItem
from models.standup import StandupBlocker
from tests.blockkit import assert_valid_blocks, block_text
from tests.conftest import Bot
from tests.feedback_helpers import file_by_command
from tests.replicas import second_replica
from tests.standup_helpers import channel_of, last_view, meet, submit, uid


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


async def command(bot: Bot, team: str, user: str, name: str, text: str) -> dict:
    status, body = await bot.slack.command(team, user, name, text, channel_id=channel_of(team))
    assert status == 200, body
    await bot.settle()
    return body or {}


async def answered_later(bot: Bot, team: str, user: str, text: str) -> dict:
    """`/prodops agreements` and `report` answer at once that they are on it, then through the
    command's response_url once the history is read (off the ack path)."""
    bot.fake.responses.clear()
    status, body = await bot.slack.command(team, user, "/prodops", text, channel_id=channel_of(team),
                                           response_url=bot.fake.response_url("later"))
    assert status == 200 and "…" in body["text"], body
    await bot.settle()
    ((key, reply),) = bot.fake.responses
    assert key == "later" and reply["response_type"] == "ephemeral", reply
    return reply


async def history(bot: Bot, team: str, clock: Clock, admin: str) -> None:
    """Mon 2 Nov 2026 onwards, UTC, Mon-Fri, Mon 16 Nov a workspace holiday:
    #1 filed Fri 6, triaged Mon 9: 1 working day, kept;
    #2 filed Mon 9, triaged Fri 13: 4 working days, broken (1 late);
    #3 filed Tue 10, never triaged: as of Fri 20, 7 working days open (the holiday not
       counted), broken (4 late);
    #4 filed Thu 19: its 3 working days end Tue 24, undecided as of Fri 20."""
    clock.set(at("2026-11-02", 9))
    await command(bot, team, admin, "/prodops", "holidays add 2026-11-16 Offsite")
    for day, text in (("2026-11-06", "Dark mode"), ("2026-11-09", "Reports load slowly"),
                      ("2026-11-10", "SSO for Okta"), ("2026-11-19", "Bulk edit")):
        clock.set(at(day))
        await file_by_command(bot, team, admin, text)
    for day, number in (("2026-11-09", 1), ("2026-11-13", 2)):
        clock.set(at(day, 15))
        await command(bot, team, admin, "/feedback", f"status {number} triaged")


async def core_team(bot: Bot, team: str, clock: Clock) -> tuple[str, str, str, Any]:
    """Ada (an admin) and the standup "Core team" of Maria and Otto, set up Mon 26 Oct (UTC)."""
    from tests.standup_helpers import set_up

    admin, maria, otto = uid(team, "ADM"), uid(team, "MAR"), uid(team, "OTT")
    await meet(bot, team, admin, "UTC", "Ada", is_admin=True)
    await meet(bot, team, maria, "UTC", "Maria")
    await meet(bot, team, otto, "UTC", "Otto")
    clock.set(at("2026-10-26", 9))
    return admin, maria, otto, await set_up(bot, team, admin, "Core team", [maria, otto])


async def agreed(bot: Bot, team: str, clock: Clock, target: str) -> str:
    """The history, then on Fri 20 Nov an admin agrees triage within 3 working days, `target`%."""
    admin = uid(team, "ADM")
    await meet(bot, team, admin, "UTC", "Ada", is_admin=True)
    await history(bot, team, clock, admin)
    clock.set(at("2026-11-20", 9))
    await command(bot, team, admin, "/prodops", "agree")
    await submit(bot, team, admin, last_view(bot, FORM), {"metric": "feedback.triage", "target": target,
                                                          "channel": channel_of(team)})
    return admin


def test_working_days_count_after_the_start_and_skip_days_off() -> None:
    cal = Calendar("T1", "", metrics.ZoneInfo("UTC"), DEFAULT_HOURS, {date(2026, 11, 16): "Offsite"}, None, (),
                   lambda country, year: {})
    days = WorkingDays(cal, date(2026, 11, 1), date(2026, 11, 30))
    assert days.after(date(2026, 11, 6), date(2026, 11, 9)) == 1  # Friday to Monday
    assert days.after(date(2026, 11, 10), date(2026, 11, 20)) == 7  # the holiday left out
    assert days.after(date(2026, 11, 9), date(2026, 11, 9)) == 0
    assert days.deadline(date(2026, 11, 13), 1) == date(2026, 11, 17)  # over the weekend and the holiday
    assert days.deadline(date(2026, 11, 10), 3) == date(2026, 11, 13)


async def test_an_agreement_from_the_form_measures_the_history_exactly(bot: Bot, team: str, clock: Clock) -> None:
    admin, other = uid(team, "ADM"), uid(team, "OTH")
    await meet(bot, team, admin, "UTC", "Ada", is_admin=True)
    await meet(bot, team, other, "UTC", "Otto")
    await history(bot, team, clock, admin)
    clock.set(at("2026-11-21", 9))  # Saturday: yesterday, Fri 20, is the last finished day

    async with bot.rt.db.reading() as session:
        reading = await metrics.feedback_triage(session, team, date(2026, 11, 20), Scope(within=3))
        assert (reading.kept, reading.broken, reading.value) == (1, 2, 33.3)
        assert [(e.what, e.late) for e in reading.exceptions] == [("#3", 4), ("#2", 1)]
        earlier = await metrics.feedback_triage(session, team, date(2026, 11, 11), Scope(within=3))
        assert (earlier.kept, earlier.broken) == (1, 0)  # as of Wed 11: #2 and #3 not yet due
        due = await metrics.feedback_triage(session, team, date(2026, 11, 12), Scope(within=3))
        assert (due.kept, due.broken) == (1, 1)  # Thu 12 ended with #2 three working days old, untriaged

    # Not an admin: refused, no form.
    body = await command(bot, team, other, "/prodops", "agree")
    assert "Only" in body.get("text", "") and not bot.fake.calls_to("views.open")
    await command(bot, team, admin, "/prodops", "agree")
    view = last_view(bot, FORM)
    assert_valid_blocks(view["blocks"])
    for bad, field in (({"target": "lots"}, "target"), ({"target": "0"}, "target"), ({"within": "x"}, "within"),
                       ({"target": "101"}, "target")):
        status, answer = await submit(bot, team, admin, view, {"metric": "feedback.triage", "target": "90",
                                                               "channel": channel_of(team), **bad})
        assert status == 200 and field in (answer or {}).get("errors", {}), (bad, answer)
    async with bot.rt.db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(Kpi).where(Kpi.team_id == team)) == 0
    status, answer = await submit(bot, team, admin, view, {"metric": "feedback.triage", "within": "3",
                                                           "target": "90", "channel": channel_of(team)})
    assert status == 200 and not (answer or {}).get("errors"), answer

    async with bot.rt.db.reading() as session:
        kpi = await session.scalar(select(Kpi).where(Kpi.team_id == team))
        assert kpi is not None and kpi.source is KpiSource.BUILTIN and kpi.target == 90
        assert kpi.stale_at is None  # its values are the bot's: it never goes stale waiting for one
        key = kpi.key
        days = {d.day: d.value for d in (await session.scalars(select(AgreementDay).join(Agreement).where(
            Agreement.kpi_id == kpi.id))).all()}
        values = (await session.scalars(select(KpiValue.value).where(KpiValue.kpi_id == kpi.id))).all()
    assert len(days) == 90 and max(days) == date(2026, 11, 20)  # backfilled up to yesterday
    assert days[date(2026, 11, 20)] == 33.3 and days[date(2026, 11, 11)] == 100.0 and days[date(2026, 11, 12)] == 50.0 and days[date(2026, 11, 1)] is None
    assert len(values) == sum(v is not None for v in days.values())  # one KPI value per measured day

    listed = await answered_later(bot, team, other, "agreements")
    text = block_text(listed["blocks"])
    assert "33.3%" in text and "90%" in text and "#3" in text and "4 working days late" in text
    assert "SSO for Okta" in text
    refused = await command(bot, team, admin, "/kpi", f"log {key} 50")
    assert "working agreement" in refused.get("text", "")
    listed_kpis = block_text((await command(bot, team, admin, "/kpi", "")).get("blocks", []))
    assert key in listed_kpis and "/kpi log" not in listed_kpis, listed_kpis  # nothing here takes a typed value

    report = await answered_later(bot, team, other, "report 30d")
    assert_valid_blocks(report["blocks"])
    shown = block_text(report["blocks"])
    assert "Triaged within 3 working days: *33.3%* (agreed: 90%)" in shown, shown
    assert "#3 (8 working days)" in shown or "#3 (" in shown  # waiting longest for triage
    bad = await command(bot, team, other, "/prodops", "report 7y")
    assert "not a period" in bad.get("text", "")


async def test_the_daily_value_is_stored_once_by_two_replicas_and_late_data_recomputes(
        bot: Bot, team: str, clock: Clock) -> None:
    admin = await agreed(bot, team, clock, "50")
    async with bot.rt.db.reading() as session:
        agreement = await session.scalar(select(Agreement).where(Agreement.team_id == team))
        assert agreement is not None
        agreement_id, kpi_id, next_at = agreement.id, agreement.kpi_id, agreement.next_at
    assert next_at.astimezone(UTC) == at("2026-11-21", 0) + timedelta(minutes=10)
    # Late data for Thu 19 is typed on Fri 20: #3 triaged now (too late, still broken).
    clock.set(at("2026-11-20", 16))
    await command(bot, team, admin, "/feedback", "status 3 triaged")
    tick_at = at("2026-11-21", 0) + timedelta(minutes=11)
    clock.set(tick_at)
    async with second_replica(bot) as other:
        one, two = await asyncio.gather(duties.tick(bot.rt, tick_at), duties.tick(other.rt, tick_at))
    await bot.settle()
    mine = [line for line in one + two if team in line and "working agreement" in line]
    assert sum(line.startswith("working agreements: sent ") for line in mine) == 1, mine
    async with bot.rt.db.reading() as session:
        stored = (await session.execute(select(AgreementDay.value, AgreementDay.kept, AgreementDay.broken).where(
            AgreementDay.agreement_id == agreement_id, AgreementDay.day == date(2026, 11, 20)))).all()
        kpi = await session.get(Kpi, kpi_id)
        key = kpi.key if kpi is not None else ""
        values = (await session.scalars(select(KpiValue.value).where(KpiValue.kpi_id == kpi_id,
                                                               KpiValue.at >= at("2026-11-20", 0)))).all()
    assert [tuple(s) for s in stored] == [(33.3, 1, 2)]
    assert list(values) == [33.3] and key
    # Off its 50% target: the KPI feature's own nudge in the agreement's channel, said once (when
    # it was made, its latest day already off target), not again for the next day still off.
    posted = [c.args.get("text", "") for c in bot.fake.posted(channel_of(team)) if key in json.dumps(c.args)]
    assert sum("off target" in p.lower() for p in posted) == 1, posted


async def test_triage_days_are_the_workspace_zone_s_across_a_dst_change(bot: Bot, team: str, clock: Clock) -> None:
    """New York: filed Thu 29 Oct 21:00 EDT (already Friday in UTC), triaged Mon 2 Nov 10:00 EST
    (the clocks went back on Sunday): Friday and Monday are 2 working days, so one working day's
    agreement is broken (counted in UTC it would have looked like 1, kept)."""
    admin = uid(team, "ADM")
    await meet(bot, team, admin, "America/New_York", "Ada", is_admin=True)
    await command(bot, team, admin, "/prodops", "timezone America/New_York")
    clock.set(datetime(2026, 10, 30, 1, 0, tzinfo=UTC))
    await file_by_command(bot, team, admin, "Calendar sync drops events")
    clock.set(datetime(2026, 11, 2, 15, 0, tzinfo=UTC))
    await command(bot, team, admin, "/feedback", "status 1 triaged")
    async with bot.rt.db.reading() as session:
        one = await metrics.feedback_triage(session, team, date(2026, 11, 6), Scope(within=1))
        two = await metrics.feedback_triage(session, team, date(2026, 11, 6), Scope(within=2))
    assert (one.kept, one.broken, one.exceptions[0].late) == (0, 1, 1)
    assert (two.kept, two.broken, two.spans) == (1, 0, (2,))


async def test_checklist_items_on_time_per_function_with_slips_and_decisions_in_the_report(
        bot: Bot, team: str, clock: Clock) -> None:
    """Launch "Atlas" on Fri 20 Nov (moved from Mon 16 Nov, 4 days later), decided go on Thu 19:
    legal "Terms" due Tue 17 done Wed 18 (1 working day late), legal "DPA" due Wed 18 never done
    (2 working days late as of Fri 20), engineering "Code freeze" due Mon 16 done Mon 16 (kept).
    A cancelled launch's items are not counted."""
    admin = uid(team, "ADM")
    await meet(bot, team, admin, "UTC", "Ada", is_admin=True)
    clock.set(at("2026-11-22", 9))
    async with bot.rt.db.unit_of_work() as session:
        atlas = Launch(team_id=team, name="Atlas", name_key="atlas", launch_date=date(2026, 11, 20),
                       channel_id=channel_of(team), owner_id=admin, template_name="default", created_by=admin)
        gone = Launch(team_id=team, name="Gone", name_key="gone", launch_date=date(2026, 11, 20),
                      channel_id=channel_of(team), owner_id=admin, template_name="default", created_by=admin,
                      cancelled_at=at("2026-11-10"))
        session.add_all([atlas, gone])
        await session.flush()
        session.add_all([
            LaunchItem(team_id=team, launch_id=atlas.id, function="legal", title="Terms", offset_days=-3, done=True,
                       done_at=at("2026-11-18")),
            LaunchItem(team_id=team, launch_id=atlas.id, function="legal", title="DPA", offset_days=-2),
            LaunchItem(team_id=team, launch_id=atlas.id, function="engineering", title="Code freeze", offset_days=-4,
                       done=True, done_at=at("2026-11-16", 8)),
            LaunchItem(team_id=team, launch_id=gone.id, function="legal", title="Never", offset_days=-2),
            LaunchAudit(team_id=team, launch_id=atlas.id, actor_id=admin, action="date",
                        detail="2026-11-16 → 2026-11-20", at=at("2026-11-12")),
            LaunchAudit(team_id=team, launch_id=atlas.id, actor_id=admin, action="decision", detail="go",
                        at=at("2026-11-19"))])
    async with bot.rt.db.reading() as session:
        every = await metrics.launch_on_time(session, team, date(2026, 11, 20), Scope())
        legal = await metrics.launch_on_time(session, team, date(2026, 11, 20), Scope(function="legal"))
    assert (every.kept, every.broken, every.by_group) == (1, 2, {"engineering": (1, 0), "legal": (0, 2)})
    assert [(e.what, e.late) for e in legal.exceptions] == [("DPA — Atlas", 2), ("Terms — Atlas", 1)]
    assert {e.channel_id for e in legal.exceptions} == {channel_of(team)}  # where its checklist is
    assert legal.value == 0.0
    body = await answered_later(bot, team, admin, "report 30d")
    shown = block_text(body["blocks"])
    assert "Checklist items done by their due date: *33.3%*" in shown, shown
    assert "Most late checklist items: *legal*, 2 late (median 1.5 working days late)" in shown
    assert "Go/no-go decided before launch day: *100%*" in shown and "Launch date moves: *1*" in shown
    assert "+4 days on average" in shown


async def test_blockers_count_the_blocked_person_s_away_day(bot: Bot, team: str, clock: Clock) -> None:
    """Maria's blocker since Mon 2 Nov, cleared Thu 5 Nov, with Maria away on Tue 3: 2 working
    days (Wed, Thu), kept within 2; Otto's, the same dates without an away day: 3, broken."""
    admin, maria, otto, standup = await core_team(bot, team, clock)
    await command(bot, team, admin, "/prodops", f"away <@{maria}> 2026-11-03")
    clock.set(at("2026-11-09", 9))
    async with bot.rt.db.unit_of_work() as session:
        for user in (maria, otto):
            session.add(StandupBlocker(standup_id=standup.id, team_id=team, user_id=user, text="Waiting on &lt;API&gt;",
                                       since=date(2026, 11, 2), last_day=date(2026, 11, 4),
                                       cleared_on=date(2026, 11, 5)))
    async with bot.rt.db.reading() as session:
        reading = await metrics.standup_blockers(session, team, date(2026, 11, 6), Scope(within=2))
    assert (reading.kept, reading.broken) == (1, 1)
    assert [(e.user_id, e.late) for e in reading.exceptions] == [(otto, 1)]


async def test_prodops_bot_tick_stores_the_day_and_a_dry_run_stores_nothing(
        bot: Bot, team: str, clock: Clock, tmp_path) -> None:  # noqa: ANN001
    from tests.test_duties import cli

    await agreed(bot, team, clock, "30")
    async with bot.rt.db.reading() as session:
        agreement_id = await session.scalar(select(Agreement.id).where(Agreement.team_id == team))
    when = (at("2026-11-21", 0) + timedelta(minutes=12)).isoformat()

    async def day_20() -> list[float | None]:
        async with bot.rt.db.reading() as session:
            return list((await session.scalars(select(AgreementDay.value).where(
                AgreementDay.agreement_id == agreement_id, AgreementDay.day == date(2026, 11, 20)))).all())

    code, out, err = await cli(bot, tmp_path, "--at", when, "--dry-run")
    assert code == 0, err
    assert f"working agreements: would send working agreement {agreement_id} in {team} for 2026-11-20" in out, out
    assert await day_20() == []
    code, out, err = await cli(bot, tmp_path, "--at", when)
    assert code == 0, err
    assert f"working agreements: sent working agreement {agreement_id} in {team} for 2026-11-20" in out, out
    assert await day_20() == [33.3]
    code, out, _ = await cli(bot, tmp_path, "--at", when)  # again: found no more (its next day is tomorrow)
    assert f"working agreement {agreement_id} in {team}" not in out and await day_20() == [33.3]


async def test_duplicates_forged_edits_kpi_removal_and_catch_up_crossings(bot: Bot, team: str, clock: Clock) -> None:
    """An identical agreement, `{"editing": true}` metadata, working days for a metric without
    any, and `/kpi remove` of an agreement are each refused with nothing changed; after three
    days of downtime, the day that went off target is said once (each missed day through the
    KPI's record, in order)."""
    admin = uid(team, "ADM")
    await meet(bot, team, admin, "UTC", "Ada", is_admin=True)
    clock.set(at("2026-11-02", 9))
    await file_by_command(bot, team, admin, "Quick triage")  # #1, triaged the same day
    clock.set(at("2026-11-02", 11))
    await command(bot, team, admin, "/feedback", "status 1 triaged")
    clock.set(at("2026-11-03", 9))
    await file_by_command(bot, team, admin, "Never triaged")  # #2: its day is Thu 5 (2 working days)
    clock.set(at("2026-11-03", 12))
    await command(bot, team, admin, "/prodops", "agree")
    view = last_view(bot, FORM)
    fields = {"metric": "feedback.triage", "within": "2", "target": "60", "channel": channel_of(team)}
    status, answer = await submit(bot, team, admin, view, fields)
    assert not (answer or {}).get("errors"), answer
    status, again = await submit(bot, team, admin, view, fields)
    assert "exists already" in again["errors"]["metric"], again
    status, forged = await submit(bot, team, admin, {**view, "private_metadata": '{"editing": true}'},
                                  {**fields, "target": "10"})
    status, none = await submit(bot, team, admin, view, {**fields, "metric": "standup.participation"})
    assert "leave it empty" in none["errors"]["within"], none
    async with bot.rt.db.reading() as session:
        targets = (await session.scalars(select(Kpi.target).where(Kpi.team_id == team))).all()
        key = (await session.scalars(select(Kpi.key).where(Kpi.team_id == team))).one()
    assert list(targets) == [60.0]  # the forged edit changed nothing
    removed = await command(bot, team, admin, "/kpi", f"remove {key}")
    assert "/prodops agreements remove" in removed.get("text", "")
    # Down from Tue 3 to Sat 7: one tick finds Tue 3 (100%), Wed 4 (100%), Thu 5 (50%: #2 is
    # past its 2 working days), Fri 6 (50%), stored in order; Thu 5's crossing is said once.
    tick_at = at("2026-11-07", 0) + timedelta(minutes=11)
    clock.set(tick_at)
    lines = [line for line in await duties.tick(bot.rt, tick_at) if team in line and "working agreement" in line]
    await bot.settle()
    assert len(lines) == 4 and all(line.startswith("working agreements: sent") for line in lines), lines
    async with bot.rt.db.reading() as session:
        stored = dict((await session.execute(select(AgreementDay.day, AgreementDay.value).join(Agreement).where(
            Agreement.team_id == team))).all())
    assert [stored[date(2026, 11, d)] for d in (3, 4, 5, 6)] == [100.0, 100.0, 50.0, 50.0], stored
    posted = [c.args.get("text", "") for c in bot.fake.posted(channel_of(team)) if key in json.dumps(c.args)]
    assert sum("off target" in p.lower() for p in posted) == 1, posted


async def test_an_agreement_on_the_home_has_no_log_button_and_is_not_in_the_log_form(
        bot: Bot, team: str, clock: Clock) -> None:
    from bot.home import kpi_log
    from bot.kpis.home import mine_blocks
    from bot.kpis.requests import rows_of

    admin = uid(team, "ADM")
    await meet(bot, team, admin, "UTC", "Ada", is_admin=True)
    clock.set(at("2026-11-20", 9))
    await file_by_command(bot, team, admin, "Something")
    await command(bot, team, admin, "/prodops", "agree")
    await submit(bot, team, admin, last_view(bot, FORM), {"metric": "feedback.triage", "target": "90",
                                                          "channel": channel_of(team)})
    async with bot.rt.db.reading() as session:
        kpis = list((await session.scalars(select(Kpi).where(Kpi.team_id == team))).all())
        rows = await rows_of(session, kpis, clock.now())
        options, total = await kpi_log.choices(session, team, admin, True)
    assert [r.computed for r in rows] == [True]
    assert "Log a value" not in json.dumps(mine_blocks(rows)) and (options, total) == ([], 0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(head=st.sampled_from(["agree", "agreements", "agreements edit", "agreements remove", "report"]),
       rest=st.text(st.characters(blacklist_categories=("Cs",)), max_size=40))
async def test_whatever_follows_the_agreement_commands_is_answered_and_changes_nothing(
        bot: Bot, team: str, head: str, rest: str) -> None:
    """Typed text through the endpoint, from someone who is not an admin: a clear answer (a
    usage line, a refusal, or the list and report themselves), never an error, no rows."""
    status, body = await bot.slack.command(team, "UTYPIST1", "/prodops", f"{head} {rest}",
                                           channel_id=channel_of(team), response_url=bot.fake.response_url("t"))
    await bot.settle()
    assert status == 200 and body.get("text"), body
    assert "went wrong" not in body["text"] and "went wrong" not in json.dumps(bot.fake.responses)
    async with bot.rt.db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(Agreement).where(Agreement.team_id == team)) == 0


async def test_nudges_acted_on_count_what_each_nudge_asked_for(bot: Bot, team: str, clock: Clock) -> None:
    """Mon 2 Nov: Maria's standup reminder, answered Tue 3 (1 working day: kept); Otto's,
    never answered (broken once Tue 3 is over); a launch nudge to Ada whose overdue item was
    done Wed 4 (2 working days: broken); a failed delivery is no nudge."""
    from models.delivery import Delivery, DeliveryStatus
    from models.standup import StandupAnswer
    admin, maria, otto, standup = await core_team(bot, team, clock)
    async with bot.rt.db.unit_of_work() as session:
        launch = Launch(team_id=team, name="Atlas", name_key="atlas", launch_date=date(2026, 11, 20),
                        channel_id=channel_of(team), owner_id=admin, template_name="default", created_by=admin)
        session.add(launch)
        await session.flush()
        item = LaunchItem(team_id=team, launch_id=launch.id, function="legal", title="Terms", offset_days=-20,
                          done=True, done_at=at("2026-11-04"))
        session.add(item)
        await session.flush()
        sent = at("2026-11-02", 10)
        for user, status in ((maria, DeliveryStatus.SENT), (otto, DeliveryStatus.SENT), (admin, DeliveryStatus.FAILED)):
            session.add(Delivery(team_id=team, kind="standup.reminder", key=f"{standup.id}:{user}", period="2026-11-02",
                                 status=status, claim_token="t", sent_at=sent, recipient=user, nudge=True))
        session.add(Delivery(team_id=team, kind="launch.nudge", key=admin, period="2026-11-02", status=DeliveryStatus.SENT,
                             claim_token="t", sent_at=sent, recipient=admin, nudge=True,
                             data={"day": "2026-11-02", "overdue": [[item.id, "2026-10-31"]]}))
        session.add(StandupAnswer(standup_id=standup.id, team_id=team, user_id=maria, day=date(2026, 11, 2),
                                  answers=["a", "b", "none"], late=True, unposted=False, created_at=at("2026-11-03", 9),
                                  updated_at=at("2026-11-03", 9)))
    async with bot.rt.db.reading() as session:
        early = await metrics.nudges_acted_on(session, team, date(2026, 11, 2), Scope(within=1))
        later = await metrics.nudges_acted_on(session, team, date(2026, 11, 6), Scope(within=1))
        noise = await metrics.nudges_per_person_week(session, team, date(2026, 11, 6), 7)
    assert (early.kept, early.broken) == (0, 0)  # as of Mon 2 nothing is due yet
    assert (later.kept, later.broken) == (1, 2), later
    assert sorted((e.what, e.user_id) for e in later.exceptions) == [("launch nudge", admin), ("standup reminder", otto)]
    assert noise == 1.0  # three people nudged once each in a week


ZONES = ("UTC", "America/New_York", "Europe/Berlin", "Australia/Adelaide", "Australia/Lord_Howe", "Asia/Kathmandu",
         "Pacific/Chatham", "America/St_Johns")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(zone=st.sampled_from(ZONES), first=st.dates(date(2025, 1, 1), date(2027, 12, 1)),
       at=st.integers(0, 120 * 86400 - 1))
async def test_the_database_s_local_date_is_python_s_in_every_zone(bot: Bot, zone: str, first: date, at: int) -> None:
    """The metrics group rows by the local date the database computes (bot/sql.local_date):
    the same date as zoneinfo's, to the second around every DST change (half-hour zones, Lord
    Howe's half-hour DST), for instants of the 120 days from `first`."""
    from datetime import UTC, datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from sqlalchemy import literal

    from bot.sql import local_date, offsets
    from models.base import UTCDateTime

    tz = ZoneInfo(zone)
    instant = datetime.combine(first, time(0), UTC) + timedelta(seconds=at)
    # Each transition's own second and the one before it, as well as the drawn instant.
    last = first + timedelta(days=120)
    moments = [instant] + [m for t, _ in offsets(tz, first, last)[1:] for m in (t, t - timedelta(seconds=1))]
    async with bot.rt.db.reading() as session:
        dialect = session.get_bind().dialect.name
        for moment in moments:
            found = await session.scalar(select(local_date(literal(moment, UTCDateTime), tz, dialect, first, last)))
            assert found == moment.astimezone(tz).date(), (zone, moment)


async def test_a_weekly_digest_can_include_the_report_as_a_section(bot: Bot, team: str, clock: Clock) -> None:
    """Opt-in on the setup form (not checked for a new digest), its period chosen there; posted
    through `/digest now` as of the digest's local day: the agreed measure first, the item
    waiting longest, nobody mentioned in the channel, the whole report one command away."""
    from tests.digest_helpers import blocks_of, digest, digest_posts, open_setup, set_up

    admin = await agreed(bot, team, clock, "90")
    clock.set(at("2026-11-21", 8))  # Saturday: the report ends Fri 20
    view = await open_setup(bot, team, admin)
    sections = next(b for b in view["blocks"] if b.get("block_id") == "sections")["element"]
    assert "report" in {o["value"] for o in sections["options"]}
    assert "report" not in {o["value"] for o in sections.get("initial_options", [])}
    forged = json.loads(json.dumps(view))  # a submission with an option the form never offered
    radio = next(b for b in forged["blocks"] if b.get("block_id") == "report.period")["element"]
    radio["options"].append({"text": {"type": "plain_text", "text": "Seven years"}, "value": "7y"})
    status, stale = await submit(bot, team, admin, forged, {"name": "Ops weekly", "sections": ["report"],
                                                             "report.period": "7y"})
    assert "pick the report's period again" in stale["errors"]["report.period"], stale
    async with bot.rt.db.reading() as session:
        from models.digest import Digest
        assert await session.scalar(select(func.count()).select_from(Digest).where(Digest.team_id == team)) == 0
    saved = await set_up(bot, team, admin, "Ops weekly", cadence="weekly", days=["0"], time="09:00", timezone="UTC",
                         sections=["report"], **{"report.period": "30d"})
    assert saved.sections == {"report": {"period": "30d"}}
    listed = json.dumps(await digest(bot, team, admin, "list"))
    assert "the last 30 days against the 30 before" in listed, listed

    await digest(bot, team, admin, "now Ops weekly")
    [post] = digest_posts(bot, channel_of(team))
    assert_valid_blocks(blocks_of(post))
    shown = block_text(blocks_of(post))
    assert "*Where is the bottleneck?*" in shown and "2026-10-22 to 2026-11-20" in shown, shown
    assert "*Feedback*: Triaged within 3 working days: *33.3%* (agreed: 90%)" in shown, shown
    assert "Waiting longest for triage: #3" in shown and "`/prodops report 30d`" in shown, shown
    assert "<@" not in json.dumps(blocks_of(post)) + post.args.get("text", "")
    # Nothing was filed in the 30 days before (from Sep 22): no measure can have moved.
    assert post.args["text"] == "Ops weekly: Where is the bottleneck? 0 measures better, 0 worse than the 30d before"


async def test_an_edit_keeps_the_key_refuses_a_duplicate_and_re_saves_unchanged(bot: Bot, team: str,
                                                                                 clock: Clock) -> None:
    """The probe's findings: the edit form of a metric without working days opened with "0"
    that its own submit refused; an edit could turn one agreement into another's twin, or into
    another metric, and re-keyed the KPI (digests and `/kpi show` name it)."""
    admin = uid(team, "ADM")
    await meet(bot, team, admin, "UTC", "Ada", is_admin=True)
    clock.set(at("2026-11-03", 12))
    legal = {"metric": "launch.on_time", "function": "legal", "target": "80", "channel": channel_of(team)}
    every = {"metric": "launch.on_time", "target": "70", "channel": channel_of(team)}
    for fields in (legal, every):
        await command(bot, team, admin, "/prodops", "agree")
        status, answer = await submit(bot, team, admin, last_view(bot, FORM), fields)
        assert status == 200 and not (answer or {}).get("errors"), answer
    async with bot.rt.db.reading() as session:
        keys = dict((await session.execute(select(Agreement.function, Kpi.key).join(Kpi, Kpi.id == Agreement.kpi_id)
                                            .where(Agreement.team_id == team))).all())
    await command(bot, team, admin, "/prodops", f"agreements edit {keys['legal']}")
    view = last_view(bot, FORM)
    within = next(b for b in view["blocks"] if b.get("block_id") == "within")["element"]
    assert not within.get("initial_value"), within
    status, unchanged = await submit(bot, team, admin, view, {**legal, "within": "0"})
    assert not (unchanged or {}).get("errors"), unchanged
    status, other = await submit(bot, team, admin, view, {**legal, "function": None})
    assert "keeps what it measures" in other["errors"]["metric"], other  # it would be the other's twin, too
    status, moved = await submit(bot, team, admin, view, {**legal, "target": "75"})
    assert not (moved or {}).get("errors"), moved
    # Two triage agreements, within 2 and 3 working days: the first edited to 3 would be a twin.
    for within in ("2", "3"):
        await command(bot, team, admin, "/prodops", "agree")
        await submit(bot, team, admin, last_view(bot, FORM), {"metric": "feedback.triage", "within": within,
                                                              "target": "90", "channel": channel_of(team)})
    async with bot.rt.db.reading() as session:
        rows = (await session.execute(select(Agreement.function, Agreement.within_days, Kpi.key, Kpi.target)
                                      .join(Kpi, Kpi.id == Agreement.kpi_id).where(Agreement.team_id == team))).all()
    two = next(k for f, w, k, _ in rows if w == 2)
    three = next(k for f, w, k, _ in rows if w == 3)
    await command(bot, team, admin, "/prodops", f"agreements edit {two}")
    status, twin = await submit(bot, team, admin, last_view(bot, FORM), {"metric": "feedback.triage", "within": "3",
                                                                         "target": "90", "channel": channel_of(team)})
    assert f"`{three}`" in twin["errors"]["metric"], twin
    assert sorted((f or "", w, k, t) for f, w, k, t in rows if w == 0) == sorted(
        [("legal", 0, keys["legal"], 75.0), ("", 0, keys[None], 70.0)])  # the key kept, what it measures too


async def test_every_broken_item_counted_is_one_its_exceptions_can_list(bot: Bot, team: str, clock: Clock) -> None:
    """The probe's midnight rows: instants written at exactly midnight in another text form
    (`2026-11-13 00:00:00`, no fraction; SQLite stores text) were counted as broken but never
    fetched as exceptions. The exceptions are read by the same local-date expressions as the
    counts, so every broken item is listed."""
    from sqlalchemy import text

    admin = uid(team, "ADM")
    await meet(bot, team, admin, "UTC", "Ada", is_admin=True)
    clock.set(at("2026-11-12", 9))
    for word in ("one", "two", "three"):
        await file_by_command(bot, team, admin, f"Midnight {word}")
    async with bot.rt.db.unit_of_work() as session:
        if session.get_bind().dialect.name == "sqlite":  # text as another writer might have stored it
            await session.execute(text("UPDATE feedback_items SET created_at = '2026-11-13 00:00:00' "
                                       "WHERE team_id = :team"), {"team": team})
    async with bot.rt.db.reading() as session:
        reading = await metrics.feedback_triage(session, team, date(2026, 11, 25), Scope(within=3))
    assert reading.broken == 3 and sorted(e.what for e in reading.exceptions) == ["#1", "#2", "#3"], reading
