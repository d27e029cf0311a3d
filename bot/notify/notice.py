"""What the notifier sends: a notice (who, what kind, which occurrence), and how each kind renders.

A feature declares its kinds (`Feature.notices`); bot/app.py collects them into `rt.notices`.
A notice is stored before it is sent (the deliveries table is the notifier's outbox), so a kind
renders from the notice's small `data` whenever it goes out: at once, in the morning after quiet
hours, after a snooze, or on a retry. Rendering reads the current state, so a nudge held
overnight says what is still true, and a kind with nothing left to say returns no message.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from bot.blocks import Block

if TYPE_CHECKING:
    from bot.runtime import Runtime


@dataclass(frozen=True)
class Notice:
    """One message to one person (a DM) or one channel, sent at most once per (kind, key, period)."""

    team_id: str
    kind: str
    key: str  # whom or what it is about, within the kind
    period: str  # which occurrence: a local date, a week, a due date
    to: str  # a user id (personal kinds) or a channel id
    what: str  # one line for people, logs and /prodops status: "launch nudge to U1 (2 items)"
    data: dict[str, Any] = field(default_factory=dict)  # what the kind's render needs (JSON)


@dataclass(frozen=True)
class Message:
    text: str  # the notification and accessibility fallback
    blocks: list[Block]
    channel: str | None = None  # default: the notice's `to`
    thread_ts: str | None = None


Render = Callable[["Runtime", Notice], Awaitable[list[Message]]]


@dataclass(frozen=True)
class Step:
    """An escalation step: when the nudge it follows is still not acted on `after` it was sent,
    the kind `kind` (a channel kind whose render decides whether action is still missing and
    returns no message when it is not) goes out, once."""

    after: timedelta
    kind: str
    # The step's notices from the nudge's (default: one, same key and period). A feature that
    # escalates per item returns one per item, keyed by it, so each item escalates once, ever,
    # however many daily nudges mention it.
    follow: Callable[[Notice, str], list[Notice]] | None = None


@dataclass(frozen=True)
class NoticeKind:
    kind: str
    label: str  # how people read it: "launch nudges" (snooze confirmations, status)
    render: Render
    personal: bool = True  # to a person (a DM): quiet hours, away days and holidays apply
    # A channel post that names the person (`to`) and so notifies them: their quiet hours, days
    # off and snooze apply as if it were a DM (an escalation must not ping someone who is away).
    about_person: bool = False
    snooze_as: str | None = None  # whose snooze applies (default: this kind's); a step: its nudge's
    nudge: bool = True  # counts against the person's daily budget and carries snooze buttons
    # Outside the person's working time (or while snoozed): "wait" holds it until they are back;
    # "drop" gives it up (a daily nudge whose day is over says nothing useful tomorrow).
    when_quiet: Literal["wait", "drop"] = "wait"
    # Sent when this notice was sent and nothing happened since; a step's own kind may escalate
    # further, so a chain stops at the first step that had nothing left to say.
    escalation: tuple[Step, ...] = ()
    expires_after: timedelta | None = None  # a held notice older than this is dropped, not sent late


@dataclass(frozen=True)
class Outcome:
    """What one attempt did, as a verb and a detail for the tick's printed line."""

    verb: str  # sent, held, dropped, folded, failed, skipped; "would …" in a dry run
    detail: str = ""

    def line(self, what: str) -> str:
        return f"{self.verb} {what}" + (f" ({self.detail})" if self.detail else "")
