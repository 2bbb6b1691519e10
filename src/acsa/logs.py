"""The node's log: one JSON object a line, each naming the request or sync round it is of.

``acsa serve`` writes every log line to standard error through :class:`JsonFormatter`
(:func:`logging_config`, applied by uvicorn in every worker process). A line is::

    {"time": "2026-11-25T09:12:03.123Z", "level": "INFO", "logger": "acsa.web",
     "message": "GET /readyz 200", "pid": 4242, "request_id": "4f1c…", "method": "GET",
     "path": "/readyz", "status": 200, "duration_ms": 2.4}

``request_id`` is the id of the HTTP request being answered (:mod:`acsa.web.requests`)
or of the sync round being run (``sync-…``), taken from :data:`request_id` — a context
variable, so it follows the work into the threads that run it. Fields passed in a
record's ``extra`` are added as they are.

Secrets are kept out by construction — no header, cookie, body or form is ever logged,
and a query value is logged only when its name is not like a secret's — and, as a last
guard, :func:`scrub` blanks what looks like one in every message and traceback:
``Authorization``/``Cookie``/CSRF header values, bearer and API tokens, and values
named like passwords, tokens, codes, secrets or sessions.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# An incoming X-Request-ID is kept when it is this short and of these characters (what
# proxies and tracing systems generate: UUIDs, hex, base64url, "Root=1-…"); any other is
# replaced by one of ours, so that a client cannot write control characters or a
# megabyte into the log.
REQUEST_ID_LENGTH_MAX = 128
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+=@-]*")

request_id: ContextVar[str | None] = ContextVar("acsa_request_id", default=None)

# Names of values that are never logged (in query strings, and blanked by scrub()).
SECRET_NAME = re.compile(
    r"pass|secret|token|csrf|totp|otp|code|session|cookie|auth|api[_-]?key|signature",
    re.IGNORECASE)
REDACTED = "[redacted]"
_SCRUB = (
    (re.compile(r"(?i)\b((?:proxy-)?authorization|cookie|set-cookie|x-csrf-token)"
                r"(['\"]?\s*[:=]\s*)[^\n]*"), rf"\1\2{REDACTED}"),
    (re.compile(r"(?i)\bbearer\s+[^\s'\",;]+"), f"Bearer {REDACTED}"),
    (re.compile(r"\bacsa_[A-Za-z0-9_-]{20,}"), f"acsa_{REDACTED}"),
    (re.compile(r"(?i)(['\"][\w.-]*(?:pass|secret|token|csrf|totp|code|session)[\w.-]*['\"]"
                r"\s*:\s*)(['\"])(?:\\.|(?!\2).)*\2"), rf'\1"{REDACTED}"'),
    (re.compile(r"(?i)\b([\w.-]*(?:pass|secret|token|csrf|totp|code|session|cookie)[\w.-]*)"
                r"=[^&\s'\",;]+"), rf"\1={REDACTED}"),
)


def new_request_id() -> str:
    return secrets.token_hex(16)


def accepted_request_id(offered: str | None) -> str | None:
    """``offered`` if it may be used as the request's id, else ``None``."""
    if not offered or len(offered) > REQUEST_ID_LENGTH_MAX:
        return None
    return offered if _REQUEST_ID.fullmatch(offered) else None


@contextmanager
def bound(rid: str) -> Iterator[str]:
    """Every line logged inside the block (threads it starts included) names ``rid``."""
    token = request_id.set(rid)
    try:
        yield rid
    finally:
        request_id.reset(token)


def scrub(text: str) -> str:
    """``text`` with anything that looks like a secret blanked."""
    for pattern, replacement in _SCRUB:
        text = pattern.sub(replacement, text)
    return text


# What every LogRecord has; anything else on a record came from ``extra``.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime",
                                                         "color_message", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        line: dict[str, Any] = {
            "time": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
            "level": record.levelname, "logger": record.name,
            "message": scrub(record.getMessage()), "pid": record.process,
        }
        rid = request_id.get()
        if rid:
            line["request_id"] = rid
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = scrub(value) if isinstance(value, str) else value
        if record.exc_info:
            line["exception"] = scrub(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = scrub(record.exc_text)
        return json.dumps(line, ensure_ascii=False, default=str)


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A handler that writes to whatever ``sys.stderr`` is when a line is written, not the
    stream it was configured with: a process that swaps its standard error (a test
    running a command in-process) never leaves a handler writing to a closed file."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass  # always the current sys.stderr


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """The ``logging.config.dictConfig`` of ``acsa serve``: JSON lines on standard error.

    uvicorn applies it in its own process and again in each worker it starts.
    Its access log stays off: :mod:`acsa.web.requests` logs each request instead,
    with the id and without secrets.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "acsa.logs.JsonFormatter"}},
        "handlers": {"stderr": {"class": "acsa.logs.StderrHandler", "formatter": "json"}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            # Every query and connection at INFO would be noise, and holds values.
            "sqlalchemy": {"level": "WARNING", "handlers": [], "propagate": True},
            "httpx": {"level": "WARNING", "handlers": [], "propagate": True},
            "httpcore": {"level": "WARNING", "handlers": [], "propagate": True},
        },
    }
