"""Population values of the imported and sampled files are covered by the audit trail (issue 12 §1):
in a sample not stratified by them, the frame's hash covers only the references, so an offence, an
area or an extra field changed with any SQLite tool must still be found by verify, and located."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from audit_app.cli import main
from audit_app.services import population, sampling
from audit_app.services.audits import create_audit

POPULATION = Path(__file__).parent.parent / "data" / "population" / "police-uk-2025-01-city-of-london.csv"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("values") / "v.audit"
    with create_audit(path, "neighbourhood-crime", "Values", actor="Lead (L1)") as audit:
        population.import_population(audit, POPULATION, preset="police-uk")  # checklist scope: some rows out of frame
        sampling.draw_sample(audit, sampling.SampleRequest(size=10, seed="values", reserve=2))  # not stratified
    return path


def _tamper(pristine: Path, tmp_path: Path, sql: str) -> tuple[Path, str]:
    path = tmp_path / "tampered.audit"
    shutil.copy(pristine, path)
    conn = sqlite3.connect(str(path))
    ref = conn.execute("SELECT u.ref FROM unit u JOIN sample_unit s ON s.unit_id = u.id"
                       " WHERE s.status = 'selected' ORDER BY u.ref LIMIT 1").fetchone()[0]
    assert conn.execute(sql, [ref]).rowcount == 1
    conn.commit()
    conn.close()
    return path, ref


def _verify(path: Path, capsys) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["verify", str(path), "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_untouched_audit_is_intact(pristine, capsys):
    code, report = _verify(pristine, capsys)
    assert code == 0 and report["intact"], report["findings"]
    assert any("population values" in check for check in report["checks"])


@pytest.mark.parametrize("sql", [
    "UPDATE unit SET offence = 'Burglary' WHERE ref = ?",
    "UPDATE unit SET area = 'Somewhere else' WHERE ref = ?",
    "UPDATE unit SET outcome = 'Offender sent to prison' WHERE ref = ?",
    "UPDATE unit SET extras = replace(extras, 'On or near', 'Far from') WHERE ref = ?",
], ids=["offence", "area", "outcome", "extra field"])
def test_a_sampled_files_changed_value_is_found_and_located(pristine, tmp_path, capsys, sql):
    path, ref = _tamper(pristine, tmp_path, sql)
    code, report = _verify(path, capsys)
    assert code == 1 and not report["intact"]
    located = [f for f in report["findings"] if f["where"] == "sample" and ref in f["what"]]
    assert located and "population values" in located[0]["what"], report["findings"]
    assert any(f["where"].startswith("import 1") for f in report["findings"]), report["findings"]


def test_an_unsampled_files_changed_value_is_found_by_its_import(pristine, tmp_path, capsys):
    path = tmp_path / "tampered.audit"
    shutil.copy(pristine, path)
    conn = sqlite3.connect(str(path))
    changed = conn.execute("UPDATE unit SET month = '1999-01' WHERE id = (SELECT max(id) FROM unit"
                           " WHERE id NOT IN (SELECT unit_id FROM sample_unit))").rowcount
    conn.commit()
    conn.close()
    assert changed == 1
    code, report = _verify(path, capsys)
    assert code == 1
    assert [f["where"] for f in report["findings"]] == ["import 1 (police-uk-2025-01-city-of-london.csv)"]


def test_an_older_draw_without_the_hashes_gives_no_finding(pristine, tmp_path, capsys):
    """An audit drawn before the hashes were recorded cannot be checked this way: no finding, and
    the check is not listed. (The older entries are rebuilt here with the chain rehashed.)"""
    from audit_app.store.events import entry_hash

    path = tmp_path / "older.audit"
    shutil.copy(pristine, path)
    conn = sqlite3.connect(str(path))
    conn.executescript("DROP TRIGGER event_no_update;")
    rows = conn.execute("SELECT seq, at, actor, action, entity, entity_id, detail, reason, os_account, host"
                        " FROM event ORDER BY seq").fetchall()
    prev = "0" * 64
    for seq, at, actor, action, entity, entity_id, detail, reason, account, host in rows:
        data = json.loads(detail)
        data.pop("units_sha256", None)
        data.pop("unit_values_sha256", None)
        detail = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = entry_hash(prev, seq, at, actor, action, entity, entity_id, detail, reason, account, host)
        conn.execute("UPDATE event SET detail = ?, prev_hash = ?, hash = ? WHERE seq = ?", [detail, prev, digest, seq])
        prev = digest
    conn.execute("UPDATE unit SET offence = 'Burglary' WHERE id = (SELECT min(unit_id) FROM sample_unit)")
    conn.commit()
    conn.close()
    code, report = _verify(path, capsys)
    assert code == 0, report["findings"]
    assert not any("population values" in check for check in report["checks"])


def test_an_import_read_in_a_worker_process_records_the_same_values(tmp_path):
    """The values' hash is fed from the batches a worker process sends as well: verify agrees."""
    from audit_app.services.audits import open_audit
    from audit_app.services.verification import verify

    path = tmp_path / "w.audit"
    with create_audit(path, "neighbourhood-crime", "Worker", actor="Lead (L1)") as audit:
        population.import_population(audit, POPULATION, preset="police-uk", worker_min_bytes=0)
    with open_audit(path) as audit:
        report = verify(audit)
    assert report.ok, report.problems


@pytest.mark.parametrize("worker", [False, True])
def test_an_import_with_a_chunk_of_rejected_rows_verifies(tmp_path, monkeypatch, worker):
    """A chunk whose rows were all rejected (here the middle thousand: no reference) adds nothing to
    the values' hash, as verify reads no such chunk back; an import that imports nothing verifies too."""
    from audit_app.core import population as pop
    from audit_app.services.audits import open_audit
    from audit_app.services.verification import verify

    monkeypatch.setattr(pop.worker, "CHUNK_ROWS", 1000)
    lines = POPULATION.read_text(encoding="utf-8").splitlines()
    header, row = lines[0], lines[1].split(",", 1)[1]
    source = tmp_path / "gaps.csv"
    source.write_text("\n".join([header] + [f"{'' if 1000 <= n < 2000 else f'{n:064x}'},{row}" for n in range(3000)])
                      + "\n", encoding="utf-8")
    nothing = tmp_path / "nothing.csv"
    nothing.write_text(header + "\n" + f",{row}\n", encoding="utf-8")
    path = tmp_path / "g.audit"
    with create_audit(path, "neighbourhood-crime", "Gaps", actor="Lead (L1)") as audit:
        result = population.import_population(audit, source, preset="police-uk", worker_min_bytes=0 if worker else None)
        assert result.imported == 2000 and result.rejected == 1000
        assert population.import_population(audit, nothing, preset="police-uk").imported == 0
    with open_audit(path) as audit:
        report = verify(audit)
    assert report.ok, report.problems
