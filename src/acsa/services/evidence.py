"""Evidence files for a reader, and need to know over many orders at once.

An evidence file (delivery ticket, receipt, photo) is kept once by its
SHA-256 in ``evidence_files`` and cited by the signed events that carry it
(``data.evidence``: sha256, name, media type, size). A user may fetch a file
only if they may read at least one order whose events cite it; otherwise the
file is not admitted to exist, exactly as an order hidden by need to know.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, not_, select

from acsa.domain.errors import N_, InvalidValue, UnknownReference
from acsa.services.queries import visible_to
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.users import LocalUser
from acsa.store import tables as T

_SHA256 = re.compile(r"[0-9a-f]{64}")
# How many citing events are looked at for one file (a file is cited a handful of times).
CITATIONS_MAX = 1000


@dataclass(frozen=True)
class EvidenceFile:
    sha256: str
    name: str
    media_type: str
    size: int
    content: bytes
    orders: tuple[str, ...]  # the orders citing it that the reader may read


def hidden_orders(uow: UnitOfWork, user: LocalUser) -> frozenset[str]:
    """Numbers of the orders on this node that ``user`` may not read (need to know, or
    orders their nation is no party to). Classified orders are rare: a small set."""
    o = T.orders.c
    return frozenset(str(n) for n in uow.conn.execute(
        select(o.number).where(not_(visible_to(uow, user)))).scalars())


def readable_orders(uow: UnitOfWork, user: LocalUser, numbers: Iterable[str]) -> set[str]:
    """Those of ``numbers`` that ``user`` may read (as :func:`queries.order_row` allows)."""
    wanted = sorted(set(numbers))
    out: set[str] = set()
    o = T.orders.c
    for i in range(0, len(wanted), 500):
        chunk = wanted[i:i + 500]
        out |= {str(n) for n in uow.conn.execute(
            select(o.number).where(o.number.in_(chunk), visible_to(uow, user),
                                   (o.requester == user.party) | (o.supplier == user.party))
        ).scalars()}
    return out


def citing_orders(uow: UnitOfWork, sha256: str) -> set[str]:
    """The orders whose events cite the evidence file ``sha256``."""
    e, eo = T.events.c, T.event_orders.c
    rows = uow.conn.execute(
        select(e.envelope, eo.order_number)
        .join(T.event_orders, eo.event_id == e.id)
        # Canonical JSON has no spaces: the citation is this exact text.
        .where(e.envelope.contains(f'"sha256":"{sha256}"'))
        .limit(CITATIONS_MAX)
    ).all()
    out = set()
    for row in rows:
        cited = json.loads(row.envelope).get("data", {}).get("evidence") or ()
        if any(isinstance(c, dict) and c.get("sha256") == sha256 for c in cited):
            out.add(str(row.order_number))
    return out


def evidence_file(uow: UnitOfWork, user: LocalUser, sha256: str) -> EvidenceFile:
    """The evidence file ``sha256``, if ``user`` may read an order citing it.

    ``UnknownReference`` (field ``evidence``) when the name is not a hash, no
    readable order cites the file, or this node does not hold its bytes: the
    three look alike, so a refusal tells nothing about hidden orders.
    """
    sha256 = sha256.strip().lower()
    missing = UnknownReference(N_("no such evidence file on this node"), field="evidence")
    if not _SHA256.fullmatch(sha256):
        raise missing
    readable = readable_orders(uow, user, citing_orders(uow, sha256))
    if not readable:
        raise missing
    row = uow.conn.execute(
        select(T.evidence_files).where(T.evidence_files.c.sha256 == sha256)).first()
    if row is None:
        raise missing
    return EvidenceFile(row.sha256, row.name, row.media_type, int(row.size), bytes(row.content),
                        tuple(sorted(readable)))


# The same bound the federation applies to a file carried in a bundle: a file
# this node accepts must be one its peer will accept.
EVIDENCE_FILE_SIZE_MAX = 25 * 1024 * 1024


@use_case
def store_evidence(uow: UnitOfWork, name: str, content: bytes,
                   media_type: str | None = None) -> dict[str, Any]:
    """Keep an evidence file (delivery ticket, photo …) and return what the event cites of it.

    The event that cites it fixes the file by its hash. Run in one use case
    with that act (as the pages and commands do), a refused act keeps no
    orphan file.
    """
    if len(content) > EVIDENCE_FILE_SIZE_MAX:
        raise InvalidValue(
            N_("%(name)s is larger than %(limit)s bytes"),
            field="evidence", name=name, limit=EVIDENCE_FILE_SIZE_MAX,
        )
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not base:
        raise InvalidValue(N_("an evidence file needs a name"), field="evidence")
    media_type = media_type or mimetypes.guess_type(base)[0] or "application/octet-stream"
    digest = hashlib.sha256(content).hexdigest()
    exists = uow.conn.execute(
        select(T.evidence_files.c.sha256).where(T.evidence_files.c.sha256 == digest)
    ).first()
    if exists is None:
        uow.conn.execute(insert(T.evidence_files).values(
            sha256=digest, name=base[:200], media_type=media_type[:100], size=len(content),
            content=content, added_at=uow.node.now_at(),
        ))
    return {"sha256": digest, "name": base[:200], "media_type": media_type[:100],
            "size": len(content)}
