"""Request ids, the request log and the 500 that names its request id, in-process.

Every response carries ``X-Request-ID``: the client's when it is short and plain, else
one of the node's; every line logged while answering carries the same id; an exception
nothing handled is logged with its traceback and answered without internals.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from acsa.bootstrap import init_node
from acsa.config import Settings
from acsa.services import auth
from acsa.services.node import Node
from acsa.web.app import create_app

from .conftest import JsonLog, TestClient

HEX_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    made = init_node(Settings(data_dir=tmp_path / "jpn"), "JPN")
    yield made
    made.engine.dispose()


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node), base_url="https://testserver") as c:
        yield c


def request_lines(log: JsonLog, rid: str) -> list[dict[str, object]]:
    return [line for line in log.of(rid) if line.get("event") == "request"]


def test_an_incoming_request_id_comes_back_and_is_on_the_log_line(client: TestClient,
                                                                  json_log: JsonLog) -> None:
    rid = "3f6c1d2e-7b4a-4e1f-9c3d-5a8b7e6f4d21"
    answer = client.get("/healthz", headers={"X-Request-ID": rid})
    assert answer.status_code == 200 and answer.headers["X-Request-ID"] == rid
    (line,) = request_lines(json_log, rid)
    assert line["method"] == "GET" and line["path"] == "/healthz" and line["status"] == 200
    assert line["level"] == "INFO" and isinstance(line["duration_ms"], float)


@pytest.mark.parametrize("offered", [
    "x" * 10 * 1024,  # 10 KB
    "abc\x01def", "abc\x7fdef", "line\tbreak", "two words", "<script>", "",
    "x" * 129,
], ids=["10KB", "SOH", "DEL", "tab", "space", "angle", "empty", "129"])
def test_a_long_or_strange_request_id_is_replaced(client: TestClient, json_log: JsonLog,
                                                  offered: str) -> None:
    answer = client.get("/healthz", headers={"X-Request-ID": offered})
    rid = answer.headers["X-Request-ID"]
    assert HEX_ID.fullmatch(rid), rid
    assert request_lines(json_log, rid)
    assert offered not in json_log.text or not offered


def test_every_response_has_an_id_of_its_own(client: TestClient) -> None:
    ids = {client.get(path).headers["X-Request-ID"]
           for path in ("/healthz", "/readyz", "/auth/login", "/api/v1/me", "/nowhere",
                        "/federation/v1/heads/x/y")}
    assert len(ids) == 6 and all(HEX_ID.fullmatch(i) for i in ids)


def test_a_refusal_is_logged_with_its_request_id(client: TestClient, json_log: JsonLog) -> None:
    answer = client.get("/api/v1/me", headers={"X-Request-ID": "refused-1"})
    assert answer.status_code == 401 and answer.headers["X-Request-ID"] == "refused-1"
    refusals = [line for line in json_log.of("refused-1") if line.get("event") == "refusal"]
    assert refusals and refusals[0]["status"] == 401
    assert refusals[0]["code"] == "not_authenticated"


def test_a_query_value_named_like_a_secret_is_not_logged(client: TestClient,
                                                         json_log: JsonLog) -> None:
    client.get("/auth/login?next=/orders&password=hunter2-hunter2&csrf_token=abcdefgh"
               "&code=314159", headers={"X-Request-ID": "query-1"})
    (line,) = request_lines(json_log, "query-1")
    assert line["query"] == ("next=/orders&password=[redacted]&csrf_token=[redacted]"
                             "&code=[redacted]"), line
    for secret in ("hunter2-hunter2", "abcdefgh", "314159"):
        assert secret not in json_log.text


# -- an exception nothing handled -----------------------------------------------------------


def broken(*_: object, **__: object) -> None:
    raise RuntimeError("internals: the table is on fire at /srv/acsa/secret-path")


def check_logged(json_log: JsonLog, rid: str) -> None:
    errors = [line for line in json_log.of(rid) if line["level"] == "ERROR"]
    assert len(errors) == 1, json_log.of(rid)
    assert "Traceback" in errors[0]["exception"]
    assert "the table is on fire" in errors[0]["exception"]
    (line,) = request_lines(json_log, rid)
    assert line["status"] == 500


def test_an_api_exception_is_a_500_problem_naming_the_request_id(
        node: Node, json_log: JsonLog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "find_token", broken)
    with TestClient(create_app(node), base_url="https://testserver") as client:
        answer = client.get("/api/v1/me", headers={"Authorization": "Bearer acsa_whatever",
                                                   "X-Request-ID": "broken-api"})
    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.headers["X-Request-ID"] == "broken-api"
    body = answer.json()
    assert body["code"] == "internal_error" and body["request_id"] == "broken-api"
    assert "broken-api" in body["detail"]
    assert "fire" not in answer.text and "Traceback" not in answer.text
    check_logged(json_log, "broken-api")


def test_a_federation_exception_is_a_500_problem(node: Node, json_log: JsonLog,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("acsa.federation.http._target", broken)
    with TestClient(create_app(node), base_url="https://testserver") as client:
        answer = client.get("/federation/v1/heads/JPN-PHL-ACSA/JPN",
                            headers={"X-Request-ID": "broken-fed"})
    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["request_id"] == "broken-fed" and "fire" not in answer.text
    check_logged(json_log, "broken-fed")


@pytest.mark.parametrize("language, words", [
    ("ja", ("内部エラー", "運用者")),
    ("en", ("Internal error", "operator")),
])
def test_a_page_exception_is_a_plain_page_in_the_browsers_language(
        node: Node, json_log: JsonLog, monkeypatch: pytest.MonkeyPatch, language: str,
        words: tuple[str, ...]) -> None:
    monkeypatch.setattr("acsa.web.auth.routes.login_page", broken)
    rid = f"broken-page-{language}"
    with TestClient(create_app(node), base_url="https://testserver") as client:
        answer = client.get("/auth/login", headers={"X-Request-ID": rid,
                                                    "Accept-Language": f"{language},en;q=0.5"})
    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["X-Request-ID"] == rid
    page = answer.text
    assert f'<html lang="{language}">' in page and rid in page
    assert all(word in page for word in words), page
    assert "fire" not in page and "Traceback" not in page
    if language == "ja":
        shown = re.sub(r"<[^>]+>", " ", page).replace(rid, "").replace("ACSA", "")
        assert not re.search(r"[A-Za-z]{2,}", shown), shown
    check_logged(json_log, rid)
