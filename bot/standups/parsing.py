"""Parsing what people type for standups: the /standup subcommands and names, the setup form's
questions and times, and whether an answer to the blocker question reports a blocker.

Text arrives in bot/usertext.py's representation; lengths are measured on what was typed
(`plain`), and an error quoting the input renders it with `usertext.mrkdwn`."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from bot import names
from bot.errors import UserError
from bot.typos import did_you_mean
from bot.usertext import mrkdwn, plain

NAME_MAX = 80
QUESTION_MAX = 150  # a modal input's label holds 2000; the answer message repeats each question
QUESTIONS_MAX = 6
ANSWER_MAX = 2000  # per question, as typed (the modal's max_length)
DEFAULT_QUESTIONS = ("What did you do since the last standup?", "What will you do today?",
                     "Anything blocking you?")
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKDAYS = 0b0011111

Action = Literal["answer", "help", "setup", "list", "edit", "pause", "resume", "delete", "stats"]
NAMED = ("edit", "pause", "resume", "delete")  # need a name
SUBCOMMANDS: tuple[str, ...] = ("help", "setup", "list", "stats", *NAMED)


@dataclass(frozen=True)
class StandupCommand:
    action: Action
    name: str | None = None
    # `/standup <name>`: the first word, answered with the help when no standup has that name…
    unknown: str | None = None
    typo: str | None = None  # …and the subcommand it is one edit from ("did you mean")


def parse_name(text: str, field: str | None = None) -> str:
    return names.parse_name(text, "standup", "Mobile team", NAME_MAX, field)


def parse_setup_name(text: str, field: str | None = None) -> str:
    """A new or renamed standup's name: `parse_name`, and not starting with a subcommand word
    (`/standup help desk` must stay the help, so a standup called "Help desk" could never be
    opened by name)."""
    return names.refuse_command_word(parse_name(text, field), "standup", "/standup", SUBCOMMANDS, field)


def parse_command(text: str) -> StandupCommand:
    """`/standup` alone answers today's standup; `/standup <name>` the one named; the rest are
    subcommands, a name after them unquoted or quoted."""
    stripped = " ".join(text.split())
    if not stripped:
        return StandupCommand("answer")
    head, _, rest = stripped.partition(" ")
    verb = head.lower()
    if verb in ("help", "setup", "list") and not rest:
        return StandupCommand(verb)  # type: ignore[arg-type]
    if verb == "stats":
        return StandupCommand("stats", parse_name(rest) if rest.strip() else None)
    if verb in NAMED:
        if not rest.strip():
            raise UserError(f"Usage: `/standup {verb} <name>`; `/standup list` shows the names.")
        return StandupCommand(verb, parse_name(rest))  # type: ignore[arg-type]
    if verb in ("help", "setup", "list"):
        raise UserError(f"`/standup {verb}` takes nothing after it.")
    typo = did_you_mean(verb, SUBCOMMANDS)
    try:
        name = parse_name(stripped)
    except UserError:  # not even a name (too long, empty once unquoted): an unknown subcommand
        return StandupCommand("help", unknown=head, typo=typo)
    return StandupCommand("answer", name, unknown=head, typo=typo)


def parse_questions(text: str) -> list[str]:
    """One question per line, 1 to 6, each under QUESTION_MAX characters; blank lines skipped."""
    questions = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    if not questions:
        raise UserError("Ask at least one question, one per line.", field="questions")
    if len(questions) > QUESTIONS_MAX:
        raise UserError(f"Ask at most {QUESTIONS_MAX} questions (one per line); there are {len(questions)}.",
                        field="questions")
    for number, question in enumerate(questions, start=1):
        if len(plain(question)) > QUESTION_MAX:
            raise UserError(f"Question {number} is longer than {QUESTION_MAX} characters.", field="questions")
    return questions


def blocker_question(questions: list[str]) -> int | None:
    """The question whose answers are blockers: the first that mentions blocking ("Anything
    blocking you?", "Blockers?", "Blocked on…"); None when no question does."""
    return next((i for i, q in enumerate(questions) if re.search(r"(?i)\bblock", plain(q))), None)


_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def parse_time(text: str | None, field: str, what: str) -> int:
    """A timepicker's `HH:MM` (or the same typed) as minutes after midnight."""
    match = _TIME.match(text or "")
    if not match:
        raise UserError(f"Pick the {what} (HH:MM).", field=field)
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 23 or minutes > 59:
        raise UserError(f"`{mrkdwn(text or '')}` is not a time of day.", field=field)
    return hours * 60 + minutes


def check_times(prompt: int, deadline: int) -> None:
    if deadline <= prompt:
        raise UserError("The deadline must be later in the day than the prompt time.", field="deadline")
    if deadline - prompt < 15:
        raise UserError("Leave at least 15 minutes between the prompt and the deadline.", field="deadline")


def parse_days(values: list[str]) -> int:
    """Checkbox values "0" (Monday) … "6" (Sunday) as a mask."""
    mask = 0
    for value in values:
        if not (value.isdigit() and 0 <= int(value) <= 6):
            raise UserError("That day is not a weekday; open the form again.", field="days")
        mask |= 1 << int(value)
    if not mask:
        raise UserError("Pick at least one day.", field="days")
    return mask


def days_text(mask: int) -> str:
    """`Mon–Fri`, `Mon, Wed, Fri`, `every day`."""
    if mask == 0b1111111:
        return "every day"
    if mask == WEEKDAYS:
        return "Mon–Fri"
    return ", ".join(name for i, name in enumerate(DAY_NAMES) if mask >> i & 1)


def time_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


_SHORTCODE = re.compile(r":[a-z0-9_+'-]+:")


def fold(text: str, *, from_right: bool = False) -> str:
    """Lower case, accents and emoji shortcodes gone, punctuation as spaces, spaces collapsed.

    Colons are ambiguous (`:0:tada:` is `0` then `:tada:`, or `:0:` then `tada:`): shortcodes
    are matched from the left, or with `from_right` from the right."""
    shown = plain(text).lower()
    if from_right:
        shown = _SHORTCODE.sub(" ", shown[::-1])[::-1]
    else:
        shown = _SHORTCODE.sub(" ", shown)
    # Lower-cased again after NFKD: styled letters (𝐍𝐨𝐧𝐞, ℕ𝕆ℕ𝔼) decompose to capitals.
    decomposed = unicodedata.normalize("NFKD", shown).lower()
    letters = "".join(ch if (ch.isalnum() and not unicodedata.combining(ch)) else
                      ("" if unicodedata.combining(ch) else " ") for ch in decomposed)
    return " ".join(letters.split())


# What people write when nothing blocks them: one none phrase, optionally with filler words
# before or after it ("None, thanks", "no blockers at the moment", "all good here"). Compared
# after `fold` (case, accents, emoji shortcodes and punctuation gone), so "None.", "nope!",
# "N/A", ":white_check_mark: none" match. Only fillers may surround the phrase: "no access to
# the VPN", "nothing works", "none but the build is red" are blockers.
NONE_WORDS = frozenset(fold(w) for w in (
    "", "none", "no", "nope", "nah", "nothing", "nil", "na", "n/a", "zero", "0", "ok", "okay", "clear",
    "all clear", "all good", "not really", "not today", "no blockers", "no blocker", "no blocks", "not blocked",
    "nothing blocking", "nothing blocking me", "no issues", "nothing to report",
    # other languages
    "nein", "keine", "kein", "nichts", "rien", "aucun", "non", "nada", "ninguno", "nenhum", "nessuno",
    "niente", "geen", "nee", "ingen", "nic", "żadnych", "なし", "无", "没有",
))
FILLERS = frozenset(fold(w) for w in (
    "thanks", "thank you", "thx", "ty", "cheers", "danke", "merci", "gracias", "grazie", "obrigado",
    "at the moment", "atm", "right now", "for now", "so far", "today", "yet", "currently", "here",
    "from me", "on my side", "on my end", "all good", "nothing else", "not yet", "not today", "not really",
))


def _any_of(phrases: frozenset[str]) -> str:
    return "|".join(re.escape(p) for p in sorted(phrases - {""}, key=len, reverse=True))


_FILLER = f"(?:{_any_of(FILLERS)})"
_NONE_LIKE = re.compile(f"(?:{_FILLER} )*(?:{_any_of(NONE_WORDS)})(?: {_FILLER})*")


def is_none_like(folded: str) -> bool:
    """A folded answer that says nothing blocks: empty, or one none phrase among fillers."""
    return not folded or _NONE_LIKE.fullmatch(folded) is not None


def is_blocker(answer: str | None) -> bool:
    """An answer to the blocker question reports a blocker unless it is empty or none-like."""
    return bool(answer) and not any(is_none_like(fold(answer or "", from_right=r)) for r in (False, True))
