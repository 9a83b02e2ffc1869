"""The new-audit wizard, driven as an auditor would: real police.uk file, real audit file, no sleeps."""

import csv
import json
import re
import sqlite3
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, QSettings, Qt, QThreadPool
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QWidget,
    QWizard,
)

from audit_app.cli import main
from audit_app.services import audits, population, sampling, setup
from audit_app.services.audits import open_audit
from audit_app.services.sampling import SampleRequest
from audit_app.services.verification import verify
from audit_app.ui.ui_settings import UiSettings
from audit_app.ui.wizard import (
    PAGE_CHECKLIST,
    PAGE_DESIGN,
    PAGE_DETAILS,
    PAGE_DRAW,
    PAGE_POPULATION,
    PAGE_SUMMARY,
    NewAuditWizard,
)
from audit_app.ui.wizard import population_page as wizard_module

TESTS = Path(__file__).resolve().parents[1]  # (tests/ui has its own conftest, so no `from conftest import`)
POLICE_UK = TESTS / "data" / "population" / "police-uk-2025-01-city-of-london.csv"
TEST_CHECKLISTS = TESTS / "checklists"
ACTOR = "Alex Auditor (4711)"
SLOW = 30_000  # ms: parsing the checklist and importing take a few seconds on a loaded 2-core machine


@pytest.fixture
def settings(tmp_path):
    ui_settings = UiSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    ui_settings.set_last_folder(tmp_path)
    return ui_settings


@pytest.fixture(autouse=True)
def no_task_outlives_its_test():
    yield
    QThreadPool.globalInstance().waitForDone()


@pytest.fixture(autouse=True)
def no_real_message_boxes(monkeypatch):
    """Closing a wizard whose audit exists says where it is kept: never block a test on that box."""
    monkeypatch.setattr(QMessageBox, "information", lambda *args, **kwargs: QMessageBox.StandardButton.Ok)
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.StandardButton.No)


def open_wizard(qtbot, settings, **kwargs):
    wizard = NewAuditWizard(settings, ACTOR, **kwargs)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    return wizard


def click(qtbot, wizard, which):
    button = wizard.button(which)
    assert button.isEnabled(), f"{button.text()} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def fill_details(qtbot, wizard, tmp_path, name="january.audit"):
    page = wizard.details_page
    qtbot.keyClicks(page.title_edit, "Neighbourhood crime review, January 2025")
    page.scope_edit.setPlainText("Neighbourhood crime recorded by City of London Police")
    page.start_edit.setDate(QDate(2025, 1, 1))
    page.end_edit.setDate(QDate(2025, 1, 31))
    page.path_edit.setText(str(tmp_path / name))
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    assert wizard.currentId() == PAGE_CHECKLIST


def create_the_audit(qtbot, wizard, tmp_path):
    fill_details(qtbot, wizard, tmp_path)
    page = wizard.checklist_page
    qtbot.waitUntil(lambda: page.current_choice() is not None and page.isComplete(), timeout=SLOW)
    assert page.current_choice().id == "neighbourhood-crime"
    click(qtbot, wizard, QWizard.WizardButton.CommitButton)
    qtbot.waitUntil(lambda: wizard.currentId() == PAGE_POPULATION, timeout=SLOW)
    return wizard.audit_path


def choose_police_uk_file(qtbot, wizard, monkeypatch):
    page = wizard.population_page
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(POLICE_UK), ""))
    page.preset_combo.setCurrentIndex(page.preset_combo.findData("police-uk"))
    qtbot.mouseClick(page.choose_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(page.import_button.isEnabled, timeout=SLOW)
    return page


def make_imported_audit(tmp_path):
    """An audit with the police.uk file imported (default neighbourhood scope), made by the services."""
    state = setup.create_audit_file(tmp_path / "imported.audit", "neighbourhood-crime", "Imported", ACTOR,
                                    period=(QDate(2025, 1, 1).toPython(), QDate(2025, 1, 31).toPython()))
    audits.run(state.path, population.import_population, POLICE_UK, preset="police-uk", mapping={},
               scope={"offence_group": list(population.NEIGHBOURHOOD_GROUPS)}, actor=ACTOR)
    return state.path


def cli_json(capsys, *args):
    assert main(list(args)) == 0
    return json.loads(capsys.readouterr().out)


def count(path, table):
    with sqlite3.connect(path) as db:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# -- end to end


def test_end_to_end_on_the_real_police_uk_file(qtbot, settings, tmp_path, monkeypatch, capsys):
    wizard = open_wizard(qtbot, settings)
    audit_path = create_the_audit(qtbot, wizard, tmp_path)
    assert audit_path == tmp_path / "january.audit" and audit_path.exists()

    page = choose_police_uk_file(qtbot, wizard, monkeypatch)
    assert page.field_combos["ref"].currentText() == "Crime ID"
    assert page.how_labels["ref"].text() == "from the preset"
    assert page.preview_model.rowCount() == 10 and page.preview_model.columnCount() == 12
    checked = {group for group, box in page.group_checks.items() if box.isChecked()}
    assert checked == {"burglary", "robbery", "theft_from_person", "vehicle"}
    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.currentId() == PAGE_SUMMARY, timeout=SLOW)

    # The figures known from outside the code: 629 rows, 614 imported, 15 rejected, 481 excluded, 133 in frame.
    summary = wizard.summary_page
    shown = {key: label.text().split()[0] for key, label in summary.counts.items()}
    assert shown == {"rows_read": "629", "imported": "614", "rejected": "15", "excluded": "481", "in_frame": "133"}
    assert ("other than burglary (residential or business), robbery, theft from the person or vehicle offences"
            in summary.counts["excluded"].text())
    assert summary.rejections_model.rowCount() == 15
    # ... and the command line gives the same on the same file.
    main(["init", str(tmp_path / "cli.audit"), "--checklist", "neighbourhood-crime", "--title", "CLI"])
    cli = cli_json(capsys, "import", str(tmp_path / "cli.audit"), str(POLICE_UK), "--preset", "police-uk",
                   "--scope", "offence_group=burglary,robbery,theft_from_person,vehicle")
    assert (cli["rows_read"], cli["imported"], cli["rejected"], cli["excluded"], cli["in_frame"]) == (629, 614, 15, 481, 133)

    exported = tmp_path / "rejected.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(exported), ""))
    qtbot.mouseClick(summary.export_button, Qt.MouseButton.LeftButton)
    with open(exported, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["row", "ref", "reason"] and len(rows) == 16
    assert [row[:3] for row in rows[1:]] == [[str(r), ref, reason] for r, ref, reason in cli_rejections(cli)]

    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    design = wizard.design_page
    qtbot.waitUntil(design.isComplete, timeout=SLOW)
    assert design.strata() == ["offence_group"]
    design.method_buttons.button(0).click()  # a fixed number of files
    design.size_spin.setValue(30)
    qtbot.waitUntil(lambda: design.isComplete() and design.size_label.text() == "30 of 133 files", timeout=SLOW)
    design.seed_edit.setText("january-2025")
    qtbot.waitUntil(design.isComplete, timeout=SLOW)
    planned = [design.strata_model.data(design.strata_model.index(row, 2)) for row in range(4)]

    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    draw = wizard.draw_page
    assert "Draw 30 of the 133 files" in draw.plan_label.text() and "'january-2025'" in draw.plan_label.text()
    assert not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
    qtbot.mouseClick(draw.draw_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(draw.isComplete, timeout=SLOW)
    statement = draw.statement.toPlainText()
    assert statement.startswith("A stratified random sample of 30 files was drawn from 133 in-scope files in 4 strata "
                                "by offence group")
    assert "'january-2025'" in statement
    drawn = [draw.strata_model.data(draw.strata_model.index(row, 2)) for row in range(4)]
    assert drawn == planned and sum(int(n) for n in drawn) == 30

    click(qtbot, wizard, QWizard.WizardButton.FinishButton)
    assert wizard.result() == QDialog.DialogCode.Accepted and wizard.audit_path == audit_path
    with open_audit(audit_path) as audit:
        assert len(sampling.sample(audit).selected) == 30 and sampling.sample(audit).plan.created_by == ACTOR
        assert audit.record.period_start == "2025-01-01" and audit.record.scope.startswith("Neighbourhood crime")
        assert verify(audit).ok
    assert str(audit_path) in settings.recent_audits()


def cli_rejections(cli):
    return [(r["row"], r["ref"], r["reason"]) for r in cli["rejections"]]


# -- the checklist page


def test_an_invalid_checklist_file_shows_every_problem_and_blocks_next(qtbot, settings, tmp_path, monkeypatch):
    broken = tmp_path / "broken.yaml"
    broken.write_text((TEST_CHECKLISTS / "minimal.yaml").read_text().replace("scale: MPN", "scale: XYZ"), encoding="utf-8")
    wizard = open_wizard(qtbot, settings)
    fill_details(qtbot, wizard, tmp_path)
    page = wizard.checklist_page
    qtbot.waitUntil(page.isComplete, timeout=SLOW)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(broken), ""))
    qtbot.mouseClick(page.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.problems.isVisible(), timeout=SLOW)
    lines = page.problems.toPlainText().splitlines()
    assert len(lines) == 3
    for line in lines:
        file, row, column, message = line.split(":", 3)
        assert file.endswith("broken.yaml") and int(row) > 0 and int(column) > 0
        assert "unknown scale 'XYZ'" in message
    assert "3 problems" in page.problems_label.text().replace("&", "")
    commit = wizard.button(QWizard.WizardButton.CommitButton)
    assert not commit.isEnabled()
    page.list.setCurrentRow(0)  # the bundled checklist is still there: nothing was lost
    assert commit.isEnabled() and not page.problems.isVisible()
    page.list.setCurrentRow(1)
    assert not commit.isEnabled()
    assert not (tmp_path / "january.audit").exists()


def test_an_existing_file_is_never_overwritten_and_the_details_are_kept(qtbot, settings, tmp_path):
    (tmp_path / "january.audit").write_bytes(b"someone else's audit")
    wizard = open_wizard(qtbot, settings)
    page = wizard.details_page
    qtbot.keyClicks(page.title_edit, "January review")
    page.path_edit.setText(str(tmp_path / "january.audit"))
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    assert wizard.currentId() == PAGE_DETAILS
    assert "already a file" in page.message.text() and "never overwritten" in page.message.text()
    assert page.title_edit.text() == "January review"
    assert (tmp_path / "january.audit").read_bytes() == b"someone else's audit"


def test_the_save_as_dialog_adds_the_suffix_and_remembers_the_folder(qtbot, settings, tmp_path, monkeypatch):
    folder = tmp_path / "audits"
    folder.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(folder / "q1"), ""))
    wizard = open_wizard(qtbot, settings)
    qtbot.mouseClick(wizard.details_page.choose_button, Qt.MouseButton.LeftButton)
    assert wizard.details_page.path_edit.text() == str(folder / "q1.audit")
    assert settings.audit_folder() == str(folder)


# -- import: cancel and failures


def test_cancelling_an_import_records_nothing_and_keeps_the_choices(qtbot, settings, tmp_path, monkeypatch):
    wizard = open_wizard(qtbot, settings)
    audit_path = create_the_audit(qtbot, wizard, tmp_path)
    page = choose_police_uk_file(qtbot, wizard, monkeypatch)
    page.field_combos["area"].setCurrentIndex(page.field_combos["area"].findData("LSOA code"))
    page.field_combos["area"].activated.emit(page.field_combos["area"].currentIndex())

    cancel_pressed = threading.Event()
    real_import = population.import_population

    def import_after_cancel(*args, **kwargs):
        assert cancel_pressed.wait(SLOW / 1000)
        return real_import(*args, **kwargs)  # its first progress report raises Cancelled: a rollback

    monkeypatch.setattr(wizard_module.population, "import_population", import_after_cancel)
    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    dialog = page.import_task.dialog
    with qtbot.waitSignal(page.import_task.cancelled, timeout=SLOW):
        qtbot.mouseClick(dialog.findChild(QPushButton), Qt.MouseButton.LeftButton)
        cancel_pressed.set()
    assert "cancelled: nothing was recorded" in page.message.text()
    assert wizard.currentId() == PAGE_POPULATION and page.import_button.isEnabled()
    assert page.field_combos["area"].currentText() == "LSOA code"  # the auditor's choices are kept
    for table in ("import_batch", "unit", "rejection"):
        assert count(audit_path, table) == 0
    assert count(audit_path, "event") == 1  # only the creation of the audit
    assert audits.run(audit_path, setup.setup_state).imports == []


def test_a_file_that_cannot_be_read_is_explained(qtbot, settings, tmp_path, monkeypatch):
    bad = tmp_path / "photo.csv"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    wizard = open_wizard(qtbot, settings)
    create_the_audit(qtbot, wizard, tmp_path)
    page = wizard.population_page
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(bad), ""))
    qtbot.mouseClick(page.choose_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "photo.csv" in page.message.text() and "Reading" not in page.message.text(), timeout=SLOW)
    assert not page.import_button.isEnabled() and not wizard.button(QWizard.WizardButton.NextButton).isEnabled()


# -- the sample design


def test_the_live_size_equals_the_cli_samplesize_for_the_frame(qtbot, settings, tmp_path, capsys):
    wizard = open_wizard(qtbot, settings, resume_path=make_imported_audit(tmp_path))
    assert wizard.currentId() == PAGE_DESIGN
    design = wizard.design_page
    qtbot.waitUntil(design.isComplete, timeout=SLOW)
    # 95 %, tolerable 5 %: 59 with no population correction (statistics.md §1.1); on the 133-file frame:
    cli = cli_json(capsys, "samplesize", "--confidence", "95", "--tolerable", "5", "--population", "133")
    large = cli_json(capsys, "samplesize", "--confidence", "95", "--tolerable", "5")
    assert large["n"] == 59 and cli["n"] == 52
    assert design.size_label.text() == f"{cli['n']} of 133 files"
    assert "For a very large population it would be 59." in design.basis_label.text()
    assert cli["method"] in design.basis_label.text()

    design.tolerable_spin.setValue(10)
    cli = cli_json(capsys, "samplesize", "--confidence", "95", "--tolerable", "10", "--population", "133")
    qtbot.waitUntil(lambda: design.isComplete() and design.size_label.text() == f"{cli['n']} of 133 files", timeout=SLOW)

    design.method_buttons.button(2).click()
    cli = cli_json(capsys, "samplesize", "--confidence", "95", "--margin", "5", "--population", "133")
    qtbot.waitUntil(lambda: design.isComplete() and design.size_label.text() == f"{cli['n']} of 133 files", timeout=SLOW)
    assert cli["n"] == 99
    rows = [[design.strata_model.data(design.strata_model.index(r, c)) for c in range(3)] for r in range(4)]
    assert [row[0] for row in rows] == ["Burglary (residential or business)", "Robbery", "Theft from the person",
                                        "Vehicle offences"]
    assert sum(int(row[2]) for row in rows) == 99 and sum(int(row[1]) for row in rows) == 133


def test_a_design_the_frame_cannot_give_is_explained_and_blocks_next(qtbot, settings, tmp_path):
    wizard = open_wizard(qtbot, settings, resume_path=make_imported_audit(tmp_path))
    design = wizard.design_page
    qtbot.waitUntil(design.isComplete, timeout=SLOW)
    design.method_buttons.button(0).click()
    design.size_spin.setValue(500)
    qtbot.waitUntil(lambda: "cannot be drawn from the 133 files" in design.message.text(), timeout=SLOW)
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    design.seed_edit.clear()
    design.size_spin.setValue(20)
    qtbot.waitUntil(lambda: "Give a seed" in design.message.text(), timeout=SLOW)
    qtbot.mouseClick(design.new_seed_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: design.isComplete() and design.size_label.text() == "20 of 133 files", timeout=SLOW)


def test_more_strata_fields_are_counted_in_the_background(qtbot, settings, tmp_path):
    wizard = open_wizard(qtbot, settings, resume_path=make_imported_audit(tmp_path))
    design = wizard.design_page
    qtbot.waitUntil(design.isComplete, timeout=SLOW)
    month = next(design.strata_list.item(i) for i in range(design.strata_list.count())
                 if design.strata_list.item(i).data(Qt.ItemDataRole.UserRole) == "month")
    month.setCheckState(Qt.CheckState.Checked)
    qtbot.waitUntil(lambda: design.isComplete() and design.strata() == ["offence_group", "month"], timeout=SLOW)
    assert design.strata_model.data(design.strata_model.index(0, 0)) == "Burglary (residential or business) / 2025-01"


# -- resuming and cancelling


def test_resume_starts_at_the_first_step_not_done(qtbot, settings, tmp_path):
    created = setup.create_audit_file(tmp_path / "new.audit", "neighbourhood-crime", "New", ACTOR).path
    assert open_wizard(qtbot, settings, resume_path=created).currentId() == PAGE_POPULATION
    imported = make_imported_audit(tmp_path)
    assert open_wizard(qtbot, settings, resume_path=imported).currentId() == PAGE_DESIGN
    audits.run(imported, sampling.draw_sample, SampleRequest(size=10, seed="x"), ACTOR)
    drawn = open_wizard(qtbot, settings, resume_path=imported)
    assert drawn.currentId() == PAGE_DRAW and drawn.draw_page.isComplete()
    assert drawn.button(QWizard.WizardButton.FinishButton).isEnabled()


def test_cancelling_keeps_the_unfinished_audit_and_says_where(qtbot, settings, tmp_path, monkeypatch):
    told = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text, *rest: told.append(text))
    wizard = open_wizard(qtbot, settings)
    audit_path = create_the_audit(qtbot, wizard, tmp_path)
    click(qtbot, wizard, QWizard.WizardButton.CancelButton)
    assert wizard.result() == QDialog.DialogCode.Rejected
    assert str(audit_path) in told[0] and "population import" in told[0]
    assert audit_path.exists() and audits.run(audit_path, setup.setup_state).title.startswith("Neighbourhood crime review")
    assert str(audit_path) in settings.recent_audits()


def test_cancelling_before_the_file_exists_asks_nothing(qtbot, settings, monkeypatch):
    told = []
    monkeypatch.setattr(QMessageBox, "information", lambda *args: told.append(args))
    wizard = open_wizard(qtbot, settings)
    click(qtbot, wizard, QWizard.WizardButton.CancelButton)
    assert told == [] and wizard.result() == QDialog.DialogCode.Rejected


# -- qualities


def test_every_control_has_an_accessible_name_and_the_fonts_scale(qtbot, settings, tmp_path):
    wizard = open_wizard(qtbot, settings, resume_path=make_imported_audit(tmp_path))
    kinds = (QLineEdit, QComboBox, QAbstractSpinBox, QListWidget, QTableView, QPlainTextEdit)
    inner = (QComboBox, QAbstractSpinBox)  # their own line edits are parts of them
    pages = [wizard.page(page_id) for page_id in wizard.pageIds()]
    unnamed = [f"{type(w).__name__} on {type(page).__name__}" for page in pages for w in page.findChildren(QWidget)
               if isinstance(w, kinds) and not isinstance(w.parentWidget(), inner) and not w.accessibleName()]
    assert unnamed == []
    fixed = [w for page in pages for w in page.findChildren(QWidget) if w.font().pixelSize() > 0]
    assert fixed == []


def test_every_button_and_labelled_field_has_its_own_mnemonic_on_its_page(qtbot, settings, tmp_path):
    # Pressing Alt+letter is not checked here: Qt's test key events do not reach mnemonic shortcuts on
    # this platform (QShortcut does fire). What is checked is that every action and field has a
    # letter, and that no two on one page share one, nor one with Back (B) or Next (N).
    wizard = open_wizard(qtbot, settings, resume_path=make_imported_audit(tmp_path))
    for page_id in wizard.pageIds():
        page = wizard.page(page_id)
        letters = {"b": "< &Back", "n": "&Next >"}
        if page_id == PAGE_DRAW:
            letters["f"] = "&Finish"
        texts = [b.text() for b in page.findChildren(QAbstractButton)]
        texts += [label.text() for label in page.findChildren(QLabel) if label.buddy() is not None]
        for text in filter(None, texts):  # (the problems heading is empty until a file has problems)
            match = re.search(r"&(\w)", text)
            assert match, f"no mnemonic in {text!r} on {type(page).__name__}"
            letter = match.group(1).lower()
            assert letter not in letters, f"{text!r} and {letters.get(letter)!r} share Alt+{letter}"
            letters[letter] = text
