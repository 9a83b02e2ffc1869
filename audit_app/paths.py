"""Where things live: the only module that knows the package's data folders and the user's."""

from __future__ import annotations

import os
import sys
from importlib import resources
from pathlib import Path

CHECKLIST_SUFFIXES = (".yaml", ".yml")
SCHEMA_FILE = "checklist.schema.json"


def checklists_dir() -> Path:
    """The folder of bundled checklists (``checklists/`` in the source tree)."""
    return Path(str(resources.files("audit_app.checklists")))


def resources_dir() -> Path:
    """The folder of other bundled resources (``resources/`` in the source tree).

    Run from a source tree (a checkout or a git worktree), the ``resources/`` beside the code being
    run, rather than wherever an editable install of another checkout maps the package.
    """
    beside = Path(__file__).resolve().parent.parent / "resources"
    if (beside / "__init__.py").is_file():
        return beside
    return Path(str(resources.files("audit_app.resources")))


def bundled_checklist_files() -> list[Path]:
    return sorted(p for p in checklists_dir().iterdir() if p.suffix in CHECKLIST_SUFFIXES)


def user_data_dir() -> Path:
    """The per-user data folder of audit-app (created by the caller when needed).

    Linux and other Unix: ``$XDG_DATA_HOME/audit-app`` (default ``~/.local/share/audit-app``);
    Windows: ``%LOCALAPPDATA%\\audit-app``; macOS: ``~/Library/Application Support/audit-app``.
    """
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = str(Path.home() / "Library" / "Application Support")
    else:
        xdg = os.environ.get("XDG_DATA_HOME", "")
        base = xdg if os.path.isabs(xdg) else str(Path.home() / ".local" / "share")  # the XDG spec ignores relative paths
    return Path(base) / "audit-app"
