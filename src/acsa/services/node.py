"""The node as the services see it: its party, signing key, database and clock.

``acsa.bootstrap`` builds one from the settings; everything below the entry
points receives it ready-made and never reads settings or files itself.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from acsa.domain.agreement import AgreementProfile
from acsa.events import NodeKey, format_at

KEY_FILE = "node.key"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Node:
    """One nation's node: its party, signing key, database and clock."""

    party: str
    key: NodeKey
    engine: Engine
    data_dir: Path
    clock: Callable[[], datetime] = field(default=utc_now)
    # The last interpretation context loaded (and the agreements), with the stamp it was
    # loaded at.
    context_cache: tuple[Any, Any, Any] | None = field(default=None, repr=False)
    # Orders as committed transactions left them folded, by number, with the context
    # they were folded in (services.recording.fold_orders checks each against its head).
    fold_cache: OrderedDict[str, tuple[Any, Any]] = field(default_factory=OrderedDict,
                                                          repr=False)
    # Order list counts, each with the log's heads it was counted at (services/queries.py).
    count_cache: dict[Any, tuple[Any, int]] = field(default_factory=dict, repr=False)

    def now_at(self) -> str:
        """The recording time as events carry it (UTC, milliseconds)."""
        return format_at(self.clock())

    def today(self, profile: AgreementProfile | None = None) -> date:
        """The business date where this node's party is (its profile's time zone).

        Without a profile naming this party, the date in UTC.
        """
        zone = "UTC"
        if profile is not None and self.party in profile.party_codes:
            zone = profile.party(self.party).time_zone
        return self.clock().astimezone(ZoneInfo(zone)).date()

    def today_in(self, time_zone: str) -> date:
        """The calendar date now in ``time_zone`` (a user's "today")."""
        return self.clock().astimezone(ZoneInfo(time_zone)).date()

    @property
    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"

    @property
    def key_path(self) -> Path:
        return self.data_dir / KEY_FILE
