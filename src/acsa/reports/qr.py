"""The QR code a printed document carries, so paper can be checked against the record.

The payload is one line of text, five fields separated by ``|``::

    ACSA1|<order number>|<event hash>|<signature>|<key fingerprint>

- ``ACSA1`` — the format and its version;
- the order number as printed (``JP-PH/PHL/FY2026/00042``);
- the SHA-256 hex hash of the signed event the document prints (the
  acceptance on an order form, the issue of an invoice, the delivery on a
  waybill, the receipt on a goods-received note);
- that event's Ed25519 signature as the log holds it: unpadded base64url of
  the 64 bytes, made by the recording node for the purpose ``acsa/event/v1``;
- the recording node's key fingerprint, ``ed25519:`` and 64 hex digits.

About 255 characters: a version 10–11 QR code at error correction level M,
which prints legibly at 35 mm. Anyone holding the recording node's public
key can check the signature over the hash offline; a node also checks that
it holds that very event on that order (``acsa verify-document``,
:func:`acsa.services.documents.verify_document`).
"""

from __future__ import annotations

import io

import segno

from acsa.services.documents import (
    PAYLOAD_PREFIX,
    DocumentPayload,
    PayloadInvalid,
    parse_payload,
)

__all__ = ["PAYLOAD_PREFIX", "DocumentPayload", "PayloadInvalid", "parse_payload", "qr_code",
           "qr_png", "qr_svg"]


def qr_code(payload: str) -> segno.QRCode:
    # Level M (15 % of the code may be lost) suits paper that gets folded and
    # smudged in the field; segno would otherwise raise the level on its own
    # when a version has room, which we allow (boost_error).
    return segno.make_qr(payload, error="m", boost_error=True)


def qr_png(payload: str, *, scale: int = 4, border: int = 4) -> bytes:
    """The QR code of ``payload`` as a PNG (black on white; ``border`` modules quiet zone)."""
    buffer = io.BytesIO()
    qr_code(payload).save(buffer, kind="png", scale=scale, border=border)
    return buffer.getvalue()


def qr_svg(payload: str, *, scale: int = 4, border: int = 4) -> str:
    """The QR code of ``payload`` as an SVG document, for the web page."""
    buffer = io.BytesIO()
    qr_code(payload).save(buffer, kind="svg", scale=scale, border=border, xmldecl=False,
                          svgns=True, title="ACSA document check")
    return buffer.getvalue().decode("utf-8")
