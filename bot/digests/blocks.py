"""Block Kit for digests, as pure functions of plain data: the posted digest (the frame around
each feature's part), the setup form, the list and the delete confirmation."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.blocks import Block, context, divider, header, input_block, modal, section, text_chars
from bot.digests.enums import DeleteMeta, DigestView, Field_, SetupMeta
from bot.digests.parsing import days_text, time_text
from bot.digests.sections import MESSAGE_PART_CHARS, PART_BLOCKS, PART_CHARS, Part
from bot.forms import channel_select, checkboxes, radio_buttons, text_input, time_picker, users_select
from bot.standups.parsing import DAY_NAMES
from bot.text import MESSAGE_BLOCKS_MAX, channel_mention, escape, user_mention
from bot.usertext import mrkdwn as user_mrkdwn, plain as user_plain
from models.digest import Cadence, WhenEmpty

LIST_MAX = 40
CUT_NOTE = "_(cut to fit one message: the commands above show the rest)_"


def _name(name: str) -> str:
    return user_mrkdwn(name, public=True, limit=200)


def schedule_text(cadence: Cadence, days: int, minutes: int, timezone: str) -> str:
    when = days_text(days) if cadence is Cadence.DAILY else f"every {DAY_NAMES[days.bit_length() - 1]}"
    return f"{cadence.value}, {when} at {time_text(minutes)} ({timezone})"


def local(moment: datetime, zone: ZoneInfo) -> str:
    at = moment.astimezone(zone)
    return f"{DAY_NAMES[at.weekday()]} {at.strftime('%b')} {at.day} {at.strftime('%H:%M')}"


# -- the posted digest ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Framed:
    name: str  # stored representation
    since: datetime
    until: datetime
    zone: ZoneInfo
    schedule: str  # schedule_text
    parts: list[tuple[str, Part]]  # (label, part), in the sections' order
    preview: bool = False
    included: list[str] = field(default_factory=list)  # labels of the sections the digest has (said when empty)


def _fit(part: Part, room: int = PART_BLOCKS, chars: int = PART_CHARS) -> list[Block]:
    """A part held to its share of the message: `room` blocks and `chars` characters
    (PART_BLOCKS and PART_CHARS, less when five sections share them); what is cut says so."""
    kept: list[Block] = []
    used = 0
    for i, block in enumerate(part.blocks):
        size = text_chars(block)
        last_room = len(kept) == room - 1 and len(part.blocks) > room
        if kept and (used + size > chars or last_room):
            return [*kept, context(CUT_NOTE)]
        kept.append(block)
        used += size
    return kept


def digest_message(f: Framed) -> tuple[str, list[Block]]:
    """The digest: a header, the period, then each part under its label. With no part it is the
    one-line "nothing new" (a digest set to skip empty periods posts nothing instead)."""
    title = user_plain(f.name)
    period = f"Since {local(f.since, f.zone)} · {f.schedule}"
    blocks: list[Block] = [header(f"{':eyes: Preview: ' if f.preview else ''}{title}"), context(period)]
    if not f.parts:
        blocks.append(section(f"Nothing new in {_listed(f.included)} since {local(f.since, f.zone)}."))
        return escape(f"{title}: nothing new since {local(f.since, f.zone)}"), blocks
    # Each part's share of Slack's 50 blocks, after the header, the period, and each part's
    # label and the divider before it: PART_BLOCKS for four parts, fewer for five.
    room = min(PART_BLOCKS, (MESSAGE_BLOCKS_MAX - len(blocks) - 2 * len(f.parts) + 1) // len(f.parts))
    chars = min(PART_CHARS, MESSAGE_PART_CHARS // len(f.parts))
    for i, (label, part) in enumerate(f.parts):
        if i:
            blocks.append(divider())
        blocks.append(section(f"*{label}*"))
        blocks.extend(_fit(part, room, chars))
    # The notification text is mrkdwn too (Slack turns `<!channel>` in it into a ping): the names
    # in it are escaped like every other user text, from the plain lines the parts give.
    text = f"{title}: " + "; ".join(part.text for _, part in f.parts)
    return escape(text[:3000]), blocks[:MESSAGE_BLOCKS_MAX]


def _listed(labels: list[str]) -> str:
    names = [label if label == "KPIs" else label.lower() for label in labels] or ["anything"]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


# -- setup ------------------------------------------------------------------------------------------

CADENCES = [("Daily, on the days checked", Cadence.DAILY.value), ("Weekly, on the one day checked", Cadence.WEEKLY.value)]
WHEN_EMPTY = [("Post one line saying there is nothing new", WhenEmpty.SAY.value),
              ("Post nothing", WhenEmpty.SKIP.value)]


@dataclass(frozen=True)
class SetupDefaults:
    name: str = ""
    channel_id: str | None = None
    cadence: Cadence = Cadence.DAILY
    days: int = 0b0011111
    minutes: int = 9 * 60
    timezone: str = "UTC"
    sections: list[str] = field(default_factory=list)  # checked
    when_empty: WhenEmpty = WhenEmpty.SAY
    owner_id: str | None = None


def setup_modal(d: SetupDefaults, sections: list[tuple[str, str]], filters: list[Block],
                meta: SetupMeta) -> dict[str, Any]:
    """`sections` are (label, name) of every section a feature offers; `filters` their inputs."""
    days = [(name, str(i)) for i, name in enumerate(DAY_NAMES)]
    blocks: list[Block] = [
        input_block(Field_.NAME, "Name", text_input(d.name, max_length=80), hint="e.g. Product weekly"),
        input_block(Field_.CHANNEL, "Channel", channel_select(d.channel_id),
                    hint="The digest posts here. I must be a member: /invite @ProdOps"),
        input_block(Field_.CADENCE, "Cadence", radio_buttons(CADENCES, d.cadence.value)),
        input_block(Field_.DAYS, "Days", checkboxes(days, [str(i) for i in range(7) if d.days >> i & 1]),
                    hint="Weekly: check one day."),
        input_block(Field_.TIME, "Time", time_picker(time_text(d.minutes))),
        input_block(Field_.TIMEZONE, "Time zone", text_input(d.timezone, max_length=64),
                    hint="An IANA name such as Europe/Berlin, America/New_York or UTC."),
        input_block(Field_.SECTIONS, "Sections", checkboxes(sections, d.sections or [n for _, n in sections]),
                    hint="Each section is left out when it has nothing to say; the filters below narrow it."),
        *filters,
        input_block(Field_.WHEN_EMPTY, "When there is nothing new", radio_buttons(WHEN_EMPTY, d.when_empty.value)),
        input_block(Field_.OWNER, "Owner (told when a post fails)", users_select(d.owner_id)),
    ]
    title = "Edit digest" if meta.d else "New digest"
    return modal(DigestView.SETUP, title, blocks[:100], submit="Save", metadata=meta.model_dump_json())


def delete_modal(name: str, meta: DeleteMeta) -> dict[str, Any]:
    body = [section(f":wastebasket: Delete the digest *{user_mrkdwn(name, limit=200)}*?"),
            section("It stops posting. Digests already posted stay in the channel. It can't be undone."),
            context(f"To stop it for a while instead: `/digest pause {user_mrkdwn(name, limit=200)}`.")]
    return modal(DigestView.DELETE, "Delete digest", body, submit="Delete", metadata=meta.model_dump_json())


def already_deleted_modal() -> dict[str, Any]:
    """Not named: the name would come from the form's metadata, which anyone can forge."""
    return {"type": "modal", "title": {"type": "plain_text", "text": "Delete digest"},
            "close": {"type": "plain_text", "text": "Close"},
            "blocks": [section("That digest was already deleted; `/digest list` shows the ones there are.")]}


# -- list -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Listed:
    name: str
    channel_id: str
    owner_id: str
    schedule: str
    sections: list[str]  # "Feedback (tags billing)", …
    paused: bool
    next_at: datetime | None
    last_posted_at: datetime | None
    failing: str | None
    zone: ZoneInfo


def list_blocks(rows: list[Listed]) -> list[Block]:
    if not rows:
        return [section("No digests yet. `/digest setup` creates one for this channel (ops admins).")]
    blocks: list[Block] = []
    for row in rows[:LIST_MAX]:
        state = (":double_vertical_bar: paused" if row.paused else
                 f"next {local(row.next_at, row.zone)}" if row.next_at is not None else "no day chosen")
        last = f" · last posted {local(row.last_posted_at, row.zone)}" if row.last_posted_at else ""
        failing = f"\n:warning: the last post failed: `{row.failing}`" if row.failing else ""
        blocks.append(section(
            f"*{_name(row.name)}* in {channel_mention(row.channel_id)} · {row.schedule}\n"
            f"{', '.join(row.sections) or 'no sections'} · owner {user_mention(row.owner_id)}\n"
            f"{state}{last}{failing}"))
    if len(rows) > LIST_MAX:
        blocks.append(context(f"and {len(rows) - LIST_MAX} more"))
    blocks.append(context("`/digest preview <name>` shows one now; `/digest edit|pause|resume|delete <name>`."))
    return blocks
