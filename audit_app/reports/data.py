"""The frozen records reports render: everything already in words, so rendering looks nothing up.

The services gather them (``services/reports.py``) from the audit; the renderers
(``reports/file_report.py``) lay them out. A record holds the text people typed exactly as typed:
the renderer escapes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from audit_app.core.results.model import AuditResults


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
    trail: tuple[int, str] = (0, "")  # the audit trail's entries and head hash the reports were read at

    @property
    def trail_line(self) -> str:
        """The line that ties the reports to the audit (``audit-app verify AUDIT --head HASH``)."""
        events, head = self.trail
        return f"Audit trail head {head or '(empty)'} ({events} entries) when produced"


# -- the audit report (issue 11 §1)


@dataclass(frozen=True)
class Cover:
    """What the cover page says. ``status`` is "Final" only when every sampled review is signed off."""

    title: str
    scope: str  # force and unit, what the audit covers
    period: str  # "1 January 2025 to 31 March 2025", or ""
    checklist: str  # "Neighbourhood crime investigation checklist, version 1.0 (neighbourhood-crime)"
    date: str
    author: str
    status: str  # "Draft" or "Final"
    status_reason: str  # why it is a draft ("12 of 60 sampled files are not signed off yet"), or ""
    marking: str


@dataclass(frozen=True)
class Example:
    """One reviewer's evidence note on a weak item, naming the file by its position (or reference)."""

    file: str  # "File 12 of 60", or the reference where the audit allows references
    answer: str  # "Not met (N)"
    note: str  # as typed, cut to a few hundred characters by the services


@dataclass(frozen=True)
class Theme:
    item_id: str
    question: str
    figure: str  # "Met in 12 of 40 applicable files (30.0%)"
    examples: tuple[Example, ...]


@dataclass(frozen=True)
class FileLine:
    """One reviewed (or sampled) file in the report's list of files."""

    file: str  # the position, e.g. "12"
    stratum: str
    grade: str
    caps: str
    reviewer: str
    second: str  # "Sam Second (S2), complete" or ""
    sign_off: str  # "Lee Lead, 5 Dec 2026", or "not signed off" / "not reviewed"
    ref: str = ""  # the reference, where the audit allows references in reports


@dataclass(frozen=True)
class MethodPart:
    """A part of the method appendix: labelled values, then sentences."""

    title: str
    pairs: tuple[Pair, ...] = ()
    sentences: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportSection:
    """A checklist section: its id, title and item ids in checklist order."""

    id: str
    title: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class AuditReport:
    """Everything the audit report shows. ``results`` are the audit's results as the services
    computed them (the report recomputes nothing); the rest is already in words.

    :param sections: the checklist's sections in order (a section may have no results).
    :param cannot_say: what the audit cannot say (ungradable share, provisional files, high N/A …).
    :param moderation: how disagreements were moderated, in sentences.
    :param provenance: labelled values identifying what the report was produced from (the trail
        head and the source hashes), also embedded as the PDF's manifest.
    """

    cover: Cover
    results: AuditResults
    sections: tuple[ReportSection, ...]
    subscore_labels: tuple[tuple[str, str], ...]
    sampled: int  # files in the sample (selected)
    headline: tuple[str, ...]
    flags: tuple[str, ...]  # the shares of files with a critical failure and a material missed opportunity
    cannot_say: tuple[str, ...]
    notable: tuple[str, ...]
    themes: tuple[Theme, ...]
    moderation: tuple[str, ...]
    files: tuple[FileLine, ...]
    references_shown: bool
    method: tuple[MethodPart, ...]
    generated_at: str
    app_version: str
