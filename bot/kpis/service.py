"""KPIs in the database: definitions, values, failed pulls, and which nudges a new value calls
for. Plain functions of a session; no Slack or HTTP calls (bot/kpis/flows.py makes those)."""
from __future__ import annotations

import hashlib
import logging
import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import Float, Integer, TextClause, bindparam, column, delete, func, select, text, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.errors import NotFound, UserError
from bot.launches import service as launch_service
from bot.launches.parsing import name_key
from bot.notify.notice import Notice
from bot.sql import insert_ignore
from bot.typos import one_edit
from bot.usertext import mrkdwn
from models.delivery import Delivery, DeliveryStatus
from models.base import UTCDateTime
from models.kpi import Direction, Kpi, KpiLaunch, KpiPull, KpiSource, KpiUnit, KpiValue
from models.launch import Decision, Launch

OFF_TARGET_KIND = "kpi.off_target"  # the KPI's channel: crossed to the wrong side (mentions the owner)
ON_TARGET_KIND = "kpi.on_target"  # the KPI's channel: back on target
CHANGE_KIND = "kpi.change"  # the KPI's channel: a sharp move
STALE_KIND = "kpi.stale"  # the owner: no value within the staleness limit
FAILING_KIND = "kpi.failing"  # the owner: its pulls started failing
SPARK_POINTS = 12


class _NoHeaderInTraces(logging.Filter):
    """aiosqlite's DEBUG trace prints each statement with its parameters: one writing a KPI's
    pull header (a secret, never in logs) is dropped, as bot/kpis/fetch.py drops httpcore's."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "pull_header_value" not in message or not ("INSERT INTO kpis" in message or "UPDATE kpis" in message)


logging.getLogger("aiosqlite").addFilter(_NoHeaderInTraces())


@dataclass(frozen=True)
class Definition:
    """A KPI as the form asked for it (user text already converted)."""

    key: str
    name: str
    unit: KpiUnit
    direction: Direction
    target: float | None
    band: tuple[float, float] | None
    owner_id: str
    channel_id: str
    stale_days: int
    change_pct: float | None
    change_baseline: float | None
    source: KpiSource
    pull_url: str | None = None
    header: tuple[str, str] | None = None  # None with keep_header: the stored one stays
    keep_header: bool = False
    pull_path: str | None = None
    pull_every: int | None = None  # minutes


def on_target(kpi: Kpi, value: float) -> bool | None:
    """None when the KPI has neither a target nor a band."""
    if kpi.band_low is not None and kpi.band_high is not None:
        return kpi.band_low <= value <= kpi.band_high
    if kpi.target is None:
        return None
    return value >= kpi.target if kpi.direction is Direction.HIGHER else value <= kpi.target


async def get(session: AsyncSession, team_id: str, key: str) -> Kpi:
    kpi = await session.scalar(select(Kpi).where(Kpi.team_id == team_id, Kpi.key == key))
    if kpi is None:
        raise NotFound(f"There is no KPI with the key `{mrkdwn(key)}`. `/kpi` lists them.")
    return kpi


async def key_like(session: AsyncSession, team_id: str, key: str) -> str | None:
    """The workspace's KPI key one edit from `key` (bot/typos.py), for a did-you-mean."""
    keys = (await session.scalars(select(Kpi.key).where(Kpi.team_id == team_id).order_by(Kpi.key))).all()
    return next((k for k in keys if one_edit(key, k) is not None), None)


async def listed(session: AsyncSession, team_id: str) -> list[Kpi]:
    return list((await session.scalars(select(Kpi).where(Kpi.team_id == team_id).order_by(Kpi.key))).all())


def _taken(key: str) -> UserError:
    return UserError(f"There is already a KPI with the key `{key}`; pick another.", field="key")


async def _flush_key(session: AsyncSession, key: str) -> None:
    """The flush that writes a key: another request that took the same key meanwhile (a double
    click, a replica; PostgreSQL runs them side by side) is the same refusal as one found before."""
    try:
        await session.flush()
    except IntegrityError:
        raise _taken(key) from None


async def create(session: AsyncSession, team_id: str, d: Definition, actor: str, now: datetime) -> Kpi:
    if await session.scalar(select(Kpi.id).where(Kpi.team_id == team_id, Kpi.key == d.key)) is not None:
        raise _taken(d.key)
    kpi = Kpi(team_id=team_id, key=d.key, created_by=actor)
    _apply(kpi, d, now)
    session.add(kpi)
    await _flush_key(session, d.key)
    return kpi


async def update_definition(session: AsyncSession, kpi: Kpi, d: Definition, now: datetime) -> None:
    if d.key != kpi.key and await session.scalar(select(Kpi.id).where(Kpi.team_id == kpi.team_id,
                                                                       Kpi.key == d.key)) is not None:
        raise _taken(d.key)
    kpi.key = d.key
    _apply(kpi, d, now)
    await _flush_key(session, d.key)


def _apply(kpi: Kpi, d: Definition, now: datetime) -> None:
    kpi.name, kpi.unit, kpi.direction, kpi.target = d.name, d.unit, d.direction, d.target
    kpi.band_low, kpi.band_high = d.band if d.band else (None, None)
    kpi.owner_id, kpi.channel_id, kpi.stale_days = d.owner_id, d.channel_id, d.stale_days
    kpi.change_pct, kpi.change_baseline = d.change_pct, d.change_baseline
    pulled = d.source is KpiSource.HTTP
    moved = (kpi.source, kpi.pull_url, kpi.pull_every) != (d.source, d.pull_url, d.pull_every)
    kpi.source = d.source
    kpi.pull_url, kpi.pull_path, kpi.pull_every = (d.pull_url, d.pull_path, d.pull_every) if pulled else (None, None, None)
    if not pulled:
        kpi.pull_header_name = kpi.pull_header_value = None
    elif not d.keep_header:
        kpi.pull_header_name, kpi.pull_header_value = d.header if d.header else (None, None)
    if moved:  # a new source is pulled at the next minute, and its failures start a new streak
        kpi.next_pull_at = now if pulled else None
        kpi.failing_since = kpi.failing_reason = None


async def remove(session: AsyncSession, kpi: Kpi) -> int:
    count = await session.scalar(select(func.count()).where(KpiValue.kpi_id == kpi.id)) or 0
    await session.execute(delete(Kpi).where(Kpi.id == kpi.id))
    return count


def new_token() -> tuple[str, str]:
    """A push token and its hash (only the hash is stored; the token is shown once)."""
    token = "kpi_" + secrets.token_urlsafe(24)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def by_token(session: AsyncSession, key: str, token: str) -> Kpi | None:
    """The KPI a push is for: its key and its token must both match."""
    kpi = await session.scalar(select(Kpi).where(Kpi.push_token_hash == token_hash(token)))
    if kpi is None or not secrets.compare_digest(kpi.key, key):
        return None
    return kpi


# -- values -----------------------------------------------------------------------------------------

async def recent(session: AsyncSession, kpi_ids: list[int], n: int = SPARK_POINTS) -> dict[int, list[KpiValue]]:
    """The last `n` values of each KPI, oldest first. One statement per 100 KPIs: a UNION ALL of
    one `ORDER BY at DESC LIMIT n` per KPI, each served by ix_kpi_values_kpi_id_at, so a KPI
    with years of hourly values costs what one with a dozen does (a window over kpi_id would
    rank every value of every KPI on each `/kpi`)."""
    found: dict[int, list[KpiValue]] = defaultdict(list)
    for i in range(0, len(kpi_ids), 100):
        latest = [select(KpiValue.id).where(KpiValue.kpi_id == kpi_id)
                  .order_by(KpiValue.at.desc(), KpiValue.id.desc()).limit(n).subquery()
                  for kpi_id in kpi_ids[i:i + 100]]
        ids = union_all(*(select(sub.c.id) for sub in latest))
        for row in (await session.scalars(select(KpiValue).where(KpiValue.id.in_(ids)))).all():
            found[row.kpi_id].append(row)
    return {k: sorted(v, key=lambda r: (r.at, r.id)) for k, v in found.items()}


@dataclass(frozen=True)
class Point:
    at: datetime
    value: float


UNION_TERMS = 200  # subqueries per UNION ALL statement: under SQLite's 500 terms and 999 parameters


@lru_cache(maxsize=32)
def _as_of_sql(terms: int, bounded: bool) -> TextClause:
    """`terms` indexed LIMIT 1 probes in one UNION ALL, as SQL text built once per size: the
    ORM's construction and cache key of a 200-subquery select cost ~0.4 ms a subquery, ten
    times what the database spends on each probe."""
    after = " AND at > :after" if bounded else ""
    sql = " UNION ALL ".join(
        f"SELECT n, at, value FROM (SELECT {n} AS n, at, value FROM kpi_values WHERE kpi_id = :k{n} "
        f"AND at <= :t{n}{after} ORDER BY at DESC, id DESC LIMIT 1) AS s{n}" for n in range(terms))
    binds = [bindparam(f"k{n}", type_=Integer()) for n in range(terms)]
    binds += [bindparam(f"t{n}", type_=UTCDateTime()) for n in range(terms)]
    if bounded:
        binds.append(bindparam("after", type_=UTCDateTime()))
    return text(sql).bindparams(*binds).columns(column("n", Integer()), column("at", UTCDateTime()),
                                                column("value", Float()))


@lru_cache(maxsize=32)
def _first_sql(terms: int) -> TextClause:
    """The first values of `terms` KPIs in (start, end], `:most` each, in one UNION ALL."""
    sql = " UNION ALL ".join(
        f"SELECT kpi_id, at, value, id FROM (SELECT kpi_id, at, value, id FROM kpi_values WHERE kpi_id = :k{n} "
        f"AND at > :start AND at <= :end ORDER BY at, id LIMIT :most) AS s{n}" for n in range(terms))
    binds = [bindparam(f"k{n}", type_=Integer()) for n in range(terms)]
    binds += [bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime()),
              bindparam("most", type_=Integer())]
    return text(sql).bindparams(*binds).columns(column("kpi_id", Integer()), column("at", UTCDateTime()),
                                                column("value", Float()), column("id", Integer()))


async def as_of(session: AsyncSession, asks: Sequence[tuple[int, datetime]],
                after: datetime | None = None) -> list[Point | None]:
    """For each (KPI, instant) asked, its last value at or before the instant (and after
    `after`, when given), None when it has none: one `ORDER BY at DESC LIMIT 1` per pair on
    ix_kpi_values_kpi_id_at, UNION ALL'd, so it costs the same on a year of hourly values as on
    a week of daily ones."""
    found: list[Point | None] = [None] * len(asks)
    for i in range(0, len(asks), UNION_TERMS):
        chunk = asks[i:i + UNION_TERMS]
        params: dict[str, object] = {f"k{n}": kpi_id for n, (kpi_id, _) in enumerate(chunk)}
        params |= {f"t{n}": at for n, (_, at) in enumerate(chunk)}
        if after is not None:
            params["after"] = after
        for n, at, value in (await session.execute(_as_of_sql(len(chunk), after is not None), params)).all():
            found[i + int(n)] = Point(_aware(at), float(value))
    return found


async def series(session: AsyncSession, kpi_ids: Sequence[int], start: datetime, end: datetime,
                 points: int) -> dict[int, list[Point]]:
    """Each KPI's values in (start, end], oldest first, at most `points` of them: all of them
    when there are no more (one `LIMIT points + 1` per KPI), else the value as of `points`
    evenly spaced instants (the last is `end`), each an indexed LIMIT 1 (`as_of`), so a
    year of hourly values is never read whole."""
    found: dict[int, list[Point]] = {kpi_id: [] for kpi_id in kpi_ids}
    for i in range(0, len(kpi_ids), UNION_TERMS):
        chunk = kpi_ids[i:i + UNION_TERMS]
        params: dict[str, object] = {f"k{n}": kpi_id for n, kpi_id in enumerate(chunk)}
        params |= {"start": start, "end": end, "most": points + 1}
        rows = (await session.execute(_first_sql(len(chunk)), params)).all()
        for kpi_id, at, value, _ in sorted(rows, key=lambda r: (r[0], _aware(r[1]), r[3])):
            found[kpi_id].append(Point(_aware(at), float(value)))
    many = [kpi_id for kpi_id, got in found.items() if len(got) > points]
    step = (end - start) / points
    instants = [start + step * (n + 1) for n in range(points - 1)] + [end]
    sampled = await as_of(session, [(kpi_id, at) for kpi_id in many for at in instants], after=start)
    for n, kpi_id in enumerate(many):
        kept: list[Point] = []
        for point in sampled[n * points:(n + 1) * points]:
            if point is not None and (not kept or kept[-1].at != point.at):
                kept.append(point)
        found[kpi_id] = kept
    return found


async def history(session: AsyncSession, kpi: Kpi, since: datetime) -> list[KpiValue]:
    return list((await session.scalars(select(KpiValue).where(KpiValue.kpi_id == kpi.id, KpiValue.at >= since)
                                       .order_by(KpiValue.at, KpiValue.id))).all())


@dataclass(frozen=True)
class Recorded:
    value: KpiValue
    notices: list[Notice]  # stored with the value; sent after the commit


async def record(session: AsyncSession, kpi: Kpi, value: float, at: datetime, source: str, by: str | None,
                 now: datetime) -> Recorded:
    """Store a value and decide its nudges: crossing to the wrong side of the target (or back),
    and a sharp move, each once (keyed by this value). A value dated before the latest one is
    history: it changes no status and nudges nobody."""
    # Values of one KPI are recorded one at a time (the KPI's row locked on PostgreSQL; SQLite
    # has one writer): ten simultaneous values crossing the target see each other, and the
    # crossing is said once, not once per value.
    await session.execute(select(Kpi.id).where(Kpi.id == kpi.id).with_for_update())
    latest = await session.scalar(select(KpiValue).where(KpiValue.kpi_id == kpi.id)
                                  .order_by(KpiValue.at.desc(), KpiValue.id.desc()).limit(1))
    row = KpiValue(kpi_id=kpi.id, team_id=kpi.team_id, at=at, value=value, source=source, by=by, recorded_at=now)
    session.add(row)
    if source == "pull":
        kpi.failing_since = kpi.failing_reason = None
    await session.flush()
    if latest is not None and _aware(at) < _aware(latest.at):
        return Recorded(row, [])
    kpi.stale_at = _stale_from(kpi, at)
    notices: list[Notice] = []
    now_on = on_target(kpi, value)
    was_on = on_target(kpi, latest.value) if latest is not None else None
    if now_on is not None and (latest is None and now_on is False or (was_on is not None and now_on != was_on)):
        kind = ON_TARGET_KIND if now_on else OFF_TARGET_KIND
        notices.append(_notice(kpi, kind, f"value:{row.id}", kpi.channel_id,
                               f"{'back on' if now_on else 'off'} target", row, latest))
    if latest is not None and kpi.change_pct is not None and latest.value != 0:
        moved = abs(value - latest.value) / abs(latest.value) * 100
        if moved > kpi.change_pct and abs(latest.value) >= (kpi.change_baseline or 0):
            notices.append(_notice(kpi, CHANGE_KIND, f"value:{row.id}", kpi.channel_id, "sharp change", row, latest))
    await session.flush()
    return Recorded(row, notices)


async def record_history(session: AsyncSession, kpi: Kpi, at: datetime, value: float, source: str,
                         now: datetime) -> KpiValue:
    """A value for the past, as history: no status change, nobody nudged (a working agreement's
    backfill, a past day recomputed). The KPI goes stale from its latest value, as `record` says."""
    row = KpiValue(kpi_id=kpi.id, team_id=kpi.team_id, at=at, value=value, source=source, by=None, recorded_at=now)
    session.add(row)
    await session.flush()
    if kpi.stale_at is None or _aware(kpi.stale_at) < _aware(at) + timedelta(days=kpi.stale_days):
        kpi.stale_at = _stale_from(kpi, at)
    return row


def _stale_from(kpi: Kpi, at: datetime) -> datetime | None:
    """When the KPI goes stale after a value at `at`. Never for a built-in one (a working
    agreement): a day with nothing to measure stores no value, and nobody could log one."""
    return None if kpi.source is KpiSource.BUILTIN else _aware(at) + timedelta(days=kpi.stale_days)


def _notice(kpi: Kpi, kind: str, period: str, to: str, what: str, row: KpiValue, previous: KpiValue | None) -> Notice:
    return Notice(kpi.team_id, kind, f"kpi:{kpi.id}", period, to, f"KPI {kpi.key} in {kpi.team_id}: {what}",
                  {"k": kpi.id, "v": row.value, "p": previous.value if previous is not None else None})


async def record_failure(session: AsyncSession, kpi: Kpi, reason: str, now: datetime) -> Notice | None:
    """A failed pull, kept with why; the first of a streak tells the owner (one DM per streak)."""
    session.add(KpiPull(kpi_id=kpi.id, team_id=kpi.team_id, at=now, reason=reason[:2000]))
    first = kpi.failing_since is None
    if first:
        kpi.failing_since = now
    kpi.failing_reason = reason[:255]
    await session.flush()
    if not first:
        return None
    return Notice(kpi.team_id, FAILING_KIND, f"kpi:{kpi.id}", failing_period(now), kpi.owner_id,
                  f"KPI {kpi.key} in {kpi.team_id}: pulls failing", {"k": kpi.id})


def failing_period(since: datetime) -> str:
    """A failing streak's notice period: the instant it began."""
    return f"failing:{_aware(since).isoformat()}"


def stale_notice(kpi: Kpi) -> Notice:
    assert kpi.stale_at is not None
    return Notice(kpi.team_id, STALE_KIND, f"kpi:{kpi.id}", f"stale:{_aware(kpi.stale_at).isoformat()}", kpi.owner_id,
                  f"KPI {kpi.key} in {kpi.team_id}: stale", {"k": kpi.id})


def is_stale(kpi: Kpi, latest: KpiValue | Point | None, now: datetime | None = None) -> bool:
    now = now or clock.now()
    return (kpi.source is not KpiSource.BUILTIN and latest is not None
            and now - _aware(latest.at) > timedelta(days=kpi.stale_days))


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


async def set_token(session: AsyncSession, kpi: Kpi) -> str:
    token, hashed = new_token()
    kpi.push_token_hash = hashed
    await session.flush()
    return token


async def owners_left(session: AsyncSession, team_id: str, user_id: str) -> None:
    """A KPI owner left the workspace: their KPIs go to whoever defined each (nudges need someone),
    and the DMs about them still waiting for the one who left (held for their working hours, or
    to be retried) go to the new owner: the notifier drops a DM to someone who left."""
    handed = (await session.execute(select(Kpi.id, Kpi.created_by).where(
        Kpi.team_id == team_id, Kpi.owner_id == user_id, Kpi.created_by != user_id))).all()
    await session.execute(update(Kpi).where(Kpi.team_id == team_id, Kpi.owner_id == user_id,
                                            Kpi.created_by != user_id)
                          .values(owner_id=Kpi.created_by).execution_options(synchronize_session=False))
    for kpi_id, definer in handed:
        await session.execute(update(Delivery).where(
            Delivery.team_id == team_id, Delivery.kind.in_((STALE_KIND, FAILING_KIND)), Delivery.key == f"kpi:{kpi_id}",
            Delivery.recipient == user_id, Delivery.status.in_((DeliveryStatus.HELD, DeliveryStatus.FAILED)))
            .values(recipient=definer).execution_options(synchronize_session=False))



# -- the launches a KPI is watched for (`/kpi link`) ---------------------------------------------------

async def link(session: AsyncSession, kpi: Kpi, launch: Launch, actor: str) -> bool:
    """True when this linked them; False when they already were (the unique (kpi, launch) pair
    decides, so a double click or two replicas link once)."""
    return await insert_ignore(session, KpiLaunch, team_id=kpi.team_id, kpi_id=kpi.id, launch_id=launch.id,
                               linked_by=actor, linked_at=clock.now())


async def unlink(session: AsyncSession, kpi: Kpi, launch: Launch) -> bool:
    """True when this removed the link; False when there was none."""
    result = await session.execute(delete(KpiLaunch).where(
        KpiLaunch.team_id == kpi.team_id, KpiLaunch.kpi_id == kpi.id, KpiLaunch.launch_id == launch.id))
    return bool(result.rowcount)


async def linked(session: AsyncSession, kpi: Kpi) -> list[Launch]:
    """Every launch linked to the KPI, cancelled ones too (so they can be seen and unlinked), by day."""
    return list((await session.scalars(
        select(Launch).join(KpiLaunch, KpiLaunch.launch_id == Launch.id)
        .where(KpiLaunch.team_id == kpi.team_id, KpiLaunch.kpi_id == kpi.id, Launch.team_id == kpi.team_id)
        .order_by(Launch.launch_date, Launch.name_key, Launch.id))).all())


NAMES_GUESSED = 1000  # a did-you-mean reads at most this many of the workspace's launch names


async def launch_like(session: AsyncSession, team_id: str, name: str) -> str | None:
    """The name of a launch (not cancelled, most recent first) one edit from `name`, case and
    spacing aside (bot/typos.py), for a did-you-mean."""
    typed = name_key(name)
    rows = (await session.execute(select(Launch.name, Launch.name_key).where(
        Launch.team_id == team_id, Launch.cancelled_at.is_(None))
        .order_by(Launch.launch_date.desc(), Launch.id.desc()).limit(NAMES_GUESSED))).all()
    return next((shown for shown, key in rows if one_edit(typed, key) is not None), None)


@dataclass(frozen=True)
class Watched:
    """The launches a KPI marks in a window, and whether they are its linked ones (else every launch)."""

    launches: list[Launch]
    linked: bool


async def launches_for(session: AsyncSession, team_id: str, kpi_ids: Sequence[int], first: date, last: date, *,
                       limit: int | None = None, gone: bool = False) -> dict[int, Watched]:
    """The launches each KPI's chart marks, `/kpi show` names and its digest line says: those in
    [first, last], not cancelled, soonest first (`limit` each at most); the ones linked to it
    when it has links, else every launch of the workspace (launches.service.launches_between,
    read once for all the unlinked KPIs); with `gone`, only launches decided go (the digest says
    what launched, not what was planned). The one query path of all three surfaces."""
    if not kpi_ids:
        return {}
    with_links = set((await session.scalars(
        select(KpiLaunch.kpi_id).join(Launch, Launch.id == KpiLaunch.launch_id)
        .where(KpiLaunch.team_id == team_id, KpiLaunch.kpi_id.in_(kpi_ids), Launch.team_id == team_id)
        .distinct())).all())
    found: dict[int, list[Launch]] = {kpi_id: [] for kpi_id in kpi_ids if kpi_id in with_links}
    if with_links:
        rows = (await session.execute(
            select(KpiLaunch.kpi_id, Launch).join(Launch, Launch.id == KpiLaunch.launch_id)
            .where(KpiLaunch.team_id == team_id, KpiLaunch.kpi_id.in_(with_links), Launch.team_id == team_id,
                   Launch.cancelled_at.is_(None), Launch.launch_date >= first, Launch.launch_date <= last,
                   *([Launch.decision == Decision.GO] if gone else []))
            .order_by(Launch.launch_date, Launch.name_key, Launch.id))).all()
        for kpi_id, launch in rows:
            if limit is None or len(found[kpi_id]) < limit:
                found[kpi_id].append(launch)
    every: list[Launch] = []
    if any(kpi_id not in with_links for kpi_id in kpi_ids):
        every = await launch_service.launches_between(session, team_id, first, last, limit=limit, gone=gone)
    return {kpi_id: Watched(found[kpi_id], True) if kpi_id in with_links else Watched(list(every), False)
            for kpi_id in kpi_ids}
