"""Audit services: create and open an audit file; import, sample, review and verify within it.

Every user action is one write transaction that also appends its event to the audit trail, so a
change and its record stand or fall together.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit_app import __version__
from audit_app.core import population as pop
from audit_app.core import sampling, statistics
from audit_app.core.checklist import Checklist, checklist_from_document, parse_checklist
from audit_app.errors import AuditError, AuditFileError, ChecklistError
from audit_app.services.checklists import resolve_checklist
from audit_app.store import events
from audit_app.store import population as population_store
from audit_app.store import sampling as sampling_store
from audit_app.store.database import AuditDatabase, create_database, open_database
from audit_app.store.meta import AuditRecord, insert_audit, load_audit

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]


def default_actor() -> str:
    """Who is acting when no reviewer identity is given: the signed-in user, from the command line."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown user"
    return f"{user} (command line)"


@dataclass(frozen=True)
class ImportResult:
    batch_id: int
    source_name: str
    rows_read: int
    imported: int
    rejected: int
    excluded: int
    in_frame: int
    rejections: list[tuple[int, str, str]]
    sha256: str
    mapping: dict[str, str]
    mapping_how: dict[str, str]
    extras: list[str]

    def to_json(self) -> dict[str, Any]:
        """The keys fixed by the CLI contract, plus the mapping used."""
        return {
            "rows_read": self.rows_read,
            "imported": self.imported,
            "rejected": self.rejected,
            "excluded": self.excluded,
            "in_frame": self.in_frame,
            "rejections": [{"row": row, "ref": ref, "reason": reason} for row, ref, reason in self.rejections],
            "sha256": self.sha256,
            "batch": self.batch_id,
            "source": self.source_name,
            "mapping": self.mapping,
            "mapping_how": self.mapping_how,
            "extra_fields": self.extras,
        }


@dataclass(frozen=True)
class SampleRequest:
    """How to draw the sample: exactly one of a fixed size, attribute, or margin-of-error design."""

    size: int | None = None
    confidence: float | None = None
    tolerable: float | None = None
    expected: float = 0.0
    margin: float | None = None
    proportion: float = 0.5
    strata: Sequence[str] = ()
    allocation: str = "proportional"
    min_per_stratum: int | None = None
    seed: str | None = None
    reserve: int = 0


@dataclass(frozen=True)
class SampleResult:
    plan: sampling_store.Plan
    strata: dict[str, dict[str, int]]
    selected: list[str]
    reserve: list[str]

    def to_json(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "method": plan.size_description,
            "confidence": plan.confidence,
            "size": plan.size,
            "seed": plan.seed,
            "frame_size": plan.frame_size,
            "frame_sha256": plan.frame_sha256,
            "strata": self.strata,
            "selected": self.selected,
            "reserve": self.reserve,
            "acceptance_number": plan.acceptance_number,
            "allocation": plan.allocation,
            "strata_fields": plan.strata_fields,
            "min_per_stratum": plan.min_per_stratum,
            "disproportionate": plan.disproportionate,
            "statement": plan.statement,
        }


@dataclass
class _ImportCounter:
    rows_read: int = 0
    imported: int = 0
    excluded: int = 0
    rejections: list[tuple[int, str, str]] = field(default_factory=list)


def create_audit(path: str | Path, checklist: str, title: str, actor: str | None = None, *, scope: str = "",
                 period_start: dt.date | None = None, period_end: dt.date | None = None) -> "Audit":
    """Create a new audit file using a bundled checklist id or a checklist file.

    The checklist's full text and SHA-256 are stored, so later edits to the file on disk do not
    change this audit.

    :param scope: what the audit covers, in words (shown in the report).
    :param period_start: the first day of the period the audited files come from.
    :param period_end: its last day.
    """
    if not title.strip():
        raise AuditError("Give the audit a title.")
    if period_start and period_end and period_end < period_start:
        raise AuditError(f"The period ends ({period_end:%d/%m/%Y}) before it starts ({period_start:%d/%m/%Y}).")
    checklist_path = resolve_checklist(checklist)
    data = checklist_path.read_bytes()
    compiled = parse_checklist(data, str(checklist_path))
    database = create_database(path)
    record = AuditRecord(
        title=title.strip(),
        created_at=events.now(),
        created_by=actor or default_actor(),
        app_version=__version__,
        checklist_id=compiled.id,
        checklist_version=compiled.version,
        checklist_sha256=compiled.sha256,
        checklist_source=checklist_path.name,
        checklist_text=data.decode("utf-8-sig"),
        scope=scope.strip(),
        period_start=period_start.isoformat() if period_start else None,
        period_end=period_end.isoformat() if period_end else None,
        checklist_document=compiled.document,
    )
    try:
        with database.transaction() as db:
            insert_audit(db, record)
            events.append(db, record.created_by, "audit.create", "audit", 1, {
                "title": record.title, "checklist": compiled.id, "checklist_version": compiled.version,
                "checklist_sha256": compiled.sha256, "app_version": __version__,
                "scope": record.scope, "period_start": record.period_start, "period_end": record.period_end,
                "checklist_document_sha256": _sha256(compiled.document),
            })
    except BaseException:
        database.close()
        Path(path).unlink(missing_ok=True)
        raise
    return Audit(database, record, compiled)


def open_audit(path: str | Path) -> "Audit":
    """Open an existing audit file (migrating an older one after a backup copy)."""
    database = open_database(path)
    try:
        record = load_audit(database.db)
        if record is None:
            raise AuditFileError(f"{path} has no audit record; it may have been created by an interrupted command.")
        created = next(events.iterate(database.db, "audit", "1"), None)
        compiled = stored_checklist(record, str(path), created.detail.get("checklist_document_sha256") if created else None)
    except BaseException:
        database.close()
        raise
    return Audit(database, record, compiled)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stored_checklist(record: AuditRecord, where: str, document_sha256: str | None) -> Checklist:
    """The audit's own checklist: from its stored document when the audit trail vouches for it (fast),
    else from its stored text (the authority)."""
    name = f"{record.checklist_source} (stored in the audit)"
    document = record.checklist_document
    if document and document_sha256 == _sha256(document):
        try:
            return checklist_from_document(document, record.checklist_text, name)
        except ChecklistError:
            pass
    if document:
        log.warning("the checklist document stored in %s is not the one its audit trail records; "
                    "reading the checklist text instead", where)
    try:
        return parse_checklist(record.checklist_text.encode("utf-8"), name)
    except ChecklistError as exc:
        raise AuditFileError(f"The checklist stored in {where} no longer loads: {exc}") from None


class Audit:
    """An open audit file. Use as a context manager, or call ``close()``."""

    def __init__(self, database: AuditDatabase, record: AuditRecord, checklist: Checklist):
        self.database = database
        self.record = record
        self.checklist = checklist

    @property
    def path(self) -> Path:
        return self.database.path

    @property
    def db(self) -> Any:
        return self.database.db

    def close(self) -> None:
        self.database.close()

    def __enter__(self) -> "Audit":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- population ------------------------------------------------------------------------

    def import_population(
        self,
        source: str | Path,
        *,
        preset: str | None = None,
        mapping: Mapping[str, str] | None = None,
        scope: Mapping[str, Sequence[str]] | None = None,
        actor: str | None = None,
        progress: Progress | None = None,
        worker_min_bytes: int | None = None,
    ) -> ImportResult:
        """Import a population file: all accepted rows, or nothing.

        A large file is parsed in a worker process while this one inserts (see
        :meth:`pop.PopulationSource.row_batches`); the insert stays in this connection's one
        write transaction, with its event, so an error or an interruption records nothing.

        :param worker_min_bytes: files of this size or more are read in a worker process
            (default :data:`pop.WORKER_MIN_BYTES`; 0 always uses one, for tests).
        :raises AuditError: once the sample is drawn (the frame must not change under it).
        :raises PopulationError: for an unreadable file or a mapping that does not fit it.
        """
        if sampling_store.has_plan(self.db):
            raise AuditError("The sample has already been drawn: importing more files would change the sampling frame.")
        reader = pop.open_population(source, preset=preset, mapping=mapping, scope=scope)
        actor = actor or default_actor()
        counter = _ImportCounter()
        # The worker (if any) starts reading before the transaction begins, and is stopped when
        # the block is left, whatever happens.
        #
        # The transaction stays in WAL mode. A rollback journal (journal_mode=DELETE for this one
        # transaction) would spare the checkpoint, which writes every page a second time (about
        # 0.5-1 s per million rows), but switching needs the file to itself (no GUI connection
        # open), and a crash mid-import would leave a hot journal beside a file that may be
        # shorter than its header says, which the opening checks (store.database) allow for with
        # a -wal file only and would report as truncated. The target is met without it.
        with reader.row_batches(progress, worker_min_bytes=worker_min_bytes) as batches, \
                self.database.transaction() as db:
            known = population_store.existing_refs(db) if population_store.unit_count(db) else set()
            batch_id = population_store.insert_batch(
                db, source_name=Path(source).name, sha256="", format=reader.format, encoding=reader.encoding,
                delimiter=reader.delimiter, mapping={"fields": reader.mapping.fields, "how": reader.mapping.how},
                extras=list(reader.mapping.extras), scope={k: list(v) for k, v in (scope or {}).items()},
                rows_read=0, imported=0, rejected=0, excluded=0, imported_at=events.now(), imported_by=actor,
            )
            for batch in batches.read(known):
                population_store.insert_units(db, batch_id, batch.columns)
                counter.imported += len(batch)
                counter.excluded += batch.excluded
                counter.rejections += batch.rejections
            counter.rows_read = reader.rows_read
            population_store.insert_rejections(db, batch_id, counter.rejections)
            population_store.update_batch_counts(db, batch_id, counter.rows_read, counter.imported, len(counter.rejections), counter.excluded)
            population_store.set_batch_sha256(db, batch_id, reader.sha256)
            result = ImportResult(
                batch_id, Path(source).name, counter.rows_read, counter.imported, len(counter.rejections), counter.excluded,
                counter.imported - counter.excluded, counter.rejections, reader.sha256, dict(reader.mapping.fields),
                dict(reader.mapping.how), list(reader.mapping.extras),
            )
            events.append(db, actor, "population.import", "import_batch", batch_id, {
                "source": result.source_name, "sha256": result.sha256, "rows_read": result.rows_read,
                "imported": result.imported, "rejected": result.rejected, "excluded": result.excluded,
                "mapping": result.mapping, "scope": {k: list(v) for k, v in (scope or {}).items()},
            })
        return result

    # -- sampling --------------------------------------------------------------------------

    def draw_sample(self, request: SampleRequest, actor: str | None = None) -> SampleResult:
        """Draw the sample by hash rank (statistics.md §2) and record the plan that re-derives it."""
        if sampling_store.has_plan(self.db):
            plan = sampling_store.load_plan(self.db)
            raise AuditError(f"The sample has already been drawn (seed '{plan.seed if plan else '?'}'); "
                             "replace out-of-scope files with their reserves instead.")
        fields = list(request.strata)
        self._check_strata_fields(fields)
        units, populations, frame_hash = self.frame(fields)
        if not units:
            raise AuditError("The sampling frame is empty: import a population first (or widen the scope).")
        size = sample_size(request, len(units))
        try:
            allocation = sampling.allocate(populations, size.n, request.allocation, request.min_per_stratum)
        except ValueError as exc:
            raise AuditError(str(exc)) from None
        seed = request.seed if request.seed is not None else sampling.generate_seed()
        selection = sampling.select(units, allocation, seed, request.reserve)
        plan = self._plan(request, size, allocation, seed, len(units), frame_hash, fields, actor)
        rows = []
        for stratum in allocation.sizes:
            probability = allocation.inclusion_probability(stratum)
            chosen = selection.selected.get(stratum, [])
            spare = selection.reserve.get(stratum, [])
            for rank, (ref, key) in enumerate(chosen + spare, start=1):
                rows.append((ref, stratum, rank, key, probability, "selected" if rank <= len(chosen) else "reserve"))
        with self.database.transaction() as db:
            sampling_store.save_plan(db, plan)
            sampling_store.save_strata(db, [(k, allocation.populations[k], n) for k, n in allocation.sizes.items()])
            sampling_store.save_sample_units(db, rows)
            events.append(db, plan.created_by, "sample.draw", "sampling_plan", 1, {
                "size": plan.size, "seed": plan.seed, "frame_size": plan.frame_size, "frame_sha256": plan.frame_sha256,
                "method": plan.size_description, "allocation": plan.allocation, "strata_fields": plan.strata_fields,
                "reserve": plan.reserve, "strata": {k: [allocation.populations[k], n] for k, n in allocation.sizes.items()},
            })
        return self.sample()

    def sample(self) -> SampleResult:
        """The drawn sample (raises if none was drawn)."""
        plan = sampling_store.load_plan(self.db)
        if plan is None:
            raise AuditError("No sample has been drawn yet.")
        units = sampling_store.sampled_units(self.db)
        strata = {key: {"population": population, "sample": sample} for key, population, sample in sampling_store.strata(self.db)}
        selected = [u.ref for u in units if u.status == "selected"]
        reserve = [u.ref for u in units if u.status == "reserve"]
        return SampleResult(plan, strata, selected, reserve)

    def _check_strata_fields(self, fields: Sequence[str]) -> None:
        known = list(population_store.CANONICAL) + population_store.extra_columns(self.db)
        for name in fields:
            if name not in known:
                raise AuditError(f"Unknown stratum field '{name}' (population fields: {', '.join(known)}).")

    def frame(self, fields: Sequence[str]) -> tuple[sampling.StratifiedUnits, dict[str, int], str]:
        """In-frame units grouped by stratum key (also a sequence of (ref, stratum key)), stratum
        sizes, and the frame's SHA-256 (refs in order)."""
        refs, columns = population_store.frame_columns(self.db, fields)
        groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
        if len(fields) == 1:
            for ref, value in zip(refs, columns[0]):
                groups[value].append(ref)  # type: ignore[index]
            groups = {(value,): refs for value, refs in groups.items()}
        elif fields:
            for row in zip(refs, *columns):
                groups[row[1:]].append(row[0])
        elif refs:
            groups[()] = refs
        by_key: dict[str, list[str]] = {}
        for values, members in groups.items():  # a few hundred strata at most: name each once
            key = sampling.stratum_key(values)
            if key in by_key:
                by_key[key] += members  # values that name the same stratum, such as "" and " "
            else:
                by_key[key] = members
        populations = {key: len(members) for key, members in by_key.items()}
        return sampling.StratifiedUnits(by_key), populations, sampling.frame_sha256(sorted(refs))

    def _plan(self, request: SampleRequest, size: statistics.SampleSize, allocation: sampling.Allocation, seed: str,
              frame_size: int, frame_hash: str, fields: list[str], actor: str | None) -> sampling_store.Plan:
        size_method = "fixed" if request.size is not None else ("attribute" if request.tolerable is not None else "margin")
        if size_method == "attribute":
            basis = sampling.SizeBasis.attribute(request.confidence, request.tolerable, request.expected, size, frame_size)
        elif size_method == "margin":
            basis = sampling.SizeBasis.margin_of_error(request.confidence, request.margin, size, request.proportion, frame_size)
        else:
            basis = sampling.SizeBasis.fixed()
        statement = sampling.method_statement(
            allocation, seed=seed, frame_sha256=frame_hash, strata_fields=fields, reserve=request.reserve, basis=basis,
        )
        return sampling_store.Plan(
            created_at=events.now(), created_by=actor or default_actor(), size_method=size_method,
            confidence=request.confidence, tolerable=request.tolerable,
            expected=request.expected if request.tolerable is not None else None,
            margin=request.margin, proportion=request.proportion if request.margin is not None else None,
            requested_size=request.size, size=size.n, acceptance_number=size.acceptance_number,
            size_description=size.method, strata_fields=fields, allocation=allocation.method,
            min_per_stratum=request.min_per_stratum, disproportionate=allocation.disproportionate,
            reserve=request.reserve, seed=seed, frame_size=frame_size, frame_sha256=frame_hash, statement=statement,
        )

    def replace_unit(self, ref: str, reason: str, actor: str | None = None) -> tuple[str, str]:
        """Replace a selected file that turns out to be out of scope by its stratum's next reserve.

        :returns: (replaced ref, replacement ref)
        """
        if not reason.strip():
            raise AuditError("Give the reason the file is out of scope; it is recorded in the audit trail.")
        with self.database.transaction() as db:
            unit = sampling_store.sampled_unit(db, ref)
            if unit is None or unit.status != "selected":
                state = "not in the sample" if unit is None else f"a {unit.status} file, not a selected one"
                raise AuditError(f"File '{ref}' is {state}.")
            spare = sampling_store.next_reserve(db, unit.stratum)
            if spare is None:
                raise AuditError(f"No reserve file is left in stratum '{unit.stratum}' to replace '{ref}'.")
            sampling_store.mark_replaced(db, unit.unit_id, reason.strip())
            sampling_store.promote_reserve(db, spare.unit_id, unit.unit_id)
            events.append(db, actor or default_actor(), "sample.replace", "sample_unit", ref, {
                "ref": ref, "replacement": spare.ref, "stratum": unit.stratum, "replacement_rank": spare.rank,
            }, reason=reason.strip())
        return ref, spare.ref


def sample_size(request: SampleRequest, frame_size: int) -> statistics.SampleSize:
    """The total sample size ``request`` asks for, from a frame of ``frame_size`` files (attribute and
    margin designs take the frame as their population: the finite-population correction).

    :raises AuditError: for a size the frame cannot give, or rates out of range.
    """
    try:
        if request.size is not None:
            if request.size < 1:
                raise ValueError("the sample size must be at least 1")
            if request.size > frame_size:
                raise ValueError(f"a sample of {request.size:,} files cannot be drawn from the {frame_size:,} files "
                                 "in the sampling frame")
            return statistics.SampleSize(request.size, None, f"fixed size of {request.size}")
        if request.confidence is None:
            raise ValueError("give a sample size, or a confidence with a tolerable rate or a margin")
        if request.tolerable is not None:
            return statistics.attribute_sample_size(request.confidence, request.tolerable, request.expected, frame_size)
        if request.margin is not None:
            return statistics.margin_sample_size(request.confidence, request.margin, request.proportion, frame_size)
        raise ValueError("with a confidence, give a tolerable deviation rate or a margin of error")
    except ValueError as exc:
        raise AuditError(sentence(str(exc))) from None


def sentence(text: str) -> str:
    """A message as a sentence: capital first, one full stop."""
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."
