"""Issue 12 §5: the bad-input corpus (tests/bad_inputs.py) and property-based inputs, through the
command line as a user would run them. Each ends in exit 0 or exit 1 with a sentence on stderr —
never a traceback (exit 70) — and a refusal leaves the audit file exactly as it was (the trail, the
population and the answers, read with sqlite3)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import bad_inputs
import pytest
from conftest import TEST_CHECKLISTS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synthetic_audit import build

from audit_app.cli import main
from audit_app.services import workspace
from audit_app.services.audits import open_audit

MINIMAL = (TEST_CHECKLISTS / "minimal.yaml").read_text(encoding="utf-8")
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])


def state(path: Path) -> tuple:
    """What a refusal must not change: the trail, the population, the reviews and answers."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return tuple(connection.execute(query).fetchall() for query in (
            "SELECT count(*), max(hash) FROM event", "SELECT count(*) FROM unit", "SELECT count(*) FROM review",
            "SELECT item, code, note FROM answer ORDER BY review_id, item"))
    finally:
        connection.close()


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    err = capsys.readouterr().err
    assert code in (0, 1), f"exit {code}: {err[-2000:]}"
    assert "Traceback" not in err
    if code == 1:
        message = err.strip()
        assert message, "a refusal says why"
    raw = [c for c in err if not (c.isprintable() or c in " \n\t")]
    assert not raw, f"control characters echoed raw to the terminal: {raw[:5]}"
    return code, err


@pytest.fixture(scope="module")
def empty_audit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bad-population") / "empty.audit"
    assert main(["init", str(path), "--checklist", "neighbourhood-crime", "--title", "Bad inputs"]) == 0
    return path


@pytest.fixture(scope="module")
def sampled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = build(tmp_path_factory.mktemp("bad-responses") / "s.audit", files=4, double=0, seed=2).path
    with open_audit(path) as audit:
        ref = workspace.overview(audit)[0].ref
    return path, ref


POPULATIONS = bad_inputs.populations()


@pytest.mark.parametrize("name,data", POPULATIONS, ids=[name for name, _ in POPULATIONS])
def test_a_bad_population_file_is_read_or_refused_whole(empty_audit, tmp_path, capsys, name, data):
    audit = tmp_path / "a.audit"
    shutil.copy(empty_audit, audit)
    source = tmp_path / "population.csv"
    source.write_bytes(data)
    before = state(audit)
    code, err = run(["import", str(audit), str(source), "--preset", "police-uk"], capsys)
    if code == 1:
        assert state(audit) == before, f"{name}: refused, yet the audit changed"
    assert main(["verify", str(audit)]) == 0, f"{name}: the audit is not intact afterwards"


RESPONSES = bad_inputs.responses("REF")


@pytest.mark.parametrize("name", [name for name, _ in RESPONSES])
def test_a_bad_responses_file_is_refused_whole(sampled, tmp_path, capsys, name):
    path, ref = sampled
    data = dict(bad_inputs.responses(ref))[name]
    audit = tmp_path / "r.audit"
    shutil.copy(path, audit)
    source = tmp_path / "responses.csv"
    source.write_bytes(data)
    before = state(audit)
    code, _ = run(["responses", "import", str(audit), str(source)], capsys)
    if code == 1:
        assert state(audit) == before, f"{name}: refused, yet the audit changed"
    assert main(["verify", str(audit)]) == 0


CHECKLISTS = bad_inputs.checklists(MINIMAL)


@pytest.mark.parametrize("name,data", CHECKLISTS, ids=[name for name, _ in CHECKLISTS])
def test_a_bad_checklist_is_refused_with_file_line_and_column(tmp_path, capsys, name, data):
    source = tmp_path / "bad.yaml"
    source.write_bytes(data)
    code, err = run(["checklist", "validate", str(source)], capsys)
    if name not in ("UTF-16",):  # a UTF-16 copy of a valid checklist may be read as valid
        assert code == 1, f"{name} was accepted"
        assert f"{source}:" in err, err[:300]


def test_the_corpus_is_what_the_closing_note_counts() -> None:
    assert len(POPULATIONS) + len(RESPONSES) + len(CHECKLISTS) >= 50


# -- property-based: whatever CSV-like text arrives

CELL = st.text(alphabet=st.sampled_from(list("ab,;\t\"'\r\n =+-@0123456789ŵ\x00\x1b")), max_size=12)
TABLE = st.lists(st.lists(CELL, min_size=1, max_size=14), max_size=8)


@PROPERTY
@given(rows=TABLE, header=st.booleans(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
def test_any_csv_like_population_is_read_or_refused_whole(empty_audit, tmp_path, capsys, rows, header, encoding):
    audit = tmp_path / "p.audit"
    shutil.copy(empty_audit, audit)
    lines = ([bad_inputs.HEADER] if header else []) + [",".join(row) for row in rows]
    source = tmp_path / "population.csv"
    source.write_bytes("\n".join(lines).encode(encoding, errors="replace"))
    before = state(audit)
    code, _ = run(["import", str(audit), str(source), "--preset", "police-uk"], capsys)
    if code == 1:
        assert state(audit) == before
    audit.unlink()


@PROPERTY
@given(rows=st.lists(st.tuples(st.sampled_from(["REF", "zzz", ""]), st.sampled_from(["A1", "A2", "profile.closed", "Z9", ""]),
                               st.sampled_from(["M", "N", "NA", "yes", "", "=1+1"]), CELL,
                               st.sampled_from(["Ria Reviewer", "", "=HYPERLINK()"]),
                               st.sampled_from(["primary", "second", "x"])), max_size=6))
def test_any_responses_file_is_recorded_or_refused_whole(sampled, tmp_path, capsys, rows):
    path, ref = sampled
    audit = tmp_path / "q.audit"
    shutil.copy(path, audit)
    source = tmp_path / "responses.csv"
    body = [bad_inputs.RESPONSES_HEADER] + [",".join(ref if cell == "REF" else cell for cell in row) for row in rows]
    source.write_text("\n".join(body), encoding="utf-8")
    before = state(audit)
    code, _ = run(["responses", "import", str(audit), str(source)], capsys)
    if code == 1:
        assert state(audit) == before
    audit.unlink()
