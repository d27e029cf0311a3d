"""The KPI definition form read back into a Definition (bot/forms.py does the reading)."""
from __future__ import annotations

from typing import Any

from bot.errors import UserError
from bot.forms import FormData
from bot.kpis.fetch import check_url
from bot.kpis.parsing import NAME_MAX, parse_days, parse_header, parse_key, parse_optional, parse_path, parse_value
from bot.kpis.service import Definition
from bot.usertext import plain
from models.kpi import Direction, KpiSource, KpiUnit


def _choice(form: FormData, field: str, enum: type, default: str) -> Any:
    try:
        return enum(form.choice(field) or default)
    except ValueError:
        raise UserError("That form is out of date; run the command again.", field=field) from None


def definition_from(view: dict[str, Any], user_id: str, *, editing: bool) -> Definition:
    form = FormData(view)
    key = parse_key(form.text("key") or "", field="key")
    name = " ".join((form.text("name") or "").split())
    if not name:
        raise UserError("Give the KPI a name.", field="name")
    if len(plain(name)) > NAME_MAX:
        raise UserError(f"Keep KPI names under {NAME_MAX} characters.", field="name")
    target = parse_optional(form.text("target"), "target")
    band = None
    raw_band = form.text("band")
    if raw_band:
        low, sep, high = _split_band(plain(raw_band).replace("–", " - "))
        if not sep or not low.strip() or not high.strip():  # an end left out is not 0
            raise UserError("Write the band as `low - high`, e.g. `2 - 3`.", field="band")
        band = (parse_value(low, "band"), parse_value(high, "band"))
        if band[0] >= band[1]:
            raise UserError("The band's low end must be below its high end.", field="band")
    if band is not None and target is not None:
        raise UserError("Give either a target or a band, not both.", field="band")
    channel = form.channel("channel")
    if not channel:
        raise UserError("Pick the channel for the KPI's nudges.", field="channel")
    change = parse_optional(form.text("change"), "change")
    if change is not None and change <= 0:
        raise UserError("The sharp change alert is a percentage above 0.", field="change")
    source = _choice(form, "source", KpiSource, "manual")
    url = path = None
    header = None
    every = None
    keep_header = False
    if source is KpiSource.HTTP:
        url = plain(form.text("url") or "").strip()
        why = check_url(url) if url else "Give the URL to pull."
        if why:
            raise UserError(why, field="url")
        path = parse_path(form.text("path"))
        header = parse_header(form.text("header"))
        keep_header = editing and header is None
        every = int(form.choice("every") or "60")
        if every not in (60, 360, 1440):
            raise UserError("That form is out of date; run the command again.", field="every")
    return Definition(key, name, _choice(form, "unit", KpiUnit, "count"), _choice(form, "direction", Direction, "higher"),
                      target, band, form.user("owner") or user_id, channel, parse_days(form.text("stale")),
                      change, parse_optional(form.text("baseline"), "baseline"), source, url, header, keep_header,
                      path, every)


def _split_band(text: str) -> tuple[str, str, str]:
    """`2 - 3`, `-5 - 5`, `2 to 3`: the separator is the last ` - `, a `to`, or the last `-`
    not leading a number's sign."""
    for sep in (" - ", " to ", ".."):
        if sep in text:
            low, _, high = text.rpartition(sep)
            return low, sep, high
    index = text.rfind("-")
    if index > 0:
        return text[:index], "-", text[index + 1:]
    return text, "", ""
