"""verify on damaged or hand-edited files: each damage is a located finding (or, when the file cannot
even be opened, one sentence) with exit 1 — never a traceback (exit 70) — and verify goes on after the
first finding."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from synthetic_audit import build

from audit_app.cli import main

DAMAGE = {
    "answer table dropped": ("DROP TABLE answer", "reviews"),
    "sampling plan dropped": ("DROP TABLE sampling_plan", "sample"),
    "a profile value that is not JSON": ("UPDATE profile_value SET value = 'not json' WHERE field = 'closed'", "reviews"),
    "an event detail that is not JSON": ("DROP TRIGGER event_no_update; UPDATE event SET detail = 'not json' WHERE seq = 5",
                                         "event log"),
    "a hash of the wrong type": ("DROP TRIGGER event_no_update; UPDATE event SET hash = 42 WHERE seq = 3", "event log"),
    "a stratum count that no longer matches": ("UPDATE stratum SET population = population + 1", "sample"),
    "the event table dropped": ("DROP TABLE event", None),
    "the audit record dropped": ("DROP TABLE audit", None),
    "the drafts table dropped": ("DROP TABLE draft", "database"),
    # the record of schema updates: without it the file would look older than it is and be "updated" over its data
    "the schema record dropped": ("DROP TABLE _sqlite_migrations", None),
    "the schema record cut short": ("DELETE FROM _sqlite_migrations WHERE id = (SELECT max(id) FROM _sqlite_migrations)",
                                    None),
    "the schema record out of order": ("DELETE FROM _sqlite_migrations WHERE id = (SELECT min(id) FROM _sqlite_migrations)",
                                       None),
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return build(tmp_path_factory.mktemp("damage") / "d.audit", files=12, double=2, seed=6).path


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damage_is_a_finding_never_a_crash(pristine, tmp_path, capsys, damage):
    sql, where = DAMAGE[damage]
    path = tmp_path / "damaged.audit"
    shutil.copy(pristine, path)
    conn = sqlite3.connect(str(path))
    conn.executescript(f"PRAGMA foreign_keys = OFF; {sql};")
    conn.close()
    capsys.readouterr()
    assert main(["verify", str(path)]) == 1
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))) == ["damaged.audit"], \
        "verify wrote something beside the audit (a backup before an 'update'?)"
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    if where is None:  # too damaged to open: one sentence saying so
        assert "is damaged or was edited by hand" in err
    else:
        assert "NOT intact" in err.splitlines()[0]  # the summary line comes first
        assert f": {where}: " in err
