"""Responses files as they arrive from elsewhere: any common encoding, long notes, and the inputs that
used to lose or garble data without a word (or end in a traceback). Every refusal names its row and
records nothing."""

from __future__ import annotations

import csv
import io

import pytest
from synthetic_audit import build

from audit_app.cli import main
from audit_app.services import workspace
from audit_app.services.audits import open_audit
from audit_app.store import events

HEADER = ["file_ref", "item_id", "answer", "note", "reviewer", "role"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build(tmp_path_factory.mktemp("responses") / "r.audit", files=8, double=0, seed=9).path


@pytest.fixture
def audit_path(built, tmp_path):
    copy = tmp_path / "copy.audit"
    copy.write_bytes(built.read_bytes())
    return copy


def _ref(path) -> str:
    with open_audit(path) as audit:
        return workspace.overview(audit)[0].ref


def _csv(rows, header=HEADER) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _trail(path) -> int:
    with open_audit(path) as audit:
        return events.count(audit.db)


def _import(path, source, capsys):
    capsys.readouterr()
    code = main(["responses", "import", str(path), str(source)])
    return code, capsys.readouterr()


def _note_of(path, ref, item="A1"):
    with open_audit(path) as audit:
        summary = next(f for f in workspace.overview(audit) if f.ref == ref)
        return audit.db.execute("SELECT note FROM answer WHERE review_id = ? AND item = ?",
                                [summary.second_id, item]).fetchone()


def test_a_200_kib_note_is_recorded_whole(audit_path, tmp_path, capsys):
    ref = _ref(audit_path)
    note = ("Log 4: " + "house-to-house enquiries recorded; " * 7000)[:200 * 1024]
    source = tmp_path / "long.csv"
    source.write_text(_csv([[ref, "A1", "N", note, "Nia Second", "second"]]), encoding="utf-8")
    code, out = _import(audit_path, source, capsys)
    assert code == 0, out.err
    assert _note_of(audit_path, ref) == (note,)


def test_a_note_over_the_limit_is_refused_with_its_row(audit_path, tmp_path, capsys):
    ref = _ref(audit_path)
    source = tmp_path / "huge.csv"
    source.write_text(_csv([[ref, "A2", "M", "x", "Nia Second", "second"], [ref, "A1", "N", "y" * 1_000_001, "Nia", "second"]]),
                      encoding="utf-8")
    before = _trail(audit_path)
    code, out = _import(audit_path, source, capsys)
    assert code == 1 and "row 3" in out.err and "1,000,000 characters" in out.err and "Traceback" not in out.err
    assert _trail(audit_path) == before


def test_a_windows_1252_file_is_read_as_windows_1252(audit_path, tmp_path, capsys):
    ref = _ref(audit_path)
    source = tmp_path / "cp1252.csv"
    source.write_bytes(_csv([[ref, "A1", "N", "Victim in Zürich, café owner – called 3 times", "Nia Second", "second"]])
                       .encode("cp1252"))
    code, out = _import(audit_path, source, capsys)
    assert code == 0, out.err
    assert _note_of(audit_path, ref) == ("Victim in Zürich, café owner – called 3 times",)


@pytest.mark.parametrize(("data", "says"), [
    (b"\x00\x01\x02binary\xff" * 100, "binary data"),
    ("file_ref,item_id\nR,Zürich\n".encode() + "Café".encode("cp1252"), "mixes UTF-8"),
    (b"", "empty"),
])
def test_undecodable_files_are_refused_in_a_sentence(audit_path, tmp_path, capsys, data, says):
    source = tmp_path / "bad.csv"
    source.write_bytes(data)
    before = _trail(audit_path)
    code, out = _import(audit_path, source, capsys)
    assert code == 1 and says in out.err and "Traceback" not in out.err
    assert _trail(audit_path) == before


def test_an_unclosed_quote_never_swallows_the_rows_after_it(audit_path, tmp_path, capsys):
    ref = _ref(audit_path)
    text = _csv([[ref, "A2", "M", "fine", "Nia Second", "second"]]) + f'{ref},A1,N,"opened and never closed,Nia,second\n' \
        + "".join(f"{ref},B{i},M,note,Nia Second,second\n" for i in range(1, 4))
    source = tmp_path / "quote.csv"
    source.write_text(text, encoding="utf-8")
    before = _trail(audit_path)
    code, out = _import(audit_path, source, capsys)
    assert code == 1 and "row 3" in out.err and "never closed" in out.err
    assert _trail(audit_path) == before


def test_conflicting_duplicate_rows_are_refused_with_both_row_numbers(audit_path, tmp_path, capsys):
    ref = _ref(audit_path)
    source = tmp_path / "dup.csv"
    source.write_text(_csv([[ref, "A1", "M", "log 1", "Nia Second", "second"],
                            [ref, "A2", "M", "log 2", "Nia Second", "second"],
                            [ref, "A1", "N", "log 1", "Nia Second", "second"]]), encoding="utf-8")
    before = _trail(audit_path)
    code, out = _import(audit_path, source, capsys)
    assert code == 1 and "row 4" in out.err and "row 2" in out.err and "A1" in out.err
    assert _trail(audit_path) == before


def test_control_characters_in_a_note_are_refused_with_the_row(audit_path, tmp_path, capsys):
    ref = _ref(audit_path)
    source = tmp_path / "nul.csv"
    source.write_text(_csv([[ref, "A1", "N", "line one\nline two", "Nia Second", "second"],
                            [ref, "A2", "N", "bell \x07 here", "Nia Second", "second"]]), encoding="utf-8")
    before = _trail(audit_path)
    code, out = _import(audit_path, source, capsys)
    assert code == 1 and "row 3" in out.err and "control character" in out.err and "row 2" not in out.err
    assert _trail(audit_path) == before


@pytest.mark.parametrize("staff", ["", "with the staff number"])
def test_the_primary_reviewer_cannot_second_review_however_named(audit_path, tmp_path, capsys, staff):
    with open_audit(audit_path) as audit:
        summary = workspace.overview(audit)[0]
    name, number = summary.reviewer[:-1].split(" (")  # "Alex Reviewer (R101)"
    header = HEADER + ["staff_number"]
    for shown in (name, name.upper()):  # a name alone, in any case, is not a new person
        source = tmp_path / "self.csv"
        source.write_text(_csv([[summary.ref, "A1", "M", "x", shown, "second", number if staff else ""]], header),
                          encoding="utf-8")
        before = _trail(audit_path)
        code, out = _import(audit_path, source, capsys)
        assert code == 1 and "row 2" in out.err and "Traceback" not in out.err, out.err
        if staff:  # the same person (refused: not independent), or someone else claiming their staff number
            assert "independent" in out.err or f"Staff number {number} is recorded in this audit for {name}" in out.err
        else:
            assert "give the staff number" in out.err
        assert _trail(audit_path) == before
