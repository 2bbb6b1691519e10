"""Recording times: UTC with millisecond precision, written one way only.

An event's ``at`` is part of its hashed bytes, so every node must write the
same instant as the same text: ``2026-11-25T09:12:03.123Z``, always with
three fractional digits and a ``Z``, never an offset.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_AT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")


def format_at(moment: datetime) -> str:
    """``moment`` as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` in UTC, sub-millisecond digits dropped.

    A naive datetime is refused: its zone is unknown, and guessing would
    record the wrong instant on a node whose clock is not set to UTC.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a recording time must be timezone-aware")
    u = moment.astimezone(UTC)
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T"
        f"{u.hour:02d}:{u.minute:02d}:{u.second:02d}.{u.microsecond // 1000:03d}Z"
    )


def parse_at(text: str) -> datetime:
    """The aware UTC datetime written by :func:`format_at`; any other form raises ``ValueError``."""
    if not isinstance(text, str) or not _AT.fullmatch(text):
        raise ValueError(f"{text!r} is not a UTC time like 2026-11-25T09:12:03.123Z")
    # strptime also rejects impossible dates such as 2026-02-30.
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
