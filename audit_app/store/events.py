"""The audit trail: an append-only event log, each entry chained to the previous by SHA-256.

``hash = SHA-256(prev_hash ␞ canonical JSON of the entry)``; the first entry's ``prev_hash`` is 64
zeros. Since schema m003 an entry also records the operating-system account and host that wrote
it, and its hash covers them; entries written before have none (NULL), and their hash covers the
original fields only, so older audits still verify. Triggers refuse UPDATE and DELETE on the table; the chain makes any change made behind the
tool's back (or a removed entry) detectable by ``verify``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from audit_app.core import workstation

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
    os_account: str | None = None  # None on entries written before schema m003
    host: str | None = None


def canonical(value: Any) -> str:
    """The JSON text hashed and stored: sorted keys, no spaces, UTF-8 characters kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(prev_hash: str, seq: int, at: str, actor: str, action: str, entity: str, entity_id: str,
               detail_json: str, reason: str, os_account: str | None = None, host: str | None = None) -> str:
    fields: list[Any] = [seq, at, actor, action, entity, entity_id, detail_json, reason]
    if os_account is not None or host is not None:
        fields += [os_account, host]
    body = canonical(fields)
    return hashlib.sha256(f"{prev_hash}\x1e{body}".encode("utf-8")).hexdigest()


def now() -> str:
    """UTC timestamp with microseconds, ISO 8601."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def append(db: Database, actor: str, action: str, entity: str, entity_id: str | int,
           detail: dict[str, Any], reason: str = "") -> Event:
    """Append one event; call inside the write transaction of the change it records.

    The entry records the typed ``actor`` and the operating-system account and host this process
    runs under (:func:`audit_app.core.workstation.current`), which the app cannot change.
    """
    last = db.execute("SELECT seq, hash FROM event ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    at = now()
    detail_json = canonical(detail)
    account = workstation.current()
    digest = entry_hash(prev_hash, seq, at, actor, action, entity, str(entity_id), detail_json, reason,
                        account.user, account.host)
    db.execute(
        "INSERT INTO event (seq, at, actor, action, entity, entity_id, detail, reason, prev_hash, hash, os_account, host)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [seq, at, actor, action, entity, str(entity_id), detail_json, reason, prev_hash, digest, account.user, account.host],
    )
    return Event(seq, at, actor, action, entity, str(entity_id), detail, reason, prev_hash, digest, account.user,
                 account.host)


def iterate(db: Database, entity: str | None = None, entity_id: str | None = None, *,
            actions: Sequence[str] | None = None) -> Iterator[Event]:
    """Events in order, optionally for one entity, or only those with one of ``actions`` (the others
    are not decoded: a check that needs a few kinds of entry reads only those)."""
    sql = "SELECT seq, at, actor, action, entity, entity_id, detail, reason, prev_hash, hash, os_account, host FROM event"
    where: list[str] = []
    params: list[Any] = []
    if entity is not None:
        where.append("entity = ?" + (" AND entity_id = ?" if entity_id is not None else ""))
        params += [entity] + ([entity_id] if entity_id is not None else [])
    if actions is not None:
        where.append(f"action IN ({', '.join('?' * len(actions))})" if actions else "0")
        params += list(actions)
    if where:
        sql += " WHERE " + " AND ".join(where)
    for row in db.execute(sql + " ORDER BY seq", params):
        yield Event(row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6]), row[7], row[8], row[9],
                    row[10], row[11])


def has_hash(db: Database, digest: str) -> bool:
    """Whether an entry of the trail has this hash."""
    return db.execute("SELECT 1 FROM event WHERE hash = ? LIMIT 1", [digest]).fetchone() is not None


def iterate_from(db: Database, seq: int) -> Iterator[Event]:
    """Events from sequence number ``seq`` on, in order."""
    sql = ("SELECT seq, at, actor, action, entity, entity_id, detail, reason, prev_hash, hash, os_account, host FROM event"
           " WHERE seq >= ? ORDER BY seq")
    for row in db.execute(sql, [seq]):
        yield Event(row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6]), row[7], row[8], row[9],
                    row[10], row[11])


def chain_problems(db: Database) -> list[str]:
    """Every place where the chain is broken: a changed entry, a gap, a wrong link, or an entry
    without the computer's account after entries that have one (written since schema m003)."""
    problems = []
    expected_prev, expected_seq = GENESIS, 1
    accounted = 0  # the first entry that records an operating-system account
    sql = ("SELECT seq, at, actor, action, entity, entity_id, detail, reason, prev_hash, hash, os_account, host"
           " FROM event ORDER BY seq")
    for seq, at, actor, action, entity, entity_id, detail, reason, prev_hash, digest, os_account, host in db.execute(sql):
        if seq != expected_seq:
            problems.append(f"event log: entries {expected_seq} to {seq - 1} are missing")
        if prev_hash != expected_prev:
            problems.append(f"event log: entry {seq} does not link to the entry before it")
        if entry_hash(prev_hash, seq, at, actor, action, entity, entity_id, detail, reason, os_account, host) != digest:
            problems.append(f"event log: entry {seq} ({action} {entity} {entity_id}) was changed after it was written")
        if os_account is None and accounted:
            problems.append(f"event log: entry {seq} ({action} {entity} {entity_id}) does not record the computer "
                            f"account that wrote it, though entry {accounted} and later ones do")
        accounted = accounted or (seq if os_account is not None else 0)
        expected_prev, expected_seq = digest, seq + 1
    return problems


def head(db: Database) -> tuple[int, str]:
    """(sequence number, hash) of the trail's last entry; (0, "") for an empty trail."""
    row = db.execute("SELECT seq, hash FROM event ORDER BY seq DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else (0, "")


def count(db: Database) -> int:
    return db.execute("SELECT count(*) FROM event").fetchone()[0]


def last_answer_changes(db: Database) -> dict[tuple[int, str], tuple[str, str, str]]:
    """(review id, item) → (at, actor, reason) of the latest change to each answer, from the trail."""
    rows = db.execute(
        "SELECT entity_id, json_extract(detail, '$.item'), at, actor, reason FROM event"
        " WHERE entity = 'review' AND action = 'answer.set' ORDER BY seq")
    return {(int(review_id), item): (at, actor, reason) for review_id, item, at, actor, reason in rows}
