"""Log lines carry the request id, can be JSON, and never show a token or the signing secret."""
from __future__ import annotations

import io
import json
import logging

from bot.logs import JsonFormatter, RedactingFilter, request_id


def capture(secret: str, fmt: logging.Formatter) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter([secret]))
    handler.setFormatter(fmt)
    logger = logging.getLogger("test.logs." + fmt.__class__.__name__)
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_json_lines_with_request_id_and_redaction() -> None:
    secret = "signing-secret-abcdef123456"
    logger, stream = capture(secret, JsonFormatter())
    token = request_id.set("Ev123")
    try:
        logger.info("calling with %s and %s", "xoxb-1234-abcd", secret)
        try:
            raise RuntimeError("token xapp-1-A0-secret leaked")
        except RuntimeError:
            logger.exception("failed")
    finally:
        request_id.reset(token)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{"))
    assert first["request_id"] == "Ev123" and first["level"] == "INFO"
    assert "xoxb-1234" not in first["message"] and secret not in first["message"]
    assert "[redacted]" in first["message"]
    assert "xapp-1" not in second["exception"] and "RuntimeError" in second["exception"]


def test_text_lines_with_request_id() -> None:
    logger, stream = capture("another-long-secret", logging.Formatter("[%(request_id)s] %(message)s"))
    logger.info("hello xoxp-99-abc")
    assert stream.getvalue().strip() == "[-] hello [redacted]"
