"""Driving standups as Slack would: the setup form filled from the modal the bot opened, the
prompt's button clicked, the answer form submitted, and `duties.tick` at chosen instants."""
from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot import duties
from bot.clock import Clock
from bot.standups.enums import StandupAction, StandupView
from models.standup import Standup
from tests.conftest import Bot
from tests.fake_slack import Message
from tests.slack_requests import block_actions, view_submission

NEW_YORK, BERLIN, KOLKATA, LOS_ANGELES = "America/New_York", "Europe/Berlin", "Asia/Kolkata", "America/Los_Angeles"


def local(day: date, hour: int, minute: int = 0, zone: str = BERLIN) -> datetime:
    return datetime.combine(day, time(hour, minute), ZoneInfo(zone))


def uid(team: str, tag: str) -> str:
    """A user id unique to this test: ticks cover every workspace in the session database."""
    return f"U{tag}{team[-7:]}"


def channel_of(team: str) -> str:
    return "C" + team[-9:]


async def tick(bot: Bot, clock: Clock, at: datetime) -> list[str]:
    clock.set(at)
    lines = await duties.tick(bot.rt, at)
    await bot.settle()
    return lines


async def meet(bot: Bot, team: str, user: str, zone: str, name: str | None = None, *, is_admin: bool = False) -> None:
    """Slack tells the bot about a person (user_change carries the whole user object)."""
    bot.fake.add_user(user, tz=zone, name=name, is_admin=is_admin)
    status, _ = await bot.slack.event(team, {"type": "user_change", "user": {
        "id": user, "team_id": team, "name": (name or user).lower(), "real_name": name or user, "deleted": False,
        "is_bot": False, "tz": zone, "tz_offset": 0, "profile": {"real_name": name or user,
                                                                 "display_name": name or user}}})
    assert status == 200
    await bot.settle()


def last_view(bot: Bot, callback_id: str) -> dict[str, Any]:
    opened = [c.args["view"] for c in bot.fake.calls_to("views.open")]
    views = [json.loads(v) if isinstance(v, str) else v for v in opened]
    found = [v for v in views if v.get("callback_id") == callback_id]
    assert found, f"no {callback_id} modal was opened"
    return found[-1]


def state_of(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The view's state as Slack sends it on submit: each input's initial value unless `values`
    sets it (a string for text and time, a list for users and checkboxes, a value for radios)."""
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        element, field = block["element"], block["block_id"]
        kind = element["type"]
        given = values.get(field)
        if kind == "plain_text_input":
            value = given if field in values else element.get("initial_value")
            entry: dict[str, Any] = {"type": kind, "value": value}
        elif kind == "multi_users_select":
            entry = {"type": kind, "selected_users": given if field in values else element.get("initial_users", [])}
        elif kind == "users_select":
            entry = {"type": kind, "selected_user": given if field in values else element.get("initial_user")}
        elif kind == "conversations_select":
            entry = {"type": kind, "selected_conversation": given if field in values
                     else element.get("initial_conversation")}
        elif kind == "checkboxes":
            options = {o["value"]: o for o in element["options"]}
            chosen = [options[v] for v in given] if field in values else element.get("initial_options", [])
            entry = {"type": kind, "selected_options": chosen}
        elif kind == "static_select":
            options = {o["value"]: o for o in element["options"]}
            entry = {"type": kind, "selected_option": options[given] if field in values and given is not None
                     else None if field in values else element.get("initial_option")}
        elif kind == "multi_static_select":
            options = {o["value"]: o for o in element["options"]}
            chosen = [options[v] for v in given] if field in values else element.get("initial_options", [])
            entry = {"type": kind, "selected_options": chosen}
        elif kind == "radio_buttons":
            options = {o["value"]: o for o in element["options"]}
            entry = {"type": kind, "selected_option": options[given] if field in values
                     else element.get("initial_option")}
        elif kind == "timepicker":
            entry = {"type": kind, "selected_time": given if field in values else element.get("initial_time")}
        else:
            raise AssertionError(f"no state for {kind}")
        state[field] = {field: entry}
    return state


async def submit(bot: Bot, team: str, user: str, view: dict[str, Any], values: dict[str, Any]) -> tuple[int, Any]:
    payload = view_submission(team, user, view["callback_id"], state_of(view, values),
                              private_metadata=view.get("private_metadata", ""))
    status, body = await bot.slack.interaction(payload)
    await bot.settle()
    return status, body


async def set_up(bot: Bot, team: str, admin: str, name: str, members: list[str], **values: Any) -> Standup:
    """`/standup setup` in the team's channel, the form submitted with `values` over its defaults."""
    status, body = await bot.slack.command(team, admin, "/standup", "setup", channel_id=channel_of(team))
    assert status == 200, body
    await bot.settle()
    view = last_view(bot, StandupView.SETUP)
    status, body = await submit(bot, team, admin, view, {"name": name, "members": members, **values})
    assert status == 200 and not (body or {}).get("errors"), body
    async with bot.rt.db.unit_of_work() as session:
        row = await session.scalar(select(Standup).where(Standup.team_id == team, Standup.name == name))
    assert row is not None
    return row


def dms(bot: Bot, user: str) -> list[Any]:
    return bot.fake.posted(user)


def fill_value(message_blocks: list[dict[str, Any]]) -> str:
    for block in message_blocks:
        elements = block.get("elements", []) + ([block["accessory"]] if "accessory" in block else [])
        for element in elements:
            if element.get("action_id") == StandupAction.FILL:
                return str(element["value"])
    raise AssertionError("no Fill in button")


async def click_fill(bot: Bot, team: str, user: str, value: str) -> tuple[int, Any]:
    payload = block_actions(team, user, [{"action_id": StandupAction.FILL, "block_id": "b", "value": value,
                                          "type": "button"}], channel_id="D" + user)
    status, body = await bot.slack.interaction(payload)
    await bot.settle()
    return status, body


async def answer(bot: Bot, team: str, user: str, value: str, answers: list[str]) -> tuple[int, Any]:
    """Click a Fill in button, then submit the form it opened with `answers`."""
    status, _ = await click_fill(bot, team, user, value)
    assert status == 200
    view = last_view(bot, StandupView.ANSWER)
    return await submit(bot, team, user, view, {f"q{i}": a for i, a in enumerate(answers)})


def channel_posts(bot: Bot, team: str) -> list[Message]:
    return [m for m in bot.fake.messages.get(channel_of(team), []) if m.thread_ts is None]
