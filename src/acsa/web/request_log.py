"""Every request gets an id, a log line, and — should the node break — a 500 naming the id.

:class:`RequestLog` wraps the whole app (inside ``Strict-Transport-Security`` only):

- the request's id is the client's ``X-Request-ID`` when it is short and plain
  (:func:`acsa.logs.accepted_request_id`), else a new one; it goes back on every
  response as ``X-Request-ID`` and onto every log line written while the request
  is answered (:data:`acsa.logs.request_id`);
- one line per request when it is answered: method, path, query (values named like
  secrets blanked), status, duration and the client's address; never a header, a
  cookie or a body;
- an exception nothing handled is logged with its traceback and answered with a 500
  that shows no internals but names the request id: a problem document under
  ``/api``, ``/federation`` and the health endpoints (or when JSON was asked for),
  else a plain page in the browser's language.
"""

from __future__ import annotations

import html
import logging
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from acsa.i18n import N_, gettext, negotiate_locale
from acsa.logs import (
    REDACTED,
    SECRET_NAME,
    accepted_request_id,
    new_request_id,
    request_id,
    scrub,
)
from acsa.web import problems

log = logging.getLogger("acsa.web")

JSON_PREFIXES = ("/api/", "/federation/", "/healthz", "/readyz")
QUERY_LOGGED_CHARS_MAX = 512


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        rid = accepted_request_id(headers.get("x-request-id")) or new_request_id()
        token = request_id.set(rid)
        started = time.perf_counter()
        status: list[int] = []

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                MutableHeaders(scope=message)["X-Request-ID"] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            log.error("internal error answering %s %s", scope["method"], scope["path"],
                      exc_info=exc, extra={"event": "internal_error"})
            if not status:
                await internal_error(scope, headers, rid)(scope, receive, send_with_id)
        finally:
            _log_request(scope, status[0] if status else 500, started)
            request_id.reset(token)


def _log_request(scope: Scope, status: int, started: float) -> None:
    path = str(scope["path"])
    query = safe_query(scope.get("query_string", b""))
    shown = f"{path}?{query}" if query else path
    client = scope.get("client")
    log.info("%s %s %s", scope["method"], shown, status, extra={
        "event": "request", "method": scope["method"], "path": path,
        **({"query": query} if query else {}), "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "client": client[0] if client else None})


def safe_query(raw: bytes) -> str:
    """The query string as it may be logged: values of secret-like names blanked, and
    any value that looks like a token (a bearer token pasted into a cursor)."""
    if not raw:
        return ""
    text = raw.decode("latin-1")[:QUERY_LOGGED_CHARS_MAX]
    pairs = parse_qsl(text, keep_blank_values=True)
    return scrub(urlencode([(k, REDACTED if SECRET_NAME.search(k) else v) for k, v in pairs],
                           safe="/[]"))


def wants_json(scope: Scope, headers: Headers) -> bool:
    path = str(scope["path"])
    accept = headers.get("accept", "")
    return path.startswith(JSON_PREFIXES) or (
        "json" in accept and "text/html" not in accept)


def internal_error(scope: Scope, headers: Headers, rid: str) -> Response:
    """The answer to a request the node broke on: the request id, nothing of the cause."""
    if wants_json(scope, headers):
        return problems.problem_response(problems.internal_problem(str(scope["path"]), rid))
    locale = negotiate_locale(None, headers.get("accept-language"))
    return HTMLResponse(internal_error_page(locale, rid), status_code=500,
                        headers={"Cache-Control": "no-store"})


PAGE = """<!doctype html>
<html lang="{lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · {product}</title><link rel="stylesheet" href="/static/app.css"></head>
<body><main id="main"><h1>{title}</h1>
<p class="error" role="alert">{detail}</p>
<p>{reference}</p>
<p><a href="/">{back}</a></p></main></body></html>
"""


def internal_error_page(locale: str, rid: str) -> str:
    def t(message: str) -> str:
        return html.escape(gettext(message, locale))

    values: dict[str, Any] = {
        "lang": locale, "title": t(N_("Internal error")), "product": t(N_("ACSA Ledger")),
        "detail": t(N_("The node could not complete this request because of an internal "
                       "error.")),
        "reference": html.escape(gettext(N_(
            "Give this reference to the node's operator, who finds the error in the "
            "node's log by it: %(request_id)s"), locale) % {"request_id": rid}),
        "back": t(N_("Back to the dashboard")),
    }
    return PAGE.format(**values)
