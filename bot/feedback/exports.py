"""`/feedback export` as a durable job: asked for in the request's transaction, run by a worker.

The request stores an `ExportJob` and answers at once; right after its commit a kick starts the
job in the same process, and the minute tick's duty (EXPORTS) picks up any job nobody holds: a
new one whose kick was lost, or one whose worker died (its lease ran out). Whoever runs a job
first takes its lease with a compare-and-set on (status, lease_until, attempts), so two replicas
never run one job; `attempts` is the holder's token, and the lease is renewed after every page.

The worker reads the items in keyset pages by number, each page ONE statement in its own short
read-only transaction (never the writer): the item's columns, its maintained `votes`, and its
tags and reporters (with details) aggregated as JSON by the database. Items merged into others
are read once per job (there is no index on merged_into_id to serve a per-page lookup, and
there are few of them). Rows go to a temporary file, so memory does not grow with the
workspace; the file is uploaded with the files upload v2 flow step by step: the file id Slack
reserves is recorded on the job before the share, and the job is marked done right after it.
A worker taking over a job with a recorded id first looks for that file in the person's DM: an
attempt stopped between Slack's share and its own record is done, not shared twice.

Failure: Slack refusing the upload (an error code) fails the job and tells the person why;
anything that may pass (the network, Slack's outages, the database, a restart) leaves the job
for the next worker after its lease; after MAX_ATTEMPTS the job fails and the person is told.
Either way they hear once: only the worker whose compare-and-set failed the job speaks.
"""
from __future__ import annotations

import csv
import json
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import httpx
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import and_, literal_column, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock, usertext
from bot.duties import Duty, WorkItem
from bot.feedback import blocks, listing
from bot.feedback.parsing import Filters
from bot.runtime import Runtime
from bot.text import escape
from models.feedback import ExportJob, ExportStatus, FeedbackItem, FeedbackSource, FeedbackStatus, Importance

log = logging.getLogger(__name__)

KIND = "feedback.export"  # the tick's claim of one attempt at a job
PAGE = 1000  # items per page: one statement each
LEASE = timedelta(minutes=5)  # a worker's hold, renewed after every page; past it, the job is free
MAX_ATTEMPTS = 3  # runs a job gets before it is given up (each restart or passing failure is one)
GRACE = timedelta(days=366)  # a job found late (the bot was down) still runs: the person is waiting
# Slack errors that may pass: the job is left for the next worker rather than failed.
PASSING = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
UPLOAD_TIMEOUT = 120.0  # seconds for the bytes to reach Slack's upload URL


class UploadFailed(Exception):
    """The upload URL did not take the bytes: passing (the next worker tries again)."""


TRANSIENT = (SlackClientError, aiohttp.ClientError, httpx.HTTPError, UploadFailed, TimeoutError, OSError)

REFUSED = "Sorry, I couldn't upload your feedback export (Slack said `{error}`). Please try again."
GAVE_UP = ("Sorry, I couldn't finish your feedback export: it was interrupted {attempts} times "
           "(last: `{error}`), so I stopped trying. Please try again.")

CSV_COLUMNS = ["number", "status", "votes", "text", "customer", "product_area", "importance", "tags",
               "owner", "reporters", "author", "source", "channel", "message_ts", "permalink", "created_at",
               "closed_at", "outcome_note", "details", "merged"]


# -- the CSV: one row per item, the same cells whatever reads the items -----------------------

@dataclass(frozen=True)
class Row:
    """What one CSV row is made of (a subset of service.ItemView, which also fits here)."""

    number: int
    status: FeedbackStatus
    votes: int
    text: str
    customer: str | None
    product_area: str | None
    importance: Importance | None
    tags: tuple[str, ...]
    owner_id: str | None
    reporters: tuple[str, ...]
    author_id: str | None
    source: FeedbackSource
    channel_id: str | None
    message_ts: str | None
    permalink: str | None
    created_at: datetime
    closed_at: datetime | None
    outcome_note: str | None
    details: tuple[tuple[str, str], ...]
    merged_numbers: tuple[int, ...]


def csv_row(v: Any, names: dict[str, str] | None = None) -> list[object]:
    """User text as a spreadsheet shows it: plain characters, links as "label (url)", mentions
    as names (`names`) or ids. `v` is a Row or a service.ItemView."""
    def cell(text: str | None) -> str:
        return _cell(usertext.export(text or "", names=names))

    return [
        v.number, v.status.value, v.votes, cell(v.text), cell(v.customer), cell(v.product_area),
        v.importance.value if v.importance else "", " ".join(v.tags), v.owner_id or "", " ".join(v.reporters),
        v.author_id or "", v.source.value, v.channel_id or "", v.message_ts or "", v.permalink or "",
        v.created_at.isoformat(), v.closed_at.isoformat() if v.closed_at else "", cell(v.outcome_note),
        _cell("\n\n".join(f"{user}: {usertext.export(text, names=names)}" for user, text in v.details)),
        " ".join(str(n) for n in v.merged_numbers),
    ]


def mentioned(rows: Iterable[Any]) -> list[str]:
    """Everyone a mention in these rows' user text names, once each, in order."""
    texts = [t for v in rows for t in (v.text, v.customer, v.product_area, v.outcome_note, *(d for _, d in v.details)) if t]
    return list(dict.fromkeys(u for t in texts for u in usertext.mentioned_users(t)))


def _cell(value: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: neutralise them."""
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


# -- asking for one ---------------------------------------------------------------------------

def filters_json(filters: Filters) -> dict[str, Any]:
    return {"status": filters.status.value if filters.status else None, "tags": list(filters.tags),
            "area": filters.area, "words": list(filters.words)}


def filters_of(data: dict[str, Any]) -> Filters:
    status = data.get("status")
    return Filters(status=FeedbackStatus(status) if status else None, tags=tuple(data.get("tags") or ()),
                   area=data.get("area"), words=tuple(data.get("words") or ()))


async def request(session: AsyncSession, team_id: str, user_id: str, filters: Filters) -> int:
    """Store the job with the request's other writes; its id, for the kick after the commit."""
    job = ExportJob(team_id=team_id, user_id=user_id, filters=filters_json(filters))
    session.add(job)
    await session.flush()
    return job.id


def kick(rt: Runtime, job_id: int) -> Callable[[], Awaitable[object]]:
    """What the request runs after its commit: the job, at once, in this process."""
    async def start() -> None:
        try:
            await run(rt, job_id)
        except (SlackApiError, *TRANSIENT):  # said by run (_note); the next worker tries again
            pass

    return start


# -- running one ------------------------------------------------------------------------------

class LeaseLost(Exception):
    """Another worker took the job over (this one was too slow): stop without a word."""


@dataclass(frozen=True)
class Held:
    """A job as its worker holds it: `attempt` is the token every write of the worker checks."""

    id: int
    team_id: str
    user_id: str
    filters: Filters
    attempt: int
    created_at: datetime
    file_id: str | None = None  # reserved by an earlier attempt, which may have shared it


def _free(now: datetime):  # noqa: ANN202 - SQL expression
    return or_(ExportJob.status == ExportStatus.PENDING,
               and_(ExportJob.status == ExportStatus.RUNNING, ExportJob.lease_until < now))


def _mine(held: Held):  # noqa: ANN202 - SQL expression
    return and_(ExportJob.id == held.id, ExportJob.status == ExportStatus.RUNNING, ExportJob.attempts == held.attempt)


async def run(rt: Runtime, job_id: int, seen: int | None = None) -> str:
    """Take the job (unless someone holds it) and run it to done or failed; one line saying what
    happened. `seen`: the attempts the caller found, so a stale finding takes nothing."""
    now = clock.now()
    async with rt.db.unit_of_work() as session:
        job = await session.get(ExportJob, job_id)
        if job is None or (seen is not None and job.attempts != seen):
            return "already taken by another worker"
        if job.attempts >= MAX_ATTEMPTS:
            given_up = await _give_up(session, job, now)
            held = None
        else:
            given_up = False
            taken = await session.execute(
                update(ExportJob).where(ExportJob.id == job_id, ExportJob.attempts == job.attempts, _free(now))
                .values(status=ExportStatus.RUNNING, lease_until=now + LEASE, attempts=job.attempts + 1,
                        updated_at=now).execution_options(synchronize_session=False))
            held = (Held(job.id, job.team_id, job.user_id, filters_of(job.filters or {}), job.attempts + 1,
                         job.created_at, job.file_id) if taken.rowcount == 1 else None)
        attempts, error, user = job.attempts, job.error, job.user_id
    if given_up:
        await _tell(rt, user, GAVE_UP.format(attempts=attempts, error=escape(error or "the bot restarted")))
        return f"gave up after {attempts} attempts"
    if held is None:
        return "already taken by another worker"
    try:
        return await _work(rt, held)
    except LeaseLost:
        return "taken over by another worker"
    except SlackApiError as exc:
        code = str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
        if code in PASSING:
            await _note(rt, held, code)
            raise
        log.warning("export %s for %s refused by Slack: %s", held.id, held.user_id, code)
        if await _fail(rt, held, code):
            await _tell(rt, held.user_id, REFUSED.format(error=escape(code)))
        return f"failed ({code})"
    except TRANSIENT as exc:
        await _note(rt, held, type(exc).__name__)
        raise


async def _work(rt: Runtime, held: Held) -> str:
    dm = (await rt.client.conversations_open(users=held.user_id))["channel"]["id"]
    if held.file_id is not None and await _shared(rt, dm, held):
        # An earlier attempt completed the upload and was stopped before it said so.
        await _done(rt, held, held.file_id, None)
        return "delivered by an earlier attempt"
    fd, path = tempfile.mkstemp(prefix=f"feedback-export-{held.id}-", suffix=".csv")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as out:
            count = await write_csv(rt, held, out)
        await _renew(rt, held)  # still ours: nobody else is uploading it
        file_id = await _upload(rt, held, dm, path, count)
    finally:
        os.unlink(path)
    await _done(rt, held, file_id, count)  # right after the upload: this file is never sent again
    return f"delivered {blocks.plural(count, 'item')}"


async def _upload(rt: Runtime, held: Held, dm: str, path: str, count: int) -> str:
    """The files upload v2 flow step by step, so the file's id is on the job BEFORE Slack
    shares it: a worker stopped after the share finds it (`_shared`) instead of sharing a
    second file. The bytes are streamed from the file (memory stays flat)."""
    stamp = held.created_at.strftime("%Y%m%d-%H%M")
    reserved = await rt.client.files_getUploadURLExternal(filename=f"feedback-{stamp}.csv",
                                                          length=os.path.getsize(path))
    file_id, url = str(reserved["file_id"]), str(reserved["upload_url"])
    await _reserve(rt, held, file_id)
    # The Web API client's proxy, if it has one, and not the environment's (as slack_sdk does).
    async with httpx.AsyncClient(timeout=UPLOAD_TIMEOUT, proxy=rt.client.proxy or None, trust_env=False) as http:
        posted = await http.post(url, content=_read_chunks(path),
                                 headers={"Content-Type": "application/octet-stream"})
    if posted.status_code != 200:
        raise UploadFailed(f"HTTP {posted.status_code} from the upload URL")
    await rt.client.files_completeUploadExternal(
        files=[{"id": file_id, "title": f"Feedback export {stamp}"}], channel_id=dm,
        initial_comment=f"Your feedback export: {blocks.plural(count, 'item')} ({blocks.describe(held.filters)}).")
    return file_id


async def _read_chunks(path: str, size: int = 256 * 1024):  # noqa: ANN202 - an async iterator of bytes
    with open(path, "rb") as source:
        while chunk := source.read(size):
            yield chunk


async def _shared(rt: Runtime, dm: str, held: Held) -> bool:
    """Whether the file this job reserved is in the person's DM with the bot (shared by the
    attempt that reserved it): the DM's newest 200 messages (a job is taken over within minutes
    of the attempt that shared, and the DM is the bot's own conversation with them)."""
    try:
        history = await rt.client.conversations_history(channel=dm, limit=200)
    except SlackApiError as exc:  # cannot tell: upload again (a second file rather than none)
        log.warning("export %s: could not read the DM to find its file: %s", held.id, exc.response.get("error"))
        return False
    return any(f.get("id") == held.file_id for m in history.get("messages") or [] for f in m.get("files") or [])


async def _reserve(rt: Runtime, held: Held, file_id: str) -> None:
    now = clock.now()
    async with rt.db.unit_of_work() as session:
        kept = await session.execute(update(ExportJob).where(_mine(held)).values(
            file_id=file_id[:32], lease_until=now + LEASE, updated_at=now).execution_options(synchronize_session=False))
    if kept.rowcount != 1:
        raise LeaseLost(held.id)


async def _done(rt: Runtime, held: Held, file_id: str, count: int | None) -> None:
    async with rt.db.unit_of_work() as session:
        await session.execute(update(ExportJob).where(ExportJob.id == held.id).values(
            status=ExportStatus.DONE, file_id=file_id[:32] or None, rows=count, lease_until=None,
            finished_at=clock.now(), error=None, updated_at=clock.now()).execution_options(synchronize_session=False))


async def write_csv(rt: Runtime, held: Held, out: Any) -> int:
    """Every matching item, page by page, into `out`; how many."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    async with rt.db.reading() as session:
        merged = await merged_numbers(session, held.team_id)
    after, count = 0, 0
    while True:
        async with rt.db.reading() as session:
            rows = await page(session, held.team_id, held.filters, after, merged)
        if not rows:
            return count
        names = await rt.users.names(held.team_id, mentioned(rows))  # Slack, outside any transaction
        writer.writerows(csv_row(row, names) for row in rows)
        count += len(rows)
        after = rows[-1].number
        await _renew(rt, held)


async def merged_numbers(session: AsyncSession, team_id: str) -> dict[int, tuple[int, ...]]:
    """Item id -> the numbers merged into it, for the whole workspace (few rows)."""
    found: dict[int, list[int]] = {}
    for into, number in (await session.execute(
            select(FeedbackItem.merged_into_id, FeedbackItem.number)
            .where(FeedbackItem.team_id == team_id, FeedbackItem.merged_into_id.is_not(None))
            .order_by(FeedbackItem.merged_into_id, FeedbackItem.number))).all():
        found.setdefault(into, []).append(number)
    return {k: tuple(v) for k, v in found.items()}


def _aggregates(dialect: str) -> tuple[Any, Any]:
    """Per item, as JSON arrays built by the database: its tags (sorted) and its reporters as
    [user, details] in filing order. Correlated on the outer, unaliased feedback_items."""
    if dialect == "postgresql":
        tags = "(SELECT json_agg(t.tag ORDER BY t.tag) FROM feedback_tags t WHERE t.item_id = feedback_items.id)"
        reporters = ("(SELECT json_agg(json_build_array(r.user_id, r.details) ORDER BY r.created_at, r.id) "
                     "FROM feedback_reporters r WHERE r.item_id = feedback_items.id)")
    else:
        tags = ("(SELECT json_group_array(v) FROM (SELECT t.tag AS v FROM feedback_tags t "
                "WHERE t.item_id = feedback_items.id ORDER BY t.tag))")
        reporters = ("(SELECT json_group_array(json(v)) FROM (SELECT json_array(r.user_id, r.details) AS v "
                     "FROM feedback_reporters r WHERE r.item_id = feedback_items.id ORDER BY r.created_at, r.id))")
    return literal_column(tags).label("tags_json"), literal_column(reporters).label("reporters_json")


async def page(session: AsyncSession, team_id: str, filters: Filters, after: int,
               merged: dict[int, tuple[int, ...]], limit: int = PAGE) -> list[Row]:
    """The next `limit` matching items after number `after`: one statement."""
    tags, reporters = _aggregates(session.get_bind().dialect.name)
    i = FeedbackItem
    query = (select(i.id, i.number, i.status, i.votes, i.text, i.customer, i.product_area, i.importance, i.owner_id,
                    i.author_id, i.source, i.channel_id, i.message_ts, i.permalink, i.created_at, i.closed_at,
                    i.outcome_note, tags, reporters)
             .where(*listing.conditions(team_id, filters), i.number > after).order_by(i.number).limit(limit))
    rows = []
    for r in (await session.execute(query)).all():
        people = [(str(u), d) for u, d in _json(r.reporters_json)]
        rows.append(Row(
            number=r.number, status=r.status, votes=int(r.votes), text=r.text or "", customer=r.customer,
            product_area=r.product_area, importance=r.importance, tags=tuple(_json(r.tags_json)),
            owner_id=r.owner_id, reporters=tuple(u for u, _ in people), author_id=r.author_id, source=r.source,
            channel_id=r.channel_id, message_ts=r.message_ts, permalink=r.permalink, created_at=r.created_at,
            closed_at=r.closed_at, outcome_note=r.outcome_note, details=tuple((u, d) for u, d in people if d),
            merged_numbers=merged.get(r.id, ()),
        ))
    return rows


def _json(value: object) -> list[Any]:
    if value is None:
        return []
    return list(json.loads(value) if isinstance(value, str | bytes) else value)  # type: ignore[arg-type]


async def _renew(rt: Runtime, held: Held) -> None:
    now = clock.now()
    async with rt.db.unit_of_work() as session:
        renewed = await session.execute(update(ExportJob).where(_mine(held)).values(
            lease_until=now + LEASE, updated_at=now).execution_options(synchronize_session=False))
    if renewed.rowcount != 1:
        raise LeaseLost(held.id)


async def _note(rt: Runtime, held: Held, error: str) -> None:
    """A failure that may pass: remembered for the message if the job is given up; the lease
    lets the next worker try once it runs out."""
    log.warning("export %s attempt %s failed (%s); the next worker retries it", held.id, held.attempt, error)
    async with rt.db.unit_of_work() as session:
        await session.execute(update(ExportJob).where(_mine(held)).values(error=error[:255])
                              .execution_options(synchronize_session=False))


async def _fail(rt: Runtime, held: Held, error: str) -> bool:
    async with rt.db.unit_of_work() as session:
        failed = await session.execute(update(ExportJob).where(_mine(held)).values(
            status=ExportStatus.FAILED, error=error[:255], lease_until=None, finished_at=clock.now(),
            file_id=None,  # Slack refused it: a file reserved but never shared
            updated_at=clock.now()).execution_options(synchronize_session=False))
    return failed.rowcount == 1


async def _give_up(session: AsyncSession, job: ExportJob, now: datetime) -> bool:
    """Out of attempts: failed, by exactly one caller (who then tells the person)."""
    given_up = await session.execute(
        update(ExportJob).where(ExportJob.id == job.id, ExportJob.attempts == job.attempts, _free(now))
        .values(status=ExportStatus.FAILED, lease_until=None, finished_at=now, updated_at=now,
                error=(job.error or "interrupted")[:255]).execution_options(synchronize_session=False))
    return given_up.rowcount == 1


async def _tell(rt: Runtime, user: str, text: str) -> None:
    try:
        await rt.client.chat_postMessage(channel=user, text=text)
    except (SlackApiError, *TRANSIENT) as exc:
        log.warning("could not tell %s about their export: %s", user, type(exc).__name__)


# -- the tick's duty: jobs nobody holds ---------------------------------------------------------

async def _due(rt: Runtime, at: datetime) -> list[WorkItem]:
    async with rt.db.reading() as session:
        jobs = (await session.execute(
            select(ExportJob.id, ExportJob.team_id, ExportJob.user_id, ExportJob.attempts, ExportJob.created_at)
            .where(_free(at)).order_by(ExportJob.id).limit(50))).all()
    return [WorkItem(team_id, KIND, str(job_id), f"attempt {attempts + 1}", min(created_at, at),
                     f"feedback export {job_id} for {user_id} in {team_id}", payload=(job_id, attempts))
            for job_id, team_id, user_id, attempts, created_at in jobs]


async def _send(rt: Runtime, item: WorkItem) -> str:
    job_id, attempts = item.payload
    return await run(rt, job_id, seen=attempts)


EXPORTS = Duty("feedback exports", _due, _send, grace=GRACE, at_once=2)
