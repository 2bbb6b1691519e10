"""Reconciliation cost: messages and bytes for 10,000 orders with 0, 1 and 100 differences.

Both sides' order digests are built from synthetic order summaries shaped as
`acsa.services.reconcile.order_summaries` writes them; the two sides then run
the real comparison (`compare` against `answer_from`), every request and
answer passing through JSON exactly as over HTTP, so the counts are those of
the protocol. Run: `.venv/bin/python bench/reconcile_cost.py [orders]`.
"""

from __future__ import annotations

import copy
import json
import random
import sys
import time
from typing import Any

from acsa.services.reconcile import DigestTree, answer_from, compare


def summaries(n: int) -> dict[str, dict[str, Any]]:
    rng = random.Random(42)
    out = {}
    for i in range(1, n + 1):
        number = f"JP-PH/PHL/FY2026/{i:05d}"
        value = rng.randrange(10_000, 5_000_000)
        out[number] = {
            "status": "settled", "version": 1, "currency": "JPY", "value_minor": value,
            "lines": [["1", "10000", "152.5", "10000", "10000"]],
            "postings": {"PHL>JPN JPY committed/receivable": value,
                         "PHL>JPN JPY receivable/settled": value},
            "events": [f"{rng.getrandbits(256):064x}" for _ in range(6)],
            "ineffective": 0,
        }
    return out


def measure(n: int, differences: int) -> dict[str, Any]:
    here = summaries(n)
    there = copy.deepcopy(here)
    for number in random.Random(7).sample(sorted(there), differences):
        there[number]["status"] = "received"
        there[number]["events"] = there[number]["events"][:-1]
    mine, theirs = DigestTree.of(here), DigestTree.of(there)

    def remote(body: dict[str, Any]) -> dict[str, Any]:
        answer = answer_from(theirs, json.loads(json.dumps(body)))
        return json.loads(json.dumps(answer))

    started = time.perf_counter()
    result = compare(mine, remote, agreement="JPN-PHL-ACSA", me="JPN", peer="PHL")
    took = time.perf_counter() - started
    assert len(result.differences) == differences
    return {"orders": n, "differences": differences, "messages": result.messages,
            "bytes": result.bytes, "compare_s": round(took, 3),
            "full_copy_bytes": len(json.dumps(there))}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rows = [measure(n, d) for d in (0, 1, 100)]
    print(f"{'orders':>7} {'differences':>11} {'messages':>8} {'bytes':>9} "
          f"{'vs sending every digest':>24}")
    for r in rows:
        ratio = r["bytes"] / r["full_copy_bytes"]
        print(f"{r['orders']:>7} {r['differences']:>11} {r['messages']:>8} {r['bytes']:>9} "
              f"{ratio:>16.2%}")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
