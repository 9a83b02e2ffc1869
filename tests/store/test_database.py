"""Opening audit files: recognition, refusal of what is not ours or too new, migration with backup."""

import sqlite3

import pytest
from sqlite_utils import Database

from audit_app.errors import AuditFileError
from audit_app.store import schema
from audit_app.store.database import APPLICATION_ID, create_database, open_database


def test_new_file_has_the_safety_settings(tmp_path):
    database = create_database(tmp_path / "a.audit")
    conn = database.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(schema.MIGRATION_NAMES)
    database.close()


def test_create_refuses_to_overwrite(tmp_path):
    path = tmp_path / "a.audit"
    path.write_bytes(b"precious")
    with pytest.raises(AuditFileError, match="already exists"):
        create_database(path)
    assert path.read_bytes() == b"precious"


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "is empty"),
        (b"name,offence\n1,burglary\n", "truncated or not an audit file"),
        (b"SQLite format 3", "truncated or not an audit file"),
    ],
)
def test_files_that_are_not_audits_are_refused_and_left_untouched(tmp_path, content, message):
    path = tmp_path / "x.audit"
    path.write_bytes(content)
    with pytest.raises(AuditFileError, match=message):
        open_database(path)
    assert path.read_bytes() == content
    assert not (tmp_path / "x.audit-wal").exists()


def test_other_sqlite_database_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(AuditFileError, match="not an audit file"):
        open_database(path)
    assert path.read_bytes() == before


def test_truncated_audit_is_refused(tmp_path):
    path = tmp_path / "a.audit"
    database = create_database(path)
    database.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(AuditFileError, match=r"a\.audit is truncated \([\d,]+ of [\d,]+ bytes\); it was left untouched"):
        open_database(path)
    assert path.read_bytes() == data[: len(data) // 2]


def test_missing_file(tmp_path):
    with pytest.raises(AuditFileError, match="No audit file"):
        open_database(tmp_path / "nope.audit")


def test_file_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "a.audit"
    database = create_database(path)
    database.db["_sqlite_migrations"].insert({"migration_set": "audit-app", "name": "m999_from_the_future", "applied_at": "2030"})
    database.close()
    with pytest.raises(AuditFileError, match="newer version of audit-app.*m999_from_the_future"):
        open_database(path)


def test_older_file_is_backed_up_then_migrated(tmp_path, monkeypatch):
    path = tmp_path / "a.audit"
    database = create_database(path)
    database.db.execute("INSERT INTO reviewer (name, staff_number, role, created_at) VALUES ('Ann', '1', 'lead', 'x')")
    database.close()

    @schema.MIGRATIONS(name="m002_test_only")
    def m002(db: Database) -> None:
        db.execute("ALTER TABLE reviewer ADD COLUMN team TEXT")

    monkeypatch.setattr(schema, "MIGRATION_NAMES", schema.MIGRATION_NAMES + ["m002_test_only"])
    import audit_app.store.database as database_module

    monkeypatch.setattr(database_module, "MIGRATION_NAMES", schema.MIGRATION_NAMES)
    try:
        migrated = open_database(path)
        assert "team" in migrated.db["reviewer"].columns_dict
        assert migrated.conn.execute("PRAGMA user_version").fetchone()[0] == len(schema.MIGRATION_NAMES)
        migrated.close()
        backups = list(tmp_path.glob(f"a.before-v{len(schema.MIGRATION_NAMES)}.*.backup.audit"))
        assert len(backups) == 1
        old = sqlite3.connect(backups[0])
        assert "team" not in [row[1] for row in old.execute("PRAGMA table_info(reviewer)")]
        assert old.execute("SELECT name FROM reviewer").fetchall() == [("Ann",)]
        old.close()
    finally:
        schema.MIGRATIONS._migrations = [m for m in schema.MIGRATIONS._migrations if m.name != "m002_test_only"]


def test_migrations_apply_in_one_transaction_each(tmp_path):
    database = create_database(tmp_path / "a.audit")
    assert [m.name for m in schema.MIGRATIONS.applied(database.db)] == schema.MIGRATION_NAMES
    schema.MIGRATIONS.apply(database.db)  # a second apply is a no-op
    assert [m.name for m in schema.MIGRATIONS.applied(database.db)] == schema.MIGRATION_NAMES
    database.close()


def test_a_second_process_waits_for_a_writer_instead_of_failing(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "a.audit"
    first = create_database(path)
    code = (
        "import sys; from audit_app.store.database import open_database\n"
        "d = open_database(sys.argv[1])\n"
        "with d.transaction() as db:\n"
        "    db.execute(\"INSERT INTO reviewer (name, staff_number, role, created_at) VALUES ('B', '', 'lead', 'x')\")\n"
        "print('written')\n"
    )
    with first.transaction() as db:
        db.execute("INSERT INTO reviewer (name, staff_number, role, created_at) VALUES ('A', '', 'lead', 'x')")
        other = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        with pytest.raises(subprocess.TimeoutExpired):
            other.wait(timeout=1.0)  # still waiting for our write lock, not failed
    out, err = other.communicate(timeout=20)
    assert other.returncode == 0, err
    assert out.strip() == "written"
    assert [r[0] for r in first.conn.execute("SELECT name FROM reviewer ORDER BY id")] == ["A", "B"]
    first.close()


def test_an_audit_from_before_m003_keeps_its_trail_verifiable_and_gains_the_computer_account(tmp_path):
    """m003 adds the computer account to the trail and the reviewers; the old entries keep their
    hashes (over the original fields) and the reviewers their roles."""
    import hashlib
    import json

    from audit_app.store import events

    path = tmp_path / "v2.audit"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    schema.MIGRATIONS.apply(Database(conn), stop_before="m003_who_is_working")
    detail = json.dumps({"name": "Ann", "staff_number": "1", "role": "lead"}, separators=(",", ":"))
    body = json.dumps([1, "2025-01-12T09:00:00+00:00", "Ann (1)", "reviewer.add", "reviewer", "1", detail, ""],
                      separators=(",", ":"))
    digest = hashlib.sha256(f"{'0' * 64}\x1e{body}".encode()).hexdigest()
    conn.execute("INSERT INTO reviewer (name, staff_number, role, created_at) VALUES ('Ann', '1', 'lead', 'x')")
    conn.execute("INSERT INTO event (seq, at, actor, action, entity, entity_id, detail, reason, prev_hash, hash)"
                 " VALUES (1, '2025-01-12T09:00:00+00:00', 'Ann (1)', 'reviewer.add', 'reviewer', '1', ?, '', ?, ?)",
                 [detail, "0" * 64, digest])
    conn.close()
    migrated = open_database(path)
    assert "m003_who_is_working" in [m.name for m in schema.MIGRATIONS.applied(migrated.db)]
    assert [m.name for m in schema.MIGRATIONS.applied(migrated.db)][-1] == schema.MIGRATION_NAMES[-1]
    assert migrated.db.execute("SELECT role, os_account, host FROM reviewer").fetchall() == [("lead", "", "")]
    assert events.chain_problems(migrated.db) == []
    with migrated.transaction() as db:
        events.append(db, "Ann (1)", "answer.set", "review", 1, {"item": "A1"})
    assert events.chain_problems(migrated.db) == []
    assert [e.os_account is None for e in events.iterate(migrated.db)] == [True, False]
    migrated.close()
