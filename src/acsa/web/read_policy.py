"""What each route of a node lets its caller read: one read policy per path and method.

Need to know is applied by the services (:mod:`acsa.services.need_to_know`), never by a
page or a route filtering what a service returned. This table says, for every route the
node serves, who may call it and which service applies the rule, so that a new route is
never added without a decision: ``tests/api/test_read_policy.py`` fails when the app
serves a route this table does not list, or the table lists one the app no longer
serves, and ``tests/ui/test_need_to_know_canary.py`` requests every ``GET`` route as
readers with and without the clearance for a classified order, and finds that order's
figures only where they may be read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.routing import Mount


class Policy(StrEnum):
    PUBLIC = "public"  # no login; shows nothing of the ledger
    FEDERATION = "federation"  # node to node: a peer's signed request, never a user's
    OWN = "own"  # the caller's own local records (preferences, tokens, their drafts)
    NEED_TO_KNOW = "need_to_know"  # any user; orders and figures only as they may read them
    OFFICIALS = "officials"  # administrators, security officers or auditors only


@dataclass(frozen=True)
class ReadPolicy:
    policy: Policy
    by: str  # the service that answers, and applies the rule


PUBLIC, PEERS, OWN, NEED, OFFICIALS = (Policy.PUBLIC, Policy.FEDERATION, Policy.OWN,
                                      Policy.NEED_TO_KNOW, Policy.OFFICIALS)
ORDER_ACT = ReadPolicy(NEED, "queries.check_head (the order as the user may read it), then "
                          "services.orders and services.settlement")
MULTI_ACT = ReadPolicy(NEED, "services.settlement: the orders the act names")

ROUTES: dict[tuple[str, str], ReadPolicy] = {
    # -- node to node -------------------------------------------------------------------------
    ("GET", "/federation/v1/heads/{agreement}/{party}"): ReadPolicy(PEERS, "services.outgoing"),
    ("GET", "/federation/v1/streams/{agreement}/{party}"): ReadPolicy(PEERS, "services.outgoing"),
    ("GET", "/federation/v1/copies/{agreement}/{party}"): ReadPolicy(PEERS, "services.recovery"),
    ("GET", "/federation/v1/evidence/{sha256}"): ReadPolicy(PEERS, "services.outgoing"),
    ("POST", "/federation/v1/notify"): ReadPolicy(PEERS, "federation.worker"),
    ("POST", "/federation/v1/receipts"): ReadPolicy(PEERS, "services.witness"),
    ("POST", "/federation/v1/releases"): ReadPolicy(PEERS, "services.releases"),
    ("POST", "/federation/v1/reconcile/{agreement}"): ReadPolicy(PEERS, "services.reconcile"),
    # -- health: for load balancers and supervisors, nothing of the ledger --------------------
    ("GET", "/healthz"): ReadPolicy(PUBLIC, "web.health (alive: touches nothing)"),
    ("GET", "/readyz"): ReadPolicy(PUBLIC, "services.health.readiness (schema, peers' sync "
                                           "ages; no addresses, counts or figures)"),
    # -- logging in ---------------------------------------------------------------------------
    ("GET", "/auth/login"): ReadPolicy(PUBLIC, "web.auth.routes"),
    ("POST", "/auth/login"): ReadPolicy(PUBLIC, "services.auth"),
    ("GET", "/auth/code"): ReadPolicy(PUBLIC, "web.auth.routes"),
    ("POST", "/auth/code"): ReadPolicy(PUBLIC, "services.auth"),
    ("POST", "/auth/logout"): ReadPolicy(OWN, "services.auth"),
    ("GET", "/static"): ReadPolicy(PUBLIC, "the stylesheet, script and images"),
    ("GET", "/favicon.ico"): ReadPolicy(PUBLIC, "a redirect to /static/favicon.svg"),
    # -- the API --------------------------------------------------------------------------------
    ("GET", "/api/v1/openapi.json"): ReadPolicy(PUBLIC, "the API's own description"),
    ("HEAD", "/api/v1/openapi.json"): ReadPolicy(PUBLIC, "the API's own description"),
    ("GET", "/api/v1/agreements"): ReadPolicy(NEED, "queries.list_agreements (no order data)"),
    ("POST", "/api/v1/agreements/{agreement}/entry-into-force"): ReadPolicy(
        OFFICIALS, "services.admin.enter_into_force (an administrator; no order data)"),
    ("GET", "/api/v1/activities"): ReadPolicy(NEED, "queries.list_activities (the registry)"),
    ("GET", "/api/v1/units"): ReadPolicy(NEED, "queries.list_units (the registry)"),
    ("GET", "/api/v1/me"): ReadPolicy(OWN, "services.users"),
    ("POST", "/api/v1/me/password"): ReadPolicy(OWN, "services.auth"),
    ("GET", "/api/v1/me/tokens"): ReadPolicy(OWN, "services.auth"),
    ("POST", "/api/v1/me/tokens"): ReadPolicy(OWN, "services.auth"),
    ("DELETE", "/api/v1/me/tokens/{token_id}"): ReadPolicy(OWN, "services.auth"),
    ("GET", "/api/v1/access-log"): ReadPolicy(OFFICIALS, "services.auth.read_access_log"),
    ("GET", "/api/v1/access-log/export"): ReadPolicy(OFFICIALS, "services.access_log.export_csv"),
    ("GET", "/api/v1/orders"): ReadPolicy(NEED, "queries.list_orders"),
    ("GET", "/api/v1/orders/{number:path}"): ReadPolicy(NEED, "queries.order_row, order_view"),
    ("POST", "/api/v1/orders"): ReadPolicy(NEED, "services.orders.submit_order"),
    ("POST", "/api/v1/emergency-orders"): ReadPolicy(NEED, "services.orders.record_emergency"),
    ("GET", "/api/v1/drafts"): ReadPolicy(OWN, "queries.list_drafts"),
    ("GET", "/api/v1/drafts/{draft_id}"): ReadPolicy(OWN, "queries.get_draft"),
    ("PUT", "/api/v1/drafts/{draft_id}"): ReadPolicy(OWN, "services.orders.save_draft"),
    ("POST", "/api/v1/drafts/{draft_id}/submit"): ReadPolicy(OWN, "services.orders"),
    ("POST", "/api/v1/evidence"): ReadPolicy(NEED, "services.evidence.store_evidence"),
    **{("POST", f"/api/v1/orders/{{number:path}}/{action}"): ORDER_ACT for action in (
        "accept", "reject", "propose", "confirm", "withdraw", "confirm-emergency", "deliver",
        "receive", "invoice", "void-invoice", "credit-note", "write-off", "return-in-kind",
        "accept-return", "convert-to-cash", "amend", "close-short", "cancel", "respond",
        "dispute", "resolve", "transfer-request", "transfer-consent", "transfer", "waive-duties",
        "attach-evidence")},
    ("POST", "/api/v1/payments"): MULTI_ACT,
    ("POST", "/api/v1/payments/{payment:path}/confirm"): MULTI_ACT,
    ("POST", "/api/v1/exchanges"): MULTI_ACT,
    ("POST", "/api/v1/exchanges/{exchange:path}/sign"): MULTI_ACT,
    ("POST", "/api/v1/offsets"): ReadPolicy(
        NEED, "settlement.propose_offset: a hidden order named is unknown"),
    ("POST", "/api/v1/offsets/{offset:path}/sign"): ReadPolicy(
        NEED, "settlement.sign_offset: clearance_required unless every order is readable"),
    ("GET", "/api/v1/offsets"): ReadPolicy(NEED, "settlement.list_offsets: statements netting "
                                                 "only orders the user may read"),
    ("GET", "/api/v1/offsets/{offset:path}"): ReadPolicy(
        NEED, "offsets.find_offset over settlement.list_offsets: a hidden one is unknown"),
    ("POST", "/api/v1/offsets/preview"): ReadPolicy(
        NEED, "settlement.preview_offset: a hidden order named is unknown"),
    ("GET", "/api/v1/paper-appointments"): ReadPolicy(
        NEED, "paper.paper_appointments: the partner's written appointments (no order data)"),
    ("POST", "/api/v1/paper-appointments"): ReadPolicy(
        OFFICIALS, "paper.appoint_paper_official (administrators)"),
    ("GET", "/api/v1/paper-steps/{number:path}"): ReadPolicy(
        NEED, "paper.steps_now over queries.order_row: a hidden order is unknown"),
    ("POST", "/api/v1/orders/{number:path}/paper-steps"): ReadPolicy(
        NEED, "paper.record_paper_step: need_to_know.require_readable, then check_head"),
    ("GET", "/api/v1/catalogue"): ReadPolicy(NEED, "catalogue.list_prices (no order data)"),
    ("GET", "/api/v1/transmissions"): ReadPolicy(
        OFFICIALS, "transmissions.list_transmissions (security officers, administrators; "
                   "streams, ranges and markings, no content)"),
    ("GET", "/api/v1/compromise-reports"): ReadPolicy(
        OFFICIALS, "compromise.list_views (security officers; a reporter their own)"),
    ("POST", "/api/v1/compromise-reports"): ReadPolicy(
        OFFICIALS, "compromise.report_compromise (appointed security officers)"),
    ("GET", "/api/v1/compromise-reports/{report_id:path}"): ReadPolicy(
        OFFICIALS, "compromise.show_view (security officers; a reporter their own)"),
    ("POST", "/api/v1/compromise-reports/{report_id:path}/acknowledge"): ReadPolicy(
        OFFICIALS, "compromise.acknowledge_report (the originator's security officers)"),
    ("POST", "/api/v1/compromise-reports/{report_id:path}/assess"): ReadPolicy(
        OFFICIALS, "compromise.assess_report (appointed security officers)"),
    ("POST", "/api/v1/compromise-reports/{report_id:path}/close"): ReadPolicy(
        OFFICIALS, "compromise.close_report (the originator's security officers)"),
    ("GET", "/api/v1/arrangements"): ReadPolicy(
        NEED, "arrangements.list_views: the register of the agreements (no order data)"),
    ("POST", "/api/v1/arrangements"): ReadPolicy(
        NEED, "arrangements.propose_arrangement (appointed finance officers)"),
    ("GET", "/api/v1/arrangements/{identifier:path}"): ReadPolicy(
        NEED, "arrangements.show_view (no order data)"),
    ("POST", "/api/v1/arrangements/{identifier:path}/sign"): ReadPolicy(
        NEED, "arrangements.sign_arrangement (appointed finance officers)"),
    ("POST", "/orders/{number:path}/consents"): ReadPolicy(
        NEED, "consent.request_consent: queries.order_row, then appointed security officers"),
    ("POST", "/orders/{number:path}/consents/{request_hash}/grant"): ReadPolicy(
        NEED, "consent.grant_consent: queries.order_row, then appointed security officers"),
    ("POST", "/orders/{number:path}/consents/{request_hash}/refuse"): ReadPolicy(
        NEED, "consent.refuse_consent: queries.order_row, then appointed security officers"),
    ("POST", "/orders/{number:path}/release"): ReadPolicy(
        OFFICIALS, "releases.build_package: security officers, queries.order_row"),
    ("GET", "/releases"): ReadPolicy(
        OFFICIALS, "releases.list_views (security officers, auditors)"),
    ("GET", "/releases/{release_id}"): ReadPolicy(
        OFFICIALS, "releases.show_view (security officers, auditors)"),
    ("GET", "/api/v1/consents"): ReadPolicy(
        NEED, "consent.list_views: requests on the orders the user may read (queries.order_row)"),
    ("POST", "/api/v1/consents"): ReadPolicy(
        NEED, "consent.request_consent: queries.order_row, then appointed security officers"),
    ("POST", "/api/v1/consents/{request}/grant"): ReadPolicy(
        NEED, "consent.grant_consent: queries.order_row, then appointed security officers"),
    ("POST", "/api/v1/consents/{request}/refuse"): ReadPolicy(
        NEED, "consent.refuse_consent: queries.order_row, then appointed security officers"),
    ("GET", "/api/v1/releases"): ReadPolicy(
        OFFICIALS, "releases.list_views (security officers and auditors)"),
    ("POST", "/api/v1/releases"): ReadPolicy(
        OFFICIALS, "releases.hold_release (security officers)"),
    ("POST", "/api/v1/outgoing-releases"): ReadPolicy(
        OFFICIALS, "releases.build_package: security officers, queries.order_row"),
    ("GET", "/api/v1/releases/{release_id}"): ReadPolicy(
        OFFICIALS, "releases.show_view (security officers and auditors)"),
    ("GET", "/api/v1/claims"): ReadPolicy(NEED, "services.claims.receivables"),
    ("GET", "/api/v1/claims/export"): ReadPolicy(NEED, "services.claims.accounting_export"),
    ("GET", "/api/v1/claims/{invoice:path}/notice"): ReadPolicy(
        NEED, "services.claims.notice_model"),
    ("POST", "/api/v1/claims/{invoice:path}/sent"): ReadPolicy(NEED, "services.claims.mark_sent"),
    ("POST", "/api/v1/catalogue"): ReadPolicy(NEED, "services.admin.set_catalogue_price"),
    ("GET", "/api/v1/rates"): ReadPolicy(NEED, "rates.list_rates (no order data)"),
    ("GET", "/api/v1/rates/sources"): ReadPolicy(NEED, "rates.held_profiles (no order data)"),
    ("POST", "/api/v1/rates"): ReadPolicy(NEED, "services.admin.record_rate"),
    ("GET", "/api/v1/todo"): ReadPolicy(NEED, "worklist.worklist"),
    ("GET", "/api/v1/reports/balances"): ReadPolicy(NEED, "reports.balances"),
    ("GET", "/api/v1/reports/aging"): ReadPolicy(NEED, "reports.aging"),
    ("GET", "/api/v1/reports/obligations"): ReadPolicy(NEED, "reports.obligations"),
    ("GET", "/api/v1/reports/ceilings"): ReadPolicy(NEED, "reports.ceilings"),
    ("GET", "/api/v1/reports/activities"): ReadPolicy(NEED, "queries.activity_totals"),
    ("GET", "/api/v1/reports/missing-evidence"): ReadPolicy(
        NEED, "missing_evidence.missing_evidence (need_to_know.readable)"),
    ("GET", "/api/v1/reports/annual"): ReadPolicy(NEED, "annual_report.accepted_orders"),
    ("GET", "/api/v1/reports/annual/file"): ReadPolicy(NEED, "annual_report.accepted_orders"),
    ("GET", "/api/v1/ledger/verify"): ReadPolicy(
        OFFICIALS, "queries.verify_ledger (auditors and administrators: counts, no figures)"),
    ("GET", "/api/v1/users"): ReadPolicy(OFFICIALS, "services.users (security officers, "
                                            "administrators)"),
    ("GET", "/api/v1/users/{user_id}"): ReadPolicy(OFFICIALS, "services.users"),
    ("PUT", "/api/v1/users/{user_id}/roles"): ReadPolicy(OFFICIALS, "admin_views.edit_user "
                                                                 "(administrators)"),
    ("PUT", "/api/v1/users/{user_id}/units"): ReadPolicy(OFFICIALS, "admin_views.edit_user "
                                                                 "(administrators)"),
    ("PUT", "/api/v1/users/{user_id}/clearance"): ReadPolicy(
        OFFICIALS, "admin_views.set_clearance"),
    ("PUT", "/api/v1/users/{user_id}/activities"): ReadPolicy(
        OFFICIALS, "admin_views.set_activities"),
    # -- pages ----------------------------------------------------------------------------------
    ("GET", "/"): ReadPolicy(NEED, "services.dashboard, report_tables.balance_series"),
    ("GET", "/drafts"): ReadPolicy(OWN, "queries.list_drafts"),
    ("GET", "/drafts/{draft_id}"): ReadPolicy(OWN, "queries.get_draft"),
    ("GET", "/preferences"): ReadPolicy(OWN, "services.auth.list_tokens"),
    ("POST", "/preferences"): ReadPolicy(OWN, "services.users.set_preferences"),
    ("POST", "/preferences/tokens"): ReadPolicy(OWN, "services.auth.create_token"),
    ("POST", "/preferences/tokens/{token_id}/revoke"): ReadPolicy(OWN, "services.auth"),
    ("GET", "/orders"): ReadPolicy(NEED, "queries.list_orders"),
    ("GET", "/orders/{number:path}/act/{action}"): ReadPolicy(NEED, "queries.order_row"),
    ("POST", "/orders/{number:path}/act/{action}"): ORDER_ACT,
    ("GET", "/orders/{number:path}"): ReadPolicy(NEED, "queries.order_row, order_view"),
    ("GET", "/new-order"): ReadPolicy(NEED, "queries.price_catalogue"),
    ("GET", "/new-emergency"): ReadPolicy(NEED, "queries.price_catalogue"),
    ("POST", "/new-order"): ReadPolicy(NEED, "services.orders.submit_order"),
    ("POST", "/new-emergency"): ReadPolicy(NEED, "services.orders.record_emergency"),
    ("GET", "/documents/{kind}/{number:path}"): ReadPolicy(NEED, "queries.order_row, "
                                                              "services.documents"),
    ("GET", "/scan"): ReadPolicy(NEED, "the scan form (no record)"),
    ("POST", "/scan"): ReadPolicy(NEED, "services.documents.verify_document, "
                                     "evidence.readable_orders"),
    ("GET", "/evidence/{sha256}"): ReadPolicy(NEED, "services.evidence.evidence_file"),
    ("GET", "/reports"): ReadPolicy(NEED, "the list of reports (no figures)"),
    ("GET", "/reports/{kind}.{fmt}"): ReadPolicy(NEED, "reports.tables.build_table over "
                                                    "services.reports, report_tables"),
    ("GET", "/reports/{kind}"): ReadPolicy(NEED, "reports.tables.build_table, the charts over "
                                              "report_tables.balance_series, reports.aging"),
    ("GET", "/catalogue"): ReadPolicy(NEED, "catalogue.list_prices (no order data)"),
    ("GET", "/arrangements"): ReadPolicy(NEED, "arrangements.list_views (no order data)"),
    ("POST", "/arrangements"): ReadPolicy(
        NEED, "arrangements.propose_arrangement (appointed finance officers)"),
    ("GET", "/arrangements/{identifier:path}"): ReadPolicy(
        NEED, "arrangements.show_view (no order data)"),
    ("POST", "/arrangements/{identifier:path}/sign"): ReadPolicy(
        NEED, "arrangements.sign_arrangement (appointed finance officers)"),
    ("GET", "/claims"): ReadPolicy(NEED, "services.claims.receivables"),
    ("GET", "/claims/{invoice:path}/notice"): ReadPolicy(NEED, "services.claims.notice_model"),
    ("POST", "/claims/sent"): ReadPolicy(NEED, "services.claims.mark_sent"),
    ("POST", "/catalogue"): ReadPolicy(NEED, "services.admin.set_catalogue_price"),
    ("GET", "/rates"): ReadPolicy(NEED, "rates.list_rates (no order data)"),
    ("POST", "/rates"): ReadPolicy(NEED, "services.admin.record_rate"),
    ("GET", "/offsets"): ReadPolicy(NEED, "settlement.list_offsets"),
    ("GET", "/offsets/new"): ReadPolicy(NEED, "offsets.open_invoices (report_tables.invoices)"),
    ("POST", "/offsets/new"): ReadPolicy(NEED, "settlement.preview_offset, propose_offset"),
    ("GET", "/offsets/{offset:path}"): ReadPolicy(NEED, "offsets.find_offset"),
    ("POST", "/offsets/{offset:path}/sign"): ReadPolicy(
        NEED, "offsets.find_offset, then settlement.sign_offset"),
    ("GET", "/admin"): ReadPolicy(OFFICIALS, "admin_views.overview"),
    ("GET", "/admin/users"): ReadPolicy(OFFICIALS, "admin_views.list_users"),
    ("POST", "/admin/users"): ReadPolicy(OFFICIALS, "admin_views.add_user"),
    ("GET", "/admin/users/{user_id}"): ReadPolicy(OFFICIALS, "admin_views.user_row"),
    ("POST", "/admin/users/{user_id}/password"): ReadPolicy(OFFICIALS, "services.auth"),
    ("POST", "/admin/users/{user_id}/totp"): ReadPolicy(OFFICIALS, "services.auth"),
    ("POST", "/admin/users/{user_id}/clearance"): ReadPolicy(
        OFFICIALS, "admin_views.set_clearance"),
    ("POST", "/admin/users/{user_id}/activities"): ReadPolicy(
        OFFICIALS, "admin_views.set_activities"),
    ("POST", "/admin/users/{user_id}/active"): ReadPolicy(OFFICIALS, "admin_views.set_active"),
    ("POST", "/admin/users/{user_id}/roles"): ReadPolicy(OFFICIALS, "admin_views.edit_user"),
    ("GET", "/admin/paper"): ReadPolicy(OFFICIALS, "paper.paper_appointments"),
    ("POST", "/admin/paper"): ReadPolicy(OFFICIALS, "paper.appoint_from_letter"),
    ("GET", "/paper-steps/{step}/{number:path}"): ReadPolicy(
        NEED, "paper.steps_now over queries.order_row: a hidden order is unknown"),
    ("POST", "/paper-steps/{step}/{number:path}"): ReadPolicy(
        NEED, "paper.record_from_form: need_to_know.require_readable"),
    ("GET", "/admin/appointments"): ReadPolicy(OFFICIALS, "admin_views.roster"),
    ("POST", "/admin/appointments"): ReadPolicy(OFFICIALS, "admin_views.appoint"),
    ("POST", "/admin/appointments/revoke"): ReadPolicy(OFFICIALS, "services.admin"),
    ("GET", "/admin/units"): ReadPolicy(OFFICIALS, "admin_views.registry_units"),
    ("POST", "/admin/units"): ReadPolicy(OFFICIALS, "services.admin.register_unit"),
    ("GET", "/admin/activities"): ReadPolicy(OFFICIALS, "queries.list_activities"),
    ("POST", "/admin/activities"): ReadPolicy(OFFICIALS, "services.admin.register_activity"),
    ("GET", "/admin/agreements"): ReadPolicy(OFFICIALS, "queries.list_agreements"),
    ("GET", "/admin/agreements/{agreement}"): ReadPolicy(OFFICIALS, "admin_views.profile_view"),
    ("POST", "/admin/agreements/{agreement}/entry-into-force"): ReadPolicy(
        OFFICIALS, "services.admin.enter_into_force"),
    ("GET", "/admin/peers"): ReadPolicy(OFFICIALS, "admin_views.peer_views, alarms, quarantine"),
    ("POST", "/admin/peers/{party}/confirm-key"): ReadPolicy(OFFICIALS, "admin_views"),
    ("POST", "/admin/peers/{party}/resolve"): ReadPolicy(OFFICIALS, "services.witness"),
    ("GET", "/admin/access-log"): ReadPolicy(OFFICIALS, "admin_views.access_log"),
    ("GET", "/admin/transmissions"): ReadPolicy(
        OFFICIALS, "transmissions.list_transmissions (security officers, administrators; "
                   "streams, ranges and markings, no content)"),
    ("GET", "/security/compromise-reports"): ReadPolicy(
        OFFICIALS, "compromise.list_views (security officers; a reporter their own)"),
    ("POST", "/security/compromise-reports"): ReadPolicy(
        OFFICIALS, "compromise.report_compromise (appointed security officers)"),
    ("GET", "/security/compromise-reports/{report_id:path}"): ReadPolicy(
        OFFICIALS, "compromise.show_view (security officers; a reporter their own)"),
    ("POST", "/security/compromise-reports/{report_id:path}/{step}"): ReadPolicy(
        OFFICIALS, "compromise.acknowledge_report, assess_report, close_report (appointed "
                   "security officers)"),
    ("GET", "/admin/access-log.csv"): ReadPolicy(OFFICIALS, "services.access_log.export_csv"),
}


def served(routes: Iterable[Any], prefix: str = "") -> set[tuple[str, str]]:
    """Every (method, path) of ``routes`` (an app's), through included routers and mounted
    applications; a mounted application without routes (the static files) as ``GET``."""
    out: set[tuple[str, str]] = set()
    for route in iter_route_contexts(list(routes)):
        original = route.original_route
        if isinstance(original, Mount):
            inner = getattr(original.app, "routes", None)
            if inner is None:
                out.add(("GET", prefix + original.path))
            else:
                out |= served(inner, prefix + original.path)
            continue
        for method in route.methods or ():
            out.add((method, prefix + str(route.path)))
    return out
