"""Balance statements: one side's finance officer signs what is owed, the other answers.

A statement fixes, for one agreement, one currency and one date, every
balance between the two parties by account (what each owes the other,
committed, invoiced, settled …), as the signer's books show them. The other
party's finance officer answers it: *agreed* (a countersignature: its own
books show the same figures) or *disputed* with the reason and the accounts
that differ. An agreed statement is the periodic reconciliation the audits
asked for, signed by both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from acsa.domain.errors import N_, InvalidValue
from acsa.domain.facts import BALANCE_ANSWERED, BALANCE_SIGNED, Fact

AGREED = "agreed"
DISPUTED = "disputed"
ANSWERS = (AGREED, DISPUTED)


@dataclass(frozen=True)
class BalanceLine:
    """One account between a debtor and a creditor, in minor units of the statement's currency."""

    debtor: str
    creditor: str
    account: str
    minor: int

    def as_data(self) -> dict[str, Any]:
        return {"debtor": self.debtor, "creditor": self.creditor, "account": self.account,
                "minor": self.minor}


def statement_document(agreement: str, parties: Sequence[str], currency: str, as_of: str,
                       lines: Iterable[BalanceLine]) -> dict[str, Any]:
    """The statement as signed: zero balances left out, lines in one fixed order."""
    kept = sorted((ln for ln in lines if ln.minor != 0),
                  key=lambda ln: (ln.debtor, ln.creditor, ln.account))
    return {"agreement": agreement, "parties": sorted(parties), "currency": currency,
            "as_of": as_of, "balances": [ln.as_data() for ln in kept]}


def differences(signed: Mapping[str, Any], ours: Mapping[str, Any]) -> list[str]:
    """Every account where two statement documents disagree, in words."""
    def by_key(doc: Mapping[str, Any]) -> dict[tuple[str, str, str], int]:
        return {(b["debtor"], b["creditor"], b["account"]): int(b["minor"])
                for b in doc.get("balances", [])}

    out = []
    for key in ("agreement", "currency", "as_of"):
        if signed.get(key) != ours.get(key):
            out.append(f"{key}: {signed.get(key)} vs {ours.get(key)}")
    theirs, mine = by_key(signed), by_key(ours)
    for k in sorted(set(theirs) | set(mine)):
        if theirs.get(k, 0) != mine.get(k, 0):
            debtor, creditor, account = k
            out.append(f"{debtor} owes {creditor} ({account}): statement says "
                       f"{theirs.get(k, 0)}, our books {mine.get(k, 0)} (minor units)")
    return out


def check_statement_data(type_: str, data: Mapping[str, Any]) -> None:
    """Refuse statement events whose data other checks could not read."""
    if type_ == BALANCE_SIGNED:
        doc = data.get("statement")
        if not isinstance(doc, Mapping):
            raise InvalidValue(N_("must be the statement document"), field="statement")
        for key in ("agreement", "currency", "as_of"):
            if not isinstance(doc.get(key), str):
                raise InvalidValue(N_("must be text"), field=f"statement.{key}")
        parties = doc.get("parties")
        if not isinstance(parties, list) or len(parties) != 2:
            raise InvalidValue(N_("must name the two parties"), field="statement.parties")
        balances = doc.get("balances")
        if not isinstance(balances, list):
            raise InvalidValue(N_("must be a list"), field="statement.balances")
        for i, b in enumerate(balances):
            if not (isinstance(b, Mapping) and isinstance(b.get("minor"), int)
                    and all(isinstance(b.get(k), str) for k in ("debtor", "creditor", "account"))):
                raise InvalidValue(
                    N_("must be debtor, creditor, account and minor units"),
                    field=f"statement.balances[{i}]",
                )
    elif type_ == BALANCE_ANSWERED:
        if not isinstance(data.get("statement"), str):
            raise InvalidValue(N_("must be the hash of the signed statement"), field="statement")
        if data.get("answer") not in ANSWERS:
            raise InvalidValue(
                N_("must be agreed or disputed"),
                field="answer", allowed=list(ANSWERS),
            )


@dataclass(frozen=True)
class Statement:
    """One signed statement and the answer it got, if any."""

    id: str  # hash of the balance.signed event
    signer: str
    signed_by: str  # the finance officer's name
    document: Mapping[str, Any]
    status: str = "signed"  # signed, agreed, disputed
    answered_by: str | None = None
    answer_event: str | None = None
    reason: str = ""
    differences: tuple[str, ...] = ()
    ineffective: tuple[tuple[str, str], ...] = field(default=())  # (event, reason)


Authorize = Callable[[Fact], str | None]  # a reason the actor may not sign, or None


def fold_statements(facts: Iterable[Fact], authorize: Authorize) -> list[Statement]:
    """Statements and their answers; answers that may not count are listed as ineffective.

    The first valid answer decides; only the party that did not sign may
    answer, through its own node and a finance officer it appointed.
    """
    ordered = sorted(facts, key=lambda f: (f.at, f.stream, f.seq))
    found: dict[str, Statement] = {}
    loose: list[tuple[str, str]] = []
    for f in ordered:
        if f.type == BALANCE_SIGNED:
            problem = _signer_problem(f) or authorize(f)
            doc = f.data.get("statement", {})
            st = Statement(f.hash, f.signer, f.actor.name, doc)
            if problem:
                st = Statement(f.hash, f.signer, f.actor.name, doc, status="ineffective",
                               ineffective=((f.hash, problem),))
            found[f.hash] = st
        elif f.type == BALANCE_ANSWERED:
            target = found.get(str(f.data.get("statement")))
            problem = _answer_problem(f, target) or authorize(f)
            if target is None or problem:
                loose.append((f.hash, problem or "answers no known statement"))
                if target is not None:
                    found[target.id] = _with(target, ineffective=(
                        *target.ineffective, (f.hash, problem or "")))
                continue
            found[target.id] = _with(
                target, status=str(f.data["answer"]), answered_by=f.actor.name,
                answer_event=f.hash, reason=str(f.data.get("reason", "")),
                differences=tuple(str(d) for d in f.data.get("differences", [])))
    return list(found.values())


def _with(st: Statement, **changes: Any) -> Statement:
    values = {**st.__dict__, **changes}
    return Statement(**values)


def _signer_problem(f: Fact) -> str | None:
    if f.actor.party != f.signer or f.actor.paper:
        return f"a statement of {f.actor.party} signed by {f.signer}'s node"
    parties = f.data.get("statement", {}).get("parties", [])
    if f.signer not in parties:
        return f"{f.signer} is not a party to this statement"
    return None


def _answer_problem(f: Fact, target: Statement | None) -> str | None:
    if target is None:
        return "answers no known statement"
    if f.actor.party != f.signer or f.actor.paper:
        return f"an answer of {f.actor.party} signed by {f.signer}'s node"
    if f.signer == target.signer:
        return "a party cannot answer its own statement"
    if f.signer not in target.document.get("parties", []):
        return f"{f.signer} is not a party to this statement"
    if target.status in ANSWERS:
        return f"the statement was already {target.status}"
    return None
