"""A Philippine node under a US–Philippines profile in which the United States signs on
paper, with an order the Philippines asked of the United States: what the paper tests of
the command line, the API and the pages start from."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from acsa.devtools.exercise import Exercise
from acsa.devtools.world import as_official, staff_node
from acsa.domain.parties import Role
from acsa.profiles import PROFILE_DIR, load_file, shipped_profile
from acsa.services import orders
from acsa.services.node import Node

AGREEMENT = "USA-PHL-MLSA"
US_UNIT = "USFJ-374AW"


def paper_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The US–Philippines profile with the United States signing on paper, adopted by id."""
    text = (PROFILE_DIR / "usa-phl-mlsa.toml").read_text()
    usa = text.index('code = "USA"')
    cut = text.index('signs = "node"', usa)
    path = tmp_path / "usa-phl-mlsa-paper.toml"
    path.write_text(text[:cut] + 'signs = "paper"' + text[cut + len('signs = "node"'):])
    import acsa.services.admin as admin_service

    monkeypatch.setattr(admin_service, "shipped_profile", lambda _id: load_file(path))
    return AGREEMENT


def diesel_terms() -> dict[str, object]:
    x = Exercise(shipped_profile(AGREEMENT))
    return x.terms("PHL", "USA", [("pol", "Diesel fuel F-76", "10000", "L", "1.25")],
                   needed_by="2026-12-20")


def paper_node(make_node: Callable[[str], Node], tmp_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> tuple[Node, str]:
    """The staffed PHL node and the number of an order it submitted to the United States."""
    profile = paper_profile(tmp_path, monkeypatch)
    phl = make_node("PHL")
    staff_node(phl, [profile])
    number = as_official(phl, Role.ORDERING_OFFICIAL, orders.submit_order,
                         diesel_terms()).envelope.subject
    return phl, number
