"""Setting up an audit: what the new-audit wizard shows before it acts, and the steps it runs.

Qt-free helpers over the audit and population services: a preview of a population file with the
column mapping it would get, the scope to import with, the state of an unfinished audit, stratum
sizes, a live preview of a sample design (the same arithmetic ``Audit.draw_sample`` uses, so the
numbers shown are the numbers drawn), and the rejections of an import as CSV.

Functions that take an audit *path* open their own connection, so they may run on a worker
thread (an SQLite connection belongs to the thread that made it).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from audit_app.core import population as pop
from audit_app.core import sampling, statistics
from audit_app.errors import AuditError, ChecklistError, PopulationError, Problem
from audit_app.services.audits import (
    ImportResult,
    SampleRequest,
    SampleResult,
    create_audit,
    open_audit,
    sentence,
)
from audit_app.services.audits import sample_size as _draw_size
from audit_app.services.checklists import bundled_checklists, open_checklist
from audit_app.store import population as population_store
from audit_app.store import sampling as sampling_store

Progress = Callable[[int, int], None]

# The offence groups the importer derives (cli.md, "Population fields"), and those a
# neighbourhood-crime audit covers by default.
OFFENCE_GROUPS: tuple[str, ...] = (*dict.fromkeys(pop.POLICE_UK_GROUPS.values()), "other")
NEIGHBOURHOOD_GROUPS: tuple[str, ...] = ("burglary", "robbery", "theft_from_person", "vehicle")
PREVIEW_ROWS = 10

# How a field got its column, in words for the mapping table.
HOW_TEXT = {pop.HOW_PRESET: "from the preset", pop.HOW_MAP: "chosen by you", pop.HOW_HEADER: "matched by its header"}


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
        summary = f"{audit.checklist.title} ({audit.checklist.id} {audit.checklist.version})"
        return SetupState(Path(path), audit.record.title, summary, period)


# -- the population file -------------------------------------------------------------------------


@dataclass(frozen=True)
class PopulationPreview:
    """A population file's first rows and the mapping it would be imported with.

    :param header: the column names as the importer names them.
    :param rows: the first data rows, each as wide as the header.
    :param fields: canonical field → column (unmapped fields are absent).
    :param how: canonical field → how it was matched (``pop.HOW_*``).
    :param extras: the other columns, kept as extra fields.
    :param problem: why the mapping asked for cannot be used ("" when it can); the preview then
        shows the mapping without the preset, so the auditor can see the columns and fix it.
    """

    name: str
    format: str
    encoding: str
    delimiter: str
    sha256: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]
    fields: dict[str, str]
    how: dict[str, str]
    extras: tuple[str, ...]
    problem: str = ""

    def how_text(self, field_name: str) -> str:
        """How ``field_name`` is fed, in words ("not mapped" when it is not)."""
        if field_name in self.how:
            return HOW_TEXT.get(self.how[field_name], self.how[field_name])
        if field_name == "offence_group" and "offence" in self.fields:
            return "derived from the offence"
        return "not mapped"


def preview_population(path: str | Path, preset: str | None = None, mapping: Mapping[str, str] | None = None,
                       rows: int = PREVIEW_ROWS) -> PopulationPreview:
    """Read a population file's header and first rows, and resolve its column mapping.

    The whole file is read once (for its hash and encoding), so call this off the GUI thread.
    When the preset or mapping does not fit the file, the preview is still returned, resolved
    without them, with the reason in ``problem``.

    :param preset: a key of ``core.population.PRESETS``, or ``None``.
    :param mapping: canonical field → column; ``""`` leaves a field unmapped on purpose.
    :raises PopulationError: when the file cannot be read as a population at all.
    """
    try:
        source = pop.open_population(path, preset=preset, mapping=mapping)
        problem = ""
    except PopulationError as error:
        if preset is None and not mapping:
            raise
        source = pop.open_population(path)  # raises for an unreadable file: nothing to show then
        problem = str(error)
    return PopulationPreview(
        name=Path(path).name, format=source.format, encoding=source.encoding, delimiter=source.delimiter,
        sha256=source.sha256, header=tuple(source.header), rows=source.preview(rows),
        fields=dict(source.mapping.fields), how=dict(source.mapping.how), extras=tuple(source.mapping.extras),
        problem=problem,
    )


def remap(preview: PopulationPreview, preset: str | None, mapping: Mapping[str, str] | None) -> PopulationPreview:
    """The same preview with the mapping resolved again for another preset or manual mapping.

    Instant (the file is not read again); a mapping that does not fit is reported in ``problem``.
    """
    try:
        resolved = pop.resolve_mapping(preview.name, preview.header, preset, mapping)
    except PopulationError as error:
        return replace(preview, problem=str(error))
    return replace(preview, fields=dict(resolved.fields), how=dict(resolved.how), extras=tuple(resolved.extras),
                   problem="")


def months_between(start: dt.date, end: dt.date) -> list[str]:
    """The months ``YYYY-MM`` from ``start``'s month to ``end``'s, inclusive.

    :raises AuditError: when ``end`` is before ``start``.
    """
    if end < start:
        raise AuditError(f"The period ends ({end:%d/%m/%Y}) before it starts ({start:%d/%m/%Y}).")
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def build_scope(fields: Mapping[str, str], groups: Sequence[str], months: Sequence[str] = ()) -> dict[str, list[str]]:
    """The import scope: the offence groups to sample from and, optionally, the months.

    :param fields: the mapping that will be used (canonical field → column).
    :param groups: offence groups to keep in the sampling frame (see :data:`OFFENCE_GROUPS`).
    :param months: ``YYYY-MM`` months to keep; empty for any month.
    :raises AuditError: when no group is chosen, or a field the scope needs has no column.
    """
    if not groups:
        raise AuditError("Choose at least one offence group to sample from.")
    unknown = [g for g in groups if g not in OFFENCE_GROUPS]
    if unknown:
        raise AuditError(f"Unknown offence group '{unknown[0]}' (the groups are {', '.join(OFFENCE_GROUPS)}).")
    scope: dict[str, list[str]] = {}
    if set(groups) != set(OFFENCE_GROUPS):
        if "offence" not in fields and "offence_group" not in fields:
            raise AuditError("No column gives the offence, so the offence groups cannot be told apart: "
                             "map the offence column, or tick every group.")
        scope["offence_group"] = list(groups)
    if months:
        if "month" not in fields:
            raise AuditError("No column gives the month, so the audit period cannot limit the scope: map the month column.")
        scope["month"] = list(months)
    return scope


def import_population(audit_path: str | Path, source: str | Path, *, preset: str | None, mapping: Mapping[str, str],
                      scope: Mapping[str, Sequence[str]], actor: str,
                      progress: Progress | None = None) -> tuple[ImportResult, SetupState]:
    """Import a population file into the audit at ``audit_path`` (its own connection: any thread).

    All accepted rows, or nothing: an exception from ``progress`` (a cancel) rolls it back.

    :returns: the import's result and the audit's state after it.
    """
    with open_audit(audit_path) as audit:
        result = audit.import_population(source, preset=preset, mapping=dict(mapping), scope=scope, actor=actor,
                                         progress=progress)
    return result, setup_state(audit_path)


def write_rejections_csv(path: str | Path, rejections: Iterable[tuple[int, str, str]]) -> int:
    """Write rejected rows as CSV (``row``, ``ref``, ``reason``; UTF-8 with a BOM for Excel).

    :returns: the number of rows written.
    :raises AuditError: when the file cannot be written.
    """
    count = 0
    try:
        with open(path, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["row", "ref", "reason"])
            for row, ref, reason in rejections:
                writer.writerow([row, ref, reason])
                count += 1
    except OSError as error:
        raise AuditError(f"Could not write {path}: {error.strerror or error}.") from None
    return count


# -- an audit being set up -----------------------------------------------------------------------


@dataclass(frozen=True)
class ImportSummary:
    """One import into an audit, with its counts and the rows it rejected."""

    source_name: str
    rows_read: int
    imported: int
    rejected: int
    excluded: int
    rejections: list[tuple[int, str, str]]
    sha256: str = ""
    scope: dict[str, list[str]] = field(default_factory=dict)

    @property
    def in_frame(self) -> int:
        return self.imported - self.excluded

    def exclusion_reason(self) -> str:
        """Why rows were excluded (imported but kept out of the sampling frame), in words."""
        parts = []
        groups = self.scope.get("offence_group")
        if groups:
            parts.append("an offence group other than " + _or_list([g.replace("_", " ") for g in groups]))
        months = self.scope.get("month")
        if months:
            parts.append("a month outside " + (months[0] if len(months) == 1 else f"{months[0]} to {months[-1]}"))
        for name, values in self.scope.items():
            if name not in ("offence_group", "month"):
                parts.append(f"a {name} other than {_or_list(values)}")
        return ("outside the scope: " + "; or ".join(parts)) if parts else "outside the scope"


@dataclass(frozen=True)
class SetupState:
    """How far an audit has been set up: what the wizard needs to resume it.

    :param period: the audit period (start, end), or ``None``.
    :param imports: every import so far, oldest first.
    :param in_frame: files in the sampling frame, over all imports.
    :param strata_fields: the fields a sample may be stratified by (mapped canonical fields, then
        extra columns).
    :param sample: the drawn sample, or ``None``.
    """

    path: Path
    title: str
    checklist: str
    period: tuple[dt.date, dt.date] | None
    imports: list[ImportSummary] = field(default_factory=list)
    in_frame: int = 0
    strata_fields: list[str] = field(default_factory=list)
    sample: SampleResult | None = None


def setup_state(audit_path: str | Path) -> SetupState:
    """Read how far the audit at ``audit_path`` has been set up (its own connection: any thread)."""
    with open_audit(audit_path) as audit:
        record = audit.record
        batches = population_store.batches(audit.db)
        imports = [
            ImportSummary(b.source_name, b.rows_read, b.imported, b.rejected, b.excluded,
                          population_store.rejections(audit.db, b.id), b.sha256, dict(b.scope))
            for b in batches
        ]
        mapped: set[str] = set()
        for batch in batches:
            mapped.update(batch.mapping.get("fields", {}))
        if "offence" in mapped:
            mapped.add("offence_group")
        strata = [f for f in pop.CANONICAL_FIELDS if f in mapped and f != "ref"]
        strata += population_store.extra_columns(audit.db)
        in_frame = population_store.unit_count(audit.db, in_frame_only=True) if batches else 0
        sample = audit.sample() if sampling_store.has_plan(audit.db) else None
        period = None
        if record.period_start and record.period_end:
            period = (dt.date.fromisoformat(record.period_start), dt.date.fromisoformat(record.period_end))
        checklist = f"{audit.checklist.title} ({audit.checklist.id} {audit.checklist.version})"
        return SetupState(Path(audit_path), record.title, checklist, period, imports, in_frame, strata, sample)


def stratum_populations(audit_path: str | Path, fields: Sequence[str]) -> dict[str, int]:
    """Files in the sampling frame per stratum for the strata ``fields`` (its own connection: any thread).

    The keys are the stratum names the draw will use (``"burglary"``, ``"burglary / Camden 027C"``).
    """
    with open_audit(audit_path) as audit:
        _units, populations, _sha = audit.frame(list(fields))
    return populations


# -- the sample design ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StratumRow:
    """One stratum of a design: its files in the frame, its sample and its reserve."""

    key: str
    population: int
    sample: int
    reserve: int

    @property
    def probability(self) -> float:
        """The chance ``n_h / N_h`` that a file of this stratum is drawn."""
        return self.sample / self.population


@dataclass(frozen=True)
class DesignPreview:
    """What a sample design gives on the current frame, before it is drawn.

    :param n: the sample size ``draw_sample`` will draw.
    :param acceptance_number: for attribute sampling, the most failures that still give assurance.
    :param method: how ``n`` was found, in words (as the CLI's ``samplesize`` prints it).
    :param large_population_n: for attribute and margin designs, the size without the
        finite-population correction (``samplesize`` without ``--population``); else ``None``.
    :param disproportionate: strata are sampled at unequal rates (results must be weighted).
    """

    n: int
    acceptance_number: int | None
    method: str
    large_population_n: int | None
    frame_size: int
    strata: list[StratumRow]
    disproportionate: bool


def sample_size(request: SampleRequest, frame_size: int) -> statistics.SampleSize:
    """The total sample size of ``request`` for a frame of ``frame_size`` files: exactly what
    ``draw_sample`` will compute (the same function).

    :raises AuditError: for a size the frame cannot give, or rates out of range.
    """
    try:
        return _draw_size(request, frame_size)
    except AuditError as error:
        raise AuditError(str(error)) from None


def design_preview(request: SampleRequest, populations: Mapping[str, int]) -> DesignPreview:
    """The size and per-stratum allocation ``request`` gives on a frame with these stratum sizes.

    Uses ``core.statistics`` and ``core.sampling.allocate`` exactly as ``Audit.draw_sample``
    does, so the preview equals the draw. Fast enough to run on every change of an input.

    :param populations: stratum key → files in the frame (from :func:`stratum_populations`).
    :raises AuditError: for an empty frame or a design the frame cannot give, in one sentence.
    """
    frame_size = sum(populations.values())
    if frame_size == 0:
        raise AuditError("The sampling frame is empty: import a population first (or widen the scope).")
    size = sample_size(request, frame_size)
    try:
        allocation = sampling.allocate(populations, size.n, request.allocation, request.min_per_stratum)
    except ValueError as error:
        raise AuditError(sentence(str(error))) from None
    reserve = max(0, request.reserve)
    rows = [
        StratumRow(key, allocation.populations[key], n_h, min(reserve, allocation.populations[key] - n_h))
        for key, n_h in allocation.sizes.items()
    ]
    return DesignPreview(size.n, size.acceptance_number, size.method, _large_population_n(request), frame_size, rows,
                         allocation.disproportionate)


def _large_population_n(request: SampleRequest) -> int | None:
    try:
        if request.size is None and request.confidence is not None and request.tolerable is not None:
            return statistics.attribute_sample_size(request.confidence, request.tolerable, request.expected).n
        if request.size is None and request.confidence is not None and request.margin is not None:
            return statistics.margin_sample_size(request.confidence, request.margin, request.proportion).n
    except ValueError:
        return None
    return None


def draw_sample(audit_path: str | Path, request: SampleRequest, actor: str) -> SampleResult:
    """Draw the sample of the audit at ``audit_path`` (its own connection: any thread)."""
    with open_audit(audit_path) as audit:
        return audit.draw_sample(request, actor)


def _or_list(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
