"""The aging buckets and the calendar date they count in.

Apart from :mod:`acsa.domain.aging` (what is due on an order, which reads the fold's
figures) so that the totals kept per reader class are bucketed without loading the fold.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

# Days overdue, inclusive lower bounds; the last bucket is open-ended.
AGING_BUCKETS: tuple[tuple[int, str], ...] = (
    (0, "current"),
    (1, "1-30"),
    (31, "31-60"),
    (61, "61-90"),
    (91, "over 90"),
)


def local_date(now: datetime, zone: str) -> date:
    """The calendar date at instant ``now`` in time zone ``zone``."""
    if now.tzinfo is None:
        raise ValueError("the clock must give an aware datetime")
    return now.astimezone(ZoneInfo(zone)).date()


def bucket(days: int) -> str:
    label = AGING_BUCKETS[0][1]
    for lower, name in AGING_BUCKETS:
        if days >= lower:
            label = name
    return label
