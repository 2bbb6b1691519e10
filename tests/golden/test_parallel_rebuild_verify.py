"""``acsa rebuild`` and ``acsa verify`` in worker processes give what they give in one.

The newest golden log (orders linked by payments, exchanges and offsets) is
rebuilt and verified with one worker (in process) and with two (worker
processes), in batches of one order and chunks of three events so that every
group of linked orders and every chain link crosses the workers; on SQLite
and, when ``ACSA_TEST_POSTGRES_URL`` is set, on PostgreSQL.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from acsa.domain import facts as F
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import VerifyReport, rebuild_projections, verify_node
from acsa.store import tables as T
from acsa.store.projections import ORDER_TABLES

from .fixtures import EVENTS_FILE, load_node, read_jsonl, release_directories, write_jsonl

PROJECTION_TABLES = (*ORDER_TABLES, T.balances, T.agreements, T.appointments)


def _newest_jpn() -> Path:
    releases = release_directories()
    assert releases, "no release logs under tests/golden/"
    return releases[-1] / "jpn"


def _rows(node: Node) -> dict[str, list[tuple[object, ...]]]:
    """Every projection row, less the numeric ids that only number rows (PostgreSQL's sequences
    go on counting across rebuilds)."""
    out = {}
    with UnitOfWork(node, write=False) as uow:
        for t in PROJECTION_TABLES:
            columns = [c for c in t.columns if not (c.name == "id" and c.type.python_type is int)]
            out[t.name] = sorted((tuple(r) for r in uow.conn.execute(select(*columns))),
                                 key=repr)
    return out


def _rebuilt(node: Node, workers: int) -> dict[str, list[tuple[object, ...]]]:
    with UnitOfWork(node) as uow:
        rebuild_projections(uow, batch_orders=1, workers=workers)
        uow.commit()
    return _rows(node)


def _verified(node: Node, workers: int) -> VerifyReport:
    with UnitOfWork(node) as uow:
        return verify_node(uow, workers, page=3, batch_orders=1)


def test_a_rebuild_and_a_verification_in_two_workers_equal_those_in_one(
    fresh_node: Callable[[str], Node]
) -> None:
    node = fresh_node("JPN")
    load_node(node, _newest_jpn())
    with UnitOfWork(node, write=False) as uow:
        linking = uow.conn.execute(select(T.events.c.id).where(
            T.events.c.type.in_(sorted(F.MULTI_ORDER_TYPES)))).first()
    assert linking is not None, "the golden log links no orders: this test would prove nothing"
    one = _rebuilt(node, 1)
    assert one["orders"] and one["postings"] and one["balances"]
    assert _rebuilt(node, 2) == one
    report = _verified(node, 2)
    assert report.ok, [str(f) for f in report.findings[:10]]
    assert report == _verified(node, 1)


@pytest.mark.parametrize("engine_kind", ["sqlite"], indirect=True)
def test_a_changed_byte_is_found_by_the_workers_as_in_one_process(
    tmp_path: Path, fresh_node: Callable[[str], Node]
) -> None:
    copy = tmp_path / "jpn"
    shutil.copytree(_newest_jpn(), copy)
    rows = read_jsonl(copy / EVENTS_FILE)
    i, row = next((i, r) for i, r in enumerate(rows) if r["type"] == F.INVOICE_ISSUED)
    rows[i] = {**row, "envelope": row["envelope"].replace('"total":"', '"total":"1', 1)}
    write_jsonl(copy / EVENTS_FILE, rows)
    node = fresh_node("JPN")
    load_node(node, copy)
    with UnitOfWork(node) as uow:
        rebuild_projections(uow, workers=2)
        uow.commit()
    parallel = _verified(node, 2)
    where = f"{row['stream']} seq {row['seq']}"
    found = [str(f) for f in parallel.findings]
    assert any(where in f and "hash mismatch" in f for f in found), found
    assert any(where in f and "bad signature" in f for f in found), found
    assert parallel == _verified(node, 1)
