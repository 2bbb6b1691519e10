"""Sending a release package to a third nation: the one place a package leaves this node.

:func:`send_release` builds the package (only once every originator has
consented, :mod:`acsa.services.releases`), delivers it — over HTTP to the
recipient's node, signed with this node's key like every federation request,
or as a file for carrying — and keeps the trail of what was sent, to whom,
in the same transaction: a package that did not reach its recipient leaves
no trail, and a trail always names a package that left.

The recipient's node is the one its administrator registered as a peer
(``acsa peer add``): its URL and key. It is not a peer of the bilateral
stream: it receives this package and nothing else of the agreement.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from acsa.domain.errors import N_, InvalidValue
from acsa.federation import protocol as P
from acsa.federation.client import PeerClient, PeerRefused, PeerUnreachable, ResponseRejected
from acsa.services import peers, releases, transmissions
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import get_user

RELEASE_PATH = P.PREFIX + "/releases"


def send_release(node: Node, user_id: str, order: str, recipient: str, *,
                 out: Path | None = None, transport: httpx.BaseTransport | None = None
                 ) -> dict[str, Any]:
    """Build ``order``'s package for ``recipient`` and send it (or write it to ``out``)."""
    # Built in a reading transaction, so that no write lock is held while the recipient
    # answers; the trail is written once the package has left.
    with UnitOfWork(node, write=False) as uow:
        user = get_user(uow, user_id)
        package = releases.build_package(uow, user, order, recipient)
        address = None if out is not None else _address(uow, recipient)
    if out is not None:
        out.write_bytes(releases.package_bytes(package))
        sent_to, answer = str(out), dict[str, Any]()
    else:
        assert address is not None
        sent_to, answer = _post(node, recipient, address, package, transport)
    with UnitOfWork(node) as uow:
        release_id = releases.record_sent(uow, user, package, sent_to)
        transmissions.note_transmission(
            uow, recipient=recipient, channel="release", events=releases.sent_events(uow, package),
            route="file" if out is not None else sent_to, initiated_by=user.id,
            detail=f"release {release_id} of {order}")
        uow.commit()
    return {"id": release_id, "order": order, "recipient": recipient, "sent_to": sent_to,
            "events": len(package["events"]), "consents": len(package["consents"]),
            "answer": answer}


def _address(uow: UnitOfWork, recipient: str) -> tuple[str, dict[str, bytes], str]:
    peer = peers.get_peer(uow, recipient)
    keys = peers.party_keys(uow, recipient)
    if not peer.base_url or keys is None:
        raise InvalidValue(N_("no node address registered for %(party)s: write the package "
                              "to a file instead"), field="recipient", party=recipient)
    return peer.base_url, dict(keys.usable), keys.registered


def _post(node: Node, recipient: str, address: tuple[str, dict[str, bytes], str],
          package: dict[str, Any], transport: httpx.BaseTransport | None
          ) -> tuple[str, dict[str, Any]]:
    url, trusted, registered = address
    try:
        with PeerClient(node, recipient, url, trusted=trusted, registered=registered,
                        transport=transport) as client:
            answer = client.post(RELEASE_PATH, package)
    except PeerRefused as exc:
        raise InvalidValue(N_("%(party)s refused the package: %(reason)s"), field="recipient",
                           party=recipient, reason=exc.detail or exc.code) from None
    except (PeerUnreachable, ResponseRejected, ValueError) as exc:
        raise InvalidValue(N_("the package did not reach %(party)s: %(reason)s"),
                           field="recipient", party=recipient, reason=str(exc)) from None
    return url, answer
