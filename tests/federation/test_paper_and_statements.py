"""A partner without a node (paper-signed steps, then its own node takes over), and
balance statements signed by one side and countersigned or disputed by the other."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from acsa.bootstrap import init_node
from acsa.config import Settings
from acsa.devtools.world import as_official, carry, introduce, staff_node, user_id
from acsa.domain.errors import InvalidValue
from acsa.domain.parties import Role
from acsa.profiles import PROFILE_DIR, load_file
from acsa.services import orders, paper, statements, users
from acsa.services.node import Node
from acsa.services.reconcile import order_summaries
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import verify_node
from acsa.store import tables as T

from .test_online_sync import diesel


def node(tmp_path: Path, party: str) -> Node:
    return init_node(Settings(data_dir=tmp_path / party.lower()), party)


def paper_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The US–Philippines profile with the United States signing on paper, adopted by id."""
    text = (PROFILE_DIR / "usa-phl-mlsa.toml").read_text()
    usa = text.index('code = "USA"')
    cut = text.index('signs = "node"', usa)
    path = tmp_path / "usa-phl-mlsa-paper.toml"
    path.write_text(text[:cut] + 'signs = "paper"' + text[cut + len('signs = "node"'):])
    import acsa.services.admin as admin_service

    monkeypatch.setattr(admin_service, "shipped_profile", lambda _id: load_file(path))
    return "USA-PHL-MLSA"


def verified(*nodes: Node) -> None:
    for n in nodes:
        with UnitOfWork(n) as uow:
            report = verify_node(uow)
        assert report.ok, [str(f) for f in report.findings[:5]]


def test_paper_steps_then_the_partner_node_takes_over(tmp_path, monkeypatch):
    profile = paper_profile(tmp_path, monkeypatch)
    phl = node(tmp_path, "PHL")
    staff_node(phl, [profile])
    number = as_official(phl, Role.ORDERING_OFFICIAL, orders.submit_order,
                         diesel("PHL", "USA", "USA-PHL-MLSA")).envelope.subject
    with UnitOfWork(phl) as uow:
        admin = uow.conn.execute(select(T.users.c.id).where(
            T.users.c.id == "phl.administrator")).scalar_one()
        from acsa.services.users import get_user

        admin_user = get_user(uow, admin)
        letter = paper.attach_evidence(uow, "usa-appointment.pdf", "application/pdf", b"%PDF-1")
        paper.appoint_paper_official(
            uow, admin_user, agreement="USA-PHL-MLSA", party="USA", user_id="usa.hayes",
            name="Col. Linda Hayes", role="approving_official", units=["USFJ-374AW"],
            valid_from=date(2026, 1, 15), evidence=letter)
        form = paper.attach_evidence(uow, "form-1-accepted.pdf", "application/pdf", b"%PDF-2")
        attester = get_user(uow, "phl.ordering")
        # Without the signed form the step is refused by the domain's own rule.
        with pytest.raises(InvalidValue):
            paper.record_paper_step(uow, attester, number=number, party="USA",
                                    official="usa.hayes", type="order.accepted",
                                    data={"version": 1, "supplying_unit": "USFJ-374AW"},
                                    evidence=[])
        paper.record_paper_step(uow, attester, number=number, party="USA",
                                official="usa.hayes", type="order.accepted",
                                data={"version": 1, "supplying_unit": "USFJ-374AW"},
                                evidence=[form])
        uow.commit()
    with UnitOfWork(phl, write=False) as uow:
        status = uow.conn.execute(select(T.orders.c.status)
                                  .where(T.orders.c.number == number)).scalar_one()
    assert status == "accepted"
    # The United States joins with its own node: it receives the whole record and acts.
    usa = node(tmp_path, "USA")
    staff_node(usa, [profile])
    introduce(phl, usa)
    bundles = tmp_path / "bundles"
    carry(phl, usa, bundles)
    carry(usa, phl, bundles)
    as_official(usa, Role.SUPPLY_OFFICER, orders.deliver, number, [(1, "10000")])
    carry(usa, phl, bundles)
    with UnitOfWork(phl) as uow, pytest.raises(InvalidValue, match="own node"):
        paper.record_paper_step(uow, get_user(uow, "phl.ordering"), number=number,
                                party="USA", official="usa.hayes",
                                type="order.rejected", data={"reason": "x"},
                                evidence=[form])
    for n in (phl, usa):
        with UnitOfWork(n, write=False) as uow:
            verdicts = uow.conn.execute(select(T.verdicts).where(
                T.verdicts.c.order_number == number)).all()
            assert all(v.effective for v in verdicts), [v.reason for v in verdicts]
    with UnitOfWork(phl, write=False) as a, UnitOfWork(usa, write=False) as b:
        assert order_summaries(a, "USA-PHL-MLSA") == order_summaries(b, "USA-PHL-MLSA")
        envelope = a.conn.execute(select(T.events.c.envelope).where(
            T.events.c.type == "order.accepted")).scalar_one()
    assert '"paper":true' in envelope and '"attested_by"' in envelope
    verified(phl, usa)


def test_a_balance_statement_is_countersigned_or_disputed(tmp_path):
    jpn, phl = node(tmp_path, "JPN"), node(tmp_path, "PHL")
    for n in (jpn, phl):
        staff_node(n, ["JPN-PHL-ACSA"])
    introduce(jpn, phl)
    bundles = tmp_path / "bundles"
    carry(jpn, phl, bundles)
    carry(phl, jpn, bundles)
    number = as_official(phl, Role.ORDERING_OFFICIAL, orders.submit_order,
                         diesel()).envelope.subject
    carry(phl, jpn, bundles)
    as_official(jpn, Role.APPROVING_OFFICIAL, orders.accept, number, supplying_unit="JMSDF-ESF1")
    delivery = as_official(jpn, Role.SUPPLY_OFFICER, orders.deliver, number, [(1, "10000")])
    carry(jpn, phl, bundles)
    as_official(phl, Role.RECEIVING_OFFICIAL, orders.receive, number, delivery.hash[:12])
    carry(phl, jpn, bundles)
    from acsa.services.recording import adopted_profile

    with UnitOfWork(jpn, write=False) as uow:
        today = uow.node.today(adopted_profile(uow, "JPN-PHL-ACSA"))
    signed = as_official(jpn, Role.FINANCE_OFFICER, statements.sign_balance,
                         agreement="JPN-PHL-ACSA", counterparty="PHL", currency="JPY",
                         as_of=today)
    doc = signed.envelope.data["statement"]
    assert doc["balances"], doc  # something is owed
    carry(jpn, phl, bundles)
    as_official(phl, Role.FINANCE_OFFICER, statements.answer_balance, signed.hash[:16],
                agree=True)
    carry(phl, jpn, bundles)
    for n in (jpn, phl):
        with UnitOfWork(n, write=False) as uow:
            [st] = statements.list_statements(uow, users.get_user(
                uow, user_id(n.party, Role.FINANCE_OFFICER)))
        assert (st.status, st.signer) == ("agreed", "JPN")
    # A statement with other figures cannot be countersigned, only disputed.
    second = as_official(jpn, Role.FINANCE_OFFICER, statements.sign_balance,
                         agreement="JPN-PHL-ACSA", counterparty="PHL", currency="JPY",
                         as_of=date(2026, 1, 31))
    carry(jpn, phl, bundles)
    as_official(phl, Role.FINANCE_OFFICER, statements.answer_balance, second.hash[:16],
                agree=False, reason="we count the delivery of 1 February")
    carry(phl, jpn, bundles)
    with UnitOfWork(jpn, write=False) as uow:
        states = {s.id: s.status for s in statements.list_statements(
            uow, users.get_user(uow, user_id("JPN", Role.FINANCE_OFFICER)))}
    assert states == {signed.hash: "agreed", second.hash: "disputed"}
    verified(jpn, phl)
