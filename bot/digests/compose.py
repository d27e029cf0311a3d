"""Building a digest: each included section's part for the period, framed in one message.

Runs inside one read unit of work (no Slack calls): the sections only read. A section that
fails is logged and shown as "could not be built", so one feature's bug does not stop the
digest of the other three."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.blocks import Block, context
from bot.digests import blocks, service
from bot.digests.sections import Attach, DigestSection, Part, Period
from models.digest import Cadence, Digest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Composed:
    text: str
    blocks: list[Block]
    attaches: list[Attach]
    empty: bool  # no section had anything to say
    period: Period


def period_of(digest: Digest, end: datetime) -> Period:
    return Period(digest.team_id, digest.channel_id, service.period_start(digest, end), end,
                  clock.zone(digest.timezone), digest.cadence is Cadence.WEEKLY)


Shared = dict[tuple[Any, ...], "Part | None"]  # one tick's parts, by what they were built from


def _key(section: DigestSection, period: Period, found: dict[str, Any]) -> tuple[Any, ...]:
    channel = period.channel_id if section.per_channel(found) else None
    return (section.name, period.team_id, channel, json.dumps(found, sort_keys=True, default=str), period.start,
            period.end, period.zone.key, period.weekly)


async def compose(session: AsyncSession, sections: tuple[DigestSection, ...], digest: Digest, end: datetime,
                  *, preview: bool = False, shared: Shared | None = None) -> Composed:
    """`shared`: the parts already built in this tick, reused when a digest asks for the same
    section, filter, workspace and period (and channel, for a part that depends on it)."""
    period = period_of(digest, end)
    parts: list[tuple[str, Part]] = []
    for section in sections:
        if section.name not in (digest.sections or {}):
            continue
        found = dict(digest.sections[section.name] or {})
        key = _key(section, period, found)
        if shared is not None and key in shared:
            part = shared[key]
        else:
            try:
                part = await section.build(session, period, found)
            except Exception:  # noqa: BLE001 - shown as such in the digest, logged with its stack
                log.exception("digest %s: the %s section could not be built", digest.id, section.name)
                part = Part([context(":warning: This section could not be built this time; the error is logged.")],
                            f"{section.label}: could not be built")
            else:
                if shared is not None:
                    shared[key] = part
        if part is not None:
            parts.append((section.label, part))
    text, body = blocks.digest_message(blocks.Framed(
        digest.name, period.start, period.end, period.zone,
        blocks.schedule_text(digest.cadence, digest.days, digest.at_minutes, digest.timezone), parts, preview,
        [s.label for s in sections if s.name in (digest.sections or {})]))
    attaches = [part.attach for _, part in parts if part.attach is not None]
    return Composed(text, body, attaches, not parts, period)
