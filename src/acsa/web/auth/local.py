"""Local accounts: a password (argon2id) and a TOTP code from an authenticator app."""

from __future__ import annotations

from acsa.services import auth
from acsa.services.unit_of_work import UnitOfWork
from acsa.web.auth.base import FormField, LoginRequest


class LocalLogin:
    """The shipped login method: user name, password and one-time code in one form.

    The code may be left empty; the session then waits for it on a second page.
    """

    name = "local"
    fields = (
        FormField("user", "User name", autocomplete="username"),
        FormField("password", "Password", type="password", autocomplete="current-password"),
        FormField("code", "One-time code", type="text", autocomplete="one-time-code",
                  required=False),
    )

    def identify(self, uow: UnitOfWork, request: LoginRequest,
                 policy: auth.Policy) -> auth.Identified:
        return auth.check_credentials(uow, request.claimed_user,
                                      request.form.get("password", ""),
                                      request.form.get("code") or None, policy)
