"""The composition root: the one place that builds a node from its settings."""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Callable
from datetime import datetime

from acsa.config import Settings
from acsa.domain.errors import DomainError, NodeAlreadyInitialized, NodeMismatch
from acsa.domain.parties import check_party_code
from acsa.events import NodeKey, format_at
from acsa.services.history import check_history, note_history
from acsa.services.node import KEY_FILE, Node, utc_now
from acsa.services.stale import projections_stale
from acsa.services.unit_of_work import UnitOfWork
from acsa.store.db import make_engine, migrate, sqlite_url

log = logging.getLogger("acsa.node")

IDENTITY_FILE = "node.toml"


class NodeNotInitialized(DomainError):
    code = "node_not_initialized"


def database_url(settings: Settings) -> str:
    return settings.database_url or sqlite_url(settings.data_dir)


def init_node(settings: Settings, party: str) -> Node:
    """Create a node's data directory: identity, a new key (mode 0600) and the schema."""
    check_party_code(party, field="node")
    data_dir = settings.data_dir
    identity = data_dir / IDENTITY_FILE
    if identity.exists():
        raise NodeAlreadyInitialized(
            f"{data_dir} already holds a node; choose another ACSA_DATA_DIR",
            field="data_dir", data_dir=str(data_dir))
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    key = NodeKey.generate()
    key.save(data_dir / KEY_FILE)
    identity.write_text(f'party = "{party}"\ncreated = "{format_at(utc_now())}"\n')
    engine = make_engine(database_url(settings))
    migrate(engine)
    return Node(party, key, engine, data_dir)


def open_node(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Node:
    """Open an initialised node, bringing its schema up to date."""
    identity = settings.data_dir / IDENTITY_FILE
    if not identity.exists():
        raise NodeNotInitialized(
            f"no node in {settings.data_dir}: run `acsa init --node XXX` first "
            "(or set ACSA_DATA_DIR)", field="data_dir"
        )
    party = tomllib.loads(identity.read_text())["party"]
    if settings.node and settings.node != party:
        raise NodeMismatch(f"{settings.data_dir} holds the {party} node, not {settings.node}",
                           field="node", node=party, configured=settings.node)
    key = NodeKey.load(settings.data_dir / KEY_FILE)
    engine = make_engine(database_url(settings))
    try:
        # A node that has recorded events never opens an empty database as if new.
        check_history(settings.data_dir, engine)
    except DomainError:
        engine.dispose()
        raise
    migrate(engine)
    note_history(settings.data_dir, engine)
    node = Node(party, key, engine, settings.data_dir, clock)
    _refresh_projections(node)
    return node


def _refresh_projections(node: Node) -> None:
    """After a migration that marked the projections stale, rebuild them once, now, with
    this release's code (an upgrade needs no `acsa rebuild` by hand)."""
    with UnitOfWork(node, write=False) as uow:
        if not projections_stale(uow):
            return
    from acsa.services.verify import rebuild_if_stale  # the fold, loaded only to rebuild

    with UnitOfWork(node) as uow:
        orders = rebuild_if_stale(uow)
        uow.commit()
    if orders is not None:
        log.info("projections rebuilt after an upgrade: %d orders", orders,
                 extra={"event": "projections_rebuilt", "orders": orders})
