"""`madoguchi desk user add|list|password|role|disable|enable`: desk accounts from the server's shell.

The first administrator can only be made here (the desk has no sign-up page). Passwords are read
from a hidden prompt or, for scripts, from the first line of standard input — never from the
command line, where they would end up in the shell history and the process list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from channels.cli.kb import cli_actor
from channels.cli.render import out
from channels.cli.settings import settings_with

if TYPE_CHECKING:  # the store (SQLAlchemy) loads when an account is touched, not for `--help`
    from bot.store.accounts import Accounts

desk_app = typer.Typer(help="The call-center desk (/desk): accounts of agents, editors and administrators.",
                       no_args_is_help=True)
user_app = typer.Typer(help="Desk accounts: add, list, change a password or a role, disable, enable.",
                       no_args_is_help=True)
desk_app.add_typer(user_app, name="user")

PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Read the password from the first line "
                                                                      "of standard input (for scripts).")]


def _accounts() -> Accounts:
    from bot.store import ConversationStore
    from bot.store.accounts import Accounts

    settings = settings_with(None)
    store = ConversationStore(settings.resolved_database_url).migrate()
    return Accounts.from_settings(store, settings)


def _password(from_stdin: bool) -> str:
    """Hidden prompt typed twice, or one line of stdin."""
    if from_stdin:
        return typer.get_text_stream("stdin").readline().rstrip("\r\n")
    return typer.prompt("パスワード（12文字以上）", hide_input=True, confirmation_prompt=True)


@user_app.command("add")
def add(name: str, role: Annotated[str, typer.Option("--role", help="agent | editor | admin")] = "agent",
        password_stdin: PasswordStdin = False) -> None:
    """Create a desk account (the first admin is made this way)."""
    account = _accounts().create(name, _password(password_stdin), role, cli_actor())
    out.print(f"created {account.username} ({account.role})")


@user_app.command("list")
def list_users() -> None:
    """Every desk account with its role and state."""
    table = Table("user", "role", "state", "created")
    for account in _accounts().accounts():
        state = "active" if account.active else "disabled"
        if account.locked_until:
            state += f", locked until {account.locked_until:%Y-%m-%d %H:%M} UTC"
        table.add_row(account.username, account.role, state, f"{account.created_at:%Y-%m-%d}")
    out.print(table)


@user_app.command("password")
def password(name: str, password_stdin: PasswordStdin = False) -> None:
    """Set a new password (also unlocks the account and signs it out everywhere)."""
    accounts = _accounts()
    accounts.get(name)
    accounts.set_password(name, _password(password_stdin), cli_actor())
    out.print(f"password changed for {name}")


@user_app.command("role")
def role(name: str, new_role: Annotated[str, typer.Argument(metavar="ROLE", help="agent | editor | admin")]
         ) -> None:
    """Change an account's role (the desk lets no one change their own: this is where an administrator's
    is changed); it takes effect on the account's next page."""
    _accounts().set_role(name, new_role, cli_actor())
    out.print(f"{name} is now {new_role}")


@user_app.command("disable")
def disable(name: str) -> None:
    """Disable an account and end its sessions (its audit history stays)."""
    _accounts().set_active(name, False, cli_actor())
    out.print(f"disabled {name}")


@user_app.command("enable")
def enable(name: str) -> None:
    """Enable a disabled account again (it signs in with its password; `password` sets a new one)."""
    _accounts().set_active(name, True, cli_actor())
    out.print(f"enabled {name}")
