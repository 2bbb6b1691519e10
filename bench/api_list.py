"""Server time of ``GET /api/v1/orders`` and of the web page ``/orders`` (HTML, 50 a page)
with 100,000 orders, on SQLite and PostgreSQL.

The SQLite node comes from :mod:`bench.dataset` (genuine signed events, projections
rebuilt from them). For PostgreSQL the same node — identity, key and every row — is
copied into a fresh database, so both engines answer over identical data. Each
request goes through the whole app in process (routing, authentication, the query,
serialisation), which is the server's time without the network.

    .venv/bin/python -m bench.api_list [--orders 100000] [--postgres URL] [--repeats 30]

Prints a table of median and 95th-percentile milliseconds per query shape. A
benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, Integer, create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from acsa.bootstrap import open_node
from acsa.config import Settings
from acsa.devtools.world import user_id
from acsa.domain.parties import Role
from acsa.services import auth, queries, users
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from acsa.web.app import create_app
from bench.dataset import build

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's notice about httpx2
    from fastapi.testclient import TestClient

OUT = Path("bench/out/api-list")
COPY_BATCH_ROWS = 5000


def copy_to_postgres(source: Node, url: str, directory: Path, *,
                     suffix: str = "_api_list") -> Node:
    """The same node on a fresh PostgreSQL database named after ``url``'s, plus ``suffix``."""
    base = make_url(url)
    name = f"{base.database}{suffix}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    target_url = base.set(database=name).render_as_string(hide_password=False)
    data_dir = directory / "jpn-pg"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    shutil.copy2(source.data_dir / "node.key", data_dir / "node.key")
    # Without the note that the database held events: this one is empty until the copy.
    toml = (source.data_dir / "node.toml").read_text(encoding="utf-8").splitlines()
    (data_dir / "node.toml").write_text(
        "".join(f"{line}\n" for line in toml if not line.startswith("recorded_events")),
        encoding="utf-8")
    target = open_node(Settings(data_dir=data_dir, database_url=target_url))
    with source.engine.connect() as src, target.engine.begin() as dst:
        for table in T.metadata.sorted_tables:
            if table.name == "alembic_version":
                continue
            rows = src.execute(select(table)).mappings()
            while chunk := [dict(r) for r in rows.fetchmany(COPY_BATCH_ROWS)]:
                dst.execute(insert(table), chunk)
            serial = "id" in table.c and table.c.id.primary_key and isinstance(
                table.c.id.type, (Integer, BigInteger))
            if serial:
                dst.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"GREATEST((SELECT max(id) FROM {table.name}), 1))"))
    # Statistics as autovacuum would gather them soon after a bulk load, so the
    # planner sees the data it will see in service.
    with target.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql("ANALYZE")
    return target


def credentials(node: Node) -> tuple[str, str]:
    """An auditor's API token, and a session cookie for the ordering official."""
    with UnitOfWork(node) as uow:
        auditor = users.get_user(uow, user_id(node.party, Role.AUDITOR))
        token = auth.create_token(uow, auditor, user_id=auditor.id, name="bench",
                                  scopes=["read"]).secret
        session = auth.open_session(uow, user_id(node.party, Role.ORDERING_OFFICIAL),
                                    second_factor_done=True).token
        uow.commit()
    return token, session


def middle_cursor(node: Node) -> str:
    with UnitOfWork(node, write=False) as uow:
        count = uow.conn.execute(select(func.count()).select_from(T.orders)).scalar_one()
        row = uow.conn.execute(
            select(T.orders.c.submitted_on, T.orders.c.number)
            .order_by(T.orders.c.submitted_on.desc(), T.orders.c.number.desc())
            .offset(count // 2).limit(1)).one()
    return queries.encode_cursor(row.submitted_on, row.number)


def timed(call: Callable[[], Any], repeats: int) -> tuple[float, float]:
    for _ in range(3):
        call()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def measure(node: Node, repeats: int) -> dict[str, tuple[float, float]]:
    token, session = credentials(node)
    cursor = middle_cursor(node)
    shapes: dict[str, dict[str, Any]] = {
        "first page (50)": {},
        "first page (200)": {"limit": 200},
        "page in the middle (cursor)": {"after": cursor},
        "status=submitted": {"status": "submitted"},
        "counterpart=PHL": {"counterpart": "PHL"},
        "text search q=rotor": {"q": "rotor"},
        "overdue=true": {"overdue": "true"},
    }
    out: dict[str, tuple[float, float]] = {}
    with TestClient(create_app(node), base_url="https://testserver") as client:
        client.cookies.set("__Host-acsa_session", session)
        for label, params in shapes.items():
            def by_token(p: dict[str, Any] = params) -> None:
                r = client.get("/api/v1/orders", params=p,
                               headers={"Authorization": f"Bearer {token}"})
                assert r.status_code == 200, r.text

            def by_session(p: dict[str, Any] = params) -> None:
                r = client.get("/api/v1/orders", params=p)
                assert r.status_code == 200, r.text

            def web_page(p: dict[str, Any] = params) -> None:
                page = {k: ("1" if v == "true" else v) for k, v in p.items() if k != "limit"}
                r = client.get("/orders", params=page)
                assert r.status_code == 200, r.text

            out[f"{label}, session"] = timed(by_session, repeats)
            out[f"{label}, token"] = timed(by_token, repeats)
            if "limit" not in params:  # the page shows 50 a page
                out[f"{label}, web page /orders"] = timed(web_page, repeats)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--postgres", default=None,
                        help="A PostgreSQL URL (e.g. $ACSA_TEST_POSTGRES_URL) to measure too.")
    parser.add_argument("--dir", type=Path, default=OUT)
    args = parser.parse_args()
    directory: Path = args.dir / str(args.orders)
    directory.mkdir(parents=True, exist_ok=True)
    print(f"building or reusing {args.orders} orders in {directory} …")
    sqlite = build(directory, args.orders, log=print)
    results = {"sqlite": measure(sqlite, args.repeats)}
    if args.postgres:
        t0 = time.perf_counter()
        postgres = copy_to_postgres(sqlite, args.postgres, directory)
        print(f"  copied to PostgreSQL in {time.perf_counter() - t0:.1f} s")
        results["postgresql"] = measure(postgres, args.repeats)
        postgres.engine.dispose()
    sqlite.engine.dispose()
    engines = list(results)
    print(f"\nGET /api/v1/orders, {args.orders} orders, {args.repeats} requests each, "
          "milliseconds (median / p95):")
    print(f"{'query':48}" + "".join(f"{e:>20}" for e in engines))
    for label in results["sqlite"]:
        cells = "".join(f"{results[e][label][0]:>11.1f} /{results[e][label][1]:>6.1f}"
                        for e in engines)
        print(f"{label:48}{cells}")
    (directory / "api_list.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
