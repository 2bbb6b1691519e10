"""``acsa order waive-duties`` and a combined-duty act refused, from the command line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from .test_cli_orders import X, copy, day, own_nodes, pair, ticket  # noqa: F401
from .test_separation_of_duties import add_multi

REFUSED = ("error: duties_combined: actor.user: phl.multi already took 'submit' on this "
           "order: under JPN-PHL-ACSA 2026.3+2026-02-01 one person may not also take 'receive' "
           "(separation of duties)")


def test_a_combined_duty_refused_then_waived(pair, tmp_path: Path):  # type: ignore[no-untyped-def]  # noqa: F811
    jpn, phl = pair
    add_multi(phl.node)
    copy(phl, jpn)
    day(date(2026, 2, 3), jpn, phl)
    path = tmp_path / "terms.json"
    path.write_text(json.dumps(X.terms("PHL", "JPN", [("pol", "Diesel fuel F-76", "10000", "L",
                                                        "152.5")])))
    number = phl.json("order", "submit", "--file", str(path), "--as", "phl.multi")["order"]
    copy(phl, jpn)
    jpn("order", "accept", number, "--unit", "JGSDF-1HB", "--as", "jpn.approving")
    jpn("order", "deliver", number, "--line", "1=10000", "--ticket", ticket(tmp_path),
        "--as", "jpn.supply")
    copy(jpn, phl)

    assert phl.fails("order", "receive", number, "--delivery", "1",
                     "--as", "phl.multi") == REFUSED
    refusal = json.loads(phl.invoke(("order", "receive", number, "--delivery", "1",
                                     "--as", "phl.multi", "--json")).stderr)
    assert (refusal["code"], refusal["field"]) == ("duties_combined", "actor.user")
    assert refusal["params"]["done"] == "submit" and refusal["params"]["action"] == "receive"

    # Only an approving official waives; the reason is required.
    assert phl.fails("order", "waive-duties", number, "--reason", "four of us", "--as",
                     "phl.ordering").startswith("error: not_appointed: user: phl.ordering is "
                                                "not appointed as approving_official")
    line = phl("order", "waive-duties", number, "--reason",
               "detachment of four at Subic: one officer orders and receives",
               "--as", "phl.approving")
    assert line.startswith(f"waived the separation of duties on {number} (event ")
    phl("order", "receive", number, "--delivery", "1", "--as", "phl.multi")
    shown = phl("order", "show", number)
    assert ("  separation of duties WAIVED for the requester (PHL) on 2026-02-03 by PHL "
            "approving official (phl.approving): detachment of four at Subic: one officer "
            "orders and receives") in shown.splitlines()
    assert "duties.waived" in shown
    data = phl.json("order", "show", number)
    [waiver] = data["separation_of_duties"]["waivers"]
    assert (waiver["by"], waiver["side"]) == ("phl.approving", "requester")
    assert "already waived" in phl.fails("order", "waive-duties", number, "--reason", "again",
                                         "--as", "phl.approving")
