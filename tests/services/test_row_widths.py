"""Short and long rows in a population import (issue 12 §4): counted and listed by row number in the
summary, never a surplus value dropped silently (such a row is rejected, with the reason), and
refused whole with --strict-rows."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from audit_app.cli import main
from audit_app.services import population
from audit_app.services.audits import create_audit, open_audit
from audit_app.services.verification import verify

ROWS = [
    "ref,offence,month,area",          # row 1: the header, 4 cells
    "A1,Burglary,2025-01,North",       # 2
    "A2,Robbery,2025-01",              # 3: short (3 cells)
    "A3,Burglary,2025-02,South,",      # 4: long, surplus blank: imported
    "A4,Robbery,2025-02,East,oops",    # 5: long, a value beyond the header: rejected
    "A5,Burglary,2025-03,West",        # 6
    "A6",                              # 7: short (1 cell)
]


@pytest.fixture
def csv_file(tmp_path) -> Path:
    path = tmp_path / "ragged.csv"
    path.write_text("\n".join(ROWS) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def audit_path(tmp_path) -> Path:
    path = tmp_path / "a.audit"
    create_audit(path, "neighbourhood-crime", "Ragged", actor="Lead (L1)").close()
    return path


@pytest.mark.parametrize("worker", [None, 0], ids=["in process", "worker process"])
def test_short_and_long_rows_are_listed_and_no_value_is_dropped(csv_file, audit_path, worker):
    with open_audit(audit_path) as audit:
        result = population.import_population(audit, csv_file, scope={}, worker_min_bytes=worker)
        refs = {row[0]: row[1:] for row in audit.db.execute("SELECT ref, area, extras FROM unit")}
        report = verify(audit)
        summary = population.imports(audit)[-1]
    assert result.short_rows == [3, 7] and result.long_rows == [4, 5] and result.header_cells == 4
    data = result.to_json()
    assert data["short_rows"] == [3, 7] and data["long_rows"] == [4, 5]
    assert [(r["row"], r["ref"]) for r in data["rejections"]] == [(5, "A4")]
    assert "beyond the header" in data["rejections"][0]["reason"]
    assert set(refs) == {"A1", "A2", "A3", "A5", "A6"}  # A4's surplus value is not dropped: the row is rejected
    assert refs["A2"][0] == ""  # a short row's missing cell is blank
    text = result.row_widths_text()
    assert "2 short row(s) (row 3, 7)" in text and "2 long row(s) (row 4, 5)" in text
    assert summary.row_widths == text  # the same sentence from the audit trail, for the wizard's summary
    assert report.ok, report.problems


def test_strict_rows_refuses_the_file_and_imports_nothing(csv_file, audit_path, capsys):
    assert main(["import", str(audit_path), str(csv_file), "--scope", "all", "--strict-rows"]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]  # after the progress lines
    assert err == ("audit-app: 'ragged.csv' has 4 columns in its header but 2 short row(s) (row 3, 7) and 2 long row(s) "
                   "(row 4, 5), so nothing was imported (rows must be as wide as the header).")
    conn = sqlite3.connect(str(audit_path))
    assert conn.execute("SELECT count(*) FROM unit").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM import_batch").fetchone()[0] == 0


def test_the_cli_summary_lists_them(csv_file, audit_path, capsys):
    assert main(["import", str(audit_path), str(csv_file), "--scope", "all"]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert data["short_rows"] == [3, 7] and data["long_rows"] == [4, 5] and data["row_widths_rule"]
    assert "warning: 'ragged.csv' has 4 columns in its header but 2 short row(s)" in err


def test_a_file_of_even_rows_reports_none(tmp_path, audit_path):
    path = tmp_path / "even.csv"
    path.write_text("\n".join(ROWS[:2] + ROWS[5:6]) + "\n", encoding="utf-8")
    with open_audit(audit_path) as audit:
        result = population.import_population(audit, path, scope={}, strict_rows=True)
    assert result.short_rows == [] and result.long_rows == [] and result.row_widths_text() == ""
