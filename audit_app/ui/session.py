"""An audit open in the GUI: the audit file, a lock that tells other copies of the app it is in use
(and, next to it, who is working in it), and the person working on it as a reviewer recorded in the
audit, with the role the audit gives them.

An audit on read-only media (a read-only file, or a folder that cannot hold the lock and SQLite's
journal files: an archive) opens as a read-only view: no lock, no "who" file, nothing written to
the audit (the person is found, never added); the window disables every action that would write."""

from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import QLockFile

from audit_app.core import workstation
from audit_app.core.records import Reviewer
from audit_app.errors import AuditFileError, UserFacingError
from audit_app.services import audits, demo, locks, workspace
from audit_app.services.audits import Audit, open_audit
from audit_app.services.reviews import look_as, work_as
from audit_app.services.verification import damage, refuse_unless_writable
from audit_app.ui.ui_settings import ROLES, Identity


class AuditInUseError(locks.AuditInUseError):
    """Another copy of audit-app has the audit open."""

    def __init__(self, message: str, lock: QLockFile):
        super().__init__(message)
        self.lock = lock


lock_path = locks.lock_path
who_path = locks.who_path


class AuditSession:
    """One audit open for work (or, when it is read-only, to be looked at); close it to release the
    file and its lock."""

    def __init__(self, audit: Audit, lock: QLockFile | None, reviewer: Reviewer, identity: Identity):
        self.audit = audit
        self.lock = lock  # None for a read-only view: nothing to tell other copies, nothing to write
        self.reviewer = reviewer
        self.identity = identity
        self.trail_at_open = 0  # audit-trail entries in the file as it was found, before this session wrote any
        self.read_only_cause = ""  # why the audit can only be read here ("" when it can be written)
        self.damage: list[str] = []  # what a read-only audit's quick check found wrong (it opens to be looked at)

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
        if self.read_only:
            return ""
        if self.identity.role == "lead" and not self.is_lead:
            return "You asked for the lead auditor role: a lead of this audit must name you first."
        return ""

    @property
    def read_only(self) -> bool:
        """The audit is open as a read-only view (read-only media): every action that writes is off."""
        return self.audit.read_only

    @property
    def read_only_notice(self) -> str:
        """The one line the window shows while the audit is read-only ("" when it is not)."""
        if not self.read_only:
            return ""
        cause = self.read_only_cause or "the audit file or its folder is read-only"
        notice = (f"Read-only: {cause} (an archive?). You can look, verify, report and export; "
                  "nothing can be changed.")
        if self.damage:
            notice += (f" It is also damaged ({self.damage[0]}): `audit-app verify {self.path.name}` lists what is "
                       "wrong.")
        return notice

    @property
    def read_only_refusal(self) -> str:
        """The sentence that refuses a change while the audit is read-only."""
        cause = self.read_only_cause or "the file or its folder is read-only"
        return (f"The audit file {self.path.name} is read-only, so nothing can be changed in it here ({cause}); it "
                "can still be looked at, verified, reported on and exported.")

    @classmethod
    def open(cls, path: str | Path, identity: Identity, *, force: bool = False) -> "AuditSession":
        """Open an audit for ``identity``.

        :param force: take over a lock left by a copy of the app that can no longer be checked
            (e.g. one on another computer that crashed).
        :raises AuditInUseError: when another copy of the app has it open.
        :raises UserFacingError: when the file cannot be opened (missing, damaged, too new …).
        """
        path = Path(path).resolve()
        if not path.is_file():
            open_audit(path)  # raises the clear "no audit file" error
        cause = audits.read_only_cause(path)
        if cause:
            return cls._open_read_only(path, identity, cause)
        lock = QLockFile(str(lock_path(path)))
        lock.setStaleLockTime(0)  # an audit stays open for hours: stale only when its process is gone
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

    @classmethod
    def _open_read_only(cls, path: Path, identity: Identity, cause: str) -> "AuditSession":
        """A read-only view: no lock and no "who" file (the folder may not hold them, and nobody can
        write to the audit anyway), and the person found in the audit, never added. An audit whose
        trail verify would call damaged still opens, to be looked at, and says so (refusing damage is
        for writers); one whose file is damaged (SQLite's check fails, a table is missing) is refused.
        What the window then reads is its business: a hand-edited value it cannot read is explained
        there (:meth:`MainWindow.open_audit_file`), as for any audit.

        :raises UserFacingError: when the file cannot be opened, or is too damaged to be shown.
        """
        audit = open_audit(path)
        if not audit.read_only:  # it became writable in the meantime: open it for work instead
            audit.close()
            raise AuditFileError(f"{path.name} changed from read-only to writable while it was being opened; "
                                 "open it again.")
        try:
            problems = damage(audit)
            unreadable = [p for p in problems if p.startswith("database:")]  # the file's structure, not the chain
            if unreadable:
                more = f" and {len(unreadable) - 1} more finding(s)" if len(unreadable) > 1 else ""
                raise AuditFileError(f"The audit file {path.name} is read-only and damaged ({unreadable[0]}{more}), "
                                     f"so it cannot be shown; `audit-app verify {path.name}` lists what is wrong.")
            found = workspace.trail_head(audit)[0]
            reviewer = look_as(audit, identity.name, identity.staff_number)
        except UserFacingError:
            audit.close()
            raise
        except Exception as exc:  # noqa: BLE001 (a damaged file can fail in any way: that is the finding)
            audit.close()
            detail = str(exc).strip() or type(exc).__name__
            raise AuditFileError(f"The audit file {path.name} is read-only and too damaged to be shown ({detail}); "
                                 f"`audit-app verify {path.name}` lists what is wrong.") from None
        except BaseException:
            audit.close()
            raise
        session = cls(audit, None, reviewer, identity)
        session.trail_at_open = found
        session.read_only_cause = cause
        session.damage = problems
        return session

    def close(self) -> None:
        """Close the audit; a read-only view has no lock to release and no "who" file to remove."""
        self.audit.close()
        if self.lock is None:
            return
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
