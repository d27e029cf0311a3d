"""The App Home dashboard: each feature's card for this person, in one view within Slack's
limits (100 blocks; counts and "show more" commands instead of overflow), built in one read
unit of work from the same service functions the commands use (bot/home/cards.py)."""
from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks import Block, context, divider, header, section, text_chars
from bot.help import CommandHelp
from bot.home.cards import CARD_BLOCKS, CARD_CHARS, HomeCard, Viewer

log = logging.getLogger(__name__)

VIEW_BLOCKS = 100  # Slack's limit for a home view
FRAME_BLOCKS = 6  # the header, the context line, two of quick actions, the commands line and one "cut" note


def _fit(blocks: list[Block]) -> list[Block]:
    """A card held to its share: CARD_BLOCKS blocks and CARD_CHARS characters."""
    kept: list[Block] = []
    used = 0
    for block in blocks:
        used += text_chars(block)
        if kept and (used > CARD_CHARS or len(kept) == CARD_BLOCKS - 1 and len(blocks) > CARD_BLOCKS):
            return [*kept, context("_(more than fits here: the card's command shows the rest)_")]
        kept.append(block)
    return kept


async def cards_for(session: AsyncSession, cards: tuple[HomeCard, ...], viewer: Viewer) -> list[list[Block]]:
    """Each card's blocks for the viewer; a card that fails is logged and left out, so one
    feature's bug does not blank the dashboard."""
    shown: list[list[Block]] = []
    for card in cards:
        if card.managers_only and not viewer.is_manager:
            continue
        try:
            blocks = await card.build(session, viewer)
        except Exception:  # noqa: BLE001 - logged with its stack; the other cards still show
            log.exception("home card %s failed for %s", card.name, viewer.user_id)
            continue
        if blocks:
            shown.append(_fit(blocks))
    return shown


def home_view(cards: list[list[Block]], commands: list[CommandHelp], viewer: Viewer,
              quick: list[Block] | None = None) -> dict[str, Any]:
    local = viewer.now.astimezone(viewer.zone)
    blocks: list[Block] = [header("ProdOps Bot"),
                           context(f"Your dashboard · {local.strftime('%a %b')} {local.day} {local.strftime('%H:%M')} "
                                   f"({viewer.zone.key}) · it is drawn again each time you open it or act on it"),
                           *(quick or [])]
    if not cards:
        blocks.append(section("Nothing of yours yet. Feedback, launches, standups, KPIs and digests you own or "
                              "take part in show here."))
    room = VIEW_BLOCKS - FRAME_BLOCKS
    for i, card in enumerate(cards):
        needed = len(card) + (1 if i else 0)
        if needed > room - len(blocks) + 2:
            blocks.append(context(f"_{len(cards) - i} more cards than fit: `/prodops help` lists the commands._"))
            break
        if i:
            blocks.append(divider())
        blocks.extend(card)
    names = " · ".join(f"`{c.command}`" for c in commands)
    blocks.append(context(f"Commands: {names} · each answers `help`"
                          + (" · you manage this bot: `/prodops help`" if viewer.is_manager else "")))
    return {"type": "home", "blocks": blocks[:VIEW_BLOCKS]}
