"""The replaceable login component.

A login method (:class:`~acsa.web.auth.base.LoginMethod`) finds which local
user is at the browser; everything after that — the session, its CSRF token,
timeouts, throttling, logout — is the same for every method and lives in
:mod:`acsa.services.auth`. Shipped methods:

- :class:`~acsa.web.auth.local.LocalLogin`: password (argon2id) and a TOTP code;
- :class:`~acsa.web.auth.proxy.TrustedProxyLogin`: the identity a front proxy
  verified (a PKI smart card's client certificate, a single sign-on), the
  pattern for a force's own login.

``ACSA_LOGIN_METHOD`` names the method as ``module:attribute`` (a class or a
factory called without arguments); docs/security.md says how to write one.
"""

from __future__ import annotations

import importlib

from acsa.config import Settings
from acsa.services.auth import Policy
from acsa.web.auth.base import AuthConfig, FormField, LoginMethod, LoginRequest

__all__ = ["AuthConfig", "FormField", "LoginMethod", "LoginRequest", "config_from_settings",
           "load_method"]


def load_method(spec: str) -> LoginMethod:
    """The login method ``spec`` names (``package.module:attribute``)."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"ACSA_LOGIN_METHOD {spec!r} is not module:attribute")
    made = getattr(importlib.import_module(module_name), attribute)()
    if not isinstance(made, LoginMethod):
        raise ValueError(f"{spec} is not a login method (name, fields, identify)")
    return made


def config_from_settings(settings: Settings) -> AuthConfig:
    return AuthConfig(policy=Policy.from_settings(settings), cookie_secure=settings.cookie_secure,
                      method=load_method(settings.login_method))
