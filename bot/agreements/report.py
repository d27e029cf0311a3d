"""`/prodops report [30d|90d|quarter]`: the period against the one before it, per area, from the
same metric functions the agreements use (bot/agreements/metrics.py), read as of each period's
last day with the period's length as the window. Ends yesterday (a finished day)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.agreements import metrics, service
from bot.agreements.blocks import Area, Compared, percent, report_blocks
from bot.agreements.metrics import Scope
from bot.blocks import Block
from bot.errors import UserError
from bot.text import user_mention
from bot.usertext import mrkdwn

PERIODS = ("30d", "90d", "quarter")
DEFAULT_WITHIN = {"feedback.triage": 3, "standup.blockers": 2, "nudge.acted_on": 1}


def period_of(word: str | None, today: date) -> tuple[str, date, date, date, date]:
    """(name, first, last, previous first, previous last): the last ends yesterday."""
    word = (word or "30d").lower()
    last = today - timedelta(days=1)
    if word in ("30d", "90d"):
        days = int(word[:-1])
    elif word == "quarter":
        quarter_start = date(last.year, 3 * ((last.month - 1) // 3) + 1, 1)
        days = (last - quarter_start).days + 1
    else:
        raise UserError(f"`{mrkdwn(word)}` is not a period. Use `30d`, `90d` or `quarter`: "
                        "`/prodops report 90d`.")
    first = last - timedelta(days=days - 1)
    return word, first, last, first - timedelta(days=days), first - timedelta(days=1)


@dataclass(frozen=True)
class Report:
    name: str  # 30d | 90d | quarter
    first: date
    last: date
    areas: list[Area]
    furthest: list[str]  # mrkdwn, one per area with an agreement

    @property
    def empty(self) -> bool:
        return not self.furthest and all(m.now is None and m.before is None for a in self.areas for m in a.measures)


async def build(session: AsyncSession, team_id: str, word: str | None, today: date) -> tuple[str, list[Block]]:
    """`/prodops report`: its notification text and blocks."""
    r = await gather(session, team_id, word, today)
    return f"Report for the last {r.name}", report_blocks(r.name, r.first, r.last, r.areas, r.furthest)


async def gather(session: AsyncSession, team_id: str, word: str | None, today: date) -> Report:
    name, first, last, before_first, before_last = period_of(word, today)
    days = (last - first).days + 1
    agreements = await service.listed(session, team_id)
    within = dict(DEFAULT_WITHIN)
    targets: dict[str, float] = {}
    for a, k in agreements:  # an agreed metric is reported with its own days and target
        if a.function is None and a.standup_id is None:
            within[a.metric] = a.within_days
            targets[a.metric] = float(k.target or 0)

    async def both(metric: str) -> tuple[metrics.Reading, metrics.Reading]:
        scope = Scope(within=within.get(metric, 0), window=days)
        compute = metrics.METRICS[metric].compute
        return (await compute(session, team_id, last, scope, exceptions=False),
                await compute(session, team_id, before_last, scope, exceptions=False))

    triage, triage_before = await both("feedback.triage")
    on_time, on_time_before = await both("launch.on_time")
    answers, answers_before = await both("standup.participation")
    blockers, blockers_before = await both("standup.blockers")
    nudged, nudged_before = await both("nudge.acted_on")
    noise = await metrics.nudges_per_person_week(session, team_id, last, days)
    noise_before = await metrics.nudges_per_person_week(session, team_id, before_last, days)

    waiting = await metrics.untriaged(session, team_id, last, 3)
    told, shipped = await metrics.loop_closed(session, team_id, first, last)
    told_before, shipped_before = await metrics.loop_closed(session, team_id, before_first, before_last)
    slips = await metrics.launch_slips(session, team_id, first, last)
    slips_before = await metrics.launch_slips(session, team_id, before_first, before_last)
    early, launched = await metrics.decided_before_launch(session, team_id, first, last)
    early_before, launched_before = await metrics.decided_before_launch(session, team_id, before_first, before_last)
    feedback = Area("Feedback", [
        Compared(f"Triaged within {working_days(within['feedback.triage'])}", triage.value, triage_before.value,
                 target=targets.get("feedback.triage")),
        Compared("Median time to triage", metrics.median(triage.spans), metrics.median(triage_before.spans),
                 " working days", lower_is_better=True),
        Compared("90th percentile", metrics.p90(triage.spans), metrics.p90(triage_before.spans), " working days",
                 lower_is_better=True),
        Compared("Shipped items whose reporters were all told", share(told, shipped), share(told_before, shipped_before)),
    ], ["Waiting longest for triage: " + ", ".join(
        f"#{n} ({working_days(d)})" for n, d, _ in waiting)] if waiting else [])

    late = Counter({f: b for f, (_, b) in on_time.by_group.items() if b})
    late_notes: list[str] = []
    if late:
        worst, count = late.most_common(1)[0]
        days_late = on_time.late_by_group.get(worst, ())
        late_notes.append(f"Most late checklist items: *{mrkdwn(worst, limit=40)}*, {count} late "
                          f"(median {metrics.median(days_late) or 0:g} working days late)")
    launches = Area("Launches", [
        Compared("Checklist items done by their due date", on_time.value, on_time_before.value,
                 target=targets.get("launch.on_time")),
        Compared("Go/no-go decided before launch day", share(early, launched), share(early_before, launched_before)),
        Compared("Launch date moves", float(slips.moves) if slips.moves or launched else None,
                 float(slips_before.moves) if slips_before.moves or launched_before else None, "", lower_is_better=True),
    ], late_notes + ([f"{slips.launches} launch{'es' if slips.launches != 1 else ''} moved, "
                      f"{slips.days:+g} days on average"] if slips.days is not None else []))

    oldest = await metrics.open_blockers(session, team_id, last, 3)
    standups = Area("Standups", [
        Compared("Answers given", answers.value, answers_before.value, target=targets.get("standup.participation")),
        Compared(f"Blockers cleared within {working_days(within['standup.blockers'])}", blockers.value,
                 blockers_before.value, target=targets.get("standup.blockers")),
        Compared("Median blocker age", metrics.median(blockers.spans), metrics.median(blockers_before.spans),
                 " working days", lower_is_better=True),
    ], [], ["Oldest open blockers: " + "; ".join(
        f"{user_mention(u)}: {mrkdwn(t, limit=80)} ({working_days(d)})" for u, t, d in oldest)] if oldest else [])

    nudges = Area("Nudges", [
        Compared(f"Acted on within {working_days(within['nudge.acted_on'])}", nudged.value, nudged_before.value,
                 target=targets.get("nudge.acted_on")),
        Compared("Nudges per person nudged per week", noise, noise_before, "", lower_is_better=True),
    ], [])

    furthest: list[str] = []
    stored = await service.values_on(session, [a.id for a, _ in agreements], last)
    for area in ("feedback", "launches", "standups", "nudges"):
        gaps = []
        for a, k in agreements:
            if metrics.METRICS[a.metric].area != area or k.target is None:
                continue
            # The agreement's own daily value for that day, as stored (computed when missing).
            value = stored[a.id] if a.id in stored else (await service.compute(session, a, last, exceptions=False)).value
            if value is not None:
                gaps.append((value - float(k.target), mrkdwn(k.name, limit=120), value, k.target))
        if gaps:
            gap, label, value, target = min(gaps)
            furthest.append(f"• {area.title()}: {label}: {percent(value)} against {percent(target)}"
                            f" ({'kept' if gap >= 0 else f'{-gap:g} points short'})")
    return Report(name, first, last, [feedback, launches, standups, nudges], furthest)


def working_days(n: int) -> str:
    return f"{n} working day{'' if n == 1 else 's'}"


def share(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None
