"""Checking a paper copy against the record: the good case and every tampering."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from acsa.devtools.world import as_official
from acsa.domain.parties import Role
from acsa.events import PURPOSE_EVENT, NodeKey
from acsa.reports.documents import describe_check
from acsa.services import orders
from acsa.services.documents import (
    BAD_SIGNATURE,
    MALFORMED,
    ORDER_MISMATCH,
    SIGNATURE_MISMATCH,
    UNKNOWN_EVENT,
    UNKNOWN_KEY,
    DocumentPayload,
    PayloadInvalid,
    check_as_data,
    document_model,
    parse_payload,
    payload_of_event,
    verify_document,
)
from acsa.services.unit_of_work import UnitOfWork

from .lifecycle import terms


def check(node, payload):  # type: ignore[no-untyped-def]
    with UnitOfWork(node, write=False) as uow:
        return verify_document(uow, payload)


def payload_of(world, kind="invoice"):  # type: ignore[no-untyped-def]
    with UnitOfWork(world.pair.jpn, write=False) as uow:
        return document_model(uow, kind, world.cash.number).payload


def b64(raw: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_a_genuine_invoice_matches_on_both_nodes(world):
    text = payload_of(world)
    parsed = parse_payload(text)
    assert text.startswith(f"ACSA1|{world.cash.number}|{world.cash.invoice}|")
    assert parsed.key == world.pair.jpn.key.fingerprint and len(text) < 300
    for node in (world.pair.jpn, world.pair.phl):
        result = check(node, text)
        assert result.ok and result.signature_valid and result.event_known
        assert (result.signer, result.event_type) == ("JPN", "invoice.issued")
        assert result.actor_role == "finance_officer"
        assert dict(result.summary)["invoice"] == world.cash.invoice_number
        assert dict(result.summary)["total"] == "1526500 JPY"
        assert result.later_events == 2  # the payment and its confirmation
        assert result.order_status == "settled" and result.effective is True
        assert any("JPN node" in sentence for sentence in result.proves_text())


def test_the_check_reads_in_japanese(world):
    result = check(world.pair.phl, payload_of(world))
    shown = describe_check(result, "ja")
    assert shown["verdict"] == "本書は記録と一致します"
    assert shown["order_status"] == "決済済み"
    assert any("JPN のノード" in sentence for sentence in shown["proves"])  # type: ignore[union-attr]


def test_a_changed_order_number_is_detected(world):
    _, _, hash_, sig, key = payload_of(world).split("|")
    forged = "|".join(("ACSA1", world.open_order, hash_, sig, key))
    result = check(world.pair.jpn, forged)
    assert result.codes == (ORDER_MISMATCH,)
    assert result.signature_valid  # the signature is genuine: only the number is wrong


def test_a_changed_hash_is_detected(world):
    _, order, hash_, sig, key = payload_of(world).split("|")
    flipped = ("0" if hash_[10] != "0" else "1").join((hash_[:10], hash_[11:]))
    result = check(world.pair.jpn, "|".join(("ACSA1", order, flipped, sig, key)))
    assert set(result.codes) == {BAD_SIGNATURE, UNKNOWN_EVENT}
    assert not result.ok and not result.proves()


def test_a_forged_signature_is_detected(world):
    _, order, hash_, _, key = payload_of(world).split("|")
    thief = NodeKey.generate()
    forged_sig = b64(thief.sign(PURPOSE_EVENT, bytes.fromhex(hash_)))
    result = check(world.pair.phl, "|".join(("ACSA1", order, hash_, forged_sig, key)))
    assert set(result.codes) == {BAD_SIGNATURE, SIGNATURE_MISMATCH}
    # Signed honestly by the thief's own key: a key nobody registered.
    own = "|".join(("ACSA1", order, hash_, forged_sig, thief.fingerprint))
    assert set(check(world.pair.phl, own).codes) >= {UNKNOWN_KEY}


def test_a_signature_for_another_purpose_is_refused(world):
    _, order, hash_, _, key = payload_of(world).split("|")
    # The genuine key, but a signature made for a tree head, not an event.
    replayed = b64(world.pair.jpn.key.sign("acsa/tree-head/v1", bytes.fromhex(hash_)))
    result = check(world.pair.jpn, "|".join(("ACSA1", order, hash_, replayed, key)))
    assert BAD_SIGNATURE in result.codes


def test_an_event_this_node_has_not_received_is_unknown(world):
    p = world.pair
    event = as_official(p.phl, Role.ORDERING_OFFICIAL, orders.submit_order, terms())
    number = event.envelope.subject
    with UnitOfWork(p.phl, write=False) as uow:
        text = payload_of_event(uow, number, event.hash)
    assert check(p.phl, text).ok
    result = check(p.jpn, text)  # not carried to JPN yet
    assert result.codes == (UNKNOWN_EVENT,)
    assert result.signature_valid and result.signer == "PHL"
    p.carry(p.phl, p.jpn)
    assert check(p.jpn, text).ok


@pytest.mark.parametrize("text", [
    "", "hello", "ACSA2|a|b|c|d", "ACSA1|only|three",
    "ACSA1|JP-PH/PHL/FY2026/00001|" + "g" * 64 + "|" + "A" * 86 + "|ed25519:" + "0" * 64,
    "ACSA1|JP-PH/PHL/FY2026/00001|" + "0" * 64 + "|" + "A" * 10 + "|ed25519:" + "0" * 64,
    "ACSA1|JP-PH/PHL/FY2026/00001|" + "0" * 64 + "|" + "A" * 86 + "|rsa:" + "0" * 64,
    "ACSA1| |" + "0" * 64 + "|" + "A" * 86 + "|ed25519:" + "0" * 64,
    "ACSA1|x|" + "0" * 64 + "|" + "A" * 86 + "|ed25519:" + "0" * 64 + "|extra",
    "A" * 5000,
])
def test_malformed_payloads_are_named(world, text):
    result = check(world.pair.jpn, text)
    assert result.codes == (MALFORMED,)
    assert check_as_data(result)["ok"] is False


def test_a_payload_survives_a_scanners_trailing_newline(world):
    assert check(world.pair.jpn, payload_of(world, "order") + "\r\n").ok


def test_a_payload_cannot_carry_a_separator_in_the_order_number():
    with pytest.raises(PayloadInvalid):
        DocumentPayload("A|B", "0" * 64, "A" * 86, "ed25519:" + "0" * 64).text()


# -- the command line ----------------------------------------------------------------------


@pytest.fixture
def cli(world, monkeypatch):  # type: ignore[no-untyped-def]
    import acsa.cli.documents  # noqa: F401 - registers the commands
    from acsa.cli import app

    def run(node, *args):  # type: ignore[no-untyped-def]
        monkeypatch.setenv("ACSA_DATA_DIR", str(node.data_dir))
        monkeypatch.delenv("ACSA_DATABASE_URL", raising=False)
        monkeypatch.delenv("ACSA_USER", raising=False)
        return CliRunner().invoke(app, list(args))

    return run


def test_cli_verify_document(world, cli):
    good = payload_of(world)
    result = cli(world.pair.phl, "verify-document", "--payload", good)
    assert result.exit_code == 0, result.output
    assert "MATCHES the record" in result.output
    as_json = cli(world.pair.phl, "verify-document", "--payload", good, "--json")
    assert json.loads(as_json.output)["event_type"] == "invoice.issued"
    bad = good.replace(world.cash.number, world.open_order)
    refused = cli(world.pair.phl, "verify-document", "--payload", bad)
    assert refused.exit_code == 2 and "order_mismatch" in refused.output
    neither = cli(world.pair.phl, "verify-document")
    assert neither.exit_code == 1


def test_cli_prints_documents_and_exports_reports(world, cli, tmp_path):
    out = tmp_path / "invoice.pdf"
    anonymous = cli(world.pair.jpn, "document", "invoice", world.cash.number, "--out", str(out))
    assert anonymous.exit_code == 1 and "--as USER" in anonymous.output  # read by someone
    assert not out.exists()
    result = cli(world.pair.jpn, "document", "invoice", world.cash.number, "--out", str(out),
                 "--as", "jpn.finance")
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    missing = cli(world.pair.jpn, "document", "invoice", world.open_order, "--out",
                  str(tmp_path / "x.pdf"), "--as", "jpn.finance")
    assert missing.exit_code == 1 and "document_unavailable" in missing.output
    xlsx = tmp_path / "open.xlsx"
    anonymous = cli(world.pair.jpn, "report", "export", "open-orders", "--format", "xlsx",
                    "--out", str(xlsx))
    assert anonymous.exit_code == 1 and not xlsx.exists()
    result = cli(world.pair.jpn, "report", "export", "open-orders", "--format", "xlsx",
                 "--out", str(xlsx), "--locale", "ja", "--as", "jpn.finance")
    assert result.exit_code == 0, result.output
    assert xlsx.read_bytes().startswith(b"PK")
    csv_out = tmp_path / "year.csv"
    result = cli(world.pair.jpn, "report", "export", "year-end", "--format", "csv", "--out",
                 str(csv_out), "--year", "2025", "--party", "JPN", "--as", "jpn.finance")
    assert result.exit_code == 0, result.output
    assert "2026-03-31" in csv_out.read_text(encoding="utf-8-sig")
