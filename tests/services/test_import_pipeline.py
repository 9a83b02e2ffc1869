"""Importing with a worker process: the same result as in-process, errors raised as they were,
and nothing recorded (and no worker left running) when anything fails part way.

``worker_min_bytes=0`` makes the smallest file go through the worker; ``NEVER`` keeps any file
in-process.
"""

from __future__ import annotations

import csv
import multiprocessing
import random
import sqlite3
import subprocess
import sys

import pytest
from conftest import ROOT
from openpyxl import Workbook

from audit_app.core import population as pop
from audit_app.errors import AuditFileError, PopulationError
from audit_app.services import population
from audit_app.services.audits import create_audit, open_audit
from audit_app.store import population as population_store

POLICE_UK = ROOT / "tests" / "data" / "population" / "police-uk-2025-01-city-of-london.csv"
SCOPE = {"offence_group": ["burglary", "robbery", "theft_from_person", "vehicle"]}
NEVER = 1 << 62
WORKER = 0


def tables(path) -> dict[str, list[tuple]]:
    """Everything an import records, but the time it was made."""
    conn = sqlite3.connect(path)
    try:
        return {
            "unit": conn.execute("SELECT * FROM unit ORDER BY id").fetchall(),
            "rejection": conn.execute("SELECT * FROM rejection ORDER BY id").fetchall(),
            "import_batch": conn.execute(
                "SELECT id, source_name, sha256, format, encoding, delimiter, mapping, extras, scope, rows_read, imported, "
                "rejected, excluded, imported_by FROM import_batch ORDER BY id").fetchall(),
            "events": [row for row in conn.execute("SELECT action, entity, entity_id, detail FROM event ORDER BY seq")],
            "indexes": conn.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name").fetchall(),
        }
    finally:
        conn.close()


def import_both_ways(tmp_path, files, **options):
    """Import ``files`` in order into two new audits, in-process and with the worker."""
    outcome = {}
    for name, threshold in (("in-process", NEVER), ("worker", WORKER)):
        path = tmp_path / f"{name}.audit"
        with create_audit(path, "neighbourhood-crime", "t") as audit:
            results = [population.import_population(audit, f, worker_min_bytes=threshold, **options).to_json() for f in files]
        outcome[name] = (results, tables(path))
    return outcome


def assert_no_worker_left() -> None:
    assert multiprocessing.active_children() == []


def test_worker_imports_the_police_uk_file_as_in_process(tmp_path, monkeypatch):
    monkeypatch.setattr(pop.worker, "CHUNK_ROWS", 100)  # several batches, sent one by one
    outcome = import_both_ways(tmp_path, [POLICE_UK], preset="police-uk", scope=SCOPE)
    assert outcome["worker"] == outcome["in-process"]
    [result], recorded = outcome["worker"]
    assert (result["rows_read"], result["imported"], result["rejected"]) == (629, 614, 15)
    assert 0 < result["excluded"] < result["imported"]
    assert len(recorded["unit"]) == 614 and len(recorded["rejection"]) == 15
    assert_no_worker_left()


def messy_file(path, seed: int):
    rng = random.Random(seed)
    rows = []
    for _ in range(3000):
        kind = rng.random()
        if kind < 0.02:
            rows.append([])
            continue
        ref = "" if kind < 0.05 else f"R{rng.randrange(2000)}"
        month = rng.choice(["2025-01", "Feb 2025", "", "31/02/2025", "soon"]) if kind < 0.15 else "15/01/2025"
        note = rng.choice(["a\x1fb", "\x1e", " padded ", "Zoë", ""]) if kind < 0.3 else "n"
        rows.append([f" {ref} ", rng.choice(["Burglary", "Robbery", "Drugs"]), month, note,
                     rng.choice(["North", "South", ""])][: 5 if rng.random() > 0.03 else 2])
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, delimiter=";").writerows([["Crime ID", "Crime type", "Month", "Note", "Area"], *rows])
    return path


def test_worker_imports_messy_files_and_repeats_as_in_process(tmp_path, monkeypatch):
    # The second and third files repeat refs of the first: rejected as already imported.
    monkeypatch.setattr(pop.worker, "CHUNK_ROWS", 500)
    files = [messy_file(tmp_path / f"messy{seed}.csv", seed) for seed in range(3)]
    outcome = import_both_ways(tmp_path, files, scope={"area": ["north", "south"]})
    assert outcome["worker"] == outcome["in-process"]
    results, _ = outcome["worker"]
    reasons = {reason.split(" (")[0].split(" '")[0] for result in results for reason in
               (r["reason"] for r in result["rejections"])}
    assert reasons == {"empty ref", "duplicate ref", "Month"}
    assert any(r["reason"] == pop.ALREADY_IMPORTED for r in results[1]["rejections"])
    assert_no_worker_left()


def test_worker_imports_an_xlsx_file_as_in_process(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["URN", "Offence", "Date", "Beat"])
    for i in range(300):
        sheet.append([1000 + i % 250, "Burglary" if i % 3 else "Robbery", f"{1 + i % 28:02d}/01/2025", f"B{i % 4}"])
    book.save(tmp_path / "w.xlsx")
    outcome = import_both_ways(tmp_path, [tmp_path / "w.xlsx"])
    assert outcome["worker"] == outcome["in-process"]
    assert outcome["worker"][0][0]["rejected"] == 50
    assert_no_worker_left()


def empty_audit_tables(path) -> dict[str, list]:
    with create_audit(path, "neighbourhood-crime", "t"):
        pass
    return tables(path)


def test_a_parse_error_in_the_worker_is_raised_and_nothing_is_recorded(tmp_path):
    source = tmp_path / "quote.csv"
    rows = "".join(f"R{i},x\n" for i in range(1000))
    source.write_text("ref,note\n" + rows + 'R1,"never closed\n' + "R2,x\n" * 30_000, encoding="utf-8")
    errors = []
    for threshold in (NEVER, WORKER):
        path = tmp_path / f"{threshold}.audit"
        before = empty_audit_tables(path)
        with open_audit(path) as audit, \
                pytest.raises(PopulationError, match=r"has a cell near line \d+ longer than .*never closed") as raised:
            population.import_population(audit, source, worker_min_bytes=threshold)
        errors.append(str(raised.value))
        assert tables(path) == before
    assert errors[0] == errors[1]
    assert_no_worker_left()


def big_file(path, rows: int):
    path.write_text("ref,offence\n" + "".join(f"R{i},Burglary\n" for i in range(rows)), encoding="utf-8")
    return path


def test_a_failure_while_inserting_records_nothing_and_stops_the_worker(tmp_path, monkeypatch):
    monkeypatch.setattr(pop.worker, "CHUNK_ROWS", 1000)
    source = big_file(tmp_path / "big.csv", 50_000)
    insert = population_store.insert_units
    calls = []

    def failing(db, batch_id, columns):
        calls.append(len(columns[0]))
        if len(calls) == 3:
            raise sqlite3.OperationalError("disk I/O error")
        insert(db, batch_id, columns)

    monkeypatch.setattr(population_store, "insert_units", failing)
    path = tmp_path / "a.audit"
    before = empty_audit_tables(path)
    with open_audit(path) as audit:
        with pytest.raises(AuditFileError, match="the disk could not be written to.*nothing was changed"):
            population.import_population(audit, source, worker_min_bytes=WORKER)
        assert_no_worker_left()
        monkeypatch.setattr(population_store, "insert_units", insert)
        assert population.import_population(audit, source, worker_min_bytes=WORKER).imported == 50_000  # not locked
    assert [event[0] for event in tables(path)["events"]] == [event[0] for event in before["events"]] + ["population.import"]


def test_an_interrupted_import_records_nothing_and_stops_the_worker(tmp_path, monkeypatch):
    monkeypatch.setattr(pop.worker, "CHUNK_ROWS", 1000)
    source = big_file(tmp_path / "big.csv", 50_000)
    path = tmp_path / "a.audit"
    before = empty_audit_tables(path)

    def interrupt(done, total):
        raise KeyboardInterrupt

    with open_audit(path) as audit, pytest.raises(KeyboardInterrupt):
        population.import_population(audit, source, worker_min_bytes=WORKER, progress=interrupt)
    assert_no_worker_left()
    assert tables(path) == before


def test_a_worker_that_dies_is_an_error_and_records_nothing(tmp_path, monkeypatch):
    # 200 batches: the worker is at most a few batches ahead when it is killed.
    monkeypatch.setattr(pop.worker, "CHUNK_ROWS", 1000)
    source = big_file(tmp_path / "big.csv", 200_000)
    path = tmp_path / "a.audit"
    before = empty_audit_tables(path)

    def kill_worker(done, total):
        for child in multiprocessing.active_children():
            child.kill()

    expected = r"^Reading 'big.csv' stopped: its worker process ended unexpectedly"
    with open_audit(path) as audit, pytest.raises(PopulationError, match=expected):
        population.import_population(audit, source, worker_min_bytes=WORKER, progress=kill_worker)
    assert_no_worker_left()
    assert tables(path) == before


# -- the unique index on unit(ref), dropped for an import and built again after the rows are in --


def ref_index(path) -> tuple[str, int]:
    conn = sqlite3.connect(path)
    try:
        [(sql,)] = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'unit_ref'").fetchall()
        [(unique,)] = conn.execute("SELECT \"unique\" FROM pragma_index_list('unit') WHERE name = 'unit_ref'").fetchall()
        return sql, unique
    finally:
        conn.close()


@pytest.mark.parametrize("rebuild", [True, False], ids=["rebuilt", "kept"])
@pytest.mark.parametrize("threshold", [NEVER, WORKER], ids=["in-process", "worker"])
def test_after_an_import_the_ref_index_is_the_schemas_and_unique(tmp_path, monkeypatch, rebuild, threshold):
    monkeypatch.setattr(population, "_rebuild_ref_index", lambda units, size_bytes: rebuild)
    fresh = tmp_path / "fresh.audit"
    empty_audit_tables(fresh)
    path = tmp_path / "a.audit"
    with create_audit(path, "neighbourhood-crime", "t") as audit:
        population.import_population(audit, POLICE_UK, preset="police-uk", worker_min_bytes=threshold)
    assert ref_index(path) == ref_index(fresh) == ("CREATE UNIQUE INDEX unit_ref ON unit(ref)", 1)
    conn = sqlite3.connect(path)
    try:
        [plan] = conn.execute("EXPLAIN QUERY PLAN SELECT id FROM unit WHERE ref = 'x'").fetchall()
        assert "USING COVERING INDEX unit_ref" in plan[-1]
        ref = conn.execute("SELECT ref FROM unit LIMIT 1").fetchone()[0]
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
            conn.execute("INSERT INTO unit (batch_id, row, ref, offence, offence_group, area, month, outcome, officer, "
                         "extras, in_frame) SELECT batch_id, 0, ref, '', '', '', '', '', '', '', 1 FROM unit WHERE ref = ?", [ref])
    finally:
        conn.close()


def test_the_index_is_rebuilt_unless_the_audit_holds_many_more_units_than_the_file_adds():
    assert population._rebuild_ref_index(0, 10)  # a first import: always
    assert population._rebuild_ref_index(1_000_000, 250_000_000)  # a police.uk month of a large force into a year
    assert not population._rebuild_ref_index(1_000_000, 60_000)  # a few hundred rows into a million units


def test_an_import_into_an_audit_with_units_rejects_already_imported_refs_either_way(tmp_path, monkeypatch):
    # The second file repeats some refs of the first, and one of its own: rejected alike
    # whether the index is kept or built again (the worker and in-process alike).
    header, *rows = POLICE_UK.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    second = tmp_path / "second.csv"
    fresh = ["f" * 63 + str(i) + rows[i][64:] for i in range(1, 9)]
    second.write_text(header + "".join(rows[:5] + fresh + rows[20:22] + fresh[:1]), encoding="utf-8")
    outcomes = {}
    for rebuild in (True, False):
        monkeypatch.setattr(population, "_rebuild_ref_index", lambda units, size_bytes, rebuild=rebuild: rebuild)
        folder = tmp_path / ("rebuilt" if rebuild else "kept")
        folder.mkdir()
        outcomes[rebuild] = import_both_ways(folder, [POLICE_UK, second], preset="police-uk")
    assert outcomes[True] == outcomes[False]
    assert outcomes[True]["worker"] == outcomes[True]["in-process"]
    [_, result], recorded = outcomes[True]["worker"]
    reasons = [(r["row"], r["reason"]) for r in result["rejections"]]
    assert reasons == [(row, pop.ALREADY_IMPORTED) for row in (2, 3, 4, 5, 6, 15, 16)] + [
        (17, "duplicate ref (first seen in row 7)")]
    assert result["imported"] == 8
    assert len(recorded["unit"]) == 614 + 8


@pytest.mark.parametrize("threshold", [NEVER, WORKER], ids=["in-process", "worker"])
def test_a_repeated_ref_that_slips_through_aborts_the_import_and_records_nothing(tmp_path, monkeypatch, threshold):
    # If the reader ever let a repeated ref through, building the unique index again fails:
    # the whole import is rolled back, the dropped index with it.
    monkeypatch.setattr(pop.rows, "_decide", lambda state, parsed: None)  # accept every row, take no ref
    path = tmp_path / "a.audit"
    before = empty_audit_tables(path)
    with open_audit(path) as audit:
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE constraint failed: unit.ref"):
            population.import_population(audit, POLICE_UK, preset="police-uk", worker_min_bytes=threshold)
        assert not audit.db.conn.in_transaction
    assert_no_worker_left()
    assert tables(path) == before
    assert ref_index(path)[1] == 1


MAIN_SCRIPT = """
import os, sys
print("main script ran", flush=True)  # a worker that ran this script again would print it too
from audit_app.core import population as pop

if __name__ == "__main__":
    source = pop.open_population(sys.argv[1], preset="police-uk")
    with source.row_batches(worker_min_bytes=0) as batches:
        assert batches.in_worker
        print("rows", sum(len(batch) for batch in batches.read()), flush=True)
    assert sys.modules["__main__"].__file__ == __file__
"""


def test_the_worker_does_not_run_the_main_script_again(tmp_path):
    # A spawned child runs the parent's main script again unless told otherwise; the worker
    # needs nothing from it (the CLI's imports nearly everything: 0.2 s before the first row).
    script = tmp_path / "main_script.py"
    script.write_text(MAIN_SCRIPT, encoding="utf-8")
    result = subprocess.run([sys.executable, str(script), str(POLICE_UK)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["main script ran", "rows 614"]


@pytest.mark.parametrize("count", [1, 2, 99, 100, 101, 250])
def test_insert_units_stores_every_value_whether_bound_per_row_or_shared(tmp_path, count):
    # Columns with one value in every row are bound once per statement; the rows read back are
    # the rows given, in order, whatever the mix.
    rows = [(10 + i, f"R{i}", "Burglary", "burglary", f"A{i % 3}", "2025-01", "", "", f"x{i}\x1fy", 1) for i in range(count)]
    columns = [list(column) for column in zip(*rows)]
    columns[2][-1] = "Robbery"  # the same value but in the last row: not shared
    rows[-1] = rows[-1][:2] + ("Robbery",) + rows[-1][3:]
    with create_audit(tmp_path / "a.audit", "neighbourhood-crime", "t") as audit, audit.transaction() as db:
        batch_id = population_store.insert_batch(
            db, source_name="s", sha256="", format="csv", encoding="utf-8", delimiter=",", mapping={}, extras=[],
            scope={}, rows_read=0, imported=0, rejected=0, excluded=0, imported_at="t", imported_by="me")
        population_store.insert_units(db, batch_id, columns)
        stored = db.execute(f"SELECT {', '.join(pop.ROW_COLUMNS)} FROM unit ORDER BY id").fetchall()
        assert stored == rows
        assert {row[0] for row in db.execute("SELECT batch_id FROM unit")} == {batch_id}
