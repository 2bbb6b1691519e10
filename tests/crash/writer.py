"""A writer to be killed: acts on one node through the service layer, forever.

Run as ``python writer.py DATA_DIR [DATABASE_URL]``. After each use case
returns — its transaction committed — it prints one acknowledgement line and
flushes it: ``event <hash>`` for a signed event, ``draft <id>`` for a draft.
The harness kills it at a random moment and then checks that every line it
read is still true of the database.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

from acsa.bootstrap import open_node
from acsa.config import Settings
from acsa.devtools.exercise import Exercise
from acsa.devtools.world import as_official, in_force_profile
from acsa.domain.parties import Role
from acsa.services import orders

AGREEMENT = "JPN-PHL-ACSA"


def terms(n: int) -> dict[str, Any]:
    x = Exercise(in_force_profile(AGREEMENT))
    line = ("pol", f"Diesel fuel F-76, lot {n}", str(100 + n), "L", "152.5")
    made: dict[str, Any] = x.terms("PHL", "JPN", [line], needed_by="2027-06-01")
    return made


def main(data_dir: str, database_url: str | None) -> None:
    node = open_node(Settings(data_dir=Path(data_dir), database_url=database_url))
    out = sys.stdout
    for n in itertools.count(1):
        event = as_official(node, Role.ORDERING_OFFICIAL, orders.submit_order, terms(n))
        out.write(f"event {event.hash}\n")
        out.flush()
        if n % 3 == 0:
            gone = as_official(node, Role.ORDERING_OFFICIAL, orders.withdraw,
                               event.envelope.subject, reason="no longer needed")
            out.write(f"event {gone.hash}\n")
            out.flush()
        if n % 4 == 0:
            draft = as_official(node, Role.ORDERING_OFFICIAL, orders.save_draft, terms(n),
                                note=f"draft {n}")
            out.write(f"draft {draft}\n")
            out.flush()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
