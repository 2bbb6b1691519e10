"""``acsa order attach``: a document for a step already taken (a delivery ticket found later).

The agreement's evidence policy may hold back an invoice or a payment until a
delivery or receipt carries its document (``acsa report missing-evidence``
lists what is missing); the side that took the step attaches it here, naming
the kind of document, and the settlement step may then go ahead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from acsa.cli.common import AsOpt, JsonOpt, OnOpt, acting_user, emit, errors, node, parse_day, table
from acsa.cli.ledger import report_app
from acsa.cli.orders import IfMatchOpt, NumberArg, evidence, order_app, parent, run
from acsa.domain.agreement import DOCUMENT_KINDS
from acsa.services import attachments, missing_evidence
from acsa.services.unit_of_work import UnitOfWork


@order_app.command("attach")
def order_attach(
    number: NumberArg,
    to: Annotated[str, typer.Option(
        "--to", help="The step it documents: a delivery's position, delivery:N, receipt:N "
        "or a prefix of the step's event hash.")],
    kind: Annotated[str, typer.Option(
        "--kind", help=f"What document it is: {', '.join(DOCUMENT_KINDS)}.")],
    file: Annotated[list[Path], typer.Option("--file", help="The document (repeatable).")],
    on: OnOpt = None, if_match: IfMatchOpt = None, as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Attach documents to a delivery or receipt already recorded."""
    run(as_user, as_json, lambda uow, user: attachments.attach_evidence(
        uow, user, number, to=to, kind=kind, evidence=evidence(uow, file), on=parse_day(on),
        expected_parent=parent(if_match)))


@report_app.command("missing-evidence")
def report_missing_evidence(
    partner: Annotated[str | None, typer.Option(help="Only orders with this partner.")] = None,
    as_user: AsOpt = None, as_json: JsonOpt = False,
) -> None:
    """Orders lacking a document their agreement's evidence policy asks of a step (the
    exception report of source documents); ``report export missing-evidence`` writes it."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        rows = missing_evidence.missing_evidence(uow, acting_user(uow, as_user),
                                                 partner=partner)
        emit(as_json, rows, lambda: table(
            [[r.order, r.status, f"{r.step} {r.step_on}", r.event[:12], r.document,
              f"before {r.before}", r.party] for r in rows],
            ["order", "status", "step", "event", "missing", "holds back", "attach by"]))
