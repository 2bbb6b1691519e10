"""Three live nodes: a JPN–PHL order released to the USA with both originators' consent.

The USA node is no party to the JPN–PHL stream. It holds nothing of the order
until both originators have consented; then exactly the released events,
verified against the signed tree heads; a package altered by one byte, or
missing a consent, is refused with nothing stored.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from acsa.devtools.world import NAMES, UNITS, user_id
from acsa.domain.errors import DomainError, InvalidValue
from acsa.domain.parties import Role
from acsa.federation.release import send_release
from acsa.services import admin, consent, orders, releases, transmissions, users
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T

from .test_online_sync import diesel, status

pytestmark = pytest.mark.federation
AGREEMENT = "JPN-PHL-ACSA"


def appoint_security_officers(w) -> None:  # type: ignore[no-untyped-def]
    for party in ("JPN", "PHL"):
        with UnitOfWork(w[party]) as uow:
            boss = users.get_user(uow, user_id(party, Role.ADMINISTRATOR))
            admin.appoint(uow, boss, agreement=AGREEMENT,
                          user_id=user_id(party, Role.SECURITY_OFFICER),
                          name=NAMES[party][Role.SECURITY_OFFICER],
                          role=Role.SECURITY_OFFICER.value,
                          units=[u for u, _ in UNITS[party]], valid_from=date(2026, 1, 15))
            uow.commit()


def held_by_usa(w) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(JPN–PHL events in the USA's streams, releases the USA holds)."""
    with UnitOfWork(w["USA"], write=False) as uow:
        leaked = uow.conn.execute(select(func.count()).select_from(T.events).where(
            T.events.c.stream.like(f"{AGREEMENT}/%"))).scalar_one()
        held = uow.conn.execute(select(func.count()).select_from(T.releases)).scalar_one()
    return leaked, held


def order_events(node, number: str) -> set[str]:  # type: ignore[no-untyped-def]
    with UnitOfWork(node, write=False) as uow:
        return set(uow.conn.execute(
            select(T.events.c.hash).join(T.event_orders,
                                         T.event_orders.c.event_id == T.events.c.id)
            .where(T.event_orders.c.order_number == number)).scalars())


def import_on_usa(w, raw: bytes) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(w["USA"]) as uow:
        releases.import_package(uow, raw, source="file", by="usa.security")
        uow.commit()


def test_a_release_reaches_the_third_nation_only_with_both_originators_consent(world, tmp_path):
    release_with_both_consents(world(("JPN", "PHL", "USA")), tmp_path)


@pytest.mark.postgres
def test_the_same_release_on_postgresql(world, tmp_path):
    release_with_both_consents(world(("JPN", "PHL", "USA"), engine="postgresql"), tmp_path)


def release_with_both_consents(w, tmp_path) -> None:  # type: ignore[no-untyped-def]
    appoint_security_officers(w)
    w.settle()
    number = w.act("PHL", Role.ORDERING_OFFICIAL, orders.submit_order, diesel()
                   ).envelope.subject
    w.wait(lambda: status(w["JPN"], number) == "submitted", 10, "the order on JPN")
    w.act("JPN", Role.APPROVING_OFFICIAL, orders.accept, number, supplying_unit="JMSDF-ESF1")
    w.settle()
    assert held_by_usa(w) == (0, 0)

    request = w.act("JPN", Role.SECURITY_OFFICER, consent.request_consent, number,
                    recipient="USA", reason="trilateral exercise fuel planning")
    with pytest.raises(InvalidValue) as early:
        send_release(w["JPN"], "jpn.security", number, "USA")
    assert early.value.field == "order" and "not every originator" in early.value.message
    w.act("JPN", Role.SECURITY_OFFICER, consent.grant_consent, request.hash)
    w.settle()
    with pytest.raises(InvalidValue):  # PHL has not consented yet
        send_release(w["JPN"], "jpn.security", number, "USA")
    assert held_by_usa(w) == (0, 0)
    w.act("PHL", Role.SECURITY_OFFICER, consent.grant_consent, request.hash)
    w.settle()

    def sent() -> bool:
        try:
            send_release(w["JPN"], "jpn.security", number, "USA")
        except DomainError as exc:  # until JPN holds a head PHL signed over its grant
            assert "tree head" in exc.message, exc.message
            return False
        return True

    w.wait(sent, 15, "the package to reach the USA")
    with UnitOfWork(w["USA"], write=False) as uow:
        usa_security = users.get_user(uow, "usa.security")
        [held] = releases.list_views(uow, usa_security)
        shown = releases.show_view(uow, held["id"], usa_security)
    released = {e["hash"] for e in shown["entries"] if e["part"] == "events"}
    assert released == order_events(w["JPN"], number) == order_events(w["PHL"], number)
    assert held["originators"] == ["JPN", "PHL"] and held["order"] == number
    assert len([e for e in shown["entries"] if e["part"] == "consents"]) == 3
    transmission_recorded(w, len(shown["entries"]))
    # Held read-only, outside the USA's streams, orders and balances.
    leaked, _ = held_by_usa(w)
    assert leaked == 0
    with UnitOfWork(w["USA"], write=False) as uow:
        assert uow.conn.execute(select(T.orders.c.number)
                                .where(T.orders.c.number == number)).first() is None
    w.check()
    refuses_altered_packages(w, number, tmp_path)


def transmission_recorded(w, events: int) -> None:  # type: ignore[no-untyped-def]
    """JPN's transmission records name the package: the released events and the consents."""
    with UnitOfWork(w["JPN"], write=False) as uow:
        records = transmissions.list_transmissions(
            uow, users.get_user(uow, "jpn.security"), peer="USA")
    [record] = [r for r in records if r.channel == "release"]
    assert (record.events, record.initiated_by) == (events, "jpn.security")
    assert {r.stream for r in record.streams} == {"JPN-PHL-ACSA/JPN", "JPN-PHL-ACSA/PHL"}


def refuses_altered_packages(w, number: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The same package as a file: one byte altered, or a consent left out, is refused
    whole, nothing stored."""
    path = tmp_path / "release.json"
    send_release(w["JPN"], "jpn.security", number, "USA", out=path)
    good = path.read_bytes()
    at = good.index(b'"quantity":"10000"') + len(b'"quantity":"1')
    for bad in (good[:at] + b"1" + good[at + 1:], _without_last_grant(good), _with_more(good)):
        with pytest.raises(InvalidValue) as refused:
            import_on_usa(w, bad)
        assert refused.value.field == "package"
        assert held_by_usa(w) == (0, 1)
    import_on_usa(w, good)  # carried by hand: a second package (its JPN head is newer)
    import_on_usa(w, good)  # the very same package again: kept once
    assert held_by_usa(w) == (0, 2)


def _with_more(raw: bytes) -> bytes:
    """An event no grant lists (here the request itself, signed and proved) slipped in."""
    package = json.loads(raw)
    package["events"].append(package["consents"][0])
    return json.dumps(package).encode()


def _without_last_grant(raw: bytes) -> bytes:
    package = json.loads(raw)
    package["consents"] = package["consents"][:-1]
    return json.dumps(package).encode()


def test_a_refusal_stops_the_release(world):
    w = world(("JPN", "PHL", "USA"))
    appoint_security_officers(w)
    number = w.act("PHL", Role.ORDERING_OFFICIAL, orders.submit_order, diesel()
                   ).envelope.subject
    w.wait(lambda: status(w["JPN"], number) == "submitted", 10, "the order on JPN")
    w.settle()
    request = w.act("PHL", Role.SECURITY_OFFICER, consent.request_consent, number,
                    recipient="USA", reason="asked by the exercise staff")
    w.act("PHL", Role.SECURITY_OFFICER, consent.refuse_consent, request.hash,
          reason="operational details")
    w.settle()
    with UnitOfWork(w["JPN"], write=False) as uow:
        [seen] = consent.list_views(uow, users.get_user(uow, "jpn.security"), number)
    assert seen["status"] == "refused" and seen["originators"] == ["PHL"]
    with pytest.raises(InvalidValue) as refused:
        w.act("PHL", Role.SECURITY_OFFICER, consent.request_consent, number,
              recipient="JPN", reason="x")
    assert refused.value.field == "recipient"
    with pytest.raises(InvalidValue):
        send_release(w["PHL"], "phl.security", number, "USA")
    assert held_by_usa(w) == (0, 0)




def token(w, party: str, who: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from acsa.services.auth import create_token

    with UnitOfWork(w[party]) as uow:
        boss = users.get_user(uow, user_id(party, Role.ADMINISTRATOR))
        made = create_token(uow, boss, user_id=who, name="release test", scopes=["read", "act"])
        uow.commit()
    return {"Authorization": f"Bearer {made.secret}"}


def test_consent_and_release_through_the_api(world):
    import httpx

    w = world(("JPN", "PHL", "USA"))
    appoint_security_officers(w)
    api = {p: f"http://127.0.0.1:{w.nodes[p].port}/api/v1" for p in w.nodes}
    auth = {p: token(w, p, f"{p.lower()}.security") for p in w.nodes}
    number = w.act("PHL", Role.ORDERING_OFFICIAL, orders.submit_order, diesel()
                   ).envelope.subject
    w.wait(lambda: status(w["JPN"], number) == "submitted", 10, "the order on JPN")
    w.settle()
    refused = httpx.post(f"{api['JPN']}/consents", headers=auth["JPN"], json={
        "order": number, "recipient": "PHL", "reason": "x"})
    assert (refused.status_code, refused.json()["field"]) == (422, "recipient")
    asked = httpx.post(f"{api['JPN']}/consents", headers=auth["JPN"], json={
        "order": number, "recipient": "USA", "reason": "exercise staff"})
    assert asked.status_code == 201, asked.text
    request = asked.json()["request"]
    assert asked.json()["originators"] == ["PHL"] and asked.json()["status"] == "pending"
    early = httpx.post(f"{api['JPN']}/outgoing-releases", headers=auth["JPN"],
                       json={"order": number, "recipient": "USA"})
    assert (early.status_code, early.json()["field"]) == (422, "order")
    w.settle()
    wrong = httpx.post(f"{api['JPN']}/consents/{request}/grant", headers=auth["JPN"])
    assert (wrong.status_code, wrong.json()["field"]) == (422, "request")  # JPN signed nothing
    granted = httpx.post(f"{api['PHL']}/consents/{request}/grant", headers=auth["PHL"])
    assert granted.json()["status"] == "granted", granted.text
    w.settle()

    def sent() -> bool:
        answer = httpx.post(f"{api['JPN']}/outgoing-releases", headers=auth["JPN"],
                            json={"order": number, "recipient": "USA"})
        return answer.status_code == 201

    w.wait(sent, 15, "the package to reach the USA")
    [held] = httpx.get(f"{api['USA']}/releases", headers=auth["USA"]).json()["data"]
    assert (held["order"], held["events"], held["direction"]) == (number, 1, "held")
    shown = httpx.get(f"{api['USA']}/releases/{held['id']}", headers=auth["USA"]).json()
    package = {"format": "acsa-release/1"}
    assert [e["type"] for e in shown["entries"]] == [
        "consent.requested", "consent.granted", "order.submitted"]
    bad = httpx.post(f"{api['USA']}/releases", headers=auth["USA"], json=package)
    assert (bad.status_code, bad.json()["field"]) == (422, "package")
    assert held_by_usa(w) == (0, 1)
