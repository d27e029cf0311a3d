"""Feedback domain logic: filing, votes, triage, merge, listing. Sessions flush only."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.errors import NotFound, UserError
from bot.feedback import listing, search, store
from bot.feedback.links import LinkedLaunch, carry_on_merge, linked_launch
from bot.feedback.listing import Page
from bot.feedback.parsing import Draft, Filters
from bot.feedback.permissions import reporters_only
from bot.feedback.store import Stored
from bot.sql import insert_ignore
from models.feedback import (
    CaptureState,
    FeedbackItem,
    FeedbackReporter,
    FeedbackSource,
    FeedbackStatus,
    FeedbackTag,
    Importance,
)
from bot.workspaces import WorkspaceInfo, update_settings
from models.event import ProcessedEvent
from models.workspace import Workspace

DEFAULT_EMOJI = "memo"
PAGE_SIZE = listing.PAGE_SIZE
CLOSED = (FeedbackStatus.SHIPPED, FeedbackStatus.DECLINED)

# Reaction captures whose message could not be read yet (README "Feedback flows").
PENDING_GRACE = timedelta(minutes=1)  # the after-ack read's own time before a sweeper may step in
CAPTURE_LEASE = timedelta(minutes=5)  # a sweeper's hold on the captures it took (a crash frees them)
RETRY_FIRST = timedelta(minutes=1)  # then doubling ...
RETRY_MAX = timedelta(minutes=15)  # ... up to this
GIVE_UP_AFTER = timedelta(hours=1)  # failing this long since filing (and at least ...
GIVE_UP_MIN_ATTEMPTS = 3  # ... this many tries, so a bot back from downtime still tries): dropped


@dataclass(frozen=True)
class Filed:
    item: Stored  # what the filing needs of the item, not the loaded row
    created: bool  # a new item (False: a vote on an existing one)
    voted: bool  # this person was added as a reporter (False: they already were)

    @property
    def receipt(self) -> Receipt:
        return Receipt(self.item.number, self.created, self.voted, self.item.text)


@dataclass(frozen=True)
class Receipt:
    """What the person who filed is told: the item, and whether it is new or their vote on it.
    Read from the item while its request is open, so it travels safely past the commit."""

    number: int
    created: bool
    voted: bool
    text: str

    @classmethod
    def new(cls, item: FeedbackItem) -> Receipt:
        return cls(item.number, created=True, voted=True, text=item.text)


@dataclass(frozen=True)
class ItemView:
    """Everything a rendering of one item needs, as plain data."""

    number: int
    text: str
    status: FeedbackStatus
    customer: str | None
    product_area: str | None
    importance: Importance | None
    owner_id: str | None
    author_id: str | None
    channel_id: str | None
    permalink: str | None
    created_by: str
    created_at: datetime
    votes: int
    tags: tuple[str, ...]
    reporters: tuple[str, ...]
    details: tuple[tuple[str, str], ...]
    merged_numbers: tuple[int, ...]
    outcome_note: str | None
    pending: bool
    source: FeedbackSource
    message_ts: str | None
    closed_at: datetime | None
    launch: LinkedLaunch | None = None  # the launch that ships it (`/feedback link`)
    ship_note: str | None = None  # what its reporters are told when that launch ships it


def feedback_emoji(workspace: WorkspaceInfo) -> str:
    return str((workspace.settings or {}).get("feedback_emoji") or DEFAULT_EMOJI)


def reaction_base(reaction: str) -> str:
    """`thumbsup::skin-tone-2` -> `thumbsup`."""
    return reaction.split("::", 1)[0]


async def set_emoji(session: AsyncSession, team_id: str, emoji: str) -> None:
    await update_settings(session, team_id, feedback_emoji=emoji)


async def _lock_workspace(session: AsyncSession, team_id: str) -> None:
    """Serialise filing per workspace: a PostgreSQL row lock. SQLite needs none: every
    transaction there already holds the one write lock from BEGIN IMMEDIATE."""
    if session.get_bind().dialect.name != "sqlite":
        await session.execute(select(Workspace.team_id).where(Workspace.team_id == team_id).with_for_update())


async def _resolve(session: AsyncSession, item: FeedbackItem) -> FeedbackItem:
    """Follow merges to the item that now stands for this one."""
    seen = {item.id}
    while item.merged_into_id is not None:
        target = await session.get(FeedbackItem, item.merged_into_id)
        if target is None or target.id in seen:
            break
        seen.add(target.id)
        item = target
    return item


async def _add_tags(session: AsyncSession, item: FeedbackItem, tags: tuple[str, ...]) -> None:
    for tag in tags:
        await insert_ignore(session, FeedbackTag, team_id=item.team_id, item_id=item.id, tag=tag)


def _apply_draft(item: FeedbackItem, draft: Draft) -> None:
    """Fill what the item lacks; never overwrite what someone already set."""
    item.customer = item.customer or draft.customer
    item.product_area = item.product_area or draft.product_area
    if draft.importance and item.importance is None:
        item.importance = Importance(draft.importance)


def _draft_fields(draft: Draft) -> dict[str, object]:
    return {"customer": draft.customer, "product_area": draft.product_area,
            "importance": Importance(draft.importance) if draft.importance else None}


async def file_text(session: AsyncSession, team_id: str, reporter: str, channel_id: str | None,
                    draft: Draft, source: FeedbackSource = FeedbackSource.COMMAND) -> FeedbackItem:
    """Typed feedback (no Slack message behind it) is always a new item: its number, row,
    reporter and tags in one step (bot/feedback/store.py), handed back as a loaded instance."""
    item_id, values = await store.create(
        session, team_id, reporter, source, draft.tags, text=draft.text, channel_id=channel_id,
        search_doc=search.document(draft.text, draft.customer, draft.product_area, draft.tags),
        **_draft_fields(draft))
    return store.attach(session, item_id, values)


async def file_message(session: AsyncSession, team_id: str, reporter: str, channel_id: str, message_ts: str,
                       source: FeedbackSource, draft: Draft | None = None,
                       author_id: str | None = None) -> Filed:
    """A Slack message filed as feedback: one item per message, one vote per person.

    A reaction stores the item PENDING (the message is read after the ack); the shortcut
    brings the text with it. The lookup holds the workspace's filing lock, so two filings of
    one message never both create. A new item or a plain vote is Core statements only; the
    ORM is used for the rare rest (a vote on a merged item, a shortcut onto an existing one).
    """
    existing = await store.find_message(session, team_id, channel_id, message_ts)
    if existing is None:
        fields = _draft_fields(draft) if draft else {}
        item_id, values = await store.create(
            session, team_id, reporter, source, draft.tags if draft else (), channel_id=channel_id,
            message_ts=message_ts, author_id=author_id, text=draft.text if draft else "",
            capture_state=CaptureState.READY if draft else CaptureState.PENDING,
            capture_next_at=None if draft else clock.now() + PENDING_GRACE,
            search_doc=search.document(draft.text, draft.customer, draft.product_area, draft.tags) if draft else "",
            **fields)
        stored = Stored(item_id, int(values["number"]), str(values["text"]), values["capture_state"])
        return Filed(stored, created=True, voted=True)
    if draft is None and existing.merged_into_id is None:
        voted = await store.add_reporter(session, team_id, existing.id, reporter, source)
        if voted:
            # Read again after the vote: its trigger's UPDATE waited for a capture completing
            # meanwhile, so this sees whether that capture (which confirms the votes it reads)
            # finished before this vote and so never saw it: then this filing confirms it.
            state = await session.scalar(select(FeedbackItem.capture_state).where(FeedbackItem.id == existing.id))
            existing = replace(existing, capture_state=state or existing.capture_state)
        return Filed(existing, created=False, voted=voted)
    origin = await session.get(FeedbackItem, existing.id)
    assert origin is not None  # found under the lock this transaction holds
    item = await _resolve(session, origin)
    voted = await insert_ignore(session, FeedbackReporter, team_id=team_id, item_id=item.id,
                                user_id=reporter, source=source)
    if draft:
        _apply_draft(item, draft)
        await _add_tags(session, item, draft.tags)
        await search.refresh(session, [item.id])
    await session.flush()
    return Filed(Stored(item.id, item.number, item.text, item.capture_state), created=False, voted=voted)


async def withdraw_reaction_vote(session: AsyncSession, team_id: str, reporter: str, channel_id: str,
                                 message_ts: str) -> FeedbackItem | None:
    """Removing the reaction withdraws a vote the reaction gave; an untouched item left with no
    reporters is removed, since nobody stands behind it any more."""
    await _lock_workspace(session, team_id)
    origin = await session.scalar(select(FeedbackItem).where(
        FeedbackItem.team_id == team_id, FeedbackItem.channel_id == channel_id,
        FeedbackItem.message_ts == message_ts))
    if origin is None:
        return None
    item = await _resolve(session, origin)
    await session.execute(delete(FeedbackReporter).where(
        FeedbackReporter.item_id == item.id, FeedbackReporter.user_id == reporter,
        FeedbackReporter.source == FeedbackSource.REACTION))
    left = await session.scalar(select(func.count()).where(FeedbackReporter.item_id == item.id))
    if not left and item.status is FeedbackStatus.NEW and item.owner_id is None and origin is item:
        await session.delete(item)
        await session.flush()
        return None
    return item


async def complete_capture(session: AsyncSession, team_id: str, item_id: int, *, text: str, author_id: str | None,
                           permalink: str | None, pending_only: bool = False) -> int | None:
    """Fill in what the message said; returns the item's number (None: withdrawn meanwhile or,
    with `pending_only`, already finished by someone else).

    A reaction capture can be finished twice at once (the after-ack work and the sweeper):
    `pending_only` makes this a compare-and-set, so exactly one of them gets the number and
    confirms. Takes the workspace's filing lock, so a vote either lands before (and is seen in
    the reporters read after this) or after (and sees the item ready): never between."""
    await _lock_workspace(session, team_id)
    values: dict[str, object] = {"text": text, "capture_state": CaptureState.READY, "capture_next_at": None,
                                 "updated_at": clock.now()}
    if author_id:
        values["author_id"] = author_id
    if permalink:
        values["permalink"] = permalink
    query = update(FeedbackItem).where(FeedbackItem.id == item_id)
    if pending_only:
        query = query.where(FeedbackItem.capture_state == CaptureState.PENDING)
    result = await session.execute(query.values(**values).returning(FeedbackItem.number)
                                   .execution_options(synchronize_session=False))
    row = result.first()
    if row:
        await search.refresh(session, [item_id])
    return int(row[0]) if row else None


async def reporters(session: AsyncSession, item_id: int) -> list[str]:
    return list(await session.scalars(select(FeedbackReporter.user_id).where(
        FeedbackReporter.item_id == item_id).order_by(FeedbackReporter.id)))


async def discard_capture(session: AsyncSession, item_id: int) -> list[str] | None:
    """A pending item whose message cannot be read is dropped: nothing half-filed stays.
    Returns its reporters, to tell why; None when it was not pending any more (someone else
    finished or dropped it, and they do the telling)."""
    item = await session.get(FeedbackItem, item_id, with_for_update=True)
    if item is None or item.capture_state is not CaptureState.PENDING:
        return None
    told = await reporters(session, item_id)
    await session.delete(item)
    await session.flush()
    return told


async def due_captures(session: AsyncSession, now: datetime,
                       limit: int = 50) -> list[tuple[int, str, str, str, str]]:
    """(item id, team, first reporter, channel, ts) of reaction captures due another try, the
    longest due first, so captures that keep failing (pushed back by their backoff) never keep
    newer ones from their turn. Each is leased to the caller until `now + CAPTURE_LEASE`:
    another sweeper (another replica) skips it meanwhile; finishing, retrying later or
    dropping it replaces the lease."""
    rows = (await session.execute(
        select(FeedbackItem.id, FeedbackItem.team_id, FeedbackItem.created_by, FeedbackItem.channel_id,
               FeedbackItem.message_ts)
        .where(FeedbackItem.capture_state == CaptureState.PENDING, FeedbackItem.capture_next_at <= now)
        .order_by(FeedbackItem.capture_next_at, FeedbackItem.id).limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite's one writer needs no row locks
    )).all()
    if rows:
        await session.execute(update(FeedbackItem).where(FeedbackItem.id.in_([r[0] for r in rows]))
                              .values(capture_next_at=now + CAPTURE_LEASE)
                              .execution_options(synchronize_session=False))
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def retry_delay(attempts: int) -> timedelta:
    """The pause after the n-th failed read: 1, 2, 4, 8, then every 15 minutes."""
    return min(RETRY_FIRST * 2 ** min(attempts - 1, 10), RETRY_MAX)


async def capture_failed(session: AsyncSession, item_id: int, now: datetime) -> list[str]:
    """Count a failed read of a pending capture and schedule the next try, or give up on it
    when it has failed for long enough: then it is dropped and its reporters are returned, to
    be told. Nobody to tell while it will be retried, or when it is no longer pending."""
    item = await session.get(FeedbackItem, item_id, with_for_update=True)
    if item is None or item.capture_state is not CaptureState.PENDING:
        return []
    item.capture_attempts += 1
    if now - item.created_at >= GIVE_UP_AFTER and item.capture_attempts >= GIVE_UP_MIN_ATTEMPTS:
        told = await reporters(session, item_id)
        await session.delete(item)
        await session.flush()
        return told
    item.capture_next_at = now + retry_delay(item.capture_attempts)
    await session.flush()
    return []


async def get_item(session: AsyncSession, team_id: str, number: int) -> FeedbackItem:
    """The item a number stands for, following merges; another workspace's numbers don't resolve."""
    item = await session.scalar(select(FeedbackItem).where(
        FeedbackItem.team_id == team_id, FeedbackItem.number == number))
    if item is None or item.capture_state is CaptureState.PENDING:
        raise NotFound(f"There is no feedback #{number} in this workspace.")
    return await _resolve(session, item)


async def numbered_item(session: AsyncSession, team_id: str, number: int, *, lock: bool = False) -> FeedbackItem:
    """The item given this number itself, not the one it was merged into (deleting a duplicate
    deletes the duplicate). `lock` takes the workspace's filing lock first, so no vote or merge
    lands between the checks that follow and the change."""
    if lock:
        await _lock_workspace(session, team_id)
    item = await session.scalar(select(FeedbackItem).where(
        FeedbackItem.team_id == team_id, FeedbackItem.number == number))
    if item is None or item.capture_state is CaptureState.PENDING:
        raise NotFound(f"There is no feedback #{number} in this workspace.")
    return item


async def delete_item(session: AsyncSession, item: FeedbackItem) -> None:
    """Remove the item with its votes and tags, for good. Explicit rather than relying on the
    foreign keys' cascades; the caller has refused items others were merged into (their
    `merged_into_id` would be emptied and they would reappear as stray lists entries). Numbers
    are never reused (`Workspace.feedback_seq` only grows)."""
    await session.execute(delete(FeedbackTag).where(FeedbackTag.item_id == item.id))
    await session.execute(delete(FeedbackReporter).where(FeedbackReporter.item_id == item.id))
    await session.delete(item)
    await session.flush()


async def first_time(session: AsyncSession, team_id: str, key: str) -> bool:
    """Record `key` in this transaction; False when it was recorded before (a second click on a
    button that files). The processed-events ledger is the one a replayed request is caught by,
    pruned with it."""
    return await insert_ignore(session, ProcessedEvent, event_id=key[:64], team_id=team_id,
                               event_type="feedback.once")


async def view(session: AsyncSession, item: FeedbackItem) -> ItemView:
    tags = tuple(await session.scalars(select(FeedbackTag.tag).where(FeedbackTag.item_id == item.id).order_by(FeedbackTag.tag)))
    reporters = (await session.execute(
        select(FeedbackReporter.user_id, FeedbackReporter.details)
        .where(FeedbackReporter.item_id == item.id).order_by(FeedbackReporter.created_at, FeedbackReporter.id)
    )).all()
    merged = tuple(await session.scalars(select(FeedbackItem.number).where(
        FeedbackItem.merged_into_id == item.id).order_by(FeedbackItem.number)))
    return ItemView(
        number=item.number, text=item.text, status=item.status, customer=item.customer,
        product_area=item.product_area, importance=item.importance, owner_id=item.owner_id,
        author_id=item.author_id, channel_id=item.channel_id, permalink=item.permalink,
        created_by=item.created_by, created_at=item.created_at, votes=len(reporters), tags=tags,
        reporters=tuple(r[0] for r in reporters),
        details=tuple((r[0], r[1]) for r in reporters if r[1]),
        merged_numbers=merged, outcome_note=item.outcome_note,
        pending=item.capture_state is CaptureState.PENDING,
        source=item.source, message_ts=item.message_ts, closed_at=item.closed_at,
        launch=await linked_launch(session, item), ship_note=item.ship_note,
    )


def _votes():  # noqa: ANN202 - the maintained count (bot/feedback/listing.py)
    return listing.votes()


async def list_items(session: AsyncSession, team_id: str, filters: Filters, page: int = 1) -> Page:
    """A page of the list: one query for the rows (with a bounded count), one for their tags;
    a search (words only) is ranked by relevance through the text index (bot/feedback/search.py)."""
    if filters.ranked:
        return await search.search_page(session, team_id, filters.words, page)
    return await listing.list_page(session, team_id, filters, page)


async def all_items(session: AsyncSession, team_id: str, filters: Filters) -> list[ItemView]:
    """Every matching item, by number, as full views: keyset chunks of listing.CHUNK items,
    five queries each (an IN list stays under the drivers' bound-parameter limits)."""
    views: list[ItemView] = []
    after = 0
    while rows := await listing.matching(session, team_id, filters, after=after, limit=listing.CHUNK):
        more = await listing.extras(session, rows)
        views += [_view_of(item, more) for item in rows]
        after = rows[-1].number
    return views


def _view_of(item: FeedbackItem, more: listing.Extras) -> ItemView:
    reporters = more.reporters.get(item.id, [])
    return ItemView(
        number=item.number, text=item.text, status=item.status, customer=item.customer,
        product_area=item.product_area, importance=item.importance, owner_id=item.owner_id,
        author_id=item.author_id, channel_id=item.channel_id, permalink=item.permalink,
        created_by=item.created_by, created_at=item.created_at, votes=len(reporters),
        tags=more.tags.get(item.id, ()), reporters=tuple(r[0] for r in reporters),
        details=tuple((r[0], r[1]) for r in reporters if r[1]),
        merged_numbers=more.merged.get(item.id, ()), outcome_note=item.outcome_note,
        pending=item.capture_state is CaptureState.PENDING,
        source=item.source, message_ts=item.message_ts, closed_at=item.closed_at,
        launch=more.launches.get(item.launch_id) if item.launch_id is not None else None, ship_note=item.ship_note,
    )


async def merge(session: AsyncSession, team_id: str, source_number: int, target_number: int) -> tuple[FeedbackItem, FeedbackItem]:
    """Reporters, tags and sources of `source` join `target`; `source`'s number then resolves to it."""
    await _lock_workspace(session, team_id)
    source = await get_item(session, team_id, source_number)
    target = await get_item(session, team_id, target_number)
    if source.id == target.id:
        raise UserError(f"#{source_number} is already part of #{target.number}.")
    reporters = (await session.execute(select(FeedbackReporter.user_id, FeedbackReporter.source, FeedbackReporter.details)
                                       .where(FeedbackReporter.item_id == source.id))).all()
    for user_id, src, details in reporters:
        await insert_ignore(session, FeedbackReporter, team_id=team_id, item_id=target.id,
                            user_id=user_id, source=src, details=details)
    await session.execute(delete(FeedbackReporter).where(FeedbackReporter.item_id == source.id))
    tags = tuple(await session.scalars(select(FeedbackTag.tag).where(FeedbackTag.item_id == source.id)))
    await _add_tags(session, target, tags)
    _apply_draft(target, Draft(text="", customer=source.customer, product_area=source.product_area,
                               importance=source.importance.value if source.importance else None))
    # Items merged into the source now point straight at the target.
    await session.execute(update(FeedbackItem).where(FeedbackItem.merged_into_id == source.id)
                          .values(merged_into_id=target.id))
    source.merged_into_id = target.id
    mark_triaged(source)
    source.status = FeedbackStatus.MERGED
    carry_on_merge(source, target)
    await search.refresh(session, [target.id])  # the target is found by the source's tags, customer, area
    return source, target


def mark_triaged(item: FeedbackItem) -> None:
    """The first move away from `new` is its triage (working agreements' time to triage);
    later moves, and a move back to `new`, keep the first instant."""
    if item.triaged_at is None:
        item.triaged_at = clock.now()


async def set_status(session: AsyncSession, item: FeedbackItem, status: FeedbackStatus,
                     note: str | None) -> list[str]:
    """Change the status; returns the reporters to tell when this change closes the item."""
    closing = status in CLOSED and item.status is not status
    if status is not FeedbackStatus.NEW:
        mark_triaged(item)
    item.status = status
    if note is not None:
        item.outcome_note = note.strip() or None
    item.closed_at = clock.now() if status in CLOSED else None
    await session.flush()
    if not closing:
        return []
    return list(await session.scalars(select(FeedbackReporter.user_id).where(
        FeedbackReporter.item_id == item.id).order_by(FeedbackReporter.id)))


async def set_owner(session: AsyncSession, item: FeedbackItem, owner_id: str | None) -> None:
    item.owner_id = owner_id
    if item.status is FeedbackStatus.NEW and owner_id:
        mark_triaged(item)
        item.status = FeedbackStatus.TRIAGED
    await session.flush()


async def edit(session: AsyncSession, item: FeedbackItem, *, product_area: str | None,
               customer: str | None, importance: str | None, tags: tuple[str, ...]) -> None:
    item.product_area = product_area or None
    item.customer = customer or None
    item.importance = Importance(importance) if importance else None
    await session.execute(delete(FeedbackTag).where(FeedbackTag.item_id == item.id))
    await _add_tags(session, item, tags)
    await search.refresh(session, [item.id])


async def add_details(session: AsyncSession, item: FeedbackItem, user_id: str, details: str) -> None:
    """Anyone who filed or voted for an item may add their context to it."""
    reporter = await session.scalar(select(FeedbackReporter).where(
        FeedbackReporter.item_id == item.id, FeedbackReporter.user_id == user_id))
    if reporter is None:
        raise reporters_only(item.number)
    reporter.details = "\n\n".join(p for p in (reporter.details, details.strip()) if p)
    await session.flush()



# -- App Home (bot/feedback/home.py): set-based, one person's items and the triage queue ----------

HOME_TEXT_READ = 300  # characters of an item's text read for a one-line preview
COUNT_BOUND = 10_000  # a count stops here and reads "10,000+" (the digest's bound, bot/feedback/digest.py)


@dataclass(frozen=True)
class ItemLine:
    """An item as one line of a card: no votes or tags (ItemView reads those per item)."""

    number: int
    status: FeedbackStatus
    text: str  # stored representation, at most HOME_TEXT_READ characters
    created_at: datetime
    owner_id: str | None


@dataclass(frozen=True)
class Lines:
    items: list[ItemLine]  # at most the `limit` asked for
    total: int
    by_status: dict[FeedbackStatus, int]  # empty when not asked for


def _line_columns() -> tuple:  # noqa: ANN202 - the columns an ItemLine is made of
    return (FeedbackItem.number, FeedbackItem.status, func.substr(FeedbackItem.text, 1, HOME_TEXT_READ),
            FeedbackItem.created_at, FeedbackItem.owner_id)


def _shown() -> tuple:  # noqa: ANN202 - what the lists show: captured, not merged away
    return (FeedbackItem.capture_state != CaptureState.PENDING, FeedbackItem.status != FeedbackStatus.MERGED)


async def of_person(session: AsyncSession, team_id: str, user_id: str, limit: int) -> Lines:
    """Items `user_id` reported (filed or voted for) or owns, newest first, with how many there
    are by status: three queries whatever the count."""
    reported = select(FeedbackReporter.item_id).where(FeedbackReporter.team_id == team_id,
                                                      FeedbackReporter.user_id == user_id)
    mine = (FeedbackItem.team_id == team_id, *_shown(),
            or_(FeedbackItem.owner_id == user_id, FeedbackItem.id.in_(reported)))
    counts = {FeedbackStatus(s): int(n) for s, n in (await session.execute(
        select(FeedbackItem.status, func.count()).where(*mine).group_by(FeedbackItem.status))).all()}
    rows = (await session.execute(select(*_line_columns()).where(*mine)
                                  .order_by(FeedbackItem.created_at.desc(), FeedbackItem.number.desc())
                                  .limit(limit))).all()
    return Lines([ItemLine(n, FeedbackStatus(s), t or "", c, o) for n, s, t, c, o in rows], sum(counts.values()),
                 counts)


async def untriaged(session: AsyncSession, team_id: str, limit: int) -> Lines:
    """Items still `new`, the oldest first, and how many (up to COUNT_BOUND: then it says so by
    `total` reaching it), through the (team_id, status, created_at) index."""
    new = (FeedbackItem.team_id == team_id, FeedbackItem.status == FeedbackStatus.NEW,
           FeedbackItem.capture_state != CaptureState.PENDING)
    window = select(FeedbackItem.id).where(*new).limit(COUNT_BOUND).subquery()
    total = int(await session.scalar(select(func.count()).select_from(window)) or 0)
    rows = (await session.execute(select(*_line_columns()).where(*new)
                                  .order_by(FeedbackItem.created_at, FeedbackItem.number).limit(limit))).all()
    return Lines([ItemLine(n, FeedbackStatus(s), t or "", c, o) for n, s, t, c, o in rows], total, {})
