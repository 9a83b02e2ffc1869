"""Any hand edit of any table never crashes verify (issue 12 §1, "damaged or hand-edited files never
crash it"): every column of every table of a small but complete audit (imported, drawn, reviewed
twice, moderated, a file replaced, a review signed off) is set in turn to NULL, text that is not
JSON, a negative number (a dangling id) and bytes, and every table is dropped; each time
``audit-app verify`` answers 0 or 1 with sentences — never a traceback (exit 70) — and writes nothing
beside the file (no backup of a file that only looks older)."""

from __future__ import annotations

import io
import shutil
import sqlite3
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from synthetic_audit import LEAD, build

from audit_app.cli import main

VALUES = ["NULL", "'zz'", "-1", "x'00ff'"]  # no value, text that is not JSON, a dangling id, bytes


@pytest.fixture(scope="module")
def complete(tmp_path_factory) -> Path:
    from audit_app.services import sampling
    from audit_app.services.audits import open_audit
    from audit_app.services.reviews import sign_off
    from audit_app.store import reviews as review_store

    path = build(tmp_path_factory.mktemp("edits") / "e.audit", files=8, double=2, seed=11).path
    with open_audit(path) as audit:
        ref = sampling.sample(audit).selected[-1]
        sampling.replace_unit(audit, ref, "out of scope", actor=f"{LEAD[0]} ({LEAD[1]})")
        lead = next(r for r in review_store.reviewers(audit.db) if (r.name, r.staff_number) == LEAD)
        review = next(r for r in review_store.all_reviews(audit.db) if r.status == "complete")
        sign_off(audit, review.id, lead, LEAD[1])
    return path


def _edits(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(str(path))
    tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    edits = []
    for table in tables:
        edits.append((f"drop {table}", f"DROP TABLE {table}"))
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
        key = columns[0]
        for column in columns:
            for value in VALUES:
                edits.append((f"{table}.{column} = {value}",
                              f"UPDATE {table} SET {column} = {value} WHERE {key} = (SELECT min({key}) FROM {table})"))
    conn.close()
    return edits


def test_no_hand_edit_crashes_verify_or_makes_it_write(complete, tmp_path):
    failures, tried = [], 0
    for label, sql in _edits(complete):
        folder = tmp_path / f"edit-{tried}"
        folder.mkdir()
        path = folder / "e.audit"
        shutil.copy(complete, path)
        conn = sqlite3.connect(str(path))
        conn.execute("PRAGMA foreign_keys = OFF")
        try:
            conn.execute(sql)
            conn.commit()
        except sqlite3.Error:  # a STRICT type, a CHECK or a trigger refused the edit: nothing to try
            conn.close()
            shutil.rmtree(folder)
            continue
        conn.close()
        tried += 1
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["verify", str(path)])
        left = sorted(p.name for p in folder.iterdir() if p.name not in ("e.audit", "e.audit-wal", "e.audit-shm"))
        if code not in (0, 1) or "Traceback" in err.getvalue() or left:
            failures.append((label, code, left, err.getvalue()[-400:]))
        shutil.rmtree(folder)
    assert tried >= 200, tried  # the edits SQLite let through
    assert not failures, failures[:5]
    print(f"\n{tried} hand edits: verify answered each in sentences, never a traceback, and wrote nothing beside the file")


BREAKING = {  # hand edits that once made a reading command fail with a traceback (exit 70)
    "the population table dropped": "DROP TABLE unit",
    "the plan's strata fields not JSON": "UPDATE sampling_plan SET strata_fields = 'zz'",
    "a stratum's count negative": "UPDATE stratum SET population = -1 WHERE key = (SELECT min(key) FROM stratum)",
    "a profile value not JSON": "UPDATE profile_value SET value = 'zz' WHERE review_id = (SELECT min(review_id) FROM profile_value)",
    "an import's mapping not JSON": "UPDATE import_batch SET mapping = 'zz'",
    "the agreed answers dropped": "DROP TABLE agreed",
}
READING = {
    "stats": ["stats", "{audit}", "--json"],
    "export": ["export", "{audit}", "--format", "json", "--out", "{folder}/x.json"],
    "report": ["report", "{audit}", "--out", "{folder}/r.pdf"],
    "file reports": ["report", "{audit}", "--files", "all", "--out", "{folder}/f.pdf"],
}


@pytest.mark.parametrize("edit", list(BREAKING))
def test_reading_commands_say_a_hand_edited_audit_is_damaged(complete, tmp_path, capsys, edit):
    path = tmp_path / "e.audit"
    shutil.copy(complete, path)
    conn = sqlite3.connect(str(path))
    conn.executescript(f"PRAGMA foreign_keys = OFF; {BREAKING[edit]};")
    conn.close()
    for name, argv in READING.items():
        capsys.readouterr()
        code = main([part.format(audit=path, folder=tmp_path) for part in argv])
        err = capsys.readouterr().err
        assert "Traceback" not in err and "internal error" not in err, (name, err[-500:])
        if code == 1:
            assert f"{path.name} is damaged or was edited by hand" in err.splitlines()[-1], (name, err[-300:])
            assert f"audit-app verify {path.name}" in err
        else:
            assert code == 0, (name, code)


def test_a_failure_on_a_sound_audit_is_still_a_bug_with_its_traceback(complete, capsys, caplog, monkeypatch):
    from audit_app.services import results

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(results, "audit_results", broken)
    assert main(["stats", str(complete), "--json"]) == 70
    assert "damaged" not in capsys.readouterr().err
    assert "internal error" in caplog.text and "ZeroDivisionError: a bug" in caplog.text  # the traceback is logged
