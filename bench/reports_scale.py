"""``make bench`` part 2: the reports against the tools a user would pick instead.

On ``bench/dataset.py``'s data set of N orders, as whole commands in fresh
processes, one of each per round, interleaved, medians:

- ``acsa report balances`` and ``acsa report aging``, for a reader who may
  read every order (the finance officer, cleared and assigned to the
  classified orders' operation) and for one limited by need to know (the
  auditor, not cleared: the classified orders are left out of their totals);
- ``ledger balance`` on the journal ``acsa export --format ledger`` writes;
- beancount's loader on the journal ``acsa export --format beancount``
  writes, summing every account (``bench/bean_balance.py``);
- ``hledger balance`` on the ledger journal, where hledger is installed.

Each command's wall time, processor time (user + system) and peak RSS come
from ``wait4`` on its process. With ``postgres`` the acsa commands also run
on a copy of the node on PostgreSQL. With ``compare`` (another source tree's ``src``, an
earlier release) they also run from that tree, on a copy of the node made before this
tree's first command touches it (so at the schema that tree knows), in the same rounds.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.dataset import LIMITED_READER, READER, build

TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None  # Debian package time
OURS = {"acsa report balances": ["report", "balances"], "acsa report aging": ["report", "aging"]}


def measure(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    """Wall seconds, processor seconds and peak RSS (MB) of one process.

    A process started from this one keeps this one's peak RSS across ``exec``, so the
    command is started through GNU time (a small C program) where it is installed, and
    its peak RSS read from there; processor time comes from ``wait4``.
    """
    with tempfile.NamedTemporaryFile("r") as peak:
        launcher = [TIME, "-f", "%M", "-o", peak.name] if TIME else []
        start = time.perf_counter()
        process = subprocess.Popen([*launcher, *argv], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed (exit code {process.returncode})")
        rss_kb = int(peak.read().split()[-1]) if TIME else usage.ru_maxrss
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "rss_mb": rss_kb / 1024}


def environment(data_dir: Path, user: str, database_url: str | None = None,
                source: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACSA_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # compiled modules kept, as installed
    env.update({"ACSA_DATA_DIR": str(data_dir), "ACSA_USER": user})
    if source is not None:
        env["PYTHONPATH"] = source
    if database_url:
        env["ACSA_DATABASE_URL"] = database_url
    return env


Lines = dict[str, tuple[list[str], dict[str, str]]]


def our_lines(directory: Path, postgres: str | None, compare: str | None) -> Lines:
    """The acsa commands of a round: each report for each reader, on each engine, and from
    the ``compare`` tree."""
    acsa = [sys.executable, "-m", "acsa"]
    lines: Lines = {}
    engines = {"": None, " (PostgreSQL)": postgres} if postgres else {"": None}
    for suffix, url in engines.items():
        data_dir = directory / ("jpn-pg" if url else "jpn")
        for who, user in (("", READER), (", need to know", LIMITED_READER)):
            for name, args in OURS.items():
                lines[f"{name}{who}{suffix}"] = ([*acsa, *args],
                                                 environment(data_dir, user, url))
    if compare:
        for who, user in (("", READER), (", need to know", LIMITED_READER)):
            for name, args in OURS.items():
                lines[f"{name}{who} (compare)"] = (
                    [*acsa, *args], environment(directory / "jpn-compare", user, None, compare))
    return lines


def lines_for(directory: Path, postgres: str | None, compare: str | None = None,
              skip: frozenset[str] = frozenset()) -> tuple[Lines, dict[str, Any]]:
    """The commands of a round, and the exports (timed once) and skipped references
    (``skip``: ``ledger``, ``beancount``, ``hledger``, left out on request)."""
    acsa = [sys.executable, "-m", "acsa"]
    full = environment(directory / "jpn", READER)
    notes: dict[str, Any] = {"skipped": {}}
    lines = our_lines(directory, postgres, compare)
    for fmt, ext in (("ledger", "ledger"), ("beancount", "beancount")):
        journal = directory / f"journal.{ext}"
        start = time.perf_counter()
        with journal.open("w") as out:
            subprocess.run([*acsa, "export", "--format", fmt], env=full, stdout=out, check=True)
        notes[f"export_{fmt}_s"] = time.perf_counter() - start
        notes[f"journal_{fmt}_bytes"] = journal.stat().st_size
    ledger, hledger = shutil.which("ledger"), shutil.which("hledger")
    if ledger:
        lines["ledger balance"] = ([ledger, "-f", str(directory / "journal.ledger"),
                                    "balance"], full)
    else:
        notes["skipped"]["ledger balance"] = "ledger is not installed (Debian package ledger)"
    lines["beancount (loader + sums)"] = ([sys.executable, "-m", "bench.bean_balance",
                                          str(directory / "journal.beancount")], full)
    if hledger:
        lines["hledger balance"] = ([hledger, "-f", str(directory / "journal.ledger"),
                                     "balance"], full)
    else:
        notes["skipped"]["hledger balance"] = "hledger is not installed (Debian package hledger)"
    for ref in skip:
        name = {"ledger": "ledger balance", "beancount": "beancount (loader + sums)",
                "hledger": "hledger balance"}[ref]
        if lines.pop(name, None) is not None:
            notes["skipped"][name] = "left out on request (--skip)"
    return lines, notes


def reports(n: int, repeats: int, out: Path, postgres: str | None = None,
            compare: str | None = None, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    directory = out / f"dataset-{n}"
    directory.mkdir(parents=True, exist_ok=True)
    if compare and (directory / f"complete-{n}").exists() \
            and not (directory / "jpn-compare").exists():
        # Copied before this tree first opens the node (and migrates it to its schema).
        shutil.copytree(directory / "jpn", directory / "jpn-compare.tmp")
        (directory / "jpn-compare.tmp").rename(directory / "jpn-compare")
    # Built in a process of its own, so that this driver's peak RSS stays its own.
    subprocess.run([sys.executable, "-m", "bench.dataset", "--orders", str(n), "--dir",
                    str(out)], check=True, stdout=subprocess.DEVNULL)
    if postgres:
        from bench.api_list import copy_to_postgres

        node = build(directory, n)
        if not (directory / "jpn-pg" / f"copied-{n}").exists():
            copy_to_postgres(node, postgres, directory, suffix="reports").engine.dispose()
            (directory / "jpn-pg" / f"copied-{n}").write_text("")
        node.engine.dispose()
        postgres = _copied_url(postgres, "reports")
    lines, notes = lines_for(directory, postgres, compare, skip)
    for argv, env in lines.values():  # compiles what is not compiled yet; not counted
        measure(argv, env)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in lines}
    for _ in range(repeats):
        for name, (argv, env) in lines.items():
            runs[name].append(measure(argv, env))
    medians = {name: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
               for name, rs in runs.items()}
    return {"orders": n, "rounds": repeats, "lines": medians, **notes,
            "loadavg": Path("/proc/loadavg").read_text().split()[:3]}


def _copied_url(url: str, suffix: str) -> str:
    from sqlalchemy.engine import make_url

    base = make_url(url)
    return base.set(database=f"{base.database}_{suffix}").render_as_string(hide_password=False)


def show(result: dict[str, Any]) -> None:
    lines = result["lines"]
    references = [r for r in lines if not r.startswith("acsa")]
    print(f"   {result['orders']} orders; medians of {result['rounds']} interleaved rounds; "
          f"load {' '.join(result['loadavg'])}")
    print(f"   {'':<52}{'wall s':>8}{'cpu s':>8}{'RSS MB':>8}")
    for name, m in lines.items():
        print(f"   {name:<52}{m['wall_s']:8.3f}{m['cpu_s']:8.3f}{m['rss_mb']:8.0f}")
    print(f"   {'ours':<50}{'reference':<26}{'ours s':>8}{'ref s':>8}{'ref/ours':>10}")
    for name, m in lines.items():
        if not name.startswith("acsa"):
            continue
        for ref in references:
            r = lines[ref]
            print(f"   {name:<50}{ref:<26}{m['wall_s']:8.3f}{r['wall_s']:8.3f}"
                  f"{r['wall_s'] / m['wall_s']:9.1f}×  (cpu {r['cpu_s'] / m['cpu_s']:.1f}×)")
    for name, m in lines.items():
        if name.endswith(" (compare)"):
            now = lines[name.removesuffix(" (compare)")]
            print(f"   {name:<50}before/after: wall {m['wall_s'] / now['wall_s']:.1f}×, "
                  f"cpu {m['cpu_s'] / now['cpu_s']:.1f}×")
    for ref, why in result["skipped"].items():
        print(f"   {ref}: skipped, {why}")
    print(f"   journals: ledger {result['journal_ledger_bytes'] / 1e6:.1f} MB (exported in "
          f"{result['export_ledger_s']:.1f} s), beancount "
          f"{result['journal_beancount_bytes'] / 1e6:.1f} MB "
          f"({result['export_beancount_s']:.1f} s)")
