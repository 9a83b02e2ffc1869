"""Review tables: reviewers, reviews of sampled files, their profile values and item answers."""

from __future__ import annotations

import json
from functools import lru_cache
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from audit_app.core.records import Agreed, Answer, Review, Reviewer
from audit_app.store.database import inserted_id


def find_reviewer(db: Database, name: str, staff_number: str = "") -> Reviewer | None:
    row = db.execute("SELECT id, name, staff_number, role FROM reviewer WHERE name = ? AND staff_number = ?",
                     [name, staff_number]).fetchone()
    return Reviewer(*row) if row else None


def insert_reviewer(db: Database, name: str, staff_number: str, role: str, at: str, os_account: str = "",
                    host: str = "") -> Reviewer:
    cursor = db.execute("INSERT INTO reviewer (name, staff_number, role, created_at, os_account, host)"
                        " VALUES (?, ?, ?, ?, ?, ?)", [name, staff_number, role, at, os_account, host])
    return Reviewer(inserted_id(cursor), name, staff_number, role)


def reviewers_with_staff_number(db: Database, staff_number: str) -> list[Reviewer]:
    rows = db.execute("SELECT id, name, staff_number, role FROM reviewer WHERE staff_number = ? ORDER BY id",
                      [staff_number])
    return [Reviewer(*row) for row in rows]


def reviewer_account(db: Database, reviewer_id: int) -> tuple[str, str]:
    """(operating-system account, host) the reviewer works from; ('', '') when not known yet."""
    row = db.execute("SELECT os_account, host FROM reviewer WHERE id = ?", [reviewer_id]).fetchone()
    return (row[0], row[1]) if row else ("", "")


def all_reviewer_accounts(db: Database) -> dict[int, tuple[str, str]]:
    return {row[0]: (row[1], row[2]) for row in db.execute("SELECT id, os_account, host FROM reviewer")}


def set_reviewer_account(db: Database, reviewer_id: int, os_account: str, host: str) -> None:
    db.execute("UPDATE reviewer SET os_account = ?, host = ? WHERE id = ?", [os_account, host, reviewer_id])


def has_lead(db: Database) -> bool:
    return db.execute("SELECT 1 FROM reviewer WHERE role = 'lead' LIMIT 1").fetchone() is not None


_REVIEW = """
    SELECT r.id, r.unit_id, u.ref, v.id, v.name, v.staff_number, v.role, r.role, r.status, r.created_at, r.updated_at,
           r.training, s.id, s.name, s.staff_number, s.role, r.signed_off_at, r.changed_after_sign_off
    FROM review r JOIN unit u ON u.id = r.unit_id JOIN reviewer v ON v.id = r.reviewer_id
    LEFT JOIN reviewer s ON s.id = r.signed_off_by
"""


def _review(row: tuple[Any, ...]) -> Review:
    signer = Reviewer(*row[12:16]) if row[12] is not None else None
    return Review(row[0], row[1], row[2], Reviewer(*row[3:7]), row[7], row[8], row[9], row[10],
                  bool(row[11]), signer, row[16], bool(row[17]))


def find_review(db: Database, ref: str, role: str) -> Review | None:
    row = db.execute(_REVIEW + " WHERE u.ref = ? AND r.role = ?", [ref, role]).fetchone()
    return _review(row) if row else None


def review_by_id(db: Database, review_id: int) -> Review | None:
    row = db.execute(_REVIEW + " WHERE r.id = ?", [review_id]).fetchone()
    return _review(row) if row else None


def all_reviews(db: Database) -> list[Review]:
    return [_review(row) for row in db.execute(_REVIEW + " ORDER BY r.id")]


def reviews_of_unit(db: Database, unit_id: int) -> dict[str, Review]:
    """The reviews of one sampled file by role ('primary', 'second')."""
    return {review.role: review for review in map(_review, db.execute(_REVIEW + " WHERE r.unit_id = ?", [unit_id]))}


def insert_review(db: Database, unit_id: int, reviewer_id: int, role: str, at: str, training: bool = False) -> int:
    return inserted_id(db.execute(
        "INSERT INTO review (unit_id, reviewer_id, role, status, created_at, updated_at, training)"
        " VALUES (?, ?, ?, 'in_progress', ?, ?, ?)",
        [unit_id, reviewer_id, role, at, at, int(training)],
    ))


def set_review_status(db: Database, review_id: int, status: str, at: str) -> None:
    db.execute("UPDATE review SET status = ?, updated_at = ? WHERE id = ?", [status, at, review_id])


def set_sign_off(db: Database, review_id: int, reviewer_id: int | None, at: str | None) -> None:
    """Record who signed the review off and when (``None`` voids the sign-off)."""
    db.execute("UPDATE review SET signed_off_by = ?, signed_off_at = ? WHERE id = ?", [reviewer_id, at, review_id])


def mark_changed_after_sign_off(db: Database, review_id: int) -> None:
    db.execute("UPDATE review SET changed_after_sign_off = 1 WHERE id = ?", [review_id])


def reviewers(db: Database) -> list[Reviewer]:
    return [Reviewer(*row) for row in db.execute("SELECT id, name, staff_number, role FROM reviewer ORDER BY name, staff_number")]


def reviewer_by_id(db: Database, reviewer_id: int) -> Reviewer | None:
    row = db.execute("SELECT id, name, staff_number, role FROM reviewer WHERE id = ?", [reviewer_id]).fetchone()
    return Reviewer(*row) if row else None


def set_reviewer_role(db: Database, reviewer_id: int, role: str) -> None:
    db.execute("UPDATE reviewer SET role = ? WHERE id = ?", [role, reviewer_id])


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


def answers(db: Database, review_id: int) -> dict[str, Answer]:
    """The answers of one review, by item."""
    rows = db.execute("SELECT item, code, note, evidence, opportunity_known, mmo, notable FROM answer WHERE review_id = ?",
                      [review_id])
    return {row[0]: _answer(row[1:]) for row in rows}


def answer(db: Database, review_id: int, item: str) -> Answer | None:
    row = db.execute(
        "SELECT code, note, evidence, opportunity_known, mmo, notable FROM answer WHERE review_id = ? AND item = ?",
        [review_id, item],
    ).fetchone()
    return _answer(row) if row else None


def _answer(row: tuple[Any, ...]) -> Answer:
    """An answer from its columns (code, note, evidence, opportunity_known, mmo, notable)."""
    known = None if row[3] is None else bool(row[3])
    return Answer(row[0], row[1], row[2], known, bool(row[4]), bool(row[5]))


def set_answer(db: Database, review_id: int, item: str, value: Answer | None) -> None:
    """Record (or, with ``None``, delete) the answer to one item."""
    if value is None:
        db.execute("DELETE FROM answer WHERE review_id = ? AND item = ?", [review_id, item])
        return
    known = None if value.opportunity_known is None else int(value.opportunity_known)
    db.execute(
        "INSERT OR REPLACE INTO answer (review_id, item, code, note, evidence, opportunity_known, mmo, notable)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [review_id, item, value.code, value.note, value.evidence, known, int(value.mmo), int(value.notable)],
    )


@lru_cache(maxsize=4096)
def _scalar_json(text: str) -> Any:
    return json.loads(text)


def _profile_json(text: str) -> Any:
    """A stored profile value. Values repeat across reviews ("yes", a date, an outcome code), so
    scalars are decoded once and shared (they are immutable); a list or an object is decoded anew."""
    value = _scalar_json(text)
    return json.loads(text) if isinstance(value, (list, dict)) else value


def all_profile_values(db: Database) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for review_id, field, value in db.execute("SELECT review_id, field, value FROM profile_value"):
        out.setdefault(review_id, {})[field] = _profile_json(value)
    return out


def all_answers(db: Database) -> dict[int, dict[str, Answer]]:
    """Every answer in the audit: review id → item → answer."""
    out: dict[int, dict[str, Answer]] = {}
    rows = db.execute("SELECT review_id, item, code, note, evidence, opportunity_known, mmo, notable FROM answer")
    for row in rows:
        out.setdefault(row[0], {})[row[1]] = _answer(row[2:])
    return out


# -- drafts: text typed but not yet recorded as an answer (see the draft table in schema.py)


def save_draft(db: Database, review_id: int, item: str, field: str, text: str, at: str) -> None:
    db.execute("INSERT OR REPLACE INTO draft (review_id, item, field, text, at) VALUES (?, ?, ?, ?, ?)",
               [review_id, item, field, text, at])


def drafts(db: Database, review_id: int) -> dict[tuple[str, str], str]:
    """(item, field) → text of the drafts of one review."""
    rows = db.execute("SELECT item, field, text FROM draft WHERE review_id = ?", [review_id])
    return {(item, field): text for item, field, text in rows}


def delete_drafts(db: Database, review_id: int, item: str | None = None) -> None:
    if item is None:
        db.execute("DELETE FROM draft WHERE review_id = ?", [review_id])
    else:
        db.execute("DELETE FROM draft WHERE review_id = ? AND item = ?", [review_id, item])


# -- moderation: agreed answers where two reviews of a file differ


def set_agreed(db: Database, unit_id: int, target: str, value: Any, reason: str, reviewer_id: int, at: str) -> None:
    db.execute(
        "INSERT OR REPLACE INTO agreed (unit_id, target, value, reason, decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?)",
        [unit_id, target, json.dumps(value, ensure_ascii=False), reason, reviewer_id, at],
    )


def delete_agreed(db: Database, unit_id: int, target: str) -> None:
    db.execute("DELETE FROM agreed WHERE unit_id = ? AND target = ?", [unit_id, target])


_AGREED = """
    SELECT a.unit_id, a.target, a.value, a.reason, v.id, v.name, v.staff_number, v.role, a.decided_at
    FROM agreed a JOIN reviewer v ON v.id = a.decided_by
"""


def agreed(db: Database, unit_id: int) -> dict[str, Agreed]:
    rows = db.execute(_AGREED + " WHERE a.unit_id = ?", [unit_id])
    return {row[1]: Agreed(row[1], json.loads(row[2]), row[3], Reviewer(*row[4:8]), row[8]) for row in rows}


def all_agreed(db: Database) -> dict[int, dict[str, Agreed]]:
    out: dict[int, dict[str, Agreed]] = {}
    for row in db.execute(_AGREED):
        out.setdefault(row[0], {})[row[1]] = Agreed(row[1], json.loads(row[2]), row[3], Reviewer(*row[4:8]), row[8])
    return out


# -- the workspace: every sampled file with its reviews, in one query


@dataclass(frozen=True)
class SampleFileRow:
    """A sampled (or replaced) file with the state of its primary and second reviews."""

    unit_id: int
    ref: str
    stratum: str
    rank: int
    sample_status: str  # 'selected' or 'replaced'
    replaced_reason: str | None
    offence: str
    offence_group: str
    area: str
    month: str
    outcome: str
    primary: Review | None
    second: Review | None


def sample_file_rows(db: Database) -> list[SampleFileRow]:
    """Every selected or replaced file, by stratum and rank, with its reviews (two queries in all)."""
    rows = db.execute(
        "SELECT s.unit_id, u.ref, s.stratum, s.rank, s.status, s.replaced_reason, u.offence, u.offence_group, u.area,"
        " u.month, u.outcome FROM sample_unit s JOIN unit u ON u.id = s.unit_id"
        " WHERE s.status IN ('selected', 'replaced') ORDER BY s.stratum, s.rank"
    ).fetchall()
    by_unit: dict[int, dict[str, Review]] = {}
    for review in map(_review, db.execute(_REVIEW)):
        by_unit.setdefault(review.unit_id, {})[review.role] = review
    out = []
    for unit_id, ref, stratum, rank, status, reason, offence, group, area, month, outcome in rows:
        reviews = by_unit.get(unit_id, {})
        out.append(SampleFileRow(unit_id, ref, stratum, rank, status, reason, offence, group, area, month, outcome,
                                 reviews.get("primary"), reviews.get("second")))
    return out


def answers_of_reviews(db: Database, review_ids: list[int]) -> dict[int, dict[str, Answer]]:
    """Answers of many reviews at once (for grading a whole sample)."""
    out: dict[int, dict[str, Answer]] = {review_id: {} for review_id in review_ids}
    rows = db.execute("SELECT review_id, item, code, note, evidence, opportunity_known, mmo, notable FROM answer")
    for row in rows:
        if row[0] in out:
            out[row[0]][row[1]] = _answer(row[2:])
    return out


def profiles_of_reviews(db: Database, review_ids: list[int]) -> dict[int, dict[str, Any]]:
    wanted = set(review_ids)
    return {k: v for k, v in all_profile_values(db).items() if k in wanted}


def sample_progress(db: Database) -> tuple[int, int]:
    """(selected files whose primary review is complete or signed off, selected files)."""
    row = db.execute(
        "SELECT count(*), count(r.id) FROM sample_unit s LEFT JOIN review r ON r.unit_id = s.unit_id"
        " AND r.role = 'primary' AND r.status IN ('complete', 'signed_off') WHERE s.status = 'selected'"
    ).fetchone()
    return row[1], row[0]
