"""Where the lines of a printed document end: English at spaces and hyphens, Japanese
between characters but never against the rules of Japanese typesetting (kinsoku).

The PDF library (fpdf2) wraps either by word, at spaces and soft hyphens only, so a
Japanese run, which has no spaces, is cut wherever it overflows, or by character, which
cuts English words ("disast/er"). Neither knows that a Japanese line may not start with
、。）」ー or a small kana, nor end with （「. The Unicode line breaking algorithm (UAX #14,
as the ``uniseg`` package implements it) knows all of this: it allows a break after a
space or a hyphen, between two ideographs or kana, but not before closing punctuation,
small kana or the prolonged sound mark, not after an opening bracket, and not inside a
number or a date (``1,526,500``, ``2026-02-10``). :func:`break_lines` takes those break
opportunities and fits them to a width measured with the PDF's own font metrics; only a
single unit wider than the whole column (a hash, a long code) is cut, between grapheme
clusters.
"""

from __future__ import annotations

from collections.abc import Callable

from uniseg.graphemecluster import grapheme_clusters
from uniseg.linebreak import line_break_units

Measure = Callable[[str], float]


def break_lines(text: str, width: float, measure: Measure) -> list[str]:
    """``text`` as lines no wider than ``width`` by ``measure``, its own newlines kept."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines += _fit(paragraph, width, measure)
    return lines


def _fit(paragraph: str, width: float, measure: Measure) -> list[str]:
    lines: list[str] = []
    line = ""
    for unit in line_break_units(paragraph):
        if line and measure((line + unit).rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        if line:
            line += unit
        else:
            *full, line = _cut(unit, width, measure)
            lines += full
    lines.append(line.rstrip())
    return lines


def _cut(unit: str, width: float, measure: Measure) -> list[str]:
    """``unit`` whole when it fits; otherwise cut between grapheme clusters to fit."""
    if measure(unit.rstrip()) <= width:
        return [unit]
    pieces: list[str] = []
    piece = ""
    for cluster in grapheme_clusters(unit):
        if piece and measure((piece + cluster).rstrip()) > width:
            pieces.append(piece)
            piece = ""
        piece += cluster
    return [*pieces, piece]
