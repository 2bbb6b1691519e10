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

from acsa.cli.common import AsOpt, JsonOpt, OnOpt, parse_day
from acsa.cli.orders import IfMatchOpt, NumberArg, evidence, order_app, parent, run
from acsa.domain.agreement import DOCUMENT_KINDS
from acsa.services import attachments


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
