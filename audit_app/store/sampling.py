"""Sampling tables: the plan (everything needed to re-derive the sample), strata, sampled units."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlite_utils import Database

from audit_app.core.records import Plan


@dataclass(frozen=True)
class SampledUnit:
    unit_id: int
    ref: str
    stratum: str
    rank: int
    hash_key: str
    inclusion_probability: float
    status: str
    replaces: str | None
    replaced_reason: str | None


def save_plan(db: Database, plan: Plan) -> None:
    values = dict(plan.__dict__)
    values["strata_fields"] = json.dumps(plan.strata_fields)
    values["disproportionate"] = int(plan.disproportionate)
    columns = ", ".join(["id", *values])
    marks = ", ".join("?" for _ in range(len(values) + 1))
    db.execute(f"INSERT INTO sampling_plan ({columns}) VALUES ({marks})", [1, *values.values()])


def load_plan(db: Database) -> Plan | None:
    cursor = db.execute("SELECT * FROM sampling_plan WHERE id = 1")
    row = cursor.fetchone()
    if row is None:
        return None
    values = dict(zip([d[0] for d in cursor.description], row))
    del values["id"]
    values["strata_fields"] = json.loads(values["strata_fields"])
    values["disproportionate"] = bool(values["disproportionate"])
    return Plan(**values)


def save_strata(db: Database, strata: Iterable[tuple[str, int, int]]) -> None:
    db.conn.executemany("INSERT INTO stratum (key, population, sample) VALUES (?, ?, ?)", strata)


def strata(db: Database) -> list[tuple[str, int, int]]:
    return db.execute("SELECT key, population, sample FROM stratum ORDER BY key").fetchall()


def save_sample_units(db: Database, rows: Iterable[tuple[str, str, int, str, float, str]]) -> None:
    """Rows of (ref, stratum, rank, hash_key, inclusion_probability, status)."""
    db.conn.executemany(
        "INSERT INTO sample_unit (unit_id, stratum, rank, hash_key, inclusion_probability, status)"
        " SELECT id, ?, ?, ?, ?, ? FROM unit WHERE ref = ?",
        ((stratum, rank, key, probability, status, ref) for ref, stratum, rank, key, probability, status in rows),
    )


_SAMPLED = """
    SELECT s.unit_id, u.ref, s.stratum, s.rank, s.hash_key, s.inclusion_probability, s.status,
           r.ref, s.replaced_reason
    FROM sample_unit s JOIN unit u ON u.id = s.unit_id LEFT JOIN unit r ON r.id = s.replaces
"""


def sampled_units(db: Database, status: str | None = None) -> list[SampledUnit]:
    where = " WHERE s.status = ?" if status else ""
    rows = db.execute(_SAMPLED + where + " ORDER BY s.stratum, s.rank", [status] if status else []).fetchall()
    return [SampledUnit(*row) for row in rows]


def sampled_unit(db: Database, ref: str) -> SampledUnit | None:
    row = db.execute(_SAMPLED + " WHERE u.ref = ?", [ref]).fetchone()
    return SampledUnit(*row) if row else None


def next_reserve(db: Database, stratum: str) -> SampledUnit | None:
    row = db.execute(_SAMPLED + " WHERE s.stratum = ? AND s.status = 'reserve' ORDER BY s.rank LIMIT 1", [stratum]).fetchone()
    return SampledUnit(*row) if row else None


def mark_replaced(db: Database, unit_id: int, reason: str) -> None:
    db.execute("UPDATE sample_unit SET status = 'replaced', replaced_reason = ? WHERE unit_id = ?", [reason, unit_id])


def promote_reserve(db: Database, unit_id: int, replaces: int) -> None:
    db.execute("UPDATE sample_unit SET status = 'selected', replaces = ? WHERE unit_id = ?", [replaces, unit_id])


def has_plan(db: Database) -> bool:
    return db.execute("SELECT count(*) FROM sampling_plan").fetchone()[0] > 0



def reviews_started(db: Database) -> int:
    """Reviews begun on sampled files, and moderation decisions recorded (a redraw must find none)."""
    return db.execute("SELECT (SELECT count(*) FROM review) + (SELECT count(*) FROM agreed)").fetchone()[0]


def clear_sample(db: Database) -> None:
    """Remove the drawn sample (plan, strata, sampled units) so that it can be drawn again."""
    db.execute("DELETE FROM sample_unit")
    db.execute("DELETE FROM stratum")
    db.execute("DELETE FROM sampling_plan")
