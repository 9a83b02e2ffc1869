"""File review reports (issue 11 §2), read back from the PDF with poppler and qpdf.

The audit is built through the services (tests/synthetic_audit.py); the Welsh note and the very
long note are recorded through the review service, as a reviewer would type them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pdf_tools
import pytest
from synthetic_audit import build

from audit_app.cli import main
from audit_app.errors import AuditError
from audit_app.services import reports, workspace
from audit_app.services.audits import open_audit
from audit_app.services.reviews import review_state, set_answer, set_review_status

WELSH = "Aeth y swyddog i'r tŷ; ŵyr y dioddefwr — “Ŵyn” a ‘Ŷ’ – café"
MARKING = "OFFICIAL-SENSITIVE"
TOKENS = 6000  # "<b>w00001</b> & " is 16 characters: 96,000 characters, plus padding to 100,000


def _long_note() -> str:
    note = "".join(f"<b>w{i:05d}</b> & " for i in range(TOKENS))
    return note + "x" * (100_000 - len(note))


@pytest.fixture(scope="module")
def audit_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("file-reports")
    path = build(work / "r.audit", files=12, double=4, seed=5).path
    with open_audit(path) as audit:
        single = [f for f in workspace.overview(audit) if f.second_id is None and f.primary_id]
        welsh, long, unfinished = single[0], single[1], single[2]
        for file, note in ((welsh, WELSH), (long, _long_note())):
            assert file.primary_id is not None
            answers = review_state(audit, file.primary_id).answers
            item = sorted(answers)[0]
            set_answer(audit, file.primary_id, item, replace(answers[item], note=note))
        assert unfinished.primary_id is not None
        set_review_status(audit, unfinished.primary_id, "in_progress", reason="test: back to work")
    return path


def _refs(path: Path) -> dict[str, str]:
    """welsh, long, unfinished and a double-reviewed file's refs (as the fixture chose them)."""
    with open_audit(path) as audit:
        files = workspace.overview(audit)
    single = [f for f in files if f.second_id is None and f.primary_id]
    double = [f for f in files if f.second_id is not None]
    return {"welsh": single[0].ref, "long": single[1].ref, "unfinished": single[2].ref, "double": double[0].ref}


def _write(path: Path, refs: list[str] | str, out: Path, marking: str | None = MARKING) -> Path:
    with open_audit(path) as audit:
        return reports.write_file_reports(audit, refs, out, marking=marking)


def test_one_file_report_shows_the_file_its_answers_and_a_welsh_note(audit_path: Path, tmp_path: Path) -> None:
    refs = _refs(audit_path)
    pdf = _write(audit_path, [refs["welsh"]], tmp_path / "welsh.pdf")
    whole = pdf_tools.text(pdf)
    assert refs["welsh"] in whole.replace("\n", "")  # a 64-character reference may wrap in the heading
    assert WELSH in whole
    assert "Answer: Met (M)" in whole or "Answer: Not met (N)" in whole
    with open_audit(audit_path) as audit:
        reviewer = next(f.reviewer for f in workspace.overview(audit) if f.ref == refs["welsh"])
    assert reviewer in whole
    texts = pdf_tools.page_texts(pdf)
    assert len(texts) > 1
    for number, page in enumerate(texts, start=1):
        assert page.count(MARKING) == 2, f"page {number}: the marking is in its header and footer"
        assert f"Page {number} of {len(texts)}" in page


def test_fonts_are_embedded_and_none_is_a_standard_14_font(audit_path: Path, tmp_path: Path) -> None:
    pdf = _write(audit_path, [_refs(audit_path)["welsh"]], tmp_path / "fonts.pdf")
    fonts = pdf_tools.fonts(pdf)
    assert fonts
    for font in fonts:
        assert font["emb"] == "yes", font
        assert "DejaVuSans" in font["name"], font
        assert not any(base in font["name"] for base in pdf_tools.BASE_14), font


def test_metadata_and_structure(audit_path: Path, tmp_path: Path) -> None:
    pdf = _write(audit_path, [_refs(audit_path)["welsh"]], tmp_path / "meta.pdf")
    checked = pdf_tools.qpdf_check(pdf)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    info = pdf_tools.info(pdf)
    assert info["Title"].startswith("File review report: ")
    assert info["Author"] == "Lee Lead (L1)"
    assert info["Page size"].startswith("595.276 x 841.89")  # A4
    assert b"/Lang (en-GB)" in pdf.read_bytes()
    assert len(pdf_tools.outline(pdf)) == 1


def test_a_100000_character_note_renders_literally_across_pages(audit_path: Path, tmp_path: Path) -> None:
    pdf = _write(audit_path, [_refs(audit_path)["long"]], tmp_path / "long.pdf")
    assert pdf_tools.qpdf_check(pdf).returncode == 0
    texts = pdf_tools.page_texts(pdf)
    whole = " ".join(" ".join(texts).split())  # line ends are spaces
    missing = [i for i in range(TOKENS) if f"<b>w{i:05d}</b> &" not in whole]
    assert not missing, f"{len(missing)} pieces of the note are missing, the first {missing[:3]}"
    pages_with_note = [n for n, page in enumerate(texts) if "<b>w0" in page]
    assert len(pages_with_note) >= 10, "the note breaks across pages"
    for page in texts:
        assert page.count(MARKING) == 2  # the layout of every page is intact


def test_many_files_in_one_pdf_each_from_a_new_page_with_an_outline_entry(audit_path: Path, tmp_path: Path) -> None:
    with open_audit(audit_path) as audit:
        expected = reports.reportable_refs(audit)
    refs = _refs(audit_path)
    assert refs["unfinished"] not in expected and refs["double"] in expected
    pdf = _write(audit_path, reports.ALL, tmp_path / "all.pdf")
    entries = pdf_tools.outline(pdf)
    assert [e["title"].split(": ", 1)[1] for e in entries] == expected
    starts = [e["page"] for e in entries]
    assert starts == sorted(set(starts)) and starts[0] > 1  # after the title page and contents
    for entry, ref in zip(entries, expected):
        page = pdf_tools.text(pdf, entry["page"]).replace("\n", "")
        assert page.index("File " + ref[:20]) < 200, "each file starts its own page"
    contents = pdf_tools.text(pdf, 1)
    assert all(ref[:20] in contents for ref in expected)


def test_a_double_reviewed_file_shows_both_reviews_and_moderation(audit_path: Path, tmp_path: Path) -> None:
    ref = _refs(audit_path)["double"]
    pdf = _write(audit_path, ref, tmp_path / "double.pdf", marking=None)
    whole = pdf_tools.text(pdf)
    assert "Primary review" in whole and "Second review" in whole and "Sam Second (R201)" in whole
    assert "Moderation" in whole and "State: " in whole
    assert MARKING not in whole


@pytest.mark.parametrize("which, message", [
    ("nope", "Not in the sample: 'nope'"),
    ("unfinished", "has not been reviewed yet (its review is in progress)"),
])
def test_unknown_or_unreviewed_files_are_refused_and_nothing_is_written(audit_path: Path, tmp_path: Path, which: str,
                                                                        message: str) -> None:
    ref = _refs(audit_path).get(which, which)
    with pytest.raises(AuditError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _write(audit_path, [ref], tmp_path / "refused.pdf")
    assert list(tmp_path.iterdir()) == []


def test_a_failure_while_rendering_leaves_the_old_file_untouched(audit_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "kept.pdf"
    out.write_bytes(b"the earlier report")

    def cancel(done: int, total: int, text: str) -> None:
        if text.startswith("Rendering"):
            raise KeyboardInterrupt

    with open_audit(audit_path) as audit, pytest.raises(KeyboardInterrupt):
        reports.write_file_reports(audit, reports.ALL, out, progress=cancel)
    assert out.read_bytes() == b"the earlier report"
    assert [p.name for p in tmp_path.iterdir()] == ["kept.pdf"]


def test_the_report_is_never_written_over_the_audit(audit_path: Path) -> None:
    with open_audit(audit_path) as audit, pytest.raises(AuditError, match="audit file itself"):
        reports.write_file_reports(audit, reports.ALL, audit_path)


# -- the command


def test_cli_writes_file_reports(audit_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refs = _refs(audit_path)
    out = tmp_path / "cli.pdf"
    assert main(["report", str(audit_path), "--out", str(out), "--files", f"{refs['welsh']},{refs['double']}",
                 "--marking", "OFFICIAL"]) == 0
    assert [e["title"].split(": ", 1)[1] for e in pdf_tools.outline(out)] == [refs["welsh"], refs["double"]]
    assert "wrote" in capsys.readouterr().err


@pytest.mark.parametrize("extra, message", [
    (["--file", "nope"], "Not in the sample: 'nope'"),
    (["--files", "unfinished"], "has not been reviewed yet"),
])
def test_cli_refuses_with_exit_1_and_one_sentence(audit_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  extra: list[str], message: str) -> None:
    refs = _refs(audit_path)
    extra = [refs.get(a, a) for a in extra]
    assert main(["report", str(audit_path), "--out", str(tmp_path / "x.pdf"), *extra]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_an_unwritable_target(audit_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "no-such-folder" / "x.pdf"
    assert main(["report", str(audit_path), "--out", str(target), "--files", "all"]) == 1
    assert "Cannot write" in capsys.readouterr().err
    assert not target.parent.exists()


def test_cli_usage_error_is_exit_2(audit_path: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["report", str(audit_path), "--out", str(tmp_path / "x.pdf"), "--file", "a", "--files", "b"])
    assert exit_.value.code == 2


def test_file_reports_show_the_trail_head_they_were_read_at(audit_path: Path, tmp_path: Path) -> None:
    """Issue 12 §1: the head is written into every report, where a reader of the printed copy sees it."""
    import sqlite3

    conn = sqlite3.connect(f"file:{audit_path}?mode=ro", uri=True)
    count, = conn.execute("SELECT count(*) FROM event").fetchone()
    head, = conn.execute("SELECT hash FROM event ORDER BY seq DESC LIMIT 1").fetchone()
    conn.close()
    refs = _refs(audit_path)
    for chosen, name in (([refs["double"]], "one.pdf"), (reports.ALL, "all.pdf")):
        page = pdf_tools.text(_write(audit_path, chosen, tmp_path / name), 1).replace("\n", " ")
        assert f"Audit trail head {head} ({count} entries)" in page, page[:600]
