"""Reading a population export: a CSV or XLSX file in, accepted rows and rejections out.

The reader does every row-level decision of an import (which column is which field, parsing
dates, deriving the offence group, rejecting rows, marking rows outside the scope) and streams the
result, so a million-row export never sits in memory. It knows nothing of SQL or Qt: the store
inserts what it yields, and the GUI shows :meth:`PopulationSource.preview` before importing.

What a file may look like (see ``shared/spec/cli.md``, "Population fields"):

- CSV in UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark (Excel's
  "Unicode text"), or Windows-1252 (Excel's "CSV" on an English Windows); comma, semicolon or tab
  delimited; CRLF or LF line ends; quoted fields may span lines.
- XLSX: the first worksheet; the header is its first non-empty row.

Row numbers are those a spreadsheet shows: the header of an ordinary file is row 1, and a CSV
row is a record, not a line (a quoted field may span lines). Blank records (no value in any
cell) are skipped: they are neither read nor rejected.

Speed matters (the whole import must stay within twice the time SQLite's own ``.import`` takes
on the same file), so rows are worked a batch at a time, column by column, with dict caches for
dates and offence groups: see "The rows of a read" below. An import takes the rows as
insert-ready columns (:meth:`PopulationSource.row_batches`), and a large file is parsed in a
worker process while the importing process decides and inserts the rows: see "Insert-ready
batches" below.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import logging
import marshal
import multiprocessing
import os
import pickle
import queue
import re
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import compress, islice, repeat
from operator import and_, itemgetter
from pathlib import Path
from typing import IO, Any, Self

from audit_app.errors import PopulationError

CANONICAL_FIELDS = ("ref", "offence", "offence_group", "area", "month", "outcome", "officer")

PRESETS: dict[str, dict[str, str]] = {
    "police-uk": {
        "ref": "Crime ID",
        "month": "Month",
        "offence": "Crime type",
        "area": "LSOA name",
        "outcome": "Last outcome category",
    },
}

POLICE_UK_GROUPS = {
    "Burglary": "burglary",
    "Robbery": "robbery",
    "Theft from the person": "theft_from_person",
    "Vehicle crime": "vehicle",
}

# Home Office-style offence names that belong to a neighbourhood-crime group. They are compared
# by their words in lower case, so "Burglary - Residential" matches "burglary residential".
# Anything not here is "other": business burglary and business robbery are deliberately absent.
HOME_OFFICE_GROUPS = {
    "Domestic burglary": "burglary",
    "Residential burglary": "burglary",
    "Burglary - residential": "burglary",
    "Burglary in a dwelling": "burglary",
    "Robbery of personal property": "robbery",
    "Personal robbery": "robbery",
    "Theft from person": "theft_from_person",
    "Vehicle offences": "vehicle",
    "Theft of a motor vehicle": "vehicle",
    "Theft or unauthorised taking of a motor vehicle": "vehicle",
    "Theft from a motor vehicle": "vehicle",
    "Vehicle interference": "vehicle",
    "Interfering with a motor vehicle": "vehicle",
    "Aggravated vehicle taking": "vehicle",
}

# Header names recognised for each field, compared with case, spaces and punctuation removed,
# best first. Only names that plainly mean the field: a force's "offence_category" is often a
# broader Home Office category, so only "offence group" itself maps to offence_group.
HEADER_NAMES: dict[str, tuple[str, ...]] = {
    "ref": (
        "crimeid", "crimeref", "crimereference", "crimereferencenumber", "crimerefno", "crimeno",
        "crimenumber", "crn", "urn", "reference", "referencenumber", "ref", "occurrenceid",
        "occurrencenumber", "occurrenceref",
    ),
    "offence": (
        "crimetype", "offence", "offencedescription", "offencetype", "offencename", "classification",
        "crimeclassification", "offenceclassification",
    ),
    "offence_group": ("offencegroup",),
    # Broad areas first: the area is a stratum, and a ward or LSOA splits a force too finely.
    "area": ("area", "borough", "bcu", "neighbourhood", "neighborhood", "ward", "beat", "lsoaname"),
    # The recorded date is what crime counts are built on; the occurred date is often a range.
    "month": (
        "month", "recordedmonth", "recordeddate", "daterecorded", "reporteddate", "datereported", "date",
        "occurreddate", "dateoccurred", "occurrencedate", "offencedate",
    ),
    "outcome": ("outcome", "outcomecode", "outcometype", "lastoutcomecategory", "outcomecategory", "finaloutcome"),
    "officer": (
        "officer", "oic", "officerincase", "officerincharge", "investigatingofficer", "officerid",
        "officercode", "officernumber",
    ),
}

HOW_PRESET = "preset"
HOW_MAP = "--map"
HOW_HEADER = "header match"

MONTH_HINT = "use e.g. 2025-01 or 15/01/2025"
SAMPLE_CHARS = 64 * 1024
CHUNK_BYTES = 1024 * 1024
CACHE_LIMIT = 100_000  # distinct values kept per cache: dates with times can all differ
BATCH_ROWS = 256  # small enough for a batch's strings to stay in the CPU cache between steps
CHUNK_ROWS = 8192  # records per insert-ready batch (about 1 MB sent from a worker process)
WORKER_MIN_BYTES = 8 * 1024 * 1024  # smaller files are read in-process: a worker takes ~0.1 s to start
WORKER_QUEUE = 8  # runs of records a worker may have ready before the importer takes them

# The values of an insert-ready row (RowBatch.rows), in order: the unit table's columns but its batch.
# Extras are stored as one text (see encode_extras) joined by EXTRA_SEPARATOR, or JSON after JSON_MARKER.
ROW_COLUMNS = ("row", "ref", "offence", "offence_group", "area", "month", "outcome", "officer", "extras", "in_frame")
EXTRA_SEPARATOR = "\x1f"
JSON_MARKER = "\x1e"

Progress = Callable[[int, int], None]

log = logging.getLogger(__name__)

_NOT_A_MONTH = object()  # cached for a month text that failed to parse, so it is parsed once


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


@dataclass(frozen=True)
class ColumnMapping:
    """Which column of the file feeds which field.

    :param fields: canonical field → source column header (unmapped fields are absent).
    :param extras: every other column header, in file order (kept as extra fields).
    :param how: canonical field → ``"preset"``, ``"--map"`` or ``"header match"``.
    """

    fields: dict[str, str]
    extras: tuple[str, ...]
    how: dict[str, str]


# ---------------------------------------------------------------------------------------------
# Values: months and offence groups


_MONTH_NUMBERS = {
    name: number
    for number, names in enumerate(
        (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
         ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
         ("oct", "october"), ("nov", "november"), ("dec", "december")),
        start=1,
    )
    for name in names
}
_TIME = r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[ap]\.?m\.?)?\s*(?:z|[+-]\d{2}:?\d{2})?)?"
_YEAR_FIRST = re.compile(rf"(\d{{4}})[-/.](\d{{1,2}})(?:[-/.](\d{{1,2}}))?{_TIME}", re.IGNORECASE)
_DAY_FIRST = re.compile(rf"(\d{{1,2}})[-/.](\d{{1,2}})[-/.](\d{{4}}|\d{{2}}){_TIME}", re.IGNORECASE)
_MONTH_YEAR = re.compile(r"(\d{1,2})[-/.](\d{4})")
_NAMED_MONTH = re.compile(
    rf"(?:(\d{{1,2}})(?:st|nd|rd|th)?[ ,/-]*)?([a-z]+)\.?[ ,/-]*(\d{{4}}|\d{{2}}){_TIME}", re.IGNORECASE
)


def parse_month(text: str) -> str | None:
    """The ``YYYY-MM`` of a date or month in a common UK form; "" for ""; None if not a date.

    Day first, always (15/01/2025 is 15 January). Accepted: 2025-01, 2025-01-15, 15/01/2025,
    15/1/25, 15-01-2025, 15.01.2025, 15 Jan 2025, 15 January 2025, 15-Jan-25, Jan 2025,
    January 2025, 01/2025, and any of the full dates followed by a time (2025-01-15T10:22:00,
    15/01/2025 10:22). Two-digit years follow POSIX ``%y``: 69–99 are 19xx, 00–68 are 20xx.
    """
    text = text.strip()
    if not text:
        return ""
    if match := _YEAR_FIRST.fullmatch(text):
        year, month, day = match.groups()
    elif match := _DAY_FIRST.fullmatch(text):
        day, month, year = match.groups()
    elif match := _MONTH_YEAR.fullmatch(text):
        month, year = match.groups()
        day = None
    elif (match := _NAMED_MONTH.fullmatch(text)) and match.group(2).lower() in _MONTH_NUMBERS:
        day, name, year = match.groups()
        month = str(_MONTH_NUMBERS[name.lower()])
    else:
        return None
    return _valid_month(int(year), int(month), int(day) if day else None, len(year) == 2)


def _valid_month(year: int, month: int, day: int | None, short_year: bool) -> str | None:
    if short_year:
        year += 1900 if year >= 69 else 2000
    if not 1900 <= year <= 2099:
        return None  # a typo such as 2205 is not a plausible recorded date
    try:
        date(year, month, day or 1)  # rejects 31/02/2025 and US-style 01/15/2025
    except ValueError:
        return None
    return f"{year:04d}-{month:02d}"


def offence_group(offence: str) -> str:
    """The neighbourhood-crime group of an offence name: burglary, robbery, theft_from_person,
    vehicle or other; "" when the offence is empty (unknown, not "other")."""
    if not offence.strip():
        return ""
    return _OFFENCE_GROUPS.get(_offence_words(offence), "other")


def _offence_words(offence: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", offence.casefold()))


_OFFENCE_GROUPS = {_offence_words(name): group for name, group in {**POLICE_UK_GROUPS, **HOME_OFFICE_GROUPS}.items()}


def encode_extras(values: Sequence[str]) -> str:
    """Extra column values as the one text stored per row: joined by U+001F, or JSON when a value
    holds a separator.

    Joining is ten times cheaper than JSON, which matters on a million rows; the JSON form (marked
    by a leading U+001E) keeps any value, so nothing is lost. (Defined here, where import rows
    are built; the store reads it back with :func:`decode_extras`.)
    """
    joined = EXTRA_SEPARATOR.join(values)
    if JSON_MARKER in joined or joined.count(EXTRA_SEPARATOR) != max(len(values) - 1, 0):
        return JSON_MARKER + json.dumps(list(values), ensure_ascii=False)
    return joined


def decode_extras(text: str, count: int) -> list[str]:
    """The ``count`` extra values of a text made by :func:`encode_extras`."""
    if text.startswith(JSON_MARKER):
        return list(json.loads(text[1:]))
    return text.split(EXTRA_SEPARATOR) if count else []


def _normalise_name(name: str) -> str:
    """A header or field name with case, spaces, underscores and punctuation removed."""
    return "".join(ch for ch in name.casefold() if ch.isalnum())


# ---------------------------------------------------------------------------------------------
# The file: format, encoding, hash


@dataclass(frozen=True)
class _Scan:
    """What one pass over the file's bytes found."""

    format: str
    encoding: str
    sha256: str
    size: int
    mtime_ns: int


_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Bytes Windows-1252 leaves undefined: a file holding them is neither UTF-8 nor Windows-1252.
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
# Control bytes that text does not hold (tab, line ends, vertical tab, form feed and DOS
# end-of-file aside).
_BINARY_BYTES = bytes([*range(0, 9), *range(14, 26), *range(27, 32)])


def _scan(path: Path) -> _Scan:
    """Hash the file and find its format and encoding, in one streaming pass over its bytes.

    Whether a file is UTF-8 can only be known by decoding all of it (a Windows-1252 "é" may sit
    on the last row), so the decoder runs over every chunk the hash sees.
    """
    name = path.name
    with _open_binary(path) as handle:
        stat = os.fstat(handle.fileno())
        first = handle.read(CHUNK_BYTES)
        fmt, encoding = _sniff_bytes(name, first)
        digest = hashlib.sha256(first)
        checker = _TextCheck(name, encoding) if fmt == "csv" else None
        chunk, offset = first, 0
        while chunk:
            if checker:
                checker.feed(chunk, offset)
            offset += len(chunk)
            chunk = handle.read(CHUNK_BYTES)
            digest.update(chunk)
        encoding = checker.finish() if checker else ""
    return _Scan(fmt, encoding, digest.hexdigest(), stat.st_size, stat.st_mtime_ns)


def _sniff_bytes(name: str, first: bytes) -> tuple[str, str]:
    """(format, encoding to try first) from the first bytes of a file."""
    if not first:
        raise PopulationError(f"'{name}' is empty: a population file needs a header row and data rows.")
    if first.startswith(_ZIP_MAGIC):
        return "xlsx", ""
    if first.startswith(_OLE_MAGIC):
        raise PopulationError(
            f"'{name}' is an old-style Excel (.xls) or password-protected workbook: "
            "save it as .xlsx without a password, or as CSV."
        )
    for bom, encoding in _BOMS:
        if first.startswith(bom):
            return "csv", encoding
    sample = first[:SAMPLE_CHARS]
    controls = len(sample) - len(sample.translate(None, _BINARY_BYTES))
    if b"\x00" in sample or (controls > 4 and controls * 100 > len(sample)):
        raise PopulationError(f"'{name}' is not a CSV or XLSX file (it holds binary data).")
    return "csv", "utf-8"


class _TextCheck:
    """Decides a CSV file's encoding while its bytes stream past."""

    def __init__(self, name: str, encoding: str):
        self.name = name
        self.encoding = encoding
        self.decoder = codecs.getincrementaldecoder(encoding)()
        self.failed_at: int | None = None  # offset of the first byte that does not decode
        self.cp1252_bad: int | None = None  # offset of the first byte Windows-1252 leaves undefined
        self.nul_at: int | None = None
        self.end = 0

    def feed(self, chunk: bytes, offset: int) -> None:
        self.end = offset + len(chunk)
        if self.encoding != "utf-16":
            if self.nul_at is None and (nul := chunk.find(b"\x00")) >= 0:
                self.nul_at = offset + nul
            if self.cp1252_bad is None:
                found = [i for i in (chunk.find(b) for b in _CP1252_UNDEFINED) if i >= 0]
                self.cp1252_bad = offset + min(found) if found else None
        if self.failed_at is None:
            if self.encoding != "utf-16" and chunk.isascii() and not self.decoder.getstate()[0]:
                return  # ASCII is UTF-8, and isascii() is many times faster than decoding
            pending = len(self.decoder.getstate()[0])  # bytes of the last chunk decoded with this one
            try:
                self.decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                self.failed_at = offset - pending + exc.start

    def finish(self) -> str:
        if self.failed_at is None:
            pending = len(self.decoder.getstate()[0])
            try:
                self.decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:  # a sequence cut off by the end of the file
                self.failed_at = self.end - pending + exc.start
        if self.nul_at is not None:
            raise PopulationError(f"'{self.name}' is not a CSV text file: it holds a NUL byte at byte {self.nul_at}.")
        if self.failed_at is None:
            return self.encoding
        if self.encoding != "utf-8":
            label = "UTF-16" if self.encoding == "utf-16" else "UTF-8"
            raise PopulationError(
                f"'{self.name}' starts with a {label} byte-order mark but is not valid {label} "
                f"(byte {self.failed_at}): save it again as 'CSV UTF-8'."
            )
        if self.cp1252_bad is not None:
            raise PopulationError(
                f"'{self.name}' is neither UTF-8 nor Windows-1252 text (byte {self.cp1252_bad} fits neither): "
                "save it again as 'CSV UTF-8'."
            )
        return "cp1252"


# ---------------------------------------------------------------------------------------------
# Records: the cells of each row, as text, from the start of the file


class _Records:
    """The file's records as lists of cell texts, from its start, plus the bytes read so far."""

    def take(self, count: int) -> list[list[str]]:
        """The next ``count`` records (fewer at the end of the file, none after it)."""
        raise NotImplementedError

    def position(self) -> int:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> _Records:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _open_binary(path: Path) -> IO[bytes]:
    try:
        return open(path, "rb")
    except OSError as exc:
        raise PopulationError(f"Cannot open '{path.name}': {exc.strerror or exc}.") from exc


class _CsvRecords(_Records):
    def __init__(self, path: Path, encoding: str, delimiter: str):
        self.name = path.name
        self._binary = _open_binary(path)
        # newline="" hands line ends to the csv module, so a quoted field may hold a line break.
        self._text = io.TextIOWrapper(self._binary, encoding=encoding, newline="")
        self._reader = csv.reader(self._text, delimiter=delimiter)

    def take(self, count: int) -> list[list[str]]:
        # Errors are caught here, per batch, rather than by a generator wrapped round the reader:
        # one more generator per row would cost a tenth of a second per million rows.
        try:
            return list(islice(self._reader, count))
        except csv.Error as exc:
            raise PopulationError(
                f"'{self.name}' cannot be read as CSV near line {self._reader.line_num} ({exc}): "
                'look for a quote (") that is opened and never closed.'
            ) from exc
        except UnicodeDecodeError as exc:  # only if the file changed since it was scanned
            raise PopulationError(f"'{self.name}' changed while it was being read: import it again.") from exc

    def position(self) -> int:
        # The binary buffer's position runs at most one text chunk ahead: close enough for a bar.
        return self._binary.tell()

    def close(self) -> None:
        self._text.close()


class _XlsxRecords(_Records):
    def __init__(self, path: Path, size: int):
        self.name = path.name
        self._size = size
        self._handle = _open_binary(path)
        self._rows_done = 0
        from openpyxl import load_workbook  # here, not at the top: a CSV import never pays for it

        try:
            with warnings.catch_warnings():
                # openpyxl warns about styles and extensions it ignores; they don't affect values.
                warnings.simplefilter("ignore")
                # A file object, not a path: openpyxl would otherwise refuse by file extension.
                self._book = load_workbook(self._handle, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file; all mean the same
            self._handle.close()
            raise PopulationError(f"'{self.name}' could not be read as an XLSX workbook ({exc}).") from exc
        if not self._book.worksheets:
            self.close()
            raise PopulationError(f"'{self.name}' has no worksheet.")
        sheet = self._book.worksheets[0]
        self._rows_total = sheet.max_row or 0  # from the sheet's stated size: for progress only
        # Some writers state a wrong size; forgetting it makes openpyxl read every row there is.
        sheet.reset_dimensions()
        self._records = self._texts(sheet)

    def _texts(self, sheet: Any) -> Iterator[list[str]]:
        try:
            for values in sheet.iter_rows(values_only=True):
                self._rows_done += 1
                yield [value if type(value) is str else cell_text(value) for value in values]
        except PopulationError:
            raise
        except Exception as exc:  # a damaged sheet part surfaces here, not at load
            raise PopulationError(f"'{self.name}' could not be read as an XLSX workbook ({exc}).") from exc

    def take(self, count: int) -> list[list[str]]:
        return list(islice(self._records, count))

    def position(self) -> int:
        if not self._rows_total:
            return 0
        return min(self._size, self._size * self._rows_done // self._rows_total)

    def close(self) -> None:
        self._book.close()
        self._handle.close()


def cell_text(value: object) -> str:
    """A spreadsheet cell's value as the text a CSV export of it would hold.

    Integral numbers lose the ".0" (a ref typed as 12 is "12"); dates are ISO ``YYYY-MM-DD``;
    a date with a time of day keeps it (``YYYY-MM-DD HH:MM:SS``) so nothing is lost.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="seconds")
    return str(value)


def _sniff_delimiter(sample: str, complete: bool) -> str:
    """Comma, semicolon or tab: whichever splits the header into most columns consistently.

    Each candidate parses the first records of ``sample``; a candidate scores by whether it
    splits the header at all, then by the share of rows as wide as the header, then by the
    header's width. Ties go to the comma. A file of one column is read as comma-separated.
    """
    best, best_score = ",", (False, 0.0, 0)
    for delimiter in (",", ";", "\t"):
        widths = _record_widths(sample, delimiter, complete)
        if not widths or widths[0] < 2:
            continue
        header, rest = widths[0], widths[1:]
        share = sum(width == header for width in rest) / len(rest) if rest else 1.0
        score = (True, share, header)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _record_widths(sample: str, delimiter: str, complete: bool, limit: int = 50) -> list[int]:
    widths = []
    try:
        for cells in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter):
            if any(cell.strip() for cell in cells):
                widths.append(len(cells))
            if len(widths) > limit:
                break
    except csv.Error:
        pass  # a sample cut inside a quoted field: the records before it still count
    if not complete and len(widths) > 1:
        widths.pop()  # the last record of a cut sample may be cut too
    return widths


def _header_names(cells: Sequence[str]) -> tuple[str, ...]:
    """The header's column names: stripped, trailing blanks dropped, blanks and repeats named.

    A blank header cell becomes "Column N" and a repeated name "Name (2)", so every column has
    one name to map, scope or stratify by.
    """
    names = [cell.strip() for cell in cells]
    while names and not names[-1]:
        names.pop()
    taken: set[str] = set()
    out = []
    for index, name in enumerate(names, start=1):
        name = name or f"Column {index}"
        unique, copy = name, 1
        while unique in taken:
            copy += 1
            unique = f"{name} ({copy})"
        taken.add(unique)
        out.append(unique)
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# Mapping


def resolve_mapping(
    name: str,
    header: Sequence[str],
    preset: str | None = None,
    mapping: Mapping[str, str] | None = None,
) -> ColumnMapping:
    """Which column feeds which field: the preset, then ``--map``, then header names.

    :param name: the file's name, for messages.
    :param mapping: canonical field → column header; an empty column leaves the field unmapped
        (so a wrong header match can be switched off).
    :raises PopulationError: for an unknown preset or field, a column the file lacks, a column
        mapped twice, or no ref column at all.
    """
    fields: dict[str, str] = {}
    how: dict[str, str] = {}
    if preset is not None:
        _apply_preset(name, header, preset, mapping or {}, fields, how)
    declined = _apply_map(name, header, mapping or {}, fields, how)
    used = set(fields.values())
    by_name: dict[str, str] = {}
    for column in header:
        by_name.setdefault(_normalise_name(column), column)
    for field in CANONICAL_FIELDS:
        if field in fields or field in declined:
            continue
        for candidate in HEADER_NAMES[field]:
            column = by_name.get(candidate)
            if column is not None and column not in used:
                fields[field], how[field] = column, HOW_HEADER
                used.add(column)
                break
    if "ref" not in fields:
        raise PopulationError(
            f"'{name}' has no crime reference column (such as 'Crime ID' or 'URN'): name it with "
            f"--map ref=COLUMN; its columns are {_list_columns(header)}."
        )
    ordered = {field: fields[field] for field in CANONICAL_FIELDS if field in fields}
    extras = tuple(column for column in header if column not in used)
    return ColumnMapping(ordered, extras, {field: how[field] for field in ordered})


def _apply_preset(
    name: str, header: Sequence[str], preset: str, mapping: Mapping[str, str], fields: dict[str, str], how: dict[str, str]
) -> None:
    if preset not in PRESETS:
        raise PopulationError(f"Unknown preset '{preset}' (known: {', '.join(sorted(PRESETS))}).")
    overridden = {_canonical_field(name, field) for field in mapping}
    for field, column in PRESETS[preset].items():
        if field in overridden:
            continue  # an explicit --map wins over the preset
        if column not in header:
            raise PopulationError(
                f"'{name}' does not fit the '{preset}' preset: it has no '{column}' column "
                f"(its columns are {_list_columns(header)})."
            )
        fields[field], how[field] = column, HOW_PRESET


def _apply_map(
    name: str, header: Sequence[str], mapping: Mapping[str, str], fields: dict[str, str], how: dict[str, str]
) -> set[str]:
    """Apply ``--map`` pairs; returns the fields deliberately left unmapped (``FIELD=``)."""
    declined: set[str] = set()
    mapped_by: dict[str, str] = {}
    for raw_field, raw_column in mapping.items():
        field = _canonical_field(name, raw_field)
        if not raw_column.strip():
            declined.add(field)
            fields.pop(field, None)
            how.pop(field, None)
            continue
        column = _find_column(name, header, raw_column, field)
        if column in mapped_by:
            raise PopulationError(
                f"'{name}': column '{column}' is mapped twice (--map {mapped_by[column]}= and --map {field}=)."
            )
        mapped_by[column] = field
        for other in [f for f, c in fields.items() if c == column]:
            del fields[other], how[other]  # the explicit map takes the column from the preset
        fields[field], how[field] = column, HOW_MAP
    return declined


def _canonical_field(name: str, field: str) -> str:
    wanted = _normalise_name(field)
    for canonical in CANONICAL_FIELDS:
        if _normalise_name(canonical) == wanted:
            return canonical
    raise PopulationError(
        f"'{name}': --map {field}=… names no field; the fields are {', '.join(CANONICAL_FIELDS)} "
        "(every other column is kept under its own name)."
    )


def _find_column(name: str, header: Sequence[str], column: str, field: str) -> str:
    """The header name meant by ``column``: exact first, then ignoring case and punctuation."""
    column = column.strip()
    if column in header:
        return column
    loose = [h for h in header if _normalise_name(h) == _normalise_name(column)]
    if len(loose) == 1:
        return loose[0]
    raise PopulationError(
        f"'{name}' has no column '{column}' (asked for by --map {field}={column}); "
        f"its columns are {_list_columns(header)}."
    )


def _list_columns(header: Sequence[str], limit: int = 40) -> str:
    shown = ", ".join(f"'{h}'" for h in header[:limit])
    more = f" and {len(header) - limit} more" if len(header) > limit else ""
    return (shown + more) if header else "none"


# ---------------------------------------------------------------------------------------------
# Scope


@dataclass(frozen=True)
class _ScopeCheck:
    """One ``--scope`` field: where its value comes from and the values allowed (case-folded)."""

    source: str | int  # "month", "offence_group", or the index of the cell in the row
    allowed: frozenset[str]


def _scope_checks(
    name: str, scope: Mapping[str, Sequence[str]], mapping: ColumnMapping, header: Sequence[str]
) -> tuple[_ScopeCheck, ...]:
    checks = []
    for raw_field, values in scope.items():
        field = _scope_field(name, raw_field, mapping)
        allowed = [v.strip() for v in values if v.strip()]
        if not allowed:
            raise PopulationError(f"'{name}': --scope {raw_field}= lists no values.")
        if field == "month":
            allowed = [_scope_month(name, v) for v in allowed]
        if field in ("month", "offence_group"):
            source: str | int = field
        else:
            source = header.index(mapping.fields.get(field, field))
        checks.append(_ScopeCheck(source, frozenset(v.casefold() for v in allowed)))
    return tuple(checks)


def _scope_field(name: str, raw: str, mapping: ColumnMapping) -> str:
    """The field a ``--scope`` name means: a canonical field, an extra column, or a mapped column."""
    wanted = _normalise_name(raw)
    for field in CANONICAL_FIELDS:
        if raw == field or _normalise_name(field) == wanted:
            return _mapped_field(name, field, mapping)
    if raw in mapping.extras:
        return raw
    for field, column in mapping.fields.items():
        if raw == column:
            return field
    loose = [c for c in mapping.extras if _normalise_name(c) == wanted]
    loose += [f for f, c in mapping.fields.items() if _normalise_name(c) == wanted]
    if len(loose) == 1:
        return loose[0]
    known = ", ".join(list(CANONICAL_FIELDS) + [f"'{c}'" for c in mapping.extras])
    raise PopulationError(f"'{name}': --scope {raw}=… names no field; the fields are {known}.")


def _mapped_field(name: str, field: str, mapping: ColumnMapping) -> str:
    has_source = field in mapping.fields or (field == "offence_group" and "offence" in mapping.fields)
    if not has_source:
        raise PopulationError(
            f"'{name}': --scope {field}=… cannot apply, as no column feeds '{field}' (name one with --map {field}=COLUMN)."
        )
    return field


def _scope_month(name: str, value: str) -> str:
    month = parse_month(value)
    if not month:
        raise PopulationError(f"'{name}': --scope month={value} is not a month ({MONTH_HINT}).")
    return month


# ---------------------------------------------------------------------------------------------
# The source


def open_population(
    path: str | Path,
    *,
    preset: str | None = None,
    mapping: Mapping[str, str] | None = None,
    scope: Mapping[str, Sequence[str]] | None = None,
) -> PopulationSource:
    """Open a population file: scan it, find its header and resolve the mapping and scope.

    Nothing is imported yet: iterate :meth:`PopulationSource.read` for the rows.

    :param preset: a key of :data:`PRESETS` (``"police-uk"``).
    :param mapping: ``--map`` pairs, canonical field → column header.
    :param scope: field (canonical or extra column) → allowed values; other rows are out of frame.
    :raises PopulationError: for a file that is not a readable CSV or XLSX population, or a
        mapping or scope that does not fit it.
    """
    path = Path(path)
    return PopulationSource(path, _scan(path), preset, mapping or {}, scope or {})


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
        self, path: Path, scan: _Scan, preset: str | None, mapping: Mapping[str, str], scope: Mapping[str, Sequence[str]]
    ):
        """Use :func:`open_population`, which scans the file first."""
        self.path = path
        self.format = scan.format
        self.encoding = scan.encoding
        self.size_bytes = scan.size
        self.sha256 = scan.sha256
        self.rows_read = 0
        self._scan = scan
        self.delimiter = self._sniff() if scan.format == "csv" else ""
        self.header_row, self.header = self._find_header()
        self.mapping = resolve_mapping(path.name, self.header, preset, mapping)
        self._scope = _scope_checks(path.name, scope, self.mapping, self.header)

    def _sniff(self) -> str:
        with open(self.path, encoding=self.encoding, newline="") as text:
            sample = text.read(SAMPLE_CHARS)
            complete = not text.read(1)
        return _sniff_delimiter(sample, complete)

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
            for values, decision in zip(rows, repeat(None) if decisions is None else decisions):
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

        A file of ``worker_min_bytes`` or more (default :data:`WORKER_MIN_BYTES`) is parsed in a
        worker process while the caller inserts, so parsing and inserting use two cores; a
        smaller one is read in this process (starting a process costs more than it saves).
        The batches are the same either way. Leaving the ``with`` block stops the worker.

        :param progress: as for :meth:`read`; called in the calling thread, once the batch
            that reached that point has been inserted.
        :param chunk_rows: records per batch, about (default :data:`CHUNK_ROWS`).
        """
        threshold = WORKER_MIN_BYTES if worker_min_bytes is None else worker_min_bytes
        return RowBatches(self, progress, self.size_bytes >= threshold, chunk_rows or CHUNK_ROWS)

    def _parsed_batches(self, progress: Progress | None, encode: bool) -> Iterator[_Parsed]:
        """Every batch of records, parsed (see :func:`_parse_batch`); sets ``rows_read`` to the
        records read, blank ones included (the caller, which decides rows, takes those off).

        :param encode: hold the extra values as encoded texts (:func:`encode_extras`), not columns.
        """
        self._check_unchanged()
        self.rows_read = 0
        plan = _RowPlan(self.header, self.mapping, self._scope)
        caches = _Caches()
        number = self.header_row + 1  # the row number of the batch's first record
        with self._open_records() as records:
            ticker = _Ticker(self.size_bytes, progress) if progress else None
            records.take(self.header_row)
            while batch := records.take(BATCH_ROWS):
                yield _parse_batch(plan, caches, number, batch, encode)
                number += len(batch)
                if ticker:
                    ticker.tick(records.position())
        self.rows_read = number - self.header_row - 1
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


# ---------------------------------------------------------------------------------------------
# The rows of a read, a batch at a time
#
# This is the hot path of an import. A Python statement per cell or per row costs about a
# tenth of a second per million rows, so a batch is worked column by column with C-level
# map() calls (strip, cache look-ups), and a clean batch (no empty, repeated or known ref, no
# bad month: the usual case) records its refs in one dict update and is accepted without
# per-row checks. Anything else is decided one row at a time.
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
        self.scope = [(check.source, check.allowed, {}) for check in scope]

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
            values = months if source == "month" else groups if source == "offence_group" else columns[source]  # type: ignore[index]
            # (a month that failed to parse is _NOT_A_MONTH, not text: its row is rejected anyway)
            inside = _cached(cache, values, lambda value, allowed=allowed: int(isinstance(value, str) and value.casefold() in allowed))
            flags = list(map(and_, flags, inside))
        return flags


# What step 1 notes of a row for step 2 (small ints and texts, so a worker can send them).
_BLANK_RECORD = 1  # no value in any cell: skipped, neither read nor rejected
_EMPTY_REF = 2  # some value, but no ref: rejected
# (a text: the month as written, which is not a date: rejected unless the ref is a repeat)

_BLANK = object()  # the decision for a blank record


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
        ``_EMPTY_REF``, or the month text that is not a date); None when no row has any.
    """

    first: int
    count: int
    columns: list[list[str]]
    extras: list[Any]
    flags: list[int] | None
    problems: list[Any] | None

    def numbers(self) -> range:
        return range(self.first, self.first + self.count)


def _parse_batch(plan: _RowPlan, caches: _Caches, first: int, batch: list[list[str]], encode: bool) -> _Parsed:
    """Step 1 for one batch of records, the first being row ``first``."""
    columns = plan.columns(batch)
    refs, offences, areas, month_texts, outcomes, officers, group_texts = plan.pick(columns)
    months = _cached(caches.months, month_texts, _month_value)
    groups = group_texts if plan.group_mapped else _cached(caches.groups, offences, offence_group)
    flags = plan.in_frame(columns, months, groups)
    problems = None
    if "" in refs or _NOT_A_MONTH in months:
        problems = _problems(batch, refs, months, month_texts)
        months = ["" if month is _NOT_A_MONTH else month for month in months]
    extras = [columns[i] for i in plan.extra_indexes]
    return _Parsed(first, len(batch), [refs, offences, groups, areas, months, outcomes, officers],
                   _encoded_extras(extras, len(batch)) if encode else extras, flags, problems)


def _problems(batch: list[list[str]], refs: list[str], months: list[Any], month_texts: list[str]) -> list[Any]:
    problems: list[Any] = []
    add = problems.append
    for cells, ref, month, month_text in zip(batch, refs, months, month_texts):
        if not ref:
            add(_EMPTY_REF if any(map(str.strip, cells)) else _BLANK_RECORD)
        elif month is _NOT_A_MONTH:
            add(month_text)
        else:
            add(None)
    return problems


def _decide(state: _ReadState, parsed: _Parsed) -> list[Any] | None:
    """Step 2: None when every row is accepted (their refs are then taken), else per row: None
    (accepted, ref taken), a :class:`Rejection`, or ``_BLANK`` (a blank record, skipped).

    A long run with a problem somewhere is decided a batch at a time, so only the batches with
    one are decided row by row.
    """
    refs, problems, first = parsed.columns[0], parsed.problems, parsed.first
    if problems is None and _take_refs(state.seen, refs, parsed.numbers()):
        return None
    decisions: list[Any] = []
    for start in range(0, parsed.count, BATCH_ROWS):
        part = refs[start : start + BATCH_ROWS]
        numbers = range(first + start, first + start + len(part))
        noted = None if problems is None else problems[start : start + BATCH_ROWS]
        if noted is not None and noted.count(None) == len(noted):
            noted = None
        if noted is None and _take_refs(state.seen, part, numbers):
            decisions += repeat(None, len(part))
        else:
            decisions += _decide_rows(state, part, noted, numbers)
    return decisions


def _decide_rows(state: _ReadState, refs: list[str], problems: list[Any] | None, numbers: range) -> list[Any]:
    """Row by row: skip blank records, reject rows without a ref, with a repeated ref or a bad
    month (in that order of precedence), and accept (and take the ref of) the rest."""
    seen = state.seen
    decisions: list[Any] = []
    add = decisions.append
    for ref, problem, number in zip(refs, repeat(None) if problems is None else problems, numbers):
        if problem == _BLANK_RECORD:
            state.blank += 1
            add(_BLANK)
        elif problem == _EMPTY_REF:
            add(Rejection(number, "", "empty ref"))
        elif (first := seen.get(ref)) is not None:
            add(Rejection(number, ref, f"duplicate ref (first seen in row {first})"))
        elif problem is not None:
            add(Rejection(number, ref, f"Month '{problem}' is not a recognised date ({MONTH_HINT})"))
        else:
            seen[ref] = number
            add(None)
    return decisions


def _take_refs(seen: dict[str, int], refs: list[str], numbers: range) -> bool:
    """Record a batch's refs as taken, if none is empty, repeated or already taken (else: no change).

    One look-up per ref (setdefault keeps the row that took a ref first): the dict holds a
    million refs by the end of a large file, and each look-up is a cache miss.
    """
    before = len(seen)
    taken = list(map(seen.setdefault, refs, numbers))  # the row holding each ref now
    if len(seen) == before + len(refs) and "" not in seen:
        return True
    for ref, number, row in zip(refs, numbers, taken):  # undo: drop the refs this batch added
        if row == number:
            del seen[ref]
    return False


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
# Insert-ready batches, read here or with a worker process


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
    columns = [list(parsed.numbers()), *parsed.columns, parsed.extras,
               [1] * parsed.count if parsed.flags is None else parsed.flags]
    rejections: list[tuple[int, str, str]] = []
    if decisions is not None:
        accepted = [decision is None for decision in decisions]
        columns = [list(compress(column, accepted)) for column in columns]
        rejections = [(d.row, d.ref, d.reason) for d in decisions if d is not None and d is not _BLANK]
    if known and not known.isdisjoint(columns[1]):
        fresh = [ref not in known for ref in columns[1]]
        rejections += [(row, ref, ALREADY_IMPORTED) for row, ref, new in zip(columns[0], columns[1], fresh) if not new]
        rejections.sort(key=itemgetter(0))  # file order
        columns = [list(compress(column, fresh)) for column in columns]
    excluded = 0 if parsed.flags is None else columns[-1].count(0)
    return RowBatch(columns, rejections, excluded)


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
        if chunk.flags is not None:
            chunk.flags += batch.flags  # type: ignore[arg-type]
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


class RowBatches:
    """The insert-ready batches of one read (see :meth:`PopulationSource.row_batches`).

    With a worker process, the file is read and parsed (step 1) by a child started with the
    "spawn" method, the only one Windows has (a frozen application must call
    ``multiprocessing.freeze_support()`` first thing in its main script), while this process
    decides the rows (step 2) and inserts them. The child sends runs of about
    :data:`CHUNK_ROWS` records through a pipe as :mod:`marshal` data (many times faster than
    pickle), each text column joined into one string. The pipe holds one message at a time,
    so the child works at most one run ahead and memory stays bounded. A
    :class:`PopulationError` in the child is raised again here, as it was raised there.
    """

    def __init__(self, source: PopulationSource, progress: Progress | None, in_worker: bool, chunk_rows: int):
        self._source = source
        self._progress = progress
        self._chunk_rows = chunk_rows
        self._process: Any = None
        self._receiver: Any = None
        self._finished = False
        self.in_worker = in_worker

    def __enter__(self) -> Self:
        if self.in_worker:
            self._start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def read(self, known: AbstractSet[str] = frozenset()) -> Iterator[RowBatch]:
        """The batches, in file order; a row whose ref is in ``known`` is rejected as already
        imported. ``rows_read`` of the source is set once the last batch has been taken.

        :raises PopulationError: as :meth:`PopulationSource.read` does.
        """
        state = _ReadState()
        if self.in_worker:
            parsed = self._from_worker()
        else:
            parsed = _chunks(self._source._parsed_batches(self._progress, encode=True), self._chunk_rows)
        for chunk in parsed:
            yield _row_batch(state, chunk, known)
        self._source.rows_read -= state.blank

    def close(self) -> None:
        """Stop the worker (at once, unless it has sent everything) and release the pipe."""
        process, self._process = self._process, None
        if process is None:
            return
        self._receiver.close()  # a worker blocked on sending now fails, and ends
        if not self._finished:
            process.terminate()
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join()
        process.close()

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._receiver, sender = context.Pipe(duplex=False)
        process = context.Process(
            target=_worker_main, args=(self._source, sender, self._chunk_rows), name="population reader", daemon=True
        )
        try:
            process.start()
        except OSError as exc:  # no process to be had (resource limits): read in this process instead
            log.warning("population worker process could not start (%s); reading in-process", exc)
            self._receiver.close()
            self.in_worker = False
            return
        finally:
            sender.close()  # the child holds its own end: the pipe ends when the child does
        self._process = process

    def _from_worker(self) -> Iterator[_Parsed]:
        if self._process is None:
            raise RuntimeError("Enter RowBatches (with ...) before reading it: that starts the worker.")
        receive, loads = self._receiver.recv_bytes, marshal.loads
        progress, total = self._progress, self._source.size_bytes
        while True:
            try:
                message = receive()
            except (EOFError, OSError):
                self._process.join(5)
                raise PopulationError(
                    f"Reading '{self._source.path.name}' stopped: its worker process ended unexpectedly "
                    f"(exit code {self._process.exitcode})."
                ) from None
            kind, body = message[:1], memoryview(message)[1:]
            if kind == _MESSAGE_ROWS:
                first, count, columns, extras, flags, problems, done = loads(body)
                yield _Parsed(first, count, list(map(_unpack, columns)), _unpack(extras), flags, problems)
            elif kind == _MESSAGE_END:
                self._source.rows_read, done = loads(body)
                self._finished = True
            else:
                raise pickle.loads(body)
            if done >= 0 and progress:
                progress(done, total)
            if self._finished:
                return


_MESSAGE_ROWS, _MESSAGE_END, _MESSAGE_ERROR = b"R", b"Z", b"E"
_JOINER = "\x00"


def _pack(texts: list[str]) -> str | list[str]:
    """A column of texts as one string joined by NUL (several times cheaper to send than a
    list), or the list itself if a text holds a NUL or the column is empty."""
    joined = _JOINER.join(texts)
    return joined if texts and joined.count(_JOINER) == len(texts) - 1 else texts


def _unpack(packed: str | list[str]) -> list[str]:
    return packed.split(_JOINER) if type(packed) is str else packed  # type: ignore[return-value]


def _worker_main(source: PopulationSource, sender: Any, chunk_rows: int) -> None:
    """The worker process: parse ``source`` and send its runs of records, then the end (or the error).

    Messages wait in a small queue for a sending thread, so parsing goes on while the parent
    is busy inserting (the pipe itself holds a fraction of one message).
    """
    sys.setswitchinterval(0.001)  # let the sending thread in soon when the parent takes a message
    outbox: queue.Queue[bytes | None] = queue.Queue(maxsize=WORKER_QUEUE)
    sending = threading.Thread(target=_send_all, args=(outbox, sender), name="population sender", daemon=True)
    sending.start()
    done = [-1]  # the last progress point reached, sent (once) with the next message

    def note(position: int, total: int) -> None:
        done[0] = position

    dumps, post = marshal.dumps, outbox.put
    try:
        for chunk in _chunks(source._parsed_batches(note, encode=True), chunk_rows):
            post(_MESSAGE_ROWS + dumps((
                chunk.first, chunk.count, list(map(_pack, chunk.columns)), _pack(chunk.extras), chunk.flags,
                chunk.problems, done[0],
            )))
            done[0] = -1
        post(_MESSAGE_END + dumps((source.rows_read, done[0])))
    except KeyboardInterrupt:
        os._exit(1)  # interrupted with the parent (Ctrl+C): the parent stops and records nothing
    except Exception as exc:  # noqa: BLE001 - every failure goes to the parent, which raises it
        post(_MESSAGE_ERROR + _pickled_error(exc))
    post(None)
    sending.join()
    sender.close()


def _send_all(outbox: queue.Queue[bytes | None], sender: Any) -> None:
    try:
        while (message := outbox.get()) is not None:
            sender.send_bytes(message)
    except OSError:
        os._exit(1)  # the parent has stopped listening (it failed, or was interrupted): just end


def _pickled_error(exc: Exception) -> bytes:
    """The exception to raise in the parent: this one if it pickles, else a RuntimeError with its traceback."""
    try:
        data = pickle.dumps(exc)
        pickle.loads(data)
        return data
    except Exception:  # noqa: BLE001
        text = "".join(traceback.format_exception(exc))
        return pickle.dumps(RuntimeError(f"The population reader failed:\n{text}"))
