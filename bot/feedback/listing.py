"""`/feedback list` (newest, `top`, filters by status, #tag and area) and the rows an export
reads, set-based: a page is one query (votes are the maintained `feedback_items.votes`
column, never a per-row count) plus one for the page's tags, whatever the workspace's size.

Counts are bounded rather than exact: a page counts at most COUNT_AHEAD rows past its own
start (one statement with the page, through the same index the page uses), and a list longer
than that says "N+". An exact count of a 100,000-item workspace reads every matching row on
every call; a per-workspace cached count would have to follow every filing, vote, merge and
delete and every filter combination. Nobody pages 20 pages ahead, and "200+ found" says what
matters, so the bound costs at most ~200 index steps and cannot go stale.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.feedback.links import LinkedLaunch
from bot.feedback.parsing import Filters
from models.feedback import CaptureState, FeedbackItem, FeedbackReporter, FeedbackStatus, FeedbackTag
from models.launch import Launch

PAGE_SIZE = 10
CHUNK = 1000  # items an export-style read takes per query (keyset by number)
COUNT_AHEAD = 200  # rows a page counts past its own start; beyond it the total reads "N+"


@dataclass(frozen=True)
class Listed:
    """One line of a list: what `blocks._summary` shows, nothing read per item."""

    number: int
    text: str
    status: FeedbackStatus
    customer: str | None
    product_area: str | None
    votes: int
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Page:
    items: list[Listed]
    page: int
    total: int  # exact when `exact`, else a lower bound (the list goes on past it)
    exact: bool = True
    last_counted: bool = False  # nothing past `total` is shown even when it is a bound (a search's ranked candidates)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @property
    def more(self) -> bool:
        """Another page follows this one."""
        return self.page < self.pages or not (self.exact or self.last_counted)

    @property
    def found(self) -> str:
        """The total as said: "37", or "200+" past the bound."""
        return f"{self.total:,}" + ("" if self.exact else "+")


def votes():  # noqa: ANN201 - a column expression
    """An item's votes: the count migration 0014's triggers keep on the row."""
    return FeedbackItem.votes


def like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def conditions(team_id: str, filters: Filters) -> list:  # noqa: ANN001 - SQL expressions
    """What a list or an export shows: captured items not merged away, then the filters. A
    tag is an IN over the (team_id, tag) index, not a correlated EXISTS per row."""
    where = [FeedbackItem.team_id == team_id, FeedbackItem.capture_state == CaptureState.READY,
             FeedbackItem.merged_into_id.is_(None)]
    if filters.status:
        where.append(FeedbackItem.status == filters.status)
    if filters.area:
        where.append(func.lower(FeedbackItem.product_area) == func.lower(filters.area))
    for tag in filters.tags:
        where.append(FeedbackItem.id.in_(select(FeedbackTag.item_id).where(
            FeedbackTag.team_id == team_id, FeedbackTag.tag == tag)))
    for word in filters.words:
        pattern = "%" + like_escape(word) + "%"
        where.append(or_(FeedbackItem.text.ilike(pattern, escape="\\"),
                         FeedbackItem.customer.ilike(pattern, escape="\\")))
    return where


def order(filters: Filters) -> list:  # noqa: ANN001 - SQL expressions
    """`top`: (votes, number) descending, the (team_id, votes, number) index read backwards.
    Newest first is number descending, the (team_id, number) unique index read backwards:
    numbers are given in filing order under the workspace's filing lock, so they order as
    `created_at` does, and (team_id, created_at) alone would leave ties to a sort of every row
    (SQLite then chose to sort the whole workspace)."""
    if filters.sort == "top":
        return [FeedbackItem.votes.desc(), FeedbackItem.number.desc()]
    return [FeedbackItem.number.desc()]


def page_query(team_id: str, filters: Filters, page: int) -> Select:
    """The page's rows and, on each, how many rows match up to COUNT_AHEAD past the page's
    start: one statement."""
    where = conditions(team_id, filters)
    offset = (page - 1) * PAGE_SIZE
    window = select(FeedbackItem.id).where(*where).limit(offset + COUNT_AHEAD + 1).subquery()
    counted = select(func.count()).select_from(window).scalar_subquery()
    return (select(FeedbackItem.id, FeedbackItem.number, FeedbackItem.text, FeedbackItem.status,
                   FeedbackItem.customer, FeedbackItem.product_area, FeedbackItem.votes, counted.label("counted"))
            .where(*where).order_by(*order(filters)).offset(offset).limit(PAGE_SIZE))


async def tags_of(session: AsyncSession, item_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """The tags of these items, in one query, each item's sorted."""
    found: dict[int, list[str]] = defaultdict(list)
    if item_ids:
        for item_id, tag in (await session.execute(
                select(FeedbackTag.item_id, FeedbackTag.tag).where(FeedbackTag.item_id.in_(list(item_ids)))
                .order_by(FeedbackTag.item_id, FeedbackTag.tag))).all():
            found[item_id].append(tag)
    return {k: tuple(v) for k, v in found.items()}


async def list_page(session: AsyncSession, team_id: str, filters: Filters, page: int = 1) -> Page:
    """A page of the list: two statements (rows with the bounded count, then their tags)."""
    page = max(1, page)
    rows = (await session.execute(page_query(team_id, filters, page))).all()
    offset = (page - 1) * PAGE_SIZE
    if rows:
        counted = int(rows[0].counted)
    else:  # past the end (or nothing matches): the count alone, to say how far the list goes
        where = conditions(team_id, filters)
        window = select(FeedbackItem.id).where(*where).limit(offset + COUNT_AHEAD + 1).subquery()
        counted = int(await session.scalar(select(func.count()).select_from(window)) or 0)
    exact = counted <= offset + COUNT_AHEAD
    tags = await tags_of(session, [r.id for r in rows])
    items = [Listed(r.number, r.text or "", FeedbackStatus(r.status), r.customer, r.product_area, int(r.votes),
                    tags.get(r.id, ())) for r in rows]
    return Page(items, page, counted if exact else offset + COUNT_AHEAD, exact)


@dataclass(frozen=True)
class Extras:
    """What an export's rows carry beyond the item's own columns, read for many items at once."""

    tags: dict[int, tuple[str, ...]]
    reporters: dict[int, list[tuple[str, str | None]]]  # item id -> (user, details), in filing order
    merged: dict[int, tuple[int, ...]]
    launches: dict[int, LinkedLaunch]


async def extras(session: AsyncSession, items: Sequence[FeedbackItem]) -> Extras:
    """Four queries for any number of items (tags, reporters, merged numbers, launches)."""
    ids = [i.id for i in items]
    reporters: dict[int, list[tuple[str, str | None]]] = defaultdict(list)
    merged: dict[int, list[int]] = defaultdict(list)
    launches: dict[int, LinkedLaunch] = {}
    if ids:
        for item_id, user, details in (await session.execute(
                select(FeedbackReporter.item_id, FeedbackReporter.user_id, FeedbackReporter.details)
                .where(FeedbackReporter.item_id.in_(ids))
                .order_by(FeedbackReporter.item_id, FeedbackReporter.created_at, FeedbackReporter.id))).all():
            reporters[item_id].append((user, details))
        for into, number in (await session.execute(
                select(FeedbackItem.merged_into_id, FeedbackItem.number).where(FeedbackItem.merged_into_id.in_(ids))
                .order_by(FeedbackItem.merged_into_id, FeedbackItem.number))).all():
            merged[into].append(number)
        launch_ids = sorted({i.launch_id for i in items if i.launch_id is not None})
        if launch_ids:
            for launch in await session.scalars(select(Launch).where(Launch.id.in_(launch_ids))):
                launches[launch.id] = LinkedLaunch(launch.id, launch.name, launch.launch_date,
                                                   launch.launched_at is not None, launch.cancelled_at is not None)
    return Extras(await tags_of(session, ids), dict(reporters), {k: tuple(v) for k, v in merged.items()}, launches)


async def matching(session: AsyncSession, team_id: str, filters: Filters, *, after: int = 0,
                   limit: int | None = None) -> list[FeedbackItem]:
    """Items matching the filters by number, from `after` on (keyset: an export reads in pages)."""
    query = (select(FeedbackItem).where(*conditions(team_id, filters), FeedbackItem.number > after)
             .order_by(FeedbackItem.number))
    if limit is not None:
        query = query.limit(limit)
    return list(await session.scalars(query))
