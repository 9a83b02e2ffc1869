"""Records: the plain, frozen values that cross the layers.

The store returns them, the services pass them on, and the GUI and the CLI show them; none of
these layers defines its own copy. They hold data only (no SQL, no Qt); their JSON forms are the
ones the audit trail and the audit file keep.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

ROLES = ("lead", "reviewer")  # a reviewer's role in the audit
REVIEW_ROLES = ("primary", "second")  # a review's role for its file


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


@dataclass(frozen=True)
class Reviewer:
    """Someone recorded in the audit as a reviewer (``role`` "reviewer") or a lead auditor ("lead")."""

    id: int
    name: str
    staff_number: str
    role: str

    @property
    def display(self) -> str:
        """How the reviewer is named in the audit trail and on screen."""
        return f"{self.name} ({self.staff_number})" if self.staff_number else self.name


@dataclass(frozen=True)
class Review:
    """One review of a sampled file: by whom, in which role (primary or second), how far it is."""

    id: int
    unit_id: int
    ref: str
    reviewer: Reviewer
    role: str
    status: str
    created_at: str
    updated_at: str
    training: bool = False
    signed_off_by: Reviewer | None = None
    signed_off_at: str | None = None
    changed_after_sign_off: bool = False


@dataclass(frozen=True)
class Answer:
    """A reviewer's answer to one item: the one answer type of the application (the GUI, an
    import, the store, moderation and the scoring engine all use it).

    :param code: an answer code of the item's scale (M, P, N, NR, NA …).
    :param note: the evidence note (log entry numbers and dates).
    :param evidence: where in the file the evidence is (an evidence reference).
    :param opportunity_known: for items critical on a known opportunity answered Not met: the
        reviewer's confirmation that the file showed the opportunity was known or available.
    :param mmo: a material missed opportunity is raised on this item.
    :param notable: the item shows notable practice.
    """

    code: str
    note: str = ""
    evidence: str = ""
    opportunity_known: bool | None = None
    mmo: bool = False
    notable: bool = False

    def to_json(self, item: str) -> dict[str, Any]:
        """The form the audit trail and the agreed answers keep: the item id and every field."""
        return {"item": item, **{f.name: getattr(self, f.name) for f in fields(self)}}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Answer:
        """The answer :meth:`to_json` wrote (its item id is the caller's key)."""
        return cls(**{f.name: value[f.name] for f in fields(cls) if f.name in value})

    def same_judgement(self, other: Answer | None) -> bool:
        """Whether two reviewers judged an item alike: the same code and flags (notes are each
        reviewer's own words)."""
        return other is not None and (self.code, self.opportunity_known, self.mmo, self.notable) == (
            other.code, other.opportunity_known, other.mmo, other.notable)


@dataclass(frozen=True)
class Agreed:
    """The answer (or profile value) agreed in moderation where two reviews of a file differ.

    :param target: an item id, or ``profile.<field>``.
    :param value: the answer's JSON form (:meth:`Answer.to_json`) or a profile value's JSON form;
        ``None`` when the agreement is to leave it unanswered.
    """

    target: str
    value: Any
    reason: str
    decided_by: Reviewer
    decided_at: str


@dataclass(frozen=True)
class AuditSettings:
    """What a lead auditor decides for the audit's outputs (each change is logged in the trail).

    :param marking: the protective marking printed in every report page's header and footer and at
        the top of every export (e.g. "OFFICIAL-SENSITIVE"); "" for none.
    :param show_references: reports may name files by their references (crime numbers); otherwise
        they name files by their position in the sample.
    """

    marking: str = ""
    show_references: bool = False
