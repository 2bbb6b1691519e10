"""The interface every login method implements, and the web layer's login settings.

A *login method* answers one question: which local user is at the browser?
The node then opens its own session for that user, and from there on
nothing depends on how they logged in: roles, units and appointments are
always the node's own records. So a force's PKI smart cards or its single
sign-on replace only this step (docs/security.md, "PKI and SSO").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from acsa.services.auth import Identified, Policy
from acsa.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class FormField:
    """An input the login page shows for a method (none for a smart-card button)."""

    name: str
    label: str
    type: str = "text"  # an HTML input type
    autocomplete: str = "off"
    required: bool = True


@dataclass(frozen=True)
class LoginRequest:
    """What a login method may look at: the submitted form, the request headers
    (a TLS-terminating proxy puts a verified client certificate there) and the
    client's address."""

    form: Mapping[str, str]
    headers: Mapping[str, str]
    address: str

    @property
    def claimed_user(self) -> str:
        """The account named in the form, for throttling; empty when none is typed."""
        return self.form.get("user", "").strip().lower()[:64]


@runtime_checkable
class LoginMethod(Protocol):
    """Finds the local user at the browser.

    ``identify`` returns :class:`~acsa.services.auth.Identified` with the
    local user id and whether a second factor is already done, or raises
    :class:`~acsa.services.auth.LoginFailed` with the real ``reason``, which
    goes to the access log only: the user gets the one answer every failed
    login gets. It must not open sessions or record attempts: the caller
    throttles, records and opens the session around it, the same way for
    every method.
    """

    name: str
    fields: tuple[FormField, ...]

    def identify(self, uow: UnitOfWork, request: LoginRequest, policy: Policy) -> Identified: ...


@dataclass(frozen=True)
class AuthConfig:
    """The web layer's login settings, kept on ``app.state.auth``."""

    policy: Policy = field(default_factory=Policy)
    cookie_secure: bool = True
    method: LoginMethod | None = None

    @property
    def cookie_name(self) -> str:
        # The __Host- prefix makes browsers refuse the cookie unless it is
        # Secure, for path / and without a Domain: no sibling host can set it.
        return "__Host-acsa_session" if self.cookie_secure else "acsa_session"

    @property
    def login_cookie_name(self) -> str:
        """The login form's double-submit cookie, under the same rule (ASVS 3.3.3)."""
        return "__Host-acsa_login" if self.cookie_secure else "acsa_login"
