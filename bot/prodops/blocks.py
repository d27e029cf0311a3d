"""Block Kit for /prodops answers and the App Home tab."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.blocks import Block, context, divider, header, section

if TYPE_CHECKING:
    from bot.prodops.status import StatusReport
from bot.text import user_mention


def admins_blocks(admin_ids: list[str]) -> list[Block]:
    if not admin_ids:
        body = ("No ops admins yet. Slack workspace admins and owners can manage the bot and add "
                "ops admins with `/prodops admins add @user`.")
    else:
        body = "*Ops admins:* " + ", ".join(user_mention(u) for u in admin_ids)
        body += "\nSlack workspace admins and owners can manage the bot too."
    return [section(body)]


def _when(moment: datetime | None, tz: str) -> str:
    if moment is None:
        return "paused"
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")


def status_blocks(report: StatusReport) -> list[Block]:
    ok, bad = ":white_check_mark:", ":x:"
    runs = "\n".join(f"• {name}: {_when(at, report.workspace_timezone)}" for name, at in report.next_runs)
    duties = "\n".join(
        f"• {name}: next {_when(at, report.workspace_timezone)}; last "
        + (f"{_when(last.at, report.workspace_timezone)}: {last.outcome}" if last else "not run since this process started")
        for name, at, last in report.duties)
    return [
        header("ProdOps Bot status"),
        section(
            f"*Version:* {report.version}\n"
            f"*Database:* {report.database_backend} {ok if report.database_ok else bad}\n"
            f"*Slack:* {ok if report.slack_ok else bad} {report.slack_detail}\n"
            f"*Scheduler:* {'running' if report.scheduler_running else 'stopped'}"
        ),
        divider(),
        section("*Next scheduled runs*\n" + (runs or "nothing scheduled")),
        section("*Duties* (checked every minute)\n" + (duties or "none registered")),
        context(f"Times shown in the workspace timezone, {report.workspace_timezone}. "
                "A duty's last run is remembered by this process only (a restart forgets it)."),
    ]
