"""``acsa arrangement propose|sign|list|show`` on two nodes, and an order citing one."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from .test_cli_orders import X, copy, day, own_nodes, pair  # noqa: F401

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "arrangement-jp-ph-ia-01.toml"
IA = "JP-PH/IA-01"


def test_propose_sign_list_show_and_cite(pair, tmp_path: Path):  # type: ignore[no-untyped-def]  # noqa: F811
    jpn, phl = pair
    day(date(2026, 2, 2), jpn, phl)
    assert phl.fails("arrangement", "propose", "--file", str(EXAMPLE), "--as",
                     "phl.ordering").startswith("error: not_appointed: user: phl.ordering")
    line = phl("arrangement", "propose", "--file", str(EXAMPLE), "--as", "phl.finance")
    assert line.startswith(f"arrangement {IA} proposed (event ")
    assert phl.fails("arrangement", "sign", IA, "--as", "phl.finance") == (
        "error: invalid_value: identifier: a party cannot countersign its own proposal")
    copy(phl, jpn)
    listed = jpn.json("arrangement", "list", "--as", "jpn.ordering")
    assert [(r["identifier"], r["status"], r["in_effect"]) for r in listed] == [
        (IA, "proposed", False)]
    jpn("arrangement", "sign", IA, "--as", "jpn.finance")
    copy(jpn, phl)
    shown = phl("arrangement", "show", IA, "--as", "phl.ordering")
    assert f"{IA}  JPN-PHL-ACSA  SIGNED (in effect)" in shown
    assert "office: Naval Finance Center, Roxas Boulevard, Manila" in shown
    assert phl.json("arrangement", "show", IA, "--as", "phl.ordering")["signed_by"] == "JPN"

    day(date(2026, 2, 3), jpn, phl)
    terms = X.terms("PHL", "JPN", [("pol", "Diesel fuel F-76", "100", "L", "152.5")])
    path = tmp_path / "terms.json"
    path.write_text(json.dumps({**terms, "implementing_arrangement": "JP-PH/IA-02"}))
    refused = json.loads(phl.invoke(("order", "submit", "--file", str(path), "--as",
                                     "phl.ordering", "--json")).stderr)
    assert (refused["code"], refused["field"]) == ("unknown_reference",
                                                   "implementing_arrangement")
    path.write_text(json.dumps({**terms, "implementing_arrangement": IA}))
    assert phl.json("order", "submit", "--file", str(path), "--as", "phl.ordering")["order"]


def test_a_file_with_a_bad_field_is_refused_naming_it(pair, tmp_path: Path):  # type: ignore[no-untyped-def]  # noqa: F811
    _jpn, phl = pair
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.read_text().replace("valid_to = 2031-01-31", "valid_to = 2020-01-01"))
    assert phl.fails("arrangement", "propose", "--file", str(bad), "--as", "phl.finance") == (
        "error: invalid_value: valid_to: cannot be before valid_from")
