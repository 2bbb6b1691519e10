"""How an order and its payments read on a terminal: ``acsa order show``, ``acsa order
payments`` and the payments ``acsa todo`` names.

Amounts are the record's exact text with thousands separators and their currency
(``1,494,500 JPY``); payments, exchanges and offsets are named by their numbers
(``PAY/PHL/00001``, ``EVE/JPN/00001``, ``OFS/PHL/00001``), which every command that acts
on them takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import typer

from acsa.cli.common import grouped, table
from acsa.domain.marking import UNCLASSIFIED
from acsa.domain.streams import stream_party
from acsa.services import markings
from acsa.services.payments import Payment


def _money(text: object, currency: str) -> str:
    return f"{grouped(text)} {currency}"


def print_order(o: dict[str, Any]) -> None:
    """An order as ``acsa order show`` prints it: terms, lines, figures, every part of its
    settlement, and its timeline."""
    t, f = o["terms"], o["figures"]
    echo = typer.echo
    echo(f"{o['number']}  {o['status'].upper()}  (version {o['version']}"
         f"{', EMERGENCY' if o['emergency'] else ''})")
    echo(f"  {t['requester']} {t['requesting_unit']} asks {t['supplier']}"
         f"{' ' + o['accepted']['supplying_unit'] if o['accepted'] else ''}; {t['method']} in "
         f"{t['currency']}; {t['activity']} ({t['activity_type']})")
    echo(f"  needed by {t['needed_by']} at {t['deliver_to']}; POC {t['poc']}")
    echo(f"  head {o['head']}")
    if o["marking"]["level"] != UNCLASSIFIED:
        echo(f"  marking {markings.text(SimpleNamespace(**o['marking']))} (originated by "
             f"{o['marking']['originator']}; releasable to {', '.join(o['marking']['rel'])})")
    echo("")
    table([[str(x["line"]), ln["category"], ln["description"], ln["unit"],
            grouped(x["ordered"]), grouped(ln["unit_price"]), grouped(x["delivered"]),
            grouped(x["received"])]
           for x, ln in zip(f["lines"], t["lines"], strict=True)],
          ["line", "category", "description", "unit", "ordered", "price", "delivered",
           "received"])
    echo("")
    g = {k: grouped(f[k]) for k in ("value", "commitment", "receivable", "in_kind", "invoiced",
                                     "settled", "written_off", "outstanding")}
    echo(f"  value {g['value']}  committed {g['commitment']}  receivable {g['receivable']}  "
         f"in kind {g['in_kind']}  invoiced {g['invoiced']}  settled {g['settled']}  "
         f"written off {g['written_off']}  outstanding {g['outstanding']} {f['currency']}")
    for d in o["deliveries"]:
        got = "received" if d["receipt"] else "NOT RECEIVED"
        echo(f"  delivery {d['position']} on {d['on']} ({d['id'][:8]}…): "
             + ", ".join(f"line {x['line']} {grouped(x['quantity'])}" for x in d["lines"])
             + f"; {got}")
    for line in settlement_lines(o):
        echo(f"  {line}")
    for d in o["disputes"]:
        echo(f"  dispute {d['position']} ({d['side']}, {'open' if d['open'] else 'resolved'}):"
             f" {d['reason']}")
    for c in o["changes"]:
        echo(f"  request {c['position']}: {c['kind']} by the {c['side']}, "
             f"{c['answer'] or 'pending'}: {c['reason']}")
    for x in o["transfers"]:
        echo(f"  transfer {x['position']} to {x['to']}: {x['answer'] or 'awaiting consent'}"
             f"{', done ' + x['done_on'] if x['done_on'] else ''}")
    for w in (o.get("separation_of_duties") or {}).get("waivers", ()):
        echo(f"  separation of duties WAIVED for the {w['side']} ({w['party']}) on {w['on']} "
             f"by {w['name']} ({w['by']}): {w['reason']}")
    echo("")
    table([[str(e["seq"]), stream_party(e["stream"]), e["at"][:16], e["on"] or "",
            e["type"], f"{e['actor']['user']} ({e['actor']['role']})", e["hash"][:8],
            "ok" if e["verdict"]["effective"] else f"INEFFECTIVE {e['verdict']['code']}",
            e["verdict"]["note"] or e["verdict"]["reason"]]
           for e in o["timeline"]],
          ["seq", "node", "recorded", "on", "event", "actor", "hash", "verdict", "note"])


def settlement_lines(o: dict[str, Any]) -> list[str]:
    """One line per invoice, payment, return, conversion, exchange and offset of an order."""
    cur = o["figures"]["currency"]
    out = []
    for i in o["invoices"]:
        state = "live" if i["live"] else f"voided {i['voided_on']}"
        out.append(f"invoice {i['position']} {i['number']} ({i['kind']}) "
                   f"{_money(i['total'], cur)}, due {i['due_on']}, outstanding "
                   f"{_money(i['outstanding'], cur)}; {state}")
    for p in o["payments"]:
        out.append(payment_line(p, cur))
    for r in o["returns"]:
        answer = f"{r['answer']} {r['answered_on']}" if r["answer"] else "awaiting answer"
        out.append(f"return {r['position']} on {r['on']}: "
                   + ", ".join(f"line {x['line']} {grouped(x['quantity'])}" for x in r["lines"])
                   + f" ({r['description']}); {answer}")
    for c in o["conversions"]:
        out.append(f"conversion {c['position']} on {c['on']}: "
                   + ", ".join(f"line {x['line']} {grouped(x['quantity'])} at "
                               f"{grouped(x['unit_price'])}" for x in c["lines"])
                   + f"; {_money(c['amount'], cur)} owed in cash instead of "
                     f"{_money(c['in_kind_value'], cur)} in kind")
    for x in o["exchanges"]:
        signed = f"signed {x['signed_on']}" if x["signed_on"] else "awaiting signature"
        out.append(f"exchange {x['number'] or x['exchange'][:8]} proposed by the "
                   f"{x['proposed_by']} on {x['proposed_on']}: {_money(x['value'], cur)} of "
                   f"this order exchanged, {_money(x['to_cash'], cur)} of it to invoice in "
                   f"cash; {signed}")
    for f in o["offsets"]:
        signed = f"signed {f['signed_on']}" if f["signed_on"] else "awaiting signature"
        out.append(f"offset {f['number'] or f['offset'][:8]} proposed by the "
                   f"{f['proposed_by']} as of {f['as_of']}: {_money(f['amount'], cur)} of "
                   f"invoice {f['invoice_number'] or f['invoice'][:8]}; {signed}")
    return out


def payment_line(p: dict[str, Any], currency: str) -> str:
    """A payment's part on one order: number, amount, invoice, reference, state, dates."""
    line = (f"payment {p['number'] or p['payment'][:8]} on {p['on']}: "
            f"{_money(p['amount'], currency)} for invoice "
            f"{p['invoice_number'] or p['invoice'][:8]}, reference {p['reference']}; ")
    if p["confirmed_on"]:
        return line + (f"confirmed {p['confirmed_on']}, received "
                       f"{_money(p['received'], currency)}")
    return line + "awaiting confirmation"


def payments_table(found: Sequence[Payment]) -> None:
    """Payments, one row per invoice each pays (the payment's own columns on its first)."""
    rows = []
    for p in found:
        for i, a in enumerate(p.allocations):
            first = i == 0
            rows.append([
                p.number if first else "", f"{p.payer}→{p.payee}" if first else "",
                str(p.on or "") if first else "", grouped(p.amount.text()) + f" {p.currency}"
                if first else "", a.order, a.invoice, grouped(a.amount.text()),
                grouped(a.received.text()) if a.received is not None else "-",
                p.state if first else "", p.reference if first else ""])
    table(rows, ["payment", "paid", "on", "amount", "order", "invoice", "allocated",
                 "received", "state", "reference"])


def payment_data(p: Payment) -> dict[str, Any]:
    """A payment as ``--json`` prints it: exact amounts, no separators."""
    return {"number": p.number, "hash": p.hash, "payer": p.payer, "payee": p.payee,
            "on": p.on, "reference": p.reference, "currency": p.currency,
            "amount": p.amount.text(), "state": p.state,
            "received": p.received.text() if p.received is not None else None,
            "confirmed_on": p.confirmed_on,
            "allocations": [{"order": a.order, "invoice": a.invoice, "amount": a.amount.text(),
                             "received": a.received.text() if a.received is not None else None,
                             "confirmed_on": a.confirmed_on} for a in p.allocations]}
