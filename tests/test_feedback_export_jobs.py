"""`/feedback export` as a durable job (issue 20): stored with the request, run after the commit
by the same process or by a tick's worker, read in pages, delivered once whatever happens to
the process running it, and a failure told once."""
from __future__ import annotations

import asyncio
import csv
import io
import json
import signal
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import duties
from bot.clock import Clock
from bot.feedback import exports, flows, service
from bot.feedback.parsing import Filters
from models.feedback import ExportJob, ExportStatus, FeedbackStatus
from tests.conftest import Bot
from tests.feedback_helpers import file_by_command, new_ts, reaction
from tests.replicas import second_replica
from tests.slack_requests import BOT_TOKEN, block_actions, view_submission
from tests.test_cli import bot_env


async def jobs_of(bot: Bot, team: str) -> list[ExportJob]:
    async with bot.rt.db.unit_of_work() as session:
        return list(await session.scalars(select(ExportJob).where(ExportJob.team_id == team).order_by(ExportJob.id)))


def delivered(bot: Bot) -> list[str]:
    """Files shared with someone (completed uploads), by id."""
    return [f.id for f in bot.fake.files.values() if f.completed]


def rows_of(bot: Bot, file_id: str) -> list[dict[str, str]]:
    data = bot.fake.files[file_id].data
    assert data is not None
    return list(csv.DictReader(io.StringIO(data.decode())))


async def export(bot: Bot, team: str, user: str, text: str = "export") -> None:
    status, body = await bot.slack.command(team, user, "/feedback", text)
    assert status == 200 and "DMs" in body["text"], body


async def add_details(bot: Bot, team: str, user: str, number: int, details: str) -> None:
    click = {"action_id": "feedback.add_details", "block_id": "b", "type": "button",
             "value": json.dumps({"number": number})}
    await bot.slack.interaction(block_actions(team, user, [click]))
    await bot.settle()
    view = bot.fake.calls_to("views.open")[-1].args["view"]
    values = {"details": {"details": {"type": "plain_text_input", "value": details}}}
    await bot.slack.interaction(view_submission(team, user, view["callback_id"], values,
                                                private_metadata=view["private_metadata"]))


async def varied_items(bot: Bot, team: str) -> None:
    """Items with everything a row carries: votes from reactions, tags, a customer, details,
    a mention (exported as a name), a merged item, a closed one, a formula-looking text."""
    bot.fake.add_user("UADMIN1", is_admin=True)
    bot.fake.add_user("UNAMED1", name="Maria Lopez")
    ts = new_ts()
    bot.fake.add_message("CSALES1", ts, "=SUM(A1) from the sales call")
    await bot.slack.event(team, reaction("UR00001", "CSALES1", ts))
    await bot.slack.event(team, reaction("UR00002", "CSALES1", ts))
    await bot.settle()
    first = await file_by_command(bot, team, "UR00003", "Ask <@UNAMED1> about SSO #sso #auth customer:Globex")
    dup = await file_by_command(bot, team, "UR00004", "SSO please #sso")
    for i in range(5):
        await file_by_command(bot, team, f"UR0001{i}", f"Request {i} #bulk")
    await add_details(bot, team, "UR00003", first, "Needed for SOC2 by March")
    _, body = await bot.slack.command(team, "UADMIN1", "/feedback", f"merge {dup} {first}")
    assert "Merged" in body["text"], body
    _, body = await bot.slack.command(team, "UADMIN1", "/feedback", f"status {first + 2} declined Not now")
    assert "declined" in body["text"], body
    await bot.settle()


async def todays_csv(bot: Bot, team: str, filters: Filters) -> str:
    """What the export wrote before it was a job: every item at once, then to_csv."""
    async with bot.rt.db.unit_of_work() as session:
        items = await service.all_items(session, team, filters)
    names = await bot.rt.users.names(team, exports.mentioned(items))
    return flows.to_csv(items, names)


@pytest.mark.parametrize("page", [exports.PAGE, 2])
async def test_csv_is_the_same_as_before_in_pages(bot: Bot, team: str, page: int,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "PAGE", page)
    await varied_items(bot, team)
    for text, filters in [("export", Filters()), ("export #sso", Filters(tags=("sso",))),
                          ("export declined", Filters(status=FeedbackStatus.DECLINED))]:
        before = set(delivered(bot))
        await export(bot, team, "UR00009", text)
        await bot.settle()
        (file_id,) = set(delivered(bot)) - before
        assert bot.fake.files[file_id].data.decode() == await todays_csv(bot, team, filters)
        assert bot.fake.files[file_id].channel == "DUR00009"
    rows = rows_of(bot, file_id)
    assert [r["status"] for r in rows] == ["declined"]
    everything = rows_of(bot, delivered(bot)[0])
    by_text = {r["text"]: r for r in everything}
    assert by_text["'=SUM(A1) from the sales call"]["votes"] == "2"
    sso = by_text["Ask @Maria Lopez about SSO"]
    assert sso["tags"] == "auth sso" and sso["customer"] == "Globex" and sso["merged"]
    assert sso["details"] == "UR00003: Needed for SOC2 by March" and sso["votes"] == "2"
    jobs = await jobs_of(bot, team)
    assert [(j.status, j.rows, j.attempts) for j in jobs] == [
        (ExportStatus.DONE, 8 - 1, 1), (ExportStatus.DONE, 1, 1), (ExportStatus.DONE, 1, 1)]
    assert [j.file_id for j in jobs] == delivered(bot)[-3:]


async def test_the_job_is_stored_before_the_answer_and_the_tick_runs_a_lost_kick(
        bot: Bot, team: str, clock: Clock) -> None:
    """A kick that never ran (the process stopped right after the commit): the tick's worker
    finds the pending job and delivers it."""
    await file_by_command(bot, team, "UR00001", "Something")
    async with bot.rt.db.unit_of_work() as session:
        job_id = await exports.request(session, team, "UR00009", Filters())
    lines = [line for line in await duties.tick(bot.rt, clock.now()) if f"export {job_id} " in line]
    assert lines == [f"feedback exports: sent feedback export {job_id} for UR00009 in {team} (delivered 1 item)"]
    assert len(delivered(bot)) == 1 and (await jobs_of(bot, team))[0].status is ExportStatus.DONE
    assert not [line for line in await duties.tick(bot.rt, clock.now() + timedelta(hours=1)) if f"export {job_id} " in line]


async def kill_worker_at(bot: Bot, tmp_path: Path, at: datetime, reached: asyncio.Event) -> None:
    """`prodops-bot tick --at` in another process, SIGKILLed once the fake's hook says it got
    where the test wants it (the hook itself holds the worker there)."""
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "tick", "--at", at.isoformat(), cwd=str(tmp_path),
        env=bot_env(tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=bot.fake.api_url,
                    DATABASE_URL=bot.rt.settings.database_url),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    waiting, exited = asyncio.ensure_future(reached.wait()), asyncio.ensure_future(worker.wait())
    await asyncio.wait({waiting, exited}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
    assert reached.is_set(), (await worker.communicate())
    worker.send_signal(signal.SIGKILL)
    await worker.wait()


async def test_an_export_killed_mid_way_is_resumed_and_delivered_once(
        bot: Bot, team: str, clock: Clock, tmp_path: Path) -> None:
    for i in range(5):
        await file_by_command(bot, team, "UR00001", f"Item {i}")
    start = datetime.fromisoformat("2031-03-04T10:00:00+00:00")
    clock.set(start)
    bot.fake.fail("files.getUploadURLExternal", "internal_error")  # the kick's try fails in a way that passes
    await export(bot, team, "UR00009")
    await bot.settle()
    (job,) = await jobs_of(bot, team)
    assert (job.status, job.attempts, job.error) == (ExportStatus.RUNNING, 1, "internal_error")
    assert delivered(bot) == [] and bot.fake.posted("UR00009") == []

    # A worker in another process takes it once the lease is over, and is killed while uploading.
    uploading, never = asyncio.Event(), asyncio.get_running_loop().create_future()

    async def hold(args: dict[str, object]) -> None:
        uploading.set()
        await never

    bot.fake.before["files.getUploadURLExternal"] = hold
    at = start + exports.LEASE + timedelta(minutes=1)
    await kill_worker_at(bot, tmp_path, at, uploading)
    never.set_result(None)
    (job,) = await jobs_of(bot, team)
    assert (job.status, job.attempts) == (ExportStatus.RUNNING, 2)

    # Within its lease nobody else takes it; past it, this process resumes and delivers.
    clock.set(at + timedelta(minutes=1))
    assert not [line for line in await duties.tick(bot.rt, clock.now()) if "feedback export" in line]
    clock.set(at + exports.LEASE + timedelta(minutes=1))
    lines = [line for line in await duties.tick(bot.rt, clock.now()) if "feedback export" in line]
    assert lines == [f"feedback exports: sent feedback export {job.id} for UR00009 in {team} (delivered 5 items)"]
    (file_id,) = delivered(bot)
    assert [r["text"] for r in rows_of(bot, file_id)] == [f"Item {i}" for i in range(5)]
    clock.set(at + 3 * exports.LEASE)
    assert not [line for line in await duties.tick(bot.rt, clock.now()) if "feedback export" in line]
    assert len(delivered(bot)) == 1 and bot.fake.posted("UR00009") == []
    (job,) = await jobs_of(bot, team)
    assert (job.status, job.file_id, job.rows) == (ExportStatus.DONE, file_id, 5)


async def test_slack_refusing_the_upload_tells_the_person_once(bot: Bot, team: str, clock: Clock) -> None:
    await file_by_command(bot, team, "UR00001", "Something")
    bot.fake.fail("files.completeUploadExternal", "not_in_channel")
    await export(bot, team, "UR00009")
    await bot.settle()
    (dm,) = bot.fake.posted("UR00009")
    assert "couldn't upload your feedback export" in dm.args["text"] and "`not_in_channel`" in dm.args["text"]
    (job,) = await jobs_of(bot, team)
    assert (job.status, job.error, job.file_id) == (ExportStatus.FAILED, "not_in_channel", None)
    for hours in (1, 2):
        assert not [line for line in await duties.tick(bot.rt, clock.now() + timedelta(hours=hours))
                    if f"export {job.id} " in line]
    assert len(bot.fake.posted("UR00009")) == 1 and delivered(bot) == []


async def test_a_job_that_keeps_failing_is_given_up_and_told_once(bot: Bot, team: str, clock: Clock) -> None:
    await file_by_command(bot, team, "UR00001", "Something")
    start = datetime.fromisoformat("2031-05-06T10:00:00+00:00")
    clock.set(start)
    bot.fake.fail("files.getUploadURLExternal", "service_unavailable", times=exports.MAX_ATTEMPTS)
    await export(bot, team, "UR00009")
    await bot.settle()
    for n in range(1, exports.MAX_ATTEMPTS + 2):
        clock.set(start + n * (exports.LEASE + timedelta(minutes=1)))
        await duties.tick(bot.rt, clock.now())
    (job,) = await jobs_of(bot, team)
    assert (job.status, job.attempts, job.error) == (ExportStatus.FAILED, exports.MAX_ATTEMPTS, "service_unavailable")
    (dm,) = bot.fake.posted("UR00009")
    assert f"interrupted {exports.MAX_ATTEMPTS} times" in dm.args["text"] and "service_unavailable" in dm.args["text"]
    assert delivered(bot) == []


async def test_two_workers_at_once_run_a_job_once(bot: Bot, team: str, clock: Clock) -> None:
    for i in range(3):
        await file_by_command(bot, team, "UR00001", f"Item {i}")
    start = datetime.fromisoformat("2031-07-08T10:00:00+00:00")
    clock.set(start)
    bot.fake.fail("conversations.open", "internal_error")  # the kick's try is left for the workers
    await export(bot, team, "UR00009")
    await bot.settle()
    clock.set(start + exports.LEASE + timedelta(minutes=1))
    async with second_replica(bot) as other:
        one, two = await asyncio.gather(duties.tick(bot.rt, clock.now()), duties.tick(other.rt, clock.now()))
        both = [line for line in one + two if "feedback export" in line]
        # and two direct runs (kicks) besides: neither takes a job that is held or done
        (job,) = await jobs_of(bot, team)
        again = await asyncio.gather(exports.run(bot.rt, job.id), exports.run(other.rt, job.id))
    assert sum("delivered 3 items" in line for line in both) == 1, both
    assert again == ["already taken by another worker"] * 2
    assert len(delivered(bot)) == 1 and bot.fake.posted("UR00009") == []
    (job,) = await jobs_of(bot, team)
    assert (job.status, job.attempts) == (ExportStatus.DONE, 2)


async def test_a_page_is_one_statement(bot: Bot, team: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tags, reporters and details come with the items, aggregated by the database."""
    from tests.test_feedback_listing import feedback_reads

    await varied_items(bot, team)
    async with bot.rt.db.reading() as session:
        merged = await exports.merged_numbers(session, team)
        with feedback_reads() as seen:
            rows = await exports.page(session, team, Filters(), 0, merged, limit=3)
            more = await exports.page(session, team, Filters(), rows[-1].number, merged, limit=100)
    assert len(seen) == 2 and len(rows) == 3 and len(more) == 4


async def test_a_worker_killed_after_slack_shared_the_file_delivers_it_once(
        bot: Bot, team: str, clock: Clock, tmp_path: Path) -> None:
    """The worker records the file's id before Slack shares it; killed after the share and
    before its own record, the next worker finds the file in the person's DM and marks the job
    done instead of sharing a second file (the probe's finding: two files for one request)."""
    for i in range(3):
        await file_by_command(bot, team, "UR00001", f"Item {i}")
    start = datetime.fromisoformat("2031-07-08T10:00:00+00:00")
    clock.set(start)
    bot.fake.fail("files.getUploadURLExternal", "internal_error")  # the kick's try passes the job on
    await export(bot, team, "UR00009")
    await bot.settle()
    shared, never = asyncio.Event(), asyncio.get_running_loop().create_future()

    async def share_then_hang(args: dict[str, object]) -> None:
        assert "files" in bot.fake.m_files_completeUploadExternal(dict(args))  # Slack shared it...
        shared.set()
        await never  # ...and its answer never reaches the worker, which is killed

    bot.fake.before["files.completeUploadExternal"] = share_then_hang
    at = start + exports.LEASE + timedelta(minutes=1)
    await kill_worker_at(bot, tmp_path, at, shared)
    never.set_result(None)  # (the hook was used up: Slack answers normally from here on)
    (file_id,) = delivered(bot)
    (job,) = await jobs_of(bot, team)
    assert (job.status, job.file_id) == (ExportStatus.RUNNING, file_id)  # reserved and recorded, not done

    clock.set(at + exports.LEASE + timedelta(minutes=1))
    lines = [line for line in await duties.tick(bot.rt, clock.now()) if "feedback export" in line]
    assert lines == [f"feedback exports: sent feedback export {job.id} for UR00009 in {team} "
                     "(delivered by an earlier attempt)"], lines
    assert delivered(bot) == [file_id] and [r["text"] for r in rows_of(bot, file_id)] == [f"Item {i}" for i in range(3)]
    (job,) = await jobs_of(bot, team)
    assert (job.status, job.file_id) == (ExportStatus.DONE, file_id)
