"""What the forms call each input, so that a refusal names a field as the form labels it.

A refusal names the input at fault by its key (``fund_citation``,
``lines[1].quantity``, ``allocations.0.amount``); a person reads the label the
form shows beside it: "Fund citation", "Line 2: Quantity". Pages build their
labels from :data:`FIELD` (``field_labels``), and a refusal that names a field
in its sentence (``element``, ``missing``) names it by the same words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from acsa.i18n import N_, gettext

ORDER_FIELD: Mapping[str, str] = {
    # the new-order and emergency forms
    "agreement": N_("Agreement"),
    "activity": N_("Activity"),
    "activity_type": N_("Activity"),
    "supplier": N_("Supplier (the other party)"),
    "requester": N_("Requester (the partner who asked)"),
    "requested_by": N_("Who asked, and how"),
    "requesting_unit": N_("Requesting unit"),
    "supplying_unit": N_("Supplying unit"),
    "method": N_("Settlement method"),
    "currency": N_("Currency"),
    "needed_by": N_("Needed by"),
    "deliver_to": N_("Deliver to"),
    "poc": N_("Point of contact"),
    "fund_citation": N_("Fund citation"),
    "implementing_arrangement": N_("Implementing arrangement"),
    "remarks": N_("Remarks"),
    "note": N_("Note"),
    "lines": N_("Lines"),
    "category": N_("Category"),
    "description": N_("Description"),
    "nsn": N_("NSN"),
    "quantity": N_("Quantity"),
    "unit": N_("Unit of issue"),
    "unit_price": N_("Unit price"),
    "damaged": N_("of which damaged"),
    "marking.level": N_("Classification"),
    "marking.caveats": N_("Caveats"),
}
# The inputs of the new-order form: a refusal naming another key (the user, the order's
# status) is about the act, and is shown above the form.
ORDER_INPUTS = frozenset(ORDER_FIELD)

FIELD: Mapping[str, str] = {
    **ORDER_FIELD,
    # the actions on an order
    "on": N_("Business date"),
    "reason": N_("Reason"),
    "evidence": N_("Evidence (delivery ticket, receipt, photo)"),
    "delivery": N_("Delivery"),
    "received": N_("Quantity received (blank: all in good order)"),
    "quantities": N_("New quantity"),
    "prices": N_("Unit price"),
    "invoice": N_("Invoice"),
    "kind": N_("Invoice for"),
    "reference": N_("Reference"),
    "replaces": N_("Reissues voided invoice"),
    "amount": N_("Amount"),
    "return": N_("Return (position; blank if only one)"),
    "request": N_("Which request"),
    "dispute": N_("Dispute"),
    "proposal": N_("Resolution to sign (blank: the latest)"),
    "about": N_("About (delivery:1, invoice number …)"),
    "to": N_("Third party (ISO 3166 alpha-3)"),
    "allocations": N_("Amount paid per invoice"),
    "orders": N_("Orders the other way to link with this one"),
    "payment": N_("Payment"),
    "exchange": N_("Exchange"),
    "accept": N_("Your answer"),
    "consent": N_("Do you consent?"),
    "resolution": N_("Proposed resolution"),
    # administration, preferences and the document check
    "id": N_("Identifier"),
    "name": N_("Name"),
    "roles": N_("Roles"),
    "units": N_("Units"),
    "activities": N_("Activities"),
    "user": N_("User"),
    "role": N_("Role"),
    "type": N_("Activity type"),
    "clearance": N_("Clearance"),
    "locale": N_("Language"),
    "time_zone": N_("Time zone"),
    "valid_from": N_("First day in force"),
    "valid_to": N_("Last day in force"),
    "starts_on": N_("First day"),
    "ends_on": N_("Last day"),
    "password": N_("Password"),
    "new_password": N_("New password"),
    "appointment": N_("Appointment"),
    "payload": N_("Code of the document"),
    # the rates page
    "base": N_("One unit of"),
    "quote": N_("buys this currency"),
    "rate": N_("Rate"),
    "source": N_("Rate source"),
    "image": N_("Or a photo of the QR code"),
}

# Keys a refusal may name that stand for another input of the form: the activity's type
# is read from the activity chosen.
ALIASES: Mapping[str, str] = {"activity_type": "activity"}

_ITEM = re.compile(r"^(\w+)(?:\[(\d+)\]|\.(\d+))(?:\.(\w+))?$")
# Lists whose rows are the order's lines: "Line 2: Quantity".
_LINE_LISTS = frozenset({"lines", "received", "quantities", "prices", "add_lines"})


def field_label(name: str, locale: str | None = None,
                labels: Mapping[str, str] | None = None) -> str:
    """What the form calls input ``name`` (``lines.0.quantity`` → "Line 1: Quantity"), in
    ``locale``; ``labels`` (already translated) win over the shared ones."""
    labels = labels or {}
    key = name.removeprefix("terms.")
    if key in labels:
        return labels[key]
    if key in FIELD:
        return gettext(FIELD[key], locale)
    match = _ITEM.match(key)
    if match:
        whole, row, dotted, part = match.groups()
        number = int(row if row is not None else dotted) + 1
        if whole in _LINE_LISTS:
            line = gettext(N_("Line %(n)d"), locale) % {"n": number}
        else:
            line = f"{field_label(whole, locale, labels)} {number}"
        if part and part != "line":
            colon = "：" if locale == "ja" else ": "
            return f"{line}{colon}{field_label(part, locale, labels)}"
        return line
    return gettext(N_("This field"), locale)


def form_key(name: str) -> str:
    """The form input a refusal's key stands for (``activity_type`` → ``activity``)."""
    return ALIASES.get(name, name)
