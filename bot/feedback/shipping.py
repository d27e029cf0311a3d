"""Launch day ships the feedback linked to the launch, and tells each reporter once.

A duty of the minute tick finds go launches whose day has come in their workspace's zone and
that are not yet marked launched. Marking one is a compare-and-set (bot/launches/service.py
`mark_launched`): exactly one replica or restart wins, and the same transaction ships the
linked open items and stores one notice per reporter in the notifier's outbox: one DM naming
every item of theirs the launch shipped. The notifier sends it once, in the reporter's working
hours (their Slack zone is looked up first); a crash after the commit leaves the notices held,
and the notifier's sweep sends them.

Each (item, reporter) outcome that DM covers is recorded as folded under the key the
`/feedback status … shipped` DM is claimed under (bot/feedback/flows.py `notify_outcome`), so
its retry sweep never tells them a second time, item by item.
"""
from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot import clock
from bot.duties import Duty, WorkItem
from bot.errors import NotFound
from bot.feedback import blocks, links, service
from bot.launches import flows as launch_flows, service as launch_service
from bot.notify.notice import Message, Notice, NoticeKind
from bot.notify.outbox import enqueue, record_folded
from bot.notify.send import notify
from bot.people.flows import ensure_people
from bot.runtime import Runtime
from models.feedback import FeedbackStatus
from models.launch import Launch
from models.workspace import Workspace

log = logging.getLogger(__name__)

LAUNCHED_KIND = "feedback.launched"  # the tick's claim: per launch and launch day
SHIPPED_KIND = "feedback.shipped"  # the DM: per launch and reporter
OUTCOME_KIND = "feedback.outcome"  # per item and reporter, period the status (as flows.notify_outcome)
# A launch whose day came while the bot was down still ships what it has when it is back.
GRACE = timedelta(days=366)


def shipped_notice(team_id: str, launch_id: int, user_id: str, numbers: list[int]) -> Notice:
    return Notice(team_id, SHIPPED_KIND, f"{launch_id}:{user_id}", "launched", user_id,
                  f"shipped-feedback DM to {user_id} in {team_id} ({len(numbers)} item{'s' if len(numbers) != 1 else ''})",
                  {"launch": launch_id, "numbers": numbers})


def _outcome(team_id: str, number: int, user_id: str) -> Notice:
    return Notice(team_id, OUTCOME_KIND, f"{number}:{user_id}", FeedbackStatus.SHIPPED.value, user_id,
                  f"shipped feedback #{number} to {user_id} in {team_id}")


def _day_start(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(), ZoneInfo(zone)).astimezone(UTC)


async def _due(rt: Runtime, at: datetime) -> list[WorkItem]:
    async with rt.db.unit_of_work() as session:
        # Launch days up to the latest local date anywhere (UTC+14 is a day ahead of UTC).
        launches = await launch_service.due_to_launch(session, (at + timedelta(days=1)).date())
        teams = {launch.team_id for launch in launches}
        zones = dict((await session.execute(select(Workspace.team_id, Workspace.timezone)
                                            .where(Workspace.team_id.in_(teams)))).all()) if teams else {}
    work: list[WorkItem] = []
    for launch in launches:
        zone = zones.get(launch.team_id) or "UTC"
        if launch.launch_date > clock.today_in(zone, at):
            continue
        start = _day_start(launch.launch_date, zone)  # or the go, when it came on the day or after
        due_at = min(max(start, launch.decided_at) if launch.decided_at else start, at)
        # Claimed per launch day and go decision: a go decided again (after a no-go, or a
        # moved date) is a new occurrence, never one an earlier claim already used up.
        period = f"{launch.launch_date.isoformat()}:{int(launch.decided_at.timestamp()) if launch.decided_at else 0}"
        work.append(WorkItem(launch.team_id, LAUNCHED_KIND, str(launch.id), period,
                             due_at, f"launch {launch.id} in {launch.team_id} launched",
                             payload=launch.id))
    return work


async def _send(rt: Runtime, item: WorkItem) -> str:
    now = clock.now()
    async with rt.db.unit_of_work() as session:
        launch = await session.get(Launch, item.payload)
        if launch is None:
            return "nothing shipped: the launch was deleted"
        workspace = await session.get(Workspace, launch.team_id)
        # The tick's instant (a `tick --at` may run ahead of the clock): the day it found due.
        today = clock.today_in(workspace.timezone if workspace else "UTC", max(now, item.due_at))
        if not await launch_service.mark_launched(session, launch, today, now):
            return "nothing shipped: already launched, cancelled, or no longer a go"
        shipped = await links.ship(session, launch, now)
        per_reporter: dict[str, list[int]] = {}
        for one in shipped:
            for user in one.reporters:
                per_reporter.setdefault(user, []).append(one.number)
        notices = [shipped_notice(launch.team_id, launch.id, user, numbers) for user, numbers in per_reporter.items()]
        for notice in notices:
            await enqueue(session, notice, nudge=False, now=now)
            for number in notice.data["numbers"]:
                await record_folded(session, _outcome(launch.team_id, number, notice.to), notice.what, now)
        team_id, launch_id, posted = launch.team_id, launch.id, launch.message_ts is not None
    if notices:  # their own zones and hours, not the workspace's, decide when the DMs go
        await ensure_people(rt, team_id, [n.to for n in notices], now=now)
    for notice in notices:
        await notify(rt, notice, now=now)
    if shipped and posted:
        try:  # the checklist says what it shipped; a failure here ships nothing twice
            await launch_flows.render(rt, rt.client, team_id, launch_id)
        except Exception as exc:  # noqa: BLE001 - the next change re-renders it
            log.warning("checklist of launch %s not re-rendered after shipping: %s", launch_id, type(exc).__name__)
    return (f"shipped {len(shipped)} linked feedback item{'s' if len(shipped) != 1 else ''}, "
            f"{len(notices)} reporter DM{'s' if len(notices) != 1 else ''}")


async def render_shipped(rt: Runtime, notice: Notice) -> list[Message]:
    """From the items as they are when the DM goes out: one reopened (or deleted) meanwhile is
    left out, and with none left the DM says nothing."""
    async with rt.db.unit_of_work() as session:
        launch = await session.get(Launch, int(notice.data["launch"]))
        views = []
        for number in notice.data["numbers"]:
            try:
                item = await service.get_item(session, notice.team_id, int(number))
            except NotFound:
                continue
            view = await service.view(session, item)
            if view.status is FeedbackStatus.SHIPPED:
                views.append(view)
    if not views or launch is None:
        return []
    text, body = blocks.shipped_with_launch_dm(launch.name, views)
    return [Message(text, body)]


SHIP_ON_LAUNCH = Duty("feedback shipped on launch day", _due, _send, grace=GRACE)
NOTICES = (NoticeKind(SHIPPED_KIND, "shipped feedback", render_shipped, nudge=False),)
