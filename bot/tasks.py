"""Background work started after a request's commit; tracked so shutdown can let it finish."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.logs import request_id

log = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[object]]
Defer = Callable[[AfterCommit], None]  # what listeners get as `defer`: run this after the commit


class BackgroundTasks:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: AfterCommit, name: str) -> None:
        rid = request_id.get()

        async def run() -> None:
            request_id.set(rid)
            try:
                await work()
            except Exception:
                log.exception("background task %s failed", name)

        task = asyncio.create_task(run(), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for in-flight work (graceful shutdown); cancel what outlives the timeout."""
        if not self._tasks:
            return
        done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            log.warning("cancelled %d background tasks at shutdown", len(pending))
