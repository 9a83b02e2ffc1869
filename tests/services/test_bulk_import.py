"""A large import is written with a rollback journal when the connection has the file to itself
(and, like any import into an audit that is not much larger already, with the refs' index built
once at the end). The result is exactly that of an ordinary import, and all or nothing as ever, a
crash included.

``BULK_MIN_BYTES`` is lowered so that small files take the bulk path (``ORDINARY`` keeps any file
on the ordinary one).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT
from test_import_pipeline import POLICE_UK, SCOPE, WORKER, big_file, empty_audit_tables, tables

from audit_app.services import population, sampling
from audit_app.services.audits import create_audit, open_audit
from audit_app.services.verification import verify
from audit_app.store import population as population_store

BULK = 0
ORDINARY = 1 << 62
REF_INDEX_SQL = "CREATE UNIQUE INDEX unit_ref ON unit(ref)"  # as the first migration creates it


def index_sql(path) -> str | None:
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'unit_ref'").fetchone()
        return row[0] if row else None
    finally:
        conn.close()


def journal_mode(path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("worker", [ORDINARY, WORKER], ids=["in-process", "worker"])
def test_a_bulk_import_records_exactly_what_an_ordinary_one_does(tmp_path, monkeypatch, worker):
    messy = tmp_path / "messy.csv"  # empty, repeated and badly dated refs next to good ones
    messy.write_text("ref,offence,month\nA,Burglary,2025-01\n,Robbery,2025-01\nB,Burglary,31/02/2025\nA,Robbery,2025-01\n"
                     "B,Burglary,2025-01\nC,Burglary,2025-02\n,,\nC,Burglary,2025-03\n", encoding="utf-8")
    again = tmp_path / "again.csv"  # the same rows, not the same bytes (the very same file is refused)
    again.write_bytes(POLICE_UK.read_bytes() + b"\n")
    outcome = {}
    for mode, threshold in (("ordinary", ORDINARY), ("bulk", BULK)):
        monkeypatch.setattr(population, "BULK_MIN_BYTES", threshold)
        path = tmp_path / f"{mode}.audit"
        with create_audit(path, "neighbourhood-crime", "t") as audit:
            results = [population.import_population(audit, source, worker_min_bytes=worker, **options).to_json()
                       for source, options in ((POLICE_UK, {"preset": "police-uk", "scope": SCOPE}), (messy, {}),
                                               (again, {"preset": "police-uk"}))]
        for result in results:
            result.pop("batch")
        outcome[mode] = results, tables(path), index_sql(path), journal_mode(path)
    assert outcome["bulk"] == outcome["ordinary"]
    results, _, sql, mode = outcome["bulk"]
    assert (results[0]["imported"], results[0]["rejected"], results[0]["in_frame"]) == (614, 15, 133)
    assert [(r["row"], r["ref"], r["reason"]) for r in results[1]["rejections"]] == [
        (3, "", "empty ref"), (4, "B", "Month '31/02/2025' is not a recognised date (use e.g. 2025-01 or 15/01/2025)"),
        (5, "A", "duplicate ref (first seen in row 2)"), (9, "C", "duplicate ref (first seen in row 7)")]
    assert results[2]["imported"] == 0 and results[2]["rejected"] == 629  # every ref is already in the audit
    assert sql == REF_INDEX_SQL and mode == "wal"


def test_the_rebuilt_index_is_unique_and_used(tmp_path, monkeypatch):
    monkeypatch.setattr(population, "BULK_MIN_BYTES", BULK)
    path = tmp_path / "a.audit"
    modes = []
    with create_audit(path, "neighbourhood-crime", "t") as audit:
        population.import_population(audit, big_file(tmp_path / "big.csv", 5_000), progress=lambda done, total: modes.append(
            audit.db.execute("PRAGMA journal_mode").fetchone()[0]))
        assert modes and set(modes) == {"delete"}  # alone with the file: a rollback journal for the write
        assert audit.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # and the log again after it
        sampling.draw_sample(audit, sampling.SampleRequest(size=10, seed="s"))
        assert verify(audit).ok
    conn = sqlite3.connect(path)
    try:
        plan = " ".join(row[-1] for row in conn.execute("EXPLAIN QUERY PLAN SELECT id FROM unit WHERE ref = 'R7'"))
        assert "INDEX unit_ref" in plan
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE constraint failed: unit.ref"):
            conn.execute("INSERT INTO unit (batch_id, row, ref, offence, offence_group, area, month, outcome, officer,"
                         " extras, in_frame) VALUES (1, 9, 'R7', '', '', '', '', '', '', '', 1)")
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def test_a_repeated_ref_that_got_past_the_reader_undoes_the_whole_import(tmp_path, monkeypatch):
    monkeypatch.setattr(population, "BULK_MIN_BYTES", BULK)
    from audit_app.core.population import rows
    monkeypatch.setattr(rows, "_decide", lambda state, parsed: None)  # a reader that lets repeats through
    source = tmp_path / "twice.csv"
    source.write_text("ref,offence\nR1,Burglary\nR2,Burglary\nR1,Burglary\n", encoding="utf-8")
    path = tmp_path / "a.audit"
    before = empty_audit_tables(path)
    with open_audit(path) as audit, pytest.raises(sqlite3.IntegrityError, match="UNIQUE constraint failed"):
        population.import_population(audit, source)
    assert tables(path) == before
    assert index_sql(path) == REF_INDEX_SQL and journal_mode(path) == "wal"


def test_with_another_connection_open_the_bulk_load_keeps_the_write_ahead_log(tmp_path, monkeypatch):
    monkeypatch.setattr(population, "BULK_MIN_BYTES", BULK)
    path = tmp_path / "a.audit"
    empty_audit_tables(path)
    modes = []
    with open_audit(path) as reader, open_audit(path) as audit:  # e.g. the GUI has the audit open
        result = population.import_population(
            audit, POLICE_UK, preset="police-uk", progress=lambda done, total: modes.append(
                audit.db.execute("PRAGMA journal_mode").fetchone()[0]))
        assert modes and set(modes) == {"wal"}  # during the write, too
        assert result.imported == 614
        assert population_store.unit_count(reader.db) == 614  # the other connection reads it at once
        assert journal_mode(path) == "wal"


KILL_MID_IMPORT = textwrap.dedent("""
    import os, signal, sys
    from audit_app.core.population import worker
    from audit_app.services import population
    from audit_app.services.audits import open_audit
    population.BULK_MIN_BYTES = 0
    worker.CHUNK_ROWS = 1000

    def die_half_way(done, total):
        if done > total // 2:
            os.kill(os.getpid(), signal.SIGKILL)  # a power cut, half-way through the write

    if __name__ == "__main__":
        with open_audit(sys.argv[1]) as audit:
            population.import_population(audit, sys.argv[2], progress=die_half_way)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_crash_half_way_through_a_bulk_load_records_nothing(tmp_path):
    source = big_file(tmp_path / "big.csv", 200_000)
    path = tmp_path / "a.audit"
    before = empty_audit_tables(path)
    script = tmp_path / "kill.py"
    script.write_text(KILL_MID_IMPORT, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, str(script), str(path), str(source)], env=env, capture_output=True, text=True)
    assert result.returncode == -signal.SIGKILL, result.stderr
    journal = path.with_name(path.name + "-journal")
    assert journal.exists() and journal.stat().st_size > 0  # the hot journal of the unfinished write
    with open_audit(path) as audit:  # SQLite rolls the hot journal back as the file is opened
        assert population_store.unit_count(audit.db) == 0
        assert verify(audit).ok
    assert tables(path) == before
    assert journal_mode(path) == "wal"
