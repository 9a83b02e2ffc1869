"""Data exports (issue 11 §3) on a whole audit built through the services.

Expected values come from outside the code under test: the responses CSV that built the synthetic
audit (read with the csv module), the files read back with the csv module, openpyxl and json, and
the published JSON Schema (checked with jsonschema).
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from synthetic_audit import LEAD, REVIEWERS, SECOND, build

from audit_app.cli import main
from audit_app.services import exports
from audit_app.services.audits import open_audit
from audit_app.services.reviews import set_answer
from audit_app.store import reviews as review_store

MARKING = "OFFICIAL-SENSITIVE"
NOTE_WORDS = ("OIC reviewed the occurrence", "sent to the council control room", "No scene to examine", "Agreed at moderation", "Victim declined")
CHANGE_REASON = "Typo corrected after re-reading log entry 12"
PEOPLE = [person for person in REVIEWERS + [SECOND, LEAD]]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("exports")
    return build(work / "e.audit", files=40, double=8, seed=5).path


@pytest.fixture(scope="module")
def formula(tmp_path_factory: pytest.TempPathFactory, built: Path) -> tuple[Path, str, str]:
    """A copy of the audit where one answer's note is ``=1+1`` and its evidence ``-3``: (path, ref, item)."""
    path = tmp_path_factory.mktemp("formula") / "f.audit"
    path.write_bytes(built.read_bytes())
    with open_audit(path) as audit:
        review = next(r for r in review_store.all_reviews(audit.db) if r.role == "primary" and r.status == "complete")
        (item, answer), (other, second) = list(review_store.answers(audit.db, review.id).items())[:2]
        set_answer(audit, review.id, item, exports_answer(answer), actor="Lee Lead (L1)", reason=CHANGE_REASON)
        set_answer(audit, review.id, other, replace(second, note="Pasted from a form\x0b with a vertical tab"))
    return path, review.ref, item


def exports_answer(answer):  # the same answer with a formula for a note and a negative number as text
    return replace(answer, note="=1+1", evidence="-3")


def _responses(audit_path: Path) -> dict[tuple[str, str, str], dict[str, str]]:
    """(file, item, role) → the row of the responses CSV that built the audit (items only)."""
    with (audit_path.parent / f"{audit_path.stem}-responses.csv").open(newline="", encoding="utf-8") as handle:
        return {(r["file_ref"], r["item_id"], r["role"]): r for r in csv.DictReader(handle)
                if not r["item_id"].startswith("profile.")}


def _export(audit_path: Path, fmt: str, out: Path, **options) -> exports.ExportResult:
    with open_audit(audit_path) as audit:
        return exports.export(audit, fmt, out, **options)


def _csv_rows(path: Path, marking: str | None = None) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        if marking is not None:
            assert handle.readline().rstrip("\r\n") == marking
        assert handle.readline().startswith("# audit-app export of ")  # the trail head's line
        return list(csv.DictReader(handle))


def _trail(audit_path: Path) -> tuple[int, str]:
    """The audit trail's entries and head, read with sqlite3 (not the app's code)."""
    conn = sqlite3.connect(f"file:{audit_path}?mode=ro", uri=True)
    try:
        count, = conn.execute("SELECT count(*) FROM event").fetchone()
        head, = conn.execute("SELECT hash FROM event ORDER BY seq DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    return count, head


# -- CSV


def test_csv_rows_are_the_responses_that_built_the_audit(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "long.csv"
    result = _export(built, "csv", out, marking=MARKING)
    rows = _csv_rows(out, MARKING)
    assert result.rows == len(rows)
    assert all(None not in row and None not in row.values() for row in rows)  # every row as long as the header
    expected = _responses(built)
    reviews = {(r["file_ref"], r["role"]) for r in rows if r["role"] != exports.MODERATED}
    assert reviews == {(ref, role) for ref, _item, role in expected}
    answered = {(r["file_ref"], r["item_id"], r["role"]): r for r in rows if r["answer_code"] and r["role"] != "moderated"}
    assert set(answered) == set(expected)
    for key, source in expected.items():
        row = answered[key]
        assert row["answer_code"] == source["answer"]
        assert row["note"] == source["note"]
        assert row["evidence"] == source["evidence"]
        assert row["reviewer"] == source["reviewer"] and row["staff_number"] == source["staff_number"]
        assert row["mmo"] == source["mmo"] and row["notable_practice"] == source["notable_practice"]
        assert row["opportunity_known"] == source["opportunity_known"]
        assert row["answer_meaning"] in ("met", "partly_met", "not_met", "not_recorded", "not_applicable")
        assert row["checklist_id"] == "neighbourhood-crime"
        # when and by whom, from the audit trail: the import recorded each answer as its reviewer
        assert row["review_started_at"] <= row["answered_at"] <= row["review_updated_at"]
        assert row["answered_by"] == source["reviewer"]
    # every review has a row for every item of the checklist (unanswered ones with no answer)
    with open_audit(built) as audit:
        items = len(audit.checklist.items)
    non_moderated = [r for r in rows if r["role"] != exports.MODERATED]
    assert len(non_moderated) == len(reviews) * items


def test_csv_without_a_marking_starts_with_the_trail_head_then_the_header(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "plain.csv"
    _export(built, "csv", out)
    first, second = out.read_text(encoding="utf-8-sig").splitlines()[:2]
    count, head = _trail(built)
    assert first == f"# audit-app export of {built.name}: audit trail head {head} ({count} entries)"
    assert second.split(",") == exports.LONG_HEADER


def test_every_format_carries_the_trail_head_it_was_read_at(built: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """The head ties an export to the audit (issue 12 §1): the one in each file is the trail's, and
    `verify --head` accepts it."""
    from openpyxl import load_workbook

    count, head = _trail(built)
    for fmt in exports.FORMATS:
        out = tmp_path / f"e.{fmt}"
        assert main(["export", str(built), "--format", fmt, "--out", str(out)]) == 0
        summary = json.loads(capsys.readouterr().out)
        assert (summary["events"], summary["head"]) == (count, head)
        if fmt == "json":
            assert json.loads(out.read_text(encoding="utf-8"))["audit"]["trail"] == {"events": count, "head": head}
        elif fmt == "csv":
            assert f"audit trail head {head} ({count} entries)" in out.read_text(encoding="utf-8-sig").splitlines()[0]
        else:
            workbook = load_workbook(out, read_only=True)
            about = {key: value for key, value in workbook["Audit"].iter_rows(min_row=2, values_only=True)}
            assert (about["audit_trail_entries"], about["audit_trail_head"]) == (count, head)
            assert head in workbook.properties.description
    assert main(["verify", str(built), "--head", head]) == 0


def test_moderated_rows_carry_the_agreed_answer_and_reason(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.csv"
    _export(built, "csv", out)
    moderated = [r for r in _csv_rows(out) if r["role"] == exports.MODERATED]
    assert moderated, "the synthetic audit agreed differences on half its double-reviewed files"
    primary = {(r["file_ref"], r["item_id"]): r for r in _csv_rows(out) if r["role"] == "primary"}
    for row in moderated:
        # the synthetic moderation agreed the primary reviewer's answer, with a fixed reason
        assert row["answer_code"] == primary[(row["file_ref"], row["item_id"])]["answer_code"]
        assert row["moderation_reason"].startswith("Agreed at moderation")
        assert (row["reviewer"], row["staff_number"]) == LEAD


def test_formula_text_is_neutralised_in_csv_but_numbers_are_not(formula: tuple[Path, str, str], tmp_path: Path) -> None:
    path, ref, item = formula
    out = tmp_path / "f.csv"
    _export(path, "csv", out)
    row = next(r for r in _csv_rows(out) if (r["file_ref"], r["item_id"], r["role"]) == (ref, item, "primary"))
    assert row["note"] == "'=1+1"
    assert row["evidence"] == "'-3"
    assert (row["answered_by"], row["change_reason"]) == ("Lee Lead (L1)", CHANGE_REASON)
    assert exports.neutralise(-3) == -3 and exports.neutralise(-3.5) == -3.5
    for text in ("=A1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert exports.neutralise(text) == "'" + text
    assert exports.neutralise("plain text") == "plain text"


# -- free text and names left out


@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_no_notes_leaves_no_note_text_in_the_file(built: Path, tmp_path: Path, fmt: str) -> None:
    with_notes = tmp_path / f"with.{fmt}"
    without = tmp_path / f"without.{fmt}"
    _export(built, fmt, with_notes)
    _export(built, fmt, without, notes=False)
    if fmt == "xlsx":
        with_text, without_text = _xlsx_text(with_notes), _xlsx_text(without)
    else:
        with_text, without_text = with_notes.read_text(encoding="utf-8-sig"), without.read_text(encoding="utf-8-sig")
    for words in NOTE_WORDS:
        assert words in with_text, f"{words!r} should be in the export with notes"
        assert words not in without_text, f"{words!r} is in the export without notes"


@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_no_names_leaves_no_name_or_staff_number_in_the_file(built: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"anonymous.{fmt}"
    _export(built, fmt, out, names=False)
    text = _xlsx_text(out) if fmt == "xlsx" else out.read_text(encoding="utf-8-sig")
    for name, staff_number in PEOPLE:
        assert name not in text
        assert not re.search(rf"\b{re.escape(staff_number)}\b", text), staff_number
    assert "Reviewer 1" in text


def test_pseudonyms_are_numbered_in_order_of_first_appearance(built: Path, tmp_path: Path) -> None:
    named, anonymous = tmp_path / "n.csv", tmp_path / "a.csv"
    _export(built, "csv", named)
    _export(built, "csv", anonymous, names=False)
    order: dict[tuple[str, str], str] = {}
    for real, shown in zip(_csv_rows(named), _csv_rows(anonymous)):
        person = (real["reviewer"], real["staff_number"])
        order.setdefault(person, f"Reviewer {len(order) + 1}")
        assert shown["reviewer"] == order[person] and shown["staff_number"] == ""
    assert len(order) == len(set(order.values())) > 1


# -- XLSX


def _xlsx_text(path: Path) -> str:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    return "\n".join(str(value) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)
                     for value in row if value is not None)


def test_xlsx_has_its_sheets_frozen_headers_and_the_marking(formula: tuple[Path, str, str], tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path, ref, item = formula
    out = tmp_path / "book.xlsx"
    _export(path, "xlsx", out, marking=MARKING)
    workbook = load_workbook(out)
    assert workbook.sheetnames == ["Reviews", "Files", "Items", "Results", "Audit"]
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.oddHeader.center.text == MARKING
        assert sheet["A1"].font.bold
        widths = {k: d.width for k, d in sheet.column_dimensions.items()}
        assert all(5 < w <= exports.MAX_WIDTH for w in widths.values()), (sheet.title, widths)
    reviews = workbook["Reviews"]
    header = [c.value for c in reviews[1]]
    assert header == exports.LONG_HEADER
    col = {name: index for index, name in enumerate(header)}
    row = next(r for r in reviews.iter_rows(min_row=2)
               if (r[col["file_ref"]].value, r[col["item_id"]].value, r[col["role"]].value) == (ref, item, "primary"))
    note = row[col["note"]]
    assert note.value == "'=1+1" and note.data_type == "s"  # text, not a formula
    assert row[col["evidence"]].value == "'-3"
    assert isinstance(row[col["position"]].value, int)
    pasted = [r[col["note"]].value for r in reviews.iter_rows(min_row=2) if r[col["note"]].value
              and str(r[col["note"]].value).startswith("Pasted from a form")]
    assert pasted == ["Pasted from a form with a vertical tab"]  # the control character XML cannot hold is dropped
    files = workbook["Files"]
    assert files.max_row == 1 + 40
    score = [c.value for c in files[1]].index("score")
    assert all(isinstance(r[score].value, (int, float)) for r in files.iter_rows(min_row=2))
    results = workbook["Results"]
    assert [c.value for c in results[1]][:2] == ["item", "section"]
    assert isinstance(results.cell(row=2, column=4).value, int)  # applicable files: a number, not text


def test_xlsx_results_sheet_is_the_results_services_item_table(built: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from audit_app.services import results as results_service

    out = tmp_path / "r.xlsx"
    _export(built, "xlsx", out)
    with open_audit(built) as audit:
        table = results_service.item_table(results_service.audit_results(audit))
    sheet = load_workbook(out, read_only=True)["Results"]
    width = len(table[0])  # read-only mode leaves out trailing empty cells
    read = [["" if v is None else v for v in row] + [""] * (width - len(row)) for row in sheet.iter_rows(values_only=True)]
    assert len(read) == len(table)
    assert read[0] == table[0]
    for got, expected in zip(read[1:], table[1:]):
        for value, text in zip(got, expected):
            if isinstance(value, (int, float)):  # a figure, stored as a number
                assert value == pytest.approx(float(text), abs=5e-5)
            else:
                assert value == text


# -- JSON


def test_json_validates_against_the_published_schema(built: Path, tmp_path: Path) -> None:
    import jsonschema

    from audit_app.services.export_schema import SCHEMA_PATH

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    for options in ({}, {"notes": False, "names": False, "marking": MARKING}):
        out = tmp_path / "e.json"
        _export(built, "json", out, **options)
        document = json.loads(out.read_text(encoding="utf-8"))
        jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
        assert document["marking"] == options.get("marking")
        assert len(document["files"]) == 40
        assert document["results"]["files_reviewed"] == 40


def test_the_published_schema_is_the_generated_one() -> None:
    from audit_app.services.export_schema import SCHEMA_PATH, export_schema

    published = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert published == export_schema(), "checklists/export.schema.json is stale: run `make schema`"


def test_json_reviews_hold_the_responses(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    _export(built, "json", out)
    document = json.loads(out.read_text(encoding="utf-8"))
    expected = _responses(built)
    got = {(r["file_ref"], a["item"], r["role"]): (a["code"], a["note"], r["reviewer"])
           for r in document["reviews"] for a in r["answers"]}
    assert got == {key: (row["answer"], row["note"], row["reviewer"]) for key, row in expected.items()}


# -- the service's guarantees


def test_a_cancelled_export_leaves_nothing_behind(built: Path, tmp_path: Path) -> None:
    class Cancelled(Exception):
        pass

    def cancel(done: int, total: int, text: str) -> None:
        if text == "Writing the export" and done >= 500:
            raise Cancelled

    target = tmp_path / "old.csv"
    target.write_text("the previous export\n", encoding="utf-8")
    for fmt in exports.FORMATS:
        with pytest.raises(Cancelled):
            _export(built, fmt, target, progress=cancel)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["old.csv"]
        assert target.read_text(encoding="utf-8") == "the previous export\n"


def test_progress_reaches_the_end(built: Path, tmp_path: Path) -> None:
    seen: list[tuple[int, int, str]] = []
    result = _export(built, "xlsx", tmp_path / "p.xlsx", progress=lambda *a: seen.append(a))
    assert seen[-1] == (result.rows, result.rows, "Writing the export")


# -- the command


def test_cli_exports_and_prints_a_summary(built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli.csv"
    assert main(["export", str(built), "--format", "csv", "--out", str(out), "--marking", MARKING,
                 "--no-notes", "--no-names"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["rows"] == len(_csv_rows(out, MARKING)) and summary["format"] == "csv"
    assert "Writing the export: 100%" in captured.err


def test_cli_bad_format_is_a_usage_error(built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["export", str(built), "--format", "pdf", "--out", str(tmp_path / "x.pdf")])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["missing/x.csv", "a-file/x.csv", "."])
def test_cli_unwritable_target_fails_with_a_sentence_and_writes_nothing(
        built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str) -> None:
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    before = sorted(tmp_path.rglob("*"))
    assert main(["export", str(built), "--format", "csv", "--out", str(tmp_path / where)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("audit-app: Cannot export to ") and err.endswith(".") and "\n" not in err
    assert "Traceback" not in err
    assert sorted(tmp_path.rglob("*")) == before


def test_cli_read_only_folder_is_refused(built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import os

    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        assert main(["export", str(built), "--format", "json", "--out", str(folder / "x.json")]) == 1
        assert "not writable" in capsys.readouterr().err
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def test_a_folder_the_user_cannot_write_to_is_refused(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check itself (the test above is skipped when running as root, who can write anywhere)."""
    monkeypatch.setattr(exports.os, "access", lambda path, mode: False)
    with pytest.raises(exports.AuditError, match=r"^Cannot export to .*: the folder .* is not writable\.$"):
        _export(built, "csv", tmp_path / "x.csv")
    assert list(tmp_path.iterdir()) == []


def test_the_audit_file_itself_is_never_the_target(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = built.read_bytes()
    assert main(["export", str(built), "--format", "json", "--out", str(built)]) == 1
    assert "the audit file itself" in capsys.readouterr().err
    assert built.read_bytes() == before


def test_no_notes_and_no_names_leave_out_the_reasons_and_actors_of_changes(formula: tuple[Path, str, str],
                                                                           tmp_path: Path) -> None:
    path, ref, item = formula
    for fmt in exports.FORMATS:
        out = tmp_path / f"shared.{fmt}"
        _export(path, fmt, out, notes=False, names=False)
        text = _xlsx_text(out) if fmt == "xlsx" else out.read_text(encoding="utf-8-sig")
        assert CHANGE_REASON not in text and "=1+1" not in text and "Lee Lead" not in text
