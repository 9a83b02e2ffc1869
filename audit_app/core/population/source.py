"""The source: an opened population file, to preview and to read.

:func:`open_population` scans the file (format, encoding, hash), finds its header and resolves
the column mapping and scope; the :class:`PopulationSource` it returns previews the first rows,
and reads them all, either as :class:`~audit_app.core.population.rows.PopulationRow` objects
and rejections (:meth:`PopulationSource.read`) or as insert-ready batches
(:meth:`PopulationSource.row_batches`). It is what a worker process is given (pickled), so it
holds only plain data.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from itertools import repeat
from pathlib import Path

from audit_app.core.population.files import _CsvRecords, _header_names, _Records, _Scan, _scan, _sniff_file, _XlsxRecords
from audit_app.core.population.mapping import _scope_checks, resolve_mapping
from audit_app.core.population.rows import (
    _BLANK,
    PopulationRow,
    Progress,
    Rejection,
    _decide,
    _parse_records,
    _Parsed,
    _ReadState,
    _RowPlan,
    _Ticker,
)
from audit_app.core.population.worker import RowBatches
from audit_app.errors import PopulationError


def open_population(
    path: str | Path,
    *,
    preset: str | None = None,
    mapping: Mapping[str, str] | None = None,
    scope: Mapping[str, Sequence[str]] | None = None,
    presets: Mapping[str, Mapping[str, str]] | None = None,
    require_ref: bool = True,
) -> PopulationSource:
    """Open a population file: scan it, find its header and resolve the mapping and scope.

    Nothing is imported yet: iterate :meth:`PopulationSource.read` for the rows.

    :param preset: a key of ``presets`` (``"police-uk"``).
    :param presets: the presets known by name (default :data:`PRESETS`).
    :param require_ref: refuse a file with no ref column (``False`` for a preview).
    :param mapping: ``--map`` pairs, canonical field → column header.
    :param scope: field (canonical or extra column) → allowed values; other rows are out of frame.
    :raises PopulationError: for a file that is not a readable CSV or XLSX population, or a
        mapping or scope that does not fit it.
    """
    path = Path(path)
    return PopulationSource(path, _scan(path), preset, mapping or {}, scope or {}, presets, require_ref)


class PopulationSource:
    """An opened population file, ready to preview and to read.

    :ivar format: ``"csv"`` or ``"xlsx"``.
    :ivar encoding: ``"utf-8"``, ``"utf-8-sig"``, ``"utf-16"`` or ``"cp1252"``; "" for XLSX.
    :ivar delimiter: ``","``, ``";"`` or ``"\\t"``; "" for XLSX.
    :ivar header: the column names (blank ones named "Column N", repeats "Name (2)").
    :ivar header_row: the row number of the header (1 unless blank or title rows come first).
    :ivar sha256: the SHA-256 of the file's bytes.
    :ivar rows_read: data rows read (blank rows aside), once :meth:`read` is exhausted.
    """

    def __init__(
        self, path: Path, scan: _Scan, preset: str | None, mapping: Mapping[str, str], scope: Mapping[str, Sequence[str]],
        presets: Mapping[str, Mapping[str, str]] | None = None, require_ref: bool = True,
    ):
        """Use :func:`open_population`, which scans the file first."""
        self.path = path
        self.format = scan.format
        self.encoding = scan.encoding
        self.size_bytes = scan.size
        self.sha256 = scan.sha256
        self.rows_read = 0
        self._scan = scan
        self.delimiter = _sniff_file(path, scan.encoding) if scan.format == "csv" else ""
        self.header_row, self.header = self._find_header()
        self.mapping = resolve_mapping(path.name, self.header, preset, mapping, presets=presets, require_ref=require_ref)
        self.set_scope(scope)

    def set_scope(self, scope: Mapping[str, Sequence[str]]) -> None:
        """Mark rows outside ``scope`` (field → allowed values) as out of frame, from the next read on.

        :raises PopulationError: for a scope that names no field, or a field no column feeds.
        """
        self._scope = _scope_checks(self.path.name, scope, self.mapping, self.header)

    def _open_records(self) -> _Records:
        if self.format == "xlsx":
            return _XlsxRecords(self.path, self.size_bytes)
        return _CsvRecords(self.path, self.encoding, self.delimiter)

    def _find_header(self) -> tuple[int, tuple[str, ...]]:
        number = 0
        with self._open_records() as records:
            while batch := records.take(64):
                for cells in batch:
                    number += 1
                    if any(cell.strip() for cell in cells):
                        return number, _header_names(cells)
        raise PopulationError(f"'{self.path.name}' has no header row: every row is blank.")

    def preview(self, rows: int = 10) -> list[tuple[str, ...]]:
        """The first ``rows`` data rows as written (stripped, as wide as the header), blank rows skipped."""
        width = len(self.header)
        out: list[tuple[str, ...]] = []
        with self._open_records() as records:
            records.take(self.header_row)
            while len(out) < rows and (batch := records.take(rows)):
                for cells in batch:
                    cells = [cell.strip() for cell in cells[:width]]
                    if any(cells) and len(out) < rows:
                        out.append(tuple(cells + [""] * (width - len(cells))))
        return out

    def read(self, progress: Progress | None = None) -> Iterator[PopulationRow | Rejection]:
        """Accepted rows and rejections, in file order.

        :param progress: called with (bytes done, bytes in total) about every 1%, and at the end.
        :raises PopulationError: if the file changed since it was opened, or cannot be parsed.
        """
        state = _ReadState()
        new = object.__new__
        for parsed in self._parsed_batches(progress, encode=False):
            decisions = _decide(state, parsed)
            refs, offences, groups, areas, months, outcomes, officers = parsed.columns
            rows = zip(parsed.numbers(), refs, offences, groups, areas, months, outcomes, officers,
                       zip(*parsed.extras) if parsed.extras else repeat(()),
                       repeat(True) if parsed.flags is None else map(bool, parsed.flags))
            for values, decision in zip(rows, repeat(None) if decisions is None else map(decisions.get, range(parsed.count))):
                if decision is not None:
                    if decision is not _BLANK:
                        yield decision
                    continue
                # The rows are built here, not by a function: a call per row costs a tenth of a
                # second per million rows. The frozen instance's __dict__ is filled directly
                # because the generated __init__ sets each field through object.__setattr__,
                # which costs half a second more.
                item = new(PopulationRow)
                fill = item.__dict__
                (fill["row"], fill["ref"], fill["offence"], fill["offence_group"], fill["area"], fill["month"],
                 fill["outcome"], fill["officer"], fill["extras"], fill["in_frame"]) = values
                yield item
        self.rows_read -= state.blank

    def row_batches(
        self, progress: Progress | None = None, *, worker_min_bytes: int | None = None, chunk_rows: int | None = None
    ) -> RowBatches:
        """The rows of :meth:`read`, ready to insert, a batch at a time: use as a context manager.

        A file of ``worker_min_bytes`` or more (default :data:`.worker.WORKER_MIN_BYTES`) is parsed in a
        worker process while the caller inserts, so parsing and inserting use two cores; a
        smaller one is read in this process (starting a process costs more than it saves).
        The batches are the same either way. Leaving the ``with`` block stops the worker.

        :param progress: as for :meth:`read`; called in the calling thread, once the batch
            that reached that point has been inserted.
        :param chunk_rows: records per batch, about (default :data:`.worker.CHUNK_ROWS`).
        """
        return RowBatches(self, progress, worker_min_bytes, chunk_rows)

    def _parsed_batches(self, progress: Progress | None, encode: bool) -> Iterator[_Parsed]:
        """Every batch of records, parsed (see :func:`.rows._parse_records`); sets ``rows_read`` to
        the records read, blank ones included (the caller, which decides rows, takes those off).

        :param encode: hold the extra values as encoded texts (:func:`encode_extras`), not columns.
        """
        self._check_unchanged()
        self.rows_read = 0
        plan = _RowPlan(self.header, self.mapping, self._scope)
        with self._open_records() as records:
            ticker = _Ticker(self.size_bytes, progress) if progress else None
            records.take(self.header_row)
            end = yield from _parse_records(records, plan, self.header_row + 1, encode, ticker)
        self.rows_read = end - self.header_row - 1
        self._check_unchanged()
        if progress:
            progress(self.size_bytes, self.size_bytes)

    def _check_unchanged(self) -> None:
        try:
            stat = self.path.stat()
        except OSError as exc:
            raise PopulationError(f"'{self.path.name}' can no longer be read: {exc.strerror or exc}.") from exc
        if (stat.st_size, stat.st_mtime_ns) != (self._scan.size, self._scan.mtime_ns):
            raise PopulationError(f"'{self.path.name}' changed after it was opened: import it again.")

