"""Building a digest: each included section's part for the period, framed in one message.

Runs inside one read unit of work (no Slack calls): the sections only read. A section that
fails is logged and shown as "could not be built", so one feature's bug does not stop the
digest of the other three."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

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


async def compose(session: AsyncSession, sections: tuple[DigestSection, ...], digest: Digest, end: datetime,
                  *, preview: bool = False) -> Composed:
    period = period_of(digest, end)
    parts: list[tuple[str, Part]] = []
    for section in sections:
        if section.name not in (digest.sections or {}):
            continue
        try:
            part = await section.build(session, period, dict(digest.sections[section.name] or {}))
        except Exception:  # noqa: BLE001 - shown as such in the digest, logged with its stack
            log.exception("digest %s: the %s section could not be built", digest.id, section.name)
            part = Part([context(":warning: This section could not be built this time; the error is logged.")],
                        f"{section.label}: could not be built")
        if part is not None:
            parts.append((section.label, part))
    text, body = blocks.digest_message(blocks.Framed(
        digest.name, period.start, period.end, period.zone,
        blocks.schedule_text(digest.cadence, digest.days, digest.at_minutes, digest.timezone), parts, preview))
    attaches = [part.attach for _, part in parts if part.attach is not None]
    return Composed(text, body, attaches, not parts, period)
