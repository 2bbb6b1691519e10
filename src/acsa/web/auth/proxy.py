"""Login by a trusted front proxy: the pattern for PKI smart cards and single sign-on.

A TLS-terminating proxy in front of the node (nginx, Apache httpd with
mod_ssl or mod_auth_openidc, a force's SSO gateway) authenticates the
person — a smart card's client certificate, a SAML or OpenID Connect login
— and passes the verified identity in a request header it sets itself,
removing any copy the client sent. This method maps that identity to a
local user. Configure it with ``ACSA_LOGIN_METHOD=acsa.web.auth.proxy:from_env``
and ``ACSA_LOGIN_HEADER`` (default ``X-Authenticated-User``); the node must
then be reachable only through the proxy.

The smart card (or the SSO's own second factor) counts as the second factor.
"""

from __future__ import annotations

import os

from acsa.services import auth, users
from acsa.services.unit_of_work import UnitOfWork
from acsa.web.auth.base import FormField, LoginRequest

DEFAULT_HEADER = "X-Authenticated-User"


class TrustedProxyLogin:
    """Takes the user the proxy vouches for; the login page only shows a button."""

    name = "proxy"
    fields: tuple[FormField, ...] = ()

    def __init__(self, header: str = DEFAULT_HEADER) -> None:
        self.header = header.lower()

    def identify(self, uow: UnitOfWork, request: LoginRequest,
                 policy: auth.Policy) -> auth.Identified:
        headers = {k.lower(): v for k, v in request.headers.items()}
        claimed = headers.get(self.header, "").strip().lower()
        user = users.find_active_user(uow, claimed) if claimed else None
        if user is None:
            # The access log keeps the reason; the browser gets the one answer.
            raise auth.LoginFailed(reason="the front proxy vouched for no active local user")
        return auth.Identified(user.id, True)


def from_env() -> TrustedProxyLogin:
    return TrustedProxyLogin(os.environ.get("ACSA_LOGIN_HEADER", DEFAULT_HEADER))
