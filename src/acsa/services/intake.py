"""Intake: a partner's events entering this node — the twin of :mod:`acsa.services.recording`.

Whether they come online (a page of a stream) or in a bundle file, a
partner's events take the same path:

1. The sender's key is one this node trusts for that party now (a first
   contact learns the key whose fingerprint was registered out of band).
2. Admission (:mod:`acsa.services.admission`) checks the whole batch —
   signature, key, stream, sequence, chain link, form — against what this
   node holds, never against the state of orders.
3. A batch with any problem goes to quarantine with every reason; nothing
   of it is applied (an online page keeps its longest admissible prefix,
   because the next page cannot follow without it).
4. The admitted events are appended exactly as they were signed, the
   context tables they feed are updated, and the orders they touch are
   re-folded once and their projections rewritten, in the same transaction.

Interpretation judges each event against the order as it stood at the
event's parent, so an event arriving late is judged as a prompt one.
The transport — HTTP, files, signatures on the wire — is
:mod:`acsa.federation`'s; it calls the use cases here and touches no table.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from sqlalchemy import case, func, insert, select, update

from acsa.domain import facts as F
from acsa.domain.consent import MARKING_ACTIONS
from acsa.domain.errors import N_, DomainError
from acsa.domain.interpret import Context, extend, follows_all, judge
from acsa.domain.ledger import event_postings
from acsa.domain.postings import Posting
from acsa.domain.state import OrderState
from acsa.domain.streams import stream_id, stream_party
from acsa.events import SignedEvent, SignedTreeHead, fingerprint
from acsa.events.canonical import JSON_INTEGER_MAX
from acsa.reading import Digest
from acsa.services import witness
from acsa.services.admission import Admission, Holdings, admit
from acsa.services.evidence import EVIDENCE_FILE_SIZE_MAX
from acsa.services.peers import (
    learn_public_key,
    paper_parties,
    party_keys,
    shared_agreements,
    stream_schedule,
)
from acsa.services.unit_of_work import Folded, UnitOfWork, use_case
from acsa.store import tables as T
from acsa.store.log import append_many, fact_of, lock_stream
from acsa.store.projections import (
    OrderRows,
    apply_context,
    lock_orders,
    order_rows,
    refold_orders,
    write_rows,
)

RECEIPTS_PER_BATCH_MAX = 100


class KeyRevoked(DomainError):
    """The sender signed with one of its keys that has since been revoked."""

    code = "key_revoked"


@dataclass(frozen=True)
class ImportSummary:
    """What a bundle brought: applied and duplicate events, orders touched, or its refusal."""

    peer: str
    applied: int
    duplicates: int
    orders: list[str] = field(default_factory=list)
    quarantined: int | None = None  # quarantine id, when refused
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PageIntake:
    """What one online page of a peer's stream brought."""

    applied: int
    duplicates: int
    orders: list[str]
    cited: frozenset[str]  # evidence files the applied events cite
    quarantined: int | None = None
    problems: list[str] = field(default_factory=list)
    alarmed: bool = False  # the peer is in alarm: nothing was looked at


# -- 1. the sender's key -----------------------------------------------------------------


def trust_key(uow: UnitOfWork, peer: str, public_key: bytes) -> None:
    """Accept ``public_key`` for ``peer`` if it may sign now; learn it on first contact."""
    keys = party_keys(uow, peer)
    if keys is not None and fingerprint(public_key) in keys.usable:
        return
    if keys is not None and fingerprint(public_key) in keys.revoked:
        raise KeyRevoked(N_("%(peer)s signed with a revoked key"), field="public_key", peer=peer)
    learn_public_key(uow, peer, public_key)


# -- 2. admission --------------------------------------------------------------------------


def admit_from_peer(uow: UnitOfWork, peer: str, public_key: bytes,
                    events: Iterable[Any]) -> Admission:
    """Admission of a peer's events against what this node holds: bundles and online alike."""
    agreements = shared_agreements(uow, peer)
    heads = {
        r.stream: (r.head_seq, r.head_hash)
        for r in uow.conn.execute(select(T.streams).where(T.streams.c.party == peer))
    }
    schedules = {}
    for agreement in agreements:
        stream = stream_id(agreement, peer)
        schedule = stream_schedule(uow, stream)
        if schedule is not None:
            schedules[stream] = schedule

    def held(stream: str, seq: int) -> str | None:
        return uow.conn.execute(
            select(T.events.c.hash).where(T.events.c.stream == stream, T.events.c.seq == seq)
        ).scalar_one_or_none()

    return admit(events, peer=peer, public_key=public_key, holdings=Holdings(
        me=uow.node.party, agreements=agreements, heads=heads, held=held, schedules=schedules,
        paper=paper_parties(uow)))


def _admissible_prefix(uow: UnitOfWork, peer: str, events: list[Any]) -> Admission:
    """The longest run of a page, from its start, that admission accepts (may be empty)."""
    ordered = sorted(events, key=lambda e: e.get("event", {}).get("seq", 0)
                     if isinstance(e, dict) and isinstance(e.get("event"), dict) else 0)
    lo, hi = 0, len(ordered) - 1  # the prefix of length lo is admissible; longer than hi not
    best = Admission([], 0, [])
    while lo < hi:
        mid = (lo + hi + 1) // 2
        trial = admit_from_peer(uow, peer, b"", ordered[:mid])
        if trial.problems:
            hi = mid - 1
        else:
            best, lo = trial, mid
    return best


# -- 3. quarantine -------------------------------------------------------------------------


REASONS_MAX = 100  # reasons kept for one refusal (a bundle of a million bad events has more)
REASON_LENGTH_MAX = 1000
SOURCE_LENGTH_MAX = 200
_PARTY = re.compile(r"[A-Z]{3}")
_HASH = re.compile(r"[0-9a-f]{64}")


def storable(text: str, limit: int) -> str:
    """``text`` as every engine stores it: no U+0000 (PostgreSQL refuses it), no lone
    surrogate, at most ``limit`` characters."""
    clean = text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\\u0000")
    return clean if len(clean) <= limit else clean[:limit - 1] + "…"


def kept_reasons(problems: list[str]) -> list[str]:
    """The reasons as the quarantine keeps and a user is shown them."""
    kept = [storable(str(p), REASON_LENGTH_MAX) for p in problems[:REASONS_MAX]]
    if len(problems) > REASONS_MAX:
        kept.append(f"… and {len(problems) - REASONS_MAX} more")
    return kept


def quarantine(uow: UnitOfWork, source: str, peer: str | None, raw: bytes | Digest,
               problems: list[str]) -> int:
    """Keep a refused batch with every reason; the same refusal again is not kept twice.

    The refused bytes are kept by their SHA-256 and size, never whole: a partner's
    file stays where it came from, and garbage costs the database a line.
    """
    digest = raw if isinstance(raw, Digest) else Digest.of(raw)
    reasons = json.dumps(kept_reasons(problems), ensure_ascii=False)
    payload = json.dumps({"sha256": digest.sha256, "size": digest.size})
    source = storable(source, SOURCE_LENGTH_MAX)
    peer = peer if peer is not None and _PARTY.fullmatch(peer) else None
    last = uow.conn.execute(
        select(T.quarantine).where(T.quarantine.c.resolved.is_(False),
                                   T.quarantine.c.source == source)
        .order_by(T.quarantine.c.id.desc()).limit(1)).first()
    if last is not None and last.reasons == reasons and last.peer == peer and \
            last.payload == payload:
        return int(last.id)
    result = uow.conn.execute(insert(T.quarantine).values(
        received_at=uow.node.now_at(), source=source, peer=peer, reasons=reasons,
        payload=payload, resolved=False,
    ))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


@dataclass(frozen=True)
class Quarantined:
    """A refused batch or request, with every reason, and the digest of its bytes."""

    id: int
    received_at: str
    peer: str | None
    source: str
    reasons: list[str]
    resolved: bool
    sha256: str | None = None  # of the refused bytes (none for entries kept whole before)
    size: int | None = None


def _digest_of(payload: str | None) -> Digest | None:
    try:
        value = json.loads(payload or "")
        return Digest(str(value["sha256"]), int(value["size"]))
    except (ValueError, TypeError, KeyError):
        return None


def quarantined(uow: UnitOfWork, *, everything: bool = False, newest_first: bool = False,
                limit: int | None = None) -> list[Quarantined]:
    """What the quarantine holds (only what is not resolved, unless ``everything``)."""
    q = T.quarantine.c
    short = case((func.length(q.payload) < 200, q.payload), else_=None).label("digest")
    query = select(q.id, q.received_at, q.peer, q.source, q.reasons, q.resolved, short
                   ).order_by(q.id.desc() if newest_first else q.id)
    if not everything:
        query = query.where(q.resolved.is_(False))
    if limit is not None:
        query = query.limit(limit)
    out = []
    for r in uow.conn.execute(query):
        digest = _digest_of(r.digest)
        out.append(Quarantined(r.id, r.received_at, r.peer, r.source,
                               [str(x) for x in json.loads(r.reasons)], r.resolved,
                               digest.sha256 if digest else None,
                               digest.size if digest else None))
    return out


@use_case
def record_refusal(uow: UnitOfWork, source: str, peer: str | None, raw: bytes | Digest,
                   problems: list[str]) -> int:
    """Keep a refused request or response from a peer, with its reasons."""
    return quarantine(uow, source, peer, raw, problems)


# -- 4. apply ----------------------------------------------------------------------------------


def apply_admitted(uow: UnitOfWork, admission: Admission, *, origin: str) -> set[str]:
    """Append admitted events, update context tables, then re-fold the orders they touch."""
    touched: set[str] = set()
    received_at = uow.node.now_at()
    # Consecutive events of one stream are appended as one batch.
    for _, run in groupby(admission.new, key=lambda e: e.envelope.stream):
        append_many(uow.conn, list(run), origin=origin, received_at=received_at)
    for e in admission.new:
        fact = fact_of(e)
        if fact.orders():
            touched |= set(fact.orders())
        else:
            apply_context(uow.conn, fact)
            uow.context_changed()
            if fact.type == F.CONSENT_GRANTED and fact.data.get("action") in MARKING_ACTIONS:
                # It may be the last consent to a new marking: the order is folded again.
                touched.add(str(fact.data.get("order")))
    if touched:
        lock_orders(uow.conn, touched)
        uow.folds.clear()
        uow.folds.update(_extend_kept(uow, touched, [fact_of(e) for e in admission.new]))
        rest = touched - set(uow.folds)
        if rest:
            for number, (facts, state, digested) in refold_orders(uow.conn, rest,
                                                                   uow.context).items():
                uow.folds[number] = Folded(tuple(facts), state, digested)
    return touched


def _extend_kept(uow: UnitOfWork, touched: set[str], facts: list[F.Fact]
                 ) -> dict[str, Folded]:
    """The touched orders whose fold the node kept, extended by the page's events, and their
    projections written by difference (every order in one batch per table).

    An order qualifies when its kept fold is of this context and its head is the order's
    head before the page, and each of its new events names it alone, follows every event
    it holds and is judged valid: extending the fold then gives what folding every event
    again gives (:func:`acsa.domain.interpret.extend`). The others are folded again.
    """
    ctx, cache = uow.context, uow.node.fold_cache
    new: dict[str, list[F.Fact]] = defaultdict(list)
    for fact in facts:
        for number in fact.orders():
            new[number].append(fact)
    candidates = sorted(n for n in touched if n in cache and cache[n][0] is ctx and new.get(n)
                        and all(f.orders() == (n,) for f in new[n]))
    if not candidates:
        return {}
    heads = {r.number: r.head for r in uow.conn.execute(
        select(T.orders.c.number, T.orders.c.head).where(T.orders.c.number.in_(candidates)))}
    old, rows, extended = OrderRows(), OrderRows(), {}
    for number in candidates:
        kept = cache[number][1]
        if heads.get(number) is None or heads[number] != kept.head(number):
            continue
        found = _extended(kept, number, new[number], ctx)
        if found is None:
            continue
        state, postings = found
        order_rows(kept.state, (), ctx, heads[number], old, postings=())
        order_rows(state, new[number], ctx, new[number][-1].hash, rows, postings=postings)
        extended[number] = (kept, state)
    if not extended:
        return {}
    digests = write_rows(uow.conn, old.tables, rows.tables,
                         known={n: kept.digested for n, (kept, _) in extended.items()})
    return {n: Folded((*kept.facts, *new[n]), state, digests.get(n, kept.digested))
            for n, (kept, state) in extended.items()}


def _extended(kept: Folded, number: str, facts: list[F.Fact], ctx: Context
              ) -> tuple[OrderState, list[Posting]] | None:
    """``kept`` extended by ``facts`` with the postings they add, or ``None`` where one of
    them does not follow all the order holds or would be ineffective."""
    state, held, postings = kept.state, kept.facts, []
    for fact in facts:
        if not follows_all(number, fact, held):
            return None
        try:
            judge(fact, state, ctx)
        except DomainError:
            return None
        after = extend(state, fact, ctx)
        postings.extend(event_postings(state, after, fact, ctx))
        state, held = after, (*held, fact)
    return state, postings


def _cited(events: Iterable[SignedEvent]) -> frozenset[str]:
    return frozenset(str(x.get("sha256")) for e in events
                     for x in e.envelope.data.get("evidence", ()) if hasattr(x, "get"))


@use_case
def receive_page(uow: UnitOfWork, peer: str, stream: str, events: list[Any],
                 source: str) -> PageIntake:
    """Admit and apply one page of ``peer``'s ``stream``, fetched online."""
    lock_stream(uow.conn, stream)
    if witness.in_alarm(uow, peer):
        return PageIntake(0, 0, [], frozenset(), alarmed=True)
    admission = admit_from_peer(uow, peer, b"", events)
    quarantined = None
    problems = admission.problems
    if problems:
        quarantined = quarantine(uow, source, peer,
                                 json.dumps(events, ensure_ascii=False).encode(), problems)
        admission = _admissible_prefix(uow, peer, events)
    orders = apply_admitted(uow, admission, origin="peer")
    return PageIntake(len(admission.new), admission.duplicates, sorted(orders),
                      _cited(admission.new), quarantined, list(problems))


@dataclass(frozen=True)
class BundleIn:
    """A bundle file as the transport read it: its parts, and the problems already found."""

    source: str
    raw: bytes
    peer: str
    public_key: bytes
    streams: Mapping[str, list[Any]]
    heads: list[Any]
    acks: Mapping[str, Any]
    receipts: list[Any]
    evidence: list[Any]
    problems: list[str]  # found by the transport: addressee, format
    check_signature: Callable[[], list[str]]  # the file's own signature, checked after the key


@use_case
def receive_bundle(uow: UnitOfWork, bundle: BundleIn) -> ImportSummary:
    """Admit a whole bundle, then apply it; or quarantine it with every reason."""
    problems = list(bundle.problems)
    try:
        trust_key(uow, bundle.peer, bundle.public_key)
    except DomainError as exc:
        return refuse_bundle(uow, bundle.source, bundle.peer or None, bundle.raw,
                             [*problems, f"sender: {exc}"])
    if witness.in_alarm(uow, bundle.peer):
        return refuse_bundle(uow, bundle.source, bundle.peer, bundle.raw, [
            *problems, f"{bundle.peer} is in alarm (its history contradicts what this node "
            "holds): its events are refused until an administrator resolves it "
            "(`acsa peer resolve`)"])
    problems += bundle.check_signature()
    events = [e for evs in bundle.streams.values() for e in evs]
    admission = admit_from_peer(uow, bundle.peer, bundle.public_key, events)
    problems += admission.problems
    problems += _evidence_problems(bundle.evidence)
    problems += _uncited(uow, bundle.evidence, _cited(admission.new))
    if problems:
        return refuse_bundle(uow, bundle.source, bundle.peer, bundle.raw, problems)
    orders = apply_admitted(uow, admission, origin="bundle")
    store_evidence_files(uow, bundle.evidence)
    record_acks(uow, bundle.peer, bundle.acks)
    alarms = _keep_heads(uow, bundle.peer, bundle.heads)
    _keep_receipts(uow, bundle.peer, bundle.receipts[:RECEIPTS_PER_BATCH_MAX])
    return ImportSummary(bundle.peer, len(admission.new), admission.duplicates, sorted(orders),
                         problems=alarms)


@use_case
def refuse_bundle(uow: UnitOfWork, source: str, peer: str | None, raw: bytes | Digest,
                  problems: list[str]) -> ImportSummary:
    """Quarantine a bundle that cannot be admitted, with every reason found."""
    sender = peer if peer is not None and _PARTY.fullmatch(peer) else "?"
    return ImportSummary(sender, 0, 0, [], quarantine(uow, source, peer, raw, problems),
                         kept_reasons(problems))


# -- evidence files -----------------------------------------------------------------------------


def _evidence_problems(files: list[Any]) -> list[str]:
    problems = []
    for i, f in enumerate(files):
        try:
            content = base64.b64decode(str(f["content"]), validate=True)
        except (KeyError, ValueError, TypeError):
            problems.append(f"evidence {i}: unreadable content")
            continue
        if len(content) > EVIDENCE_FILE_SIZE_MAX:
            problems.append(f"evidence {i}: larger than {EVIDENCE_FILE_SIZE_MAX} bytes")
        if hashlib.sha256(content).hexdigest() != f.get("sha256"):
            problems.append(f"evidence {i}: content does not match its hash")
    return problems


def _uncited(uow: UnitOfWork, files: list[Any], cited: frozenset[str]) -> list[str]:
    """A problem for each file that neither an event of the batch nor one held here cites:
    a bundle carries only evidence its events cite, so nothing can be planted."""
    problems = []
    for i, f in enumerate(files):
        sha256 = f.get("sha256") if isinstance(f, dict) else None
        if not isinstance(sha256, str) or not _HASH.fullmatch(sha256) or sha256 in cited:
            continue  # a file without a good hash is refused by _evidence_problems
        held = uow.conn.execute(select(T.events.c.id).where(
            # Canonical JSON has no spaces: a citation is this exact text.
            T.events.c.envelope.contains(f'"sha256":"{sha256}"')).limit(1)).first()
        if held is None:
            problems.append(f"evidence {i}: no event cites it ({sha256[:16]}…)")
    return problems


def store_evidence_files(uow: UnitOfWork, files: list[Any]) -> None:
    """Keep evidence files (already checked against their hashes) not held yet."""
    for f in files:
        exists = uow.conn.execute(
            select(T.evidence_files.c.sha256).where(T.evidence_files.c.sha256 == f["sha256"])
        ).first()
        if exists is None:
            content = base64.b64decode(str(f["content"]))
            uow.conn.execute(insert(T.evidence_files).values(
                sha256=f["sha256"], name=storable(str(f.get("name", "")), 200),
                media_type=storable(str(f.get("media_type", "application/octet-stream")), 100),
                size=len(content), content=content, added_at=uow.node.now_at(),
            ))


def missing_evidence(uow: UnitOfWork, cited: Iterable[str]) -> list[str]:
    """Of the evidence files ``cited``, those this node does not hold yet, sorted."""
    wanted = sorted(h for h in set(cited) if len(h) == 64)
    if not wanted:
        return []
    have = set(uow.conn.execute(select(T.evidence_files.c.sha256)
                                .where(T.evidence_files.c.sha256.in_(wanted))).scalars())
    return [h for h in wanted if h not in have]


@use_case
def keep_evidence_file(uow: UnitOfWork, sha256: str, file: Mapping[str, Any]) -> bool:
    """Keep one evidence file fetched from a peer, if its content matches ``sha256``."""
    problems = _evidence_problems([{**file, "sha256": sha256}])
    if problems:
        return False
    store_evidence_files(uow, [{**file, "sha256": sha256}])
    return True


# -- acknowledgements, heads and receipts ---------------------------------------------------------


def _is_ack(ack: Any) -> bool:
    """``{"seq": n, "hash": hex or null}``: anything else is ignored, never stored."""
    if not isinstance(ack, dict):
        return False
    seq, hash_ = ack.get("seq"), ack.get("hash")
    return type(seq) is int and 0 <= seq <= JSON_INTEGER_MAX and (
        hash_ is None or (isinstance(hash_, str) and _HASH.fullmatch(hash_) is not None))


def record_acks(uow: UnitOfWork, peer: str, acks: Mapping[str, Any]) -> None:
    """Remember how much of our streams the peer holds (never going backwards)."""
    ours = set(uow.conn.execute(select(T.streams.c.stream)
                                .where(T.streams.c.party == uow.node.party)).scalars())
    for stream, ack in acks.items():
        if stream not in ours or not _is_ack(ack):
            continue
        seq, hash_ = ack["seq"], ack.get("hash")
        current = uow.conn.execute(
            select(T.peer_acks.c.seq).where(T.peer_acks.c.peer == peer,
                                             T.peer_acks.c.stream == stream)
        ).scalar_one_or_none()
        if current is None:
            uow.conn.execute(insert(T.peer_acks).values(peer=peer, stream=stream, seq=seq,
                                                        hash=hash_))
        elif seq > current:
            uow.conn.execute(update(T.peer_acks)
                             .where(T.peer_acks.c.peer == peer, T.peer_acks.c.stream == stream)
                             .values(seq=seq, hash=hash_))


def _keep_heads(uow: UnitOfWork, peer: str, heads: list[Any]) -> list[str]:
    """Witness the peer's signed tree heads against the log we now hold; alarms as text."""
    keys = party_keys(uow, peer)
    alarms = []
    for raw in heads:
        try:
            sth = SignedTreeHead.from_wire(raw)
        except Exception:
            continue
        key = keys.known.get(sth.key) if keys else None
        if key is None or sth.check(key) or stream_party(sth.head.stream) != peer:
            continue
        check = witness.check_head(uow, peer, sth, None)
        if not check.ok:
            alarms.append(check.message)
    return alarms


def _keep_receipts(uow: UnitOfWork, peer: str, receipts: list[Any]) -> tuple[int, list[str]]:
    kept, refused = 0, []
    for r in receipts:
        try:
            sth = SignedTreeHead.from_wire(r["head"])
            reason = witness.keep_receipt(uow, peer, sth,
                                          base64.b64decode(str(r["countersignature"])))
        except Exception as exc:
            reason = f"unreadable receipt: {exc}"
        if reason:
            refused.append(reason)
        else:
            kept += 1
    return kept, refused


@use_case
def keep_receipts(uow: UnitOfWork, peer: str, receipts: list[Any]) -> tuple[int, list[str]]:
    """Keep the peer's countersignatures of our heads; how many kept, and why others not."""
    return _keep_receipts(uow, peer, receipts)


@use_case
def witness_head(uow: UnitOfWork, peer: str, sth: SignedTreeHead,
                 proof: list[bytes] | None, proof_from: int | None = None) -> witness.HeadCheck:
    """Compare a peer's signed head (signature already checked) with what we hold; the
    proof runs from ``proof_from`` events, what we held when we asked for it."""
    return witness.check_head(uow, peer, sth, proof, proof_from)


@use_case
def countersign_head(uow: UnitOfWork, peer: str,
                     sth: SignedTreeHead) -> tuple[witness.HeadCheck, bytes | None]:
    """Once we hold all a head covers: check it again and countersign it as a receipt."""
    check = witness.check_head(uow, peer, sth, None)
    if not check.verified:
        return check, None
    return check, witness.keep_head(uow, sth)


@use_case
def acknowledge(uow: UnitOfWork, peer: str, stream: str, seq: int) -> None:
    """A peer pulling ``after=seq`` holds our first ``seq`` events of ``stream``."""
    current = uow.conn.execute(select(T.peer_acks.c.seq).where(
        T.peer_acks.c.peer == peer, T.peer_acks.c.stream == stream)).scalar_one_or_none()
    if current is not None and current >= seq:
        return
    hash_ = uow.conn.execute(select(T.events.c.hash).where(
        T.events.c.stream == stream, T.events.c.seq == seq)).scalar_one_or_none()
    record_acks(uow, peer, {stream: {"seq": seq, "hash": hash_}})


@use_case
def learn_key(uow: UnitOfWork, peer: str, public_key: bytes) -> None:
    """Remember a peer's key learnt on first contact (it has the registered fingerprint)."""
    learn_public_key(uow, peer, public_key)
