"""Mistakes can be undone (issue 9, the launch half): `/launch cancel` keeps a launch and its
history but takes it off the list, the checklist and the nudges; `/launch delete` asks in a modal,
then removes the launch, its items, its audit trail and its checklist message. `/launch list`
never calls a past launch day upcoming. Everything through the real signed endpoint and the
fake Web API, asserting what people see and what the database holds."""
from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, date, datetime, timedelta

from alembic import command
from alembic.autogenerate import compare_metadata

from bot.feedback.search import include_name
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, text

from bot.clock import Clock, now as clock_now
from bot.db import create_engine
from bot.duties import tick
from bot.launches.blocks import counted
from bot.migrate import alembic_config, upgrade
from models import Base
from models.launch import Launch, LaunchAudit, LaunchItem
from tests.blockkit import assert_valid_blocks, block_text
from tests.conftest import Bot
from tests.slack_requests import block_actions, interaction_form, view_submission
from tests.test_launches import OWNER, audit_actions, days, launch_rows, owner_pick, toggle_action

CHANNEL = "CLCANCEL"


async def create(bot: Bot, team: str, name: str = "Mobile v2", when: int = 30, *, user: str = OWNER,
                 channel: str = CHANNEL, tz: str = "UTC") -> Launch:
    bot.fake.add_user(user, tz=tz)
    status, body = await bot.slack.command(team, user, "/launch", f'new "{name}" {days(when)}', channel_id=channel)
    assert status == 200 and "Created" in body["text"], body
    await bot.settle()
    return next(launch for launch, _ in await launch_rows(bot, team) if launch.name == name)


async def launch_cmd(bot: Bot, team: str, user: str, text_: str, channel: str = CHANNEL) -> dict:
    status, body = await bot.slack.command(team, user, "/launch", text_, channel_id=channel)
    assert status == 200
    await bot.settle()
    return body or {}


async def row(bot: Bot, launch_id: int) -> Launch | None:
    async with bot.rt.db.unit_of_work() as session:
        return await session.get(Launch, launch_id)


async def counts(bot: Bot, launch_id: int) -> tuple[int, int, int]:
    """(launches, items, audit rows) with this launch's id."""
    async with bot.rt.db.unit_of_work() as session:
        out = []
        for model, column in ((Launch, Launch.id), (LaunchItem, LaunchItem.launch_id),
                              (LaunchAudit, LaunchAudit.launch_id)):
            out.append(int(await session.scalar(select(func.count()).select_from(model).where(column == launch_id))))
        return out[0], out[1], out[2]


def thread(bot: Bot, launch: Launch, channel: str = CHANNEL) -> list[str]:
    return [c.args["text"] for c in bot.fake.posted(channel) if c.args.get("thread_ts") == launch.message_ts]


def renders(bot: Bot) -> list[dict]:
    return [c.args for c in bot.fake.calls if c.method in ("chat.update", "chat.postMessage")
            and "Launch checklist" in c.args.get("text", "")]


async def ops_admin(bot: Bot, team: str, user: str) -> None:
    """`user` becomes an ops admin of `team` (not a Slack admin), as a Slack admin makes one."""
    boss = "UBOSS" + team[-4:]
    bot.fake.add_user(boss, is_admin=True)
    bot.fake.add_user(user)
    _, body = await bot.slack.command(team, boss, "/prodops", f"admins add <@{user}>")
    assert "is now an ops admin" in body["text"], body


# -- cancel -----------------------------------------------------------------------------------

async def test_cancel_is_for_the_launch_owner_and_ops_admins(bot: Bot, team: str) -> None:
    by_owner, by_admin = await create(bot, team, "Owned"), await create(bot, team, "Admined")
    assignee, stranger, admin = "UITEM01", "USTRAN1", "UOPSADM"
    bot.fake.add_user(assignee)
    bot.fake.add_user(stranger)
    first_item = next(items[0] for launch, items in await launch_rows(bot, team) if launch.id == by_admin.id)
    await bot.slack.interaction(block_actions(team, OWNER, [owner_pick(by_admin.id, first_item.id, assignee)]))
    await ops_admin(bot, team, admin)
    for who in (stranger, assignee):  # the item's owner checks off their item, nothing more
        body = await launch_cmd(bot, team, who, 'cancel "Admined"')
        assert body["text"] == f"Only the launch owner (<@{OWNER}>) and ops admins can cancel the launch."
        body = await launch_cmd(bot, team, who, 'delete "Admined"')
        assert body["text"] == f"Only the launch owner (<@{OWNER}>) and ops admins can delete the launch."
    assert (await row(bot, by_admin.id)).cancelled_at is None  # type: ignore[union-attr]
    assert bot.fake.calls_to("views.open") == []
    assert "Cancelled *Owned*" in (await launch_cmd(bot, team, OWNER, 'cancel "Owned"'))["text"]
    assert "Cancelled *Admined*" in (await launch_cmd(bot, team, admin, 'cancel "admined"'))["text"]
    owned, admined = await row(bot, by_owner.id), await row(bot, by_admin.id)
    assert owned and owned.cancelled_by == OWNER and owned.cancelled_at is not None
    assert admined and admined.cancelled_by == admin
    assert (await audit_actions(bot, by_admin.id)).count("cancel") == 1


async def test_a_cancelled_launch_keeps_its_history_and_its_checklist_says_so(bot: Bot, team: str) -> None:
    launch = await create(bot, team)
    ((_, items),) = await launch_rows(bot, team)
    await bot.slack.interaction(block_actions(team, OWNER, [toggle_action(launch.id, items[0].id)]))
    await bot.settle()
    before = len(bot.fake.calls)
    body = await launch_cmd(bot, team, OWNER, 'cancel "Mobile v2"')
    assert body["text"].startswith("Cancelled *Mobile v2*: it is off `/launch list`")
    assert '`/launch reopen "Mobile v2"` undoes it' in body["text"]
    # The checklist is re-rendered in place: no controls left, and it says who cancelled it.
    (update,) = [c for c in bot.fake.calls[before:] if c.method == "chat.update"]
    assert update.args["ts"] == launch.message_ts and update.args["text"] == "Launch checklist: Mobile v2, cancelled"
    assert_valid_blocks(update.args["blocks"])
    shown = block_text(update.args["blocks"])
    assert "(cancelled)" in shown and f"cancelled* by <@{OWNER}>" in shown and "nobody is nudged" in shown
    assert "✅ ~Code complete~" in shown and "⬜ QA sign-off" in shown and "overdue" not in shown
    assert not any(b["type"] == "actions" for b in update.args["blocks"])
    assert thread(bot, launch) == [f"<@{OWNER}> checked off Code complete", f"<@{OWNER}> cancelled the launch"]
    # Twice: it already is; nothing is written or posted.
    before = len(bot.fake.calls)
    body = await launch_cmd(bot, team, OWNER, 'cancel "Mobile v2"')
    assert body["text"].startswith("*Mobile v2* is already cancelled; nothing changed.")
    assert bot.fake.calls[before:] == []
    assert await audit_actions(bot, launch.id) == ["created", "check", "cancel"]
    ((kept, kept_items),) = await launch_rows(bot, team)
    assert len(kept_items) == 8 and kept_items[0].done  # the launch and its items are kept as they were
    # Status says so; nothing on it changes, from a command or a stale button.
    status = await launch_cmd(bot, team, OWNER, 'status "Mobile v2"')
    assert status["text"] == "Mobile v2: cancelled" and "1 item of 8 were done" in block_text(status["blocks"])
    for refused in (f'date "Mobile v2" {days(40)}', 'go "Mobile v2"', 'add "Mobile v2" sales | FAQ | -1'):
        body = await launch_cmd(bot, team, OWNER, refused)
        assert body["text"].startswith("*Mobile v2* was cancelled, so nothing on it changes."), refused
    stale = toggle_action(launch.id, items[1].id)
    await bot.slack.interaction(block_actions(team, OWNER, [stale], response_url=bot.fake.response_url("stale")))
    await bot.settle()
    assert "was cancelled, so nothing on it changes" in dict(bot.fake.responses)["stale"]["text"]
    assert await audit_actions(bot, launch.id) == ["created", "check", "cancel"]
    # And it leaves /launch list.
    listed = await launch_cmd(bot, team, OWNER, "list")
    assert listed["text"] == "0 upcoming launches" and "Mobile v2" not in block_text(listed["blocks"])


async def test_reopen_brings_a_cancelled_launch_back(bot: Bot, team: str) -> None:
    launch = await create(bot, team)
    assert "is not cancelled" in (await launch_cmd(bot, team, OWNER, 'reopen "Mobile v2"'))["text"]
    await launch_cmd(bot, team, OWNER, 'cancel "Mobile v2"')
    bot.fake.add_user("USTRAN2")
    body = await launch_cmd(bot, team, "USTRAN2", 'reopen "Mobile v2"')
    assert body["text"] == f"Only the launch owner (<@{OWNER}>) and ops admins can reopen the launch."
    body = await launch_cmd(bot, team, OWNER, 'reopen "Mobile v2"')
    assert body["text"] == "Reopened *Mobile v2*: its checklist is live again and nudges resume."
    last = renders(bot)[-1]
    assert last["text"].startswith("Launch checklist: Mobile v2, 0% ready")
    assert sum(b["type"] == "actions" for b in last["blocks"]) == 8
    assert thread(bot, launch)[-1] == f"<@{OWNER}> reopened the launch"
    assert (await row(bot, launch.id)).cancelled_at is None  # type: ignore[union-attr]
    assert (await launch_cmd(bot, team, OWNER, "list"))["text"] == "1 upcoming launch"


TUESDAY = date(2026, 12, 1)  # a working day (Mon–Fri 09:00–18:00 by default)


async def tick_at(bot: Bot, clock: Clock, at: datetime) -> None:
    clock.set(at)
    await tick(bot.rt, at)
    await bot.settle()


async def test_a_cancelled_launch_is_neither_nudged_nor_escalated(bot: Bot, team: str, clock: Clock) -> None:
    """Two launches with an overdue item each for one person: once Alpha is cancelled, the
    nudges and both escalation steps go on for Beta only."""
    owner, busy, channel = "UO" + team[-7:], "UB" + team[-7:], "C" + team[-8:]  # the tick covers every workspace
    day = [datetime.combine(TUESDAY + timedelta(days=n), datetime.min.time(), UTC) for n in range(3)]
    clock.set(day[0].replace(hour=7))
    alpha = await create(bot, team, "Alpha", when=3, user=owner, channel=channel)  # Code complete (T-10) is overdue
    beta = await create(bot, team, "Beta", when=3, user=owner, channel=channel)
    bot.fake.add_user(busy, tz="UTC")
    for launch, items in await launch_rows(bot, team):
        code = next(i for i in items if i.title == "Code complete")
        pick = owner_pick(launch.id, code.id, busy)
        await bot.slack.interaction(block_actions(team, owner, [pick], channel_id=channel))
    await bot.settle()
    await tick(bot.rt, clock_now())  # the scheduler's next minute computes both people's first starts

    def dms(user: str) -> list[str]:
        return [block_text(c.args["blocks"]) for c in bot.fake.posted(user)]

    def escalations(launch: Launch) -> list[str]:
        return [m.text for m in bot.fake.messages.get(channel, []) if "is still open" in m.text
                and (m.thread_ts == launch.message_ts or f"Overdue on *{launch.name}*" in m.text)]

    await tick_at(bot, clock, day[0].replace(hour=9, second=20))
    (nudge,) = dms(busy)
    assert "*Alpha*: Code complete" in nudge and "*Beta*: Code complete" in nudge
    assert bot.fake.posted(busy)[0].args["text"] == "2 launch items need you today"
    clock.set(day[0].replace(hour=13))
    await launch_cmd(bot, team, owner, 'cancel "Alpha"', channel=channel)
    await tick_at(bot, clock, day[1].replace(hour=9, minute=1, second=10))  # day 2: the thread step, Wednesday's nudge
    in_thread = f":alarm_clock: <@{busy}>: *Code complete* was due {(TUESDAY - timedelta(days=7)).isoformat()}"
    assert any(line.startswith(in_thread) for line in escalations(beta)) and escalations(alpha) == []
    wednesday = dms(busy)[1:] + dms(owner)[1:]
    assert wednesday and all("Alpha" not in dm for dm in wednesday)
    assert "*Beta*: Code complete" in dms(busy)[1]
    assert bot.fake.posted(busy)[1].args["text"] == "1 launch item needs you today"
    await tick_at(bot, clock, day[2].replace(hour=9, minute=5, second=10))  # day 3: the channel step
    assert any(line.startswith(":rotating_light: Overdue on *Beta*: *Code complete*") for line in escalations(beta))
    assert escalations(alpha) == []
    assert all("Alpha" not in dm for dm in dms(busy)[1:] + dms(owner)[1:])


# -- delete -----------------------------------------------------------------------------------

async def open_delete(bot: Bot, team: str, user: str, name: str = "Mobile v2", channel: str = CHANNEL) -> dict:
    before = len(bot.fake.calls_to("views.open"))
    status, body = await bot.slack.command(team, user, "/launch", f'delete "{name}"', channel_id=channel)
    assert status == 200 and not body, body  # acked empty: the modal is the answer
    await bot.settle()
    (opened,) = bot.fake.calls_to("views.open")[before:]
    assert opened.args["trigger_id"].startswith("trig.")
    return opened.args["view"]


def submitted(team: str, user: str, view: dict) -> dict:
    return view_submission(team, user, view["callback_id"], {}, private_metadata=view["private_metadata"])


async def test_delete_asks_first_then_removes_rows_and_message(bot: Bot, team: str) -> None:
    launch = await create(bot, team)
    ((_, items),) = await launch_rows(bot, team)
    await bot.slack.interaction(block_actions(team, OWNER, [toggle_action(launch.id, items[0].id)]))
    await bot.settle()
    view = await open_delete(bot, team, OWNER)
    assert_valid_blocks(view["blocks"])
    assert view["callback_id"] == "launch.delete" and view["submit"]["text"] == "Delete"
    assert view["close"]["text"] == "Keep it"
    assert json.loads(view["private_metadata"])["l"] == launch.id
    shown = block_text(view["blocks"])
    assert "Delete *Mobile v2*" in shown and "its 8 items, its history (2 recorded changes)" in shown
    assert f"the checklist message in <#{CHANNEL}>" in shown and "can't be undone" in shown
    assert '`/launch cancel "Mobile v2"`' in shown
    # Nothing is deleted before the submit.
    assert await counts(bot, launch.id) == (1, 8, 2) and bot.fake.calls_to("chat.delete") == []
    payload = submitted(team, OWNER, view)
    body, stamp = interaction_form(payload), int(time.time())
    status, answer = await bot.slack.post(body, "application/x-www-form-urlencoded", timestamp=stamp)
    assert status == 200 and not answer  # the modal closes
    await bot.settle()
    assert await counts(bot, launch.id) == (0, 0, 0)
    (deleted,) = bot.fake.calls_to("chat.delete")
    assert (deleted.args["channel"], deleted.args["ts"]) == (CHANNEL, launch.message_ts)
    assert all(m.ts != launch.message_ts for m in bot.fake.messages[CHANNEL])
    (told,) = bot.fake.calls_to("chat.postEphemeral")
    assert told.args["channel"] == CHANNEL and told.args["user"] == OWNER
    assert told.args["text"] == "Deleted *Mobile v2*: its items, history and checklist message are gone."
    # The same request replayed (Slack's retry, same signature) deletes nothing more, says nothing.
    status, answer = await bot.slack.post(body, "application/x-www-form-urlencoded", timestamp=stamp)
    assert status == 200 and not answer
    # The same modal submitted again (a double click): it says the launch is already gone.
    status, answer = await bot.slack.interaction(submitted(team, OWNER, view))
    assert answer["response_action"] == "update"
    assert_valid_blocks(answer["view"]["blocks"])
    assert block_text(answer["view"]["blocks"]) == "*Mobile v2* was already deleted; nothing else was changed."
    await bot.settle()
    assert len(bot.fake.calls_to("chat.delete")) == 1 and len(bot.fake.calls_to("chat.postEphemeral")) == 1
    body = await launch_cmd(bot, team, OWNER, 'status "Mobile v2"')
    assert "There is no launch named `Mobile v2`" in body["text"]
    # A stale check-off button on the old message finds nothing either.
    await bot.slack.interaction(block_actions(team, OWNER, [toggle_action(launch.id, items[1].id)],
                                              response_url=bot.fake.response_url("old")))
    await bot.settle()
    assert "no longer exists" in dict(bot.fake.responses)["old"]["text"]


async def test_delete_checks_permission_again_at_submit(bot: Bot, team: str) -> None:
    launch = await create(bot, team)
    admin, boss = "UOPSDEL", "UBOSS" + team[-4:]
    await ops_admin(bot, team, admin)
    view = await open_delete(bot, team, admin)
    # A stranger submitting a copy of the form is refused; so is the admin once no longer one.
    bot.fake.add_user("USTRAN3")
    status, answer = await bot.slack.interaction(submitted(team, "USTRAN3", view))
    assert status == 200 and not answer
    _, body = await bot.slack.command(team, boss, "/prodops", f"admins remove <@{admin}>")
    status, answer = await bot.slack.interaction(submitted(team, admin, view))
    assert status == 200 and not answer
    await bot.settle()
    refusals = {c.args["channel"]: c.args["text"] for c in bot.fake.posted() if c.args["channel"].startswith("U")}
    expected = f"Only the launch owner (<@{OWNER}>) and ops admins can delete the launch."
    assert refusals == {"USTRAN3": expected, admin: expected}
    assert await counts(bot, launch.id) == (1, 8, 1) and bot.fake.calls_to("chat.delete") == []


async def test_delete_when_the_message_is_already_gone_and_a_new_launch_after_it(bot: Bot, team: str) -> None:
    launch = await create(bot, team)
    ((_, old_items),) = await launch_rows(bot, team)
    view = await open_delete(bot, team, OWNER)
    bot.fake.delete_message(CHANNEL, launch.message_ts or "")  # someone removed it by hand
    status, answer = await bot.slack.interaction(submitted(team, OWNER, view))
    assert status == 200 and not answer
    await bot.settle()
    assert await counts(bot, launch.id) == (0, 0, 0)
    assert len(bot.fake.calls_to("chat.delete")) == 1  # Slack said message_not_found: fine
    assert "Deleted *Mobile v2*" in bot.fake.calls_to("chat.postEphemeral")[0].args["text"]
    # The newest launch was deleted: the next one gets a new id (SQLite would reuse it), so its
    # first checklist post is not taken for the deleted launch's, and goes up.
    again = await create(bot, team)
    ((_, new_items),) = await launch_rows(bot, team)
    assert again.id > launch.id and min(i.id for i in new_items) > max(i.id for i in old_items)
    assert again.message_ts and again.message_ts != launch.message_ts
    assert renders(bot)[-1]["text"].startswith("Launch checklist: Mobile v2, 0% ready")


async def test_a_cancelled_launch_can_be_deleted(bot: Bot, team: str) -> None:
    launch = await create(bot, team)
    await launch_cmd(bot, team, OWNER, 'cancel "Mobile v2"')
    view = await open_delete(bot, team, OWNER)
    await bot.slack.interaction(submitted(team, OWNER, view))
    await bot.settle()
    assert await counts(bot, launch.id) == (0, 0, 0) and len(bot.fake.calls_to("chat.delete")) == 1


# -- tenancy ----------------------------------------------------------------------------------

async def test_another_workspace_can_neither_cancel_nor_delete(bot: Bot, team: str) -> None:
    launch = await create(bot, team)
    other = "T" + uuid.uuid4().hex[:10].upper()
    bot.fake.add_user("UELSE01", is_admin=True)  # an admin there is nobody here
    for verb in ("cancel", "delete", "reopen", "status"):
        body = await launch_cmd(bot, other, "UELSE01", f'{verb} "Mobile v2"')
        assert "There is no launch named `Mobile v2`" in body["text"], verb
    own = await open_delete(bot, team, OWNER)
    status, answer = await bot.slack.interaction(submitted(other, "UELSE01", own))  # a forged copy of the form
    assert answer["response_action"] == "update" and "already deleted" in block_text(answer["view"]["blocks"])
    assert "Mobile v2" not in block_text((await launch_cmd(bot, other, "UELSE01", "list"))["blocks"])
    await bot.settle()
    kept = await row(bot, launch.id)
    assert await counts(bot, launch.id) == (1, 8, 1) and kept is not None and kept.cancelled_at is None
    assert bot.fake.calls_to("chat.delete") == []


# -- /launch list -----------------------------------------------------------------------------

def sections(blocks: list[dict]) -> dict[str, str]:
    """Each header of the list and the text under it."""
    out: dict[str, str] = {}
    current = ""
    for block in blocks:
        if block["type"] == "header":
            current = block["text"]["text"]
            out[current] = ""
        else:
            out[current] = out.get(current, "") + block_text([block]) + "\n"
    return out


async def test_list_never_calls_a_past_launch_day_upcoming(bot: Bot, team: str) -> None:
    for name, when in (("Soon", 5), ("Today", 0), ("Underway", -2), ("AllDone", -3), ("Over", -10),
                       ("Ancient", -2518), ("Finished long ago", -20), ("Dropped", 6)):
        await create(bot, team, name, when=when)
    rows = {launch.name: (launch, items) for launch, items in await launch_rows(bot, team)}
    done, done_items = rows["AllDone"]
    for item in done_items:
        await bot.slack.interaction(block_actions(team, OWNER, [toggle_action(done.id, item.id)]))
    await launch_cmd(bot, team, OWNER, 'cancel "Dropped"')
    body = await launch_cmd(bot, team, OWNER, "list")
    assert body["text"] == "2 upcoming launches, 1 still open after launch day, 2 recently launched"
    assert_valid_blocks(body["blocks"])
    shown = sections(body["blocks"])
    assert list(shown) == ["After launch day, work still open", "Upcoming launches", "Recently launched (last 14 days)"]
    assert "*Underway*" in shown["After launch day, work still open"]
    assert "launch day was 2 days ago" in shown["After launch day, work still open"]
    upcoming = shown["Upcoming launches"]
    assert "*Soon*" in upcoming and "(5 days to go)" in upcoming
    assert "*Today*" in upcoming and "(launch day)" in upcoming
    assert "launched" not in upcoming
    recent = shown["Recently launched (last 14 days)"]
    assert "*AllDone*" in recent and "100% ready" in recent and "*Over*" in recent and "launch day was 10 days ago" in recent
    text = block_text(body["blocks"])
    assert "Ancient" not in text and "Finished long ago" not in text and "Dropped" not in text


async def test_list_counts_read_in_the_singular_and_plural(bot: Bot, team: str) -> None:
    assert (await launch_cmd(bot, team, OWNER, "list"))["text"] == "0 upcoming launches"
    await create(bot, team, "One", when=1)
    body = await launch_cmd(bot, team, OWNER, "list")
    assert body["text"] == "1 upcoming launch" and "(tomorrow)" in block_text(body["blocks"])
    await create(bot, team, "Past", when=-1)
    body = await launch_cmd(bot, team, OWNER, "list")
    assert body["text"] == "1 upcoming launch, 1 still open after launch day"
    assert "launch day was 1 day ago" in block_text(body["blocks"])
    launch = await create(bot, team, "Nine", when=9)  # only Code complete (T-10) is overdue
    await launch_cmd(bot, team, OWNER, 'go "Nine"')
    summary = next(c for c in bot.fake.posted(CHANNEL) if c.args.get("text", "").startswith("Go/no-go for Nine"))
    assert "NO-GO* until the overdue item is done." in block_text(summary.args["blocks"])
    ((_, items),) = [(lr, it) for lr, it in await launch_rows(bot, team) if lr.id == launch.id]
    await bot.slack.interaction(block_actions(team, OWNER, [toggle_action(launch.id, items[0].id)]))
    await launch_cmd(bot, team, OWNER, 'go "Nine"')
    summary = [c for c in bot.fake.posted(CHANNEL) if c.args.get("text", "").startswith("Go/no-go for Nine")][-1]
    assert "6 pre-launch items still open, none overdue" in block_text(summary.args["blocks"])


def test_counted() -> None:
    assert [counted(n, "item") for n in (0, 1, 2)] == ["0 items", "1 item", "2 items"]
    assert counted(1, "upcoming launch", "upcoming launches") == "1 upcoming launch"
    assert counted(3, "upcoming launch", "upcoming launches") == "3 upcoming launches"


def test_help_lists_cancel_and_delete() -> None:
    from bot.launches.help import LAUNCH

    examples = [example for example, _ in LAUNCH.usage]
    assert '/launch cancel "Mobile v2"' in examples and '/launch delete "Mobile v2"' in examples


# -- migration 0008 ---------------------------------------------------------------------------


def _diff(connection) -> list[object]:  # noqa: ANN001 - sync connection inside run_sync
    opts = {"compare_type": True, "include_name": include_name}  # the search index's own objects aside
    return list(compare_metadata(MigrationContext.configure(connection, opts=opts), Base.metadata))


T0 = {"t": datetime(2026, 12, 1, tzinfo=UTC)}
WORKSPACE = ("INSERT INTO workspaces (team_id, name, timezone, settings, created_at, updated_at) "
             "VALUES ('TMIG8', '', 'UTC', '{}', :t, :t)")
LAUNCH = ("INSERT INTO launches ({id}team_id, name, name_key, launch_date, channel_id, owner_id, template_name, "
          "created_by, created_at, updated_at) "
          "VALUES ({value}'TMIG8', 'Kept', 'kept', '2027-01-01', 'C1', 'U1', 'default', 'U1', :t, :t)")
ITEM = ("INSERT INTO launch_items (id, team_id, launch_id, function, title, offset_days, done, position, "
        "created_at, updated_at) VALUES (70, 'TMIG8', 7, 'engineering', 'Ship', -1, false, 0, :t, :t)")
AUDIT = ("INSERT INTO launch_audit (team_id, launch_id, item_id, actor_id, action, detail, at) "
         "VALUES ('TMIG8', 7, 70, 'U1', 'created', '', :t)")
SEED = (LAUNCH.format(id="id, ", value="7, "), ITEM, AUDIT)  # launch 7, its item 70 and their audit row


async def _run(url: str, *statements: str) -> list[object]:
    """Each statement in one transaction; the first column of each SELECT's first row."""
    engine = create_engine(url)
    found: list[object] = []
    async with engine.begin() as conn:
        for statement in statements:
            result = await conn.execute(text(statement), T0 if ":t" in statement else {})
            if statement.startswith("SELECT"):
                found.append(result.scalar())
    await engine.dispose()
    return found


COUNTS = ("SELECT count(*) FROM launches", "SELECT count(*) FROM launch_items", "SELECT count(*) FROM launch_audit")


async def _schema_diff(url: str) -> tuple[list[object], set[str]]:
    engine = create_engine(url)
    async with engine.connect() as conn:
        diff = await conn.run_sync(_diff)
        columns = await conn.run_sync(lambda c: {col["name"] for col in inspect(c).get_columns("launches")})
    await engine.dispose()
    return diff, columns


async def test_migration_0008_round_trip_keeps_every_row(empty_database: str) -> None:
    """Up from 0007 with a launch, its item and its audit row in place (on SQLite the tables are
    rebuilt: nothing may cascade away), down again, and up: the schema matches the models."""
    await upgrade(empty_database, "0007")
    await _run(empty_database, WORKSPACE, *SEED)
    await upgrade(empty_database)
    assert await _run(empty_database, *COUNTS, "SELECT cancelled_at FROM launches") == [1, 1, 1, None]
    assert (await _schema_diff(empty_database))[0] == []
    if empty_database.startswith("sqlite"):  # AUTOINCREMENT: the largest id is not given out again
        emptied = ("DELETE FROM launch_audit", "DELETE FROM launch_items", "DELETE FROM launches")
        again = await _run(empty_database, *emptied, LAUNCH.format(id="", value=""), "SELECT max(id) FROM launches",
                           "DELETE FROM launches", *SEED)
        assert again == [8]
    await asyncio.to_thread(command.downgrade, alembic_config(empty_database), "0007")
    assert await _run(empty_database, *COUNTS) == [1, 1, 1]
    assert not {"cancelled_at", "cancelled_by"} & (await _schema_diff(empty_database))[1]
    await upgrade(empty_database)
    assert await _run(empty_database, *COUNTS) == [1, 1, 1]
    diff, columns = await _schema_diff(empty_database)
    assert diff == [] and {"cancelled_at", "cancelled_by"} <= columns
