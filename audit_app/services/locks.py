"""Who has an audit open in the GUI: the lock file beside the audit (``AUDIT.lock``, written by the
GUI with Qt's QLockFile: process id, application, host name) and, beside it, who holds it
(``AUDIT.lock.who``: name, staff number, computer account).

The GUI takes the lock; the command line's writing commands (``import``, ``sample``, ``replace``,
``responses import``) read it here and refuse while the audit is open, naming who has it and where,
so that a script never changes an audit under a reviewer's hands. Reading commands (``verify``,
``stats``, ``report``) work alongside.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from audit_app.errors import UserFacingError


class AuditInUseError(UserFacingError):
    """Another copy of audit-app has the audit open."""


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def who_path(path: Path) -> Path:
    """Next to the lock: who holds it (name, staff number, computer account), for another copy to read."""
    return path.with_name(path.name + ".lock.who")


@dataclass(frozen=True)
class Holder:
    """Who holds an audit's lock, as far as can be known."""

    pid: int | None
    host: str
    person: str  # "Name (staff number)", or "" when unknown
    account: str  # the computer account, or "" when unknown


def read_who(path: Path, pid: int | None) -> tuple[str, str]:
    """Who holds the lock: (name and staff number, computer account); ("", "") when unknown, or when
    written by another holder than the lock's."""
    try:
        who = json.loads(who_path(path).read_text(encoding="utf-8"))
        name, staff, user = str(who.get("name") or ""), str(who.get("staff_number") or ""), str(who.get("os_account") or "")
        if not name or (pid is not None and who.get("pid") != pid):
            return "", ""
    except (OSError, ValueError, AttributeError):
        return "", ""
    return (f"{name} ({staff})" if staff else name), user


def holder(path: str | Path) -> Holder | None:
    """Who has the audit open in the GUI, or ``None`` when nobody does (no lock, or a lock left by a
    process of this computer that is gone)."""
    path = Path(path).resolve()
    try:
        lines = lock_path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return None
    except OSError:
        lines = []
    pid = int(lines[0]) if lines and lines[0].strip().isdigit() else None
    host = lines[2].strip() if len(lines) > 2 else ""
    if pid is not None and host == socket.gethostname() and not _alive(pid):
        return None  # a crashed copy on this computer: its lock is stale
    person, account = read_who(path, pid)
    return Holder(pid, host, person, account)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def in_use_message(path: Path, holder: Holder, advice: str) -> str:
    details = ([f"computer account '{holder.account}'"] if holder.account else []) + (
        [f"process {holder.pid}"] if holder.pid is not None else [])
    where = f" on {holder.host}" if holder.host else ""
    said = f" ({', '.join(details)})" if details else ""
    who = f"{holder.person} has {path.name} open" if holder.person else f"{path.name} is already open"
    return f"{who} in audit-app{where}{said}. {advice}"


def refuse_if_open(path: str | Path, *, wait: float = 0.0, sleep: Callable[[float], None] = time.sleep) -> None:
    """For a command that writes: refuse while the GUI has the audit open (or wait up to ``wait``
    seconds for it to close).

    :raises AuditInUseError: naming who has it open and where.
    """
    path = Path(path).resolve()
    deadline = time.monotonic() + wait
    while (found := holder(path)) is not None:
        if time.monotonic() >= deadline:
            waited = f" (waited {wait:g} s)" if wait else ""
            raise AuditInUseError(in_use_message(path, found, "Commands that change an audit wait until it is closed"
                                                 f"{waited}: ask them to close it, or run the command with --wait "
                                                 "SECONDS."))
        sleep(min(1.0, max(0.0, deadline - time.monotonic())))
