"""``acsa peer`` and ``acsa sync``: partner nodes and the exchange of signed events."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from acsa.cli.common import (
    AsOpt,
    JsonOpt,
    acting_user,
    emit,
    errors,
    fail,
    grouped,
    node,
    table,
)
from acsa.cli.root import app
from acsa.events import short_fingerprint
from acsa.federation.bundles import export_bundle, import_bundle
from acsa.federation.recover import export_copy, import_copy, is_copy_file
from acsa.services.peers import (
    add_peer,
    confirm_key,
    install_rotated_key,
    list_peers,
    pending_keys,
    revoke_key,
    rotate_key,
)
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.witness import alarm_evidence, list_alarms, resolve_alarms

peer_app = typer.Typer(help="Partner nodes.", no_args_is_help=True)
sync_app = typer.Typer(help="Exchange signed events with partner nodes.", no_args_is_help=True)
app.add_typer(peer_app, name="peer")
app.add_typer(sync_app, name="sync")


@peer_app.command("add")
def peer_add(
    party: Annotated[str, typer.Argument(help="The peer's party code, e.g. PHL.")],
    fingerprint: Annotated[str, typer.Option(help="Its key fingerprint, exchanged out of band.")],
    url: Annotated[str | None, typer.Option(help="Its base URL for online sync.")] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a partner node by its party and key fingerprint."""
    with errors(as_json), UnitOfWork(node()) as uow:
        peer = add_peer(uow, acting_user(uow, as_user), party=party, key_fingerprint=fingerprint,
                        base_url=url)
        emit(as_json, peer, f"peer {peer.party} registered ({peer.fingerprint})")


@peer_app.command("list")
def peer_list(as_json: JsonOpt = False) -> None:
    """The registered peers, their status (active or alarm) and keys awaiting confirmation."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        peers = list_peers(uow)
        pending = {p.party: [k.fingerprint for k in pending_keys(uow, p.party)] for p in peers}
        rows = [{"party": p.party, "fingerprint": p.fingerprint, "url": p.base_url,
                 "status": p.status, "alarm": p.alarm, "keys_to_confirm": pending[p.party]}
                for p in peers]

        def human() -> None:
            table([[p.party, short_fingerprint(p.fingerprint), p.base_url or "-",
                    p.status.upper() if p.status == "alarm" else p.status,
                    ", ".join(short_fingerprint(f) for f in pending[p.party]) or "-"]
                   for p in peers], ["party", "key", "url", "status", "keys to confirm"])
            for p in peers:
                if p.alarm:
                    typer.echo(f"ALARM {p.party}: {p.alarm}")

        emit(as_json, rows, human)


@peer_app.command("confirm-key")
def peer_confirm_key(
    party: Annotated[str, typer.Argument(help="The peer whose new key you confirm.")],
    fingerprint: Annotated[str, typer.Option(help="The new fingerprint, read to you out of band.")],
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Confirm a peer's rotated key; only then are events it signs with that key admitted."""
    with errors(as_json), UnitOfWork(node()) as uow:
        confirm_key(uow, acting_user(uow, as_user), party, fingerprint)
        emit(as_json, {"party": party, "fingerprint": fingerprint},
             f"{party}'s key {short_fingerprint(fingerprint)} confirmed")


@peer_app.command("rotate-key")
def peer_rotate_key(as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Rotate this node's key: announced in every stream, signed by the current key."""
    current = node()
    with errors(as_json):
        with UnitOfWork(current) as uow:
            old, new = rotate_key(uow, acting_user(uow, as_user))
        install_rotated_key(current)
        emit(as_json, {"old": old, "new": new},
             f"now signing with {new}\n  read {short_fingerprint(new)} to each peer's "
             f"administrator: they run `acsa peer confirm-key {current.party} --fingerprint "
             f"{new}`\n  the old key {short_fingerprint(old)} stays valid until "
             "`acsa peer revoke-key`")


@peer_app.command("revoke-key")
def peer_revoke_key(
    fingerprint: Annotated[str, typer.Option(help="One of this node's former keys.")],
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke a former key of this node: events it signs after this position are refused."""
    with errors(as_json), UnitOfWork(node()) as uow:
        count = revoke_key(uow, acting_user(uow, as_user), fingerprint)
        emit(as_json, {"fingerprint": fingerprint, "streams": count},
             f"key {short_fingerprint(fingerprint)} revoked in {count} stream(s)")


@peer_app.command("alarms")
def peer_alarms(
    party: Annotated[str | None, typer.Argument(help="Only this peer's alarms.")] = None,
    evidence: Annotated[int | None, typer.Option(help="Print one alarm's evidence.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Alarms raised when a peer rewrote or forked its history, with their proof."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        if evidence is not None:
            emit(True, alarm_evidence(uow, evidence))
            return
        alarms = list_alarms(uow, party)
        emit(as_json, alarms, lambda: table(
            [[str(a.id), a.peer, a.kind, a.raised_at, "resolved" if a.resolved_at else "OPEN",
              a.message] for a in alarms], ["id", "peer", "kind", "raised", "state", "message"]))


@peer_app.command("resolve")
def peer_resolve(
    party: Annotated[str, typer.Argument(help="The peer in alarm.")],
    note: Annotated[str, typer.Option(help="How it was resolved, with whom.")],
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Lift a peer's alarm after resolving it out of band (the evidence is kept)."""
    with errors(as_json), UnitOfWork(node()) as uow:
        count = resolve_alarms(uow, acting_user(uow, as_user), party, note)
        emit(as_json, {"party": party, "resolved": count},
             f"{count} alarm(s) on {party} resolved; its events are accepted again, "
             "still witnessed")


@sync_app.command("now")
def sync_now(
    peer: Annotated[str | None, typer.Option(help="Only this peer.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run one sync round by hand: notify each peer, then pull from it; print what happened."""
    from acsa.federation.sync import notify_peer, own_heads, peers_with_urls, sync_peer

    with errors(as_json):
        current = node()
        heads = own_heads(current)
        reports = []
        for p in [peer] if peer else peers_with_urls(current):
            notified = notify_peer(current, p, heads)
            report = sync_peer(current, p)
            reports.append(report)
            if not as_json:
                typer.echo(f"{p}: {'ok' if report.ok else 'FAILED'}; notified: "
                           f"{'yes' if notified else 'no'}")
                for line in report.lines():
                    typer.echo(line)
        if as_json:
            emit(True, reports)
        if any(not r.ok for r in reports):
            raise typer.Exit(1)


quarantine_app = typer.Typer(help="Batches refused at admission, with every reason.",
                             no_args_is_help=True)
app.add_typer(quarantine_app, name="quarantine")


@quarantine_app.command("list")
def quarantine_list(
    everything: Annotated[bool, typer.Option("--all", help="Include resolved entries.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Refused batches and requests: when, from whom, from where, and every reason."""
    from acsa.services.intake import quarantined

    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        rows = [asdict(q) for q in quarantined(uow, everything=everything)]

        def human() -> None:
            if not rows:
                typer.echo("quarantine is empty")
            for r in rows:
                kept = f", {r['size']} bytes, sha256 {r['sha256']}" if r["sha256"] else ""
                typer.echo(f"#{r['id']} {r['received_at']} from {r['peer'] or '?'} "
                           f"({r['source']}{kept})")
                for reason in r["reasons"]:
                    typer.echo(f"    - {reason}")

        emit(as_json, rows, human)


@app.command("reconcile")
def reconcile(
    peer: Annotated[str, typer.Option(help="The peer to compare with.")],
    agreement: Annotated[str | None, typer.Option(help="Only this agreement.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Compare every shared order's state and amounts with the peer (Merkle comparison)."""
    from acsa.federation.client import PeerRefused, PeerUnreachable
    from acsa.federation.sync import reconcile_peer

    with errors(as_json):
        try:
            results = reconcile_peer(node(), peer, agreement)
        except (PeerUnreachable, PeerRefused) as exc:
            fail(f"{peer}: {exc}")
        if as_json:
            emit(True, results)
        else:
            for r in results:
                typer.echo(f"{r.agreement} with {r.peer}: {r.orders_here} order(s) here, "
                           f"{len(r.differences)} difference(s) "
                           f"({r.messages} message(s), {r.bytes} bytes)")
                for d in r.differences:
                    typer.echo(f"  {d.order}")
                    for reason in d.reasons:
                        typer.echo(f"    - {reason}")
        if any(r.differences for r in results):
            raise typer.Exit(1)


@sync_app.command("export")
def sync_export(
    out: Annotated[Path, typer.Option(help="The bundle file to write.")],
    peer: Annotated[str | None, typer.Option(help="The peer the bundle is for.")] = None,
    for_: Annotated[str | None, typer.Option(
        "--for", help="A partner restored from a backup: write our copy of its own streams "
                      "for it to take back.")] = None,
    after: Annotated[int, typer.Option(help="With --for: only its events after this seq.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Write everything the peer has not acknowledged to a signed bundle file."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        if (peer is None) == (for_ is None):
            fail("give either --peer (a bundle) or --for (a copy of a partner's own streams)")
        if for_ is not None:
            copy = export_copy(uow, for_, out, after)
            emit(as_json, copy, f"wrote our copy of {copy.events} of {for_}'s own event(s) to "
                 f"{out}" + "".join(f"\n  {s}: seq {a}–{b}" for s, (a, b) in copy.streams.items()))
            return
        assert peer is not None
        summary = export_bundle(uow, peer, out, initiated_by="operator (acsa sync export)")
        emit(as_json, summary,
             f"wrote {summary.events} event(s) for {peer} to {out}"
             + "".join(f"\n  {s}: seq {a}–{b}" for s, (a, b) in summary.streams.items())
             + (f"\n  {summary.left} more wait for the next bundle (this one is full)"
                if summary.left else ""))


@sync_app.command("import")
def sync_import(
    bundle: Annotated[Path, typer.Argument(help="A bundle file from a peer.")],
    as_json: JsonOpt = False,
) -> None:
    """Admit and apply a peer's bundle, or quarantine it with every reason."""
    with errors(as_json), UnitOfWork(node()) as uow:
        if is_copy_file(bundle):
            _import_copy(uow, bundle, as_json)
            return
        summary = import_bundle(uow, bundle)
        if summary.quarantined is not None:
            emit(as_json, summary, lambda: typer.echo(
                f"bundle quarantined (#{summary.quarantined}); nothing applied:\n"
                + "\n".join(f"  - {p}" for p in summary.problems), err=True))
            raise typer.Exit(1)
        emit(as_json, summary,
             f"imported {summary.applied} new event(s) from {summary.peer} "
             f"({summary.duplicates} already held); orders updated: {len(summary.orders)}")


def _import_copy(uow: UnitOfWork, path: Path, as_json: bool) -> None:
    """Our own events, returned by a partner in a copy file."""
    got = import_copy(uow, path)
    lines = [f"took back {got.applied} of our own event(s) from {got.peer}'s copy"]
    lines += [f"  {r.stream}: held {r.held_before} → {r.held_after}" for r in got.returned]
    lines += [f"  - {p}" for p in got.problems]
    emit(as_json, got, "\n".join(lines))
    if got.problems:
        raise typer.Exit(1)


statement_app = typer.Typer(help="Signed statements between the parties.", no_args_is_help=True)
balance_app = typer.Typer(help="Balance statements: signed by one side, answered by the other.",
                          no_args_is_help=True)
statement_app.add_typer(balance_app, name="balance")
app.add_typer(statement_app, name="statement")


@balance_app.command("sign")
def balance_sign(
    agreement: Annotated[str, typer.Option(help="The agreement, e.g. JPN-PHL-ACSA.")],
    with_party: Annotated[str, typer.Option("--with", help="The other party.")],
    currency: Annotated[str, typer.Option(help="One currency per statement.")],
    as_of: Annotated[str, typer.Option(help="The date the balance is stated as of.")],
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A finance officer signs the balance with the other party in one currency as of a date."""
    from acsa.cli.common import parse_day
    from acsa.services.statements import sign_balance

    with errors(as_json), UnitOfWork(node()) as uow:
        day = parse_day(as_of, "as_of")
        assert day is not None
        event = sign_balance(uow, acting_user(uow, as_user), agreement=agreement,
                             counterparty=with_party, currency=currency, as_of=day)
        doc = event.envelope.data["statement"]
        emit(as_json, {"statement": event.hash, "document": doc},
             f"statement {event.hash[:16]} signed: {len(doc['balances'])} balance(s) in "
             f"{currency} as of {as_of}; {with_party} countersigns or disputes it")


@balance_app.command("answer")
def balance_answer(
    statement: Annotated[str, typer.Argument(help="The statement (a prefix of its id).")],
    agree: Annotated[bool, typer.Option("--agree/--dispute", help="Countersign or dispute.")],
    reason: Annotated[str, typer.Option(help="Why it is disputed.")] = "",
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Countersign the other party's statement (only if our books agree) or dispute it."""
    from acsa.services.statements import answer_balance

    with errors(as_json), UnitOfWork(node()) as uow:
        event = answer_balance(uow, acting_user(uow, as_user), statement, agree=agree,
                               reason=reason)
        emit(as_json, {"answer": event.hash, **dict(event.envelope.data)},
             f"statement {statement} {event.envelope.data['answer']}")


@balance_app.command("list")
def balance_list(
    agreement: Annotated[str | None, typer.Option(help="Only this agreement.")] = None,
    agreed: Annotated[bool, typer.Option(help="Only statements both sides signed.")] = False,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Balance statements, their figures and answers: those whose every order the user may
    read."""
    from acsa.domain.money import Money
    from acsa.services.statements import list_statements

    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        found = [s for s in list_statements(uow, acting_user(uow, as_user), agreement)
                 if not agreed or s.status == "agreed"]

        def human() -> None:
            for s in found:
                d = s.document
                typer.echo(f"{s.id[:16]} {d.get('agreement')} {d.get('currency')} as of "
                           f"{d.get('as_of')}: signed by {s.signer} ({s.signed_by}); "
                           f"{s.status.upper()}"
                           + (f" by {s.answered_by}" if s.answered_by else "")
                           + (f": {s.reason}" if s.reason else ""))
                for b in d.get("balances", []):
                    amount = Money(str(d.get("currency")), int(b["minor"]))
                    typer.echo(f"    {b['debtor']} owes {b['creditor']} {b['account']:<12} "
                               f"{grouped(amount.text())} {d.get('currency')}")
                for diff in s.differences:
                    typer.echo(f"    ≠ {diff}")

        emit(as_json, found, human)
