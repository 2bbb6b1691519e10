"""``acsa move-database``: the node's database copied to another engine, checked on arrival.

SQLite to PostgreSQL (when several workers must write) and back. The
target must be an empty database; it is brought to this release's schema and
every table is copied from one snapshot of the source
(:mod:`acsa.store.copy`). On arrival the copy is checked: the same events
with the same hashes in every stream, the same number of rows in every
table, and ``acsa verify`` passing on it. Should the node have recorded
anything while it was being copied, the move is refused: stop the node and
move it again. The source is left as it was; the node runs on the target
once ``ACSA_DATABASE_URL`` names it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, select

from acsa.domain.errors import N_, DomainError
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import verify_node
from acsa.store import tables as T
from acsa.store.copy import UnknownTables, copy_rows, counts, is_empty, snapshot
from acsa.store.db import make_engine, migrate


class MoveRefused(DomainError):
    code = "move_refused"


@dataclass
class MoveReport:
    source: str
    target: str
    rows: dict[str, int]
    events: int = 0
    log_digest: str = ""  # SHA-256 over every (stream, seq, hash), on both sides
    heads: dict[str, int] = field(default_factory=dict)
    verified: bool = False
    problems: list[str] = field(default_factory=list)


def log_digest(conn: Connection) -> tuple[str, int, dict[str, int]]:
    """A digest of every event's stream, seq and hash; their number; each stream's head."""
    digest = hashlib.sha256()
    n = 0
    for r in conn.execute(select(T.events.c.stream, T.events.c.seq, T.events.c.hash)
                          .order_by(T.events.c.id)):
        digest.update(f"{r.stream}\0{r.seq}\0{r.hash}\n".encode())
        n += 1
    heads = {r.stream: int(r.head_seq) for r in conn.execute(select(T.streams))}
    return digest.hexdigest(), n, heads


def move_database(node: Node, target_url: str, source_name: str, target_name: str
                  ) -> MoveReport:
    """Copy ``node``'s database to the empty database ``target_url`` and check it there."""
    target = make_engine(target_url)
    try:
        with target.connect() as conn:
            if not is_empty(conn):
                raise MoveRefused(
                    N_("%(target_name)s is not empty: name a new, empty database"),
                    field="to", target_name=target_name,
                )
        migrate(target)
        with snapshot(node.engine) as source, target.begin() as conn:
            try:
                rows = copy_rows(source, conn)
            except UnknownTables as exc:
                raise MoveRefused(str(exc), field="from") from None
            before = log_digest(source)
        report = MoveReport(source_name, target_name, rows)
        _check(node, target, before, report)
        return report
    finally:
        target.dispose()


def _check(node: Node, target: Engine, before: tuple[str, int, dict[str, int]],
           report: MoveReport) -> None:
    """The copy against the source, and ``acsa verify`` on it."""
    with snapshot(node.engine) as source:
        now = log_digest(source)
    if now != before:
        raise MoveRefused(
            N_("the node recorded events while it was being copied: stop it (`acsa serve`), "
               "empty the target and move it again"),
            field="from",
        )
    with snapshot(target) as conn:
        arrived = log_digest(conn)
        arrived_counts = counts(conn)
    report.log_digest, report.events, report.heads = before
    if arrived != before:
        report.problems.append("the events on arrival differ from the source's")
    report.problems += [f"{t}: {n} rows copied, {arrived_counts.get(t)} on arrival"
                        for t, n in report.rows.items() if arrived_counts.get(t) != n]
    moved = Node(node.party, node.key, target, node.data_dir, node.clock)
    with UnitOfWork(moved) as uow:
        result = verify_node(uow)
    report.problems += [str(f) for f in result.findings[:20]]
    report.verified = result.ok and not report.problems
