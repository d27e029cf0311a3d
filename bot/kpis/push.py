"""`POST /kpi/<key>`: values pushed by CI jobs and warehouses, with the KPI's bearer token.

The token is compared by its hash (only the hash is stored); an unknown key and a wrong token
get the same 401, so the endpoint tells nobody which keys exist. The body is small JSON,
`{"value": 42.1, "at": "2026-11-23"}` (`at` optional: a date, or an instant with its offset).
The token never appears in logs or answers."""
from __future__ import annotations

import json
import logging
import math
from datetime import date, datetime, time, timedelta

from aiohttp import web
from pydantic import BaseModel, ValidationError, field_validator

from bot import clock
from bot.kpis import flows, service
from bot.runtime import Runtime
from models.workspace import Workspace

log = logging.getLogger(__name__)

BODY_MAX = 4096
AHEAD, BEHIND = timedelta(days=1), timedelta(days=3653)
PATH = "/kpi/{key}"


class Pushed(BaseModel):
    value: float
    at: date | datetime | None = None

    @field_validator("value", mode="before")
    @classmethod
    def not_bool(cls, value: object) -> object:
        if isinstance(value, bool):  # JSON true is no number (pulls refuse it too)
            raise ValueError("value must be a number")
        return value

    @field_validator("value")
    @classmethod
    def finite(cls, value: float) -> float:
        if not math.isfinite(value) or abs(value) > 1e15:
            raise ValueError("value must be a finite number")
        return value


def _error(status: int, error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)


def push_handler(rt: Runtime):  # noqa: ANN201 - an aiohttp handler
    async def push(request: web.Request) -> web.Response:
        key = request.match_info["key"]
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            return _error(401, "send the KPI's token as Authorization: Bearer <token>")
        if request.content_length is not None and request.content_length > BODY_MAX:
            return _error(413, f"the body is limited to {BODY_MAX} bytes")
        raw = await request.content.read(BODY_MAX + 1)
        if len(raw) > BODY_MAX:
            return _error(413, f"the body is limited to {BODY_MAX} bytes")
        try:
            pushed = Pushed.model_validate(json.loads(raw or b"null"))
        except (ValueError, ValidationError):
            return _error(400, 'send JSON like {"value": 42.1, "at": "2026-11-23"}')
        if isinstance(pushed.at, datetime) and pushed.at.tzinfo is None:
            return _error(400, "`at` as an instant needs its UTC offset, e.g. 2026-11-23T09:00:00Z")
        now = clock.now()
        async with rt.db.unit_of_work() as session:
            kpi = await service.by_token(session, key, auth[7:].strip())
            if kpi is None:
                log.info("KPI push refused for key %r", key[:40])
                return _error(401, "unknown KPI key or token")
            workspace = await session.get(Workspace, kpi.team_id)
            zone = clock.zone(workspace.timezone if workspace else "UTC")
            at = (now if pushed.at is None else pushed.at if isinstance(pushed.at, datetime)
                  else datetime.combine(pushed.at, time(12), zone))
            if at - now > AHEAD or now - at > BEHIND:  # a far-future value would freeze the KPI
                return _error(400, "`at` must be within a day ahead and ten years back")
            recorded = await service.record(session, kpi, pushed.value, at, "push", None, now)
            await flows.store_notices(session, rt, recorded.notices, now)
            answer = {"ok": True, "key": kpi.key, "value": pushed.value, "at": at.isoformat()}
        notices = recorded.notices
        if notices:
            rt.tasks.spawn(lambda: flows.send_notices(rt, notices), name="kpi-push-notices")
        return web.json_response(answer)

    return push
