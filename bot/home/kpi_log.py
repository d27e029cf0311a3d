"""The "Log a KPI value" form of the App Home: `/kpi log <key> <value> [YYYY-MM-DD]` as a form,
for the quick action and each row of "Your KPIs". The KPIs offered are those the person may
log (theirs; every KPI for ops admins); the value is read by the command's own parser and the
write is the command's own (bot/kpis/requests.log: permission, dates, nudges)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks import Block, context, input_block, modal, plain as plain_text, section
from bot.errors import UserError
from bot.forms import FormData, date_picker, static_select, text_input
from bot.home.enums import HomeView
from bot.kpis import service
from bot.kpis.parsing import parse_value
from bot.usertext import plain
from models.kpi import KpiSource

OPTIONS_MAX = 100  # a static_select's limit; beyond it `/kpi log` logs any of them
VALUE_MAX = 40


class Field_:
    KPI = "kpi"
    VALUE = "value"
    DAY = "day"


@dataclass(frozen=True)
class LogForm:
    key: str
    value: float
    day: date | None  # None: today


async def choices(session: AsyncSession, team_id: str, user_id: str, manager: bool) -> tuple[list[tuple[str, str]], int]:
    """(label, key) of the KPIs this person may log, by key (`service.listed`, as `/kpi` lists
    them), the first OPTIONS_MAX; and how many there are."""
    kpis = [k for k in await service.listed(session, team_id)
            if (manager or k.owner_id == user_id) and k.source is not KpiSource.BUILTIN]  # agreements: computed
    return [(f"{plain(k.name)} ({k.key})", k.key) for k in kpis[:OPTIONS_MAX]], len(kpis)


def log_modal(options: list[tuple[str, str]], total: int, key: str | None) -> dict[str, Any]:
    """The form, `key` chosen when the button named one; a note when there is nothing to log."""
    if not options:
        return {"type": "modal", "title": plain_text("Log a KPI value", 24), "close": plain_text("Close", 24),
                "blocks": [section("You own no KPI that takes values by hand, so there is nothing for you to "
                                   "log (a working agreement's values are computed by the bot). Ops admins "
                                   "define KPIs with `/kpi add`; `/kpi` lists them with their owners.")]}
    blocks: list[Block] = [
        input_block(Field_.KPI, "KPI", static_select(options, key, placeholder="Choose a KPI")),
        input_block(Field_.VALUE, "Value", text_input(max_length=VALUE_MAX, placeholder="42, 42%, 1,200 or 3.5k")),
        input_block(Field_.DAY, "Day", date_picker(), optional=True, hint="Leave empty for today."),
    ]
    if total > len(options):
        blocks.append(context(f"The first {len(options)} of {total} KPIs by key; `/kpi log <key> <value>` logs any."))
    return modal(HomeView.KPI_LOG, "Log a KPI value", blocks, submit="Log")


def form_of(view: dict[str, Any]) -> LogForm:
    """The submitted form, read as `/kpi log` reads its words; bad input names its field."""
    form = FormData(view)
    key = form.choice(Field_.KPI)
    if not key:
        raise UserError("Choose a KPI.", field=Field_.KPI)
    value = parse_value(form.text(Field_.VALUE) or "", field=Field_.VALUE)
    picked = form.date(Field_.DAY)
    try:
        day = date.fromisoformat(picked) if picked else None
    except ValueError:
        raise UserError("Pick a day from the calendar.", field=Field_.DAY) from None
    return LogForm(key, value, day)


def placed(refused: UserError, form: LogForm) -> UserError:
    """The command's refusal (no such KPI, not yours, a day too far out) under the form's field
    it is about: the day when it names the day, else the KPI."""
    if refused.field:
        return refused
    about_day = form.day is not None and refused.message.startswith(form.day.isoformat())
    return UserError(refused.message, field=Field_.DAY if about_day else Field_.KPI)
