"""A full disk (issue 12 §5), simulated with SQLite's ``max_page_count`` (a size-limited file system
is not available to an unprivileged test): every write fails with one sentence, nothing is changed,
and the audit verifies afterwards."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from synthetic_audit import build

from audit_app.errors import AuditFileError
from audit_app.services import population, verification, workspace
from audit_app.services.audits import create_audit, open_audit
from audit_app.services.reviews import review_state, set_answer

POPULATION = Path(__file__).resolve().parent.parent / "data" / "population" / "police-uk-2025-01-city-of-london.csv"


def _fill_the_disk(audit) -> None:  # type: ignore[no-untyped-def]
    connection: sqlite3.Connection = audit._database.conn  # the test reaches below the services on purpose
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.execute(f"PRAGMA max_page_count = {pages}")


def _trail(path: Path) -> tuple:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return (connection.execute("SELECT count(*), max(hash) FROM event").fetchone(),
                connection.execute("SELECT count(*) FROM unit").fetchone(),
                connection.execute("SELECT item, code, note FROM answer ORDER BY review_id, item").fetchall())
    finally:
        connection.close()


def test_an_import_on_a_full_disk_says_so_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "full.audit"
    create_audit(path, "neighbourhood-crime", "Full disk").close()
    before = _trail(path)
    with open_audit(path) as audit:
        _fill_the_disk(audit)
        with pytest.raises(AuditFileError, match=r"^Cannot save to full.audit: the disk is full .*nothing was changed"):
            population.import_population(audit, POPULATION, preset="police-uk")
    assert _trail(path) == before
    with open_audit(path) as audit:
        assert verification.verify(audit).ok


def test_an_answer_saved_on_a_full_disk_says_so_and_changes_nothing(tmp_path: Path) -> None:
    path = build(tmp_path / "answers.audit", files=4, double=0, seed=4).path
    before = _trail(path)
    with open_audit(path) as audit:
        review_id = workspace.overview(audit)[0].primary_id
        assert review_id is not None
        answers = review_state(audit, review_id).answers
        item = sorted(answers)[0]
        _fill_the_disk(audit)
        with pytest.raises(AuditFileError, match="the disk is full"):
            set_answer(audit, review_id, item, replace(answers[item], note="x" * 200_000))
    assert _trail(path) == before
    with open_audit(path) as audit:
        assert verification.verify(audit).ok
