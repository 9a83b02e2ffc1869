"""Population tables: import batches, rejections and the units (files) of the population."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlite_utils import Database

# The stored form of the extra columns (encode_extras, decode_extras) is defined in the reader,
# which builds it a batch at a time; it is re-exported here, where it is stored and read back.
from audit_app.core.population import (  # noqa: F401
    EXTRA_SEPARATOR,
    JSON_MARKER,
    ROW_COLUMNS,
    decode_extras,
    encode_extras,
)
from audit_app.store.database import inserted_id

UNIT_COLUMNS = ("batch_id", *ROW_COLUMNS)
CANONICAL = ("ref", "offence", "offence_group", "area", "month", "outcome", "officer")


@dataclass(frozen=True)
class Batch:
    id: int
    source_name: str
    sha256: str
    format: str
    encoding: str
    delimiter: str
    mapping: dict[str, Any]
    extras: list[str]
    scope: dict[str, list[str]]
    rows_read: int
    imported: int
    rejected: int
    excluded: int
    imported_at: str
    imported_by: str


def insert_batch(db: Database, **values: Any) -> int:
    for key in ("mapping", "extras", "scope"):
        values[key] = json.dumps(values[key], ensure_ascii=False, sort_keys=True)
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    return inserted_id(db.execute(f"INSERT INTO import_batch ({columns}) VALUES ({marks})", list(values.values())))


def update_batch_counts(db: Database, batch_id: int, rows_read: int, imported: int, rejected: int, excluded: int) -> None:
    db.execute(
        "UPDATE import_batch SET rows_read = ?, imported = ?, rejected = ?, excluded = ? WHERE id = ?",
        [rows_read, imported, rejected, excluded, batch_id],
    )


def set_batch_sha256(db: Database, batch_id: int, sha256: str) -> None:
    db.execute("UPDATE import_batch SET sha256 = ? WHERE id = ?", [sha256, batch_id])


def batches(db: Database) -> list[Batch]:
    rows = db.execute("SELECT * FROM import_batch ORDER BY id").fetchall()
    out = []
    for row in rows:
        values = list(row)
        for index in (6, 7, 8):
            values[index] = json.loads(values[index])
        out.append(Batch(*values))
    return out


ROWS_PER_INSERT = 100  # rows per INSERT statement, at most (SQLite's limit on values may be lower)


def insert_units(db: Database, batch_id: int, columns: Sequence[Sequence[Any]]) -> None:
    """Insert the unit rows of one import batch, given column by column (ROW_COLUMNS order, as
    the reader's RowBatch holds them).

    Rows go up to ROWS_PER_INSERT to a statement: binding one statement per row costs the
    sqlite3 module more than SQLite's own work, and many rows per statement nearly halve the
    time of a large import. Binding is still about half of it, so a column holding one value in
    every row (an unmapped field, the in-frame flag when there is no scope, the month of a
    month's file) is bound once per statement, not once per row. The batch id is written into
    the statement, not bound.
    """
    count = len(columns[0])
    if not count:
        return
    shared = tuple(index for index, column in enumerate(columns)
                   if count > 1 and column[0] == column[-1] and column.count(column[0]) == count)
    varying = [column for index, column in enumerate(columns) if index not in shared]
    fixed = [columns[index][0] for index in shared]
    width = len(varying)
    limit = db.conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - len(shared)
    per = max(1, min(ROWS_PER_INSERT, limit // width))
    whole = count - count % per
    if whole:
        values: list[Any] = [None] * (count * width)  # row by row: filled a column at a time, in C
        for index, column in enumerate(varying):
            values[index::width] = column
        step = per * width
        db.conn.executemany(_insert_units_sql(int(batch_id), len(columns), shared, per),
                            [fixed + values[start:start + step] for start in range(0, whole * width, step)])
    if whole < count:
        db.conn.executemany(_insert_units_sql(int(batch_id), len(columns), shared, 1),
                            [fixed + list(row) for row in zip(*[column[whole:] for column in varying])])


@lru_cache(maxsize=64)
def _insert_units_sql(batch_id: int, width: int, shared: tuple[int, ...], rows: int) -> str:
    """INSERT of ``rows`` unit rows of ``width`` columns, the ``shared`` ones bound once (as
    ?1, ?2, …, first), the others row by row after them."""
    number = len(shared)
    values = []
    for _ in range(rows):
        marks = []
        for index in range(width):
            if index in shared:
                marks.append(f"?{shared.index(index) + 1}")
            else:
                number += 1
                marks.append(f"?{number}")
        values.append(f"({batch_id}, {', '.join(marks)})")
    return f"INSERT INTO unit ({', '.join(UNIT_COLUMNS)}) VALUES {', '.join(values)}"


REF_INDEX = "unit_ref"  # the unique index on unit(ref) (migration m001)
SORT_THREADS = 2  # helper threads SQLite may use to sort the refs: about halves the index build


@contextmanager
def ref_index_rebuilt(db: Database) -> Iterator[None]:
    """Within the open write transaction: many inserts into ``unit`` without the refs' index.

    The unique index on unit(ref) is dropped for the block and built again from its own stored
    definition at its end, in the same transaction: one sort of every ref instead of a B-tree
    insert per row at a random place (real refs are hashes in no order), which, once the index
    outgrows SQLite's page cache, reads and writes a page of it for nearly every row. The sort
    may use helper threads (``PRAGMA threads``). A larger page cache does not help: with the
    index kept it only moves the work into the CPU, and it slows the sort. Building the index
    again checks once more that no ref was inserted twice: a repeat raises
    ``sqlite3.IntegrityError``, and the caller's transaction rolls back whole, the index with it.
    """
    row = db.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", [REF_INDEX]).fetchone()
    if row is None:
        raise RuntimeError(f"the audit has no index {REF_INDEX} on unit(ref)")
    db.execute(f"DROP INDEX {REF_INDEX}")
    yield
    threads = db.execute("PRAGMA threads").fetchone()[0]
    db.execute(f"PRAGMA threads = {SORT_THREADS}")  # the reader is done by now: its core is free
    try:
        db.execute(row[0])
    finally:
        db.execute(f"PRAGMA threads = {int(threads)}")


def insert_rejections(db: Database, batch_id: int, rejections: Iterable[tuple[int, str, str]]) -> None:
    db.conn.executemany(
        "INSERT INTO rejection (batch_id, row, ref, reason) VALUES (?, ?, ?, ?)",
        ((batch_id, row, ref, reason) for row, ref, reason in rejections),
    )


def rejections(db: Database, batch_id: int) -> list[tuple[int, str, str]]:
    return db.execute("SELECT row, ref, reason FROM rejection WHERE batch_id = ? ORDER BY id", [batch_id]).fetchall()


def unit_count(db: Database, in_frame_only: bool = False) -> int:
    where = " WHERE in_frame = 1" if in_frame_only else ""
    return db.execute(f"SELECT count(*) FROM unit{where}").fetchone()[0]


def frame_group_counts(db: Database) -> dict[str, int]:
    """Files in the sampling frame per offence group ("" for an unknown group)."""
    rows = db.execute("SELECT offence_group, count(*) FROM unit WHERE in_frame = 1 GROUP BY offence_group")
    return {group: count for group, count in rows.fetchall()}


def existing_refs(db: Database) -> set[str]:
    return {row[0] for row in db.execute("SELECT ref FROM unit")}


def extra_columns(db: Database) -> list[str]:
    """Every extra column name over all batches, in first-seen order."""
    names: list[str] = []
    for batch in batches(db):
        names.extend(n for n in batch.extras if n not in names)
    return names


def frame_units(db: Database, fields: Sequence[str]) -> list[tuple[str, ...]]:
    """(ref, *values of ``fields``) for every in-frame unit, in ref order.

    ``fields`` are canonical fields or extra column names (looked up per batch). Rows are read in
    storage order and sorted here: walking the ref index would fetch each row at random.
    """
    canonical = [f for f in fields if f in CANONICAL]
    wanted_extras = [f for f in fields if f not in CANONICAL]
    select = ", ".join(["ref"] + canonical + (["batch_id", "extras"] if wanted_extras else []))
    rows = db.execute(f"SELECT {select} FROM unit WHERE in_frame = 1").fetchall()
    if not wanted_extras:
        units = rows
    else:
        batch_extras = {b.id: b.extras for b in batches(db)}
        units = []
        for row in rows:
            values = dict(zip(canonical, row[1 : 1 + len(canonical)]))
            names = batch_extras[row[-2]]
            extras = dict(zip(names, decode_extras(row[-1], len(names))))
            values.update({f: extras.get(f, "") for f in wanted_extras})
            units.append((row[0], *(values[f] for f in fields)))
    units.sort(key=itemgetter(0))  # code-point order = SQLite's BINARY order on UTF-8
    return units


_COLUMN_JOINER = "\x1f"


def frame_columns(db: Database, fields: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    """The refs of every in-frame unit and, column by column, the values of ``fields``: in
    storage order, not sorted (what sampling needs, and much cheaper than rows).

    SQLite joins each column into one text (group_concat feeds every column the rows in the
    same order) and Python splits it: a million rows come back in about two thirds of the
    time of fetching them as tuples. A value holding the joiner, or an extra column, is read row by row.
    """
    if any(field not in CANONICAL for field in fields):
        rows = frame_units(db, fields)
        return [row[0] for row in rows], [[row[i] for row in rows] for i in range(1, len(fields) + 1)]
    names = ["ref", *fields]
    joined = ", ".join(f"group_concat({name}, char({ord(_COLUMN_JOINER)}))" for name in names)
    count, *texts = db.execute(f"SELECT count(*), {joined} FROM unit WHERE in_frame = 1").fetchone()
    if not count:
        return [], [[] for _ in fields]
    columns = [text.split(_COLUMN_JOINER) for text in texts]
    if any(len(column) != count for column in columns):
        rows = db.execute(f"SELECT {', '.join(names)} FROM unit WHERE in_frame = 1").fetchall()
        columns = [[row[i] for row in rows] for i in range(len(names))]
    return columns[0], columns[1:]



def unit_values(db: Database, unit_id: int) -> dict[str, str]:
    """One unit's population values by column: the canonical fields (but ref) and its batch's extra columns."""
    fields = [f for f in CANONICAL if f != "ref"]
    row = db.execute(f"SELECT {', '.join(fields)}, batch_id, extras FROM unit WHERE id = ?", [unit_id]).fetchone()
    if row is None:
        return {}
    values = {name: value or "" for name, value in zip(fields, row)}
    names = next((b.extras for b in batches(db) if b.id == row[-2]), [])
    extras = dict(zip(names, decode_extras(row[-1], len(names))))
    return {**{name: value for name, value in extras.items() if name not in values}, **values}


_VALUE_FIELDS = ("row", "ref", "offence", "offence_group", "area", "month", "outcome", "officer", "in_frame")


def sampled_unit_values(db: Database) -> dict[str, dict[str, Any]]:
    """Every sampled unit's values (selected, reserve and replaced) by ref: its source row, the
    canonical fields, whether it is in the frame, its import batch and its extra fields by name."""
    names = {b.id: b.extras for b in batches(db)}
    rows = db.execute(f"SELECT {', '.join('u.' + f for f in _VALUE_FIELDS)}, u.batch_id, u.extras"
                      " FROM unit u JOIN sample_unit s ON s.unit_id = u.id").fetchall()
    out = {}
    for row in rows:
        values = dict(zip(_VALUE_FIELDS, row))
        extra_names = names.get(row[-2], [])
        values["batch"] = row[-2]
        values["extras"] = dict(zip(extra_names, decode_extras(row[-1] or "", len(extra_names))))
        out[str(values["ref"])] = values
    return out


def batch_unit_columns(db: Database, batch_id: int, rows_per_chunk: int = 100_000) -> Iterator[list[list[Any]]]:
    """The units of one import in the order they were stored, column by column (ROW_COLUMNS order),
    a chunk of rows at a time."""
    cursor = db.execute(f"SELECT {', '.join(ROW_COLUMNS)} FROM unit WHERE batch_id = ? ORDER BY id", [batch_id])
    while True:
        rows = cursor.fetchmany(rows_per_chunk)
        if not rows:
            return
        yield [list(column) for column in zip(*rows)]
