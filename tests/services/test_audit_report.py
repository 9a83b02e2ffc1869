"""The audit report (issue 11 §1), read back from the PDF with poppler, qpdf and SQLite.

The audits are built through the services as users build them (tests/synthetic_audit.py, and a
checklist with a 60-item section and a section that applies to no file); the expected values (the
seed, the frame hash, the trail head, the checklist's hash) are read straight from the audit file
with sqlite3, not through the code under test.
"""

from __future__ import annotations

import csv
import sqlite3
from dataclasses import replace
from pathlib import Path

import pdf_tools
import pytest
from synthetic_audit import LEAD, build

from audit_app.cli import main
from audit_app.core.results.model import NOT_MET
from audit_app.errors import AuditError
from audit_app.services import reports, results, settings, workspace
from audit_app.services import population as population_service
from audit_app.services import sampling as sampling_service
from audit_app.services.audits import create_audit, open_audit
from audit_app.services.reviews import ensure_reviewer, import_responses, review_state, set_answer, sign_off
from audit_app.services.sampling import SampleRequest

WELSH = "Ni chafwyd datganiad gan y dioddefwr; ŵyr y swyddog — “Ŵyn” a ‘Ŷ’ – café"
HOSTILE = "<b>not bold</b> & <i>not italic</i> &amp; =cmd|' /C calc'!A0"
MARKING = "OFFICIAL-SENSITIVE"
TESTS = Path(__file__).resolve().parent.parent


def _sql(path: Path, query: str) -> list[tuple]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return connection.execute(query).fetchall()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def audit_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 files, 6 reviewed twice; the weakest item's Not met notes made Welsh (the first) and hostile (the rest)."""
    work = tmp_path_factory.mktemp("audit-report")
    path = build(work / "a.audit", files=40, double=6, seed=11).path
    with open_audit(path) as audit:
        weakest = results.audit_results(audit).weakest()[0].item
        welsh = hostile = 0
        for file in workspace.overview(audit):
            if file.primary_id is None or file.second_id is not None:
                continue
            answer = review_state(audit, file.primary_id).answers.get(weakest)
            if answer is not None and answer.code == "N" and not welsh:
                set_answer(audit, file.primary_id, weakest, replace(answer, note=WELSH))
                welsh += 1
            elif answer is not None and answer.code in ("N", "P", "NR"):
                set_answer(audit, file.primary_id, weakest, replace(answer, note=HOSTILE))
                hostile += 1
    assert welsh and hostile
    return path


def _write(path: Path, out: Path, marking: str | None = MARKING) -> Path:
    with open_audit(path) as audit:
        return reports.write_audit_report(audit, out, marking=marking)


def test_the_report_names_the_seed_the_frame_hash_the_trail_head_and_the_checklist(audit_path: Path, tmp_path: Path) -> None:
    pdf = _write(audit_path, tmp_path / "report.pdf")
    whole = pdf_tools.text(pdf).replace("\n", " ")
    seed, frame = _sql(audit_path, "SELECT seed, frame_sha256 FROM sampling_plan")[0]
    head = _sql(audit_path, "SELECT hash FROM event ORDER BY seq DESC LIMIT 1")[0][0]
    events = _sql(audit_path, "SELECT count(*) FROM event")[0][0]
    checklist_sha = _sql(audit_path, "SELECT checklist_sha256 FROM audit")[0][0]
    source_sha = _sql(audit_path, "SELECT sha256 FROM import_batch")[0][0]
    for value in (seed, frame, head, checklist_sha, source_sha, f"{events:,} events"):
        assert value in whole, value
    assert "Draft" in whole  # nothing is signed off
    assert WELSH in whole  # a theme's example note, as typed
    assert HOSTILE in whole  # markup shown literally
    for part in ("Summary", "Results by section and item", "Results by stratum and sub-score", "Themes",
                 "Reviewer agreement", "Files reviewed", "Method appendix", "What the audit cannot say",
                 "Wilson", "Clopper", "Landis", "Gwet"):
        assert part in whole, part


def test_every_page_has_the_marking_and_its_number_and_the_pdf_is_sound(audit_path: Path, tmp_path: Path) -> None:
    pdf = _write(audit_path, tmp_path / "report.pdf")
    texts = pdf_tools.page_texts(pdf)
    assert len(texts) >= 8
    for number, page in enumerate(texts, start=1):
        assert page.count(MARKING) >= 2, f"page {number}: the marking in its header and footer"
        assert f"Page {number} of {len(texts)}" in page
    check = pdf_tools.qpdf_check(pdf)
    assert check.returncode == 0, check.stdout + check.stderr
    fonts = pdf_tools.fonts(pdf)
    assert fonts and all(font["emb"] == "yes" for font in fonts)
    assert not any(base in font["name"] for font in fonts for base in pdf_tools.BASE_14)
    info = pdf_tools.info(pdf)
    assert info["Title"].startswith("Audit report")
    assert info["Author"] == f"{LEAD[0]} ({LEAD[1]})"
    titles = [entry["title"] for entry in pdf_tools.outline(pdf)]
    assert titles == ["Summary", "Results by section and item", "Results by stratum and sub-score", "Themes",
                      "Reviewer agreement", "Files reviewed", "Method appendix"]


def test_figures_are_the_results_the_service_computed(audit_path: Path, tmp_path: Path) -> None:
    pdf = _write(audit_path, tmp_path / "report.pdf")
    whole = pdf_tools.text(pdf).replace("\n", " ")
    with open_audit(audit_path) as audit:
        figures = results.audit_results(audit)
    critical = figures.files.critical_failure
    assert f"Files with a critical failure: {critical.proportion.successes} files" in whole
    weighted = critical.weighted
    assert weighted is not None and f"weighted estimate {100 * weighted.estimate:.1f}%" in whole
    assert f"{figures.files_reviewed} reviews are finished" in whole
    # the files counted by grade in the sample agree with the files reviewed list
    assert sum(share.proportion.successes for share in figures.files.grades) == figures.files_reviewed


def test_references_appear_only_when_the_audit_allows_them(audit_path: Path, tmp_path: Path) -> None:
    with open_audit(audit_path) as audit:
        refs = [f.ref for f in workspace.overview(audit)]
    hidden = pdf_tools.text(_write(audit_path, tmp_path / "hidden.pdf")).replace("\n", "")
    assert not [ref for ref in refs if ref in hidden]
    with open_audit(audit_path) as audit:
        lead = next(r for r in audit_reviewers(audit) if r.role == "lead")
        settings.change_settings(audit, lead, show_references=True, reason="test: for the file owners")
    try:
        shown = pdf_tools.text(_write(audit_path, tmp_path / "shown.pdf")).replace("\n", "")
        assert all(ref in shown for ref in refs)
    finally:
        with open_audit(audit_path) as audit:
            settings.change_settings(audit, lead, show_references=False, reason="test: back")


def audit_reviewers(audit):  # type: ignore[no-untyped-def]
    from audit_app.services.reviews import reviewers
    return reviewers(audit)


def test_the_marking_defaults_to_the_audits_own_and_can_be_none(audit_path: Path, tmp_path: Path) -> None:
    assert "OFFICIAL" not in pdf_tools.text(_write(audit_path, tmp_path / "none.pdf", marking=""))
    default = pdf_tools.text(_write(audit_path, tmp_path / "default.pdf", marking=None))
    with open_audit(audit_path) as audit:
        own = settings.audit_settings(audit).marking
    if own:
        assert own in default


def test_cancelling_leaves_nothing_and_progress_reaches_the_end(audit_path: Path, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int, text: str) -> None:
        seen.append((done, total))

    _write_with(audit_path, tmp_path / "ok.pdf", progress)
    assert seen[-1] == (100, 100) and [d for d, _ in seen] == sorted(d for d, _ in seen)

    def cancel(done: int, total: int, text: str) -> None:
        if done >= 60:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _write_with(audit_path, tmp_path / "cancelled.pdf", cancel)
    assert list(tmp_path.iterdir()) == [tmp_path / "ok.pdf"]


def _write_with(path: Path, out: Path, progress) -> Path:  # type: ignore[no-untyped-def]
    with open_audit(path) as audit:
        return reports.write_audit_report(audit, out, progress=progress)


def test_cli_writes_the_report_and_report_verify_checks_it(audit_path: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    pdf = tmp_path / "cli.pdf"
    assert main(["report", str(audit_path), "--out", str(pdf), "--marking", MARKING]) == 0
    assert pdf_tools.pages(pdf) >= 8
    assert main(["report", "verify", str(pdf), str(audit_path)]) == 0
    assert "matches" in capsys.readouterr().out


def test_no_finished_review_is_refused_with_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "empty.audit"
    with create_audit(path, "neighbourhood-crime", "Nothing reviewed") as audit:
        with pytest.raises(AuditError, match="nothing to report"):
            reports.write_audit_report(audit, tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


# -- worst cases: a 60-item section, a section that applies to no file, every review signed off


def _big_checklist(folder: Path) -> Path:
    text = (TESTS / "checklists" / "minimal.yaml").read_text(encoding="utf-8")
    items = "".join(
        f"      - id: A{n}\n        question: Was line of inquiry number {n} identified and pursued to its end?\n"
        "        kind: line_of_inquiry\n        scale: MPN\n        weight: 1\n        subscore: INV\n"
        "        basis: [APP]\n        guidance:\n          good: Pursued.\n" for n in range(3, 61))
    text = text.replace("  - id: B\n    title: Second section\n", items + "  - id: B\n    title: Second section\n")
    never = ("  - id: C\n    title: Section that applies to no file\n    items:\n      - id: C1\n"
             "        question: Was the robbery at a burglary?\n        kind: line_of_inquiry\n        scale: MPN\n"
             "        weight: 1\n        subscore: INV\n        applies_when: offence_group == 'robbery' and "
             "offence_group == 'burglary'\n        basis: [APP]\n        guidance:\n          good: Never.\n")
    text = text.replace("grading:\n", never + "grading:\n")
    path = folder / "big.yaml"
    path.write_text(text.replace("id: minimal", "id: big-section"), encoding="utf-8")
    return path


def test_a_60_item_section_an_empty_section_and_a_final_report(tmp_path: Path) -> None:
    path = tmp_path / "big.audit"
    with create_audit(path, str(_big_checklist(tmp_path)), "<b>Bold</b> & Welsh: Ŵyr Ŷ", actor="Lee Lead (L1)") as audit:
        population_service.import_population(audit, TESTS / "data" / "population" /
                                              "police-uk-2025-01-city-of-london.csv", preset="police-uk")
        drawn = sampling_service.draw_sample(audit, SampleRequest(size=6, seed="sixty"))
        lead = ensure_reviewer(audit, "Lee Lead", "L1", role="lead")
        ensure_reviewer(audit, "Ria Reviewer", "R1")
        responses = tmp_path / "responses.csv"
        with responses.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["file_ref", "item_id", "answer", "note", "reviewer", "role", "staff_number", "opportunity_known"])
            for index, ref in enumerate(drawn.selected):
                for field, value in (("offence_group", "burglary"), ("video", "yes"), ("reported", "2025-01-03"),
                                     ("outcome_type", "1"), ("allocated", "2025-01-04")):
                    writer.writerow([ref, f"profile.{field}", value, "", "Ria Reviewer", "primary", "R1"])
                for n in range(1, 61):
                    code = "N" if (n + index) % 3 == 0 else "M"
                    note = f"{WELSH} ({n})" if code == "N" else ""
                    known = "yes" if n == 2 and code == "N" else ""
                    writer.writerow([ref, f"A{n}", code, note, "Ria Reviewer", "primary", "R1", known])
                writer.writerow([ref, "B1", "M", "", "Ria Reviewer", "primary", "R1"])
        result = import_responses(audit, responses, complete=True)
        assert not result.errors and not result.incomplete, (result.errors[:3], result.incomplete[:3])
        for file in workspace.overview(audit):
            assert file.primary_id is not None
            sign_off(audit, file.primary_id, lead, "L1")
        pdf = reports.write_audit_report(audit, tmp_path / "big.pdf", marking=MARKING)
    whole = pdf_tools.text(pdf).replace("\n", " ")
    assert "Final" in whole and "Draft" not in whole
    assert "<b>Bold</b> & Welsh: Ŵyr Ŷ" in whole  # the title as typed
    for n in (3, 30, 60):
        assert f"Was line of inquiry number {n} identified" in whole
    assert "No finished file has an answer in this section" in whole  # section C
    assert "sixty" in whole
    assert pdf_tools.qpdf_check(pdf).returncode == 0
    assert NOT_MET  # the answers above are Not met on a third of the items
