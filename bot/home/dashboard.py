"""The App Home dashboard: each feature's card for this person, in one view within Slack's
limits (100 blocks and 250 kB; counts and "show more" commands instead of overflow), built in
one read unit of work from the same service functions the commands use (bot/home/cards.py).

`home_view` guarantees the limits whatever the cards hold: a card over its share is cut with
a line naming its command, and lower cards that no longer fit are left out with a line naming
them and their commands, so Slack never refuses the view and nobody gets a blank tab."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block as SdkBlock
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks import Block, context, divider, header, section, text_chars
from bot.help import CommandHelp
from bot.home.cards import CARD_BLOCKS, CARD_CHARS, HomeCard, Viewer

log = logging.getLogger(__name__)

VIEW_BLOCKS = 100  # Slack's limit for a home view: more and views.publish answers invalid_arguments
# views.publish answers `view_too_large` "if the provided view is greater than 250kb" (its method
# reference). Read as 250,000 bytes of the view's JSON as slack_sdk sends it (json.dumps, so
# non-ASCII is \u-escaped: an emoji costs 12 bytes), the widest way it can be counted.
VIEW_BYTES = 250_000
CUT_NOTE_CHARS = 200  # room a card keeps for the line that says it was cut
HEADING_SHOWN = 60  # of a left-out card's heading in the line that names it


@dataclass(frozen=True)
class Drawn:
    """One card as drawn for this viewer, already held to its share."""

    card: HomeCard
    blocks: list[Block]

    @property
    def heading(self) -> str:
        """The card's heading ("*Your launches*"), for the line that says it was left out."""
        text = str((self.blocks[0].get("text") or {}).get("text") or self.card.name) if self.blocks else self.card.name
        return text.split(" · ", 1)[0][:HEADING_SHOWN]


def view_bytes(view: dict[str, Any]) -> int:
    """The view's size as VIEW_BYTES counts it."""
    return len(json.dumps(view).encode())


def valid(blocks: list[Block]) -> str | None:
    """Why Slack would refuse these blocks (slack_sdk's models check each block's and element's
    limits), or None."""
    for i, raw in enumerate(blocks):
        try:
            parsed = SdkBlock.parse(raw)  # type: ignore[arg-type]
            if parsed is None:
                return f"block {i}: unknown type {raw.get('type')!r}"
            parsed.to_dict()
        except (SlackObjectFormationError, KeyError, TypeError, ValueError) as exc:
            return f"block {i}: {exc}"
    return None


def _lines(block: Block) -> int:
    """Rows a section shows (one a line); other blocks show none of the card's rows."""
    text = (block.get("text") or {}).get("text") if block.get("type") == "section" else None
    return len([line for line in str(text).split("\n") if line.strip()]) if text else 0


def _fit(blocks: list[Block], shows_all: str) -> list[Block]:
    """A card held to its share, CARD_BLOCKS blocks and CARD_CHARS characters: cut at a line,
    with one line saying how many lines more there are and the command that shows them all."""
    if len(blocks) <= CARD_BLOCKS and text_chars(blocks) <= CARD_CHARS:
        return blocks
    kept: list[Block] = []
    used, dropped = 0, 0
    for i, block in enumerate(blocks):
        size = text_chars(block)
        if len(kept) < CARD_BLOCKS - 1 and used + size <= CARD_CHARS - CUT_NOTE_CHARS:
            kept.append(block)
            used += size
            continue
        rest = blocks[i:]
        if block.get("type") == "section" and len(kept) < CARD_BLOCKS - 1:
            lines = str(block["text"]["text"]).split("\n")
            room, shown = CARD_CHARS - CUT_NOTE_CHARS - used, []
            for line in lines:
                if len(line) + 1 > room:
                    break
                shown.append(line)
                room -= len(line) + 1
            if shown:
                kept.append({**block, "text": {**block["text"], "text": "\n".join(shown)}})
                dropped -= len([line for line in shown if line.strip()])
        dropped += sum(_lines(b) for b in rest)
        break
    more = f"{dropped} more line{'s' if dropped != 1 else ''}" if dropped > 0 else "more"
    return [*kept, context(f"_…and {more} than fit here: {shows_all} shows them all_")]


async def cards_for(session: AsyncSession, cards: tuple[HomeCard, ...], viewer: Viewer) -> list[Drawn]:
    """Each card's blocks for the viewer; a card that fails, or draws blocks Slack would refuse,
    is logged and left out, so one feature's bug does not blank the dashboard."""
    shown: list[Drawn] = []
    for card in cards:
        if card.managers_only and not viewer.is_manager:
            continue
        try:
            blocks = await card.build(session, viewer)
        except Exception:  # noqa: BLE001 - logged with its stack; the other cards still show
            log.exception("home card %s failed for %s", card.name, viewer.user_id)
            continue
        if not blocks:
            continue
        fitted = _fit(blocks, card.shows_all)
        problem = valid(fitted)
        if problem is not None:
            log.error("home card %s drew blocks Slack would refuse (%s); left out", card.name, problem)
            continue
        shown.append(Drawn(card, fitted))
    return shown


def _left_out(rest: list[Drawn]) -> Block:
    named = ", ".join(f"{d.heading} ({d.card.shows_all})" for d in rest)
    return context(f"_Not shown, the dashboard is full: {named}._")


def _assemble(shown: list[Drawn], rest: list[Drawn], commands: list[CommandHelp], viewer: Viewer,
              quick: list[Block]) -> dict[str, Any]:
    local = viewer.now.astimezone(viewer.zone)
    blocks: list[Block] = [header("ProdOps Bot"),
                           context(f"Your dashboard · {local.strftime('%a %b')} {local.day} {local.strftime('%H:%M')} "
                                   f"({viewer.zone.key}) · it is drawn again each time you open it or act on it"),
                           *quick]
    if not shown and not rest:
        blocks.append(section("Nothing of yours yet. Feedback, launches, standups, KPIs and digests you own or "
                              "take part in show here."))
    for i, drawn in enumerate(shown):
        if i:
            blocks.append(divider())
        blocks.extend(drawn.blocks)
    if rest:
        blocks.append(_left_out(rest))
    names = " · ".join(f"`{c.command}`" for c in commands)
    blocks.append(context(f"Commands: {names} · each answers `help`"
                          + (" · you manage this bot: `/prodops help`" if viewer.is_manager else "")))
    return {"type": "home", "blocks": blocks}


def fits(view: dict[str, Any]) -> bool:
    return len(view["blocks"]) <= VIEW_BLOCKS and view_bytes(view) <= VIEW_BYTES


def home_view(cards: list[Drawn], commands: list[CommandHelp], viewer: Viewer,
              quick: list[Block] | None = None) -> dict[str, Any]:
    """The view with as many cards as fit, in their order; those after are named instead."""
    for count in range(len(cards), -1, -1):
        view = _assemble(cards[:count], cards[count:], commands, viewer, quick or [])
        if fits(view):
            if count < len(cards):
                log.info("home of %s: %d of %d cards fit", viewer.user_id, count, len(cards))
            return view
    # Unreachable with the frame's few blocks; the last word stays a view Slack takes.
    return {"type": "home", "blocks": [header("ProdOps Bot"),
                                       section("Your dashboard is too large to show. `/prodops help` lists the commands.")]}
