"""Every rejection a row can earn reads the same whether the file is parsed here or in a worker
process: the notes step 1 sends are plain values (a note the worker could not send made the import
fail with an internal error instead of rejecting the row)."""

from __future__ import annotations

import pytest

from audit_app.core.population import open_population
from audit_app.core.population.rows import REF_MAX

ROWS = ["ref,offence,month,area",
        'A1,"Robbery',                        # 2: a quote closed only on the next line: a run-on row
        'still the offence",2025-01,North',   #    (the same record, row 2)
        "X" * (REF_MAX + 1) + ",Burglary,2025-01,North",  # 3: a reference far too long
        "A3,Burglary,2025-01,North,surplus",    # 4: a value beyond the header
        "A4,Burglary,2025-01,North"]


@pytest.mark.parametrize("worker", [False, True], ids=["in-process", "worker"])
def test_run_on_too_long_and_surplus_rows_are_rejected_in_a_worker_too(tmp_path, worker):
    path = tmp_path / "notes.csv"
    path.write_text("\n".join(ROWS) + "\n", encoding="utf-8")
    source = open_population(path)
    accepted, reasons = [], {}
    with source.row_batches(worker_min_bytes=0 if worker else 10**12) as batches:
        for batch in batches.read():
            accepted += batch.columns[1]
            reasons.update({row: reason for row, _, reason in batch.rejections})
    assert accepted == ["A4"]
    assert sorted(reasons) == [2, 3, 4]  # rows are records: the run-on record is one row
    assert "runs over 1 line break" in reasons[2] and "is not a reference" in reasons[3]
    assert "beyond the header" in reasons[4]
