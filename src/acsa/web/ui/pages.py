"""What every page shares: templates, the logged-in user, forms, CSRF and refusals.

Pages work without JavaScript: every change is an HTML form posted to the
node, answered by a redirect (post/redirect/get) or by the same form again
with each problem next to its field. Page routes use :class:`PageRoute`, so
a refusal from a service (a :class:`~acsa.domain.errors.DomainError`)
becomes a page in the user's language with the status the API would give,
and a missing or expired session becomes a redirect to the login page.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    pass_context,
    select_autoescape,
)

from acsa.domain.errors import DomainError
from acsa.domain.money import Money
from acsa.domain.parties import Side
from acsa.domain.rules import Action, permission
from acsa.i18n import (
    N_,
    format_money,
    format_quantity,
    gettext,
    negotiate_locale,
    use_locale,
)
from acsa.i18n.fields import field_label
from acsa.i18n.labels import label
from acsa.i18n.refusals import refusal
from acsa.services import auth
from acsa.web.deps import CSRF_FIELD, Principal, authenticate, get_auth, get_node
from acsa.web.problems import log_refusal, problem_of
from acsa.web.templating import install_jinja
from acsa.web.ui.form_errors import FormErrors, filled_rows, form_field

__all__ = ["FormErrors", "filled_rows", "form_field"]

WEB_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
FORM_FIELDS_MAX = 400
FORM_VALUE_LENGTH_MAX = 4000

environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(("html", "xml")),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
install_jinja(environment)


def _major(context: Any, text: object, currency: str, symbol: bool = True) -> str:
    """An amount the API gives as major-unit text (``"1525000"``), formatted per currency."""
    money = Money.parse(text, currency)
    return format_money(money, context.get("locale"), symbol=symbol)


def _notice_text(context: Any, notice: str) -> str:
    """The one-line message a redirect asked the next page to show."""
    locale = context.get("locale")
    kind, _, what = notice.partition(":")
    if kind == "done" and what:
        return gettext(N_("Done: %(action)s. Signed and recorded."), locale) % {
            "action": label("action", what, locale)}
    known = {"saved": N_("Saved."), "draft": N_("Draft saved on this node only."),
             "added": N_("Added."), "logged-out": N_("You have logged out.")}
    return gettext(known[notice], locale) if notice in known else ""


def _qty(context: Any, text: object) -> str:
    """A quantity the API gives as text (``"12.5"``), formatted for the reader."""
    return format_quantity(Decimal(str(text)), context.get("locale"))


environment.filters["major"] = pass_context(_major)
environment.filters["qty"] = pass_context(_qty)
environment.globals["notice_text"] = pass_context(_notice_text)
templates = Jinja2Templates(env=environment)


class LoginNeeded(Exception):
    """The page needs a logged-in user; send the browser to the login page."""

    def __init__(self, next_path: str, *, code: bool = False) -> None:
        super().__init__(next_path)
        self.next_path = next_path
        self.code = code


def here(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{request.url.path}{query}"


def page_principal(request: Request) -> Principal:
    """The user at the browser, by the session cookie (pages take no API tokens)."""
    node, config = get_node(request), get_auth(request)
    try:
        return authenticate(request, node, config, None)
    except auth.SecondFactorRequired:
        raise LoginNeeded(here(request), code=True) from None
    except auth.NotAuthenticated:
        raise LoginNeeded(here(request)) from None


def locale_of(request: Request, principal: Principal | None) -> tuple[str, str]:
    """The page's language and time zone: the user's preference, else the browser's.

    A page with no user (the login pages) also takes a ``lang`` query
    parameter, its language switch, which wins over ``Accept-Language``.
    """
    preference = (principal.user.locale if principal
                  else (request.query_params.get("lang") or "")[:8] or None)
    chosen = negotiate_locale(preference, request.headers.get("accept-language"))
    zone = principal.user.time_zone if principal else "UTC"
    return chosen, zone


def render(request: Request, template: str, principal: Principal | None,
           status: int = 200, **context: Any) -> HTMLResponse:
    locale, zone = locale_of(request, principal)
    node = get_node(request)
    with use_locale(locale, zone):
        response = templates.TemplateResponse(request, template, {
            "locale": locale, "time_zone": zone, "principal": principal,
            "user": principal.user if principal else None,
            "csrf_token": principal.csrf_token if principal else "",
            "csrf_field": CSRF_FIELD, "node_party": node.party,
            "notice": request.query_params.get("notice", "")[:200],
            "path": request.url.path, **context,
        }, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def redirect(path: str, notice: str | None = None) -> RedirectResponse:
    """Post/redirect/get: the browser loads ``path``, showing ``notice`` once."""
    if notice:
        # The query goes before a fragment (``#release-h``): after it, the browser keeps it
        # to itself and the page never sees the notice.
        path, hash_, fragment = path.partition("#")
        separator = "&" if "?" in path else "?"
        path = f"{path}{separator}notice={quote(notice)}{hash_}{fragment}"
    return RedirectResponse(path, status_code=303)


async def read_form(request: Request) -> dict[str, str]:
    """The posted fields as text (files excluded), bounded in count and length."""
    out: dict[str, str] = {}
    for key, value in list((await request.form()).multi_items())[:FORM_FIELDS_MAX]:
        if isinstance(value, str):
            out[str(key)] = value[:FORM_VALUE_LENGTH_MAX].replace("\x00", "")
    return out


def check_csrf(principal: Principal, form: Mapping[str, str]) -> None:
    if principal.session is None:
        raise auth.CsrfRejected(N_("pages need a browser session"), field=CSRF_FIELD)
    auth.check_csrf(principal.session, form.get(CSRF_FIELD))


def nested(form: Mapping[str, str], skip: frozenset[str] = frozenset({CSRF_FIELD})
           ) -> dict[str, Any]:
    """Flat form fields named ``lines.0.quantity`` as nested data; blank fields left out.

    Numbered parts become lists in their numbers' order, so a form can show
    as many line rows as it likes and the user fills only some.
    """
    tree: dict[str, Any] = {}
    for name, value in form.items():
        if name in skip or value.strip() == "":
            continue
        parts = name.split(".")
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            node[parts[-1]] = value.strip()
    lists: dict[str, Any] = _lists(tree)
    return lists


def _lists(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if value and all(k.isdigit() for k in value):
        return [_lists(value[k]) for k in sorted(value, key=int)]
    return {k: _lists(v) for k, v in value.items()}


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class PageRoute(APIRoute):
    """A page route: refusals become pages, a missing login a redirect to it."""

    def get_route_handler(self) -> Handler:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except LoginNeeded as exc:
                where = "/auth/code" if exc.code else "/auth/login"
                return RedirectResponse(f"{where}?next={quote(exc.next_path)}", status_code=303)
            except DomainError as exc:
                return refusal_page(request, exc)

        return handler


def refusal_page(request: Request, exc: DomainError) -> HTMLResponse:
    """A refusal as a page in the reader's language: what was refused and why, in the
    officer's words; the code and field are for the API and the log, not for the page."""
    problem = problem_of(exc, instance=request.url.path)
    log_refusal(problem)
    try:
        principal: Principal | None = page_principal(request)
    except (LoginNeeded, DomainError):
        principal = None
    locale, _ = locale_of(request, principal)
    return render(request, "error.html", principal, status=problem.status,
                  title=label("error", exc.code, locale), message=refusal(exc, locale))


def _delivery_options(order: Any) -> list[tuple[str, str]]:
    """Deliveries of an order not yet acknowledged, first; then the others."""
    waiting = [d for d in order.deliveries if not d.receipt]
    done = [d for d in order.deliveries if d.receipt]
    return [(str(d.position), f"{d.position} — {d.on or ''}") for d in [*waiting, *done]]


def _invoice_options(order: Any) -> list[tuple[str, str]]:
    live = [i for i in order.invoices if i.live]
    return [(i.number, f"{i.number} — {i.total} {order.currency}") for i in
            [*live, *[i for i in order.invoices if not i.live]]]


def _voided_options(order: Any) -> list[tuple[str, str]]:
    """Voided invoices not yet reissued: what a new invoice may reissue."""
    reissued = {i.replaces for i in order.invoices if i.live and i.replaces}
    return [(i.number, f"{i.number} — {i.total} {order.currency}") for i in order.invoices
            if not i.live and i.id not in reissued and i.number not in reissued]


def _payment_options(order: Any) -> list[tuple[str, str]]:
    """Payments towards this order not yet confirmed as arrived."""
    seen: dict[str, str] = {}
    for p in order.payments:
        if p.confirmed_on is None and p.payment not in seen:
            seen[p.payment] = f"{p.reference} ({p.on or ''}) — {p.payment[:12]}…"
    return list(seen.items())


def _invoice_number(order: Any, ref: str) -> str:
    """An invoice's number, from the number or the event hash a payment names it by."""
    for invoice in order.invoices:
        if ref in (invoice.id, invoice.number):
            return str(invoice.number)
    return ref[:12]


def _field_label(context: Any, name: str, labels: Mapping[str, str] | None = None) -> str:
    """What the form calls field ``name`` (``lines.0.quantity`` → "Line 1: Quantity")."""
    return field_label(name, context.get("locale"), labels)


def _exchange_options(order: Any, side: str) -> list[tuple[str, str]]:
    """Exchanges on this order the other side proposed and this side has not signed."""
    return [(x.exchange, f"{x.exchange[:12]}… — {x.proposed_by}, {x.proposed_on or ''}")
            for x in order.exchanges if x.signed_on is None and x.proposed_by != side]


def _exchange_currencies(order: Any, candidates: list[Any]) -> list[tuple[str, str]]:
    found = sorted({order.currency, *(c.currency for c in candidates)})
    return [(c, c) for c in found]


def may_take(user: Any, action: Action, side: Side) -> bool:
    """Whether one of ``user``'s roles is one the permission table gives ``side`` for
    ``action`` (whose appointment then decides): who is offered a form or a link for it."""
    row = permission(action, side)
    return user is not None and row is not None and bool(set(user.roles) & row.roles)


def _may_start(user: Any, what: str) -> bool:
    """Whether ``user`` may sign a new order (``order``) or record a partner's emergency
    request (``emergency``): the links to those forms are shown to them only."""
    if what == "emergency":
        return may_take(user, Action.EMERGENCY, Side.SUPPLIER)
    return may_take(user, Action.SUBMIT, Side.REQUESTER)


environment.globals["may_start"] = _may_start
environment.globals["field_label"] = pass_context(_field_label)
environment.globals["exchange_options"] = _exchange_options
environment.globals["exchange_currencies"] = _exchange_currencies
environment.tests["nonzero"] = lambda text: Decimal(str(text or "0")) != 0
environment.globals["invoice_number"] = _invoice_number
environment.globals["empty_errors"] = FormErrors
environment.globals["payment_options"] = _payment_options
environment.globals["delivery_options"] = _delivery_options
environment.globals["invoice_options"] = _invoice_options
environment.globals["voided_options"] = _voided_options
