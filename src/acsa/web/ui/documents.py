"""Printed documents (PDF), the scan page that checks a paper copy, and evidence files.

- ``/documents/{kind}/{number}`` — the order form, invoice (``?ref=`` its
  number), delivery waybill or goods-received note (``?ref=`` the delivery,
  1, 2 …) of an order the user may read, as a bilingual PDF shown inline.
- ``/scan`` — a page for a QR scanner that types like a keyboard (or a photo
  of the code, read with ``zbarimg`` when installed): the verdict of
  :func:`acsa.services.documents.verify_document`, big and plain, with the
  findings and the record's figures to compare with the paper.
- ``/evidence/{sha256}`` — an evidence file, for a user who may read an
  order citing it; served so that a browser never runs it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from acsa.domain.errors import DomainError, UnknownReference
from acsa.i18n import N_, gettext
from acsa.i18n.labels import label
from acsa.i18n.refusals import refusal
from acsa.reports.documents import describe_check, render_pdf
from acsa.services import access_log, queries
from acsa.services.documents import (
    KEY_NOT_LEARNT,
    UNKNOWN_EVENT,
    UNKNOWN_KEY,
    DocumentCheck,
    document_model,
    verify_document,
)
from acsa.services.evidence import evidence_file, readable_orders
from acsa.services.unit_of_work import UnitOfWork
from acsa.web.deps import Principal, client_address, get_node
from acsa.web.ui.pages import (
    FormErrors,
    PageRoute,
    check_csrf,
    locale_of,
    page_principal,
    read_form,
    render,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)
User = Annotated[Principal, Depends(page_principal)]

# The document names in URLs (as the order page links them) and the models' kinds.
DOCUMENT_URL_KINDS = {"order-form": "order", "invoice": "invoice", "waybill": "waybill",
                      "goods-received": "grn"}
QR_IMAGE_SIZE_MAX = 10 * 1024 * 1024
ZBARIMG_TIMEOUT_S = 30
# Findings that mean "this node cannot tell", not "the paper is wrong".
CANNOT_TELL = frozenset({UNKNOWN_EVENT, KEY_NOT_LEARNT, UNKNOWN_KEY})
# Shown inline by the browser; anything else is a download.
INLINE_MEDIA = re.compile(r"image/(png|jpeg|gif|webp)|application/pdf")
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}")


def not_found_page(request: Request, principal: Principal | None,
                   exc: DomainError) -> HTMLResponse:
    """The error page for a path this page does not serve (a document or report kind, a
    file format): 404, as for any unknown path. A refusal from a service gets its status
    from :func:`acsa.web.problems.status_of` instead, through :class:`PageRoute`."""
    locale = locale_of(request, principal)[0]
    return render(request, "error.html", principal, status=404,
                  title=label("error", exc.code, locale), message=refusal(exc, locale))


def _ascii_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:120] or "file"


def content_disposition(disposition: str, name: str) -> str:
    """``inline`` or ``attachment`` with the name, plain ASCII and RFC 6266 UTF-8."""
    return (f'{disposition}; filename="{_ascii_name(name)}"; '
            f"filename*=UTF-8''{quote(name[:200], safe='')}")


# -- documents -----------------------------------------------------------------------------


@router.get("/documents/{kind}/{number:path}")
def document(request: Request, principal: User, kind: str, number: str,
             ref: Annotated[str | None, Query(max_length=80)] = None) -> Response:
    """The PDF of one document of an order the user may read (it is bilingual: no ``lang``)."""
    model_kind = DOCUMENT_URL_KINDS.get(kind)
    if model_kind is None:
        return not_found_page(request, principal, UnknownReference(
            N_("'%(kind)s' is not a document; choose one of %(allowed)s"), field="kind",
            kind=kind[:40], allowed=tuple(DOCUMENT_URL_KINDS)))
    with UnitOfWork(get_node(request)) as uow:
        queries.order_row(uow, principal.user, number)  # need to know, before anything else
        model = document_model(uow, model_kind, number, ref=ref or None)
        access_log.record_opening(uow, principal.user, "document.read", number,
                                  f"{kind}{' ' + ref if ref else ''}", client_address(request))
    # Printed at, in the reader's time zone.
    model = replace(model, printed_at=model.printed_at.astimezone(
        ZoneInfo(principal.user.time_zone)))
    pdf = render_pdf(model)
    suffix = f"-{model.reference}" if model.reference and model_kind != "order" else ""
    name = f"{kind}-{number}{suffix}.pdf".replace("/", "-").replace(" ", "-")
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": content_disposition("inline", name),
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


# -- checking a paper copy ---------------------------------------------------------------------


class QrUnreadable(DomainError):
    """No QR code could be read from the uploaded photo (or no reader is installed)."""

    code = "qr_unreadable"


def read_qr_image(content: bytes, locale: str) -> str:
    """The text of the one QR code in an image, read by ``zbarimg`` (Debian zbar-tools)."""
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        raise QrUnreadable(N_(
            "Reading a photo needs zbarimg (Debian package zbar-tools), which is not "
            "installed on this node: type or scan the text printed under the code."),
            field="image")
    with tempfile.TemporaryDirectory(prefix="acsa-scan-") as folder:
        path = Path(folder) / "code"
        path.write_bytes(content)
        try:
            result = subprocess.run(
                [zbarimg, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(path)],
                capture_output=True, text=True, timeout=ZBARIMG_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise QrUnreadable(N_("Reading the photo took too long."),
                               field="image") from None
    codes = [line for line in result.stdout.splitlines() if line.strip()]
    if result.returncode != 0 or not codes:
        raise QrUnreadable(N_("No QR code found in the photo: take it closer, flat and "
                              "sharp, or type the text."), field="image")
    if len(codes) > 1:
        raise QrUnreadable(N_("%(count)s QR codes in the photo: show only one."),
                           field="image", count=len(codes))
    return codes[0]


def verdict_of(check: DocumentCheck) -> str:
    """``match``, ``mismatch``, or ``unknown`` when this node cannot tell (not synced yet,
    a key it does not know) and nothing found is wrong."""
    if check.ok:
        return "match"
    if set(check.codes) <= CANNOT_TELL:
        return "unknown"
    return "mismatch"


def _scan_page(request: Request, principal: Principal, *, status: int = 200,
               errors: FormErrors | None = None, payload: str = "",
               result: dict[str, Any] | None = None) -> HTMLResponse:
    return render(request, "scan.html", principal, status=status, errors=errors or FormErrors(),
                  values={"payload": payload}, result=result,
                  zbarimg=shutil.which("zbarimg") is not None,
                  image_mb=QR_IMAGE_SIZE_MAX // (1024 * 1024))


@router.get("/scan", response_class=HTMLResponse)
def scan(request: Request, principal: User) -> HTMLResponse:
    return _scan_page(request, principal)


@router.post("/scan", response_class=HTMLResponse)
async def scan_check(request: Request, principal: User) -> HTMLResponse:
    posted = await request.form()
    try:
        form = await read_form(request)
        check_csrf(principal, form)
        images = [v for _, v in posted.multi_items() if isinstance(v, UploadFile) and v.filename]
        content = await images[0].read(QR_IMAGE_SIZE_MAX + 1) if images else None
    finally:
        await posted.close()
    locale = locale_of(request, principal)[0]
    payload = form.get("payload", "").strip()
    if not payload and content is not None:
        if len(content) > QR_IMAGE_SIZE_MAX:
            return _scan_page(request, principal, status=422, errors=FormErrors(fields={
                "image": gettext(N_("The photo is larger than %(mb)s MB."), locale) % {
                    "mb": QR_IMAGE_SIZE_MAX // (1024 * 1024)}}))
        try:
            payload = await run_in_threadpool(read_qr_image, content, locale)
        except QrUnreadable as exc:
            return _scan_page(request, principal, status=422,
                              errors=FormErrors(fields={"image": refusal(exc, locale)}))
    if not payload:
        return _scan_page(request, principal, status=422, errors=FormErrors(fields={
            "payload": gettext(N_("Scan the code, type the text printed under it, or "
                                  "choose a photo of it."), locale)}))

    def run() -> dict[str, Any]:
        with UnitOfWork(get_node(request), write=False) as uow:
            check = verify_document(uow, payload)
            order = check.payload.order if check.payload else None
            readable = bool(order) and bool(readable_orders(uow, principal.user, [order or ""]))
        described = describe_check(check, locale)
        return {**described, "verdict_kind": verdict_of(check), "order": order,
                "readable": readable, "event": check.payload.event_hash if check.payload
                else None, "signer": check.signer, "at": check.at,
                "actor": {"name": check.actor_name, "role": check.actor_role,
                          "unit": check.actor_unit} if check.event_known else None,
                "later_events": check.later_events}

    return _scan_page(request, principal, payload=payload, result=await run_in_threadpool(run))


# -- evidence files ----------------------------------------------------------------------------


@router.get("/evidence/{sha256}")
def evidence(request: Request, principal: User, sha256: str) -> Response:
    """An evidence file; inline only for plain images and PDF, never run by the browser."""
    with UnitOfWork(get_node(request)) as uow:
        found = evidence_file(uow, principal.user, sha256[:80])
        access_log.record_opening(uow, principal.user, "evidence.read", found.orders[0],
                                  f"{found.name} {found.sha256[:16]}", client_address(request))
    media = found.media_type.strip().lower().split(";")[0].strip()
    if not _MEDIA_TYPE.fullmatch(media):
        media = "application/octet-stream"
    disposition = "inline" if INLINE_MEDIA.fullmatch(media) else "attachment"
    return Response(found.content, media_type=media, headers={
        "Content-Disposition": content_disposition(disposition, found.name),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
        "Cache-Control": "private, no-store",
        "ETag": f'"{found.sha256}"',
    })
