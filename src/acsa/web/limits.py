"""Limits on what a request may send, enforced while it is read: before anything else.

:class:`BodyLimits` is a pure ASGI middleware around the whole node. It counts
the bytes of a request's body as the server hands them over — chunked bodies
included, which say nothing of their size in advance — and the moment a body
passes the limit of its route it answers 413 and lets the application read no
further. A ``Content-Length`` over the limit is answered without reading a
byte. This happens before authentication, before FastAPI parses a form or a
JSON body, before a federation request's signature is checked: an anonymous
client can make the node hold at most one route's limit of one request.

The 413 is a problem document under ``/api`` and ``/federation`` (code
``too_large``, field ``body``) and a short page in the reader's language
elsewhere. The connection is closed after it, so the rest of a body is never
read.
"""

from __future__ import annotations

import json
import logging
import re
from html import escape

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from acsa.federation.protocol import REQUEST_BODY_BYTES_MAX as FEDERATION_BODY_BYTES_MAX
from acsa.i18n import N_, gettext, negotiate_locale
from acsa.services.evidence import EVIDENCE_FILE_SIZE_MAX
from acsa.web.ui.documents import QR_IMAGE_SIZE_MAX

log = logging.getLogger("acsa.web")

KIB = 1024
MIB = 1024 * KIB
BODY_BYTES_MAX = MIB  # JSON bodies and forms: an order of 200 lines is ~100 kB
LOGIN_BODY_BYTES_MAX = 64 * KIB  # a user name, a password, a code
FORM_FRAME_BYTES = 64 * KIB  # the multipart form around an uploaded file

# The first pattern matching the start of a request's path gives its limit; else
# BODY_BYTES_MAX.
ROUTE_LIMITS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"/federation/"), FEDERATION_BODY_BYTES_MAX),
    (re.compile(r"/api/v1/evidence/?\Z"), EVIDENCE_FILE_SIZE_MAX + FORM_FRAME_BYTES),
    (re.compile(r"/orders/.+/act/[a-z-]+/?\Z"), EVIDENCE_FILE_SIZE_MAX + FORM_FRAME_BYTES),
    (re.compile(r"/scan/?\Z"), QR_IMAGE_SIZE_MAX + FORM_FRAME_BYTES),
    (re.compile(r"/auth/"), LOGIN_BODY_BYTES_MAX),
)

PROBLEM_TYPE = "tag:acsa-ledger,2026:problem:too_large"
PAGE_TITLE = N_("Too large")
PAGE_TEXT = N_("What you sent is larger than %(size)s, the most this page takes. "
               "Nothing was saved: go back and send less, or a smaller file.")


def body_limit(path: str) -> int:
    """The most bytes a request to ``path`` may send."""
    return next((limit for pattern, limit in ROUTE_LIMITS if pattern.match(path)),
                BODY_BYTES_MAX)


class BodyTooLarge(Exception):
    """Raised to the application reading a body past its limit (already answered 413)."""


class _Body:
    """One request's body as the application reads it, counted against its route's limit."""

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scope, self._receive, self._send = scope, receive, send
        self.limit = body_limit(scope.get("path", ""))
        self.read = 0
        self.started = False  # the application began its answer
        self.refused = False  # we answered 413: nothing of the application's goes out

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.read += len(message.get("body", b""))
            if self.read > self.limit:
                await self.refuse()
                raise BodyTooLarge(f"request body above {self.limit} bytes")
        return message

    async def send(self, message: Message) -> None:
        if self.refused:
            return  # the application's answer to a body it could not read
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)

    async def refuse(self) -> None:
        if not self.started and not self.refused:
            self.refused = True
            await refuse(self.scope, self._send, self.limit)


class BodyLimits:
    """Answer 413 as soon as a request body passes its route's limit (module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = _Body(scope, receive, send)
        if _declared_length(scope) > body.limit:
            await body.refuse()  # nothing read
            return
        try:
            await self.app(scope, body.receive, body.send)
        except Exception:
            if not body.refused:
                raise
            # The application stopped where its body was cut off: answered already.


def _declared_length(scope: Scope) -> int:
    text = Headers(scope=scope).get("content-length", "")
    return int(text) if text.isdigit() else 0


async def refuse(scope: Scope, send: Send, limit: int) -> None:
    """The 413: a problem document for programs, a short page for people."""
    path = scope.get("path", "")
    log.info("refused 413 too_large", extra={"event": "refusal", "status": 413,
                                              "code": "too_large", "field": "body"})
    if path.startswith(("/api/", "/federation/")):
        body = json.dumps({"type": PROBLEM_TYPE, "title": "Request too large", "status": 413,
                           "detail": f"request body above {limit} bytes", "code": "too_large",
                           "field": "body", "params": {"limit": limit},
                           "instance": path}, ensure_ascii=False).encode()
        media = b"application/problem+json"
    else:
        body, media = _page(scope, limit), b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", media), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"), (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})


def _page(scope: Scope, limit: int) -> bytes:
    locale = negotiate_locale(None, Headers(scope=scope).get("accept-language"))
    size = f"{limit // MIB} MB" if limit >= MIB else f"{limit // KIB} kB"
    title = escape(gettext(PAGE_TITLE, locale))
    text = escape(gettext(PAGE_TEXT, locale) % {"size": size})
    return (f'<!doctype html><html lang="{locale}"><meta charset="utf-8">'
            f"<title>{title}</title><h1>{title}</h1><p>{text}</p></html>").encode()
