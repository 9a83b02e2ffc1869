"""Who is signed in to this computer: the operating-system account and the host name.

Read once per process and recorded on every change (next to the typed name and staff number,
which the person chooses): the app offers no way to change them. They are as strong as the
workstation's own login, no stronger (see the README's "Who is working").
"""

from __future__ import annotations

import getpass
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Account:
    """An operating-system account on a host."""

    user: str
    host: str

    @property
    def display(self) -> str:
        return f"{self.user} on {self.host}" if self.host else self.user

    def same_user(self, user: str) -> bool:
        """Whether ``user`` names this account (case-insensitively, as Windows compares them)."""
        return bool(user) and self.user.casefold() == user.casefold()


def _read() -> Account:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name in the environment or the password database
        user = "unknown user"
    try:
        host = socket.gethostname()
    except OSError:
        host = ""
    return Account(user, host)


_current: Account | None = None


def current() -> Account:
    """The account this process runs under (read the first time it is asked for)."""
    global _current
    if _current is None:
        _current = _read()
    return _current


@contextmanager
def simulated(account: Account) -> Iterator[Account]:
    """For tests and demonstrations only: act as another account for the duration of the block."""
    global _current
    before = _current
    _current = account
    try:
        yield account
    finally:
        _current = before
