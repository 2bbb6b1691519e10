"""docs/operations.md on serving says what the node does: its example log line and
``/readyz`` answer have the fields a real one has, and every test it names exists."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from acsa.bootstrap import init_node
from acsa.config import Settings
from acsa.services.node import Node
from acsa.web.app import create_app

from .conftest import JsonLog, TestClient

ROOT = Path(__file__).parents[2]
SECTIONS = ("Several workers", "Health and readiness", "Logs", "Stopping")


def section(title: str) -> str:
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    made = init_node(Settings(data_dir=tmp_path / "jpn"), "JPN")
    yield made
    made.engine.dispose()


def test_each_serving_procedure_names_tests_that_exist() -> None:
    for title in SECTIONS:
        named = re.findall(r"`(tests/serving/\w+\.py)`", section(title))
        assert named, title
        for path in named:
            assert (ROOT / path).exists(), (title, path)


def test_the_example_log_line_has_the_fields_of_a_real_one(node: Node,
                                                           json_log: JsonLog) -> None:
    (example,) = [json.loads(line) for line in section("Logs").splitlines()
                  if line.strip().startswith('{"time"')]
    with TestClient(create_app(node), base_url="https://testserver") as client:
        client.get("/readyz", headers={"X-Request-ID": "abc-123"})
    (real,) = [line for line in json_log.of("abc-123") if line.get("event") == "request"]
    assert set(example) == set(real)
    assert {k: example[k] for k in ("level", "logger", "message", "request_id", "event",
                                    "method", "path", "status")} == \
           {k: real[k] for k in ("level", "logger", "message", "request_id", "event",
                                 "method", "path", "status")}
    fields = section("Logs").split("| field | what |", 1)[1]
    for name in real:
        assert f"`{name}`" in fields, name


def test_the_example_readiness_answer_has_the_fields_of_a_real_one(node: Node) -> None:
    lines = section("Health and readiness").splitlines()
    ready = json.loads(next(line for line in lines if '"status":"ready"' in line))
    with TestClient(create_app(node), base_url="https://testserver") as client:
        real = client.get("/readyz").json()
    assert set(ready) == set(real)
    assert set(ready["schema"]) == set(real["schema"]) == {"at", "needed"}
    assert set(ready["peers"][0]) == {"party", "last_sync_age_s", "last_round_age_s",
                                      "last_round_ok", "alarm"}
