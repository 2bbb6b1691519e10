"""``acsa claim``: list, pending, notice, mark-sent and export, on the module's world."""

from __future__ import annotations

import json
import subprocess

import jsonschema_rs
import pytest
from typer.testing import CliRunner

from needs import tool_or_skip

from .test_claim_notices import INVOICE, SCHEMA


@pytest.fixture
def cli(world, monkeypatch):  # type: ignore[no-untyped-def]
    import acsa.cli.claims  # noqa: F401 - registers the commands
    from acsa.cli import app

    def run(node, *args):  # type: ignore[no-untyped-def]
        monkeypatch.setenv("ACSA_DATA_DIR", str(node.data_dir))
        monkeypatch.delenv("ACSA_DATABASE_URL", raising=False)
        monkeypatch.delenv("ACSA_USER", raising=False)
        return CliRunner().invoke(app, list(args))

    return run


def test_claim_commands_from_pending_to_sent(world, cli, tmp_path):
    jpn = world.pair.jpn
    pending = cli(jpn, "claim", "pending", "--as", "jpn.finance")
    assert pending.exit_code == 0, pending.output
    assert INVOICE in pending.output and "1,526,500 JPY" in pending.output
    assert "not sent" in pending.output
    refused = cli(jpn, "claim", "pending", "--as", "jpn.ordering")
    assert refused.exit_code == 1 and "not_permitted" in refused.output

    out = tmp_path / "notice.pdf"
    printed = cli(jpn, "claim", "notice", INVOICE, "--output", str(out), "--as", "jpn.finance")
    assert printed.exit_code == 0, printed.output
    text = subprocess.run([tool_or_skip("pdftotext", "poppler-utils"), str(out), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "債権発生通知書" in text and INVOICE in text

    sent = cli(jpn, "claim", "mark-sent", INVOICE, "--to", "歳入徴収官 (Yokosuka)",
               "--on", "2026-03-05", "--as", "jpn.finance", "--json")
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.output)["notice"]["sent_to"] == "歳入徴収官 (Yokosuka)"
    again = cli(jpn, "claim", "mark-sent", INVOICE, "--to", "x", "--as", "jpn.finance")
    assert again.exit_code == 1 and "already_recorded" in again.output
    after = cli(jpn, "claim", "pending", "--as", "jpn.finance", "--json")
    assert INVOICE not in {r["invoice"] for r in json.loads(after.output)["receivables"]}
    listed = cli(jpn, "claim", "list", "--as", "jpn.finance")
    assert "sent 2026-03-05 to 歳入徴収官 (Yokosuka)" in listed.output

    exported = tmp_path / "accounting.json"
    done = cli(jpn, "claim", "export", "--out", str(exported), "--as", "jpn.auditor")
    assert done.exit_code == 0, done.output
    data = json.loads(exported.read_text())
    jsonschema_rs.validator_for(json.loads(SCHEMA.read_text())).validate(data)
    [inv] = [i for i in data["invoices"] if i["invoice"] == INVOICE]
    assert inv["claim_notice"]["sent_on"] == "2026-03-05"
