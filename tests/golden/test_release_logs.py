"""Every release's golden log still verifies and folds to the projections that release derived.

``tests/golden/release-<version>/`` holds, for each node (``jpn/``, ``phl/``),
what that release recorded: ``events.jsonl`` (every stored event exactly as
the ``events`` table held it — canonical envelope text, hash, signature,
key), ``tree_heads.jsonl`` (the signed tree heads held), ``keys.json`` (the
public keys the node checks signatures with) and ``projections.json`` (the
projections it derived). Each log is loaded into a brand-new node database
— SQLite, and PostgreSQL when ``ACSA_TEST_POSTGRES_URL`` is set — inserting
the stored bytes as they are; then ``acsa rebuild``'s code path derives the
projections and ``acsa verify``'s checks every byte, hash, signature, chain
link and tree head and re-folds every order. The projections must equal the
recorded ones exactly.

A release's directory is recorded once, by that release, and never edited or
replaced; a later release adds its own directory beside it::

    .venv/bin/python -m tests.golden.regenerate release
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from acsa.domain import facts as F
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import rebuild_projections, verify_node
from acsa.store import tables as T

from .fixtures import (
    EVENTS_FILE,
    GOLDEN,
    KEYS_FILE,
    PROJECTIONS_FILE,
    RECORD_RELEASE,
    load_node,
    log_rows,
    projections,
    read_json,
    read_jsonl,
    release_directories,
    release_version,
    write_jsonl,
)

RELEASES = release_directories()
CASES = [pytest.param(node_dir, id=f"{release.name}-{node_dir.name}")
         for release in RELEASES
         for node_dir in sorted(d for d in release.iterdir() if d.is_dir())]
EVENT_TYPES = {v for k, v in vars(F).items() if k.isupper() and isinstance(v, str)
               and "." in v and v == v.lower()}


def test_this_release_has_a_golden_log() -> None:
    version = release_version()
    assert (GOLDEN / f"release-{version}").is_dir(), (
        f"release {version} has no golden log: record it once, in the release's own commit, "
        f"with `{RECORD_RELEASE}`"
    )
    assert CASES, "no node logs found under tests/golden/release-*/"


@pytest.mark.parametrize("node_dir", CASES)
def test_a_release_log_verifies_and_folds_to_its_projections(
    node_dir: Path, fresh_node: Callable[[str], Node]
) -> None:
    check_node_log(node_dir, fresh_node(read_json(node_dir / KEYS_FILE)["party"]))


def check_node_log(node_dir: Path, node: Node) -> None:
    """Load a recorded node log into ``node``, rebuild, verify, and compare the projections."""
    recorded_rows = read_jsonl(node_dir / EVENTS_FILE)
    assert load_node(node, node_dir) == len(recorded_rows)
    with UnitOfWork(node, write=False) as uow:
        held = log_rows(uow.conn)
    # Loading stored the recorded rows as they are: envelope text, hash,
    # signature, key, stream, seq, in the recorded arrival order.
    assert len(held) == len(recorded_rows)
    for i, (got, want) in enumerate(zip(held, recorded_rows, strict=True)):
        assert got == want, f"row {i} of {node_dir / EVENTS_FILE} was not stored as recorded"

    with UnitOfWork(node) as uow:  # acsa rebuild
        rebuild_projections(uow)
        uow.commit()
    with UnitOfWork(node) as uow:  # acsa verify (its re-fold is rolled back)
        report = verify_node(uow)
    assert report.ok, "\n".join(str(f) for f in report.findings[:40])
    assert report.events == len(recorded_rows)

    recorded = read_json(node_dir / PROJECTIONS_FILE)
    with UnitOfWork(node, write=False) as uow:
        derived = projections(uow.conn, recorded)
    problems = projection_differences(recorded, derived)
    assert not problems, (
        f"{node_dir} no longer folds to the projections its release derived:\n"
        + "\n".join(problems)
    )


def projection_differences(recorded: dict[str, list[dict[str, Any]]],
                           derived: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Each table whose rows differ, with a few rows on each side.

    Every column the release recorded is compared; a column a later release
    added to a table is not in the old fixture and so not compared.
    """
    out = []
    for table, want in recorded.items():
        got = derived[table]
        if want:
            columns = list(want[0])
            missing = [c for c in columns if got and c not in got[0]]
            if missing:
                out.append(f"  {table}: columns {missing} are no longer derived")
                continue
            got = [{c: row[c] for c in columns} for row in got]
        only_recorded = [r for r in want if r not in got]
        only_derived = [r for r in got if r not in want]
        if len(got) != len(want) or only_recorded or only_derived:
            out.append(f"  {table}: {len(want)} row(s) recorded, {len(got)} derived")
            out += [f"    recorded, not derived: {json.dumps(r, ensure_ascii=False)}"
                    for r in only_recorded[:5]]
            out += [f"    derived, not recorded: {json.dumps(r, ensure_ascii=False)}"
                    for r in only_derived[:5]]
    return out


@pytest.mark.parametrize("node_dir", CASES)
def test_a_release_log_holds_only_known_event_types(node_dir: Path) -> None:
    types = {row["type"] for row in read_jsonl(node_dir / EVENTS_FILE)}
    assert types <= EVENT_TYPES, f"types no longer known: {sorted(types - EVENT_TYPES)}"


def _newest_jpn() -> Path:
    assert RELEASES, "no release logs under tests/golden/"
    return RELEASES[-1] / "jpn"


@pytest.mark.parametrize("engine_kind", ["sqlite"], indirect=True)
def test_a_changed_byte_in_a_golden_log_is_found(
    tmp_path: Path, fresh_node: Callable[[str], Node]
) -> None:
    copy = tmp_path / "jpn"
    shutil.copytree(_newest_jpn(), copy)
    rows = read_jsonl(copy / EVENTS_FILE)
    i, row = next((i, r) for i, r in enumerate(rows) if r["type"] == F.INVOICE_ISSUED)
    rows[i] = {**row, "envelope": row["envelope"].replace('"total":"', '"total":"1', 1)}
    assert rows[i]["envelope"] != row["envelope"]
    write_jsonl(copy / EVENTS_FILE, rows)
    node = fresh_node("JPN")
    load_node(node, copy)
    with UnitOfWork(node) as uow:
        rebuild_projections(uow)
        uow.commit()
    with UnitOfWork(node) as uow:
        found = [str(f) for f in verify_node(uow).findings]
    where = f"{row['stream']} seq {row['seq']}"
    assert any(where in f and "hash mismatch" in f for f in found), found
    assert any(where in f and "bad signature" in f for f in found), found


def test_a_rebuild_one_order_at_a_time_folds_to_the_recorded_projections(
    fresh_node: Callable[[str], Node]
) -> None:
    """Batches of one order: a group of orders linked by a payment, exchange or offset is
    folded whole, once, by the batch holding its first order, whichever batch reaches it."""
    node_dir = _newest_jpn()
    recorded = read_json(node_dir / PROJECTIONS_FILE)
    node = fresh_node("JPN")
    load_node(node, node_dir)
    with UnitOfWork(node) as uow:
        linking = uow.conn.execute(select(func.count()).select_from(T.events).where(
            T.events.c.type.in_(sorted(F.MULTI_ORDER_TYPES)))).scalar_one()
        assert linking > 0, "the golden log links no orders: this test would prove nothing"
        rebuild_projections(uow, batch_orders=1)
        uow.commit()
    with UnitOfWork(node, write=False) as uow:
        derived = projections(uow.conn, recorded)
    assert projection_differences(recorded, derived) == []


@pytest.mark.parametrize("engine_kind", ["sqlite"], indirect=True)
def test_a_projection_that_differs_from_the_recorded_one_is_reported(
    fresh_node: Callable[[str], Node]
) -> None:
    node_dir = _newest_jpn()
    recorded = read_json(node_dir / PROJECTIONS_FILE)
    node = fresh_node("JPN")
    load_node(node, node_dir)
    with UnitOfWork(node) as uow:
        rebuild_projections(uow)
        uow.commit()
    with UnitOfWork(node, write=False) as uow:
        derived = projections(uow.conn, recorded)
    assert projection_differences(recorded, derived) == []
    changed = {**derived, "balances": [{**r, "balance_minor": r["balance_minor"] + 1}
                                       if i == 0 else r
                                       for i, r in enumerate(derived["balances"])]}
    problems = projection_differences(recorded, changed)
    assert problems and problems[0].startswith("  balances:"), problems
    fewer = {**derived, "postings": derived["postings"][1:]}
    assert any(p.startswith("  postings:") for p in projection_differences(recorded, fewer))
