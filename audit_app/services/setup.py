"""Setting up an audit: the checklist to choose, the audit file, and how far its set-up has gone.

What the new-audit wizard reads before it acts and after each step. The steps themselves are the
population and sampling services (``services.population``, ``services.sampling``); the wizard runs
each, with :func:`setup_state` after it, in the background on one connection.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from audit_app.errors import AuditError, ChecklistError, Problem
from audit_app.services import population, sampling
from audit_app.services.audits import Audit, create_audit
from audit_app.services.checklists import bundled_checklists, open_checklist
from audit_app.services.population import ImportSummary
from audit_app.services.sampling import SampleResult

# -- the checklist and the audit file --------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistChoice:
    """A checklist the auditor may choose: a bundled one or a file, valid or with its problems.

    :param problems: every problem found in the file (empty when it is valid).
    """

    path: Path
    title: str = ""
    id: str = ""
    version: str = ""
    items: int = 0
    bundled: bool = False
    problems: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems


def bundled_choices() -> list[ChecklistChoice]:
    """The checklists shipped with the application (slow-ish: each is parsed; any thread)."""
    return [ChecklistChoice(s.path, s.title, s.id, s.version, s.items, bundled=True) for s in bundled_checklists()]


def check_checklist_file(path: str | Path) -> ChecklistChoice:
    """Load a checklist file: its summary when it is valid, else every problem in it (any thread).

    :raises UserFacingError: when there is no file at ``path``.
    """
    try:
        checklist = open_checklist(str(path))
    except ChecklistError as error:
        return ChecklistChoice(Path(path), problems=list(error.problems))
    return ChecklistChoice(Path(path), checklist.title, checklist.id, checklist.version, len(checklist.items))


def create_audit_file(path: str | Path, checklist: str | Path, title: str, actor: str, *, scope: str = "",
                      period: tuple[dt.date, dt.date] | None = None) -> SetupState:
    """Create the audit file (never overwriting one) and return its state: nothing imported yet.

    :param checklist: a bundled checklist id or the path of a checklist file.
    :raises UserFacingError: for a file that exists, a folder that cannot be written, a bad period.
    """
    start, end = period if period else (None, None)
    try:
        audit = create_audit(path, str(checklist), title, actor, scope=scope, period_start=start, period_end=end)
    except OSError as error:
        raise AuditError(f"Could not create the audit file {path}: {error.strerror or error}.") from None
    with audit:
        return SetupState(Path(path), audit.record.title, checklist_summary(audit), period,
                          offence_groups=population.checklist_groups(audit))


# -- an audit being set up ---------------------------------------------------------------------


@dataclass(frozen=True)
class SetupState:
    """How far an audit has been set up: what the wizard needs to resume it.

    :param period: the audit period (start, end), or ``None``.
    :param imports: every import so far, oldest first.
    :param in_frame: files in the sampling frame, over all imports.
    :param strata_fields: the fields a sample may be stratified by (mapped canonical fields, then
        extra columns).
    :param sample: the drawn sample, or ``None``.
    :param offence_groups: the offence groups the checklist is for (every group when it does not say):
        the scope a population import starts from.
    :param out_of_scope: files in the sampling frame per offence group the checklist is not for.
    """

    path: Path
    title: str
    checklist: str
    period: tuple[dt.date, dt.date] | None
    imports: list[ImportSummary] = field(default_factory=list)
    in_frame: int = 0
    strata_fields: list[str] = field(default_factory=list)
    sample: SampleResult | None = None
    offence_groups: tuple[str, ...] = population.OFFENCE_GROUPS
    out_of_scope: dict[str, int] = field(default_factory=dict)


def setup_state(audit: Audit) -> SetupState:
    """How far the audit has been set up."""
    record = audit.record
    imports = population.imports(audit)
    period = None
    if record.period_start and record.period_end:
        period = (dt.date.fromisoformat(record.period_start), dt.date.fromisoformat(record.period_end))
    return SetupState(audit.path, record.title, checklist_summary(audit), period, imports,
                      population.in_frame(audit) if imports else 0, population.strata_fields(audit),
                      sampling.sample(audit), population.checklist_groups(audit),
                      population.out_of_scope_groups(audit) if imports else {})


def checklist_summary(audit: Audit) -> str:
    """The audit's checklist in words: title, id and version."""
    checklist = audit.checklist
    return f"{checklist.title} ({checklist.id} {checklist.version})"
