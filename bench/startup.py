"""A command's start-up: ``acsa report balances`` on an empty node against a bare Python.

Each round runs, one after another in fresh processes, ``python -c pass`` (the floor any
Python program pays), ``python -c "import acsa"`` (the package alone) and the commands
below; the figures are medians over the rounds, so a burst of load on a shared machine
moves all of them alike rather than one. Each run's processor time (user + system, from
``getrusage``) is given beside its wall-clock time: on a machine shared with other work it
moves less than the wall clock does. ``--compare SRC`` adds the same commands run from
another source tree (an earlier release's ``src``), in the same rounds.

    python -m bench.startup [--rounds 15] [--compare /path/to/old/src]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# What an operator runs most: a report on a node, and the help.
COMMANDS = {"acsa report balances": ["report", "balances"], "acsa --help": ["--help"]}


def environment(data_dir: Path, source: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACSA_")}
    # Compiled modules are kept, as an installed package keeps them.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update({"ACSA_DATA_DIR": str(data_dir), "ACSA_USER": "finance", "COLUMNS": "100"})
    if source is not None:
        env["PYTHONPATH"] = source
    return env


def empty_node(data_dir: Path) -> None:
    """A node with one finance officer and nothing recorded."""
    env = environment(data_dir, None)
    acsa = [sys.executable, "-m", "acsa"]
    for args in (["init", "--node", "JPN"],
                 ["user", "add", "finance", "--name", "Finance Officer", "--role",
                  "finance_officer"]):
        subprocess.run([*acsa, *args], env=env, check=True, stdout=subprocess.DEVNULL)


def one_run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and processor seconds of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def startup(rounds: int, compare: str | None = None) -> dict[str, Any]:
    """Medians of ``rounds`` interleaved rounds; each line's ratio to a bare Python."""
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "node"
        empty_node(data_dir)
        ours = environment(data_dir, os.environ.get("PYTHONPATH"))
        lines: dict[str, tuple[list[str], dict[str, str]]] = {
            "python -c pass": ([sys.executable, "-c", "pass"], ours),
            'python -c "import acsa"': ([sys.executable, "-c", "import acsa"], ours),
        }
        for name, args in COMMANDS.items():
            lines[name] = ([sys.executable, "-m", "acsa", *args], ours)
            if compare is not None:
                lines[f"{name} (compared)"] = ([sys.executable, "-m", "acsa", *args],
                                               environment(data_dir, compare))
        for argv, env in lines.values():  # compiles what is not compiled yet; not counted
            one_run(argv, env)
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in lines}
        for _ in range(rounds):
            for name, (argv, env) in lines.items():
                runs[name].append(one_run(argv, env))
    floor = statistics.median(wall for wall, _ in runs["python -c pass"])
    return {name: {"wall_s": statistics.median(w for w, _ in r),
                   "cpu_s": statistics.median(c for _, c in r),
                   "ratio_to_bare_python": statistics.median(w for w, _ in r) / floor}
            for name, r in runs.items()} | {"rounds": rounds}


def show(results: dict[str, Any]) -> None:
    print(f"   {'':<36}{'wall s':>8}{'cpu s':>8}{'× python':>10}")
    for name, line in results.items():
        if isinstance(line, dict):
            print(f"   {name:<36}{line['wall_s']:8.3f}{line['cpu_s']:8.3f}"
                  f"{line['ratio_to_bare_python']:9.1f}×")
    print(f"   (medians of {results['rounds']} interleaved rounds)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--compare", help="another source tree's src, run in the same rounds")
    args = parser.parse_args()
    show(startup(args.rounds, args.compare))


if __name__ == "__main__":
    main()
