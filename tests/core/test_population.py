"""The population reader: the real police.uk file, messy variants of one content, mapping,
dates, offence groups, scope and file-level errors.

Expected figures for the police.uk file were derived outside Python, with awk over the stored
copy (the file has no quoted fields, so splitting on commas is exact):

    F=tests/data/population/police-uk-2025-01-city-of-london.csv
    awk -F, 'NR>1' $F | wc -l                                   # 629 data rows
    awk -F, 'NR>1 && $1=="" {print NR}' $F                      # empty Crime ID: rows 494, 569
    awk -F, 'NR>1 && $1!="" { if ($1 in s) print NR, s[$1]; else s[$1]=NR }' $F
                                                                # 13 repeats (row, first row) below
    awk -F, 'NR>1 && $1!="" && !($1 in s) {s[$1]=1; print $10}' $F | sort | uniq -c
                                                                # accepted rows by Crime type
    sha256sum $F                                                # as published in police-uk-NOTICE.md

The stored copy is police.uk's ``2025-01-city-of-london-street.csv``, renamed; its notice
(Open Government Licence attribution) sits beside it as ``police-uk-NOTICE.md``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import random
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import Workbook

from audit_app.core import population as pop
from audit_app.core.population import (
    PopulationError,
    PopulationRow,
    Rejection,
    open_population,
    parse_month,
    resolve_mapping,
)
from audit_app.errors import UserFacingError

DATA = Path(__file__).resolve().parents[1] / "data" / "population"
POLICE_UK = DATA / "police-uk-2025-01-city-of-london.csv"
POLICE_UK_SHA256 = "e1b956a3e57c4f568abbc3e1411ff2b2559e6ab29a7f9831a513838e6dbc8766"
MONTH_HINT = "is not a recognised date (use e.g. 2025-01 or 15/01/2025)"


def read_all(source: pop.PopulationSource) -> list[PopulationRow | Rejection]:
    return list(source.read())


def accepted(items: list[PopulationRow | Rejection]) -> list[PopulationRow]:
    return [item for item in items if isinstance(item, PopulationRow)]


def rejected(items: list[PopulationRow | Rejection]) -> list[Rejection]:
    return [item for item in items if isinstance(item, Rejection)]


# ---------------------------------------------------------------------------------------------
# The real police.uk file


# (row, row of the first occurrence), from the awk command in the module docstring.
POLICE_UK_REPEATS = [(18, 16), (48, 47), (243, 203), (274, 273), (278, 277), (300, 298), (432, 428), (442, 441),
                     (497, 90), (558, 554), (595, 346), (600, 286), (619, 424)]
POLICE_UK_EMPTY = [494, 569]


def test_police_uk_counts_and_rejections():
    source = open_population(POLICE_UK, preset="police-uk")
    items = read_all(source)
    assert source.rows_read == 629
    assert len(accepted(items)) == 614
    rejections = rejected(items)
    assert len(rejections) == 15 == len(POLICE_UK_REPEATS) + len(POLICE_UK_EMPTY)
    assert [r.row for r in rejections] == sorted([row for row, _ in POLICE_UK_REPEATS] + POLICE_UK_EMPTY)
    first_of = dict(POLICE_UK_REPEATS)
    for rejection in rejections:
        if rejection.row in POLICE_UK_EMPTY:
            assert (rejection.ref, rejection.reason) == ("", "empty ref")
        else:
            assert rejection.reason == f"duplicate ref (first seen in row {first_of[rejection.row]})"
            assert len(rejection.ref) == 64  # police.uk Crime IDs are 64 hex digits


def test_police_uk_rows_groups_and_hash():
    source = open_population(POLICE_UK, preset="police-uk")
    rows = accepted(read_all(source))
    # Crime type counts of the accepted rows (awk, above): Burglary 22, Robbery 16,
    # Theft from the person 86, Vehicle crime 9; the other 481 are "other".
    assert Counter(r.offence_group for r in rows) == {
        "burglary": 22, "robbery": 16, "theft_from_person": 86, "vehicle": 9, "other": 481,
    }
    assert {r.month for r in rows} == {"2025-01"}
    assert all(r.in_frame and r.officer == "" for r in rows)
    first = rows[0]
    assert first == PopulationRow(
        2, "8c7661d1b68d476454c5b68a58daee0d91781a94f6001555df3c7f0d6498d821", "Other theft", "other",
        "Camden 027C", "2025-01", "Investigation complete; no suspect identified", "",
        ("City of London Police", "City of London Police", "-0.107682", "51.517786", "On or near B521", "E01000917", ""),
        True,
    )
    assert source.sha256 == POLICE_UK_SHA256 == hashlib.sha256(POLICE_UK.read_bytes()).hexdigest()
    assert (source.format, source.encoding, source.delimiter) == ("csv", "utf-8", ",")


def test_police_uk_preset_mapping():
    mapping = open_population(POLICE_UK, preset="police-uk").mapping
    assert mapping.fields == {"ref": "Crime ID", "offence": "Crime type", "area": "LSOA name", "month": "Month",
                              "outcome": "Last outcome category"}
    assert set(mapping.how.values()) == {"preset"}
    assert mapping.extras == ("Reported by", "Falls within", "Longitude", "Latitude", "Location", "LSOA code", "Context")


def test_police_uk_header_match_finds_the_same_columns():
    mapping = open_population(POLICE_UK).mapping
    assert mapping.fields == open_population(POLICE_UK, preset="police-uk").mapping.fields
    assert set(mapping.how.values()) == {"header match"}


def test_police_uk_preset_on_another_file(tmp_path):
    path = tmp_path / "force.csv"
    path.write_text("crime_ref,offence\nR1,Burglary\n", encoding="utf-8")
    with pytest.raises(PopulationError, match=r"'force.csv' does not fit the 'police-uk' preset: it has no 'Crime ID'"):
        open_population(path, preset="police-uk")


# ---------------------------------------------------------------------------------------------
# One content, many encodings, delimiters and formats

HEADER = ["Crime Reference", "Offence", "Recorded date", "Borough", "Outcome", "OIC", "Notes"]
# Every value is Windows-1252-encodable, so the cp1252 variant holds the same content ("ő" is not:
# it is tested in UTF-8 alone). Row numbers are in the comments.
CONTENT: list[list[str]] = [
    ["CR/1001/25", "Residential burglary", "15/01/2025", "  Westminster ", "Investigation complete", "PC 101",
     "Stolen: £250 cash"],                                                                          # 2
    ["CR/1002/25", "Robbery of personal property", "2025-01-20", "Camden", "Charged", "PC 102",
     "Victim: Zoë Brontë; witness: Señor Muñoz"],                                                   # 3
    ["CR/1003/25", "Theft from the person", "3 Feb 2025", "Café Nérö", "", "", "Line one\nLine two"],  # 4
    ["", "Shoplifting", "15/01/2025", "Camden", "", "", "no ref"],                                  # 5 empty ref
    [],                                                                                             # 6 blank
    ["CR/1001/25", "Burglary - Residential", "16/01/2025", "Westminster", "", "", "repeat"],        # 7 repeat of 2
    ["CR/1004/25", "Theft from a motor vehicle", "31/02/2025", "Hackney", "", "", "bad date"],      # 8 no 31 Feb
    ["CR/1004/25", "Theft from a motor vehicle", "Jan 2025", "Hackney", "", "", "€5 “quoted” – Œuvre"],  # 9
    ["CR/1005/25", "Criminal damage, other", "15.01.2025 10:22"],                                  # 10 short
    ["  CR/1006/25  ", "Vehicle interference", "January 2025", "Lambeth", "Unable to prosecute", "PC 103", "x",
     "cell beyond the header"],                                                                     # 11 long
]
EXPECTED: list[PopulationRow | Rejection] = [
    PopulationRow(2, "CR/1001/25", "Residential burglary", "burglary", "Westminster", "2025-01", "Investigation complete",
                  "PC 101", ("Stolen: £250 cash",), True),
    PopulationRow(3, "CR/1002/25", "Robbery of personal property", "robbery", "Camden", "2025-01", "Charged", "PC 102",
                  ("Victim: Zoë Brontë; witness: Señor Muñoz",), True),
    PopulationRow(4, "CR/1003/25", "Theft from the person", "theft_from_person", "Café Nérö", "2025-02", "", "",
                  ("Line one\nLine two",), True),
    Rejection(5, "", "empty ref"),
    Rejection(7, "CR/1001/25", "duplicate ref (first seen in row 2)"),
    Rejection(8, "CR/1004/25", f"Month '31/02/2025' {MONTH_HINT}"),
    PopulationRow(9, "CR/1004/25", "Theft from a motor vehicle", "vehicle", "Hackney", "2025-01", "", "",
                  ("€5 “quoted” – Œuvre",), True),
    PopulationRow(10, "CR/1005/25", "Criminal damage, other", "other", "", "2025-01", "", "", ("",), True),
    # a long row with a value beyond the header: rejected, never cut silently (issue 12 §4)
    Rejection(11, "CR/1006/25", "8 cells where the header has 7: the values beyond the header would be lost, so the "
                                "row is not imported; fix it (a delimiter inside an unquoted value?) and import again"),
]


def write_csv(path: Path, encoding: str, delimiter: str = ",", line_end: str = "\n", quoting: int = csv.QUOTE_MINIMAL) -> Path:
    # Excel's way: records end with CRLF (or LF), a line break inside a value stays a bare LF.
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end, quoting=quoting)
    writer.writerow(HEADER)
    writer.writerows(CONTENT)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


VARIANTS = {
    "utf-8, comma, LF": lambda p: write_csv(p / "v.csv", "utf-8"),
    "utf-8 with BOM, CRLF": lambda p: write_csv(p / "v.csv", "utf-8-sig", line_end="\r\n"),
    "Windows-1252, CRLF": lambda p: write_csv(p / "v.csv", "cp1252", line_end="\r\n"),
    "semicolon": lambda p: write_csv(p / "v.csv", "utf-8", delimiter=";"),
    "tab": lambda p: write_csv(p / "v.tsv", "utf-8", delimiter="\t"),
    "every field quoted": lambda p: write_csv(p / "v.csv", "utf-8", quoting=csv.QUOTE_ALL, line_end="\r\n"),
    "UTF-16 tab (Excel Unicode text)": lambda p: write_csv(p / "v.txt", "utf-16", delimiter="\t", line_end="\r\n"),
    "xlsx": lambda p: write_xlsx(p / "v.xlsx", [HEADER, *CONTENT]),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_variant_reads_the_same(tmp_path, variant):
    # Row numbers agree too: a CSV row is a record (row 4 spans two lines) and a sheet row is one
    # record, so no format shifts them here.
    path = VARIANTS[variant](tmp_path)
    source = open_population(path)
    assert read_all(source) == EXPECTED
    assert source.rows_read == 9  # rows 2-11 less the blank row 6
    assert source.header == tuple(HEADER)
    assert source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_variants_report_how_they_were_read(tmp_path):
    found = {}
    for name, write in VARIANTS.items():
        folder = tmp_path / str(len(found))
        folder.mkdir()
        source = open_population(write(folder))
        found[name] = (source.format, source.encoding, source.delimiter)
    assert found == {
        "utf-8, comma, LF": ("csv", "utf-8", ","),
        "utf-8 with BOM, CRLF": ("csv", "utf-8-sig", ","),
        "Windows-1252, CRLF": ("csv", "cp1252", ","),
        "semicolon": ("csv", "utf-8", ";"),
        "tab": ("csv", "utf-8", "\t"),
        "every field quoted": ("csv", "utf-8", ","),
        "UTF-16 tab (Excel Unicode text)": ("csv", "utf-16", "\t"),
        "xlsx": ("xlsx", "", ""),
    }


def test_header_match_on_the_variant_content(tmp_path):
    mapping = open_population(VARIANTS["utf-8, comma, LF"](tmp_path)).mapping
    assert mapping.fields == {"ref": "Crime Reference", "offence": "Offence", "area": "Borough", "month": "Recorded date",
                              "outcome": "Outcome", "officer": "OIC"}
    assert mapping.extras == ("Notes",)


def test_windows_1252_decided_by_a_byte_on_the_last_row(tmp_path):
    # The first megabyte is plain ASCII; only the last row shows the file is not UTF-8.
    path = tmp_path / "late.csv"
    filler = "".join(f"R{i},Burglary,Camden\n" for i in range(80_000))
    path.write_bytes(("ref,offence,area\n" + filler + "R-last,Burglary,Café Nérö\n").encode("cp1252"))
    source = open_population(path)
    assert source.encoding == "cp1252"
    assert accepted(read_all(source))[-1].area == "Café Nérö"


def test_utf8_only_characters(tmp_path):
    path = tmp_path / "hu.csv"
    path.write_text("ref,area\nR1,Café Nérő\n", encoding="utf-8")
    assert accepted(read_all(open_population(path)))[0].area == "Café Nérő"


def test_xlsx_cell_types_and_sheet_row_numbers(tmp_path):
    path = write_xlsx(tmp_path / "typed.xlsx", [
        [],
        ["URN", "Date", "Beat", "Count", "Rate", "Recorded at"],
        [12345, dt.datetime(2025, 1, 15), "  B1 ", 3.0, 0.25, dt.datetime(2025, 1, 15, 10, 22)],
        [12346.0, dt.date(2025, 2, 1), None, 7, 1e-3, dt.time(10, 22)],
        [None, None, None, None, None, None],
        ["R-3", "15/01/2025", True, None, None, None],
    ])
    source = open_population(path)
    assert source.header_row == 2
    assert source.mapping.fields == {"ref": "URN", "area": "Beat", "month": "Date"}
    assert read_all(source) == [
        PopulationRow(3, "12345", "", "", "B1", "2025-01", "", "", ("3", "0.25", "2025-01-15 10:22:00"), True),
        PopulationRow(4, "12346", "", "", "", "2025-02", "", "", ("7", "0.001", "10:22:00"), True),
        PopulationRow(6, "R-3", "", "", "TRUE", "2025-01", "", "", ("", "", ""), True),
    ]
    assert source.rows_read == 3
    assert source.preview(2) == [("12345", "2025-01-15", "B1", "3", "0.25", "2025-01-15 10:22:00"),
                                 ("12346", "2025-02-01", "", "7", "0.001", "10:22:00")]


# ---------------------------------------------------------------------------------------------
# The batched reader against a plain reference implementation


def reference_read(header: list[str], rows: list[list[str]]) -> list[PopulationRow | Rejection]:
    """The contract written as plainly as possible: one row at a time, no caches, no batches."""
    seen: dict[str, int] = {}
    out: list[PopulationRow | Rejection] = []
    for number, cells in enumerate(rows, start=2):
        cells = [c.strip() for c in (cells + [""] * len(header))[: len(header)]]
        if not any(cells):
            continue
        ref, offence, month_text = cells[0], cells[1], cells[2]
        if not ref:
            out.append(Rejection(number, "", "empty ref"))
        elif ref in seen:
            out.append(Rejection(number, ref, f"duplicate ref (first seen in row {seen[ref]})"))
        elif parse_month(month_text) is None:
            out.append(Rejection(number, ref, f"Month '{month_text}' {MONTH_HINT}"))
        else:
            seen[ref] = number
            out.append(PopulationRow(number, ref, offence, pop.offence_group(offence), "", parse_month(month_text) or "",
                                     "", "", (cells[3],), True))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_batches_agree_with_the_reference(tmp_path, monkeypatch, seed):
    # Small batches, few distinct refs: repeats within a batch, across batches, after a
    # rejected row, empty refs and blank rows all occur many times.
    monkeypatch.setattr(pop.rows, "BATCH_ROWS", [1, 3, 7, 64][seed % 4])
    rng = random.Random(seed)
    header = ["ref", "offence", "month", "note"]
    rows = []
    for _ in range(600):
        kind = rng.random()
        if kind < 0.03:
            rows.append([] if rng.random() < 0.5 else ["", " ", "", ""])
            continue
        ref = "" if kind < 0.08 else f" R{rng.randrange(400 if seed % 2 else 4000)} "
        month = rng.choice(["2025-01", "15/01/2025", "Feb 2025", "", "31/02/2025", "soon"] if kind < 0.2 else ["2025-01"])
        rows.append([ref, rng.choice(["Burglary", "Robbery", "Drugs", ""]), month, f"n{rng.randrange(9)}"])
    path = tmp_path / "random.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *rows])
    source = open_population(path)
    assert read_all(source) == reference_read(header, rows)
    assert source.rows_read == sum(1 for r in rows if any(c.strip() for c in r))


# ---------------------------------------------------------------------------------------------
# Mapping


def test_map_overrides_header_match(tmp_path):
    path = tmp_path / "force.csv"
    path.write_text("crime_ref,offence,offence_category,occurred_date,reported_date,borough,ward,officer_id\n"
                    "CR1,Residential burglary,Burglary,14/01/2025,02/02/2025,Camden,Ward 1,PC1\n", encoding="utf-8")
    auto = open_population(path).mapping
    assert auto.fields == {"ref": "crime_ref", "offence": "offence", "area": "borough", "month": "reported_date",
                           "officer": "officer_id"}
    assert auto.extras == ("offence_category", "occurred_date", "ward")  # a category is not the group
    source = open_population(path, mapping={"month": "occurred_date", "area": "Ward", "officer": ""})
    assert source.mapping.fields == {"ref": "crime_ref", "offence": "offence", "area": "ward", "month": "occurred_date"}
    assert source.mapping.how == {"ref": "header match", "offence": "header match", "area": "--map", "month": "--map"}
    assert source.mapping.extras == ("offence_category", "reported_date", "borough", "officer_id")
    row = accepted(read_all(source))[0]
    assert (row.area, row.month, row.officer, row.extras) == ("Ward 1", "2025-01", "", ("Burglary", "02/02/2025", "Camden", "PC1"))


def test_map_offence_group_column_is_used_as_written(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("ref,offence,Offence group\nR1,Residential burglary,Neighbourhood\n", encoding="utf-8")
    source = open_population(path)
    assert source.mapping.how["offence_group"] == "header match"
    assert accepted(read_all(source))[0].offence_group == "Neighbourhood"


@pytest.mark.parametrize("header, expected", [
    (["Crime ID"], {"ref": "Crime ID"}),
    (["crime_ref"], {"ref": "crime_ref"}),
    (["Crime Reference"], {"ref": "Crime Reference"}),
    (["CRN", "Offence description"], {"ref": "CRN", "offence": "Offence description"}),
    (["URN", "Classification", "Outcome code", "Officer ID"],
     {"ref": "URN", "offence": "Classification", "outcome": "Outcome code", "officer": "Officer ID"}),
    (["Reference", "Crime type", "Ward", "Beat"], {"ref": "Reference", "offence": "Crime type", "area": "Ward"}),
    (["REF.", "Occurred date", "Recorded date"], {"ref": "REF.", "month": "Recorded date"}),
    (["ref", "Date", "Reported date"], {"ref": "ref", "month": "Reported date"}),
    (["ref", "BCU", "Neighbourhood", "Investigating officer"], {"ref": "ref", "area": "BCU", "officer": "Investigating officer"}),
    (["ref", "Last outcome category", "Outcome type"], {"ref": "ref", "outcome": "Outcome type"}),
    (["ref", "offence_category", "Offence Group"], {"ref": "ref", "offence_group": "Offence Group"}),
])
def test_header_names(header, expected):
    assert resolve_mapping("f.csv", header).fields == expected


def test_unknown_map_column_names_it_and_lists_the_header(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("Crime ID,Month\nA,2025-01\n", encoding="utf-8")
    with pytest.raises(PopulationError) as error:
        open_population(path, mapping={"officer": "Officer name"})
    assert str(error.value) == (
        "'f.csv' has no column 'Officer name' (asked for by --map officer=Officer name); "
        "its columns are 'Crime ID', 'Month'."
    )
    assert isinstance(error.value, UserFacingError)


def test_unknown_map_field(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("Crime ID,Month\nA,2025-01\n", encoding="utf-8")
    with pytest.raises(PopulationError, match=r"--map division=… names no field; the fields are ref, offence"):
        open_population(path, mapping={"division": "Month"})


def test_one_column_mapped_twice(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("Crime ID,Month\nA,2025-01\n", encoding="utf-8")
    with pytest.raises(PopulationError, match=r"column 'Month' is mapped twice"):
        open_population(path, mapping={"month": "Month", "area": "Month"})


def test_missing_ref_column(tmp_path):
    path = tmp_path / "noref.csv"
    path.write_text("Offence,Month\nBurglary,2025-01\n", encoding="utf-8")
    with pytest.raises(PopulationError, match=r"^'noref.csv' has no crime reference column .* --map ref=COLUMN; "
                                              r"its columns are 'Offence', 'Month'\.$"):
        open_population(path)


def test_blank_and_repeated_header_names(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("ref,Note,,Note,\nR1,a,b,c,\n", encoding="utf-8")
    source = open_population(path)
    assert source.header == ("ref", "Note", "Column 3", "Note (2)")
    assert accepted(read_all(source))[0].extras == ("a", "b", "c")


# ---------------------------------------------------------------------------------------------
# Dates and offence groups


@pytest.mark.parametrize("text, month", [
    ("2025-01", "2025-01"),
    ("2025-1", "2025-01"),
    ("2025-01-15", "2025-01"),
    ("2025/01/15", "2025-01"),
    ("15/01/2025", "2025-01"),
    ("15/1/25", "2025-01"),
    ("1/12/99", "1999-12"),
    ("15-01-2025", "2025-01"),
    ("15.01.2025", "2025-01"),
    ("15 Jan 2025", "2025-01"),
    ("15 January 2025", "2025-01"),
    ("15th January 2025", "2025-01"),
    ("15-Jan-25", "2025-01"),
    ("Jan 2025", "2025-01"),
    ("January 2025", "2025-01"),
    ("Sept 2025", "2025-09"),
    ("jan-25", "2025-01"),
    ("01/2025", "2025-01"),
    ("2025-01-15T10:22:00", "2025-01"),
    ("2025-01-15 10:22:00.123", "2025-01"),
    ("2025-01-15T10:22:00Z", "2025-01"),
    ("15/01/2025 10:22", "2025-01"),
    ("15/01/2025 10:22:05", "2025-01"),
    ("05/01/2025 3:04 PM", "2025-01"),  # day first: 5 January, not 1 May
    ("  12/03/2025  ", "2025-03"),
    ("", ""),
    ("   ", ""),
])
def test_month_forms(text, month):
    assert parse_month(text) == month


@pytest.mark.parametrize("text", [
    "01/15/2025",  # US order: month 15
    "31/02/2025", "2025-13", "2025-00", "32/01/2025", "Janvier 2025", "15 Foo 2025", "15/01", "2025",
    "45672",  # an Excel serial number typed as text
    "2205-01-15", "yesterday", "15/01/2025 25:99:99x",
])
def test_not_months(text):
    assert parse_month(text) is None


@pytest.mark.parametrize("offence, group", [
    ("Burglary", "burglary"), ("Robbery", "robbery"), ("Theft from the person", "theft_from_person"),
    ("Vehicle crime", "vehicle"), ("Other theft", "other"), ("Anti-social behaviour", "other"),
    ("Domestic burglary", "burglary"), ("Residential burglary", "burglary"), ("Burglary - residential", "burglary"),
    ("BURGLARY – RESIDENTIAL", "burglary"), ("Burglary - business and community", "other"),
    ("Robbery of personal property", "robbery"), ("Personal robbery", "robbery"),
    ("Robbery of business property", "other"), ("theft from the person", "theft_from_person"),
    ("Theft of a motor vehicle", "vehicle"), ("Theft from a motor vehicle", "vehicle"),
    ("Vehicle interference", "vehicle"), ("Aggravated vehicle taking", "vehicle"), ("", ""),
])
def test_offence_groups(offence, group):
    assert pop.offence_group(offence) == group


# ---------------------------------------------------------------------------------------------
# Scope


def test_scope_marks_rows_outside_it(tmp_path):
    source = open_population(VARIANTS["utf-8, comma, LF"](tmp_path),
                             scope={"offence_group": ["burglary", "Vehicle"], "Notes": ["Stolen: £250 cash", "x", "€5 “quoted” – Œuvre"]})
    rows = accepted(read_all(source))
    assert [(r.row, r.in_frame) for r in rows] == [(2, True), (3, False), (4, False), (9, True), (10, False)]  # 11 is long: rejected


def test_scope_by_month_and_mapped_column_name(tmp_path):
    path = VARIANTS["utf-8, comma, LF"](tmp_path)
    rows = accepted(read_all(open_population(path, scope={"month": ["Feb 2025"]})))
    assert [r.row for r in rows if r.in_frame] == [4]
    rows = accepted(read_all(open_population(path, scope={"Borough": ["westminster", "hackney"]})))
    assert [r.row for r in rows if r.in_frame] == [2, 9]


def test_unknown_scope_field(tmp_path):
    with pytest.raises(PopulationError, match=r"--scope division=… names no field; the fields are ref, .* 'Notes'"):
        open_population(VARIANTS["utf-8, comma, LF"](tmp_path), scope={"division": ["North"]})


def test_scope_on_an_unmapped_field(tmp_path):
    with pytest.raises(PopulationError, match=r"no column feeds 'officer'"):
        open_population(POLICE_UK, preset="police-uk", scope={"officer": ["PC1"]})


def test_scope_month_must_be_a_month(tmp_path):
    with pytest.raises(PopulationError, match=r"--scope month=soon is not a month"):
        open_population(POLICE_UK, scope={"month": ["soon"]})


# ---------------------------------------------------------------------------------------------
# Files that are not populations


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(PopulationError, match=r"^'empty.csv' is empty"):
        open_population(path)


@pytest.mark.parametrize("content", [b"\n\n\r\n", b"\xef\xbb\xbf", b" , ,\n,,\n"])
def test_no_header_row(tmp_path, content):
    path = tmp_path / "blank.csv"
    path.write_bytes(content)
    with pytest.raises(PopulationError, match=r"^'blank.csv' has no header row"):
        open_population(path)


def test_binary_file(tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    with pytest.raises(PopulationError, match=r"^'photo.csv' is not a CSV or XLSX file"):
        open_population(path)


def test_old_excel_file(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    with pytest.raises(PopulationError, match=r"old-style Excel \(\.xls\)"):
        open_population(path)


def test_zip_that_is_not_a_workbook(tmp_path):
    import zipfile

    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hello")
    with pytest.raises(PopulationError, match=r"^'archive.xlsx' could not be read as an XLSX workbook"):
        open_population(path)


def test_neither_utf8_nor_windows_1252(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_bytes(b"ref,area\nR1,Caf\x81\n")
    with pytest.raises(PopulationError, match=r"neither UTF-8 nor Windows-1252"):
        open_population(path)


def test_missing_file(tmp_path):
    with pytest.raises(PopulationError, match=r"^Cannot open 'nowhere.csv'"):
        open_population(tmp_path / "nowhere.csv")


def test_unclosed_quote(tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text('ref,note\nR1,"never closed\n' + "R2,x\n" * 30_000, encoding="utf-8")
    with pytest.raises(PopulationError, match=r"has a cell near line \d+ longer than 131,072 characters.*quote .* is never closed"):
        read_all(open_population(path))


def test_file_changed_after_opening(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("ref\nR1\n", encoding="utf-8")
    source = open_population(path)
    path.write_text("ref\nR1\nR2\n", encoding="utf-8")
    with pytest.raises(PopulationError, match=r"changed after it was opened"):
        read_all(source)


# ---------------------------------------------------------------------------------------------
# Preview and progress


def test_preview_shows_raw_rows(tmp_path):
    source = open_population(VARIANTS["semicolon"](tmp_path))
    assert source.preview(3) == [
        tuple(["CR/1001/25", "Residential burglary", "15/01/2025", "Westminster", "Investigation complete", "PC 101",
               "Stolen: £250 cash"]),
        tuple(CONTENT[1]),
        tuple(CONTENT[2]),
    ]
    assert len(source.preview()) == 9  # all nine non-blank data rows (ten by default)


def test_progress_reaches_the_total(tmp_path, monkeypatch):
    monkeypatch.setattr(pop.rows, "BATCH_ROWS", 50)
    path = tmp_path / "big.csv"
    path.write_text("ref,offence\n" + "".join(f"R{i},Burglary\n" for i in range(20_000)), encoding="utf-8")
    calls: list[tuple[int, int]] = []
    source = open_population(path)
    for _ in source.read(lambda done, total: calls.append((done, total))):
        pass
    size = path.stat().st_size
    assert calls[-1] == (size, size)
    assert all(total == size for _, total in calls)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert 2 <= len(calls) <= 102


# ---------------------------------------------------------------------------------------------
# Insert-ready batches (row_batches), in this process and in a worker process, against read()

NEVER = 1 << 62  # a worker_min_bytes no file reaches: read in this process


def insert_rows_of(items: list[PopulationRow | Rejection]) -> tuple[list[tuple], list[tuple[int, str, str]]]:
    """What an import inserts, derived from read(): the contract for row_batches."""
    rows = [(i.row, i.ref, i.offence, i.offence_group, i.area, i.month, i.outcome, i.officer, pop.encode_extras(i.extras),
             int(i.in_frame)) for i in items if isinstance(i, PopulationRow)]
    return rows, [(i.row, i.ref, i.reason) for i in items if isinstance(i, Rejection)]


def read_batches(source: pop.PopulationSource, in_worker: bool, chunk_rows: int | None = None,
                 known: frozenset[str] = frozenset()) -> tuple[list[tuple], list[tuple[int, str, str]], int, int]:
    rows: list[tuple] = []
    rejections: list[tuple[int, str, str]] = []
    excluded = 0
    with source.row_batches(worker_min_bytes=0 if in_worker else NEVER, chunk_rows=chunk_rows) as batches:
        assert batches.in_worker is in_worker
        for batch in batches.read(known):
            assert [len(column) for column in batch.columns] == [len(batch)] * len(pop.ROW_COLUMNS)
            rows += batch.rows()
            rejections += batch.rejections
            excluded += batch.excluded
    return rows, rejections, excluded, source.rows_read


def assert_batches_agree_with_read(source: pop.PopulationSource, in_worker: bool, chunk_rows: int | None = None) -> None:
    items = read_all(source)
    rows_read = source.rows_read
    expected_rows, expected_rejections = insert_rows_of(items)
    rows, rejections, excluded, batches_rows_read = read_batches(source, in_worker, chunk_rows)
    assert rows == expected_rows
    assert rejections == expected_rejections
    assert excluded == sum(1 for row in expected_rows if not row[-1])
    assert batches_rows_read == rows_read


@pytest.mark.parametrize("in_worker", [False, True], ids=["in-process", "worker"])
def test_row_batches_on_the_police_uk_file(in_worker):
    source = open_population(POLICE_UK, preset="police-uk", scope={"offence_group": ["burglary", "vehicle"]})
    assert_batches_agree_with_read(source, in_worker, chunk_rows=100)
    rows, rejections, excluded, rows_read = read_batches(source, in_worker)
    assert (rows_read, len(rows) + len(rejections)) == (629, 629)
    assert [(row, first) for row, _, reason in rejections if (first := reason.partition("first seen in row ")[2])] == [
        (row, f"{first})") for row, first in POLICE_UK_REPEATS]
    assert 0 < excluded < len(rows)


@pytest.mark.parametrize("in_worker", [False, True], ids=["in-process", "worker"])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_row_batches_on_every_variant(tmp_path, variant, in_worker):
    assert_batches_agree_with_read(open_population(VARIANTS[variant](tmp_path)), in_worker)


def messy_rows(rng: random.Random, count: int, refs: int) -> list[list[str]]:
    """Blank rows, empty and repeated refs, bad months, short and long rows, padding, and
    values holding the characters the stored extras and the worker's messages use."""
    rows = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.02:
            rows.append([] if rng.random() < 0.5 else ["", " ", "", "", ""])
            continue
        ref = "" if kind < 0.05 else f" R{rng.randrange(refs)} "
        month = rng.choice(["2025-01", "15/01/2025", "Feb 2025", "", "31/02/2025", "soon"] if kind < 0.15 else ["2025-01"])
        note = rng.choice(["n", " padded ", "a\x1fb", "\x1e", "tab\there", "", "x" * 40]) if kind < 0.3 else f"n{rng.randrange(9)}"
        row = [ref, rng.choice(["Burglary", "Robbery", "Drugs", ""]), month, note, rng.choice(["North", "South"])]
        if rng.random() < 0.03:
            row = row[: rng.randrange(1, 5)]
        elif rng.random() < 0.03:
            row += ["beyond the header"]
        rows.append(row)
    return rows


@pytest.mark.parametrize("in_worker", [False, True], ids=["in-process", "worker"])
def test_row_batches_on_a_messy_file(tmp_path, in_worker):
    rng = random.Random(7)
    path = tmp_path / "messy.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["ref", "offence", "month", "note", "area"], *messy_rows(rng, 5000, 3000)])
    source = open_population(path, scope={"area": ["north"]})
    assert_batches_agree_with_read(source, in_worker, chunk_rows=600)
    rows, rejections, _, _ = read_batches(source, in_worker, chunk_rows=600)
    reasons = Counter(reason.split(" (")[0].split(" '")[0] for _, _, reason in rejections)
    assert reasons.keys() == {"empty ref", "duplicate ref", "Month", "6 cells where the header has 5: the values beyond the header would be lost, so the row is not imported; fix it"}
    assert any("\x1e" in row[8] for row in rows)  # extras stored as JSON when a value holds a marker


@pytest.mark.parametrize("batch_rows", [1, 3, 7, 64])
def test_row_batches_agree_with_read_whatever_the_batch_and_chunk_sizes(tmp_path, monkeypatch, batch_rows):
    # Runs of one to many batches, with repeats and problems within a run and across runs.
    monkeypatch.setattr(pop.rows, "BATCH_ROWS", batch_rows)
    rng = random.Random(batch_rows)
    path = tmp_path / "messy.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["ref", "offence", "month", "note", "area"], *messy_rows(rng, 800, 300)])
    for chunk_rows in (1, 5, 100, 10_000):
        assert_batches_agree_with_read(open_population(path), False, chunk_rows)


@pytest.mark.parametrize("chunk_rows", [1, 2, 100])
@pytest.mark.parametrize("in_worker", [False, True], ids=["in-process", "worker"])
def test_a_bad_month_is_a_repeat_only_of_a_row_before_it(tmp_path, in_worker, chunk_rows):
    # The rows that can be accepted take their refs in one pass over a run: a row with a bad
    # month is a repeat of the row that took its ref only if that row comes before it.
    path = tmp_path / "m.csv"
    path.write_text("ref,month\nA,nope\nA,2025-01\nA,bad\nB,2025-01\nB,2025-02\n,2025-01\n,\nC,x\nC,2025-01\nC,2025-03\n",
                    encoding="utf-8")
    source = open_population(path)
    expected = [
        (2, "A", f"Month 'nope' {MONTH_HINT}"),
        (4, "A", "duplicate ref (first seen in row 3)"),
        (6, "B", "duplicate ref (first seen in row 5)"),
        (7, "", "empty ref"),
        (9, "C", f"Month 'x' {MONTH_HINT}"),
        (11, "C", "duplicate ref (first seen in row 10)"),
    ]
    rows, rejections, _, rows_read = read_batches(source, in_worker, chunk_rows=chunk_rows)
    assert [row[:2] for row in rows] == [(3, "A"), (5, "B"), (10, "C")]
    assert rejections == expected
    assert rows_read == 9  # the blank record (row 8) is neither read nor rejected
    assert [(r.row, r.ref, r.reason) for r in read_all(source) if isinstance(r, Rejection)] == expected


@pytest.mark.parametrize("in_worker", [False, True], ids=["in-process", "worker"])
def test_row_batches_with_nul_in_values(tmp_path, in_worker):
    # UTF-16 text may hold U+0000, which the worker's joined columns cannot: they are sent as lists.
    path = tmp_path / "nul.txt"
    path.write_bytes("ref\tarea\tnote\nR1\ta\x00b\tx\x00\nR2\tc\t\x00\n".encode("utf-16"))
    source = open_population(path)
    assert_batches_agree_with_read(source, in_worker)
    rows, _, _, _ = read_batches(source, in_worker)
    assert [(row[4], row[8]) for row in rows] == [("a\x00b", "x\x00"), ("c", "\x00")]


@pytest.mark.parametrize("in_worker", [False, True], ids=["in-process", "worker"])
def test_row_batches_reject_known_refs_after_taking_them(tmp_path, in_worker):
    path = tmp_path / "k.csv"
    path.write_text("ref,month\nA,2025-01\nB,2025-01\nC,nope\nB,2025-02\nD,2025-01\nC,2025-01\n", encoding="utf-8")
    rows, rejections, _, rows_read = read_batches(open_population(path), in_worker, known=frozenset({"B", "C", "Z"}))
    assert [row[:2] for row in rows] == [(2, "A"), (6, "D")]
    assert rejections == [
        (3, "B", "duplicate ref (already imported into this audit)"),
        (4, "C", f"Month 'nope' {MONTH_HINT}"),
        (5, "B", "duplicate ref (first seen in row 3)"),
        (7, "C", "duplicate ref (already imported into this audit)"),
    ]
    assert rows_read == 6


def test_row_batches_parse_error_in_the_worker(tmp_path):
    # (far enough down the file for the header search to pass it)
    path = tmp_path / "quote.csv"
    rows = "".join(f"R{i},x\n" for i in range(1000))
    path.write_text('ref,note\n' + rows + 'R1,"never closed\n' + "R2,x\n" * 30_000, encoding="utf-8")
    source = open_population(path)
    with pytest.raises(PopulationError, match=r"^'quote.csv' has a cell near line \d+ longer than .*never closed"):
        read_batches(source, True)
    with pytest.raises(PopulationError) as in_process:
        read_batches(source, False)
    with pytest.raises(PopulationError) as in_worker:
        read_batches(source, True)
    assert str(in_worker.value) == str(in_process.value)


def test_row_batches_file_changed_before_the_worker_reads(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("ref\nR1\n", encoding="utf-8")
    source = open_population(path)
    path.write_text("ref\nR1\nR2\n", encoding="utf-8")
    with pytest.raises(PopulationError, match=r"changed after it was opened"):
        read_batches(source, True)


def test_row_batches_progress_from_the_worker(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("ref,offence\n" + "".join(f"R{i},Burglary\n" for i in range(60_000)), encoding="utf-8")
    calls: list[tuple[int, int]] = []
    source = open_population(path)
    with source.row_batches(lambda done, total: calls.append((done, total)), worker_min_bytes=0, chunk_rows=1000) as batches:
        assert sum(len(batch) for batch in batches.read()) == 60_000
    size = path.stat().st_size
    assert calls[-1] == (size, size)
    assert all(total == size for _, total in calls)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert 2 <= len(calls) <= 102


def test_encoded_extras_of_a_batch_match_encode_extras():
    values = ["", "a", "a\x1fb", "\x1e", "x\x1e\x1fy", "é", " "]
    for width in (1, 2, 3):
        columns = [[values[(i * 7 + j * 3) % len(values)] for i in range(40)] for j in range(width)]
        assert pop.rows._encoded_extras(columns, 40) == [pop.encode_extras(row) for row in zip(*columns)]
        for row in zip(*columns):
            assert pop.decode_extras(pop.encode_extras(row), width) == list(row)
    assert pop.rows._encoded_extras([], 3) == ["", "", ""] == [pop.encode_extras(()) for _ in range(3)]
