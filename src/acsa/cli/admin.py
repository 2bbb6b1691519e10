"""``acsa user``, ``unit``, ``agreement``, ``activity`` and ``rate``: administering a node.

Local users never leave the node; appointments, units, activities, adopted
agreements and rates are events in the node's stream for the agreement, so
the partner's node learns them too. A user's clearance and activities (need
to know) are local as well, and a security officer's to give: ``acsa user
clearance``, ``assign`` and ``unassign``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from acsa.cli.common import (
    AsOpt,
    JsonOpt,
    OnOpt,
    acting_user,
    emit,
    errors,
    node,
    parse_day,
    table,
)
from acsa.cli.root import app
from acsa.domain.errors import InvalidValue, MissingField
from acsa.services import access_log, admin, admin_views, catalogue, rates, registry, users
from acsa.services.recording import StoredEvent
from acsa.services.unit_of_work import UnitOfWork

user_app = typer.Typer(help="Local users and their written appointments.", no_args_is_help=True)
unit_app = typer.Typer(help="Units of this nation's force.", no_args_is_help=True)
agreement_app = typer.Typer(help="Agreement profiles this node adopts.", no_args_is_help=True)
activity_app = typer.Typer(help="Exercises and operations orders support.",
                           no_args_is_help=True)
rate_app = typer.Typer(help="Dated exchange rates signed by a finance officer.",
                       no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(unit_app, name="unit")
app.add_typer(agreement_app, name="agreement")
app.add_typer(activity_app, name="activity")
app.add_typer(rate_app, name="rate")
catalogue_app = typer.Typer(help="Catalogue prices signed by a finance officer.",
                            no_args_is_help=True)
app.add_typer(catalogue_app, name="catalogue")

AgreementOpt = Annotated[str, typer.Option("--agreement", help="The agreement, e.g. JPN-PHL-ACSA.")]
AgreementFilter = Annotated[
    str | None, typer.Option("--agreement", help="Only this agreement.")
]


def short(hash_: str) -> str:
    return f"{hash_[:8]}…"


def event_data(event: StoredEvent) -> dict[str, object]:
    env = event.envelope
    return {"event": event.hash, "seq": env.seq, "stream": env.stream, "type": env.type,
            "subject": env.subject}


def required_day(text: str, field: str) -> date:
    day = parse_day(text, field)
    if day is None:
        raise MissingField("is required", field=field)
    return day


# -- users --------------------------------------------------------------------------------------


ClearanceOpt = Annotated[str | None, typer.Option(
    help="Clearance: a level of this nation's own classification scheme, or none "
         "(given by a security officer).")]
ActivityOpt = Annotated[list[str] | None, typer.Option(
    "--activity", help="An activity the user needs to know (repeatable).")]


def user_data(u: users.LocalUser) -> dict[str, object]:
    """A user as ``--json`` prints them: lists sorted, so that output is stable."""
    return {"id": u.id, "name": u.name, "party": u.party,
            "roles": sorted(r.value for r in u.roles), "units": sorted(u.units),
            "clearance": u.clearance, "activities": sorted(u.activities),
            "locale": u.locale, "time_zone": u.time_zone, "active": u.active}


@user_app.command("add")
def user_add(
    user_id: Annotated[str, typer.Argument(help="Login id: lowercase letters, digits, . _ -")],
    name: Annotated[str, typer.Option(help="Full name and rank, as signed.")],
    role: Annotated[list[str], typer.Option("--role", help="A role held (repeatable).")],
    unit: Annotated[list[str] | None, typer.Option("--unit", help="A unit (repeatable).")] = None,
    clearance: ClearanceOpt = None,
    activity: ActivityOpt = None,
    locale: Annotated[str, typer.Option(help="en or ja.")] = "en",
    tz: Annotated[str | None, typer.Option(
        "--tz", help="IANA time zone, e.g. Asia/Manila (default: the party's).")] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a local user. The first user of a node is added without --as (bootstrap).

    --clearance and --activity need a security officer (who is also an administrator);
    otherwise add the user without them and let a security officer give them.
    """
    with errors(as_json), UnitOfWork(node()) as uow:
        try:
            if tz is not None:
                ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidValue(f"{tz!r} is not a time zone", field="tz") from None
        if users.count_users(uow) == 0:
            added = users.add_user(uow, None, user_id=user_id, name=name, roles=role,
                                   units=unit or (), clearance=clearance,
                                   activities=activity or (), locale=locale, time_zone=tz)
        else:
            added = admin_views.add_user(
                uow, acting_user(uow, as_user), user_id=user_id, name=name, roles=role,
                units=unit or (), clearance=clearance, activities=activity or (),
                locale=locale, time_zone=tz)
        roles = ", ".join(sorted(r.value for r in added.roles))
        emit(as_json, user_data(added),
             f"added user {added.id} ({roles}) on the {added.party} node")


def _security_line(u: users.LocalUser) -> str:
    return (f"{u.id}: clearance {u.clearance or users.NO_CLEARANCE}; activities "
            f"{', '.join(sorted(u.activities)) or users.NO_CLEARANCE}")


@user_app.command("clearance")
def user_clearance(
    user_id: Annotated[str, typer.Argument(help="Whose clearance.")],
    level: Annotated[str, typer.Argument(
        help="A level of this nation's own classification scheme, or none to clear it.")],
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set a user's clearance (a security officer, for anyone but themselves)."""
    with errors(as_json), UnitOfWork(node()) as uow:
        changed = admin_views.set_clearance(uow, acting_user(uow, as_user), user_id, level)
        emit(as_json, user_data(changed), _security_line(changed))


@user_app.command("assign")
def user_assign(
    user_id: Annotated[str, typer.Argument(help="Who needs to know.")],
    activity: Annotated[list[str], typer.Option(
        "--activity", help="An activity registered here (repeatable).")],
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Assign a user to activities: their need to know (a security officer)."""
    with errors(as_json), UnitOfWork(node()) as uow:
        changed = admin_views.assign(uow, acting_user(uow, as_user), user_id, activity)
        emit(as_json, user_data(changed), _security_line(changed))


@user_app.command("unassign")
def user_unassign(
    user_id: Annotated[str, typer.Argument(help="Who no longer needs to know.")],
    activity: Annotated[list[str], typer.Option(
        "--activity", help="An activity the user is assigned to (repeatable).")],
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take activities from a user (a security officer)."""
    with errors(as_json), UnitOfWork(node()) as uow:
        changed = admin_views.unassign(uow, acting_user(uow, as_user), user_id, activity)
        emit(as_json, user_data(changed), _security_line(changed))


@user_app.command("edit")
def user_edit(
    user_id: Annotated[str, typer.Argument(help="The user whose roles or units change.")],
    role: Annotated[list[str] | None, typer.Option(
        "--role", help="Every role the user holds from now on (repeatable).")] = None,
    unit: Annotated[list[str] | None, typer.Option(
        "--unit", help="Every unit the user serves from now on (repeatable).")] = None,
    no_units: Annotated[bool, typer.Option(
        "--no-units", help="Take every unit from the user.")] = False,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a user's roles and units (an administrator; each change is in the access log).

    What is not given stays as it is; what is given replaces the whole list."""
    with errors(as_json), UnitOfWork(node()) as uow:
        if role is None and unit is None and not no_units:
            raise MissingField("give --role, --unit or --no-units", field="roles")
        if unit and no_units:
            raise InvalidValue("give --unit or --no-units, not both", field="units")
        changed = admin_views.edit_user(uow, acting_user(uow, as_user), user_id, roles=role,
                                        units=[] if no_units else unit, address="cli")
        emit(as_json, user_data(changed),
             f"{changed.id}: roles {', '.join(sorted(r.value for r in changed.roles))}; "
             f"units {', '.join(sorted(changed.units)) or '-'}")


@user_app.command("show")
def user_show(
    user_id: Annotated[str, typer.Argument(help="The user.")],
    as_json: JsonOpt = False,
) -> None:
    """One local user: roles, units, clearance, activities, language and time zone."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        found = user_data(users.find_user(uow, user_id))

        def human() -> None:
            for key, value in found.items():
                shown = ", ".join(value) if isinstance(value, list) else value
                typer.echo(f"{key}: {shown if shown not in (None, '') else '-'}")

        emit(as_json, found, human)


def parse_limits(values: list[str] | None) -> dict[str, str] | None:
    """``JPY=50000000`` → ``{"JPY": "50000000"}``; none given means no limit."""
    if not values:
        return None
    out = {}
    for text in values:
        currency, sep, amount = text.partition("=")
        if not sep or not currency or not amount:
            raise InvalidValue(f"{text!r} is not CURRENCY=AMOUNT", field="limit")
        out[currency.strip().upper()] = amount.strip()
    return out


@user_app.command("appoint")
def user_appoint(
    user_id: Annotated[str, typer.Argument(help="The user appointed.")],
    agreement: AgreementOpt,
    role: Annotated[str, typer.Option(help="The role, e.g. ordering_official.")],
    valid_from: Annotated[str, typer.Option("--from", help="First day in force (YYYY-MM-DD).")],
    valid_to: Annotated[str | None, typer.Option("--to", help="Last day in force.")] = None,
    unit: Annotated[list[str] | None, typer.Option(
        "--unit", help="A unit covered (repeatable; none: every unit).")] = None,
    limit: Annotated[list[str] | None, typer.Option(
        "--limit", help="Signing limit per currency, e.g. JPY=50000000 (repeatable).")] = None,
    name: Annotated[str | None, typer.Option(help="Name as appointed (default: the user's).")
                    ] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Publish a written appointment: who may sign what, for which units, up to what, when."""
    with errors(as_json), UnitOfWork(node()) as uow:
        actor = acting_user(uow, as_user)
        if name is None:
            known = {u.id: u for u in users.list_users(uow)}
            if user_id not in known:
                raise MissingField(f"{user_id} is not a local user: give --name", field="name")
            name = known[user_id].name
        event = admin.appoint(uow, actor, agreement=agreement, user_id=user_id, name=name,
                              role=role, units=unit or (), limits=parse_limits(limit),
                              valid_from=required_day(valid_from, "from"),
                              valid_to=parse_day(valid_to, "to"))
        emit(as_json, {**event_data(event), "appointment": event.hash},
             f"appointed {user_id} as {role} under {agreement} "
             f"(appointment {short(event.hash)})")


@user_app.command("revoke")
def user_revoke(
    appointment: Annotated[str, typer.Argument(help="The appointment's hash (or a prefix).")],
    agreement: AgreementOpt,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke an appointment: later acts citing it are refused."""
    with errors(as_json), UnitOfWork(node()) as uow:
        actor = acting_user(uow, as_user)
        found = registry.find_appointment(uow, agreement, appointment)
        event = admin.revoke_appointment(uow, actor, agreement=agreement, appointment=found.id)
        emit(as_json, {**event_data(event), "appointment": found.id},
             f"revoked {found.user}'s appointment as {found.role.value} "
             f"({short(found.id)}, event {short(event.hash)})")


@user_app.command("list")
def user_list(
    appointments: Annotated[bool, typer.Option(
        "--appointments", help="List the roster of appointments instead.")] = False,
    agreement: AgreementFilter = None,
    as_json: JsonOpt = False,
) -> None:
    """The local users (or, with --appointments, every appointment known)."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        if appointments:
            roster = registry.list_appointments(uow, agreement)
            emit(as_json, roster, lambda: table(
                [[a["id"][:12], a["party"], a["user"], a["role"], ",".join(a["units"]) or "*",
                  a["valid_from"], a["valid_to"] or "-", "revoked" if a["revoked"] else ""]
                 for a in roster],
                ["appointment", "party", "user", "role", "units", "from", "to", ""]))
            return
        found = users.list_users(uow)
        emit(as_json, [user_data(u) for u in found], lambda: table(
            [[u.id, u.name, ",".join(sorted(r.value for r in u.roles)),
              ",".join(sorted(u.units)) or "-", u.clearance or "-", str(len(u.activities)),
              u.locale, u.time_zone, "active" if u.active else "inactive"] for u in found],
            ["user", "name", "roles", "units", "clearance", "activities", "locale", "tz",
             ""]))


# -- units ---------------------------------------------------------------------------------------


@unit_app.command("add")
def unit_add(
    unit_id: Annotated[str, typer.Argument(help="The unit's identifier, e.g. AFP-TOG1.")],
    agreement: AgreementOpt,
    name: Annotated[str, typer.Option(help="The unit's full name.")],
    parent: Annotated[str | None, typer.Option(help="The unit it belongs to.")] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a unit of this nation's force under an agreement."""
    with errors(as_json), UnitOfWork(node()) as uow:
        event = admin.register_unit(uow, acting_user(uow, as_user), agreement=agreement,
                                    unit_id=unit_id, name=name, parent=parent)
        emit(as_json, event_data(event), f"registered unit {unit_id} (event {short(event.hash)})")


@unit_app.command("list")
def unit_list(
    party: Annotated[str | None, typer.Option(help="Only this party's units.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Units known here, this nation's and its partners'."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        found = registry.list_units(uow, party)
        emit(as_json, found, lambda: table(
            [[u["id"], u["party"], u["name"], u["parent"] or "-"] for u in found],
            ["unit", "party", "name", "parent"]))


# -- agreements ----------------------------------------------------------------------------------


@agreement_app.command("adopt")
def agreement_adopt(
    source: Annotated[str, typer.Argument(help="A shipped profile's id or a profile .toml file.")],
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Adopt an agreement profile (its version and digest travel to the partner)."""
    with errors(as_json), UnitOfWork(node()) as uow:
        profile = admin.adopt_agreement(uow, acting_user(uow, as_user), source)
        emit(as_json, {"id": profile.id, "version": profile.version, "digest": profile.digest},
             f"adopted {profile.id} version {profile.version} ({profile.digest[:19]}…)")


@agreement_app.command("enter-into-force")
def agreement_enter_into_force(
    agreement: Annotated[str, typer.Argument(help="The agreement's id.")],
    on: Annotated[str, typer.Option("--on", help="The day it enters into force (YYYY-MM-DD).")],
    reference: Annotated[str, typer.Option(
        help="The instrument that brought it into force, e.g. the exchange of notes.")],
    version: Annotated[str | None, typer.Option(
        help="The in-force version's label (default: the signed version's +DATE).")] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the agreement's entry into force: each party's administrator records the same
    date and instrument, and orders are accepted once both have."""
    with errors(as_json), UnitOfWork(node()) as uow:
        day = parse_day(on, "on")
        assert day is not None  # --on is required
        profile = admin.enter_into_force(uow, acting_user(uow, as_user), agreement, on=day,
                                         reference=reference, version=version)
        emit(as_json, {"id": profile.id, "version": profile.version, "digest": profile.digest,
                       "in_force_on": on, "reference": profile.in_force_reference},
             f"adopted {profile.id} version {profile.version}, in force from {on} "
             f"({profile.digest[:19]}…); orders wait until every party has adopted it")


@agreement_app.command("list")
def agreement_list(as_json: JsonOpt = False) -> None:
    """Agreement profiles known here, and which parties adopted each."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        found = registry.list_agreements(uow)
        emit(as_json, found, lambda: table(
            [[a["id"], a["version"], a["short_id"] or "-", "-".join(a["parties"]),
              ",".join(a["adopted_by"]), a["digest"][:19] + "…"] for a in found],
            ["agreement", "version", "short", "parties", "adopted by", "digest"]))


@agreement_app.command("show")
def agreement_show(
    agreement: Annotated[str, typer.Argument(help="The agreement's id.")],
    as_json: JsonOpt = False,
) -> None:
    """The adopted profile, item by item."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        profile = registry.agreement_profile(uow, agreement)
        document = {"digest": profile.digest, **dict(profile.document)}

        def human() -> None:
            for key, value in registry.profile_items(document):
                typer.echo(f"{key} = {value}")

        emit(as_json, document, human)


# -- activities ----------------------------------------------------------------------------------


@activity_app.command("add")
def activity_add(
    activity_id: Annotated[str, typer.Argument(help="Its identifier, e.g. KAMANDAG-10.")],
    agreement: AgreementOpt,
    name: Annotated[str, typer.Option(help="Its name.")],
    type: Annotated[str, typer.Option("--type", help="Activity type, e.g. hadr.")],
    starts_on: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
    ends_on: Annotated[str | None, typer.Option("--to", help="Last day.")] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register an exercise or operation under an agreement."""
    with errors(as_json), UnitOfWork(node()) as uow:
        event = admin.register_activity(uow, acting_user(uow, as_user), agreement=agreement,
                                        activity_id=activity_id, name=name, type=type,
                                        starts_on=required_day(starts_on, "from"),
                                        ends_on=parse_day(ends_on, "to"))
        emit(as_json, event_data(event),
             f"registered activity {activity_id} (event {short(event.hash)})")


@activity_app.command("list")
def activity_list(agreement: AgreementFilter = None, as_json: JsonOpt = False) -> None:
    """Activities known here."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        found = registry.list_activities(uow, agreement)
        emit(as_json, found, lambda: table(
            [[a["id"], a["agreement"], a["type"], a["starts_on"], a["ends_on"] or "-",
              a["name"]] for a in found],
            ["activity", "agreement", "type", "from", "to", "name"]))


# -- rates ---------------------------------------------------------------------------------------


@rate_app.command("add")
def rate_add(
    agreement: AgreementOpt,
    base: Annotated[str, typer.Option(help="One unit of this currency …")],
    quote: Annotated[str, typer.Option(help="… buys RATE of this one.")],
    rate: Annotated[str, typer.Option(help="The rate, e.g. 0.38.")],
    source: Annotated[str | None, typer.Option(
        help="The official source it is taken from, an id the agreement's profile names "
             "(e.g. treasury-reporting); leave out for a rate you worked out.")] = None,
    on: OnOpt = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a dated exchange rate (a finance officer signs it)."""
    with errors(as_json), UnitOfWork(node()) as uow:
        user = acting_user(uow, as_user)
        day = parse_day(on) or uow.node.today(registry.agreement_profile(uow, agreement))
        event = admin.record_rate(uow, user, agreement=agreement, on=day,
                                  base=base.upper(), quote=quote.upper(), rate=rate,
                                  source=source)
        cited = event.envelope.data.get("source")
        emit(as_json, event_data(event),
             f"recorded 1 {base.upper()} = {rate} {quote.upper()} on {day}, "
             + (f"official ({cited})" if cited else "an officer's own rate")
             + f" (event {short(event.hash)})")


@rate_app.command("list")
def rate_list(agreement: AgreementFilter = None, as_json: JsonOpt = False) -> None:
    """Rates recorded by either party, each with its source: official or an officer's own."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        found = rates.list_rates(uow, agreement)
        emit(as_json, found, lambda: table(
            [[r["on"], f"{r['base']}/{r['quote']}", r["rate"],
              f"official: {r['source']} ({r['source_name']})" if r["official"]
              else "officer's own" + (f" (names unknown source {r['source']})"
                                      if r["source"] else ""),
              r["recorded_by"], r["agreement"]] for r in found],
            ["on", "pair", "rate", "source", "by", "agreement"]))


# -- catalogue prices ----------------------------------------------------------------------------


@catalogue_app.command("set")
def catalogue_set(
    agreement: AgreementOpt,
    category: Annotated[str, typer.Option(help="The LSSS category, e.g. pol.")],
    item: Annotated[str, typer.Option(help="The item as order lines describe it.")],
    unit: Annotated[str, typer.Option(help="Unit of issue, e.g. L, EA, NIGHT.")],
    price: Annotated[str, typer.Option(
        help="Unit price in this party's currency under the agreement, e.g. 152.5.")],
    valid_from: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
    valid_to: Annotated[str | None, typer.Option("--to", help="Last day.")] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set a catalogue price (a finance officer signs it; the partner's node learns it)."""
    with errors(as_json), UnitOfWork(node()) as uow:
        event = admin.set_catalogue_price(
            uow, acting_user(uow, as_user), agreement=agreement, category=category,
            item=item, unit=unit.upper(), unit_price=price.strip(),
            valid_from=required_day(valid_from, "valid_from"),
            valid_to=parse_day(valid_to, "valid_to"))
        data = event.envelope.data
        emit(as_json, {**event_data(event), **data},
             f"{data['item']}: {data['unit_price']} {data['currency']} per {data['unit']} "
             f"from {data['valid_from']} (event {short(event.hash)})")


@catalogue_app.command("list")
def catalogue_list(
    agreement: AgreementFilter = None,
    party: Annotated[str | None, typer.Option(help="Only this supplier's prices.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Catalogue prices of either party, the latest first for each item."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        found = catalogue.list_prices(uow, agreement=agreement, party=party)
        rows = [{"agreement": p.agreement, "party": p.party, "category": p.category,
                 "item": p.item, "unit": p.unit, "unit_price": p.unit_price,
                 "currency": p.currency, "valid_from": p.valid_from.isoformat(),
                 "valid_to": p.valid_to.isoformat() if p.valid_to else None,
                 "event": p.event} for p in found]
        emit(as_json, rows, lambda: table(
            [[p.party, p.category, p.item, p.unit, f"{p.unit_price} {p.currency}",
              p.valid_from.isoformat(), p.valid_to.isoformat() if p.valid_to else "-"]
             for p in found], ["party", "category", "item", "unit", "price", "from", "to"]))


# -- the access log ------------------------------------------------------------------------------


@app.command("access-log")
def access_log_command(
    user: Annotated[str | None, typer.Option("--user", help="Only this user's lines.")] = None,
    csv: Annotated[bool, typer.Option("--csv", help="Every line, as CSV on stdout.")] = False,
    limit: Annotated[int, typer.Option(help="How many of the newest lines (not with --csv).",
                                       min=1, max=1000)] = 50,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Who opened what, when and from where: auditors and security officers only."""
    with errors(as_json), UnitOfWork(node()) as uow:
        actor = acting_user(uow, as_user)
        if csv:
            for line in access_log.export_csv(uow, actor, user_id=user):
                typer.echo(line, nl=False)
            access_log.record_opening(uow, actor, "report.export", None, "access-log", "cli")
            return
        page = admin_views.access_log(uow, actor, user_id=user, limit=limit)
        emit(as_json, page.entries, lambda: table(
            [[str(e.id), e.at, e.user_id, e.action, e.target, e.address]
             for e in page.entries], ["#", "at", "user", "action", "target", "address"]))
