"""Setting up real nodes quickly: officials, agreements, peers, and carrying bundles.

Used by the demonstration, the benchmarks and the integration tests, so
that each sets nodes up the same way an administrator would by the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from acsa.domain.agreement import AgreementProfile
from acsa.domain.parties import Role
from acsa.domain.profile_update import entry_into_force
from acsa.federation.bundles import export_bundle, import_bundle
from acsa.profiles import shipped_profile
from acsa.services import admin, evidence, orders, unit_of_work, users
from acsa.services.intake import ImportSummary
from acsa.services.node import Node
from acsa.services.peers import add_peer
from acsa.services.recording import StoredEvent
from acsa.services.unit_of_work import UnitOfWork

T = TypeVar("T")


@dataclass(frozen=True)
class Official:
    user: str
    name: str
    role: Role
    units: tuple[str, ...] = ()


# Units and officials of each force in the demonstration and the tests.
UNITS: dict[str, list[tuple[str, str]]] = {
    "JPN": [("JGSDF-1HB", "1st Helicopter Brigade, JGSDF"),
            ("JMSDF-ESF1", "Escort Flotilla 1, JMSDF"),
            ("JASDF-2AW", "2nd Air Wing, JASDF")],
    "PHL": [("AFP-TOG1", "Tactical Operations Group 1, PAF"),
            ("AFP-NFL", "Naval Forces Luzon, PN"),
            ("AFP-1ID", "1st Infantry Division, PA")],
    "USA": [("USFJ-374AW", "374th Airlift Wing, USAF"),
            ("USN-7FLT-LOG", "Logistics Group Western Pacific, USN")],
}

NAMES: dict[str, dict[Role, str]] = {
    "JPN": {
        Role.ORDERING_OFFICIAL: "Maj. Sato Haruto",
        Role.APPROVING_OFFICIAL: "Lt. Col. Suzuki Aiko",
        Role.SUPPLY_OFFICER: "Capt. Takahashi Ren",
        Role.RECEIVING_OFFICIAL: "1st Lt. Tanaka Yui",
        Role.FINANCE_OFFICER: "Ms. Watanabe Emi",
        Role.SECURITY_OFFICER: "Maj. Ito Kenji",
        Role.AUDITOR: "Mr. Yamamoto Daichi",
        Role.ADMINISTRATOR: "Mr. Nakamura Sho",
    },
    "PHL": {
        Role.ORDERING_OFFICIAL: "Maj. Maria Santos",
        Role.APPROVING_OFFICIAL: "Col. Jose Reyes",
        Role.SUPPLY_OFFICER: "Capt. Ramon Cruz",
        Role.RECEIVING_OFFICIAL: "1Lt. Ana Bautista",
        Role.FINANCE_OFFICER: "Ms. Liza Garcia",
        Role.SECURITY_OFFICER: "Maj. Paolo Mendoza",
        Role.AUDITOR: "Mr. Carlo Villanueva",
        Role.ADMINISTRATOR: "Mr. Mark Dela Cruz",
    },
    "USA": {
        Role.ORDERING_OFFICIAL: "Maj. John Carter",
        Role.APPROVING_OFFICIAL: "Col. Linda Hayes",
        Role.SUPPLY_OFFICER: "Capt. Mike Rivera",
        Role.RECEIVING_OFFICIAL: "1st Lt. Sarah Kim",
        Role.FINANCE_OFFICER: "Mr. David Brooks",
        Role.SECURITY_OFFICER: "Maj. Alan Price",
        Role.AUDITOR: "Ms. Karen Webb",
        Role.ADMINISTRATOR: "Mr. Tom Ellis",
    },
}

SIGNING_ROLES = (Role.ORDERING_OFFICIAL, Role.APPROVING_OFFICIAL, Role.SUPPLY_OFFICER,
                 Role.RECEIVING_OFFICIAL, Role.FINANCE_OFFICER)


def user_id(party: str, role: Role) -> str:
    """``phl.ordering`` for the Philippine ordering official, and so on."""
    return f"{party.lower()}.{role.value.split('_')[0]}"


# The demonstration and the tests assume the Japan–Philippines agreement, signed on
# 15 January 2026, entered into force on 1 February 2026 by an exchange of notes. The
# real date follows ratification; each node's administrator records it the same way.
IN_FORCE_ON = date(2026, 2, 1)
IN_FORCE_REFERENCE = "Exchange of notes of 1 February 2026 (demonstration)"


def in_force_profile(agreement: str) -> AgreementProfile:
    """``agreement``'s shipped profile as the demonstration and the tests have it in force."""
    profile = shipped_profile(agreement)
    if profile.status != "signed":
        return profile
    return entry_into_force(profile, on=IN_FORCE_ON, reference=IN_FORCE_REFERENCE)


def adopt_in_force(uow: UnitOfWork, admin_user: users.LocalUser, agreement: str) -> None:
    """Adopt ``agreement``'s shipped profile and, if it is only signed, record its entry
    into force (:data:`IN_FORCE_ON`), as each party's administrator would."""
    profile = admin.adopt_agreement(uow, admin_user, agreement)
    if profile.status == "signed":
        admin.enter_into_force(uow, admin_user, agreement, on=IN_FORCE_ON,
                               reference=IN_FORCE_REFERENCE)


def staff_node(node: Node, agreements: Iterable[str], *, valid_from: date = date(2026, 1, 15),
               time_zone: str = "UTC", in_force: bool = True) -> None:
    """Adopt ``agreements`` (in force, unless ``in_force`` is false: then as shipped),
    register units and appoint one official per signing role."""
    party = node.party
    unit_ids = [u for u, _ in UNITS[party]]
    with UnitOfWork(node) as uow:
        admin_user = users.add_user(
            uow, None, user_id=user_id(party, Role.ADMINISTRATOR),
            name=NAMES[party][Role.ADMINISTRATOR], roles=[Role.ADMINISTRATOR.value],
            time_zone=time_zone,
        )
        for role in Role:
            if role is Role.ADMINISTRATOR:
                continue
            users.add_user(uow, admin_user, user_id=user_id(party, role),
                           name=NAMES[party][role], roles=[role.value], units=unit_ids,
                           time_zone=time_zone, locale="ja" if party == "JPN" else "en")
        for agreement in agreements:
            if in_force:
                adopt_in_force(uow, admin_user, agreement)
            else:
                admin.adopt_agreement(uow, admin_user, agreement)
            for unit, name in UNITS[party]:
                admin.register_unit(uow, admin_user, agreement=agreement, unit_id=unit,
                                    name=name)
            for role in SIGNING_ROLES:
                admin.appoint(uow, admin_user, agreement=agreement, user_id=user_id(party, role),
                              name=NAMES[party][role], role=role.value, units=unit_ids,
                              valid_from=valid_from)


def appoint_security_officer(node: Node, agreement: str, *,
                             valid_from: date = date(2026, 1, 15)) -> StoredEvent:
    """Publish the appointment of ``node``'s security officer under ``agreement``, who then
    signs loss or compromise reports and their steps (the partner checks the roster)."""
    with UnitOfWork(node) as uow:
        admin_user = users.get_user(uow, user_id(node.party, Role.ADMINISTRATOR))
        return admin.appoint(uow, admin_user, agreement=agreement,
                             user_id=user_id(node.party, Role.SECURITY_OFFICER),
                             name=NAMES[node.party][Role.SECURITY_OFFICER],
                             role=Role.SECURITY_OFFICER.value, valid_from=valid_from)


def introduce(a: Node, b: Node, *, a_url: str | None = None, b_url: str | None = None) -> None:
    """Register each node as the other's peer, as administrators do out of band."""
    for me, other, url in ((a, b, b_url), (b, a, a_url)):
        with UnitOfWork(me) as uow:
            admin_user = users.get_user(uow, user_id(me.party, Role.ADMINISTRATOR))
            add_peer(uow, admin_user, party=other.party, key_fingerprint=other.key.fingerprint,
                     base_url=url)


def carry(source: Node, target: Node, directory: Path) -> ImportSummary:
    """Export a bundle from ``source`` for ``target`` and import it there."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{source.party}-to-{target.party}.json"
    with UnitOfWork(source, write=False) as uow:
        export_bundle(uow, target.party, path)
    with UnitOfWork(target) as uow:
        summary = import_bundle(uow, path)
    return summary


def exchange(a: Node, b: Node, directory: Path) -> None:
    """Carry bundles both ways, then once more so acknowledgements travel back."""
    carry(a, b, directory)
    carry(b, a, directory)


def deliver_with_ticket(uow: UnitOfWork, user: users.LocalUser, number: str,
                        lines: Sequence[tuple[int, str]], **kw: Any) -> StoredEvent:
    """Record a delivery with its delivery ticket (a short text file naming the order, the
    lines and the day), as the supply officer hands it over; it is kept with the delivery."""
    text = "\n".join(["DELIVERY TICKET", f"Order: {number}",
                      *(f"Line {no}: {quantity}" for no, quantity in lines),
                      f"Delivered on: {kw.get('on') or uow.node.now_at()[:10]}", ""])
    ticket = evidence.store_evidence(uow, f"delivery-ticket-{number.replace('/', '-')}.txt",
                                     text.encode(), "text/plain")
    return orders.deliver(uow, user, number, lines,
                          evidence=[{**ticket, "kind": "delivery-ticket"}], **kw)


def scripted(act: Callable[..., T], kw: Mapping[str, Any]) -> Callable[..., T]:
    """The use case a scripted official runs for ``act``: a delivery that names no evidence
    carries its delivery ticket, as the agreement's evidence policy asks."""
    if act is orders.deliver and "evidence" not in kw:
        return deliver_with_ticket  # type: ignore[return-value]
    return act


def as_official(node: Node, role: Role, act: Callable[..., T], *args: Any, **kw: Any) -> T:
    """Run ``act`` as ``node``'s official in ``role``, as one use case: committed whole (a
    delivery with its delivery ticket, unless ``evidence`` is given)."""
    with UnitOfWork(node) as uow:
        user = users.get_user(uow, user_id(node.party, role))
        result = unit_of_work.use_case(scripted(act, kw))(uow, user, *args, **kw)
    return result
