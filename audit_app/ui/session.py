"""An audit open in the GUI: the audit file, a lock that tells other copies of the app it is in use,
and the person working on it as a reviewer recorded in the audit."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QLockFile

from audit_app.core.records import Reviewer
from audit_app.errors import UserFacingError
from audit_app.services.audits import Audit, open_audit
from audit_app.services.reviews import ensure_reviewer
from audit_app.ui.ui_settings import Identity


class AuditInUseError(UserFacingError):
    """Another copy of audit-app has the audit open."""

    def __init__(self, message: str, lock: QLockFile):
        super().__init__(message)
        self.lock = lock


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


class AuditSession:
    """One audit open for work; close it to release the file and its lock."""

    def __init__(self, audit: Audit, lock: QLockFile, reviewer: Reviewer, identity: Identity):
        self.audit = audit
        self.lock = lock
        self.reviewer = reviewer
        self.identity = identity

    @property
    def path(self) -> Path:
        return self.audit.path

    @property
    def actor(self) -> str:
        """The name recorded on every change made in this session."""
        return self.reviewer.display

    @property
    def is_lead(self) -> bool:
        return self.reviewer.role == "lead"

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
            reviewer = ensure_reviewer(audit, identity.name, identity.staff_number, identity.role, update_role=True)
        except BaseException:
            audit.close()
            lock.unlock()
            raise
        return cls(audit, lock, reviewer, identity)

    def close(self) -> None:
        self.audit.close()
        self.lock.unlock()


def _in_use_message(path: Path, lock: QLockFile) -> str:
    info = lock.getLockInfo()  # PySide6 gives (pid, hostname, appname), or a falsy value when unreadable
    where = f" on {info[1]} (process {info[0]})" if info and len(info) == 3 and info[1] else ""
    return (f"{path.name} is already open in audit-app{where}. Close it there first: two copies working on one "
            "audit could confuse reviewers. If that copy has crashed on another computer, you can open it anyway.")
