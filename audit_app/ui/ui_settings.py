"""Per-machine UI state in QSettings: who is working here, recent audits, where they were, window state.

Audit data never lives here (it belongs in the audit file); this is what a workstation remembers
between sessions. Tests isolate it by pointing XDG_CONFIG_HOME at a temporary folder.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths

MAX_RECENT = 10
ROLES = {"lead": "Lead auditor", "reviewer": "Reviewer"}


@dataclass(frozen=True)
class Identity:
    """The person at the keyboard, recorded on every change they make."""

    name: str
    staff_number: str
    role: str  # "lead" or "reviewer"

    @property
    def display(self) -> str:
        return f"{self.name} ({self.staff_number})" if self.staff_number else self.name

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)


@dataclass(frozen=True)
class Position:
    """Where the reviewer was in an audit: the file and item open, to land there again on restart."""

    audit: str
    ref: str = ""
    role: str = "primary"
    item: str = ""


def documents_folder() -> str:
    """The user's documents folder (the home folder when there is none)."""
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return documents if documents and Path(documents).is_dir() else str(Path.home())


def folder_writable(folder: str | Path) -> bool:
    """A file can be written in ``folder`` (it exists, and the user may create files in it)."""
    return Path(folder).is_dir() and os.access(folder, os.W_OK | os.X_OK)


class UiSettings:
    """Typed access to the application's QSettings."""

    def __init__(self, settings: QSettings | None = None):
        self._settings = settings or QSettings()

    # -- identity

    def identity(self) -> Identity | None:
        name = str(self._settings.value("identity/name", "") or "")
        if not name:
            return None
        return Identity(name, str(self._settings.value("identity/staff_number", "") or ""),
                        str(self._settings.value("identity/role", "reviewer") or "reviewer"))

    def set_identity(self, identity: Identity) -> None:
        self._settings.setValue("identity/name", identity.name)
        self._settings.setValue("identity/staff_number", identity.staff_number)
        self._settings.setValue("identity/role", identity.role)

    # -- recent audits and the last position

    def recent_audits(self) -> list[str]:
        value = self._settings.value("recent/audits", []) or []
        return [str(v) for v in (value if isinstance(value, list) else [value])]

    def add_recent_audit(self, path: str | Path) -> None:
        path = str(Path(path).resolve())
        recent = [p for p in self.recent_audits() if p != path]
        self._settings.setValue("recent/audits", [path, *recent][:MAX_RECENT])

    def remove_recent_audit(self, path: str) -> None:
        self._settings.setValue("recent/audits", [p for p in self.recent_audits() if p != path])

    # -- the audit trail last seen in each audit (to notice a file that lost entries: an older copy)

    @staticmethod
    def _trail_key(path: str | Path) -> str:
        digest = hashlib.sha256(str(Path(path).resolve()).encode("utf-8")).hexdigest()[:32]
        return f"trail/{digest}"

    def trail_seen(self, path: str | Path) -> tuple[int, str] | None:
        """(entries, head) of the audit trail the last time this audit was open here, or None."""
        value = self._settings.value(self._trail_key(path))
        if not isinstance(value, str) or " " not in value:
            return None
        count, _, head = value.partition(" ")
        return (int(count), head) if count.isdigit() else None

    def set_trail_seen(self, path: str | Path, entries: int, head: str) -> None:
        self._settings.setValue(self._trail_key(path), f"{entries} {head}")

    def position(self) -> Position | None:
        audit = str(self._settings.value("position/audit", "") or "")
        if not audit:
            return None
        return Position(audit, str(self._settings.value("position/ref", "") or ""),
                        str(self._settings.value("position/role", "primary") or "primary"),
                        str(self._settings.value("position/item", "") or ""))

    def set_position(self, position: Position | None) -> None:
        if position is None:
            self._settings.remove("position")
            return
        self._settings.setValue("position/audit", position.audit)
        self._settings.setValue("position/ref", position.ref)
        self._settings.setValue("position/role", position.role)
        self._settings.setValue("position/item", position.item)

    # -- folders and window state

    def last_folder(self) -> str:
        return str(self._settings.value("folders/last", "") or str(Path.home()))

    def set_last_folder(self, path: str | Path) -> None:
        path = Path(path)
        self._settings.setValue("folders/last", str(path if path.is_dir() else path.parent))

    def output_folder(self) -> str:
        """Where reports and exports are suggested: the folder last used when a file can be written in
        it, else the user's documents folder (an audit opened from a read-only archive leaves its folder
        as the last used, and no output can go there)."""
        last = self.last_folder()
        return last if folder_writable(last) else documents_folder()

    def audit_folder(self) -> str:
        """Where new audits are saved: the folder last saved to, else the user's documents folder.

        Kept apart from :meth:`last_folder` (where files were last opened from): population exports
        often sit on shared drives, and an audit file must not land there by default.
        """
        saved = str(self._settings.value("folders/audits", "") or "")
        if saved and Path(saved).is_dir():
            return saved
        return documents_folder()

    def set_audit_folder(self, path: str | Path) -> None:
        path = Path(path)
        self._settings.setValue("folders/audits", str(path if path.is_dir() else path.parent))

    def state(self, key: str) -> QByteArray | None:
        value = self._settings.value(f"state/{key}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_state(self, key: str, value: QByteArray) -> None:
        self._settings.setValue(f"state/{key}", value)

    def layout(self, part: str) -> dict[str, QByteArray]:
        """The saved layout of one part of the window (splitter sizes, column widths…), by name."""
        self._settings.beginGroup(f"state/{part}")
        try:
            names = self._settings.childKeys()
        finally:
            self._settings.endGroup()
        return {name: state for name in names if (state := self.state(f"{part}/{name}")) is not None}

    def set_layout(self, part: str, states: Mapping[str, QByteArray]) -> None:
        for name, state in states.items():
            self.set_state(f"{part}/{name}", state)

    def sync(self) -> None:
        self._settings.sync()
