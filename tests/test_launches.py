"""Launch checklists over the real endpoint: creation, the live message, clicks, go/no-go,
templates and nudges (with a controllable clock)."""
from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from bot.clock import Clock, now as clock_now
from bot.duties import tick
from bot.launches import flows
from bot.launches.parsing import NAME_MAX
from bot.quotes import DOUBLE, QUOTES, SINGLE
from models.base import utcnow
from models.launch import Launch, LaunchAudit, LaunchItem
from tests.blockkit import assert_valid_blocks, block_text
from tests.conftest import Bot
from tests.replicas import second_replica
from tests.slack_requests import block_actions, view_submission

CHANNEL = "CLAUNCH1"
OWNER = "ULOWNER"


def days(n: int) -> str:
    return (clock_now().date() + timedelta(days=n)).isoformat()


async def create(bot: Bot, team: str, name: str = "Mobile v2", when: int = 30, extra: str = "",
                 user: str = OWNER, channel: str = CHANNEL, tz: str = "Europe/London") -> dict:
    bot.fake.add_user(user, tz=tz)
    status, body = await bot.slack.command(team, user, "/launch", f'new "{name}" {days(when)} {extra}'.strip(),
                                           channel_id=channel)
    assert status == 200
    await bot.settle()
    return body


async def launch_rows(bot: Bot, team: str) -> list[tuple[Launch, list[LaunchItem]]]:
    async with bot.rt.db.unit_of_work() as session:
        launches = (await session.scalars(select(Launch).where(Launch.team_id == team).order_by(Launch.id))).all()
        out = []
        for launch in launches:
            items = (await session.scalars(select(LaunchItem).where(LaunchItem.launch_id == launch.id)
                                           .order_by(LaunchItem.offset_days, LaunchItem.id))).all()
            out.append((launch, list(items)))
        return out


async def audit_actions(bot: Bot, launch_id: int) -> list[str]:
    async with bot.rt.db.unit_of_work() as session:
        return list(await session.scalars(select(LaunchAudit.action).where(LaunchAudit.launch_id == launch_id)
                                          .order_by(LaunchAudit.id)))


def last_render(bot: Bot) -> list[dict]:
    renders = [c for c in bot.fake.calls if c.method in ("chat.update", "chat.postMessage") and "blocks" in c.args
               and "Launch checklist" in c.args.get("text", "")]
    return renders[-1].args["blocks"]


def owner_pick(launch_id: int, item_id: int, user: str) -> dict:
    return {"action_id": "launch.item.owner", "block_id": f"launch.item.{launch_id}.{item_id}",
            "type": "users_select", "selected_user": user}


def toggle_action(launch_id: int, item_id: int, done: bool = True) -> dict:
    return {"action_id": "launch.item.toggle", "block_id": f"launch.item.{launch_id}.{item_id}", "type": "button",
            "value": json.dumps({"l": launch_id, "i": item_id, "d": done})}


async def test_new_launch_posts_a_live_checklist_from_the_default_template(bot: Bot, team: str) -> None:
    body = await create(bot, team)
    assert "Created *Mobile v2*" in body["text"] and "past" not in body["text"]
    ((launch, items),) = await launch_rows(bot, team)
    assert len(items) == 8 and launch.message_ts and launch.owner_id == OWNER
    assert {i.function for i in items} == {"engineering", "product", "marketing", "sales", "support", "legal", "post-launch"}
    (post,) = bot.fake.posted(CHANNEL)
    assert_valid_blocks(post.args["blocks"])
    text = block_text(post.args["blocks"])
    assert "Mobile v2" in text and "30 days to go" in text and "0% ready" in text
    assert "Code complete" in text and "QA sign-off" in text and "Metrics review" in text
    rows = [b for b in post.args["blocks"] if b["type"] == "actions"]
    assert len(rows) == 8 and all({e["type"] for e in r["elements"]} == {"button", "users_select", "datepicker"} for r in rows)
    code_complete = next(r for r in rows if "Code complete" in r["elements"][0]["text"]["text"])
    assert code_complete["elements"][2]["initial_date"] == days(20)  # T-10
    assert await audit_actions(bot, launch.id) == ["created"]


async def test_bad_input_is_explained_and_nothing_is_created(bot: Bot, team: str) -> None:
    bot.fake.add_user(OWNER)
    cases = {
        'new "X" 2027-02-30': "is not a real date",
        'new "X" next-friday': "is not a date",
        f'new "X" {days(5)} nosuchtemplate': "There is no template `nosuchtemplate`",
        'new "Unclosed 2027-01-01': "A quote is not closed",
        'status "Nope"': "There is no launch named `Nope`",
        'new "X"': "Usage",
    }
    for text, expected in cases.items():
        _, body = await bot.slack.command(team, OWNER, "/launch", text, channel_id=CHANNEL)
        assert expected in body["text"], (text, body)
    bot.fake.not_member.add("CNOTIN1")
    _, body = await bot.slack.command(team, OWNER, "/launch", f'new "X" {days(5)}', channel_id="CNOTIN1")
    assert "I'm not in <#CNOTIN1>" in body["text"]
    assert await launch_rows(bot, team) == []
    await create(bot, team, name="Dup")
    _, body = await bot.slack.command(team, OWNER, "/launch", f'new "dup" {days(9)}', channel_id=CHANNEL)
    assert "already exists" in body["text"]
    assert len(await launch_rows(bot, team)) == 1


async def test_past_launch_date_is_allowed_with_a_warning(bot: Bot, team: str) -> None:
    body = await create(bot, team, when=-3)
    assert "in the past" in body["text"]
    ((launch, items),) = await launch_rows(bot, team)
    assert "overdue" in block_text(last_render(bot))


async def test_clicks_are_audited_rerendered_and_announced_in_the_thread(bot: Bot, team: str) -> None:
    await create(bot, team)
    ((launch, items),) = await launch_rows(bot, team)
    first, second = items[0], items[1]
    bot.fake.add_user("UALICE1")
    bot.fake.add_user("UBOB001")
    # Assign the first item to Alice; Bob (nobody) may not touch the checklist.
    pick = owner_pick(launch.id, first.id, "UALICE1")
    await bot.slack.interaction(block_actions(team, OWNER, [pick], channel_id=CHANNEL))
    await bot.slack.interaction(block_actions(team, "UBOB001", [toggle_action(launch.id, second.id)],
                                              channel_id=CHANNEL, response_url=bot.fake.response_url("bob")))
    await bot.settle()
    ((_, refusal),) = bot.fake.responses
    assert "Only the item's owner" in refusal["text"]
    # Alice (item owner) and the launch owner click at the same time: both land.
    await asyncio.gather(
        bot.slack.interaction(block_actions(team, "UALICE1", [toggle_action(launch.id, first.id)], channel_id=CHANNEL)),
        bot.slack.interaction(block_actions(team, OWNER, [toggle_action(launch.id, second.id)], channel_id=CHANNEL)),
    )
    await bot.settle()
    ((_, items),) = await launch_rows(bot, team)
    assert items[0].done and items[0].done_by == "UALICE1" and items[1].done and items[1].done_by == OWNER
    assert (await audit_actions(bot, launch.id)).count("check") == 2
    final = last_render(bot)
    assert_valid_blocks(final)
    labels = [b["elements"][0]["text"]["text"] for b in final if b["type"] == "actions"]
    assert sum(label.startswith("✅") for label in labels) == 2
    assert "29% ready" in block_text(final)  # 2 of the 7 pre-launch items (T+ work does not gate)
    thread = [c for c in bot.fake.posted(CHANNEL) if c.args.get("thread_ts") == launch.message_ts]
    lines = " ".join(c.args["text"] for c in thread)
    assert "<@UALICE1> checked off" in lines and f"<@{OWNER}> checked off" in lines
    assert f"<@{OWNER}> set the owner of Code complete to <@UALICE1>" in lines  # a live mention
    # A double click (the same button twice) leaves the item checked.
    again = toggle_action(launch.id, first.id)
    again["value"] = json.dumps({"l": launch.id, "i": first.id, "d": True})
    await bot.slack.interaction(block_actions(team, "UALICE1", [again], channel_id=CHANNEL))
    await bot.settle()
    ((_, items),) = await launch_rows(bot, team)
    assert items[0].done and (await audit_actions(bot, launch.id)).count("check") == 2


async def test_a_change_landing_during_a_render_is_rendered_too(bot: Bot, team: str) -> None:
    """Another replica's click commits while this replica's chat.update is in flight: the
    render notices the newer audit entry and renders again, so the message shows both."""
    from bot.launches import service

    await create(bot, team)
    ((launch, items),) = await launch_rows(bot, team)

    async def elsewhere(_args: dict) -> None:
        async with bot.rt.db.unit_of_work() as session:
            row = await service.get_by_id(session, team, launch.id)
            await service.set_done(session, row, await service.get_item(session, row, items[1].id), True, "UREMOTE")

    bot.fake.before["chat.update"] = elsewhere
    await bot.slack.interaction(block_actions(team, OWNER, [toggle_action(launch.id, items[0].id)], channel_id=CHANNEL))
    await bot.settle()
    updates = bot.fake.calls_to("chat.update")
    assert len(updates) == 2
    labels = [b["elements"][0]["text"]["text"] for b in updates[-1].args["blocks"] if b["type"] == "actions"]
    assert sum(label.startswith("✅") for label in labels) == 2


async def test_due_date_and_launch_date_moves(bot: Bot, team: str) -> None:
    await create(bot, team, when=30)
    ((launch, items),) = await launch_rows(bot, team)
    qa = next(i for i in items if i.title == "QA sign-off")
    pick = {"action_id": "launch.item.due", "block_id": f"launch.item.{launch.id}.{qa.id}", "type": "datepicker",
            "selected_date": days(27)}
    await bot.slack.interaction(block_actions(team, OWNER, [pick], channel_id=CHANNEL))
    code = next(i for i in items if i.title == "Code complete")
    await bot.slack.interaction(block_actions(team, OWNER, [toggle_action(launch.id, code.id)], channel_id=CHANNEL))
    _, body = await bot.slack.command(team, OWNER, "/launch", f'date "Mobile v2" {days(37)}')
    assert "open items moved" in body["text"]
    await bot.settle()
    ((launch, items),) = await launch_rows(bot, team)
    due = {i.title: launch.launch_date + timedelta(days=i.offset_days) for i in items}
    assert due["QA sign-off"].isoformat() == days(34)  # moved with the launch (27 + 7)
    assert due["Code complete"].isoformat() == days(20)  # done: keeps its date
    assert due["Release notes"].isoformat() == days(35)
    bot.fake.add_user("USTRNGR")
    _, body = await bot.slack.command(team, "USTRNGR", "/launch", f'date "Mobile v2" {days(40)}')
    assert "Only the launch owner" in body["text"]


async def test_deleted_checklist_message_is_posted_again(bot: Bot, team: str) -> None:
    await create(bot, team)
    ((launch, items),) = await launch_rows(bot, team)
    bot.fake.delete_message(CHANNEL, launch.message_ts or "")
    await bot.slack.interaction(block_actions(team, OWNER, [toggle_action(launch.id, items[0].id)], channel_id=CHANNEL))
    await bot.settle()
    ((relaunched, _),) = await launch_rows(bot, team)
    assert relaunched.message_ts and relaunched.message_ts != launch.message_ts
    reposts = [c for c in bot.fake.posted(CHANNEL) if "Launch checklist" in c.args.get("text", "")]
    assert len(reposts) == 2


async def test_list_status_and_go_no_go(bot: Bot, team: str) -> None:
    await create(bot, team, name="Alpha", when=10)
    await create(bot, team, name="Beta", when=-2)
    _, body = await bot.slack.command(team, OWNER, "/launch", "list")
    assert_valid_blocks(body["blocks"])
    text = block_text(body["blocks"])
    assert text.index("Alpha") > text.index("Beta") and "0% ready" in text
    _, body = await bot.slack.command(team, OWNER, "/launch", 'status "beta"')
    assert_valid_blocks(body["blocks"])
    text = block_text(body["blocks"])
    assert "Engineering*: 2 open, 2 overdue" in text and "unassigned" in text
    _, body = await bot.slack.command(team, "UANY001", "/launch", 'go "Beta"')
    assert "Posting the go/no-go" in body["text"]
    await bot.settle()
    summary = next(c for c in bot.fake.posted(CHANNEL) if c.args.get("text", "").startswith("Go/no-go for Beta"))
    assert summary.args["thread_ts"]
    assert_valid_blocks(summary.args["blocks"])
    assert "NO-GO" in block_text(summary.args["blocks"])
    buttons = next(b for b in summary.args["blocks"] if b["type"] == "actions")["elements"]
    go = next(b for b in buttons if b["action_id"] == "launch.decide.go")
    bot.fake.add_user("UANY001")
    await bot.slack.interaction(block_actions(team, "UANY001", [go], response_url=bot.fake.response_url("go")))
    await bot.settle()
    assert "decision is the launch owner" in bot.fake.responses[0][1]["text"]
    await bot.slack.interaction(block_actions(team, OWNER, [go]))
    await bot.settle()
    rows = {launch.name: launch for launch, _ in await launch_rows(bot, team)}
    assert rows["Beta"].decision is not None and rows["Beta"].decision.value == "go"
    assert "decision" in await audit_actions(bot, rows["Beta"].id)
    assert "GO by" in block_text(last_render(bot))


async def test_launched_launch_is_archived_after_its_post_launch_items(bot: Bot, team: str) -> None:
    await create(bot, team, name="Old", when=-20)
    ((launch, _),) = await launch_rows(bot, team)
    go = {"action_id": "launch.decide.go", "block_id": "d", "type": "button", "value": json.dumps({"l": launch.id})}
    await bot.slack.interaction(block_actions(team, OWNER, [go]))
    await bot.settle()
    await create(bot, team, name="Recent", when=-2)
    _, body = await bot.slack.command(team, OWNER, "/launch", "list")
    listed = block_text(body["blocks"])
    assert "Old" not in listed  # launched, and its T+7 item was 13 days ago
    assert "Recent" in listed  # no decision yet: still listed


async def test_big_launch_renders_compactly_within_slack_limits(bot: Bot, team: str) -> None:
    admin = "UADMINL"
    bot.fake.add_user(admin, is_admin=True)
    lines = "\n".join(f"engineering | Task {i} | -{i % 20}" for i in range(120))
    _, _ = await bot.slack.command(team, admin, "/launch", "template new")
    await bot.settle()
    view = bot.fake.calls_to("views.open")[-1].args["view"]
    values = {"name": {"name": {"type": "plain_text_input", "value": "Huge"}},
              "items": {"items": {"type": "plain_text_input", "value": lines}}}
    status, body = await bot.slack.interaction(view_submission(team, admin, view["callback_id"], values,
                                                               private_metadata=view["private_metadata"]))
    assert status == 200 and not body
    await create(bot, team, name="Big", extra="Huge", user=admin)
    blocks = last_render(bot)
    assert_valid_blocks(blocks)
    assert len(json.dumps(blocks, ensure_ascii=False)) <= 11_000  # under Slack's reported ~13k msg_blocks_too_long
    select_ = next(b for b in blocks if b["type"] == "actions")["elements"][0]
    assert select_["type"] == "static_select" and len(select_["options"]) == 25
    assert "more: `/launch status` lists them all" in block_text(blocks)
    pick = {**select_, "block_id": "c", "selected_option": select_["options"][0]}
    for _ in range(2):  # picked twice (two people, or a stale menu): checked once, never flipped back
        await bot.slack.interaction(block_actions(team, admin, [pick]))
        await bot.settle()
    ((launch, items),) = await launch_rows(bot, team)
    assert sum(i.done for i in items) == 1
    assert (await audit_actions(bot, launch.id)).count("check") == 1


async def test_long_titles_switch_to_the_compact_form_by_size(bot: Bot, team: str) -> None:
    admin = "UADMINS"
    bot.fake.add_user(admin, is_admin=True)
    functions = ["engineering", "product", "marketing", "sales", "support", "legal"]
    lines = "\n".join(f"{functions[i % 6]} | {'Very long checklist item title ' * 4}{i} | -{i % 9}" for i in range(39))
    await bot.slack.command(team, admin, "/launch", "template new")
    await bot.settle()
    view = bot.fake.calls_to("views.open")[-1].args["view"]
    values = {"name": {"name": {"type": "plain_text_input", "value": "Wordy"}},
              "items": {"items": {"type": "plain_text_input", "value": lines}}}
    await bot.slack.interaction(view_submission(team, admin, view["callback_id"], values,
                                                private_metadata=view["private_metadata"]))
    await create(bot, team, name="Wordy <!channel>", extra="Wordy", user=admin)
    blocks = last_render(bot)
    assert_valid_blocks(blocks)
    assert len(json.dumps(blocks, ensure_ascii=False)) <= 11_000 and len(blocks) < 50
    posted = next(c for c in bot.fake.posted(CHANNEL) if "Launch checklist" in c.args.get("text", ""))
    # `<!channel>` in the command is Slack's broadcast token (someone typed @channel): inert text.
    assert "<!channel>" not in posted.args["text"] and "Wordy @channel," in posted.args["text"]


async def test_templates_are_for_ops_admins_and_bad_lines_are_named(bot: Bot, team: str) -> None:
    bot.fake.add_user("UPLAIN1")
    _, body = await bot.slack.command(team, "UPLAIN1", "/launch", "template new")
    assert "Only ops admins" in body["text"]
    admin = "UADMINT"
    bot.fake.add_user(admin, is_owner=True)
    await bot.slack.command(team, admin, "/launch", "template new")
    await bot.settle()
    view = bot.fake.calls_to("views.open")[-1].args["view"]
    assert_valid_blocks(view["blocks"], limit=100)
    bad = {"name": {"name": {"type": "plain_text_input", "value": "Web"}},
           "items": {"items": {"type": "plain_text_input", "value": "engineering | Ship | -1\nfinance | Budget | -3"}}}
    status, body = await bot.slack.interaction(view_submission(team, admin, view["callback_id"], bad,
                                                               private_metadata=view["private_metadata"]))
    assert body["response_action"] == "errors" and body["errors"]["items"].startswith("Line 2:")
    good = {**bad, "items": {"items": {"type": "plain_text_input", "value": "engineering | Ship | -1\nlegal | DPA | T-3"}}}
    await bot.slack.interaction(view_submission(team, admin, view["callback_id"], good,
                                                private_metadata=view["private_metadata"]))
    _, body = await bot.slack.command(team, admin, "/launch", "template list")
    assert "`Web`" in block_text(body["blocks"]) and "`default`" in block_text(body["blocks"])
    await create(bot, team, name="Site", extra="web", user=admin)
    ((launch, items),) = await launch_rows(bot, team)
    assert launch.template_name == "Web" and [(i.title, i.offset_days) for i in items] == [("DPA", -3), ("Ship", -1)]


async def test_new_launch_form(bot: Bot, team: str) -> None:
    bot.fake.add_user(OWNER)
    await bot.slack.command(team, OWNER, "/launch", "new", channel_id=CHANNEL)
    await bot.settle()
    view = bot.fake.calls_to("views.open")[-1].args["view"]
    assert_valid_blocks(view["blocks"], limit=100)
    values = {"name": {"name": {"type": "plain_text_input", "value": "From form"}},
              "date": {"date": {"type": "datepicker", "selected_date": days(14)}},
              "channel": {"channel": {"type": "conversations_select", "selected_conversation": "CNOTIN2"}},
              "template": {"template": {"type": "static_select", "selected_option": {"value": "default"}}},
              "owner": {"owner": {"type": "users_select", "selected_user": "UOTHER9"}}}
    bot.fake.not_member.add("CNOTIN2")
    _, body = await bot.slack.interaction(view_submission(team, OWNER, view["callback_id"], values))
    assert body["response_action"] == "errors" and "channel" in body["errors"]
    values["channel"]["channel"]["selected_conversation"] = CHANNEL
    _, body = await bot.slack.interaction(view_submission(team, OWNER, view["callback_id"], values))
    assert not body
    await bot.settle()
    ((launch, _),) = await launch_rows(bot, team)
    assert launch.owner_id == "UOTHER9" and launch.channel_id == CHANNEL and launch.message_ts


TUESDAY = date(2026, 12, 1)  # a working day under the default hours (Mon–Fri 09:00–18:00)


def at(day: date, hour: int, minute: int, zone: str) -> datetime:
    return datetime.combine(day, datetime.min.time(), ZoneInfo(zone)).replace(hour=hour, minute=minute)


async def test_nudges_at_the_start_of_each_persons_working_day_once(bot: Bot, team: str, clock: Clock) -> None:
    owner = "UO" + team[-7:]  # the tick covers every workspace: keep this owner unique
    clock.set(datetime.combine(TUESDAY, datetime.min.time(), UTC))  # 09:00 in Tokyo, Monday evening in New York
    await create(bot, team, when=6, user=owner, tz="Asia/Tokyo")  # QA sign-off and enablement deck (T-5) are due tomorrow
    ((launch, items),) = await launch_rows(bot, team)
    bot.fake.add_user("UNYC001", tz="America/New_York")
    qa = next(i for i in items if i.title == "QA sign-off")
    pick = owner_pick(launch.id, qa.id, "UNYC001")
    await bot.slack.interaction(block_actions(team, owner, [pick], channel_id=CHANNEL))
    await bot.settle()  # the bot records both people (zone, hours) after the commit
    bot.fake.reset()
    early, later = at(TUESDAY, 8, 30, "America/New_York"), at(TUESDAY, 9, 5, "America/New_York")
    await tick(bot.rt, early)
    assert bot.fake.posted("UNYC001") == []
    # 22:30 in Tokyo: the owner's day started 13 hours ago, past the nudge's grace: recorded, not sent.
    assert bot.fake.posted(owner) == []
    await tick(bot.rt, later)
    await tick(bot.rt, later + timedelta(minutes=15))  # a replica, or the next minute
    (dm,) = bot.fake.posted("UNYC001")
    assert_valid_blocks(dm.args["blocks"])
    text = block_text(dm.args["blocks"])
    assert "QA sign-off" in text and "Mark done" in text and "Code complete" not in text
    assert [c for c in bot.fake.calls if c.method == "users.info"] == []  # zones come from the directory
    # Unassigned items due tomorrow (enablement deck) go to the launch owner, in Tokyo time.
    await tick(bot.rt, at(TUESDAY + timedelta(days=1), 9, 1, "Asia/Tokyo"))
    (owner_dm,) = bot.fake.posted(owner)
    assert "unassigned" in block_text(owner_dm.args["blocks"])


async def test_nudges_need_no_slack_lookups(bot: Bot, team: str, clock: Clock) -> None:
    owner = "UO" + team[-7:]
    clock.set(at(TUESDAY, 7, 0, "UTC"))
    await create(bot, team, when=3, user=owner, tz="UTC")
    ((launch, items),) = await launch_rows(bot, team)
    overdue = next(i for i in items if i.title == "Code complete")
    bot.fake.add_user("UBUSY01", tz="UTC")
    pick = owner_pick(launch.id, overdue.id, "UBUSY01")
    await bot.slack.interaction(block_actions(team, owner, [pick], channel_id=CHANNEL))
    await bot.settle()
    await tick(bot.rt, clock_now())  # the next minute's tick computes their first working-day start
    bot.fake.reset()
    bot.fake.fail("users.info", retry_after=30, times=1000)  # Slack cannot describe anyone now
    await tick(bot.rt, at(TUESDAY, 12, 0, "UTC"))
    (busy,) = bot.fake.posted("UBUSY01")
    assert "Code complete" in block_text(busy.args["blocks"])
    owner_dms = bot.fake.posted(owner)  # the owner hears about the unassigned items
    assert len(owner_dms) == 1 and "Code complete" not in block_text(owner_dms[0].args["blocks"])
    # Mark done from a nudge, after someone else already checked it: it stays done.
    mark = toggle_action(launch.id, overdue.id, done=True)
    bot.fake.add_user(owner, tz="UTC")
    await bot.slack.interaction(block_actions(team, owner, [mark]))
    await bot.slack.interaction(block_actions(team, owner, [mark]))
    await bot.settle()
    ((_, items),) = await launch_rows(bot, team)
    assert next(i for i in items if i.id == overdue.id).done


async def test_a_person_who_left_hands_nudges_to_the_launch_owner(bot: Bot, team: str, clock: Clock) -> None:
    owner = "UO" + team[-7:]
    clock.set(at(TUESDAY, 7, 0, "UTC"))
    await create(bot, team, when=3, user=owner, tz="UTC")
    ((launch, items),) = await launch_rows(bot, team)
    overdue = next(i for i in items if i.title == "Code complete")
    bot.fake.add_user("UGONE01", tz="UTC")
    pick = owner_pick(launch.id, overdue.id, "UGONE01")
    await bot.slack.interaction(block_actions(team, owner, [pick], channel_id=CHANNEL))
    await bot.settle()
    # Slack says they left (the user_change event carries deleted: true).
    status, _ = await bot.slack.event(team, {"type": "user_change", "user": {
        "id": "UGONE01", "team_id": team, "name": "gone", "deleted": True, "tz": "UTC", "profile": {}}})
    assert status == 200
    await tick(bot.rt, clock_now())  # the next minute's tick computes the owner's first start
    await tick(bot.rt, at(TUESDAY, 12, 0, "UTC"))
    assert bot.fake.posted("UGONE01") == []
    (dm,) = bot.fake.posted(owner)
    assert "Code complete" in block_text(dm.args["blocks"])


async def test_add_item_via_command(bot: Bot, team: str) -> None:
    await create(bot, team)
    _, body = await bot.slack.command(team, OWNER, "/launch", 'add "Mobile v2" sales | Pricing FAQ | -4')
    assert "Added *Pricing FAQ*" in body["text"]
    _, body = await bot.slack.command(team, OWNER, "/launch", 'add "Mobile v2" finance | Budget | -4')
    assert "is not a function" in body["text"]
    await bot.settle()
    ((launch, items),) = await launch_rows(bot, team)
    assert len(items) == 9 and "add" in await audit_actions(bot, launch.id)
    assert "Pricing FAQ" in block_text(last_render(bot))


def test_dates_parse_strictly() -> None:
    from bot.errors import UserError
    from bot.launches.parsing import parse_date, parse_offset

    assert parse_date("2027-3-1") == date(2027, 3, 1)
    for bad in ("2027-13-01", "2027-02-29", "03/01/2027", ""):
        try:
            parse_date(bad)
        except UserError:
            continue
        raise AssertionError(bad)
    assert parse_offset("T-7") == -7 and parse_offset("+7") == 7 and parse_offset("0") == 0


async def test_stale_or_forged_checklist_controls_change_nothing(bot: Bot, team: str) -> None:
    await create(bot, team)
    ((launch, items),) = await launch_rows(bot, team)
    bad = [
        {"action_id": "launch.item.toggle", "block_id": "x", "type": "button", "value": "{not json"},
        {"action_id": "launch.item.toggle", "block_id": "x", "type": "button",
         "value": json.dumps({"l": launch.id + 999, "i": items[0].id, "d": True})},  # another launch
        {"action_id": "launch.item.due", "block_id": f"launch.item.{launch.id}.{items[0].id}", "type": "datepicker",
         "selected_date": "2027-02-30"},
    ]
    for n, action in enumerate(bad):
        await bot.slack.interaction(block_actions(team, OWNER, [action], response_url=bot.fake.response_url(f"b{n}")))
    await bot.settle()
    replies = dict(bot.fake.responses)
    assert "out of date" in replies["b0"]["text"]
    assert "no longer exists" in replies["b1"]["text"]
    assert "not a real date" in replies["b2"]["text"]
    ((_, after),) = await launch_rows(bot, team)
    assert [(i.done, i.offset_days) for i in after] == [(i.done, i.offset_days) for i in items]
    assert await audit_actions(bot, launch.id) == ["created"]


# -- replicas: identical changes race on one database (hardening issue, item 9) ---------------

@pytest.fixture
async def other(bot: Bot) -> AsyncIterator[Bot]:
    """A second replica on the same database and fake Slack, stopped after the test."""
    async with second_replica(bot) as replica:
        yield replica


ADMIN = "UADMINR"  # a Slack admin: may change anything, and is looked up with users.info


def thread_lines(bot: Bot, launch: Launch, words: str) -> list[str]:
    return [c.args["text"] for c in bot.fake.posted(CHANNEL)
            if c.args.get("thread_ts") == launch.message_ts and words in c.args.get("text", "")]


def read_before_anyone_writes(bot: Bot, requests: int) -> None:
    """Make simultaneous requests start their transactions together: each first looks the
    clicker up with Slack (users.info, before its transaction), and those calls are held until
    all `requests` are waiting, so on PostgreSQL they read the launch side by side. SQLite takes
    its write lock at BEGIN and serialises them anyway, so nothing is held there."""
    bot.fake.add_user(ADMIN, is_admin=True)
    if bot.rt.db.backend == "postgresql":
        bot.fake.gate("users.info", requests)


async def from_both(bot: Bot, other: Bot, team: str, action: dict, times: int = 6) -> None:
    """`times` simultaneous clicks by the admin on the same control, alternating between the
    two replicas (each its own click: its own trigger id, so no request is a replay)."""
    read_before_anyone_writes(bot, times)
    replicas = [bot, other] * (times // 2)
    await asyncio.gather(*(r.slack.interaction(block_actions(team, ADMIN, [action], channel_id=CHANNEL))
                           for r in replicas))
    await bot.settle()
    await other.settle()


async def test_concurrent_check_offs_on_two_replicas_are_written_and_announced_once(
        bot: Bot, other: Bot, team: str) -> None:
    await create(bot, team)
    ((launch, items),) = await launch_rows(bot, team)
    await from_both(bot, other, team, toggle_action(launch.id, items[0].id))
    assert (await audit_actions(bot, launch.id)).count("check") == 1
    assert len(thread_lines(bot, launch, f"<@{ADMIN}> checked off")) == 1
    ((_, items),) = await launch_rows(bot, team)
    assert items[0].done and items[0].done_by == ADMIN


@pytest.mark.parametrize("change", ["owner", "due", "decision"])
async def test_concurrent_identical_changes_on_two_replicas_land_once(
        bot: Bot, other: Bot, team: str, change: str) -> None:
    await create(bot, team)
    ((launch, items),) = await launch_rows(bot, team)
    qa = next(i for i in items if i.title == "QA sign-off")
    action, line = {
        "owner": (owner_pick(launch.id, qa.id, "UALICE1"), "set the owner of QA sign-off to <@UALICE1>"),
        "due": ({"action_id": "launch.item.due", "block_id": f"launch.item.{launch.id}.{qa.id}",
                 "type": "datepicker", "selected_date": days(27)}, f"moved the due date of QA sign-off to {days(27)}"),
        "decision": ({"action_id": "launch.decide.go", "block_id": "d", "type": "button",
                      "value": json.dumps({"l": launch.id})}, "decided GO"),
    }[change]
    await from_both(bot, other, team, action)
    assert (await audit_actions(bot, launch.id)).count(change) == 1
    assert len(thread_lines(bot, launch, line)) == 1
    ((launch, items),) = await launch_rows(bot, team)
    qa = next(i for i in items if i.title == "QA sign-off")
    assert {"owner": qa.owner_id == "UALICE1",
            "due": (launch.launch_date + timedelta(days=qa.offset_days)).isoformat() == days(27),
            "decision": launch.decision is not None and launch.decision.value == "go"}[change]


async def test_concurrent_moves_to_the_same_date_shift_done_items_once(bot: Bot, other: Bot, team: str) -> None:
    await create(bot, team, when=30)
    ((launch, items),) = await launch_rows(bot, team)
    code = next(i for i in items if i.title == "Code complete")
    await bot.slack.interaction(block_actions(team, OWNER, [toggle_action(launch.id, code.id)], channel_id=CHANNEL))
    await bot.settle()
    read_before_anyone_writes(bot, 6)
    move = f'date "Mobile v2" {days(37)}'
    await asyncio.gather(*(r.slack.command(team, ADMIN, "/launch", move) for r in [bot, other] * 3))
    await bot.settle()
    await other.settle()
    ((launch, items),) = await launch_rows(bot, team)
    due = {i.title: (launch.launch_date + timedelta(days=i.offset_days)).isoformat() for i in items}
    assert launch.launch_date.isoformat() == days(37)
    assert due["Code complete"] == days(20) and due["QA sign-off"] == days(32)  # done keeps its date; open moved
    assert (await audit_actions(bot, launch.id)).count("date") == 1
    assert len(thread_lines(bot, launch, "moved the launch date")) == 1


async def test_a_change_to_the_same_value_writes_and_posts_nothing(bot: Bot, team: str) -> None:
    await create(bot, team, when=30)
    ((launch, items),) = await launch_rows(bot, team)
    before = len(bot.fake.calls)
    unchanged = [
        owner_pick(launch.id, items[0].id, OWNER) | {"selected_user": None},  # unassigned already
        {"action_id": "launch.item.due", "block_id": f"launch.item.{launch.id}.{items[0].id}", "type": "datepicker",
         "selected_date": (launch.launch_date + timedelta(days=items[0].offset_days)).isoformat()},
        toggle_action(launch.id, items[0].id, done=False),  # already open
    ]
    for action in unchanged:
        await bot.slack.interaction(block_actions(team, OWNER, [action], channel_id=CHANNEL))
    _, body = await bot.slack.command(team, OWNER, "/launch", f'date "Mobile v2" {days(30)}')
    assert "already launches" in body["text"]
    await bot.settle()
    assert await audit_actions(bot, launch.id) == ["created"]
    assert bot.fake.calls[before:] == []


# -- checklists Slack refused at creation (hardening issue, item 10) --------------------------

def checklist_posts(bot: Bot, channel: str) -> list:
    return [c for c in bot.fake.posted(channel) if "Launch checklist" in c.args.get("text", "")]


async def test_a_checklist_slack_refused_at_creation_is_posted_once_by_the_replicas_sweepers(
        bot: Bot, other: Bot, team: str) -> None:
    channel = "C" + team[-8:]  # the sweepers cover every workspace: only this test posts here
    bot.fake.add_user(OWNER)
    bot.fake.fail("chat.postMessage", status=503, times=3, match={"channel": channel})  # the try and both retries
    _, body = await bot.slack.command(team, OWNER, "/launch", f'new "Atlas" {days(30)}', channel_id=channel)
    assert "Created *Atlas*" in body["text"]
    await bot.settle()
    ((launch, _),) = await launch_rows(bot, team)
    assert launch.message_ts is None and len(checklist_posts(bot, channel)) == 3
    (notice,) = bot.fake.calls_to("chat.postEphemeral")
    assert notice.args["user"] == OWNER and "The launch is saved" in notice.args["text"]
    assert "try again every few minutes" in notice.args["text"] and "invite" not in notice.args["text"]
    # Retries are spaced out; then the sweepers of both replicas run at once and one posts it.
    await flows.sweep_unposted_checklists(bot.rt, now=utcnow() + timedelta(minutes=1))
    assert len(checklist_posts(bot, channel)) == 3
    later = utcnow() + flows.RETRY_SPACING + timedelta(minutes=1)
    await asyncio.gather(flows.sweep_unposted_checklists(bot.rt, now=later),
                         flows.sweep_unposted_checklists(other.rt, now=later))
    posts = checklist_posts(bot, channel)
    assert len(posts) == 4
    assert_valid_blocks(posts[-1].args["blocks"])
    ((launch, _),) = await launch_rows(bot, team)
    (message,) = bot.fake.messages[channel]
    assert launch.message_ts == message.ts and "Atlas" in block_text(message.blocks)
    await flows.sweep_unposted_checklists(other.rt, now=later + timedelta(hours=1))
    assert len(checklist_posts(bot, channel)) == 4


async def test_a_checklist_the_bot_may_not_post_yet_goes_up_after_the_invite(bot: Bot, team: str) -> None:
    channel = "C" + team[-8:]
    bot.fake.add_user(OWNER)
    bot.fake.fail("chat.postMessage", "not_in_channel", match={"channel": channel})  # removed since the check
    await bot.slack.command(team, OWNER, "/launch", f'new "Atlas" {days(30)}', channel_id=channel)
    await bot.settle()
    (notice,) = bot.fake.calls_to("chat.postEphemeral")
    assert "`not_in_channel`" in notice.args["text"] and "invite me with `/invite @ProdOps`" in notice.args["text"]
    await flows.sweep_unposted_checklists(bot.rt, now=utcnow() + flows.RETRY_SPACING + timedelta(minutes=1))
    ((launch, _),) = await launch_rows(bot, team)
    assert launch.message_ts and len(checklist_posts(bot, channel)) == 2


async def test_a_slack_error_while_checking_the_channel_is_not_a_request_for_an_invite(bot: Bot, team: str) -> None:
    bot.fake.add_user(OWNER)
    new = f'new "Atlas" {days(30)}'
    bot.fake.fail("conversations.info", status=503)
    _, body = await bot.slack.command(team, OWNER, "/launch", new, channel_id=CHANNEL)
    assert "couldn't reach Slack" in body["text"] and "try again" in body["text"] and "nvite" not in body["text"]
    bot.fake.fail("conversations.info", retry_after=30)
    _, body = await bot.slack.command(team, OWNER, "/launch", new, channel_id=CHANNEL)
    assert "`ratelimited`" in body["text"] and "nvite" not in body["text"]
    assert await launch_rows(bot, team) == []
    for error in ("channel_not_found", "not_in_channel"):
        bot.fake.fail("conversations.info", error)
        _, body = await bot.slack.command(team, OWNER, "/launch", new, channel_id=CHANNEL)
        assert f"({error})" in body["text"] and "Invite me with `/invite @ProdOps`" in body["text"]
    assert await launch_rows(bot, team) == []


# -- names in straight or typographic quotes (hardening issue, item 12) -----------------------

async def test_names_in_typographic_quotes(bot: Bot, team: str) -> None:
    bot.fake.add_user(OWNER)
    typed = {"“Atlas GA”": "Atlas GA", "„Zwei Wörter“": "Zwei Wörter", "‘Bob’s launch’": "Bob’s launch",
             "“Users’ choice”": "Users’ choice", "'Plain single'": "Plain single", '"Mixed style”': "Mixed style"}
    for n, (quoted_name, name) in enumerate(typed.items()):
        _, body = await bot.slack.command(team, OWNER, "/launch", f"new {quoted_name} {days(30 + n)}", channel_id=CHANNEL)
        assert f"Created *{name}*" in body["text"], body
    await bot.settle()
    assert sorted(launch.name for launch, _ in await launch_rows(bot, team)) == sorted(typed.values())
    _, body = await bot.slack.command(team, OWNER, "/launch", "status ‘atlas ga’")
    assert "Atlas GA" in block_text(body["blocks"])
    _, body = await bot.slack.command(team, OWNER, "/launch", f"date „Atlas GA“ {days(40)}")
    assert "now launches" in body["text"]
    _, body = await bot.slack.command(team, OWNER, "/launch", f"new “Atlas {days(40)}")
    assert "A quote is not closed" in body["text"]


NAME_WORDS = st.text(st.characters(categories=("L", "M", "N", "P", "S"), exclude_characters=QUOTES + "&<>"),
                     min_size=1, max_size=12)  # Slack sends &, < and > as entities: not typed names
NAMES = st.lists(NAME_WORDS, min_size=1, max_size=8).map(" ".join).filter(lambda name: len(name) <= NAME_MAX)
QUOTE_PAIRS = st.one_of(st.tuples(st.sampled_from(DOUBLE), st.sampled_from(DOUBLE)),
                        st.tuples(st.sampled_from(SINGLE), st.sampled_from(SINGLE)))


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # each example is its own workspace
@given(name=NAMES, when=st.dates(date(2000, 1, 1), date(2099, 12, 31)), quotes=QUOTE_PAIRS)
async def test_any_quotes_around_a_new_launch_name_give_exactly_that_name(
        bot: Bot, name: str, when: date, quotes: tuple[str, str]) -> None:
    team = "T" + uuid.uuid4().hex[:10].upper()
    opening, closing = quotes
    _, body = await bot.slack.command(team, OWNER, "/launch", f"new {opening}{name}{closing} {when.isoformat()}",
                                      channel_id=CHANNEL)
    assert body["text"].startswith("Created *"), body
    await bot.settle()
    ((launch, _),) = await launch_rows(bot, team)
    assert launch.name == name and launch.launch_date == when
