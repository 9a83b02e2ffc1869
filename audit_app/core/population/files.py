"""The file of a population import: its format, encoding and hash, and its records as texts.

What a file may look like (see ``shared/spec/cli.md``, "Population fields"):

- CSV in UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark (Excel's
  "Unicode text"), or Windows-1252 (Excel's "CSV" on an English Windows); comma, semicolon or tab
  delimited; CRLF or LF line ends; quoted fields may span lines.
- XLSX: the first worksheet; the header is its first non-empty row.

:func:`_scan` hashes the file and settles its format and encoding in one streaming pass;
:func:`_sniff_file` finds a CSV file's delimiter; :class:`_CsvRecords` and :class:`_XlsxRecords`
hand out the file's records (lists of cell texts) a batch at a time; :func:`_header_names`
names the header's columns. What the cells mean is decided elsewhere (``mapping``, ``rows``).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import islice
from pathlib import Path
from typing import IO, Any

from audit_app.errors import PopulationError

SAMPLE_CHARS = 64 * 1024  # text read to find the delimiter (and bytes checked for binary data)
CHUNK_BYTES = 1024 * 1024  # bytes hashed and checked at a time

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
# A well-formed multi-byte UTF-8 sequence: in text that is not UTF-8 (Windows-1252) such byte pairs
# ("Ã¼") almost never occur, so finding one in a file that fails as UTF-8 means the file mixes both.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


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
        self.utf8_at: int | None = None  # offset of the first multi-byte UTF-8 sequence (seen when UTF-8 fails)
        self.end = 0

    def feed(self, chunk: bytes, offset: int) -> None:
        self.end = offset + len(chunk)
        if self.encoding != "utf-16":
            if self.nul_at is None and (nul := chunk.find(b"\x00")) >= 0:
                self.nul_at = offset + nul
            if self.cp1252_bad is None:
                found = [i for i in (chunk.find(b) for b in _CP1252_UNDEFINED) if i >= 0]
                self.cp1252_bad = offset + min(found) if found else None
            if self.utf8_at is None and not chunk.isascii() and (match := _UTF8_SEQUENCE.search(chunk)):
                self.utf8_at = offset + match.start()
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
        if self.utf8_at is not None:
            # Read as Windows-1252, its UTF-8 text would be garbled without a word ("Zürich" as "ZÃ¼rich").
            raise PopulationError(
                f"'{self.name}' mixes UTF-8 text (at byte {self.utf8_at}) with text that is not UTF-8 (at byte "
                f"{self.failed_at}), so no one encoding reads it correctly: save it again as 'CSV UTF-8'."
            )
        return "cp1252"


def decode_text_file(name: str, data: bytes) -> tuple[str, str]:
    """A small CSV file's text and encoding, decided as a population file's is: a byte-order mark
    (UTF-8 or UTF-16), else UTF-8, else Windows-1252 — refusing binary data, a NUL byte, bytes
    neither encoding knows, and a file that mixes UTF-8 with another encoding.

    :raises PopulationError: with one sentence naming the file and the byte.
    """
    _, encoding = _sniff_bytes(name, data)
    checker = _TextCheck(name, encoding)
    checker.feed(data, 0)
    encoding = checker.finish()
    return data.decode(encoding), encoding


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
        # strict: a quote still open at the end of the file is an error, not rows silently run together
        self._reader = csv.reader(self._text, delimiter=delimiter, strict=True)
        self._path = path

    def take(self, count: int) -> list[list[str]]:
        # Errors are caught here, per batch, rather than by a generator wrapped round the reader:
        # one more generator per row would cost a tenth of a second per million rows.
        try:
            return list(islice(self._reader, count))
        except csv.Error as exc:
            raise PopulationError(_csv_problem(self.name, self._reader.line_num, str(exc), self._path)) from exc
        except UnicodeDecodeError as exc:  # only if the file changed since it was scanned
            raise PopulationError(f"'{self.name}' changed while it was being read: import it again.") from exc

    def position(self) -> int:
        # The binary buffer's position runs at most one text chunk ahead: close enough for a bar.
        return self._binary.tell()

    def close(self) -> None:
        self._text.close()


def _csv_problem(name: str, line: int, problem: str, path: Path) -> str:
    """One sentence naming what is wrong with a CSV file near ``line`` (the csv module's wording is terse)."""
    if "field larger than field limit" in problem:
        quoted = _has_quote(path)
        hint = (' If a quote (") there opens a cell that is never closed, the rows after it run into that cell.'
                if quoted else "")
        return (f"'{name}' has a cell near line {line} longer than {csv.field_size_limit():,} characters, far longer "
                f"than any population field: check that this is the population file and that its rows are whole.{hint}")
    if "unexpected end of data" in problem:
        return (f"'{name}' ends (line {line}) inside a quoted cell: a quote (\") opened earlier and never closed reads "
                "every row after it into one cell. Close the quote and import again.")
    return f"'{name}' cannot be read as CSV near line {line} ({problem}): look for a stray quote (\") in that row."


def _has_quote(path: Path) -> bool:
    try:
        with _open_binary(path) as handle:
            while chunk := handle.read(CHUNK_BYTES):
                if b'"' in chunk:
                    return True
    except OSError:
        return True
    return False


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


def _sniff_file(path: Path, encoding: str) -> str:
    """The delimiter of a CSV file (see :func:`_sniff_delimiter`), from its first SAMPLE_CHARS characters."""
    with open(path, encoding=encoding, newline="") as text:
        sample = text.read(SAMPLE_CHARS)
        complete = not text.read(1)
    return _sniff_delimiter(sample, complete)


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

