"""The node-to-node protocol's paths and limits, shared by server, client and worker.

Every limit is named with its unit last, and every one is enforced on both
sides: a server never sends more, a client never reads more.
"""

from __future__ import annotations

from collections.abc import Callable

PREFIX = "/federation/v1"

SYNC_BATCH_SIZE_MAX = 500  # events per page served or pulled
RESPONSE_BYTES_MAX = 8 * 1024 * 1024  # a page of events or a head with its proof
REQUEST_BODY_BYTES_MAX = 256 * 1024  # notify and receipts bodies
EVIDENCE_BYTES_MAX = 25 * 1024 * 1024  # one evidence file (before base64)
EVIDENCE_RESPONSE_BYTES_MAX = EVIDENCE_BYTES_MAX * 4 // 3 + 4096
PAGES_PER_ROUND_MAX = 20  # pages pulled from one stream in one round
RECEIPTS_PER_REQUEST_MAX = 100
EVIDENCE_FETCHES_PER_ROUND_MAX = 20
RECONCILE_NODES_PER_REQUEST_MAX = 512  # digest-tree nodes asked for in one request

CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 10.0
ROUND_TIMEOUT_S = 60.0

# Back-off after a failed round: base * 2**failures, capped, with full jitter.
BACKOFF_BASE_S = 0.5
BACKOFF_MAX_S = 60.0

# Called by the server when a peer says it has news (wired to the worker).
NotifyHook = Callable[[str], None]
_hooks: dict[int, NotifyHook] = {}


def on_notify(node_id: int, hook: NotifyHook) -> None:
    _hooks[node_id] = hook


def notified(node_id: int, peer: str) -> None:
    hook = _hooks.get(node_id)
    if hook is not None:
        hook(peer)


def forget(node_id: int) -> None:
    _hooks.pop(node_id, None)


def stream_path(agreement: str, party: str) -> str:
    return f"{PREFIX}/streams/{agreement}/{party}"


def heads_path(agreement: str, party: str) -> str:
    return f"{PREFIX}/heads/{agreement}/{party}"
