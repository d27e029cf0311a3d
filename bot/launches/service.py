"""Launch domain logic: create, change items with an audit trail, readiness, go/no-go, nudges,
cancel (kept, with its history) and delete (gone, with its history).

Due dates are stored as days relative to launch day, so moving the launch moves them.
Sessions flush only; the edge commits. Names, titles and audit details are user text in
bot/usertext.py's representation, as the handlers converted it at the edge.

A change to the value something already has writes nothing (no audit entry, so the caller
posts no thread line). Whether it changed is decided by the database, not by what this request
read earlier: several replicas (or one replica's concurrent requests) may have read the same
old state, and exactly one of them may write the change.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_ as sa_and, delete as sql_delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from bot import clock
from bot.errors import NotFound, UserError
from bot.feedback.links import Ships, forget_launch, ships as feedback_ships
from bot.sql import insert_ignore
from bot.launches.parsing import FUNCTIONS, OFFSET_LIMIT, TemplateItem, name_key
from bot.usertext import mrkdwn
from models.base import Base
from models.launch import Decision, Launch, LaunchAudit, LaunchItem, LaunchRisk
from models.person import Person


@dataclass(frozen=True)
class ItemSummary:
    id: int
    function: str
    title: str
    due: date
    offset_days: int
    owner_id: str | None
    done: bool
    done_by: str | None
    overdue: bool


@dataclass(frozen=True)
class RiskSummary:
    """An open risk from outside the checklist (a standup blocker that names the launch)."""

    id: int
    source: str
    text: str  # stored representation
    raised_by: str
    raised_at: datetime


@dataclass(frozen=True)
class LaunchSummary:
    """What every surface shows of a launch on `today` (the workspace's day)."""

    id: int
    name: str
    launch_date: date
    today: date
    channel_id: str
    owner_id: str
    template_name: str
    decision: Decision | None
    decided_by: str | None
    items: list[ItemSummary]
    message_ts: str | None
    cancelled_by: str | None = None
    cancelled_at: datetime | None = None
    risks: list["RiskSummary"] = field(default_factory=list)  # open ones, oldest first
    ships: Ships | None = None  # the feedback linked to it (`/feedback link`), None when none is
    launched_at: datetime | None = None  # go decided and launch day reached: what it ships, shipped

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def days_to_go(self) -> int:
        return (self.launch_date - self.today).days

    @property
    def readiness(self) -> int:
        """Percent of pre-launch items done (post-launch work does not gate the launch)."""
        gating = [i for i in self.items if i.offset_days <= 0] or self.items
        return round(100 * sum(i.done for i in gating) / len(gating)) if gating else 100

    @property
    def overdue(self) -> list[ItemSummary]:
        return [i for i in self.items if i.overdue]

    def by_function(self, *, open_only: bool = False) -> dict[str, list[ItemSummary]]:
        grouped: dict[str, list[ItemSummary]] = defaultdict(list)
        for item in self.items:
            if not (open_only and item.done):
                grouped[item.function].append(item)
        return {f: grouped[f] for f in FUNCTIONS if grouped.get(f)}

    @property
    def last_day(self) -> date:
        """Launch day, or the due date of its last post-launch item."""
        return max([i.due for i in self.items] + [self.launch_date])

    @property
    def finished(self) -> bool:
        """Past launch day with nothing left to do: every item done, or its last post-launch
        day over (whatever was decided). Such a launch is no longer upcoming."""
        return self.today > self.last_day or (self.today > self.launch_date and all(i.done for i in self.items))


RECENT_DAYS = 14  # a finished launch is listed under "recently launched" this long after launch day


@dataclass(frozen=True)
class LaunchList:
    """`/launch list`: cancelled launches are left out, and finished ones RECENT_DAYS after
    launch day; a past launch day is never upcoming."""

    upcoming: list[LaunchSummary]  # launch day today or later
    underway: list[LaunchSummary]  # launch day past, items still to do
    recent: list[LaunchSummary]  # finished, launched within RECENT_DAYS

    @property
    def empty(self) -> bool:
        return not (self.upcoming or self.underway or self.recent)


def archived(decision: Decision | None, last_day: date, today: date) -> bool:
    """Launched (go) and past its last day (launch day or its last post-launch item): out of the
    nudges. (`/launch list` goes by `LaunchSummary.finished`, whatever was decided.)"""
    return decision is Decision.GO and today > last_day


async def audit(session: AsyncSession, launch: Launch, actor: str, action: str, detail: str = "",
                item: LaunchItem | None = None) -> None:
    session.add(LaunchAudit(team_id=launch.team_id, launch_id=launch.id, item_id=item.id if item else None,
                            actor_id=actor, action=action, detail=detail))
    await session.flush()


async def create(session: AsyncSession, team_id: str, *, name: str, launch_date: date, channel_id: str,
                 owner_id: str, template_name: str, items: list[TemplateItem], actor: str) -> Launch:
    key = name_key(name)
    if await session.scalar(select(Launch.id).where(Launch.team_id == team_id, Launch.name_key == key)):
        raise UserError(f"A launch named `{mrkdwn(name)}` already exists; pick another name "
                        f"(or see `/launch status \"{mrkdwn(name)}\"`).", field="name")
    launch = Launch(team_id=team_id, name=name, name_key=key, launch_date=launch_date, channel_id=channel_id,
                    owner_id=owner_id, template_name=template_name, created_by=actor)
    session.add(launch)
    try:
        await session.flush()
    except IntegrityError:  # someone created the same name a moment ago
        raise UserError(f"A launch named `{mrkdwn(name)}` already exists; pick another name.", field="name") from None
    for position, item in enumerate(items):
        session.add(LaunchItem(team_id=team_id, launch_id=launch.id, function=item.function, title=item.title,
                               offset_days=item.offset_days, position=position))
    await audit(session, launch, actor, "created", f"{name} on {launch_date.isoformat()} from {template_name}")
    return launch


async def get(session: AsyncSession, team_id: str, name: str) -> Launch:
    launch = await session.scalar(select(Launch).where(Launch.team_id == team_id, Launch.name_key == name_key(name)))
    if launch is None:
        raise NotFound(f"There is no launch named `{mrkdwn(name)}`. See `/launch list`.")
    return launch


async def get_by_prefix(session: AsyncSession, team_id: str, words: list[str]) -> tuple[Launch, int] | None:
    """The launch named by the most leading `words` (an unquoted name: `Mobile v2 it shipped`
    finds "Mobile v2"), with how many words its name took; None when no prefix names one."""
    keys = {name_key(" ".join(words[:n])): n for n in range(1, min(len(words), 40) + 1)}
    found = (await session.scalars(select(Launch).where(Launch.team_id == team_id,
                                                        Launch.name_key.in_(list(keys))))).all()
    if not found:
        return None
    best = max(found, key=lambda launch: keys[launch.name_key])
    return best, keys[best.name_key]


async def get_by_id(session: AsyncSession, team_id: str, launch_id: int) -> Launch:
    launch = await session.get(Launch, launch_id)
    if launch is None or launch.team_id != team_id:
        raise NotFound("That launch no longer exists.")
    return launch


def require_active(launch: Launch) -> None:
    """A cancelled launch changes no more (its checklist shows no controls; a stale button, a
    nudge's "Mark done" or an old go/no-go summary may still be clicked)."""
    if launch.cancelled_at is not None:
        name = mrkdwn(launch.name)
        raise UserError(f"*{name}* was cancelled, so nothing on it changes. "
                        f"`/launch reopen \"{name}\"` (the launch owner or an ops admin) brings it back.")


async def get_item(session: AsyncSession, launch: Launch, item_id: int) -> LaunchItem:
    item = await session.get(LaunchItem, item_id)
    if item is None or item.launch_id != launch.id:
        raise NotFound("That checklist item no longer exists.")
    return item


def _summary(launch: Launch, rows: list[LaunchItem], risks: list[LaunchRisk], today: date,
             ships: Ships | None = None) -> LaunchSummary:
    items = []
    for row in rows:
        due = launch.launch_date + timedelta(days=row.offset_days)
        overdue = not row.done and due < today and launch.cancelled_at is None
        items.append(ItemSummary(row.id, row.function, row.title, due, row.offset_days, row.owner_id, row.done,
                                 row.done_by, overdue=overdue))
    return LaunchSummary(launch.id, launch.name, launch.launch_date, today, launch.channel_id, launch.owner_id,
                         launch.template_name, launch.decision, launch.decided_by, items, launch.message_ts,
                         launch.cancelled_by, launch.cancelled_at,
                         [RiskSummary(r.id, r.source, r.text, r.raised_by, r.created_at) for r in risks],
                         ships, launch.launched_at)


SUMMARIES_AT_ONCE = 500  # launches whose items one query reads (bound parameters stay few)


async def summarize_many(session: AsyncSession, launches: Sequence[Launch], today: date) -> list[LaunchSummary]:
    """The summaries of many launches, in their order: their items, open risks and linked
    feedback in a few queries per SUMMARIES_AT_ONCE launches (through the launch_id indexes),
    not a few per launch."""
    out: list[LaunchSummary] = []
    for first in range(0, len(launches), SUMMARIES_AT_ONCE):
        chunk = launches[first:first + SUMMARIES_AT_ONCE]
        ids = [launch.id for launch in chunk]
        items: dict[int, list[LaunchItem]] = defaultdict(list)
        for row in await session.scalars(select(LaunchItem).where(LaunchItem.launch_id.in_(ids))
                                         .order_by(LaunchItem.offset_days, LaunchItem.position, LaunchItem.id)):
            items[row.launch_id].append(row)
        risks: dict[int, list[LaunchRisk]] = defaultdict(list)
        for risk in await session.scalars(select(LaunchRisk).where(LaunchRisk.launch_id.in_(ids),
                                                                   LaunchRisk.cleared_at.is_(None))
                                          .order_by(LaunchRisk.id)):
            risks[risk.launch_id].append(risk)
        shipped = await feedback_ships(session, ids)
        out += [_summary(launch, items[launch.id], risks[launch.id], today, shipped.get(launch.id))
                for launch in chunk]
    return out


async def summarize(session: AsyncSession, launch: Launch, today: date) -> LaunchSummary:
    return (await summarize_many(session, [launch], today))[0]


async def listed(session: AsyncSession, team_id: str, today: date) -> LaunchList:
    """The launches `/launch list` shows, by date. Launch days further back than a post-launch
    window (items are added up to OFFSET_LIMIT days after launch day) are not read at all: such a
    launch is finished and past RECENT_DAYS, however it ended."""
    oldest = today - timedelta(days=OFFSET_LIMIT + RECENT_DAYS)
    rows = (await session.scalars(select(Launch).where(
        Launch.team_id == team_id, Launch.cancelled_at.is_(None), Launch.launch_date >= oldest)
        .order_by(Launch.launch_date, Launch.name_key))).all()
    summaries = await summarize_many(session, rows, today)
    return LaunchList(
        upcoming=[s for s in summaries if s.launch_date >= today],
        underway=[s for s in summaries if s.launch_date < today and not s.finished],
        recent=[s for s in summaries if s.finished and (today - s.launch_date).days <= RECENT_DAYS],
    )


async def launches_between(session: AsyncSession, team_id: str, first: date, last: date | None = None, *,
                           owner_id: str | None = None, limit: int | None = None,
                           gone: bool = False) -> list[Launch]:
    """Launches not cancelled whose day is in [first, last] (`last` None: any later), soonest
    first, optionally only one person's or only those with a go (`gone`): App Home's own and at-risk launches, the launches a KPI
    chart marks and its digest names, through the (team_id, launch_date) index."""
    query = select(Launch).where(Launch.team_id == team_id, Launch.cancelled_at.is_(None),
                                 Launch.launch_date >= first)
    if last is not None:
        query = query.where(Launch.launch_date <= last)
    if owner_id is not None:
        query = query.where(Launch.owner_id == owner_id)
    if gone:  # what happened, not what was planned: a go was decided
        query = query.where(Launch.decision == Decision.GO)
    query = query.order_by(Launch.launch_date, Launch.name_key, Launch.id)
    return list((await session.scalars(query.limit(limit) if limit is not None else query)).all())


LINKABLE_MAX = 101  # a static select's 100 options, and whether there are more


async def linkable(session: AsyncSession, team_id: str, today: date) -> list[Launch]:
    """Launches feedback can still be linked to (not cancelled, not launched, day not long
    past), soonest first: the card's launch picker."""
    return list((await session.scalars(select(Launch).where(
        Launch.team_id == team_id, Launch.cancelled_at.is_(None), Launch.launched_at.is_(None),
        Launch.launch_date >= today - timedelta(days=NAMED_WITHIN_DAYS))
        .order_by(Launch.launch_date, Launch.name_key, Launch.id).limit(LINKABLE_MAX))).all())


def _to_launch():  # noqa: ANN202 - SQL expression
    return (Launch.decision == Decision.GO, Launch.launched_at.is_(None), Launch.cancelled_at.is_(None))


async def due_to_launch(session: AsyncSession, latest_day: date) -> list[Launch]:
    """Go launches not yet marked launched whose day is `latest_day` or earlier (the caller
    checks each against its workspace's own today), through the (decision, launched_at,
    launch_date) index."""
    return list((await session.scalars(select(Launch).where(*_to_launch(), Launch.launch_date <= latest_day)
                                       .order_by(Launch.launch_date, Launch.id))).all())


async def mark_launched(session: AsyncSession, launch: Launch, today: date, now: datetime) -> bool:
    """Mark it launched if it still is go, not cancelled, not marked and its day has come: True
    for exactly one caller, whichever replica or restart gets there first."""
    return await _write_if_changed(session, launch, sa_and(*_to_launch(), Launch.launch_date <= today),
                                   launched_at=now)


async def _write_if_changed(session: AsyncSession, row: Base, differs: ColumnElement[bool], **values: Any) -> bool:
    """`UPDATE … SET values WHERE id = :id AND differs`: True when this call changed the row.

    The database arbitrates: on PostgreSQL a concurrent identical UPDATE waits for the first
    one's row lock, re-checks `differs` against the committed row and matches nothing; SQLite
    serialises writers from BEGIN. The loaded object is brought up to date only when the row
    was written, so it never claims a change that did not happen.
    """
    model = type(row)
    result = await session.execute(
        update(model).where(model.id == row.id, differs).values(**values)  # type: ignore[attr-defined]
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    for key, value in values.items():
        set_committed_value(row, key, value)
    return True


async def set_done(session: AsyncSession, launch: Launch, item: LaunchItem, done: bool, actor: str) -> bool:
    """True when this changed anything: a double click, or the same click on another replica at
    the same moment, changes nothing the second time."""
    values = {"done": done, "done_by": actor if done else None, "done_at": clock.now() if done else None}
    if not await _write_if_changed(session, item, LaunchItem.done.is_distinct_from(done), **values):
        return False
    await audit(session, launch, actor, "check" if done else "uncheck", item.title, item)
    return True


async def set_owner(session: AsyncSession, launch: Launch, item: LaunchItem, owner_id: str | None, actor: str) -> bool:
    if not await _write_if_changed(session, item, LaunchItem.owner_id.is_distinct_from(owner_id), owner_id=owner_id):
        return False
    await audit(session, launch, actor, "owner", f"{item.title} → {owner_id or 'unassigned'}", item)
    return True


async def set_due(session: AsyncSession, launch: Launch, item: LaunchItem, due: date, actor: str) -> bool:
    offset = (due - launch.launch_date).days
    if not await _write_if_changed(session, item, LaunchItem.offset_days != offset, offset_days=offset):
        return False
    await audit(session, launch, actor, "due", f"{item.title} → {due.isoformat()}", item)
    return True


async def move(session: AsyncSession, launch: Launch, new_date: date, actor: str) -> date | None:
    """Move launch day; open items move with it, done items keep the date they had. Returns the
    date it moved from, or None when it already launches on `new_date`.

    The launch row is re-read under a row lock (SELECT … FOR UPDATE on PostgreSQL; SQLite holds
    its write lock from BEGIN), so of simultaneous moves each sees the date the previous one
    left and done items are shifted by exactly the distance actually moved."""
    await session.execute(select(Launch).where(Launch.id == launch.id).with_for_update()
                          .execution_options(populate_existing=True))
    old = launch.launch_date
    delta = (new_date - old).days
    if delta == 0:
        return None
    done_items = (await session.scalars(select(LaunchItem).where(
        LaunchItem.launch_id == launch.id, LaunchItem.done.is_(True)))).all()
    for item in done_items:
        item.offset_days -= delta
    launch.launch_date = new_date
    await audit(session, launch, actor, "date", f"{old.isoformat()} → {new_date.isoformat()}")
    return old


async def add_item(session: AsyncSession, launch: Launch, item: TemplateItem, actor: str) -> LaunchItem:
    row = LaunchItem(team_id=launch.team_id, launch_id=launch.id, function=item.function, title=item.title,
                     offset_days=item.offset_days, position=10_000)
    session.add(row)
    await session.flush()
    await audit(session, launch, actor, "add", f"{item.function}: {item.title}", row)
    return row


async def decide(session: AsyncSession, launch: Launch, decision: Decision, actor: str) -> bool:
    """True when this recorded the decision; the decision it already has changes nothing."""
    values = {"decision": decision, "decided_by": actor, "decided_at": clock.now()}
    if not await _write_if_changed(session, launch, Launch.decision.is_distinct_from(decision), **values):
        return False
    await audit(session, launch, actor, "decision", decision.value)
    return True


async def cancel(session: AsyncSession, launch: Launch, actor: str) -> bool:
    """Mark the launch cancelled, keeping it and its audit trail. True when this call cancelled
    it: a second `/launch cancel` (or the same one on another replica) changes nothing."""
    values = {"cancelled_at": clock.now(), "cancelled_by": actor}
    if not await _write_if_changed(session, launch, Launch.cancelled_at.is_(None), **values):
        return False
    await audit(session, launch, actor, "cancel")
    return True


async def reopen(session: AsyncSession, launch: Launch, actor: str) -> bool:
    """Undo a cancel: the checklist, nudges and escalations pick up where they were."""
    values: dict[str, Any] = {"cancelled_at": None, "cancelled_by": None}
    if not await _write_if_changed(session, launch, Launch.cancelled_at.is_not(None), **values):
        return False
    await audit(session, launch, actor, "reopen")
    return True


@dataclass(frozen=True)
class Deleted:
    """What is left to remove in Slack once a deleted launch's rows are gone."""

    name: str
    channel_id: str
    message_ts: str | None


async def history_length(session: AsyncSession, launch: Launch) -> int:
    """How many audit entries a launch has: the delete confirmation says what goes."""
    return int(await session.scalar(select(func.count()).select_from(LaunchAudit)
                                    .where(LaunchAudit.launch_id == launch.id)) or 0)


async def delete(session: AsyncSession, launch: Launch) -> Deleted | None:
    """Remove the launch with its items and audit trail (explicitly: the foreign keys cascade
    on PostgreSQL, but SQLite enforces them only per connection). None when another request
    deleted it first, so a double submit deletes once and says so."""
    gone = Deleted(launch.name, launch.channel_id, launch.message_ts)
    await session.execute(sql_delete(LaunchAudit).where(LaunchAudit.launch_id == launch.id)
                          .execution_options(synchronize_session=False))
    await session.execute(sql_delete(LaunchItem).where(LaunchItem.launch_id == launch.id)
                          .execution_options(synchronize_session=False))
    await forget_launch(session, launch.id)
    result = await session.execute(sql_delete(Launch).where(Launch.id == launch.id, Launch.team_id == launch.team_id)
                                   .execution_options(synchronize_session=False))
    session.expunge(launch)
    return gone if result.rowcount == 1 else None


async def version(session: AsyncSession, launch_id: int) -> int:
    """The newest audit entry: every change writes one, so it versions the checklist."""
    return int(await session.scalar(select(func.max(LaunchAudit.id)).where(LaunchAudit.launch_id == launch_id)) or 0)


async def unposted(session: AsyncSession, created_after: datetime) -> list[tuple[str, int]]:
    """(team, launch id) of launches created after `created_after` whose checklist message was
    never posted: a launch without a message ts."""
    rows = await session.execute(select(Launch.team_id, Launch.id).where(
        Launch.message_ts.is_(None), Launch.created_at > created_after).order_by(Launch.id))
    return [(team_id, launch_id) for team_id, launch_id in rows.all()]


async def set_message(session: AsyncSession, launch_id: int, ts: str) -> bool:
    """False when the launch is gone (deleted while its checklist was being posted)."""
    launch = await session.get(Launch, launch_id)
    if launch is None:
        return False
    launch.message_ts = ts
    await session.flush()
    return True


@dataclass(frozen=True)
class NudgeItem:
    launch_id: int
    launch_name: str
    item_id: int
    title: str
    due: date
    assigned: bool
    launch_owner: str
    channel_id: str = ""  # the launch's checklist channel and message (escalations go there)
    message_ts: str | None = None


Other = aliased(LaunchItem)  # another item of the same launch (its last offset)


async def open_items_for(session: AsyncSession, people: Collection[tuple[str, str]],
                         latest_due: date | None, *, today: date | None = None
                         ) -> dict[tuple[str, str], list[NudgeItem]]:
    """Open items due on or before `latest_due` that each (team, person) in `people` should hear
    about: their own, and, in launches they own, the unassigned ones and those of people who
    left the workspace (the people directory's `deleted`). Two queries whatever the count.

    `latest_due` None (App Home's "your checklist items"): whatever the due date, with a launch
    finished as of `today`; otherwise `today` defaults to the day before `latest_due`."""
    if not people:
        return {}
    if today is None:  # the latest local day anywhere is the day before `latest_due` (UTC+14 is a day ahead)
        assert latest_due is not None, "without a latest due date, say which day it is"
        today = latest_due - timedelta(days=1)
    teams, users = sorted({t for t, _ in people}), sorted({u for _, u in people})
    # Each launch's last item offset, read per matching row through the launch_id index (a
    # grouped subquery over the whole table cost a full read of launch_items on every call).
    last = (select(func.max(Other.offset_days)).where(Other.launch_id == Launch.id)
            .correlate(Launch).scalar_subquery())
    base = (select(LaunchItem, Launch, last, Person.deleted)
            .join(Launch, Launch.id == LaunchItem.launch_id)
            .outerjoin(Person, (Person.team_id == Launch.team_id) & (Person.user_id == LaunchItem.owner_id))
            .where(LaunchItem.done.is_(False), Launch.team_id.in_(teams), Launch.cancelled_at.is_(None)))
    if latest_due is not None:
        base = base.where(Launch.launch_date <= latest_due + timedelta(days=OFFSET_LIMIT))
    # Two reads instead of one OR across both tables, so each can use its own index: the
    # people's own items (team_id, owner_id, done), and the items of launches they own.
    own = (await session.execute(base.where(LaunchItem.team_id.in_(teams), LaunchItem.owner_id.in_(users)))).all()
    owned = (await session.execute(base.where(Launch.owner_id.in_(users)))).all()
    rows = list({item.id: (item, launch, last_offset, left)
                 for item, launch, last_offset, left in [*own, *owned]}.values())
    grouped: dict[tuple[str, str], list[NudgeItem]] = defaultdict(list)
    for item, launch, last_offset, owner_left in rows:
        due = launch.launch_date + timedelta(days=item.offset_days)
        done_with = archived(launch.decision, launch.launch_date + timedelta(days=max(last_offset or 0, 0)), today)
        if (latest_due is not None and due > latest_due) or launch.decision is Decision.NO_GO or done_with:
            continue
        person = item.owner_id if item.owner_id and not owner_left else launch.owner_id
        if (launch.team_id, person) in people:
            grouped[(launch.team_id, person)].append(
                NudgeItem(launch.id, launch.name, item.id, item.title, due, item.owner_id is not None,
                          launch.owner_id, launch.channel_id, launch.message_ts))
    return grouped


async def people_without_record(session: AsyncSession, limit: int) -> list[tuple[str, str]]:
    """(team, user) of launch and open-item owners the people directory does not know yet:
    the nudges find people through it, so the people sweep records these first."""
    known = select(Person.id).where(Person.team_id == Launch.team_id)
    owners = (select(Launch.team_id, Launch.owner_id.label("user_id"))
              .where(Launch.cancelled_at.is_(None), ~known.where(Person.user_id == Launch.owner_id).exists()))
    assignees = (select(Launch.team_id, LaunchItem.owner_id.label("user_id"))
                 .join(LaunchItem, LaunchItem.launch_id == Launch.id)
                 .where(Launch.cancelled_at.is_(None), LaunchItem.done.is_(False), LaunchItem.owner_id.is_not(None),
                        ~known.where(Person.user_id == LaunchItem.owner_id).exists()))
    rows = await session.execute(owners.union(assignees).limit(limit))
    return [(team_id, user_id) for team_id, user_id in rows]


# -- risks from outside the checklist -------------------------------------------------------------

_PERMALINK = re.compile(r"/archives/([CGD][A-Z0-9]+)/p(\d{10})(\d{6})")
NAMED_WITHIN_DAYS = 60  # launches whose day is this far back can still be named (post-launch work)


async def named_in(session: AsyncSession, team_id: str, text: str, today: date) -> Launch | None:
    """The launch a piece of user text names: a link to its checklist message, or its name as a
    whole phrase (the longest name wins, so "Mobile v2" beats "Mobile"). Cancelled launches and
    ones long past are not named."""
    rows = (await session.scalars(select(Launch).where(
        Launch.team_id == team_id, Launch.cancelled_at.is_(None),
        Launch.launch_date >= today - timedelta(days=NAMED_WITHIN_DAYS)))).all()
    for match in _PERMALINK.finditer(text):
        channel, ts = match.group(1), f"{match.group(2)}.{match.group(3)}"
        found = next((r for r in rows if r.channel_id == channel and r.message_ts == ts), None)
        if found is not None:
            return found
    folded = " ".join(text.lower().split())
    for row in sorted(rows, key=lambda r: len(r.name_key), reverse=True):
        if re.search(rf"(?<![\w]){re.escape(row.name_key)}(?![\w])", folded):
            return row
    return None


async def raise_risk(session: AsyncSession, launch: Launch, source: str, ref: str, text: str, raised_by: str) -> bool:
    """Open a risk on the launch once per (source, ref); an open one gets the new text. True
    when this call opened it (the thread line goes out once)."""
    now = clock.now()
    opened = await insert_ignore(session, LaunchRisk, team_id=launch.team_id, launch_id=launch.id, source=source,
                                 ref=ref, text=text, raised_by=raised_by, created_at=now, updated_at=now)
    if not opened:
        await session.execute(update(LaunchRisk).where(LaunchRisk.launch_id == launch.id, LaunchRisk.source == source,
                                                       LaunchRisk.ref == ref)
                              .values(text=text, cleared_at=None, updated_at=now)
                              .execution_options(synchronize_session=False))
    return opened


async def clear_risk(session: AsyncSession, team_id: str, source: str, ref: str) -> list[int]:
    """Clear the open risk of (source, ref), on whichever launch; the launches it was on."""
    rows = (await session.scalars(select(LaunchRisk).where(
        LaunchRisk.team_id == team_id, LaunchRisk.source == source, LaunchRisk.ref == ref,
        LaunchRisk.cleared_at.is_(None)))).all()
    for row in rows:
        row.cleared_at = clock.now()
    await session.flush()
    return [row.launch_id for row in rows]
