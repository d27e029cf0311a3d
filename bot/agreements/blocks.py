"""Block Kit for working agreements: the form, the list with exceptions, the report. Pure."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.agreements.metrics import METRICS, Exception_, Reading
from bot.blocks import Block, context, divider, header, input_block, modal, section
from bot.forms import channel_select, static_select, text_input, users_select
from bot.launches.parsing import FUNCTIONS
from bot.text import channel_mention, escape, user_mention
from bot.usertext import mrkdwn

FORM = "agreements.define"
SHOWN_EXCEPTIONS = 3  # per agreement in the list
BLOCKS_MAX = 48  # Slack allows 50 in a message


def form(values: dict[str, Any], standups: list[tuple[str, str]], editing: int | None) -> dict[str, Any]:
    """`/prodops agree`: the metric, its scope and days, the target, the owner and channel."""
    metrics = [(METRICS[k].label.format(within="N working days"), k) for k in METRICS]
    fields = [
        input_block("metric", "Metric", static_select(metrics, values.get("metric"), "Choose a metric")),
        input_block("within", "Working days allowed", text_input(values.get("within"), max_length=3),
                    optional=True, hint="For triage, blockers and nudges: N in the metric (default 3, 2 and 1)."),
        input_block("target", "Target (% of the time)", text_input(values.get("target"), max_length=6),
                    hint="For example 90: the agreement is kept when 90% or more are within it."),
        input_block("function", "Checklist function", static_select([(f, f) for f in FUNCTIONS],
                                                                    values.get("function"), "All functions"),
                    optional=True, hint="Checklist agreements only: one function, or all."),
    ]
    if standups:
        fields.append(input_block("standup", "Standup", static_select(standups, values.get("standup"),
                                                                      "All standups"),
                                  optional=True, hint="Standup agreements only: one standup, or all."))
    fields += [input_block("owner", "Owner (nudged when it goes off target)", users_select(values.get("owner"))),
               input_block("channel", "Channel (its off-target and sharp-change posts)",
                           channel_select(values.get("channel")))]
    return modal(FORM, "Working agreement", fields, submit="Agree" if editing is None else "Save",
                 metadata=json.dumps({"editing": editing}))


@dataclass(frozen=True)
class Listed:
    key: str
    name: str  # stored user text
    target: float
    latest: float | None
    reading: Reading  # as of yesterday: what broke it in the window
    window: int
    owner_id: str


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:g}%"


def exception_line(e: Exception_) -> str:
    late = f"{e.late} working day{'s' if e.late != 1 else ''} late" if e.late > 0 else "late"
    what = f"<{e.link}|{escape(e.what)}>" if e.link and e.link.startswith("https://") else mrkdwn(e.what, limit=120)
    who = f" {user_mention(e.user_id)}" if e.user_id else ""
    detail = f": {mrkdwn(e.detail, limit=120)}" if e.detail else ""
    where = f" in {channel_mention(e.channel_id)}" if e.channel_id else ""
    return f"• {what}{who}{where}{detail} ({late})"


def list_blocks(rows: list[Listed]) -> list[Block]:
    if not rows:
        return [section("No working agreements yet. An ops admin agrees one with `/prodops agree`: a target on "
                        "a process metric the bot measures from its own data (time to triage, checklist items "
                        "on time, standup answers, blockers cleared, nudges acted on).")]
    out: list[Block] = [header("Working agreements")]
    for r in rows:
        kept = r.latest is not None and r.latest >= r.target
        mark = "✅" if kept else ("⚠️" if r.latest is not None else "⏳")
        counted = f"{r.reading.kept} kept, {r.reading.broken} broken in the last {r.window} days"
        lines = [f"{mark} *{mrkdwn(r.name, limit=200)}* `{escape(r.key)}`",
                 f"{percent(r.latest)} against {percent(r.target)} · {counted} · owner {user_mention(r.owner_id)}"]
        lines += [exception_line(e) for e in r.reading.exceptions[:SHOWN_EXCEPTIONS]]
        if len(r.reading.exceptions) > SHOWN_EXCEPTIONS:
            lines.append(f"…and {len(r.reading.exceptions) - SHOWN_EXCEPTIONS} more")
        out.append(section("\n".join(lines)))
        if len(out) >= BLOCKS_MAX - 1:
            break
    out.append(context("Edit: `/prodops agreements edit <key>` · remove: `/prodops agreements remove <key>` · "
                       "charts and history: `/kpi show <key>`"))
    return out


@dataclass(frozen=True)
class Compared:
    """One measure in this period and the previous one."""

    label: str
    now: float | None
    before: float | None
    unit: str = "%"
    lower_is_better: bool = False
    target: float | None = None

    def _of(self, value: float) -> str:
        unit = self.unit[:-1] if value == 1 and self.unit.endswith("days") else self.unit  # "1 working day"
        return f"{value:g}{unit}"

    @property
    def better(self) -> bool | None:
        """Better than before (False: worse), None without two different figures."""
        if self.now is None or self.before is None or self.now == self.before:
            return None
        return (self.now < self.before) if self.lower_is_better else (self.now > self.before)

    def moved(self) -> str:
        if self.better is None:
            return "no change" if self.now is not None and self.now == self.before else "no earlier figure"
        return f"{'better ▲' if self.better else 'worse ▼'} from {self._of(self.before or 0)}"

    def line(self) -> str:
        shown = "—" if self.now is None else self._of(self.now)
        target = f" (agreed: {self.target:g}{self.unit})" if self.target is not None else ""
        return f"{self.label}: *{shown}*{target}, {self.moved()}"


@dataclass(frozen=True)
class Area:
    title: str
    measures: list[Compared]
    notes: list[str]  # already mrkdwn
    named: list[str] = field(default_factory=list)  # mrkdwn lines that mention people: the command's answer only


def report_blocks(period: str, first: date, last: date, areas: list[Area], furthest: list[str]) -> list[Block]:
    out: list[Block] = [header(f"Where is the bottleneck? ({period})"),
                        context(f"{first.isoformat()} to {last.isoformat()}, compared with the {period} before")]
    if furthest:
        out.append(section("*Furthest from its agreement*\n" + "\n".join(furthest)))
    for area in areas:
        lines = [f"*{area.title}*", *[f"• {m.line()}" for m in area.measures], *area.notes, *area.named]
        out.append(section(whole_lines("\n".join(lines), 2900)))
    out.append(divider())
    out.append(context("Agree targets with `/prodops agree`; see them with `/prodops agreements`."))
    return out


def whole_lines(text: str, limit: int) -> str:
    """Whole lines while they fit, then an ellipsis: a cut never splits an escape or a link."""
    if len(text) <= limit:
        return text
    kept: list[str] = []
    for line in text.split("\n"):
        if len("\n".join([*kept, line])) > limit - 2:
            break
        kept.append(line)
    return "\n".join([*kept, "…"])
