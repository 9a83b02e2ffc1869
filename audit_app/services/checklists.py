"""Checklist services: bundled checklists, loading by id or path, validation, the schema."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit_app import paths
from audit_app.core.checklist import Checklist, checklist_json_schema, load_checklist
from audit_app.errors import ChecklistError, Problem, UserFacingError


@dataclass(frozen=True)
class ChecklistSummary:
    """A bundled checklist as listed to the user."""

    id: str
    version: str
    title: str
    path: Path
    items: int


def bundled_checklists() -> list[ChecklistSummary]:
    """The checklists shipped with the application, by id."""
    summaries = []
    for path in paths.bundled_checklist_files():
        checklist = load_checklist(path)
        summaries.append(ChecklistSummary(checklist.id, checklist.version, checklist.title, path, len(checklist.items)))
    return sorted(summaries, key=lambda s: s.id)


def resolve_checklist(id_or_path: str) -> Path:
    """The file behind a bundled checklist id or a path.

    :raises UserFacingError: when it is neither.
    """
    candidate = Path(id_or_path)
    if candidate.suffix in paths.CHECKLIST_SUFFIXES or candidate.exists():
        if not candidate.is_file():
            raise UserFacingError(f"No checklist file at {id_or_path}.")
        return candidate
    for summary in bundled_checklists():
        if summary.id == id_or_path:
            return summary.path
    known = ", ".join(s.id for s in bundled_checklists())
    raise UserFacingError(f"No checklist '{id_or_path}': give a bundled checklist id ({known}) or the path of a .yaml file.")


def open_checklist(id_or_path: str) -> Checklist:
    """Load and validate a bundled or on-disk checklist (raises ``ChecklistError`` if invalid)."""
    return load_checklist(resolve_checklist(id_or_path))


def validate_checklist_files(files: list[str]) -> tuple[list[Checklist], list[Problem]]:
    """Validate every file; return the valid checklists and all problems found in the others."""
    valid: list[Checklist] = []
    problems: list[Problem] = []
    for name in files:
        try:
            valid.append(load_checklist(name))
        except ChecklistError as exc:
            problems.extend(exc.problems)
    return valid, problems


def checklist_schema() -> dict[str, Any]:
    """The published JSON Schema of the checklist format."""
    return checklist_json_schema()


def checklist_outline(checklist: Checklist) -> str:
    """A plain-text outline of a checklist for the terminal."""
    spec = checklist.spec
    lines = [f"{spec.title} ({spec.id} {spec.version})", f"sha256 {checklist.sha256}", ""]
    for section in spec.sections:
        lines.append(f"{section.id}  {section.title}")
        for item in section.items:
            flags = f"w{item.weight} {item.scale}" + ("" if item.critical == "never" else f" critical:{item.critical}")
            applies = f"  [applies when {item.applies_when}]" if item.applies_when else ""
            lines.append(f"  {item.id:<4} {item.question}  ({flags}){applies}")
    return "\n".join(lines)
