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
dates and offence groups: see "The rows of a read" below.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import islice, repeat
from operator import and_, itemgetter
from pathlib import Path
from typing import IO, Any

from audit_app.errors import UserFacingError

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

Progress = Callable[[int, int], None]

_NOT_A_MONTH = object()  # cached for a month text that failed to parse, so it is parsed once


class PopulationError(UserFacingError):
    """A population file cannot be read, or the mapping asked for does not fit it."""


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
        self._check_unchanged()
        self.rows_read = 0
        plan = _RowPlan(self.header, self.mapping, self._scope)
        state = _ReadState()
        new = object.__new__
        number = self.header_row + 1  # the row number of the batch's first record
        with self._open_records() as records:
            ticker = _Ticker(records, self.size_bytes, progress)
            records.take(self.header_row)
            while batch := records.take(BATCH_ROWS):
                fields, month_texts, all_accepted = _read_batch(plan, state, number, batch)
                rows = zip(*fields)
                for values in rows if all_accepted else _decide_rows(state, batch, month_texts, rows):
                    if type(values) is Rejection:
                        yield values
                        continue
                    # The rows are built here, not by a function: a call per row costs a tenth
                    # of a second per million rows. The frozen instance's __dict__ is filled
                    # directly because the generated __init__ sets each field through
                    # object.__setattr__, which costs half a second more.
                    item = new(PopulationRow)
                    fill = item.__dict__
                    (fill["row"], fill["ref"], fill["offence"], fill["offence_group"], fill["area"], fill["month"],
                     fill["outcome"], fill["officer"], fill["extras"], fill["in_frame"]) = values
                    yield item
                number += len(batch)
                ticker.tick()
        self.rows_read = number - self.header_row - 1 - state.blank
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
# bad month: the usual case) records its refs in one dict update and builds its rows without
# per-row checks. Anything else goes through _decide_rows, one row at a time.


class _ReadState:
    """What a read remembers from batch to batch."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}  # ref -> row of the accepted row that took it
        self.months: dict[str, Any] = {}  # text -> "YYYY-MM", "" or _NOT_A_MONTH
        self.groups: dict[str, str] = {}  # offence -> offence group
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

    def extras(self, columns: list[list[str]]) -> Iterable[tuple[str, ...]]:
        if not self.extra_indexes:
            return repeat(())
        return zip(*[columns[i] for i in self.extra_indexes])

    def in_frame(self, columns: list[list[str]], months: list[Any], groups: list[str]) -> Iterable[bool]:
        if not self.scope:
            return repeat(True)
        flags = [True] * len(months)
        for source, allowed, cache in self.scope:
            values = months if source == "month" else groups if source == "offence_group" else columns[source]  # type: ignore[index]
            # (a month that failed to parse is _NOT_A_MONTH, not text: its row is rejected anyway)
            inside = _cached(cache, values, lambda value, allowed=allowed: isinstance(value, str) and value.casefold() in allowed)
            flags = list(map(and_, flags, inside))
        return flags


def _read_batch(
    plan: _RowPlan, state: _ReadState, first: int, batch: list[list[str]]
) -> tuple[tuple[Iterable[Any], ...], list[str], bool]:
    """Work out one batch of records, the first being row ``first``.

    :returns: the field columns in :class:`PopulationRow` order, the month texts as written,
        and whether every row is accepted (their refs are then taken already).
    """
    columns = plan.columns(batch)
    refs, offences, areas, month_texts, outcomes, officers, group_texts = plan.pick(columns)
    months = _cached(state.months, month_texts, _month_value)
    groups = group_texts if plan.group_mapped else _cached(state.groups, offences, offence_group)
    numbers = range(first, first + len(batch))
    fields = (numbers, refs, offences, groups, areas, months, outcomes, officers,
              plan.extras(columns), plan.in_frame(columns, months, groups))
    all_accepted = _NOT_A_MONTH not in months and _take_refs(state.seen, refs, numbers)
    return fields, month_texts, all_accepted


def _take_refs(seen: dict[str, int], refs: list[str], numbers: range) -> bool:
    """Record a batch's refs as taken, if none is empty, repeated or already taken (else: no change)."""
    if not seen.keys().isdisjoint(refs):
        return False
    before = len(seen)
    seen.update(zip(refs, numbers))
    if len(seen) == before + len(refs) and "" not in seen:
        return True
    for ref in refs:  # a ref repeated within the batch, or an empty one: undo, all were new
        seen.pop(ref, None)
    return False


def _decide_rows(
    state: _ReadState, batch: list[list[str]], month_texts: list[str], rows: Iterator[tuple[Any, ...]]
) -> Iterator[tuple[Any, ...] | Rejection]:
    """Row by row: skip blank records, reject empty, repeated and badly dated rows, and pass on
    the field values of the rest."""
    seen = state.seen
    for cells, month_text, values in zip(batch, month_texts, rows):
        number, ref, month = values[0], values[1], values[5]
        if not ref:
            if any(map(str.strip, cells)):
                yield Rejection(number, "", "empty ref")
            else:
                state.blank += 1
            continue
        first = seen.get(ref)
        if first is not None:
            yield Rejection(number, ref, f"duplicate ref (first seen in row {first})")
        elif month is _NOT_A_MONTH:
            yield Rejection(number, ref, f"Month '{month_text}' is not a recognised date ({MONTH_HINT})")
        else:
            seen[ref] = number
            yield values


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


class _Ticker:
    """Calls ``progress`` about every 1% of the bytes, checked once a batch."""

    def __init__(self, records: _Records, total: int, progress: Progress | None):
        self.records = records
        self.total = total
        self.progress = progress
        self.step = max(total // 100, 1)
        self.next_bytes = self.step

    def tick(self) -> None:
        if self.progress is None:
            return
        done = self.records.position()
        if done >= self.next_bytes:
            self.progress(min(done, self.total), self.total)
            self.next_bytes = done + self.step
