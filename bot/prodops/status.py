"""/prodops status: what the bot reports about itself, gathered after the ack (it calls Slack)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import __version__
from bot import clock
from bot.duties import NOTIFICATIONS, DutyRun, last_runs
from bot.notify.outbox import Summary, summary
from bot.prodops.blocks import status_blocks
from bot.runtime import Runtime
from bot.text import escape

SKIPS_SHOWN = timedelta(days=7)  # how far back /prodops status lists skipped notices


@dataclass(frozen=True)
class StatusReport:
    version: str
    database_backend: str
    database_ok: bool
    scheduler_running: bool
    next_runs: list[tuple[str, datetime | None]]
    slack_ok: bool
    slack_detail: str
    workspace_timezone: str
    # Each duty: its name, its next run (the minute tick's; None with the scheduler stopped)
    # and its last run's outcome in this process (None: not run since this process started).
    duties: list[tuple[str, datetime | None, DutyRun | None]] = field(default_factory=list)
    notices: Summary | None = None  # held, failed and recently skipped notices of this workspace
    labels: dict[str, str] = field(default_factory=dict)  # notice kind -> how people read it
    database_location: str = ""  # the SQLite file, or PostgreSQL's user@host:port/db; never a password


async def send_status(rt: Runtime, client: AsyncWebClient, respond: AsyncRespond, team_id: str, timezone: str) -> None:
    """Runs after the ack: it calls Slack, which may take longer than the ack allows."""
    try:
        auth = await client.auth_test()
        slack_ok, detail = True, f"connected to {escape(str(auth.get('team') or auth.get('team_id')))}"
    except SlackApiError as exc:
        slack_ok, detail = False, f"Slack answered `{exc.response.get('error', 'error')}`"
    except Exception as exc:  # connection problems: say so rather than fail silently
        slack_ok, detail = False, f"unreachable ({type(exc).__name__})"
    last = await last_runs(rt)
    names = [d.name for d in rt.duties.duties] + [NOTIFICATIONS]
    async with rt.db.unit_of_work() as session:
        notices = await summary(session, team_id, since=clock.now() - SKIPS_SHOWN,
                                recent_since=clock.now() - timedelta(days=1))
    report = StatusReport(
        version=__version__,
        database_backend=rt.db.backend,
        database_ok=await rt.db.ping(),
        scheduler_running=rt.scheduler.running,
        next_runs=rt.scheduler.next_runs(team_id),
        slack_ok=slack_ok,
        slack_detail=detail,
        workspace_timezone=timezone,
        duties=[(name, rt.duties.next_run(rt.scheduler), last.get(name)) for name in names],
        notices=notices,
        labels={kind: k.label for kind, k in rt.notices.items()},
        database_location=rt.settings.database_location,
    )
    await respond(text="ProdOps Bot status", blocks=status_blocks(report), response_type="ephemeral")
