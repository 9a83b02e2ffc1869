"""The field vocabulary of a population import: the canonical fields and the words for them.

Which fields a unit has (:data:`CANONICAL_FIELDS`), the column-mapping presets, the header
names recognised for each field and how a field got its column (``HOW_*``); the values derived
from cells (a ``YYYY-MM`` month from a date in a common UK form, a neighbourhood-crime offence
group from an offence name); and the form an insert-ready row takes (:data:`ROW_COLUMNS`, with
the extra columns encoded as one text by :func:`encode_extras`).

Nothing here reads a file: these are the words the other modules of the package share.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

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

# The offence groups the importer derives, in the order they are shown, with their labels: the one
# place a group code becomes words. police.uk's "Burglary" covers residential and business
# burglary alike, so the group says so (the checklist's profile asks which kind).
OFFENCE_GROUPS = ("burglary", "robbery", "theft_from_person", "vehicle", "other")
GROUP_LABELS = {
    "burglary": "Burglary (residential or business)",
    "robbery": "Robbery",
    "theft_from_person": "Theft from the person",
    "vehicle": "Vehicle offences",
    "other": "Other offences",
}


def group_label(code: str) -> str:
    """The words for an offence group code (``theft_from_person`` → "Theft from the person");
    any other text is returned as it is."""
    return GROUP_LABELS.get(code, code)


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

# The values of an insert-ready row (RowBatch.rows), in order: the unit table's columns but its batch.
# Extras are stored as one text (see encode_extras) joined by EXTRA_SEPARATOR, or JSON after JSON_MARKER.
ROW_COLUMNS = ("row", "ref", "offence", "offence_group", "area", "month", "outcome", "officer", "extras", "in_frame")
EXTRA_SEPARATOR = "\x1f"
JSON_MARKER = "\x1e"


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
    by a leading U+001E) keeps any value, so nothing is lost. (Defined in the reader, which
    builds import rows a batch at a time; the store reads it back with :func:`decode_extras`.)
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



def values_sha256(values: Mapping[str, Any]) -> str:
    """SHA-256 of one unit's values (canonical fields, source row, extra fields by name), as
    canonical JSON: recorded in the audit trail when a sample is drawn, so that a value changed
    behind the trail's back (an offence, an area, an extra field) is found by ``verify``."""
    text = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ColumnsDigest:
    """SHA-256 of the unit rows of one import, fed column by column a batch at a time (joining a
    column is done in C: a million rows cost a fraction of a second). The rows must come in the
    order they are stored (file order), in :data:`ROW_COLUMNS` order; ``None`` is hashed as
    U+0000 so that it differs from any text a cell can hold."""

    def __init__(self) -> None:
        self._columns = [hashlib.sha256() for _ in ROW_COLUMNS]

    def update(self, columns: Sequence[Sequence[Any]]) -> None:
        if not columns or not len(columns[0]):
            return  # a chunk whose rows were all rejected adds nothing (verify reads no such chunk back)
        last = len(ROW_COLUMNS) - 1
        for index, (digest, column) in enumerate(zip(self._columns, columns)):
            if index in (0, last):  # the row number and the in-frame flag: whole numbers
                text = EXTRA_SEPARATOR.join(map(str, map(int, column)))
            else:
                try:
                    text = EXTRA_SEPARATOR.join(column)  # text cells: joined in C
                except TypeError:
                    text = EXTRA_SEPARATOR.join(map(_digest_text, column))
            digest.update((text + EXTRA_SEPARATOR).encode("utf-8", "surrogatepass"))

    def hexdigest(self) -> str:
        whole = hashlib.sha256()
        for digest in self._columns:
            whole.update(digest.digest())
        return whole.hexdigest()


def _digest_text(value: Any) -> str:
    return "\x00" if value is None else str(value)
