"""The audit trail: append-only (triggers) and hash-chained (tampering is found and located)."""

import hashlib
import json
import sqlite3

import pytest

from audit_app.core import workstation
from audit_app.store import events
from audit_app.store.database import create_database


@pytest.fixture(autouse=True)
def account():
    with workstation.simulated(workstation.Account("tester", "TEST-PC")) as account:
        yield account


@pytest.fixture
def database(tmp_path):
    database = create_database(tmp_path / "a.audit")
    with database.transaction() as db:
        for index in range(5):
            events.append(db, "Ann Lead", "answer.set", "review", 1, {"item": f"A{index}", "old": None, "new": {"code": "M"}})
    yield database
    database.close()


def test_entries_chain_by_sha256_from_a_zero_genesis(database):
    rows = database.conn.execute("SELECT seq, at, actor, action, entity, entity_id, detail, reason, prev_hash, hash,"
                                 " os_account, host FROM event ORDER BY seq").fetchall()
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0][8] == "0" * 64
    for previous, row in zip(rows, rows[1:]):
        assert row[8] == previous[9]
    # recompute the first hash independently of events.entry_hash, from the documented rule (the
    # computer account and host written by this process are part of the hashed entry)
    seq, at, actor, action, entity, entity_id, detail, reason, prev, digest, os_account, host = rows[0]
    assert (os_account, host) == ("tester", "TEST-PC")
    body = json.dumps([seq, at, actor, action, entity, entity_id, detail, reason, "tester", "TEST-PC"], sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(f"{prev}\x1e{body}".encode()).hexdigest() == digest
    assert events.chain_problems(database.db) == []


def test_entries_written_before_the_computer_account_was_recorded_still_verify(tmp_path):
    """An entry of an older audit (no account, NULL) is hashed over the original fields only."""
    database = create_database(tmp_path / "old.audit")
    detail = json.dumps({"item": "A1"}, separators=(",", ":"))
    body = json.dumps([1, "2025-01-12T09:00:00+00:00", "Ann", "answer.set", "review", "1", detail, ""],
                      separators=(",", ":"))
    digest = hashlib.sha256(f"{'0' * 64}\x1e{body}".encode()).hexdigest()
    database.conn.execute("INSERT INTO event (seq, at, actor, action, entity, entity_id, detail, reason, prev_hash, hash)"
                          " VALUES (1, '2025-01-12T09:00:00+00:00', 'Ann', 'answer.set', 'review', '1', ?, '', ?, ?)",
                          [detail, "0" * 64, digest])
    assert events.chain_problems(database.db) == []
    with database.transaction() as db:
        events.append(db, "Ann", "answer.set", "review", 1, {"item": "A2"})
    assert events.chain_problems(database.db) == []
    assert [e.os_account for e in events.iterate(database.db)] == [None, "tester"]
    database.close()


def test_removing_the_computer_account_from_an_entry_is_found(database):
    _tamper(database, "UPDATE event SET os_account = NULL, host = NULL WHERE seq = 4")
    assert events.chain_problems(database.db) == [
        "event log: entry 4 (answer.set review 1) was changed after it was written",
        "event log: entry 4 (answer.set review 1) does not record the computer account that wrote it, though entry 1 "
        "and later ones do",
    ]


def test_the_log_refuses_update_and_delete(database):
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        database.conn.execute("UPDATE event SET actor = 'Mallory' WHERE seq = 2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        database.conn.execute("DELETE FROM event WHERE seq = 5")


def _tamper(database, sql, params=()):
    """Change the log behind the tool's back: drop the guard, edit, restore the guard."""
    conn = database.conn
    conn.execute("DROP TRIGGER event_no_update")
    conn.execute("DROP TRIGGER event_no_delete")
    conn.execute(sql, params)


def test_an_edited_entry_is_located(database):
    _tamper(database, "UPDATE event SET detail = ? WHERE seq = 3", [json.dumps({"item": "A2", "old": None, "new": {"code": "N"}})])
    assert events.chain_problems(database.db) == ["event log: entry 3 (answer.set review 1) was changed after it was written"]


def test_a_deleted_entry_is_located(database):
    _tamper(database, "DELETE FROM event WHERE seq = 2")
    problems = events.chain_problems(database.db)
    assert "event log: entries 2 to 2 are missing" in problems
    assert "event log: entry 3 does not link to the entry before it" in problems


def test_a_rewritten_entry_with_a_recomputed_hash_breaks_the_next_link(database):
    conn = database.conn
    row = conn.execute("SELECT seq, at, actor, action, entity, entity_id, detail, reason, prev_hash, os_account, host"
                       " FROM event WHERE seq = 2").fetchone()
    forged_detail = json.dumps({"item": "A1", "old": None, "new": {"code": "N"}})
    forged_hash = events.entry_hash(row[8], row[0], row[1], row[2], row[3], row[4], row[5], forged_detail, row[7], row[9], row[10])
    _tamper(database, "UPDATE event SET detail = ?, hash = ? WHERE seq = 2", [forged_detail, forged_hash])
    assert events.chain_problems(database.db) == ["event log: entry 3 does not link to the entry before it"]
