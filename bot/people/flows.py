"""Keeping people fresh from Slack: on demand (`ensure_people`) and by a periodic sweep.

No Slack call runs inside a transaction (docs/architecture.md): each flow reads in one unit of
work, commits, asks `users.info`, then writes what Slack said in a new unit of work. The
`user_change` event (handlers/people.py) keeps most records fresh without any call at all.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.people.directory import (LeaveHook, PersonInfo, get_people, mark_checked, needing_refresh, record_gone,
                                  record_user)
from models.base import utcnow

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(days=3)  # ensure_people asks Slack again about a record older than this
REFRESH_AFTER = timedelta(days=1)  # the sweeper re-checks people nobody has checked for this long
REFRESH_BATCH = 50  # people per sweep: users.info is Tier 4, and the sweep shares it with requests
REFRESH_SECONDS = 600
LOOKUPS_AT_ONCE = 5
GONE_ERRORS = frozenset({"user_not_found"})  # Slack's answer for a user who no longer exists


@dataclass(frozen=True)
class Answer:
    user: dict[str, Any] | None = None  # what users.info returned
    gone: bool = False  # Slack does not know the user any more
    error: str = ""  # Slack could not say this time: keep the record as it is


def leave_hooks(rt: "Runtime") -> list[LeaveHook]:
    """Every feature's hand-over for a person who leaves (Feature.on_leave)."""
    return [hook for feature in rt.features for hook in feature.on_leave]


async def look_up(client: AsyncWebClient, user_id: str) -> Answer:
    try:
        response = await client.users_info(user=user_id)
    except SlackApiError as exc:
        error = str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
        if error in GONE_ERRORS:
            return Answer(gone=True)
        log.warning("users.info %s failed: %s", user_id, error)
        return Answer(error=error)
    except Exception as exc:  # timeouts, connection errors
        log.warning("users.info %s failed: %s", user_id, type(exc).__name__)
        return Answer(error=type(exc).__name__)
    user = response.get("user")
    if not isinstance(user, dict) or not user.get("id"):
        return Answer(error="no user in the answer")
    return Answer(user=user)


async def look_up_all(client: AsyncWebClient, user_ids: Sequence[str]) -> list[Answer]:
    """users.info for each id, a few at a time, answers in the order asked."""
    gate = asyncio.Semaphore(LOOKUPS_AT_ONCE)

    async def one(user_id: str) -> Answer:
        async with gate:
            return await look_up(client, user_id)

    return list(await asyncio.gather(*(one(u) for u in user_ids)))


async def _write(rt: "Runtime", answers: Iterable[tuple[str, str, Answer]],
                 now: datetime) -> dict[tuple[str, str], PersonInfo]:
    """Record what Slack said, one savepoint per person (one person's failing hook loses only theirs)."""
    hooks = leave_hooks(rt)
    written: dict[tuple[str, str], PersonInfo] = {}
    async with rt.db.unit_of_work() as session:
        for team_id, user_id, answer in answers:
            try:
                async with session.begin_nested():
                    if answer.user is not None:
                        user = {**answer.user, "id": user_id}  # the record we asked about, whatever id Slack echoes
                        written[(team_id, user_id)] = (await record_user(session, team_id, user, now=now,
                                                                         on_leave=hooks)).person
                    elif answer.gone:
                        written[(team_id, user_id)] = (await record_gone(session, team_id, user_id, now=now,
                                                                         on_leave=hooks)).person
                    else:
                        await mark_checked(session, team_id, user_id, now=now)
            except Exception:
                log.exception("recording person %s in %s failed", user_id, team_id)
    return written


async def ensure_people(rt: "Runtime", team_id: str, user_ids: Iterable[str], *,
                        now: datetime | None = None) -> dict[str, PersonInfo]:
    """The people of `team_id` among `user_ids`, looked up with Slack only when unknown or stale.

    Reads first and commits; then `users.info` for the unknown and the stale (never for someone
    already recorded as gone: the `user_change` event says when they come back); then writes.
    Whom Slack could not describe this time is returned as last known, or left out if unknown.
    Call it from after-commit work or a job, never inside a request's transaction."""
    now = now or utcnow()
    wanted = [u for u in dict.fromkeys(user_ids) if u]
    async with rt.db.reading() as session:  # beside the writer: most calls only read
        people = await get_people(session, team_id, wanted)
    stale = now - STALE_AFTER
    ask = [u for u in wanted if u not in people or (not people[u].deleted and people[u].refreshed_at < stale)]
    if not ask:
        return people
    answers = await look_up_all(rt.client, ask)
    written = await _write(rt, [(team_id, u, a) for u, a in zip(ask, answers)], now)
    people.update({user_id: person for (_, user_id), person in written.items()})
    return people


async def refresh_people(rt: "Runtime", *, now: datetime | None = None, batch: int = REFRESH_BATCH) -> int:
    """One sweep: the `batch` people least recently checked (and not checked for REFRESH_AFTER),
    looked up again; Slack's user_not_found marks a person gone. Returns how many were asked about."""
    now = now or utcnow()
    async with rt.db.unit_of_work() as session:
        wanted = [pair for feature in rt.features for hook in feature.people_wanted
                  for pair in await hook(session, batch)]
        due = await needing_refresh(session, checked_before=now - REFRESH_AFTER, limit=batch)
    due = list(dict.fromkeys([*wanted[:batch], *due]))[:batch]
    if not due:
        return 0
    answers = await look_up_all(rt.client, [user_id for _, user_id in due])
    await _write(rt, [(team_id, user_id, a) for (team_id, user_id), a in zip(due, answers)], now)
    log.info("refreshed %d people", len(due))
    return len(due)
