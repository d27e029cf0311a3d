"""The digest setup form read back into typed values (bot/forms.py does the reading; each
section reads its own filter)."""
from __future__ import annotations

from typing import Any

from bot.digests.enums import STALE_FORM, DeleteMeta, Field_, SetupMeta
from bot.digests.parsing import parse_cadence, parse_days_for, parse_setup_name, parse_time, parse_timezone
from bot.digests.sections import DigestSection
from bot.digests.service import Setup
from bot.errors import UserError
from bot.forms import FormData, read_meta
from models.digest import WhenEmpty


def setup_from(view: dict[str, Any], user_id: str, sections: tuple[DigestSection, ...]) -> tuple[Setup, SetupMeta]:
    form = FormData(view)
    meta = read_meta(SetupMeta, view.get("private_metadata"), STALE_FORM, field=Field_.NAME)
    name = parse_setup_name(form.text(Field_.NAME) or "", field=Field_.NAME)
    channel = form.channel(Field_.CHANNEL)
    if not channel:
        raise UserError("Pick the channel the digest posts in.", field=Field_.CHANNEL)
    if channel.startswith("D"):
        raise UserError("A digest posts in a channel, not a DM; pick a channel.", field=Field_.CHANNEL)
    cadence = parse_cadence(form.choice(Field_.CADENCE), Field_.CADENCE)
    days = parse_days_for(cadence, form.choices(Field_.DAYS), Field_.DAYS)
    minutes = parse_time(form.time(Field_.TIME), Field_.TIME, "time")
    timezone = parse_timezone(form.text(Field_.TIMEZONE), Field_.TIMEZONE)
    chosen = set(form.choices(Field_.SECTIONS))
    known = {s.name for s in sections}
    if chosen - known:
        raise UserError(STALE_FORM, field=Field_.SECTIONS)
    if not chosen:
        raise UserError("Pick at least one section.", field=Field_.SECTIONS)
    filters = {s.name: s.read(form) for s in sections if s.name in chosen}
    try:
        when_empty = WhenEmpty(form.choice(Field_.WHEN_EMPTY) or WhenEmpty.SAY.value)
    except ValueError:
        raise UserError(STALE_FORM, field=Field_.WHEN_EMPTY) from None
    owner = form.user(Field_.OWNER) or user_id
    return Setup(name, channel, cadence, days, minutes, timezone, filters, when_empty, owner), meta


def delete_of(view: dict[str, Any]) -> DeleteMeta:
    return read_meta(DeleteMeta, view.get("private_metadata"), STALE_FORM)
