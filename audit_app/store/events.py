"""The audit trail: an append-only event log, each entry chained to the previous by SHA-256.

``hash = SHA-256(prev_hash ␞ canonical JSON of the entry)``; the first entry's ``prev_hash`` is 64
zeros. Triggers refuse UPDATE and DELETE on the table; the chain makes any change made behind the
tool's back (or a removed entry) detectable by ``verify``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

GENESIS = "0" * 64


@dataclass(frozen=True)
class Event:
    seq: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str
    detail: dict[str, Any]
    reason: str
    prev_hash: str
    hash: str


def canonical(value: Any) -> str:
    """The JSON text hashed and stored: sorted keys, no spaces, UTF-8 characters kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(prev_hash: str, seq: int, at: str, actor: str, action: str, entity: str, entity_id: str,
               detail_json: str, reason: str) -> str:
    body = canonical([seq, at, actor, action, entity, entity_id, detail_json, reason])
    return hashlib.sha256(f"{prev_hash}\x1e{body}".encode("utf-8")).hexdigest()


def now() -> str:
    """UTC timestamp with microseconds, ISO 8601."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def append(db: Database, actor: str, action: str, entity: str, entity_id: str | int,
           detail: dict[str, Any], reason: str = "") -> Event:
    """Append one event; call inside the write transaction of the change it records."""
    last = db.execute("SELECT seq, hash FROM event ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    at = now()
    detail_json = canonical(detail)
    digest = entry_hash(prev_hash, seq, at, actor, action, entity, str(entity_id), detail_json, reason)
    db.execute(
        "INSERT INTO event (seq, at, actor, action, entity, entity_id, detail, reason, prev_hash, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [seq, at, actor, action, entity, str(entity_id), detail_json, reason, prev_hash, digest],
    )
    return Event(seq, at, actor, action, entity, str(entity_id), detail, reason, prev_hash, digest)


def iterate(db: Database, entity: str | None = None, entity_id: str | None = None) -> Iterator[Event]:
    """Events in order, optionally for one entity."""
    sql = "SELECT seq, at, actor, action, entity, entity_id, detail, reason, prev_hash, hash FROM event"
    params: list[Any] = []
    if entity is not None:
        sql += " WHERE entity = ?" + (" AND entity_id = ?" if entity_id is not None else "")
        params = [entity] + ([entity_id] if entity_id is not None else [])
    for row in db.execute(sql + " ORDER BY seq", params):
        yield Event(row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6]), row[7], row[8], row[9])


def chain_problems(db: Database) -> list[str]:
    """Every place where the chain is broken: a changed entry, a gap, or a wrong link."""
    problems = []
    expected_prev, expected_seq = GENESIS, 1
    sql = "SELECT seq, at, actor, action, entity, entity_id, detail, reason, prev_hash, hash FROM event ORDER BY seq"
    for seq, at, actor, action, entity, entity_id, detail, reason, prev_hash, digest in db.execute(sql):
        if seq != expected_seq:
            problems.append(f"event log: entries {expected_seq} to {seq - 1} are missing")
        if prev_hash != expected_prev:
            problems.append(f"event log: entry {seq} does not link to the entry before it")
        if entry_hash(prev_hash, seq, at, actor, action, entity, entity_id, detail, reason) != digest:
            problems.append(f"event log: entry {seq} ({action} {entity} {entity_id}) was changed after it was written")
        expected_prev, expected_seq = digest, seq + 1
    return problems


def count(db: Database) -> int:
    return db.execute("SELECT count(*) FROM event").fetchone()[0]
