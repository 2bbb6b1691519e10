"""The CPU time of a rebuild's fold, phase by phase, without writing anything.

Reads every batch of orders of a data set built by ``bench.rebuild_verify`` and
does what ``fold_batch`` does, timing each phase (CPU time of this process):
reading the facts, grouping linked orders, ``interpret_orders``, the statuses
completed across exchanges, the postings from the fold's trail, and the rows.
Run it from two checkouts in turn to compare them on the same data set.

    PYTHONPATH=src:. python -m bench.fold_phases --dir bench/out/dataset-10000

A measurement, never an assertion.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

from acsa.bootstrap import open_node
from acsa.config import Settings
from acsa.domain.facts import Fact
from acsa.domain.figures import completed_statuses
from acsa.domain.interpret import Trail, interpret_orders
from acsa.domain.ledger import trail_postings
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import projections as P
from acsa.store.log import linked_orders, order_facts


def phases(directory: Path) -> dict[str, float]:
    node = open_node(Settings(data_dir=directory / "jpn"))
    spent: dict[str, float] = defaultdict(float)
    clock = time.process_time

    def tick(name: str, since: float) -> float:
        now = clock()
        spent[name] += now - since
        return now

    with UnitOfWork(node) as uow:
        ctx = P.load_context(uow.conn)
        for batch in P.order_batches(uow.conn, 2_000):
            t = clock()
            facts = order_facts(uow.conn, linked_orders(uow.conn, batch))
            t = tick("read", t)
            by_order: dict[str, list[Fact]] = defaultdict(list)
            heads: dict[str, str] = {}
            links = P._Links()
            for fact in facts:
                for o in fact.orders():
                    by_order[o].append(fact)
                    heads[o] = fact.hash
                links.join(fact.orders())
            rows = P.OrderRows()
            t = tick("group", t)
            for group in links.groups(by_order):
                mine = list({f.hash: f for o in group for f in by_order[o]}.values())
                trails: dict[str, Trail] = {}
                states = interpret_orders(mine, ctx, group, trails)
                t = tick("interpret", t)
                shown = completed_statuses(states, ctx.profiles)
                t = tick("completed", t)
                for number, state in states.items():
                    postings = trail_postings(trails[number], ctx)
                    t = tick("trail_postings", t)
                    P.order_rows(state, mine, ctx, heads.get(number, ""), rows,
                                 shown=shown.get(number), postings=postings)
                    t = tick("order_rows", t)
    return {k: round(v, 2) for k, v in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path(__file__).parent / "out/dataset-10000")
    args = parser.parse_args()
    spent = phases(args.dir)
    fold = sum(v for k, v in spent.items() if k not in ("read", "group"))
    print(json.dumps({**spent, "fold": round(fold, 2), "all": round(sum(spent.values()), 2)}))


if __name__ == "__main__":
    main()
