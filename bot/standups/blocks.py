"""Block Kit for standups, as pure functions of plain data: the setup and answer forms, the
prompt and reminder DMs, the posted answers, the day's summary, the list and the stats.

People are shown by their display name in channel posts (a summary that @-mentioned everyone
missing would ping them all); user text goes through `usertext.mrkdwn` (public in channels),
split over several sections when it is longer than one block holds, never cut inside an escape.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.blocks import Block, actions, button, context, header, input_block, modal, section
from bot.forms import (channel_select, checkboxes, multi_users_select, radio_buttons, text_input, time_picker,
                       users_select)
from bot.standups.enums import DayRef, DeleteMeta, Field_, SetupMeta, StandupAction, StandupView, answer_field
from bot.standups.parsing import ANSWER_MAX, DAY_NAMES, DEFAULT_QUESTIONS, days_text, time_text
from bot.text import MESSAGE_BLOCKS_MAX, SECTION_TEXT_MAX, channel_mention, user_mention
from bot.usertext import mrkdwn as user_mrkdwn, mrkdwn_chunks, plain as user_plain
from models.standup import PostMode

LIST_MAX = 40  # standups, or people, listed before "and N more"
# Slack refuses messages whose blocks pass about 13,000 characters (msg_blocks_too_long): an
# answer post keeps its section text under this.
MESSAGE_CHARS_BUDGET = 11_000
NAMES_TEXT_MAX = 2500


def day_label(day: date) -> str:
    return f"{DAY_NAMES[day.weekday()]} {day.strftime('%b')} {day.day}"


def counted(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _name(name: str, limit: int = 200) -> str:
    return user_mrkdwn(name, public=True, limit=limit)


def _names(names: list[str]) -> str:
    """Display names joined for a channel, whole names only, and how many did not fit."""
    shown: list[str] = []
    for i, name in enumerate(names):
        candidate = ", ".join([*shown, _name(name, 80)])
        if len(candidate) > NAMES_TEXT_MAX or i >= LIST_MAX:
            return ", ".join(shown) + f" and {len(names) - i} more"
        shown.append(_name(name, 80))
    return ", ".join(shown)


# -- setup ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SetupDefaults:
    name: str = ""
    channel_id: str | None = None
    members: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=lambda: list(DEFAULT_QUESTIONS))
    days: int = 0b0011111
    prompt: int = 9 * 60 + 30
    deadline: int = 11 * 60
    mode: PostMode = PostMode.EACH
    owner_id: str | None = None


MODES = [("Post each answer as it arrives", PostMode.EACH.value),
         ("One summary at the deadline, answers in its thread", PostMode.SUMMARY.value)]


def setup_modal(d: SetupDefaults, meta: SetupMeta) -> dict[str, Any]:
    questions = text_input(multiline=True, max_length=1000)
    if d.questions:  # stored representation: shown as the characters typed
        questions["initial_value"] = "\n".join(user_plain(q) for q in d.questions)[:1000]
    days = [(name, str(i)) for i, name in enumerate(DAY_NAMES)]
    blocks = [
        input_block(Field_.NAME, "Name", text_input(d.name, max_length=80), hint="e.g. Mobile team"),
        input_block(Field_.CHANNEL, "Report channel", channel_select(d.channel_id),
                    hint="Answers and the summary go here. I must be a member: /invite @ProdOps"),
        input_block(Field_.MEMBERS, "Participants", multi_users_select(d.members)),
        input_block(Field_.QUESTIONS, "Questions, one per line (1 to 6)", questions,
                    hint="A question that mentions blocking (\"Anything blocking you?\") collects blockers."),
        input_block(Field_.DAYS, "Days", checkboxes(days, [str(i) for i in range(7) if d.days >> i & 1])),
        input_block(Field_.PROMPT, "Prompt time (each participant's own time zone)", time_picker(time_text(d.prompt))),
        input_block(Field_.DEADLINE, "Deadline (each participant's own time zone)", time_picker(time_text(d.deadline)),
                    hint="Those who have not answered are reminded an hour before; the summary goes up "
                         "once the deadline has passed for everyone."),
        input_block(Field_.MODE, "Posting", radio_buttons(MODES, d.mode.value)),
        input_block(Field_.OWNER, "Owner (told about blockers)", users_select(d.owner_id)),
    ]
    title = "Edit standup" if meta.s else "New standup"
    return modal(StandupView.SETUP, title, blocks, submit="Save", metadata=meta.model_dump_json())


def delete_modal(name: str, answers: int, meta: DeleteMeta) -> dict[str, Any]:
    body = [section(f":wastebasket: Delete the standup *{user_mrkdwn(name, limit=200)}*?"),
            section(f"This removes its setup and its {counted(answers, 'stored answer')} with their blockers. "
                    "Messages already posted stay in the channel. It can't be undone."),
            context(f"To stop it for a while instead: `/standup pause {user_mrkdwn(name, limit=200)}`.")]
    return modal(StandupView.DELETE, "Delete standup", body, submit="Delete", metadata=meta.model_dump_json())


# -- answering --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AnswerForm:
    standup_id: int
    name: str
    day: date
    questions: list[str]
    current: list[str] | None  # this day's answers, when editing
    hints: list[str] | None  # the previous day's answers
    blocker_index: int | None
    open_blocker: str | None  # carried into the blocker question until cleared
    late: bool


def answer_modal(f: AnswerForm) -> dict[str, Any]:
    blocks: list[Block] = [context(f"*{user_mrkdwn(f.name, limit=200)}* · {day_label(f.day)}"
                                   + (" · :hourglass: after the deadline: posted marked late" if f.late else ""))]
    for i, question in enumerate(f.questions):
        initial = None
        if f.current is not None and i < len(f.current):
            initial = f.current[i]
        elif i == f.blocker_index and f.open_blocker:
            initial = f.open_blocker
        hint = f.hints[i] if f.hints and i < len(f.hints) and f.hints[i] else None
        element = text_input(initial, multiline=True, max_length=ANSWER_MAX,
                             placeholder=f"Last time: {user_plain(hint)}" if hint else None)
        note = ("Still blocked? Keep it; write \"none\" once it's cleared." if i == f.blocker_index and f.open_blocker
                else None)
        blocks.append(input_block(answer_field(i), user_plain(question)[:2000], element, optional=True, hint=note))
    meta = DayRef(s=f.standup_id, d=f.day.isoformat()).model_dump_json()
    title = "Edit standup" if f.current is not None else "Standup"
    return modal(StandupView.ANSWER, title, blocks, submit="Post" if f.current is None else "Save",
                 metadata=meta)


def saved_modal(message: str) -> dict[str, Any]:
    """What the answer form turns into once saved (no DM, no noise: the form says it)."""
    view = modal(StandupView.ANSWER, "Standup", [section(f":white_check_mark: {message}")])
    view.pop("submit")
    view["close"] = {"type": "plain_text", "text": "Done"}
    return view


def already_deleted_modal(name: str) -> dict[str, Any]:
    view = modal(StandupView.DELETE, "Delete standup", [section(f"*{user_mrkdwn(name, limit=200)}* was already deleted.")])
    view.pop("submit")
    return view


def fill_button(standup_id: int, day: date, label: str = "Fill in standup") -> dict[str, Any]:
    return button(label, StandupAction.FILL, DayRef(s=standup_id, d=day.isoformat()).model_dump_json(),
                  style="primary")


def prompt_message(standup_id: int, name: str, day: date, deadline: str, *, reminder: bool) -> tuple[str, list[Block]]:
    """The DM: one button; the deadline in the person's own time."""
    shown = user_mrkdwn(name, limit=200)
    if reminder:
        text = f"Reminder: your {user_plain(name)} standup for {day_label(day)} is due at {deadline}."
        lead = f":alarm_clock: Your *{shown}* standup for {day_label(day)} is due at *{deadline}*."
    else:
        text = f"Time for your {user_plain(name)} standup ({day_label(day)})."
        lead = f":wave: Time for your *{shown}* standup for {day_label(day)}. Due by *{deadline}*."
    return text, [section(lead), actions(fill_button(standup_id, day))]


def choose_standup(choices: list[tuple[int, str, date]]) -> list[Block]:
    """`/standup` for someone in several: one button each."""
    rows = [section(f"*{user_mrkdwn(name, limit=200)}* · {day_label(day)}", accessory=fill_button(sid, day, "Fill in"))
            for sid, name, day in choices[:LIST_MAX]]
    return [section("Which standup?"), *rows]


# -- posts ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AnswerPost:
    standup: str
    day: date
    person: str  # display name (stored representation)
    questions: list[str]
    answers: list[str]
    blocker_index: int | None
    blocked_days: int | None  # the open blocker's age in days (0: new today); None: no blocker
    late: bool
    edited: bool


def answer_message(p: AnswerPost) -> tuple[str, list[Block]]:
    """One person's standup, posted in the channel (or the summary's thread)."""
    marks = (" · :hourglass: late" if p.late else "") + (" · edited" if p.edited else "")
    body: list[Block] = [section(f"*{_name(p.person)}* · {_name(p.standup, 150)} · {day_label(p.day)}{marks}")]
    given = [(i, q, p.answers[i]) for i, q in enumerate(p.questions) if i < len(p.answers) and p.answers[i]]
    # Each answer gets its share of what one message holds; a longer one is cut there (it is
    # kept whole in the database, and in the form when edited).
    share = (MESSAGE_CHARS_BUDGET - len(body[0]["text"]["text"])) // max(1, len(given))
    for i, question, answer in given:
        lead = f"*{_name(question, 300)}*"
        if i == p.blocker_index and p.blocked_days is not None:
            age = "new blocker" if p.blocked_days == 0 else f"blocked for {counted(p.blocked_days, 'day')}"
            lead = f":rotating_light: *Blocker* ({age}) · {lead}"
        parts = mrkdwn_chunks(answer, min(SECTION_TEXT_MAX - len(lead) - 1, share - len(lead) - 1), public=True)
        taken, used = [], len(lead) + 1
        for part in parts:
            if taken and used + len(part) > share:
                break
            taken.append(part)
            used += len(part)
        body.extend(section(f"{lead}\n{part}" if n == 0 else part) for n, part in enumerate(taken))
        if len(taken) < len(parts):
            body.append(context("…cut to fit one Slack message."))
    if len(body) == 1:
        body.append(context("_No answers._"))
    blocker = " · blocker" if p.blocked_days is not None else ""
    return f"{user_plain(p.person)}'s standup for {day_label(p.day)}{blocker}", body[:MESSAGE_BLOCKS_MAX]


@dataclass(frozen=True)
class Blocker:
    person: str  # display name
    text: str
    days: int  # open this many days


@dataclass(frozen=True)
class DaySummary:
    standup: str
    day: date
    mode: PostMode
    answered: list[str]  # display names
    late: list[str]
    missing: list[str]
    away: list[tuple[str, str]]  # (name, why)
    blockers: list[Blocker]


def summary_message(s: DaySummary) -> tuple[str, list[Block]]:
    expected = len(s.answered) + len(s.missing)
    head = (f"*{_name(s.standup, 150)}* · {day_label(s.day)} · answered *{len(s.answered)}/{expected}*"
            + (f" ({len(s.late)} late)" if s.late else ""))
    body: list[Block] = [section(head)]
    if s.blockers:
        lines = []
        for b in s.blockers[:LIST_MAX]:
            age = "new" if b.days == 0 else f"{counted(b.days, 'day')}"
            lines.append(f"• *{_name(b.person, 80)}* ({age}): {user_mrkdwn(b.text, public=True, limit=300)}")
        more = f"\n…and {len(s.blockers) - LIST_MAX} more" if len(s.blockers) > LIST_MAX else ""
        body.append(section(_fit(f":rotating_light: *Blockers ({len(s.blockers)})*\n", lines, more)))
    if s.missing:
        body.append(section(f":hourglass_flowing_sand: *Not answered yet:* {_names(s.missing)}"))
    if s.away:
        body.append(section(":palm_tree: *Away or off:* " + _names([f"{n} ({why})" for n, why in s.away])))
    if s.mode is PostMode.SUMMARY:
        body.append(context("Each answer is in the thread. Late answers are added there and counted here."))
    else:
        body.append(context("Late answers are still posted, marked late, and counted here."))
    text = f"{user_plain(s.standup)} standup {day_label(s.day)}: {len(s.answered)}/{expected} answered"
    return text, body


def _fit(head: str, lines: list[str], tail: str) -> str:
    text = head + "\n".join(lines) + tail
    while len(text) > SECTION_TEXT_MAX and lines:
        lines = lines[:-1]
        text = head + "\n".join(lines) + "\n…"
    return text


def blocker_dm(standup: str, person_id: str, text: str, launch: str | None) -> tuple[str, list[Block]]:
    """To the standup's owner, once per blocker (a DM: the mention shows a name, pings nobody else)."""
    named = f"\nIt names the launch *{user_mrkdwn(launch, limit=200)}*: it counts against its go/no-go." if launch else ""
    return (f"New blocker in {user_plain(standup)}",
            [section(f":rotating_light: {user_mention(person_id)} reported a blocker in *{user_mrkdwn(standup, limit=200)}*:"
                     f"\n>{user_mrkdwn(text, limit=2500)}{named}")])


def launch_blocker_line(standup: str, person: str, text: str) -> str:
    """In the launch checklist's thread, once per blocker."""
    return (f":rotating_light: Standup blocker ({_name(standup, 150)}, {_name(person, 80)}): "
            f"{user_mrkdwn(text, public=True, limit=1500)}. It counts against go/no-go until cleared.")


# -- list and stats ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Listed:
    name: str
    channel_id: str
    owner_id: str
    members: int
    days: int
    prompt: int
    deadline: int
    mode: PostMode
    paused: bool


def list_blocks(rows: list[Listed]) -> list[Block]:
    if not rows:
        return [section("No standups yet. `/standup setup` creates one.")]
    blocks: list[Block] = []
    for r in rows[:LIST_MAX]:
        state = " · :double_vertical_bar: paused" if r.paused else ""
        mode = "each answer as it arrives" if r.mode is PostMode.EACH else "one summary"
        blocks.append(section(
            f"*{user_mrkdwn(r.name, limit=200)}*{state}\n{channel_mention(r.channel_id)} · "
            f"{counted(r.members, 'participant')} · {days_text(r.days)} · prompt {time_text(r.prompt)}, "
            f"deadline {time_text(r.deadline)} (each person's time) · {mode} · owner {user_mention(r.owner_id)}"))
    if len(rows) > LIST_MAX:
        blocks.append(context(f"…and {len(rows) - LIST_MAX} more."))
    blocks.append(context("`/standup edit <name>`, `pause`, `resume`, `delete`, `stats`."))
    return blocks


@dataclass(frozen=True)
class PersonStats:
    user_id: str
    expected: int
    answered: int
    late: int
    blockers: int  # blockers reported in the period
    open_blocker_days: int | None  # the open blocker's age, if one is open


def stats_blocks(name: str, first: date, last: date, people: list[PersonStats], raised: int, open_: int,
                 cleared: int, median_open_days: float | None) -> list[Block]:
    expected = sum(p.expected for p in people)
    answered = sum(p.answered for p in people)
    rate = f"{round(100 * answered / expected)}%" if expected else "n/a"
    blocks: list[Block] = [
        header(f"Standup stats: {user_plain(name)}"[:150]),
        context(f"{first.isoformat()} to {last.isoformat()} · participation {rate} ({answered}/{expected} "
                "answers on working days) · working days only: away days and holidays are not counted"),
    ]
    lines = []
    for p in sorted(people, key=lambda p: (p.answered / p.expected if p.expected else 1, p.user_id))[:LIST_MAX]:
        share = f"{round(100 * p.answered / p.expected)}%" if p.expected else "n/a"
        extra = (f", {p.late} late" if p.late else "") + (f", {counted(p.blockers, 'blocker')}" if p.blockers else "")
        if p.open_blocker_days is not None:
            extra += f", blocked for {counted(p.open_blocker_days, 'day')}"
        lines.append(f"• {user_mention(p.user_id)}: {p.answered}/{p.expected} ({share}){extra}")
    blocks.append(section(_fit("*Participation*\n", lines, "") if lines else "No participants."))
    median = f", median {median_open_days:g} days open" if median_open_days is not None else ""
    blocks.append(section(f"*Blockers*: {raised} reported, {cleared} cleared, {open_} open{median}."))
    return blocks
