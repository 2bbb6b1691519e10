"""Stream ids: each party's events under one agreement form one stream.

A stream id is the agreement id and the party code joined by a slash,
``"JPN-PHL-ACSA/PHL"``; agreement ids never contain one.
"""

from __future__ import annotations


def stream_id(agreement: str, party: str) -> str:
    """``("JPN-PHL-ACSA", "PHL")`` → ``"JPN-PHL-ACSA/PHL"``."""
    return f"{agreement}/{party}"


def stream_party(stream: str) -> str:
    """``"JPN-PHL-ACSA/PHL"`` → ``"PHL"``."""
    return stream.rpartition("/")[2]


def stream_agreement(stream: str) -> str:
    """``"JPN-PHL-ACSA/PHL"`` → ``"JPN-PHL-ACSA"``."""
    return stream.rpartition("/")[0]
