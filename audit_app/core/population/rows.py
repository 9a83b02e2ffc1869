"""The rows of a read: records parsed into field columns, then decided (accepted or rejected).

Row numbers are those a spreadsheet shows: the header of an ordinary file is row 1, and a CSV
row is a record, not a line (a quoted field may span lines). Blank records (no value in any
cell) are skipped: they are neither read nor rejected.

Speed matters (the whole import must stay within twice the time SQLite's own ``.import`` takes
on the same file), so rows are worked a batch at a time, column by column, with dict caches for
dates and offence groups: see "The rows of a read" below. An import takes the rows as
insert-ready columns (:class:`RowBatch`), made here from parsed runs of records whether those
were parsed in this process or in a worker (``worker``): see "Insert-ready batches" below.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import partial
from itertools import compress, repeat
from operator import and_, is_, is_not, itemgetter, ne
from typing import Any

from audit_app.core.population.fields import EXTRA_SEPARATOR, JSON_MARKER, MONTH_HINT, encode_extras, offence_group, parse_month
from audit_app.core.population.files import _Records
from audit_app.core.population.mapping import ColumnMapping, _ScopeCheck

CACHE_LIMIT = 100_000  # distinct values kept per cache: dates with times can all differ
BATCH_ROWS = 256  # small enough for a batch's strings to stay in the CPU cache between steps

Progress = Callable[[int, int], None]

_NOT_A_MONTH = object()  # cached for a month text that failed to parse, so it is parsed once
# The longest reference accepted: force crime numbers and police.uk's 64-hex Crime IDs are far
# shorter; a longer "reference" is rows run together (a quote opened and never closed).
REF_MAX = 200


@dataclass(frozen=True)
class Rejection:
    """A data row that is not imported, and why.

    :param row: the row number a spreadsheet shows (the header of an ordinary file is row 1).
    :param ref: the row's ref as written ("" when empty).
    """

    row: int
    ref: str
    reason: str


@dataclass(frozen=True)
class PopulationRow:
    """An accepted data row: the canonical fields, the extra columns and whether it is in scope.

    Canonical fields are "" when unmapped or empty; ``month`` is ``YYYY-MM`` or "".

    :param extras: the values of the unmapped columns, in ``ColumnMapping.extras`` order.
    :param in_frame: False when the scope excludes the row (it is imported but not sampled).
    """

    row: int
    ref: str
    offence: str
    offence_group: str
    area: str
    month: str
    outcome: str
    officer: str
    extras: tuple[str, ...]
    in_frame: bool



# ---------------------------------------------------------------------------------------------
# The rows of a read, a batch at a time
#
# This is the hot path of an import. A Python statement per cell or per row costs about a
# tenth of a second per million rows, so a batch is worked column by column with C-level
# map() calls (strip, cache look-ups), and the rows of a run take their refs in one pass
# (dict.setdefault over the rows that can be accepted): only the rows that are not accepted
# (an empty, repeated or known ref, a bad month: a few in a real file) are looked at one by one.
#
# The rules are applied in two steps, each written once and used by read() (PopulationRow
# objects, for the tests and the preview) and by row_batches() (insert-ready columns):
#
# 1. _parse_batch, which needs nothing from earlier batches: cells to stripped field columns,
#    months, offence groups, scope, and which rows are blank, have no ref or a bad month;
# 2. _decide, which remembers the refs taken so far: rejects repeated refs and the rows that
#    step 1 found wanting, in the order the rules give, and takes the refs of the rest.
#
# An import with a worker process runs step 1 there and step 2 in the importing process, so
# the two processes share the work about evenly.


class _Caches:
    """Values worked out once per distinct text (real files repeat a few values many times)."""

    def __init__(self) -> None:
        self.months: dict[str, Any] = {}  # text -> "YYYY-MM", "" or _NOT_A_MONTH
        self.groups: dict[str, str] = {}  # offence -> offence group


class _ReadState:
    """What deciding rows remembers from batch to batch."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}  # ref -> row of the accepted row that took it
        self.blank = 0  # blank records skipped


class _RowPlan:
    """The precomputed index work of a read: which column feeds which field."""

    def __init__(self, header: Sequence[str], mapping: ColumnMapping, scope: tuple[_ScopeCheck, ...]):
        self.width = len(header)
        self.pad = [""] * self.width
        blank = self.width  # index of the blank column added to every batch
        index = {field: header.index(column) for field, column in mapping.fields.items()}
        order = ("ref", "offence", "area", "month", "outcome", "officer", "offence_group")
        self.pick = itemgetter(*(index.get(field, blank) for field in order))
        self.group_mapped = "offence_group" in index
        self.extra_indexes = [header.index(column) for column in mapping.extras]
        # Per scope check: where its values come from, whether a value is allowed (1 or 0), and
        # the cache of those answers.
        self.scope: list[tuple[str | int, Callable[[Any], int], dict[str, int]]] = [
            (check.source, partial(_allowed, check.allowed), {}) for check in scope
        ]

    def columns(self, batch: list[list[str]]) -> list[list[str]]:
        """The batch's stripped columns, as wide as the header, plus one blank column."""
        width = self.width
        if set(map(len, batch)) != {width}:
            batch = [(cells + self.pad)[:width] for cells in batch]  # short rows padded, long cut
        strip = str.strip
        columns = [list(map(strip, column)) for column in zip(*batch)]
        columns.append([""] * len(batch))
        return columns

    def in_frame(self, columns: list[list[str]], months: list[Any], groups: list[str]) -> list[int] | None:
        """1 or 0 per row: whether it is in scope; None when there is no scope (every row is)."""
        if not self.scope:
            return None
        flags = [1] * len(months)
        for source, allowed, cache in self.scope:
            values = columns[source] if isinstance(source, int) else months if source == "month" else groups
            inside = _cached(cache, values, allowed)
            flags = list(map(and_, flags, inside))
        return flags


def _allowed(allowed: frozenset[str], value: Any) -> int:
    """1 if ``value`` is one of the ``allowed`` (case-folded) texts, else 0.

    (A month that failed to parse is _NOT_A_MONTH, not text: its row is rejected anyway.)
    """
    return int(isinstance(value, str) and value.casefold() in allowed)


# What step 1 notes of a row for step 2 (small ints and texts, so a worker can send them).
_BLANK_RECORD = 1  # no value in any cell: skipped, neither read nor rejected
_EMPTY_REF = 2  # some value, but no ref: rejected
# (a text: the month as written, which is not a date: rejected unless the ref is a repeat)

_BLANK = object()  # the decision for a blank record
# Notes of more than a code are tuples, never objects, so that a worker can send them (marshal, which
# refuses any other object). A long row with values beyond the header: (_SURPLUS, its cells, the header's).
_SURPLUS = "surplus cells"


# A row whose field holds line breaks: (_RUN_ON, the line breaks in the cell: the rows run into it).
_RUN_ON = "run-on"
# A row whose reference is longer than REF_MAX: (_TOO_LONG, its length).
_TOO_LONG = "too long"


@dataclass(slots=True)
class _Parsed:
    """Step 1's result for a run of records (a batch, or batches joined into a chunk).

    :param first: the row number of the first record.
    :param count: the number of records.
    :param columns: refs, offences, groups, areas, months, outcomes, officers (stripped; the
        month of a row whose month is not a date is "").
    :param extras: the extra columns, or (encoded) one text per row.
    :param flags: in frame (1) or not (0) per row; None when every row is.
    :param problems: per row, None or what step 2 must reject or skip it for (``_BLANK_RECORD``,
        ``_EMPTY_REF``, a ``_SURPLUS`` tuple, or the month text that is not a date); None when no row has any.
    :param widths: (row, number of cells) of every non-blank row shorter or longer than the header
        (a short row is read with its missing cells blank); None when every row is as wide.
    """

    first: int
    count: int
    columns: list[list[str]]
    extras: list[Any]
    flags: list[int] | None
    problems: list[Any] | None
    widths: list[tuple[int, int]] | None = None  # (row, cells) of each non-blank row not as wide as the header

    def numbers(self) -> range:
        return range(self.first, self.first + self.count)


def _parse_batch(plan: _RowPlan, caches: _Caches, first: int, batch: list[list[str]], encode: bool) -> _Parsed:
    """Step 1 for one batch of records, the first being row ``first``."""
    widths, surplus = _wrong_widths(batch, plan.width, first)
    columns = plan.columns(batch)
    refs, offences, areas, month_texts, outcomes, officers, group_texts = plan.pick(columns)
    months = _cached(caches.months, month_texts, _month_value)
    groups = group_texts if plan.group_mapped else _cached(caches.groups, offences, offence_group)
    flags = plan.in_frame(columns, months, groups)
    problems = None
    # A line break is never part of a reference, offence, area, month or outcome: one there means a
    # quote was opened and never closed, and the rows after it were read into that cell.
    run_on = "\n" in "".join(refs) or "\n" in "".join(offences) or "\n" in "".join(areas) or \
        "\n" in "".join(month_texts) or "\n" in "".join(outcomes)
    if "" in refs or _NOT_A_MONTH in months or run_on or max(map(len, refs), default=0) > REF_MAX or surplus:
        problems = _problems(batch, refs, months, month_texts, (offences, areas, month_texts, outcomes))
        months = ["" if month is _NOT_A_MONTH else month for month in months]
        for index in surplus:  # values beyond the header are never dropped silently: the row is rejected
            if problems[index] not in (_EMPTY_REF, _BLANK_RECORD):
                problems[index] = (_SURPLUS, len(batch[index]), plan.width)
    extras = [columns[i] for i in plan.extra_indexes]
    return _Parsed(first, len(batch), [refs, offences, groups, areas, months, outcomes, officers],
                   _encoded_extras(extras, len(batch)) if encode else extras, flags, problems, widths)


def _wrong_widths(batch: list[list[str]], width: int, first: int) -> tuple[list[tuple[int, int]] | None, list[int]]:
    """(row, cells) of the non-blank records not as wide as the header (None when all are), and the
    indexes of the long ones holding a value beyond the header."""
    if set(map(len, batch)) == {width}:
        return None, []
    strip = str.strip
    widths = [(first + index, len(cells)) for index, cells in enumerate(batch)
              if len(cells) != width and any(map(strip, cells))]
    surplus = [index for index, cells in enumerate(batch) if len(cells) > width and any(map(strip, cells[width:]))]
    return widths or None, surplus


def _parse_records(records: _Records, plan: _RowPlan, first: int, encode: bool, ticker: _Ticker | None) -> Generator[_Parsed, None, int]:
    """Step 1 for every record left in ``records``, a batch of :data:`BATCH_ROWS` at a time, the
    first being row ``first``; returns the row number after the last record."""
    caches = _Caches()
    number = first  # the row number of the batch's first record
    while batch := records.take(BATCH_ROWS):
        yield _parse_batch(plan, caches, number, batch, encode)
        number += len(batch)
        if ticker:
            ticker.tick(records.position())
    return number


def _problems(batch: list[list[str]], refs: list[str], months: list[Any], month_texts: list[str],
              others: tuple[list[str], ...] = ()) -> list[Any]:
    problems: list[Any] = []
    add = problems.append
    for index, (cells, ref, month, month_text) in enumerate(zip(batch, refs, months, month_texts)):
        if not ref:
            add(_EMPTY_REF if any(map(str.strip, cells)) else _BLANK_RECORD)
        elif "\n" in ref or any("\n" in column[index] for column in others):
            add((_RUN_ON, max(ref.count("\n"), *(column[index].count("\n") for column in others))))
        elif len(ref) > REF_MAX:
            add((_TOO_LONG, len(ref)))
        elif month is _NOT_A_MONTH:
            add(month_text)
        else:
            add(None)
    return problems


def _decide(state: _ReadState, parsed: _Parsed) -> dict[int, Any] | None:
    """Step 2: None when every row is accepted, else the rows that are not, by their index in
    the run (in no particular order): a :class:`Rejection`, or ``_BLANK`` (a blank record,
    skipped). The refs of the accepted rows are taken either way.

    The rules, row by row in file order: skip a blank record; reject a row without a ref, then a
    row whose ref an earlier accepted row took, then a row whose month is not a date; accept the
    rest, each taking its ref. Only accepted rows take refs, and the rows that can be accepted
    are known from step 1 (those without a problem), so all of them take their refs in one pass
    with ``dict.setdefault``, which keeps the first row to take a ref: a row it returns another
    row for is a repeat of that row. A row with a bad month is then a repeat exactly when its
    ref was taken by a row before it. Only the rows that are not accepted are looked at one by
    one: the dict holds a million refs by the end of a large file, each look-up is a cache miss,
    and a Python statement per row would cost a tenth of a second per million rows.
    """
    refs, problems, count = parsed.columns[0], parsed.problems, parsed.count
    seen = state.seen
    numbers = parsed.numbers()
    if problems is None:
        candidates: Sequence[str] = refs
        candidate_numbers: Sequence[int] = numbers
        indexes: Sequence[int] = range(count)
    else:
        free = list(map(is_, problems, repeat(None)))
        candidates = list(compress(refs, free))
        candidate_numbers = list(compress(numbers, free))
        indexes = list(compress(range(count), free))
    before = len(seen)
    taken = list(map(seen.setdefault, candidates, candidate_numbers))  # the row that holds each ref now
    if problems is None and len(seen) == before + count:
        return None
    out: dict[int, Any] = {}
    if len(seen) != before + len(candidates):  # some candidates repeat a ref
        for index, number, first in compress(zip(indexes, candidate_numbers, taken), map(ne, taken, candidate_numbers)):
            out[index] = Rejection(number, refs[index], f"duplicate ref (first seen in row {first})")
    if problems is not None:
        for index in compress(range(count), map(is_not, problems, repeat(None))):
            problem, number = problems[index], parsed.first + index
            if problem == _BLANK_RECORD:
                state.blank += 1
                out[index] = _BLANK
            elif problem == _EMPTY_REF:
                out[index] = Rejection(number, "", "empty ref")
            elif isinstance(problem, tuple) and problem[:1] == (_SURPLUS,):
                out[index] = Rejection(number, refs[index][:REF_MAX], (
                    f"{problem[1]:,} cells where the header has {problem[2]:,}: the values beyond the header would be "
                    "lost, so the row is not imported; fix it (a delimiter inside an unquoted value?) and import again"))
            elif isinstance(problem, tuple) and problem[0] == _RUN_ON:
                out[index] = Rejection(number, refs[index][:REF_MAX], (
                    f"a cell runs over {problem[1]:,} line break(s): a quote opened in this row is closed only "
                    f"{problem[1]:,} line(s) later, so the rows between were read into it and are not imported; "
                    "fix the quote and import again"))
            elif isinstance(problem, tuple) and problem[0] == _TOO_LONG:
                out[index] = Rejection(number, refs[index][:REF_MAX], (
                    f"a reference of {problem[1]:,} characters is not a reference (at most {REF_MAX}): rows run "
                    "together, or the wrong column is mapped to ref"))
            elif (holder := seen.get(ref := refs[index])) is not None and holder < number:
                out[index] = Rejection(number, ref, f"duplicate ref (first seen in row {holder})")
            else:
                out[index] = Rejection(number, ref, f"Month '{problem}' is not a recognised date ({MONTH_HINT})")
    return out


def _month_value(text: str) -> Any:
    """The cached value of a month text: ``YYYY-MM``, "" when empty, or _NOT_A_MONTH."""
    month = parse_month(text)
    return _NOT_A_MONTH if month is None else month


def _cached(cache: dict[str, Any], keys: list[str], compute: Callable[[str], Any]) -> list[Any]:
    """``compute`` of every key, through ``cache``: real files repeat a few values many times."""
    found = list(map(cache.get, keys))
    if None in found:
        for index, value in enumerate(found):
            if value is None:
                key = keys[index]
                if len(cache) >= CACHE_LIMIT:
                    cache.clear()  # dates with times of day can all differ: keep memory bounded
                found[index] = cache[key] = compute(key)
    return found


def _encoded_extras(columns: list[list[str]], count: int) -> list[str]:
    """:func:`encode_extras` of every row's extra values, given the extra columns of a batch of ``count`` rows."""
    if not columns:
        return [""] * count
    joined = list(map(EXTRA_SEPARATOR.join, zip(*columns)))
    # One check for the whole batch: no value holds a marker or a separator (every row then
    # has exactly one separator fewer than it has values), so joining is what encode_extras does.
    whole = "".join(joined)
    if JSON_MARKER not in whole and whole.count(EXTRA_SEPARATOR) == len(joined) * (len(columns) - 1):
        return joined
    return list(map(encode_extras, zip(*columns)))


class _Ticker:
    """Calls ``progress`` about every 1% of the bytes."""

    def __init__(self, total: int, progress: Progress):
        self.total = total
        self.progress = progress
        self.step = max(total // 100, 1)
        self.next_bytes = self.step

    def tick(self, done: int) -> None:
        if done >= self.next_bytes:
            self.progress(min(done, self.total), self.total)
            self.next_bytes = done + self.step


# ---------------------------------------------------------------------------------------------
# Insert-ready batches (made from parsed runs, whether parsed here or in a worker: see worker.py)


@dataclass(frozen=True, slots=True)
class RowBatch:
    """Accepted rows ready to insert, and the rows rejected, from a stretch of the file.

    The accepted rows are held as columns, one list per :data:`ROW_COLUMNS` entry (extras
    encoded by :func:`encode_extras`, in_frame 1 or 0): a worker process sends ten lists much
    faster than a million tuples, and the store binds them a statement of many rows at a time.

    :param columns: the values of the accepted rows, in file order, column by column.
    :param rejections: (row, ref, reason) in file order.
    :param excluded: how many accepted rows are out of frame (in_frame 0).
    """

    columns: list[list[Any]]
    rejections: list[tuple[int, str, str]]
    excluded: int
    widths: list[tuple[int, int]] = field(default_factory=list)  # (row, cells) of rows not as wide as the header

    def __len__(self) -> int:
        """The number of accepted rows."""
        return len(self.columns[0])

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """The accepted rows as tuples in :data:`ROW_COLUMNS` order (an iterator: once only)."""
        return zip(*self.columns)


ALREADY_IMPORTED = "duplicate ref (already imported into this audit)"


def _row_batch(state: _ReadState, parsed: _Parsed, known: AbstractSet[str]) -> RowBatch:
    """Step 2 for a parsed run of records (extras encoded) as an insert-ready batch.

    A row whose ref is in ``known`` (taken by an earlier import) is rejected after the reader
    accepted it, so its ref is taken all the same: a later row with it is a duplicate of it.
    """
    decisions = _decide(state, parsed)
    columns: list[list[Any]] = [list(parsed.numbers()), *parsed.columns, parsed.extras,
                                [1] * parsed.count if parsed.flags is None else parsed.flags]
    rejections: list[tuple[int, str, str]] = []
    if decisions:
        accepted = [True] * parsed.count
        for index in decisions:
            accepted[index] = False
        columns = [list(compress(column, accepted)) for column in columns]
        rejections = [(d.row, d.ref, d.reason) for _, d in sorted(decisions.items()) if d is not _BLANK]  # file order
    if known and not known.isdisjoint(columns[1]):
        fresh = [ref not in known for ref in columns[1]]
        rejections += [(row, ref, ALREADY_IMPORTED) for row, ref, new in zip(columns[0], columns[1], fresh) if not new]
        rejections.sort(key=itemgetter(0))  # file order
        columns = [list(compress(column, fresh)) for column in columns]
    excluded = 0 if parsed.flags is None else columns[-1].count(0)
    return RowBatch(columns, rejections, excluded, parsed.widths or [])


def _chunks(parsed: Iterator[_Parsed], chunk_rows: int) -> Iterator[_Parsed]:
    """Parsed batches joined into runs of at least ``chunk_rows`` records (the last may be shorter)."""
    chunk: _Parsed | None = None
    for batch in parsed:
        if chunk is None:
            chunk = batch
            chunk.columns = list(map(list, chunk.columns))  # unmapped fields share one blank column
            continue
        for whole, part in zip(chunk.columns, batch.columns):
            whole += part
        chunk.extras += batch.extras
        if batch.widths:
            chunk.widths = (chunk.widths or []) + batch.widths
        if chunk.flags is not None and batch.flags is not None:  # a read has a scope for every batch, or none
            chunk.flags += batch.flags
        if batch.problems is not None or chunk.problems is not None:
            if chunk.problems is None:
                chunk.problems = [None] * chunk.count
            chunk.problems += batch.problems or repeat(None, batch.count)
        chunk.count += batch.count
        if chunk.count >= chunk_rows:
            yield chunk
            chunk = None
    if chunk is not None:
        yield chunk

