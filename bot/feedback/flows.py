"""Feedback work that talks to Slack, run after the ack: reading the reacted message,
confirmations, outcome DMs (the CSV export is a job: bot/feedback/exports.py). Each step opens its own unit of work."""
from __future__ import annotations

import csv
import io
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from bot import clock, usertext
from bot.delivery import claim, deliver_once, send_claimed
from bot.feedback import blocks, exports, service, similar
from bot.feedback.parsing import FORM_TEXT_MAX
from bot.feedback.enums import CaptureMeta
from bot.feedback.service import Receipt
from bot.runtime import Runtime
from bot.slack import tell
from bot.text import escape
from models.feedback import FeedbackItem, FeedbackStatus

log = logging.getLogger(__name__)

NAME_LOOKUP_SECONDS = 1.0  # of the 3 s a trigger id lives: leaves room for views.open

OUTCOME_WINDOW = timedelta(days=2)

# What to tell a reactor when Slack won't give us the message, by Slack error code.
UNREADABLE = {
    "not_in_channel": "I'm not in that channel, so I can't read the message. Invite me with `/invite @ProdOps` and react again.",
    "channel_not_found": "I can't see that channel (it may be private). Invite me with `/invite @ProdOps` and react again.",
    "missing_scope": "I'm missing a permission to read that kind of channel. Ask an admin to reinstall the app from its manifest.",
    "thread_not_found": "That message seems to have been deleted, so there is nothing to file.",
    "message_not_found": "That message seems to have been deleted, so there is nothing to file.",
}
BOT_MESSAGE = "Messages from bots (including mine) aren't filed as feedback."
# Reading failed in a way that may pass: an outage, or a Slack error this bot does not know.
SLACK_FAILURES = (SlackClientError, aiohttp.ClientError, TimeoutError)
GAVE_UP = ("I couldn't file that message as feedback: for an hour Slack kept failing to give it to me "
           "(`{error}`), so I stopped trying and nothing was filed. React again later, or type it with `/feedback`.")


@dataclass(frozen=True)
class SlackMessage:
    text: str
    user: str | None
    from_bot: bool


class CaptureProblem(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def read_message(client: AsyncWebClient, channel: str, ts: str) -> SlackMessage:
    """The message at `ts`: history for top-level messages, its thread for a thread reply."""
    try:
        found = await _top_level_message(client, channel, ts) or await _thread_reply(client, channel, ts)
    except SlackApiError as exc:
        code = str(exc.response.get("error", ""))
        if code in UNREADABLE:
            raise CaptureProblem(UNREADABLE[code]) from None
        raise
    if found is None:
        raise CaptureProblem(UNREADABLE["message_not_found"])
    from_bot = bool(found.get("bot_id") or found.get("subtype") == "bot_message")
    return SlackMessage(text=usertext.from_slack(str(found.get("text") or "")), user=found.get("user"),
                        from_bot=from_bot)


async def _top_level_message(client: AsyncWebClient, channel: str, ts: str) -> dict[str, Any] | None:
    """History, newest first, up to and including `ts`: its first message is the one at `ts`
    when that is a top-level message (a thread reply is not in history)."""
    history = await client.conversations_history(channel=channel, latest=ts, inclusive=True, limit=1)
    return _with_ts(history.get("messages"), ts)


async def _thread_reply(client: AsyncWebClient, channel: str, ts: str) -> dict[str, Any] | None:
    """conversations.replies takes a reply's own ts and answers with its whole thread: the
    parent always first (counted in `limit`), then the replies oldest first. `inclusive` only
    applies with `oldest`/`latest`, so the window starts at `ts` and has room for the parent."""
    replies = await client.conversations_replies(channel=channel, ts=ts, oldest=ts, inclusive=True, limit=2)
    return _with_ts(replies.get("messages"), ts)


def _with_ts(messages: list[dict[str, Any]] | None, ts: str) -> dict[str, Any] | None:
    return next((m for m in messages or [] if m.get("ts") == ts), None)


async def permalink(client: AsyncWebClient, channel: str, ts: str) -> str | None:
    try:
        return str((await client.chat_getPermalink(channel=channel, message_ts=ts))["permalink"])
    except SlackApiError as exc:
        log.warning("no permalink for %s/%s: %s", channel, ts, exc.response.get("error"))
        return None


CONFIRM = "feedback.confirm"
CAPTURED = "capture"  # the period of confirmations a completed capture sends: once per person per item


def _confirmation_sender(client: AsyncWebClient, channel: str | None, user: str,
                         receipt: Receipt) -> Callable[[], Awaitable[None]]:
    headline, body = blocks.confirmation(receipt)

    async def send() -> None:
        await tell(client, channel, user, headline, body)

    return send


async def confirm(rt: Runtime, client: AsyncWebClient, team_id: str, channel: str | None, user: str,
                  receipt: Receipt, once_key: str) -> None:
    send = _confirmation_sender(client, channel, user, receipt)
    await deliver_once(rt.db, team_id, CONFIRM, f"{receipt.number}:{user}", once_key, send)


async def capture_reacted_message(rt: Runtime, client: AsyncWebClient, team_id: str, item_id: int,
                                  reactor: str, channel: str, ts: str, now: datetime | None = None) -> None:
    """Read the message a reaction filed, complete the item, confirm to the reactor.

    A definite "can't" (not in channel, deleted, a bot's message) drops the pending item and
    tells the reactor how to fix it; any other failure leaves it pending for the sweeper to
    retry later (see _read_failed). The after-ack work and the sweeper may both get here for
    one capture: only the one that completes (or drops) the item speaks, so everyone hears
    about it once.
    """
    message = await _readable_message(rt, client, item_id, channel, ts, now)
    if message is not None:
        await _complete_and_confirm(rt, client, team_id, item_id, reactor, channel, ts, message)


async def _readable_message(rt: Runtime, client: AsyncWebClient, item_id: int, channel: str, ts: str,
                            now: datetime | None) -> SlackMessage | None:
    """The reacted message, or None once the failure is dealt with (dropped and told, or left
    for a retry)."""
    try:
        message = await read_message(client, channel, ts)
        if message.from_bot:
            raise CaptureProblem(BOT_MESSAGE)
        return message
    except CaptureProblem as problem:
        async with rt.db.unit_of_work() as session:
            reporters = await service.discard_capture(session, item_id)
        await _tell_each(client, channel, reporters or [], problem.reason)  # everyone who reacted meanwhile, too
    except SLACK_FAILURES as exc:
        await _read_failed(rt, client, item_id, channel, exc, now or clock.now())
    return None


async def _complete_and_confirm(rt: Runtime, client: AsyncWebClient, team_id: str, item_id: int, reactor: str,
                                channel: str, ts: str, message: SlackMessage) -> None:
    link = await permalink(client, channel, ts)
    async with rt.db.unit_of_work() as session:  # the item and its confirmation's claim, together
        number = await service.complete_capture(session, team_id, item_id, text=message.text, author_id=message.user,
                                                permalink=link, pending_only=True)
        claimed = None if number is None else await claim(session, team_id, CONFIRM, f"{number}:{reactor}", CAPTURED)
        voters = [] if number is None else [u for u in await service.reporters(session, item_id) if u != reactor]
    if number is None:  # withdrawn, or finished by someone else, meanwhile
        return
    if claimed is not None:
        send = _confirmation_sender(client, channel, reactor, Receipt(number, True, True, message.text))
        await send_claimed(rt.db, claimed, send)
        await similar.offer(rt, client, team_id, channel, reactor, number)  # the reactor filed it
    for voter in voters:  # votes that came while the message was being read are confirmed now
        await confirm(rt, client, team_id, channel, voter, Receipt(number, False, True, message.text), CAPTURED)


async def _read_failed(rt: Runtime, client: AsyncWebClient, item_id: int, channel: str, exc: BaseException,
                       now: datetime) -> None:
    """Slack did not give us the message, for a reason that may pass: try again later, after a
    growing pause, so a capture that keeps failing waits its turn behind the others; once it
    has failed for an hour, drop it and tell everyone who reacted."""
    error = _failure_code(exc)
    log.warning("capture %s: reading the message failed (%s); will retry", item_id, error)
    async with rt.db.unit_of_work() as session:
        gave_up = await service.capture_failed(session, item_id, now)
    if gave_up:
        log.warning("capture %s: gave up after repeated failures (%s)", item_id, error)
    await _tell_each(client, channel, gave_up, GAVE_UP.format(error=escape(error)))


def _failure_code(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
    return type(exc).__name__


async def _tell_each(client: AsyncWebClient, channel: str, users: list[str], text: str) -> None:
    """Each of them hears it, even when telling one of them fails."""
    for user in users:
        try:
            await tell(client, channel, user, text)
        except SLACK_FAILURES as exc:
            log.warning("could not tell %s about their capture: %s", user, _failure_code(exc))


async def complete_shortcut_capture(rt: Runtime, client: AsyncWebClient, team_id: str, item_id: int, channel: str,
                                    ts: str, submitted: str, confirm_to: tuple[str, Receipt, str] | None = None) -> None:
    """After a shortcut filing: the permalink, and the message itself when the person did not
    edit the form's copy of it. The form holds plain text (mentions as names, links as labels,
    at most 3,000 characters); the message keeps its mentions, links and full length. The
    confirmation (`confirm_to`: user, receipt, once key) quotes what was stored, so it goes last."""
    link = await permalink(client, channel, ts)
    text = submitted
    try:
        message: SlackMessage | None = await read_message(client, channel, ts)
    except (CaptureProblem, SlackApiError):
        message = None
    if message is not None and _unedited_copy(rt, team_id, submitted, message.text):
        text = message.text
    async with rt.db.unit_of_work() as session:
        await service.complete_capture(session, team_id, item_id, text=text, author_id=None, permalink=link)
    if confirm_to is not None:
        user, receipt, once = confirm_to
        await confirm(rt, client, team_id, channel, user, replace(receipt, text=text), once)


async def open_shortcut_form(rt: Runtime, client: AsyncWebClient, team_id: str, trigger_id: str,
                             meta: CaptureMeta, text: str) -> None:
    """The form shows mentions by name: look the people up, within the trigger's 3 seconds."""
    names = await rt.users.names_within(team_id, usertext.mentioned_users(text), seconds=NAME_LOOKUP_SECONDS)
    await client.views_open(trigger_id=trigger_id, view=blocks.capture_modal(meta, text, names))


def _unedited_copy(rt: Runtime, team_id: str, submitted: str, original: str) -> bool:
    typed = usertext.plain(submitted).strip()
    names = rt.users.known_names(team_id, usertext.mentioned_users(original))
    for shown in {usertext.plain(original).strip(), usertext.plain(original, names=names).strip()}:
        if typed == shown or (len(typed) >= FORM_TEXT_MAX - 1 and shown.startswith(typed)):
            return True
    return False


async def sweep_pending_captures(rt: Runtime, now: datetime | None = None) -> None:
    """Retry the reaction captures a crash or a Slack failure left pending, as they fall due."""
    now = now or clock.now()
    async with rt.db.unit_of_work() as session:
        due = await service.due_captures(session, now)
    for item_id, team_id, reporter, channel, ts in due:
        try:
            await capture_reacted_message(rt, rt.client, team_id, item_id, reporter, channel, ts, now)
        except Exception:  # not a failed read (those are counted): a bug or the database; its lease brings it back
            log.exception("pending capture %s failed", item_id)


async def notify_outcome(rt: Runtime, client: AsyncWebClient, team_id: str, number: int, reporters: list[str]) -> None:
    """One DM per reporter per outcome, even if this runs twice (claims), and the others still
    go out when one fails."""
    async with rt.db.unit_of_work() as session:
        item = await service.get_item(session, team_id, number)
        view = await service.view(session, item)
    if view.status not in service.CLOSED:
        return
    text, body = blocks.outcome_dm(view)
    for user in reporters:
        async def send(user: str = user) -> None:
            await client.chat_postMessage(channel=user, text=text, blocks=body)

        try:
            await deliver_once(rt.db, team_id, "feedback.outcome", f"{number}:{user}", view.status.value, send)
        except SlackApiError as exc:
            log.warning("outcome DM for #%s to %s failed: %s", number, user, exc.response.get("error"))


async def sweep_outcomes(rt: Runtime) -> None:
    """Retry outcome DMs that failed (their claims are reclaimable) for recently closed items."""
    async with rt.db.unit_of_work() as session:
        rows = (await session.execute(select(FeedbackItem.team_id, FeedbackItem.number, FeedbackItem.id).where(
            FeedbackItem.status.in_([FeedbackStatus.SHIPPED, FeedbackStatus.DECLINED]),
            FeedbackItem.closed_at > clock.now() - OUTCOME_WINDOW))).all()
        todo = [(team_id, number, await service.reporters(session, item_id)) for team_id, number, item_id in rows]
    for team_id, number, reporters in todo:
        await notify_outcome(rt, rt.client, team_id, number, reporters)


# The CSV's columns and cells live with the export job (bot/feedback/exports.py): one copy.
CSV_COLUMNS = exports.CSV_COLUMNS


def to_csv(items: list[service.ItemView], names: dict[str, str] | None = None) -> str:
    """The export's CSV of these items as one string (what a job writes to its file, row by row)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(exports.csv_row(v, names) for v in items)
    return out.getvalue()
