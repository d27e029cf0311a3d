"""Block Kit for /prodops answers and the App Home tab."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.blocks import Block, context, divider, header, section
from bot.text import escape

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
    # The last tick's time only: its outcome counts every workspace's work (this one's is below).
    duties = "\n".join(
        f"• {name}: next {_when(at, report.workspace_timezone)}; last "
        + (_when(last.at, report.workspace_timezone) if last else "never run yet")
        for name, at, last in report.duties)
    return [
        header("ProdOps Bot status"),
        section(
            f"*Version:* {report.version}\n"
            f"*Database:* {report.database_backend} {ok if report.database_ok else bad}\n"
            + (f"*Database location:* `{escape(report.database_location)}`\n" if report.database_location else "")
            + f"*Slack:* {ok if report.slack_ok else bad} {report.slack_detail}\n"
            f"*Scheduler:* {'running' if report.scheduler_running else 'stopped'}"
        ),
        divider(),
        section("*Next scheduled runs*\n" + (runs or "nothing scheduled")),
        section("*Duties* (checked every minute)\n" + (duties or "none registered")),
        *_notices(report),
        context(f"Times shown in the workspace timezone, {report.workspace_timezone}. "
                "A duty's last run is the last tick of any replica."),
    ]


def _notices(report: StatusReport) -> list[Block]:
    n = report.notices
    if n is None:
        return []
    lines = [f"*Notifications in this workspace:* {n.held} waiting (until someone's working hours, the end of "
             f"a snooze, an escalation step's time or a retry), {n.failed} failed"]
    for kind, statuses in sorted(n.recent.items()):
        counts = ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))
        lines.append(f"• {escape(report.labels.get(kind, kind))}, last 24 h: {counts}")
    if n.skipped:
        lines.append("*Skipped* (past their grace while the bot was down):")
        lines += [f"• {_when(at, report.workspace_timezone)}: {escape(what)} ({escape(why)})"
                  for at, what, why in n.skipped]
    return [section("\n".join(lines))]
