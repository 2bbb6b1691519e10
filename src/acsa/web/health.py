"""``GET /healthz`` and ``GET /readyz``: for a load balancer, a supervisor or an operator.

- ``/healthz`` — the process is alive and answering; it touches nothing else
  (a database outage must not get every worker restarted).
- ``/readyz`` — this process can serve: the database answers within
  :data:`READY_TIMEOUT_S` and its schema is the one this release was built for;
  with the age of each online peer's last sync. 200 when ready, else 503 with the
  reason. A peer that cannot be reached does not make the node unready: its age
  says how stale its copy of that peer's streams is.

Neither needs a login, and neither says anything an outsider could use: no
addresses, no counts, no figures, no error text from the database (which the log
has, under the request's id).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from acsa.services import health
from acsa.services.node import Node

log = logging.getLogger("acsa.web")

READY_TIMEOUT_S = 5.0
NO_STORE = {"Cache-Control": "no-store"}


def readiness_body(node: Node, ready: health.Readiness) -> dict[str, Any]:
    now = node.clock()
    return {
        "status": "ready" if ready.ready else "not_ready",
        **({"reason": ready.reason} if ready.reason else {}),
        "database": "ok" if ready.database else "unreachable",
        "schema": {"at": ready.schema, "needed": ready.head},
        "peers": [{"party": p.party,
                   "last_sync_age_s": health.age_s(p.last_ok_at, now),
                   "last_round_age_s": health.age_s(p.last_round_at, now),
                   "last_round_ok": p.last_round_ok, "alarm": p.alarm}
                  for p in ready.peers],
    }


def mount(app: FastAPI, node: Node) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "alive"}, headers=NO_STORE)

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        try:
            ready = await asyncio.wait_for(run_in_threadpool(health.readiness, node),
                                           timeout=READY_TIMEOUT_S)
        except TimeoutError:
            ready = health.Readiness(
                False, f"the database did not answer within {READY_TIMEOUT_S:g} s", False, None)
        if not ready.ready:
            log.warning("not ready: %s", ready.reason, extra={"event": "not_ready"})
        return JSONResponse(readiness_body(node, ready), status_code=200 if ready.ready else 503,
                            headers=NO_STORE)
