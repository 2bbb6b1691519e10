"""The benchmark data set (``bench/dataset.py``): a small one built by two workers holds
every kind of order the mix promises, every event takes effect, and ``verify`` passes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from acsa.bootstrap import open_node
from acsa.config import Settings
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import verify_node
from acsa.store import tables as T

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_small_data_set_is_genuine_and_covers_the_mix(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    subprocess.run([sys.executable, "-m", "bench.dataset", "--orders", "160", "--dir",
                    str(tmp_path), "--workers", "2"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    built = json.loads((tmp_path / "dataset-160" / "build.json").read_text())
    for kind in ("method cash", "method rik", "method eve", "exchanges", "partial deliveries",
                 "currency JPY", "currency PHP", "currency USD", "emergency", "classified"):
        assert built["mix"].get(kind, 0) > 0, kind
    node = open_node(Settings(data_dir=tmp_path / "dataset-160" / "jpn"))
    try:
        with UnitOfWork(node, write=False) as uow:
            ineffective = uow.conn.execute(select(T.verdicts.c.code, T.verdicts.c.reason)
                                           .where(~T.verdicts.c.effective)).all()
            assert ineffective == []
            statuses = dict(uow.conn.execute(select(T.orders.c.status, func.count())
                                              .group_by(T.orders.c.status)).all())
            assert sum(statuses.values()) == 160
            assert {"submitted", "settling", "settled"} <= set(statuses)
            markings = set(uow.conn.execute(select(T.orders.c.marking).distinct()).scalars())
            assert len(markings) > 1  # some orders are classified
        with UnitOfWork(node) as uow:
            report = verify_node(uow)
        assert report.ok, report.findings[:5]
    finally:
        node.engine.dispose()
