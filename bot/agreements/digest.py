"""The report's section of a channel digest (the interface: bot/digests/sections.py): "where is
the bottleneck?" for the period the digest's setup chose, against the one before it, as of the
digest's local day. Workspace-wide (not per channel), so one tick builds it once for every
digest that includes it; nobody is mentioned in it (the blockers' people are named only in
`/prodops report`, which one person asked for)."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.agreements import report
from bot.agreements.blocks import whole_lines
from bot.agreements.report import Report
from bot.blocks import Block, context, input_block, section
from bot.digests.sections import PART_CHARS, DigestSection, Filter, Part, Period
from bot.errors import UserError
from bot.forms import FormData, radio_buttons

NAME = "report"
PERIOD_FIELD = f"{NAME}.period"
PERIODS: list[tuple[str, str]] = [("The last 30 days against the 30 before", "30d"),
                                  ("The last 90 days against the 90 before", "90d"),
                                  ("This quarter so far against as long before it", "quarter")]
LINE_CHARS = 600  # one area's line in the digest (its notes cut to fit)


def period_of(raw: Filter | None) -> str:
    chosen = (raw or {}).get("period")
    return chosen if chosen in {value for _, value in PERIODS} else "30d"


def describe(raw: Filter) -> str:
    return {value: label for label, value in PERIODS}[period_of(raw)].lower()


async def inputs(_session: AsyncSession, _team_id: str, current: Filter | None) -> list[Block]:
    return [input_block(PERIOD_FIELD, "Where is the bottleneck?", radio_buttons(PERIODS, period_of(current)),
                        optional=True)]


def read(form: FormData) -> Filter:
    chosen = form.choice(PERIOD_FIELD) or "30d"
    if chosen not in {value for _, value in PERIODS}:
        raise UserError("That choice is out of date; pick the report's period again.", field=PERIOD_FIELD)
    return {"period": chosen}


def render(r: Report) -> Part | None:
    """Per area its first measure and what stands out (the notes), the agreements furthest from
    their targets first; the whole report is one command away."""
    if r.empty:
        return None
    blocks: list[Block] = [context(f"{r.first.isoformat()} to {r.last.isoformat()}, compared with the {r.name} "
                                   f"before · all of it: `/prodops report {r.name}`")]
    if r.furthest:
        blocks.append(section(whole_lines("*Furthest from its agreement*\n" + "\n".join(r.furthest), LINE_CHARS * 2)))
    lines = []
    for area in r.areas:
        shown = [m.line() for m in area.measures if m.now is not None][:1]
        if shown or area.notes:
            lines.append(_joined(f"*{area.title}*: ", [*shown, *area.notes], LINE_CHARS))
    if lines:
        blocks.append(section(whole_lines("\n".join(lines), PART_CHARS - LINE_CHARS * 2 - 200)))
    worse = sum(1 for a in r.areas for m in a.measures if m.better is False)
    better = sum(1 for a in r.areas for m in a.measures if m.better)
    return Part(blocks, f"Where is the bottleneck? {better} measures better, {worse} worse than the {r.name} before")


def _joined(head: str, pieces: list[str], limit: int) -> str:
    """`head` and the pieces, "; " between, as many whole pieces as fit (each already bounded)."""
    text = head
    for i, piece in enumerate(pieces):
        joined = text + ("; " if i else "") + piece
        if len(joined) > limit:
            return text + " …"
        text = joined
    return text


async def build(session: AsyncSession, period: Period, raw: Filter) -> Part | None:
    today = period.end.astimezone(period.zone).date()
    return render(await report.gather(session, period.team_id, period_of(raw), today))


SECTION = DigestSection(name=NAME, label="Where is the bottleneck?", build=build, inputs=inputs, read=read,
                        describe=describe, per_channel=lambda _f: False, default=False)
