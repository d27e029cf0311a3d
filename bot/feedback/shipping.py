"""Launch day ships the feedback linked to the launch, and tells each reporter once.

A duty of the minute tick finds go launches whose day has come in their workspace's zone and
that are not yet marked launched. Marking one is a compare-and-set (bot/launches/service.py
`mark_launched`): exactly one replica or restart wins, and the same transaction ships the
linked open items and stores one outcome notice per (item, reporter) in the notifier's outbox.
The notifier then sends each DM once, in the reporter's working hours; a crash after the commit
leaves the notices held, and the notifier's sweep sends them.

The outcome notice has the key the `/feedback status … shipped` DM is claimed under
(bot/feedback/flows.py `notify_outcome`), so whichever path gets there first, a reporter hears
about an item's shipping once.
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
from bot.notify.outbox import enqueue
from bot.notify.send import notify
from bot.runtime import Runtime
from models.feedback import FeedbackStatus
from models.launch import Launch
from models.workspace import Workspace

log = logging.getLogger(__name__)

LAUNCHED_KIND = "feedback.launched"  # the tick's claim: per launch and launch day
OUTCOME_KIND = "feedback.outcome"  # per item and reporter, period the status (as flows.notify_outcome)
# A launch whose day came while the bot was down still ships what it has when it is back.
GRACE = timedelta(days=366)


def outcome_notice(team_id: str, number: int, user_id: str) -> Notice:
    return Notice(team_id, OUTCOME_KIND, f"{number}:{user_id}", FeedbackStatus.SHIPPED.value, user_id,
                  f"shipped feedback #{number} to {user_id} in {team_id}", {"number": number})


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
        work.append(WorkItem(launch.team_id, LAUNCHED_KIND, str(launch.id), launch.launch_date.isoformat(),
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
        today = clock.today_in(workspace.timezone if workspace else "UTC", now)
        if not await launch_service.mark_launched(session, launch, today, now):
            return "nothing shipped: already launched, cancelled, or no longer a go"
        shipped = await links.ship(session, launch, now)
        notices = [outcome_notice(launch.team_id, s.number, user) for s in shipped for user in s.reporters]
        for notice in notices:
            await enqueue(session, notice, nudge=False, now=now)
        team_id, launch_id, posted = launch.team_id, launch.id, launch.message_ts is not None
    for notice in notices:
        await notify(rt, notice, now=now)
    if shipped and posted:
        try:  # the checklist says what it shipped; a failure here ships nothing twice
            await launch_flows.render(rt, rt.client, team_id, launch_id)
        except Exception as exc:  # noqa: BLE001 - the next change re-renders it
            log.warning("checklist of launch %s not re-rendered after shipping: %s", launch_id, type(exc).__name__)
    return (f"shipped {len(shipped)} linked feedback item{'s' if len(shipped) != 1 else ''}, "
            f"{len(notices)} reporter DM{'s' if len(notices) != 1 else ''}")


async def render_outcome(rt: Runtime, notice: Notice) -> list[Message]:
    """From the item as it is when the DM goes out: one reopened meanwhile says nothing."""
    async with rt.db.unit_of_work() as session:
        try:
            item = await service.get_item(session, notice.team_id, int(notice.data["number"]))
        except NotFound:  # deleted since
            return []
        view = await service.view(session, item)
    if view.status is not FeedbackStatus.SHIPPED:
        return []
    text, body = blocks.outcome_dm(view)
    return [Message(text, body)]


SHIP_ON_LAUNCH = Duty("feedback shipped on launch day", _due, _send, grace=GRACE)
NOTICES = (NoticeKind(OUTCOME_KIND, "shipped feedback", render_outcome, nudge=False),)
