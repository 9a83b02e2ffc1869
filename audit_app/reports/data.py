"""The frozen records reports render: everything already in words, so rendering looks nothing up.

The services gather them (``services/reports.py``) from the audit; the renderers
(``reports/file_report.py``) lay them out. A record holds the text people typed exactly as typed:
the renderer escapes it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pair:
    """A labelled value, e.g. ("Offence", "Burglary")."""

    label: str
    value: str


@dataclass(frozen=True)
class ItemLine:
    """One applicable item of a file's review, as the file's result stands.

    :param answer: the answer in words with its code, e.g. "Not met (N)" ("Not answered" when none).
    :param points: e.g. "0 of 2 points, weight 3"; "" when the answer scores nothing (N/A).
    :param flags: e.g. ("critical failure", "material missed opportunity").
    :param source: where the answer comes from when not the primary review, e.g.
        "agreed at moderation" ("" for the primary review's own answer).
    """

    item_id: str
    question: str
    answer: str
    points: str
    note: str
    evidence: str
    flags: tuple[str, ...]
    source: str = ""


@dataclass(frozen=True)
class SectionLines:
    title: str
    items: tuple[ItemLine, ...]
    not_applicable: tuple[str, ...]  # ids of the section's items that do not apply to this file


@dataclass(frozen=True)
class ReviewLine:
    """One review of the file: who, in which role, how far, and what it concluded."""

    role: str  # "Primary review", "Second review"
    reviewer: str
    status: str
    started: str
    updated: str
    signed_off: str  # "by Lee Lead (L1), 5 December 2026, 16:22 UTC", or ""
    score: str
    grade: str
    notes: tuple[str, ...] = ()  # training example, changed after sign-off …


@dataclass(frozen=True)
class DifferenceLine:
    """A question on which the two reviews differed, and what moderation agreed."""

    question: str
    primary: str
    second: str
    agreed: str  # "" while not agreed
    reason: str
    decided: str  # "by Lee Lead (L1), 5 December 2026, 16:22 UTC", or ""


@dataclass(frozen=True)
class HistoryLine:
    at: str
    actor: str
    what: str
    reason: str


@dataclass(frozen=True)
class FileReport:
    """Everything the report of one reviewed file shows."""

    ref: str
    position: str  # the file's place in the sample, e.g. "12 of 400"
    stratum: str
    population: tuple[Pair, ...]  # what the population export says about the file
    profile: tuple[Pair, ...]  # the review's profile (as agreed, where moderated)
    result: tuple[Pair, ...]  # score, grade, caps applied, critical failures, …
    reviews: tuple[ReviewLine, ...]
    sections: tuple[SectionLines, ...]
    moderation: str  # the moderation state in words ("" when the file has no second review)
    differences: tuple[DifferenceLine, ...]
    history: tuple[HistoryLine, ...]  # starts, status changes, sign-offs, replacements, agreements
    agreed: bool = False  # the profile, answers and result are the primary review's with moderation's agreements laid over


@dataclass(frozen=True)
class FileReportSet:
    """One or more file reports in one PDF, with what the title page and metadata say."""

    audit_title: str
    checklist: str  # "Neighbourhood crime investigation checklist, version 1.0 (neighbourhood-crime)"
    author: str  # who the report is attributed to (the audit's lead, else its creator)
    generated_at: str
    app_version: str
    files: tuple[FileReport, ...]
