"""A transcript of serving one node from several processes on PostgreSQL.

Four ``acsa serve`` processes are started at once on a node whose database is
empty, then four more on one left at the previous schema revision: each comes up
(one upgrades the schema under the migration lock, the others find it done), each
answers ``curl /readyz`` 200, and one of them runs the background sync. Then
``acsa serve --workers 2``: a request with an ``X-Request-ID`` and its JSON log line,
a refusal's line, and SIGTERM stopping both workers and the sync.

    ACSA_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python -m bench.serving_transcript > docs/serving-transcript.txt
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from alembic import command
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from acsa.bootstrap import init_node
from acsa.config import Settings
from acsa.devtools import serving
from acsa.store.db import SCHEMA_HEAD, alembic_config, make_engine, schema_revision

BASE_URL = os.environ.get("ACSA_TEST_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PREVIOUS = f"{int(SCHEMA_HEAD) - 1:04d}"
DID = {"schema_upgraded": "upgraded the schema",
       "schema_current": "waited for the lock, found it done"}
SHOWN = ("time", "level", "logger", "message", "pid", "request_id", "event")


def out(line: str = "") -> None:
    print(line, flush=True)


@contextmanager
def databases() -> Iterator[Any]:
    admin = create_engine(BASE_URL, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def new() -> str:
        name = f"acsa_serving_{uuid.uuid4().hex[:10]}"
        with admin.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{name}"')
        made.append(name)
        return make_url(BASE_URL).set(database=name).render_as_string(hide_password=False)

    try:
        yield new
    finally:
        with admin.connect() as c:
            for name in made:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def revision(url: str) -> str:
    engine = make_engine(url)
    try:
        return schema_revision(engine) or "empty"
    finally:
        engine.dispose()


def short(line: dict[str, Any]) -> str:
    return json.dumps({k: line[k] for k in SHOWN if k in line}, ensure_ascii=False)


def four_at_once(data_dir: Path, url: str, logs: Path) -> None:
    """Start four processes together, wait for each, and say what each did."""
    out(f"  database before: {revision(url)}")
    out("$ for i in 1 2 3 4; do acsa serve --port $PORT_i & done   # all four at once")
    started = time.monotonic()
    processes = serving.start(data_dir, url, logs, count=4)
    for served in processes:
        answer = serving.wait_ready(served)
        took = time.monotonic() - started
        did = [DID[e["event"]] for e in served.lines() if e.get("event") in DID]
        sync = "runs the sync" if served.events("sync_leader") else "stands by"
        out(f"  :{served.port}  ready after {took:4.1f} s  "
            f"{(did or ['found the schema at the head'])[0]:<30}  {sync}")
        out(f"$ curl -s http://127.0.0.1:{served.port}/readyz")
        out(f"  {answer.text}")
    for line in (e for s in processes for e in s.lines() if e.get("event") in (
            "schema_upgraded", "schema_current")):
        out(f"  log: {short(line)}")
    leaders = sum(len(s.events("sync_leader")) for s in processes)
    failed = [s.port for s in processes if "Traceback" in s.text()]
    out(f"  database after: {revision(url)}; processes up: {len(processes)} of 4; "
        f"sync loops: {leaders}; tracebacks: {len(failed)}")
    codes = [s.stop() for s in processes]
    out(f"$ kill -TERM …   exit statuses {codes} (after its graceful shutdown uvicorn ends "
        "by re-raising SIGTERM)")
    out(f"  sync stopped in {sum(len(s.events('sync_stopped')) for s in processes)} of 4")


def workers(data_dir: Path, url: str, logs: Path) -> None:
    out("$ acsa serve --workers 2 --port $PORT")
    (served,) = serving.start(data_dir, url, logs, args=("--workers", "2"))
    serving.wait_ready(served)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(
            served.events("sync_leader") + served.events("sync_standby")) < 2:
        time.sleep(0.2)
    for line in served.events("sync_leader") + served.events("sync_standby"):
        out(f"  log: {short(line)}")
    rid = "transcript-7f3a91"
    answer = httpx.get(served.url("/readyz"), headers={"X-Request-ID": rid}, timeout=10)
    out(f"$ curl -si -H 'X-Request-ID: {rid}' http://127.0.0.1:{served.port}/readyz")
    out(f"  HTTP/1.1 {answer.status_code}; x-request-id: {answer.headers['x-request-id']}")
    out(f"  {answer.text}")
    refused = httpx.get(served.url("/api/v1/me?token=hunter2"), timeout=10)
    out(f"$ curl -s 'http://127.0.0.1:{served.port}/api/v1/me?token=hunter2'   "
        f"# {refused.status_code}, x-request-id {refused.headers['x-request-id']}")
    time.sleep(0.5)
    lines = served.lines()
    out("  the JSON log lines of these two requests, as written:")
    for line in lines:
        if line.get("request_id") in (rid, refused.headers["x-request-id"]):
            out(f"  {json.dumps(line, ensure_ascii=False)}")
    status = served.stop()
    stopped = served.events("sync_stopped")
    out(f"$ kill -TERM $PARENT   exit status {status}; workers that stopped their sync "
        f"loop: {len(stopped)} of 2; 'hunter2' in the log: {'hunter2' in served.text()}")


def main() -> None:
    out(f"Serving one node from several processes, PostgreSQL "
        f"({datetime.now(UTC):%Y-%m-%d}); schema head {SCHEMA_HEAD}")
    with tempfile.TemporaryDirectory() as tmp, databases() as new:
        base = Path(tmp)
        url = new()
        init_node(Settings(data_dir=base / "jpn", database_url=url), "JPN").engine.dispose()

        out()
        out("1. Four processes at once on an empty database")
        four_at_once(base / "jpn", new(), base / "logs1")

        out()
        out(f"2. Four processes at once on a database at the previous revision ({PREVIOUS})")
        engine = make_engine(url)
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), PREVIOUS)
        engine.dispose()
        four_at_once(base / "jpn", url, base / "logs2")

        out()
        out("3. Two workers, a request id, a refusal and SIGTERM")
        workers(base / "jpn", url, base / "logs3")


if __name__ == "__main__":
    main()
