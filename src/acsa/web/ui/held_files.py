"""Files attached to a refused form, kept for the session that sent them.

A browser cannot put a chosen file back into a form it shows again, so after a
refusal (a blank quantity, a date out of range) the evidence files attached are
kept here, on the node, for that login session only, and the form shows them as
attached — with a box to leave one out. They are cited when the form is next
signed, and removed then, or after a day. Nothing is recorded of them until an
act cites them: the act and its files are still one use case.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from acsa.services.node import Node
from acsa.web.deps import Principal

HELD_DIR = "held"
HELD_SECONDS = 24 * 3600
HELD_FILES_MAX = 10  # per form; a form attaches a handful
_SHA256 = re.compile(r"[0-9a-f]{64}")

Upload = tuple[str, bytes, str | None]  # name, content, media type


@dataclass(frozen=True)
class Held:
    sha256: str
    name: str
    media_type: str | None
    size: int


def _owner(node: Node, principal: Principal) -> Path | None:
    """The directory of this login session's held files (none without a session)."""
    secret = principal.csrf_token
    if not secret:
        return None
    key = hashlib.sha256(f"acsa/held/{secret}".encode()).hexdigest()[:32]
    return node.data_dir / HELD_DIR / key


def keep(node: Node, principal: Principal, files: list[Upload], limit: int) -> list[Held]:
    """Keep ``files`` (each at most ``limit`` bytes; a larger one is not kept) for this
    session; what the form shows as still attached."""
    owner = _owner(node, principal)
    if owner is None:
        return []
    _sweep(node.data_dir / HELD_DIR)
    owner.mkdir(parents=True, exist_ok=True)
    out = []
    for name, content, media in files[:HELD_FILES_MAX]:
        if len(content) > limit:
            continue
        digest = hashlib.sha256(content).hexdigest()
        (owner / digest).write_bytes(content)
        (owner / f"{digest}.json").write_text(json.dumps({"name": name, "media": media}))
        out.append(Held(digest, name, media, len(content)))
    return out


def take(node: Node, principal: Principal, form: Mapping[str, str]) -> list[Upload]:
    """The held files the form still names (``held.N``, ticked), as uploads."""
    owner = _owner(node, principal)
    out: list[Upload] = []
    if owner is None:
        return out
    for key, digest in sorted(form.items()):
        path = owner / digest
        if not key.startswith("held.") or not _SHA256.fullmatch(digest) or not path.is_file():
            continue
        meta = json.loads((owner / f"{digest}.json").read_text())
        out.append((str(meta.get("name") or "evidence"), path.read_bytes(), meta.get("media")))
        if len(out) == HELD_FILES_MAX:
            break
    return out


def release(node: Node, principal: Principal) -> None:
    """Drop this session's held files: the act citing them is signed."""
    owner = _owner(node, principal)
    if owner is not None and owner.is_dir():
        for path in owner.iterdir():
            path.unlink(missing_ok=True)
        owner.rmdir()


def without_held(form: Mapping[str, str]) -> dict[str, str]:
    """The form's fields other than the held files' boxes."""
    return {k: v for k, v in form.items() if not k.startswith("held.")}


def _sweep(root: Path) -> None:
    """Remove held files older than a day (their sessions are long over)."""
    if not root.is_dir():
        return
    old = time.time() - HELD_SECONDS
    for owner in root.iterdir():
        for path in owner.iterdir():
            if path.stat().st_mtime < old:
                path.unlink(missing_ok=True)
        if not any(owner.iterdir()):
            owner.rmdir()
