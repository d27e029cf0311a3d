"""The standup forms read back into typed values (bot/forms.py does the reading)."""
from __future__ import annotations

from typing import Any

from bot.errors import UserError
from bot.forms import FormData, read_meta
from bot.standups.enums import STALE_FORM, DayRef, DeleteMeta, Field_, SetupMeta, answer_field
from bot.standups.parsing import QUESTIONS_MAX, check_times, parse_days, parse_questions, parse_setup_name, parse_time
from bot.standups.service import Setup
from models.standup import PostMode


def setup_from(view: dict[str, Any], user_id: str) -> tuple[Setup, SetupMeta]:
    form = FormData(view)
    meta = read_meta(SetupMeta, view.get("private_metadata"), STALE_FORM, field=Field_.NAME)
    name = parse_setup_name(form.text(Field_.NAME) or "", field=Field_.NAME)
    channel = form.channel(Field_.CHANNEL)
    if not channel:
        raise UserError("Pick the report channel.", field=Field_.CHANNEL)
    members = form.users(Field_.MEMBERS)
    if not members:
        raise UserError("Pick at least one participant.", field=Field_.MEMBERS)
    questions = parse_questions(form.text(Field_.QUESTIONS, trim=False) or "")
    days = parse_days(form.choices(Field_.DAYS))
    prompt = parse_time(form.time(Field_.PROMPT), Field_.PROMPT, "prompt time")
    deadline = parse_time(form.time(Field_.DEADLINE), Field_.DEADLINE, "deadline")
    check_times(prompt, deadline)
    try:
        mode = PostMode(form.choice(Field_.MODE) or PostMode.EACH.value)
    except ValueError:
        raise UserError(STALE_FORM, field=Field_.MODE) from None
    owner = form.user(Field_.OWNER) or user_id
    return Setup(name, channel, members, questions, days, prompt, deadline, mode, owner), meta


def answers_from(view: dict[str, Any]) -> tuple[DayRef, list[str | None]]:
    form = FormData(view)
    ref = read_meta(DayRef, view.get("private_metadata"), STALE_FORM)
    return ref, [form.text(answer_field(i), trim=False) for i in range(QUESTIONS_MAX)]


def delete_of(view: dict[str, Any]) -> DeleteMeta:
    return read_meta(DeleteMeta, view.get("private_metadata"), STALE_FORM)
