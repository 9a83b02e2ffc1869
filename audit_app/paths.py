"""Where bundled assets live: the only module that knows the package's data folders."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

CHECKLIST_SUFFIXES = (".yaml", ".yml")
SCHEMA_FILE = "checklist.schema.json"


def checklists_dir() -> Path:
    """The folder of bundled checklists (``checklists/`` in the source tree)."""
    return Path(str(resources.files("audit_app.checklists")))


def resources_dir() -> Path:
    """The folder of other bundled resources (``resources/`` in the source tree)."""
    return Path(str(resources.files("audit_app.resources")))


def bundled_checklist_files() -> list[Path]:
    return sorted(p for p in checklists_dir().iterdir() if p.suffix in CHECKLIST_SUFFIXES)
