"""An audit open in the GUI: the audit file, a lock that tells other copies of the app it is in use
(and, next to it, who is working in it), and the person working on it as a reviewer recorded in the
audit, with the role the audit gives them."""

from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import QLockFile

from audit_app.core import workstation
from audit_app.core.records import Reviewer
from audit_app.errors import UserFacingError
from audit_app.services import demo, locks, workspace
from audit_app.services.audits import Audit, open_audit, read_only_refusal
from audit_app.services.verification import refuse_unless_writable
from audit_app.services.reviews import work_as
from audit_app.ui.ui_settings import ROLES, Identity


class AuditInUseError(locks.AuditInUseError):
    """Another copy of audit-app has the audit open."""

    def __init__(self, message: str, lock: QLockFile):
        super().__init__(message)
        self.lock = lock


lock_path = locks.lock_path
who_path = locks.who_path


class AuditSession:
    """One audit open for work; close it to release the file and its lock."""

    def __init__(self, audit: Audit, lock: QLockFile, reviewer: Reviewer, identity: Identity):
        self.audit = audit
        self.lock = lock
        self.reviewer = reviewer
        self.identity = identity
        self.trail_at_open = 0  # audit-trail entries in the file as it was found, before this session wrote any

    @property
    def path(self) -> Path:
        return self.audit.path

    @property
    def actor(self) -> str:
        """The name recorded on every change made in this session."""
        return self.reviewer.display

    @property
    def is_lead(self) -> bool:
        """A lead auditor named in this audit (the role typed in the identity dialog is only a request)."""
        return self.reviewer.role == "lead"

    @property
    def role_label(self) -> str:
        return ROLES.get(self.reviewer.role, self.reviewer.role)

    @property
    def role_note(self) -> str:
        """Why the role asked for is not the role held ("" when they agree)."""
        if self.identity.role == "lead" and not self.is_lead:
            return "You asked for the lead auditor role: a lead of this audit must name you first."
        return ""

    @property
    def file_read_only(self) -> bool:
        """The audit file cannot be written (read-only on disk)."""
        return not os.access(self.path, os.W_OK)

    @classmethod
    def open(cls, path: str | Path, identity: Identity, *, force: bool = False) -> "AuditSession":
        """Open an audit for ``identity``.

        :param force: take over a lock left by a copy of the app that can no longer be checked
            (e.g. one on another computer that crashed).
        :raises AuditInUseError: when another copy of the app has it open.
        :raises UserFacingError: when the file cannot be opened (missing, damaged, too new …).
        """
        path = Path(path).resolve()
        lock = QLockFile(str(lock_path(path)))
        lock.setStaleLockTime(0)  # an audit stays open for hours: stale only when its process is gone
        if not path.is_file():
            open_audit(path)  # raises the clear "no audit file" error
        refusal = read_only_refusal(path)
        if refusal:
            raise UserFacingError(refusal)
        if not lock.tryLock(0):
            if force and lock.removeStaleLockFile() and lock.tryLock(0):
                pass
            elif force:
                lock_path(path).unlink(missing_ok=True)
                if not lock.tryLock(0):
                    raise UserFacingError(f"Cannot take over the lock on {path.name}.")
            else:
                raise AuditInUseError(_in_use_message(path, lock), lock)
        try:
            audit = open_audit(path)
        except BaseException:
            lock.unlock()
            raise
        try:
            refuse_unless_writable(audit)  # damaged: say so rather than fail on the first write
        except BaseException:
            audit.close()
            lock.unlock()
            raise
        try:
            found = workspace.trail_head(audit)[0]
            reviewer = demo.welcome(audit, work_as(audit, identity.name, identity.staff_number, identity.role))
        except BaseException:
            audit.close()
            lock.unlock()
            raise
        _write_who(path, identity)
        session = cls(audit, lock, reviewer, identity)
        session.trail_at_open = found
        return session

    def close(self) -> None:
        self.audit.close()
        who_path(self.path).unlink(missing_ok=True)
        self.lock.unlock()


def _write_who(path: Path, identity: Identity) -> None:
    """Say who holds the lock; best effort (a folder that refuses it only loses the name in the message)."""
    account = workstation.current()
    who = {"name": identity.name, "staff_number": identity.staff_number, "os_account": account.user,
           "host": account.host, "pid": os.getpid()}
    try:
        who_path(path).write_text(json.dumps(who, ensure_ascii=False), encoding="utf-8")
    except OSError:
        pass


def _in_use_message(path: Path, lock: QLockFile) -> str:
    info = lock.getLockInfo()  # PySide6 gives (pid, hostname, appname), or a falsy value when unreadable
    known = bool(info) and len(info) == 3
    pid = int(info[0]) if known else None
    person, user = locks.read_who(path, pid)
    holder = locks.Holder(pid, str(info[1]) if known and info[1] else "", person, user)
    advice = "Close it there first: " if not person else "Ask them to close it first: "
    return locks.in_use_message(path, holder, advice + "two copies working on one audit could confuse reviewers. If that "
                                "copy has crashed on another computer, you can open it anyway.")
