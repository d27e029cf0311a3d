"""Logging set-up: text or JSON lines, each tagged with the request/event id, secrets redacted."""
from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from datetime import UTC, datetime

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# Slack tokens in any form, plus whatever exact secrets the running config holds.
TOKEN_PATTERN = re.compile(r"\bx(?:ox[abposr]|app)-[A-Za-z0-9-]+")
REDACTED = "[redacted]"
# C0/C1 controls and Unicode line separators: a logged value must never start a new line.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(text: str) -> str:
    """Controls as visible backslash escapes, so a value cannot forge a log line or a terminal."""
    return CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class RedactingFilter(logging.Filter):
    """Scrubs tokens and configured secrets from the final message, args included."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        # Very short values (a test secret "s") would shred every line; real secrets are long.
        self._secrets = [s for s in secrets if len(s) >= 8]

    def redact(self, text: str) -> str:
        text = TOKEN_PATTERN.sub(REDACTED, text)
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = escape_controls(self.redact(record.getMessage()))
        record.args = None
        if record.exc_info:
            # A traceback is many lines by nature; each keeps a prefix so none reads as a record.
            text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_text = "\n".join("  | " + escape_controls(line) for line in text.splitlines())
            record.exc_info = None
        record.request_id = escape_controls(request_id.get())
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def configure_logging(level: str, fmt: str, secrets: list[str]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter(secrets))
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp's access log repeats what Bolt logs and would print every request at INFO.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
