"""``acsa user token`` and ``acsa user password``: what the web login needs from the shell.

``acsa user token create USER`` makes an API token for scripts (shown once,
kept as a hash); ``list`` and ``revoke`` manage them. ``acsa user password
USER`` sets a password (asked twice, never on the command line) and, with
``--totp``, enrols a new second factor and prints its secret once.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from acsa.cli.common import AsOpt, JsonOpt, acting_user, emit, errors, fail, node, table
from acsa.cli.root import app
from acsa.services import auth
from acsa.services.unit_of_work import UnitOfWork


def _user_group() -> typer.Typer:
    """The ``acsa user`` group, which ``acsa.cli.admin`` owns (``add``, ``appoint`` …);
    imported from there so that the two modules never register two groups by one name."""
    try:
        from acsa.cli.admin import user_app
    except ImportError:  # administration commands not installed: the group is ours alone
        for info in app.registered_groups:
            if info.name == "user" and info.typer_instance is not None:
                return info.typer_instance
        user_app = typer.Typer(help="Users of this node.", no_args_is_help=True)
        app.add_typer(user_app, name="user")
    return user_app


user_app = _user_group()
token_app = typer.Typer(help="API tokens for scripts: hashed at rest, scoped, revocable.",
                        no_args_is_help=True)
user_app.add_typer(token_app, name="token")


@token_app.command("create")
def token_create(
    user: Annotated[str, typer.Argument(help="Whose token (yours, or anyone's for an admin).")],
    name: Annotated[str, typer.Option(help="What the token is for, e.g. 'nightly export'.")],
    scope: Annotated[list[str] | None, typer.Option(
        help="read, act or admin; repeat for several (default: read).")] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an API token; its secret is printed now and never again."""
    with errors(as_json), UnitOfWork(node()) as uow:
        made = auth.create_token(uow, acting_user(uow, as_user), user_id=user, name=name,
                                 scopes=scope or ["read"])
        emit(as_json, {"token": made.token, "secret": made.secret},
             f"token {made.token.id} for {user} ({', '.join(made.token.scopes)})\n"
             f"{made.secret}\n"
             "  (shown once: send it as 'Authorization: Bearer <token>')")


@token_app.command("list")
def token_list(
    user: Annotated[str | None, typer.Argument(help="Whose tokens (default: yours).")] = None,
    all_users: Annotated[bool, typer.Option("--all", help="Everyone's (administrators).")] = False,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """API tokens: scopes, when made, last used, revoked."""
    with errors(as_json), UnitOfWork(node(), write=False) as uow:
        tokens = auth.list_tokens(uow, acting_user(uow, as_user), "*" if all_users else user)

        def human() -> None:
            table([[str(t.id), t.user_id, t.name, ",".join(t.scopes), t.created_at,
                    t.last_used_at or "-", t.revoked_at or "-"] for t in tokens],
                  ["id", "user", "name", "scopes", "created", "last used", "revoked"])

        emit(as_json, tokens, human)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (acsa user token list).")],
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke an API token at once; requests with it are refused from now on."""
    with errors(as_json), UnitOfWork(node()) as uow:
        token = auth.revoke_token(uow, acting_user(uow, as_user), token_id)
        emit(as_json, token, f"token {token.id} of {token.user_id} revoked")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = typer.prompt("New password", hide_input=True)
    if typer.prompt("Again", hide_input=True) != first:
        fail("password: the two entries differ; nothing changed")
    return str(first)


@user_app.command("password")
def user_password(
    user: Annotated[str, typer.Argument(help="Whose password.")],
    totp: Annotated[bool, typer.Option(
        "--totp", help="Also enrol a new TOTP second factor and print its secret.")] = False,
    stdin: Annotated[bool, typer.Option(
        "--stdin", help="Read the password from one line of standard input.")] = False,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set a user's password (yours, or anyone's for an administrator)."""
    password = _read_password(stdin)
    with errors(as_json), UnitOfWork(node()) as uow:
        actor = acting_user(uow, as_user)
        enrolled = auth.set_credentials(uow, actor, user, password, totp=totp)
        data = {"user": user, "password_set": True,
                "totp_secret": enrolled.secret if enrolled else None,
                "totp_uri": enrolled.uri if enrolled else None}
        human = f"password set for {user}"
        if enrolled:
            human += (f"\nTOTP secret {enrolled.secret} (shown once: enter it in the "
                      f"authenticator app)\n{enrolled.uri}")
        emit(as_json, data, human)
