"""Population tables: import batches, rejections and the units (files) of the population."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

EXTRA_SEPARATOR = "\x1f"
JSON_MARKER = "\x1e"
UNIT_COLUMNS = ("batch_id", "row", "ref", "offence", "offence_group", "area", "month", "outcome", "officer", "extras", "in_frame")
CANONICAL = ("ref", "offence", "offence_group", "area", "month", "outcome", "officer")


def encode_extras(values: Sequence[str]) -> str:
    """Extra column values as one text: joined by U+001F, or JSON when a value holds a separator.

    Joining is ten times cheaper than JSON, which matters on a million rows; the JSON form (marked
    by a leading U+001E) keeps any value, so nothing is lost.
    """
    joined = EXTRA_SEPARATOR.join(values)
    if JSON_MARKER in joined or joined.count(EXTRA_SEPARATOR) != max(len(values) - 1, 0):
        return JSON_MARKER + json.dumps(list(values), ensure_ascii=False)
    return joined


def decode_extras(text: str, count: int) -> list[str]:
    if text.startswith(JSON_MARKER):
        return list(json.loads(text[1:]))
    return text.split(EXTRA_SEPARATOR) if count else []


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
    return db.execute(f"INSERT INTO import_batch ({columns}) VALUES ({marks})", list(values.values())).lastrowid


def update_batch_counts(db: Database, batch_id: int, rows_read: int, imported: int, rejected: int, excluded: int) -> None:
    db.execute(
        "UPDATE import_batch SET rows_read = ?, imported = ?, rejected = ?, excluded = ? WHERE id = ?",
        [rows_read, imported, rejected, excluded, batch_id],
    )


def batches(db: Database) -> list[Batch]:
    rows = db.execute("SELECT * FROM import_batch ORDER BY id").fetchall()
    out = []
    for row in rows:
        values = list(row)
        for index in (6, 7, 8):
            values[index] = json.loads(values[index])
        out.append(Batch(*values))
    return out


def insert_units(db: Database, rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert unit rows (tuples in UNIT_COLUMNS order) in one pass."""
    marks = ", ".join("?" for _ in UNIT_COLUMNS)
    db.conn.executemany(f"INSERT INTO unit ({', '.join(UNIT_COLUMNS)}) VALUES ({marks})", rows)


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
    units.sort(key=lambda unit: unit[0])  # code-point order = SQLite's BINARY order on UTF-8
    return units
