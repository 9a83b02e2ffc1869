"""Population services: preview a population file, import it into an audit, and what was imported.

An import is one write transaction with its event: every accepted row, or nothing. The preview
reads the file with the same reader (``core.population``), so what the wizard shows is what the
import does.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from audit_app.core import population as pop
from audit_app.errors import AuditError, PopulationError
from audit_app.paths import user_data_dir
from audit_app.services.audits import Audit, default_actor
from audit_app.store import events
from audit_app.store import population as population_store
from audit_app.store import sampling as sampling_store

Progress = Callable[[int, int], None]

# The offence groups the importer derives (cli.md, "Population fields"), and those a
# neighbourhood-crime audit covers.
OFFENCE_GROUPS: tuple[str, ...] = pop.OFFENCE_GROUPS
NEIGHBOURHOOD_GROUPS: tuple[str, ...] = ("burglary", "robbery", "theft_from_person", "vehicle")
group_label = pop.group_label  # the one way from a group code to its words
PREVIEW_ROWS = 10
BULK_MIN_BYTES = 8 * 1024 * 1024  # a file this large is written with a rollback journal (see import_population)
PRESET_NAMES: tuple[str, ...] = tuple(sorted(pop.PRESETS))  # the built-in column-mapping presets, by name
PRESETS_FILE = "mapping-presets.json"  # the user's saved presets, in the user's data folder

# How a field got its column, in words for the mapping table.
HOW_TEXT = {pop.HOW_PRESET: "from the preset", pop.HOW_MAP: "chosen by you", pop.HOW_HEADER: "matched by its header"}


# -- column-mapping presets: the built-in ones and the user's ------------------------------------


def _presets_path() -> Path:
    return user_data_dir() / PRESETS_FILE


def saved_presets() -> dict[str, dict[str, str]]:
    """The user's saved presets: name → (canonical field → column; "" = left unmapped on purpose).

    Kept in the user's data folder (not in an audit), so the next export from the same system,
    in the GUI or with ``audit-app import --preset NAME``, is mapped the same way. A file that
    cannot be read gives no presets rather than an error: the built-in ones still work.
    """
    try:
        data = json.loads(_presets_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    presets = data.get("presets", {}) if isinstance(data, dict) else {}
    return {str(name): {str(k): str(v) for k, v in fields.items()}
            for name, fields in presets.items() if isinstance(fields, dict)}


def all_presets() -> dict[str, dict[str, str]]:
    """Every preset by name: the built-in ones, then the user's saved ones."""
    return {**{name: dict(fields) for name, fields in pop.PRESETS.items()}, **saved_presets()}


def preset_names() -> list[str]:
    """The names ``--preset`` accepts: the built-in presets, then the saved ones, each sorted."""
    saved = sorted(n for n in saved_presets() if n not in pop.PRESETS)
    return [*PRESET_NAMES, *saved]


def save_preset(name: str, fields: Mapping[str, str]) -> str:
    """Save a column mapping under ``name`` for the next export from the same system (replacing a
    saved preset of that name); returns the name as saved.

    :param fields: canonical field → column; "" leaves a field unmapped on purpose.
    :raises AuditError: for an empty or built-in name, a mapping with no crime reference, or a
        settings file that cannot be written.
    """
    name = " ".join(name.split())
    if not name:
        raise AuditError("Give the preset a name, such as the system the export comes from.")
    if len(name) > 60:
        raise AuditError("A preset name is at most 60 characters.")
    if name in pop.PRESETS:
        raise AuditError(f"'{name}' is a built-in preset: choose another name.")
    unknown = [f for f in fields if f not in pop.CANONICAL_FIELDS]
    if unknown:
        raise AuditError(f"'{unknown[0]}' is not a field (the fields are {', '.join(pop.CANONICAL_FIELDS)}).")
    if not fields.get("ref"):
        raise AuditError("A preset must say which column holds the crime reference.")
    presets = saved_presets()
    presets[name] = {field: fields[field] for field in pop.CANONICAL_FIELDS if field in fields}
    path = _presets_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps({"presets": presets}, indent=2, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, path)  # never a half-written file
    except OSError as error:
        raise AuditError(f"Could not save the preset in {path}: {error.strerror or error}.") from None
    return name


# -- a population file, before it is imported -------------------------------------------------


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
    presets = all_presets()
    try:
        source = pop.open_population(path, preset=preset, mapping=mapping, presets=presets, require_ref=False)
        problem = ""
    except PopulationError as error:
        if preset is None and not mapping:
            raise
        source = pop.open_population(path, require_ref=False)  # raises for an unreadable file: nothing to show
        problem = str(error)
    problem = problem or _no_ref_problem(Path(path).name, source.mapping.fields)
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
        resolved = pop.resolve_mapping(preview.name, preview.header, preset, mapping, presets=all_presets(),
                                       require_ref=False)
    except PopulationError as error:
        return replace(preview, problem=str(error))
    return replace(preview, fields=dict(resolved.fields), how=dict(resolved.how), extras=tuple(resolved.extras),
                   problem=_no_ref_problem(preview.name, resolved.fields))


def _no_ref_problem(name: str, fields: Mapping[str, str]) -> str:
    if "ref" in fields:
        return ""
    return (f"No column of '{name}' was recognised as the crime reference: choose the column that holds it under "
            "Crime reference (and any other fields you want), then Import.")


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


def checklist_groups(audit: Audit) -> tuple[str, ...]:
    """The offence groups the audit's checklist is for (every group when it does not say)."""
    return audit.checklist.offence_groups or OFFENCE_GROUPS


def _with_checklist_scope(audit: Audit, name: str, fields: Mapping[str, str],
                          scope: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """``scope`` with the checklist's offence groups added, unless it already limits the groups."""
    out = {key: list(values) for key, values in scope.items()}
    if any("".join(c for c in key.casefold() if c.isalnum()) == "offencegroup" for key in scope):
        return out
    groups = checklist_groups(audit)
    if set(groups) == set(OFFENCE_GROUPS):
        return out
    if "offence" not in fields and "offence_group" not in fields:
        raise PopulationError(
            f"'{name}' has no offence column, so the checklist's offence groups "
            f"({', '.join(groups)}) cannot limit the sampling frame: name the column with --map offence=COLUMN, "
            "or take every row with --scope all.")
    out["offence_group"] = list(groups)
    return out


# -- importing --------------------------------------------------------------------------------


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
    scope: dict[str, list[str]] = field(default_factory=dict)
    short_rows: list[int] = field(default_factory=list)  # rows with fewer cells than the header (read, missing cells blank)
    long_rows: list[int] = field(default_factory=list)  # rows with more cells than the header
    header_cells: int = 0

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
            "scope": self.scope,
            "header_cells": self.header_cells,
            "short_rows": self.short_rows,
            "long_rows": self.long_rows,
            "row_widths_rule": ROW_WIDTHS_RULE,
        }

    def row_widths_text(self) -> str:
        """The short and long rows in one sentence ("" when every row is as wide as the header)."""
        return row_widths_text(self.source_name, self.header_cells, self.short_rows, self.long_rows)


ROWS_LISTED = 10  # short and long rows listed by number in the audit trail and in sentences (all in the JSON)
ROW_WIDTHS_RULE = ("a short row is imported with its missing cells blank; a long row is rejected (with the reason) when "
                   "it holds a value beyond the header, and imported when its surplus cells are all blank")


def _rows_list(rows: Sequence[int], total: int) -> str:
    shown = ", ".join(f"{row:,}" for row in rows[:ROWS_LISTED])
    return shown + (f" and {total - min(len(rows), ROWS_LISTED):,} more" if total > min(len(rows), ROWS_LISTED) else "")


def row_widths_text(name: str, header_cells: int, short: Sequence[int], long: Sequence[int],
                    short_count: int | None = None, long_count: int | None = None, *, bare: bool = False) -> str:
    """The short and long rows of an import in one sentence ("" when there are none).

    :param short_count: how many short rows there are, when ``short`` lists only the first of them.
    :param bare: the rows only, without what the import did with them (for a refusal).
    """
    short_count = len(short) if short_count is None else short_count
    long_count = len(long) if long_count is None else long_count
    parts = []
    if short_count:
        parts.append(f"{short_count:,} short row(s) (row {_rows_list(short, short_count)})"
                     + ("" if bare else ", imported with the missing cells blank"))
    if long_count:
        parts.append(f"{long_count:,} long row(s) (row {_rows_list(long, long_count)})"
                     + ("" if bare else ": rejected when a value lies beyond the header, imported when the surplus "
                                        "cells are blank"))
    if not parts:
        return ""
    return f"'{name}' has {header_cells} columns in its header but " + ("; and " if not bare else " and ").join(parts) + "."


# The unique index on unit(ref) is dropped for an import and built again after the rows are in
# (see _rebuild_ref_index) unless the audit holds this many times more units than the file has bytes.
REBUILD_BYTES_PER_UNIT = 16


@dataclass
class _ImportCounter:
    rows_read: int = 0
    imported: int = 0
    excluded: int = 0
    rejections: list[tuple[int, str, str]] = field(default_factory=list)
    widths: list[tuple[int, int]] = field(default_factory=list)


def import_population(
    audit: Audit,
    source: str | Path,
    *,
    preset: str | None = None,
    mapping: Mapping[str, str] | None = None,
    scope: Mapping[str, Sequence[str]] | None = None,
    actor: str | None = None,
    progress: Progress | None = None,
    worker_min_bytes: int | None = None,
    checklist_scope: bool = False,
    strict_rows: bool = False,
) -> ImportResult:
    """Import a population file: all accepted rows, or nothing.

    A large file is parsed in a worker process while this one inserts (see
    :meth:`pop.PopulationSource.row_batches`); the insert stays in this connection's one
    write transaction, with its event, so an error or an interruption records nothing.

    Real refs are hashes in no order: kept up row by row, their unique index alone made a
    million-row import take seven times the sqlite3 shell's own. So the index is built once, after
    the rows are in (``store.population.ref_index_rebuilt``), unless the audit already holds far
    more units than the file adds (:func:`_rebuild_ref_index`); and a file of
    :data:`BULK_MIN_BYTES` or more is written with a rollback journal when this connection has the
    audit to itself (``Audit.transaction(bulk=True)``), so that its pages are written once.

    :param preset: a built-in preset or one the user saved (:func:`save_preset`).
    :param worker_min_bytes: files of this size or more are read in a worker process
        (default :data:`pop.worker.WORKER_MIN_BYTES`; 0 always uses one, for tests).
    :param strict_rows: refuse the file (nothing imported) when a row has fewer or more cells than
        the header; otherwise they are counted and listed in the result (:data:`ROW_WIDTHS_RULE`).
    :param checklist_scope: unless ``scope`` names the offence groups, keep only the checklist's
        (:func:`checklist_groups`) in the sampling frame (the CLI's default; ``--scope all`` turns it off).
    :raises AuditError: once the sample is drawn (the frame must not change under it).
    :raises PopulationError: for an unreadable file, a mapping that does not fit it, or a file
        already imported into this audit (same SHA-256).
    """
    if sampling_store.has_plan(audit.db):
        raise AuditError("The sample has already been drawn: importing more files would change the sampling frame.")
    reader = pop.open_population(source, preset=preset, mapping=mapping, presets=all_presets())
    _refuse_reimport(audit, reader.sha256, Path(source).name)
    if checklist_scope:
        scope = _with_checklist_scope(audit, Path(source).name, reader.mapping.fields, scope or {})
    reader.set_scope(scope or {})
    actor = actor or default_actor()
    counter = _ImportCounter()
    bulk = reader.size_bytes >= BULK_MIN_BYTES
    # The worker (if any) starts reading before the transaction begins, and is stopped when
    # the block is left, whatever happens.
    with reader.row_batches(progress, worker_min_bytes=worker_min_bytes) as batches, \
            audit.transaction(bulk=bulk) as db:
        units = population_store.unit_count(db)
        known = population_store.existing_refs(db) if units else set()
        batch_id = population_store.insert_batch(
            db, source_name=Path(source).name, sha256="", format=reader.format, encoding=reader.encoding,
            delimiter=reader.delimiter, mapping={"fields": reader.mapping.fields, "how": reader.mapping.how},
            extras=list(reader.mapping.extras), scope={k: list(v) for k, v in (scope or {}).items()},
            rows_read=0, imported=0, rejected=0, excluded=0, imported_at=events.now(), imported_by=actor,
        )
        rebuild = _rebuild_ref_index(units, reader.size_bytes)
        digest = pop.ColumnsDigest()  # every value of every unit imported, for verify
        with population_store.ref_index_rebuilt(db) if rebuild else nullcontext():
            for batch in batches.read(known):
                population_store.insert_units(db, batch_id, batch.columns)
                digest.update(batch.columns)
                counter.imported += len(batch)
                counter.excluded += batch.excluded
                counter.rejections += batch.rejections
                counter.widths += batch.widths
        counter.rows_read = reader.rows_read
        width = len(reader.header)
        short = [row for row, cells in counter.widths if cells < width]
        long = [row for row, cells in counter.widths if cells > width]
        if strict_rows and (short or long):
            raise PopulationError(row_widths_text(Path(source).name, width, short, long, bare=True).rstrip(".")
                                  + ", so nothing was imported (rows must be as wide as the header).")
        population_store.insert_rejections(db, batch_id, counter.rejections)
        population_store.update_batch_counts(db, batch_id, counter.rows_read, counter.imported, len(counter.rejections), counter.excluded)
        population_store.set_batch_sha256(db, batch_id, reader.sha256)
        result = ImportResult(
            batch_id, Path(source).name, counter.rows_read, counter.imported, len(counter.rejections), counter.excluded,
            counter.imported - counter.excluded, counter.rejections, reader.sha256, dict(reader.mapping.fields),
            dict(reader.mapping.how), list(reader.mapping.extras), {k: list(v) for k, v in (scope or {}).items()},
            short, long, width,
        )
        events.append(db, actor, "population.import", "import_batch", batch_id, {
            "source": result.source_name, "sha256": result.sha256, "rows_read": result.rows_read,
            "imported": result.imported, "rejected": result.rejected, "excluded": result.excluded,
            "mapping": result.mapping, "scope": {k: list(v) for k, v in (scope or {}).items()},
            "units_sha256": digest.hexdigest(), "header_cells": width, "short_rows": len(short), "long_rows": len(long),
            "short_rows_first": short[:ROWS_LISTED], "long_rows_first": long[:ROWS_LISTED],
        })
    return result


def _refuse_reimport(audit: Audit, sha256: str, name: str) -> None:
    """Refuse a file whose bytes were imported before: every row would be rejected as a duplicate."""
    earlier = next((b for b in population_store.batches(audit.db) if b.sha256 == sha256), None)
    if earlier is not None:
        called = f", as '{earlier.source_name}'" if earlier.source_name != name else ""
        raise PopulationError(
            f"'{name}' was already imported into this audit on {imported_on(earlier.imported_at)} "
            f"(batch {earlier.id}{called}): its rows are in already, so nothing was imported.")


def imported_on(timestamp: str) -> str:
    """An import's ISO timestamp as a date in words, e.g. "5 December 2026"."""
    try:
        when = dt.datetime.fromisoformat(timestamp)
    except ValueError:
        return timestamp
    return f"{when.day} {when:%B %Y}"


def _rebuild_ref_index(units: int, size_bytes: int) -> bool:
    """Whether an import into an audit of ``units`` units, from a file of ``size_bytes``, should
    drop the unique index on unit(ref) while it inserts, and build it again once the rows are in.

    Refs come in no particular order (police.uk's are hashes), so once the index outgrows
    SQLite's page cache every insert into it misses the cache (and the pages it evicts go to
    the WAL and are read back): about 15 s per million rows. Building the index again sorts
    every ref, old and new: under a second per million units. So it pays unless the audit
    already holds many more units than the file adds (taking a row to be at most 256 bytes;
    a police.uk row is about 250): :data:`REBUILD_BYTES_PER_UNIT`.
    """
    return units * REBUILD_BYTES_PER_UNIT <= size_bytes


# -- what was imported ------------------------------------------------------------------------


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
    batch: int = 0
    imported_at: str = ""
    row_widths: str = ""  # the short and long rows in a sentence ("" for none, or an import recorded before they were)

    @property
    def in_frame(self) -> int:
        return self.imported - self.excluded

    def exclusion_reason(self) -> str:
        """Why rows were excluded (imported but kept out of the sampling frame), in words."""
        parts = []
        groups = self.scope.get("offence_group")
        if groups:
            parts.append("an offence group other than " + _or_list([_lower_first(group_label(g)) for g in groups]))
        months = self.scope.get("month")
        if months:
            parts.append("a month outside " + (months[0] if len(months) == 1 else f"{months[0]} to {months[-1]}"))
        for name, values in self.scope.items():
            if name not in ("offence_group", "month"):
                parts.append(f"a {name} other than {_or_list(values)}")
        return ("outside the scope: " + "; or ".join(parts)) if parts else "outside the scope"


def imports(audit: Audit) -> list[ImportSummary]:
    """Every import into the audit so far, oldest first, with its counts and rejections."""
    logged = {e.entity_id: e.detail for e in events.iterate(audit.db, "import_batch")}
    return [
        ImportSummary(b.source_name, b.rows_read, b.imported, b.rejected, b.excluded,
                      population_store.rejections(audit.db, b.id), b.sha256, dict(b.scope), b.id, b.imported_at,
                      _row_widths(b.source_name, logged.get(str(b.id), {})))
        for b in population_store.batches(audit.db)
    ]


def _row_widths(name: str, detail: Mapping[str, Any]) -> str:
    try:
        return row_widths_text(name, int(detail.get("header_cells", 0)), list(detail.get("short_rows_first", [])),
                               list(detail.get("long_rows_first", [])), int(detail.get("short_rows", 0)),
                               int(detail.get("long_rows", 0)))
    except (TypeError, ValueError):  # a hand-edited entry: verify says so; the summary just leaves it out
        return ""


def strata_fields(audit: Audit) -> list[str]:
    """The fields a sample may be stratified by: the mapped canonical fields (with the offence group
    when the offence is mapped), then the extra columns."""
    mapped: set[str] = set()
    for batch in population_store.batches(audit.db):
        mapped.update(batch.mapping.get("fields", {}))
    if "offence" in mapped:
        mapped.add("offence_group")
    fields = [f for f in pop.CANONICAL_FIELDS if f in mapped and f != "ref"]
    return fields + population_store.extra_columns(audit.db)


def in_frame(audit: Audit) -> int:
    """Files in the sampling frame, over all imports."""
    return population_store.unit_count(audit.db, in_frame_only=True)


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


def out_of_scope_groups(audit: Audit) -> dict[str, int]:
    """Files in the sampling frame whose offence group the checklist is not for, per group
    (empty when the frame holds none, or the checklist does not say which groups it is for)."""
    wanted = set(checklist_groups(audit))
    return {group: count for group, count in sorted(population_store.frame_group_counts(audit.db).items())
            if group and group not in wanted}


def out_of_scope_warning(counts: Mapping[str, int], checklist_title: str = "the checklist") -> str:
    """A sentence warning that files outside the checklist's offence groups may be drawn ("" for none)."""
    if not counts:
        return ""
    total = sum(counts.values())
    listed = "; ".join(f"{_lower_first(group_label(g))}: {n:,}" for g, n in counts.items())
    return (f"{total:,} {'file' if total == 1 else 'files'} in the sampling frame {'is' if total == 1 else 'are'} in "
            f"offence groups {checklist_title} is not for ({listed}), and may be drawn. To leave them out, set up "
            "the audit again with the checklist's scope.")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _or_list(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
