"""Everything a running bot shares: settings, database, Slack client, scheduler, caches, tasks."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot import clock
from bot.config import Settings
from bot.db import Database
from bot.duties import Duties
from bot.pacing import Pacer
from bot.roles import UserDirectory
from bot.scheduler import Scheduler
from bot.slack import make_client, make_lookup_client, make_session
from bot.tasks import BackgroundTasks
from bot.workspaces import WorkspaceCache

if TYPE_CHECKING:
    from bot.feature import EventFilter, Feature
    from bot.help import CommandHelp
    from bot.notify.notice import NoticeKind


@dataclass
class Runtime:
    settings: Settings
    db: Database
    client: AsyncWebClient
    scheduler: Scheduler
    users: UserDirectory
    tasks: BackgroundTasks = field(default_factory=BackgroundTasks)
    workspaces: WorkspaceCache = field(default_factory=WorkspaceCache)
    pacer: Pacer = field(default_factory=Pacer)  # scheduled channel posts, paced to Slack's limits
    started_at: datetime = field(default_factory=clock.now)

    http: aiohttp.ClientSession | None = None
    lookup: AsyncWebClient | None = None  # short-timeout, no-429-wait client for reads on the ack path
    features: tuple["Feature", ...] = ()  # set by bot/app.py: what help and App Home list
    duties: Duties = field(default_factory=Duties)  # set by bot/app.py: every feature's duties
    notices: dict[str, "NoticeKind"] = field(default_factory=dict)  # set by bot/app.py: kind -> how it renders
    # set by bot/app.py: event type -> whether any feature would act on it (Feature.event_filters)
    event_filters: dict[str, list["EventFilter"]] = field(default_factory=dict)

    @property
    def commands(self) -> list["CommandHelp"]:
        return [f.help for f in self.features if f.help is not None]

    @classmethod
    def create(cls, settings: Settings) -> "Runtime":
        """Call from a running event loop (the shared HTTP session belongs to it)."""
        db = Database(settings.database_url, pool_size=settings.database_pool_size)
        http = make_session()
        lookup = make_lookup_client(settings, session=http)
        return cls(settings=settings, db=db, client=make_client(settings, session=http), scheduler=Scheduler(db),
                   users=UserDirectory(lookup), lookup=lookup, http=http)

    async def close(self) -> None:
        """Graceful stop: no new jobs, then let after-ack work finish, then dispose the engine."""
        self.scheduler.shutdown()
        await self.tasks.drain()
        await self.db.dispose()
        if self.http is not None:
            await self.http.close()
