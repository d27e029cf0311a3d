"""Feedback ↔ launch: the launch that ships an item, what a launch ships, and shipping it.

An item names at most one launch (`feedback_items.launch_id`), with what to tell its reporters
when it ships (`ship_note`). When the launch is launched (go decided, launch day reached), the
tick that marks it (bot/feedback/shipping.py) ships every open item linked to it in the same
transaction. Sessions flush only.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.usertext import mrkdwn
from models.feedback import FeedbackItem, FeedbackReporter, FeedbackStatus
from models.launch import Launch

OPEN = (FeedbackStatus.NEW, FeedbackStatus.TRIAGED, FeedbackStatus.PLANNED)
# What a launch is said to ship: open items, and those it shipped (not declined or merged away).
COUNTED = (*OPEN, FeedbackStatus.SHIPPED)
NUMBERS_SHOWN = 5  # item numbers a checklist names; the rest are counted
NOTE_MAX = 2000  # as the close note's field


@dataclass(frozen=True)
class LinkedLaunch:
    """The launch an item ships with, as its card shows it."""

    id: int
    name: str  # stored representation
    launch_date: date
    launched: bool
    cancelled: bool


@dataclass(frozen=True)
class Ships:
    """What a launch ships: its linked items (the first numbers) and their distinct reporters."""

    items: int
    reporters: int
    numbers: tuple[int, ...]  # the lowest NUMBERS_SHOWN


@dataclass(frozen=True)
class Shipped:
    """An item a launch shipped, and whom to tell."""

    number: int
    reporters: tuple[str, ...]


@dataclass(frozen=True)
class LinkChange:
    previous: int | None  # the launch it was linked to before (re-rendered too), else None
    same_launch: bool  # it was linked to this launch already
    note_changed: bool


def require_linkable(item: FeedbackItem, launch: Launch) -> None:
    """Only open items, and only launches still to launch: an item a launch already shipped, or
    a launch that shipped what it had, would never close the loop."""
    if item.status not in OPEN:
        raise UserError(f"#{item.number} is already {item.status.value}. Reopen it first "
                        f"(`/feedback status {item.number} planned`) to ship it with a launch.")
    if launch.launched_at is not None:
        raise UserError(f"*{mrkdwn(launch.name)}* has already launched and shipped what was linked to it. "
                        f"To close #{item.number}, use `/feedback status {item.number} shipped`.")


async def link(session: AsyncSession, item: FeedbackItem, launch: Launch, note: str | None) -> LinkChange:
    """Tie the item to `launch`; a note given replaces the one kept, none keeps it."""
    require_linkable(item, launch)
    previous = item.launch_id if item.launch_id not in (None, launch.id) else None
    new_note = note.strip()[:NOTE_MAX] or None if note is not None else item.ship_note
    change = LinkChange(previous, item.launch_id == launch.id, new_note != item.ship_note)
    item.launch_id, item.ship_note = launch.id, new_note
    await session.flush()
    return change


async def unlink(session: AsyncSession, item: FeedbackItem) -> int:
    """The launch it was linked to; an item linked to none is told so."""
    if item.launch_id is None:
        raise UserError(f"#{item.number} is not linked to a launch. "
                        f"`/feedback link {item.number} \"Launch name\"` links it.")
    if item.status not in OPEN:
        raise UserError(f"#{item.number} is already {item.status.value}; its launch stays on record.")
    previous = item.launch_id
    item.launch_id, item.ship_note = None, None
    await session.flush()
    return previous


async def linked_launch(session: AsyncSession, item: FeedbackItem) -> LinkedLaunch | None:
    if item.launch_id is None:
        return None
    launch = await session.get(Launch, item.launch_id)
    if launch is None:
        return None
    return LinkedLaunch(launch.id, launch.name, launch.launch_date, launch.launched_at is not None,
                        launch.cancelled_at is not None)


async def ships(session: AsyncSession, launch_ids: Collection[int]) -> dict[int, Ships]:
    """What each launch ships, in two queries for all of them (through the launch_id index)."""
    if not launch_ids:
        return {}
    shown = (FeedbackItem.launch_id.in_(list(launch_ids)), FeedbackItem.status.in_(COUNTED))
    numbers: dict[int, list[int]] = defaultdict(list)
    for launch_id, number in (await session.execute(
            select(FeedbackItem.launch_id, FeedbackItem.number).where(*shown)
            .order_by(FeedbackItem.launch_id, FeedbackItem.number))).all():
        numbers[launch_id].append(number)
    reporters = dict((await session.execute(
        select(FeedbackItem.launch_id, func.count(func.distinct(FeedbackReporter.user_id)))
        .join(FeedbackReporter, FeedbackReporter.item_id == FeedbackItem.id).where(*shown)
        .group_by(FeedbackItem.launch_id))).all())
    return {launch_id: Ships(len(found), reporters.get(launch_id, 0), tuple(found[:NUMBERS_SHOWN]))
            for launch_id, found in numbers.items()}


async def ship(session: AsyncSession, launch: Launch, now: datetime) -> list[Shipped]:
    """Ship every open item linked to `launch`: its ship note becomes the outcome note (a
    note set before stays when none was given). Called once per launch, by the transaction
    that marked it launched."""
    items = list((await session.scalars(select(FeedbackItem).where(
        FeedbackItem.launch_id == launch.id, FeedbackItem.status.in_(OPEN)).order_by(FeedbackItem.number))).all())
    if not items:
        return []
    reporters: dict[int, list[str]] = defaultdict(list)
    for item_id, user_id in (await session.execute(
            select(FeedbackReporter.item_id, FeedbackReporter.user_id)
            .where(FeedbackReporter.item_id.in_([i.id for i in items]))
            .order_by(FeedbackReporter.item_id, FeedbackReporter.id))).all():
        reporters[item_id].append(user_id)
    for item in items:
        item.status, item.closed_at = FeedbackStatus.SHIPPED, now
        item.triaged_at = item.triaged_at or now
        item.outcome_note = item.ship_note or item.outcome_note
    await session.flush()
    return [Shipped(item.number, tuple(reporters[item.id])) for item in items]


async def forget_launch(session: AsyncSession, launch_id: int) -> None:
    """A deleted launch ships nothing: its items stay as they are, linked to no launch."""
    await session.execute(update(FeedbackItem).where(FeedbackItem.launch_id == launch_id)
                          .values(launch_id=None, ship_note=None).execution_options(synchronize_session=False))


def carry_on_merge(source: FeedbackItem, target: FeedbackItem) -> None:
    """A duplicate merged away hands its launch to the item it joins, unless that has its own."""
    if target.launch_id is None and source.launch_id is not None and target.status in OPEN:
        target.launch_id, target.ship_note = source.launch_id, source.ship_note
    source.launch_id = None
