"""The scale plot: time and peak memory of each report command against the ledger's size.

Reads every ``bench/out/reports-N.json`` that ``make bench`` (10,000 and
100,000 orders) and ``make bench-1m`` (1,000,000) wrote, and draws, for acsa
and each reference, the median processor time (user + system: on a shared
machine it moves far less than the wall clock; ``--wall`` for wall time) and
the peak RSS against the number of orders, on log scales, into
``docs/benchmarks-scale.png``.

    python -m bench.plot [--out docs/benchmarks-scale.png] [--results bench/out] [--wall]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: no display is needed

import matplotlib.pyplot as plt
from matplotlib import ticker

STYLE = {"acsa": "-", "ledger": "--", "beancount": ":", "hledger": "-."}


def series(results: Path) -> dict[str, dict[int, dict[str, float]]]:
    """Each command's medians by number of orders."""
    found: dict[str, dict[int, dict[str, float]]] = {}
    for path in sorted(results.glob("reports-*.json")):
        result = json.loads(path.read_text())
        for name, medians in result["lines"].items():
            found.setdefault(name, {})[int(result["orders"])] = medians
    return found


def draw(found: dict[str, dict[int, dict[str, float]]], out: Path, *, wall: bool = False
         ) -> None:
    time_key, time_label = (("wall_s", "median wall time, s") if wall else
                            ("cpu_s", "median processor time (user + system), s"))
    figure, (times, memory) = plt.subplots(1, 2, figsize=(12, 5), dpi=100)
    for name, points in sorted(found.items()):
        sizes = sorted(points)
        style = next((s for k, s in STYLE.items() if name.startswith(k)), "-")
        for axis, key in ((times, time_key), (memory, "rss_mb")):
            axis.plot(sizes, [points[n][key] for n in sizes], style, marker="o", label=name)
    for axis, label in ((times, time_label), (memory, "peak RSS, MB")):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("orders in the ledger")
        axis.set_ylabel(label)
        axis.grid(True, which="both", alpha=0.3)
        axis.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
        axis.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    times.set_title("Reports: time against ledger size")
    memory.set_title("Reports: peak memory against ledger size")
    memory.legend(fontsize=7, loc="upper left")
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--wall", action="store_true", help="wall time, not processor time")
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).parent.parent / "docs" / "benchmarks-scale.png")
    args = parser.parse_args()
    found = series(args.results)
    if not found:
        raise SystemExit(f"no reports-N.json in {args.results}: run make bench first")
    draw(found, args.out, wall=args.wall)
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
