"""Standup work that talks to Slack, after the commit: posting and updating answers, the day's
summary, and the sweeper that posts what a crash or an outage left unposted.

Every first post is claimed in the deliveries table (bot/delivery.py), so two replicas, a retry
and the sweeper post it once; edits are `chat.update`s of the stored ts. An answer is re-read
after each post and posted again when it changed meanwhile (an edit that raced the first post),
so the message ends up showing the last edit.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta

from slack_sdk.errors import SlackApiError
from sqlalchemy import select, update

from bot import clock
from bot.channels import NOT_INVITED
from bot.delivery import claim, send_claimed
from bot.runtime import Runtime
from bot.sql import insert_ignore
from bot.standups import blocks, service
from bot.text import channel_mention
from models.standup import PostMode, Standup, StandupAnswer, StandupDay

log = logging.getLogger(__name__)

SUMMARY_POST = "standup.summary"  # delivery kind of a day's summary (key: standup id, period: day)
ANSWER_POST = "standup.answer"  # delivery kind of an answer's first post (key: answer id)
FIRST = "first"
ATTEMPTS = 3
GONE = {"message_not_found", "cant_update_message"}
SWEEP_BATCH = 50
SWEEP_RETRY = timedelta(minutes=2)  # between the sweeper's attempts at a post Slack refused


async def publish_answer(rt: Runtime, answer_id: int) -> None:
    """Post the answer (or update its message) until the message shows its latest version.

    Where: the report channel as it arrives for a standup that posts each answer; the thread of
    the day's summary for a summary standup, once that summary is up (until then it waits, and
    the summary's post publishes it)."""
    for _ in range(ATTEMPTS):
        async with rt.db.unit_of_work() as session:
            answer = await session.get(StandupAnswer, answer_id)
            if answer is None:
                return
            standup = await session.get(Standup, answer.standup_id)
            if standup is None:
                return
            version, ts, channel = answer.version, answer.message_ts, answer.message_channel
            thread = None
            if standup.mode is PostMode.SUMMARY and ts is None:
                day = await service.days_summarised(session, standup.id, answer.day)
                if day is None or not day.summary_ts:
                    return
                channel, thread = day.channel_id, day.summary_ts
            text, body = blocks.answer_message(await service.answer_post(session, standup, answer))
            if ts is None:
                first = await claim(session, answer.team_id, ANSWER_POST, str(answer_id), FIRST,
                                    retry_failed_after=SWEEP_RETRY)
                if first is None:  # posted or being posted elsewhere: that poster re-reads and updates
                    return
            channel = channel or standup.channel_id
        if ts is not None:
            try:
                await rt.client.chat_update(channel=channel, ts=ts, text=text, blocks=body)
            except SlackApiError as exc:
                if exc.response.get("error") not in GONE:
                    raise
                log.info("answer %s: its message is gone; not posted again", answer_id)
        else:
            posted: dict[str, str] = {}

            async def post() -> None:
                answer_ts = (await rt.client.chat_postMessage(channel=channel, thread_ts=thread, text=text,
                                                              blocks=body))["ts"]
                posted["ts"] = str(answer_ts)
                async with rt.db.unit_of_work() as session:
                    await session.execute(update(StandupAnswer).where(StandupAnswer.id == answer_id)
                                          .values(message_ts=posted["ts"], message_channel=channel)
                                          .execution_options(synchronize_session=False))

            await send_claimed(rt.db, first, post)
        async with rt.db.unit_of_work() as session:
            await session.execute(update(StandupAnswer).where(StandupAnswer.id == answer_id,
                                                              StandupAnswer.posted_version < version)
                                  .values(posted_version=version)
                                  .execution_options(synchronize_session=False))
            await session.execute(update(StandupAnswer).where(StandupAnswer.id == answer_id,
                                                              StandupAnswer.posted_version >= StandupAnswer.version)
                                  .values(unposted=False).execution_options(synchronize_session=False))
            current = await session.scalar(select(StandupAnswer.version).where(StandupAnswer.id == answer_id))
        if current == version:
            return


async def post_summary(rt: Runtime, team_id: str, standup_id: int, day: date) -> None:
    """The day's summary (under the duty's claim), then the answers that wait for its thread."""
    async with rt.db.unit_of_work() as session:
        standup = await service.get_by_id(session, team_id, standup_id)
        text, body = blocks.summary_message(await service.day_summary(session, standup, day))
        channel = standup.channel_id
    ts = str((await rt.client.chat_postMessage(channel=channel, text=text, blocks=body))["ts"])
    async with rt.db.unit_of_work() as session:
        await insert_ignore(session, StandupDay, standup_id=standup_id, team_id=team_id, day=day, channel_id=channel,
                            summary_ts=ts, posted_at=clock.now())
        waiting = list((await session.scalars(select(StandupAnswer.id).where(
            StandupAnswer.standup_id == standup_id, StandupAnswer.day == day, StandupAnswer.message_ts.is_(None))
            .order_by(StandupAnswer.created_at, StandupAnswer.id))).all())
        # Queued for the sweeper in the transaction that records the summary: a crash before the
        # thread is filled leaves them to be posted, not forgotten.
        if waiting:
            await session.execute(update(StandupAnswer).where(StandupAnswer.id.in_(waiting))
                                  .values(unposted=True).execution_options(synchronize_session=False))
    for answer_id in waiting:
        try:
            await publish_answer(rt, answer_id)
        except Exception as exc:  # left for the sweeper: the summary itself is up
            log.warning("answer %s not posted in the summary's thread: %s", answer_id, _error(exc))


async def refresh_summary(rt: Runtime, team_id: str, standup_id: int, day: date) -> None:
    """A late answer or an edit after the summary went up: the summary's counts follow."""
    async with rt.db.unit_of_work() as session:
        posted = await service.days_summarised(session, standup_id, day)
        if posted is None or not posted.summary_ts:
            return
        standup = await service.get_by_id(session, team_id, standup_id)
        text, body = blocks.summary_message(await service.day_summary(session, standup, day))
    try:
        await rt.client.chat_update(channel=posted.channel_id, ts=posted.summary_ts, text=text, blocks=body)
    except SlackApiError as exc:
        if exc.response.get("error") not in GONE:
            raise
        log.info("summary of standup %s for %s is gone; not posted again", standup_id, day)


async def after_answer(rt: Runtime, team_id: str, standup_id: int, answer_id: int, day: date, user_id: str) -> None:
    """The post and the summary's counts after an answer. A report channel that no longer has the
    bot is said to the person (the form already closed): the answer is kept and the sweeper
    posts it once the bot is invited back."""
    try:
        await publish_answer(rt, answer_id)
    except SlackApiError as exc:
        if exc.response.get("error") not in NOT_INVITED:
            raise
        async with rt.db.unit_of_work() as session:
            standup = await service.get_by_id(session, team_id, standup_id)
            channel = standup.channel_id
        await rt.client.chat_postMessage(channel=user_id, text=(
            f"I couldn't post your standup in {channel_mention(channel)}: I'm not in that channel any more. "
            "Your answers are saved; invite me with `/invite @ProdOps` and they go up within a few minutes."))
        return
    await refresh_summary(rt, team_id, standup_id, day)


async def sweep_unposted(rt: Runtime) -> int:
    """Answers whose message does not show their latest version (Slack refused, a crash after
    the commit): published again, a few at a time. Returns how many were looked at."""
    async with rt.db.unit_of_work() as session:
        ids = list((await session.scalars(select(StandupAnswer.id).where(StandupAnswer.unposted.is_(True))
                                          .order_by(StandupAnswer.id).limit(SWEEP_BATCH))).all())
    for answer_id in ids:
        try:
            await publish_answer(rt, answer_id)
        except Exception as exc:
            log.warning("answer %s still not posted: %s", answer_id, _error(exc))
    return len(ids)


def _error(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
    return type(exc).__name__
