"""``python -m console.accounts``: the console's staff accounts, in the database ``REVIEW_DB_URL`` names.

    python -m console.accounts add LOGIN --name 表示名 [--generate]   a new account (password asked twice)
    python -m console.accounts disable LOGIN                       no more logins; its sessions end at once
    python -m console.accounts enable LOGIN                        logins again, with the same password
    python -m console.accounts reset LOGIN [--generate]            a new password; its sessions end
    python -m console.accounts list                                every account, enabled or not

``--generate`` prints a random password instead of asking for one (the only time a password is shown). A password
is asked at the terminal without echo (getpass); from a script, pipe it in twice, one per line. Exit
status: 0 done, 1 not done (the message says why: no such account, a login name taken, passwords that differ...),
2 a command line that is not understood.
"""
from __future__ import annotations

import argparse
import getpass
import sys
from typing import Callable, List, Optional

from console.accounts import passwords, store
from console.accounts.store import AccountError
from review import db as review_db


class Refused(Exception):
    """Nothing was done; the message says why."""


def ask_password(prompt: str) -> str:
    """A password typed at the terminal (not echoed), or the next line of standard input when it is not one."""
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\r\n")


def new_password(login: str, generate: bool, ask: Callable[[str], str]) -> tuple[str, bool]:
    """(password, generated): a random one, or one typed twice at the prompt."""
    if generate:
        return passwords.generate(), True
    try:
        first = ask(f"Password for {login}: ")
        again = ask("The same password again: ")
    except (EOFError, KeyboardInterrupt):
        raise Refused("no password given; nothing changed") from None
    if first != again:
        raise Refused("the two passwords differ; nothing changed")
    problem = passwords.problem(first)
    if problem:
        raise Refused(f"{problem}; nothing changed")
    return first, False


def sessions_ended(count: int) -> str:
    return f"{count} session{'s' if count != 1 else ''} ended"


def run(args: argparse.Namespace, ask: Callable[[str], str]) -> List[str]:
    """Carry out the command; the lines to print. AccountError or Refused when nothing was done."""
    url = args.url or review_db.review_url()
    with review_db.session(url) as db:
        if args.command == "list":
            accounts = store.listing(db)
            if not accounts:
                return ["no accounts yet: the console creates 'staff' at its first start, or add one with "
                        "`python -m console.accounts add LOGIN --name NAME`"]
            lines = [f"{'login':<16} {'state':<9} {'sessions':>8}  {'updated (UTC)':<16}  name"]
            for a in accounts:
                state = "disabled" if a.disabled else "enabled"
                lines.append(f"{a.login:<16} {state:<9} {a.sessions:>8}  {a.updated:%Y-%m-%d %H:%M}  {a.name}")
            return lines
        login = store.checked_login(args.login) if args.command == "add" else store.normal_login(args.login)
        if args.command == "add":
            name = store.checked_name(args.name)
            if store.find(db, login) is not None:
                raise AccountError(f"an account named {login!r} already exists")
            password, generated = new_password(login, args.generate, ask)
            store.add(db, login, name, password)
            lines = [f"added {login!r} ({name})"]
        elif args.command == "reset":
            if store.find(db, login) is None:
                raise AccountError(f"there is no account named {login!r}")
            password, generated = new_password(login, args.generate, ask)
            lines = [f"new password set for {login!r}; {sessions_ended(store.reset(db, login, password))}"]
        else:
            disabled = args.command == "disable"
            ended = store.set_disabled(db, login, disabled)
            if ended is None:
                return [f"{login!r} was already {args.command}d; nothing changed"]
            return [f"disabled {login!r}; {sessions_ended(ended)}" if disabled else f"enabled {login!r}"]
    if generated:
        lines.append(f"password (shown only now): {password}")
    return lines


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m console.accounts", description="The staff console's accounts.")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str, login: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        if login:
            sub.add_argument("login", metavar="LOGIN", help="the login name (letters a-z, digits, '.', '_', '-')")
        sub.add_argument("--url", help="database URL (default: $REVIEW_DB_URL or the SQLite file review/review.db)")
        return sub

    add = command("add", "add an account (the password is asked twice, or generated)")
    add.add_argument("--name", required=True, help="the name colleagues see, e.g. 田中")
    add.add_argument("--generate", action="store_true", help="print a random password instead of asking for one")
    command("disable", "disable an account: no more logins, and its sessions end at once")
    command("enable", "enable a disabled account again (with its old password)")
    reset = command("reset", "set a new password (asked twice, or generated); the account's sessions end")
    reset.add_argument("--generate", action="store_true", help="print a random password instead of asking for one")
    command("list", "list the accounts", login=False)
    return top


def main(argv: Optional[List[str]] = None, ask: Callable[[str], str] = ask_password) -> int:
    args = parser().parse_args(argv)  # exits with 2 on a command line it does not understand
    try:
        lines = run(args, ask)
    except (AccountError, Refused) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
