"""Beancount's balances of a journal: what ``bean-report balances`` printed.

Loads the file with beancount's loader (parsing, booking, validation; its
pickle cache off, so that every run reads the journal as a first run does), sums
every account's postings per currency and prints one line per account and
currency. The reference beside ``acsa report balances`` in ``make bench``.

    python -m bench.bean_balance journal.beancount
"""

from __future__ import annotations

import sys
from collections import defaultdict
from decimal import Decimal

from beancount import loader
from beancount.core import data


def main() -> None:
    loader.initialize(use_cache=False)
    entries, errors, _ = loader.load_file(sys.argv[1])
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                if posting.units is not None and posting.units.number is not None:
                    totals[(posting.account, posting.units.currency)] += posting.units.number
    for (account, currency), amount in sorted(totals.items()):
        print(f"{account:<60} {amount:>20} {currency}")
    if errors:
        print(f"{len(errors)} error(s) in the journal", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
