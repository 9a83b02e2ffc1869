"""Review tables: reviewers, reviews of sampled files, their profile values and item answers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database


@dataclass(frozen=True)
class Reviewer:
    id: int
    name: str
    staff_number: str
    role: str


@dataclass(frozen=True)
class Review:
    id: int
    unit_id: int
    ref: str
    reviewer: Reviewer
    role: str
    status: str
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class StoredAnswer:
    item: str
    code: str
    note: str
    evidence: str
    opportunity_known: bool | None
    mmo: bool
    notable: bool

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def find_reviewer(db: Database, name: str, staff_number: str = "") -> Reviewer | None:
    row = db.execute("SELECT id, name, staff_number, role FROM reviewer WHERE name = ? AND staff_number = ?",
                     [name, staff_number]).fetchone()
    return Reviewer(*row) if row else None


def insert_reviewer(db: Database, name: str, staff_number: str, role: str, at: str) -> Reviewer:
    cursor = db.execute("INSERT INTO reviewer (name, staff_number, role, created_at) VALUES (?, ?, ?, ?)",
                        [name, staff_number, role, at])
    return Reviewer(cursor.lastrowid, name, staff_number, role)


_REVIEW = """
    SELECT r.id, r.unit_id, u.ref, v.id, v.name, v.staff_number, v.role, r.role, r.status, r.created_at, r.updated_at
    FROM review r JOIN unit u ON u.id = r.unit_id JOIN reviewer v ON v.id = r.reviewer_id
"""


def _review(row: tuple[Any, ...]) -> Review:
    return Review(row[0], row[1], row[2], Reviewer(*row[3:7]), row[7], row[8], row[9], row[10])


def find_review(db: Database, ref: str, role: str) -> Review | None:
    row = db.execute(_REVIEW + " WHERE u.ref = ? AND r.role = ?", [ref, role]).fetchone()
    return _review(row) if row else None


def review_by_id(db: Database, review_id: int) -> Review | None:
    row = db.execute(_REVIEW + " WHERE r.id = ?", [review_id]).fetchone()
    return _review(row) if row else None


def all_reviews(db: Database) -> list[Review]:
    return [_review(row) for row in db.execute(_REVIEW + " ORDER BY r.id")]


def insert_review(db: Database, unit_id: int, reviewer_id: int, role: str, at: str) -> int:
    return db.execute(
        "INSERT INTO review (unit_id, reviewer_id, role, status, created_at, updated_at) VALUES (?, ?, ?, 'in_progress', ?, ?)",
        [unit_id, reviewer_id, role, at, at],
    ).lastrowid


def set_review_status(db: Database, review_id: int, status: str, at: str) -> None:
    db.execute("UPDATE review SET status = ?, updated_at = ? WHERE id = ?", [status, at, review_id])


def touch_review(db: Database, review_id: int, at: str) -> None:
    db.execute("UPDATE review SET updated_at = ? WHERE id = ?", [at, review_id])


def profile_values(db: Database, review_id: int) -> dict[str, Any]:
    rows = db.execute("SELECT field, value FROM profile_value WHERE review_id = ?", [review_id])
    return {field: json.loads(value) for field, value in rows}


def set_profile_value(db: Database, review_id: int, field: str, value: Any) -> None:
    if value is None:
        db.execute("DELETE FROM profile_value WHERE review_id = ? AND field = ?", [review_id, field])
    else:
        db.execute("INSERT OR REPLACE INTO profile_value (review_id, field, value) VALUES (?, ?, ?)",
                   [review_id, field, json.dumps(value, ensure_ascii=False)])


def answers(db: Database, review_id: int) -> dict[str, StoredAnswer]:
    rows = db.execute(
        "SELECT item, code, note, evidence, opportunity_known, mmo, notable FROM answer WHERE review_id = ?", [review_id]
    )
    return {row[0]: _answer(row) for row in rows}


def answer(db: Database, review_id: int, item: str) -> StoredAnswer | None:
    row = db.execute(
        "SELECT item, code, note, evidence, opportunity_known, mmo, notable FROM answer WHERE review_id = ? AND item = ?",
        [review_id, item],
    ).fetchone()
    return _answer(row) if row else None


def _answer(row: tuple[Any, ...]) -> StoredAnswer:
    known = None if row[4] is None else bool(row[4])
    return StoredAnswer(row[0], row[1], row[2], row[3], known, bool(row[5]), bool(row[6]))


def set_answer(db: Database, review_id: int, value: StoredAnswer | None, item: str) -> None:
    if value is None:
        db.execute("DELETE FROM answer WHERE review_id = ? AND item = ?", [review_id, item])
        return
    known = None if value.opportunity_known is None else int(value.opportunity_known)
    db.execute(
        "INSERT OR REPLACE INTO answer (review_id, item, code, note, evidence, opportunity_known, mmo, notable)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [review_id, value.item, value.code, value.note, value.evidence, known, int(value.mmo), int(value.notable)],
    )


def all_profile_values(db: Database) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for review_id, field, value in db.execute("SELECT review_id, field, value FROM profile_value"):
        out.setdefault(review_id, {})[field] = json.loads(value)
    return out


def all_answers(db: Database) -> dict[int, dict[str, dict[str, Any]]]:
    out: dict[int, dict[str, dict[str, Any]]] = {}
    rows = db.execute("SELECT review_id, item, code, note, evidence, opportunity_known, mmo, notable FROM answer")
    for row in rows:
        out.setdefault(row[0], {})[row[1]] = _answer(row[1:]).as_dict()
    return out
