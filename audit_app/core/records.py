"""Records: the plain, frozen values that cross the layers.

The store returns them, the services pass them on, and the GUI and the CLI show them; none of
these layers defines its own copy. They hold data only (no SQL, no Qt); their JSON forms are the
ones the audit trail and the audit file keep.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AuditRecord:
    """The audit's own record: title, who created it, and the checklist it uses (full text and SHA-256)."""

    title: str
    created_at: str
    created_by: str
    app_version: str
    checklist_id: str
    checklist_version: str
    checklist_sha256: str
    checklist_source: str
    checklist_text: str
    scope: str = ""
    period_start: str | None = None  # ISO date
    period_end: str | None = None
    checklist_document: str | None = None  # canonical JSON of the checklist (see core.checklist_from_document)


@dataclass(frozen=True)
class Plan:
    """The sampling plan: everything needed to re-derive the sample, and its method in words."""

    created_at: str
    created_by: str
    size_method: str
    confidence: float | None
    tolerable: float | None
    expected: float | None
    margin: float | None
    proportion: float | None
    requested_size: int | None
    size: int
    acceptance_number: int | None
    size_description: str
    strata_fields: list[str]
    allocation: str
    min_per_stratum: int | None
    disproportionate: bool
    reserve: int
    seed: str
    frame_size: int
    frame_sha256: str
    statement: str
