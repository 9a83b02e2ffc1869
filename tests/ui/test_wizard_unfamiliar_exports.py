"""Issue 9, section 4 in the new-audit wizard: unfamiliar exports mapped by hand and saved as presets,
the checklist's scope, re-imports, where new audits go, dates typed by keys, Esc, and plain words."""

import json
import re
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, QLocale, QSettings, Qt, QThreadPool
from PySide6.QtWidgets import (
    QAbstractButton,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMessageBox,
    QTableView,
    QTextBrowser,
    QWizard,
)

from audit_app.cli import main
from audit_app.services import audits, population, sampling, setup
from audit_app.services.sampling import SampleRequest
from audit_app.ui.ui_settings import UiSettings, documents_folder
from audit_app.ui.wizard import PAGE_DESIGN, PAGE_DETAILS, PAGE_DRAW, PAGE_POPULATION, PAGE_SUMMARY, NewAuditWizard

TESTS = Path(__file__).resolve().parents[1]
POLICE_UK = TESTS / "data" / "population" / "police-uk-2025-01-city-of-london.csv"
ACTOR = "Alex Auditor (4711)"
SLOW = 30_000
UNFAMILIAR = ("Ref No;Offence Description;Ward\nR1;Burglary;North\nR2;Theft from the person;South\n"
              "R3;Criminal damage;North\n")
GROUP_CODES = ("burglary", "robbery", "theft_from_person", "vehicle", "other")


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


def new_audit_at_population_page(qtbot, settings, tmp_path):
    """Details and checklist (the bundled one) done: the wizard at the population page."""
    wizard = open_wizard(qtbot, settings)
    page = wizard.details_page
    qtbot.keyClicks(page.title_edit, "Neighbourhood crime review")
    page.path_edit.setText(str(tmp_path / "new.audit"))
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    checklist = wizard.checklist_page
    qtbot.waitUntil(lambda: checklist.current_choice() is not None and checklist.isComplete(), timeout=SLOW)
    click(qtbot, wizard, QWizard.WizardButton.CommitButton)
    qtbot.waitUntil(lambda: wizard.currentId() == PAGE_POPULATION, timeout=SLOW)
    return wizard


def choose(qtbot, page, monkeypatch, path):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(path), ""))
    qtbot.mouseClick(page.choose_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page._reading == 0 and page.preview_model.rowCount() > 0, timeout=SLOW)


def imported_audit(tmp_path, scope=None):
    state = setup.create_audit_file(tmp_path / "imported.audit", "neighbourhood-crime", "Imported", ACTOR,
                                    period=(QDate(2025, 1, 1).toPython(), QDate(2025, 1, 31).toPython()))
    audits.run(state.path, population.import_population, POLICE_UK, preset="police-uk",
               scope=scope if scope is not None else {"offence_group": list(population.NEIGHBOURHOOD_GROUPS)},
               actor=ACTOR)
    return state.path


# -- an unfamiliar export


def test_an_unfamiliar_export_is_mapped_by_hand_saved_as_a_preset_and_reused_from_the_cli(
        qtbot, settings, tmp_path, monkeypatch, capsys):
    export = tmp_path / "niche.csv"
    export.write_text(UNFAMILIAR, encoding="utf-8")
    wizard = new_audit_at_population_page(qtbot, settings, tmp_path)
    page = wizard.population_page
    choose(qtbot, page, monkeypatch, export)

    # No column is recognised as the crime reference: the file is still shown, and every box can be used.
    assert page.preview_model.rowCount() == 3 and page.preview_model.columnCount() == 3
    assert all(combo.isEnabled() for combo in page.field_combos.values())
    assert "Crime reference" in page.message.text() and "--map" not in page.message.text()
    assert not page.import_button.isEnabled()
    assert page.field_combos["offence"].currentText() == "Offence Description"
    assert page.field_combos["area"].currentText() == "Ward"

    ref = page.field_combos["ref"]
    ref.setFocus()
    qtbot.keyClicks(ref, "Ref")  # type to choose, as with any list
    qtbot.waitUntil(lambda: ref.currentText() == "Ref No")
    assert page.how_labels["ref"].text() == "chosen by you"
    assert page.import_button.isEnabled() and "Check the columns" in page.message.text()

    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kwargs: ("Niche RMS", True))
    qtbot.mouseClick(page.save_preset_button, Qt.MouseButton.LeftButton)
    assert "saved as the preset 'Niche RMS'" in page.message.text()
    assert page.preset_combo.currentData() == "Niche RMS" and page.preset_combo.currentText() == "Niche RMS (saved)"
    assert population.saved_presets() == {"Niche RMS": {"ref": "Ref No", "offence": "Offence Description",
                                                        "area": "Ward"}}
    assert page.how_labels["ref"].text() == "from the preset"

    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.currentId() == PAGE_SUMMARY, timeout=SLOW)
    counts = {key: label.text().split()[0] for key, label in wizard.summary_page.counts.items()}
    assert (counts["imported"], counts["excluded"], counts["in_frame"]) == ("3", "1", "2")  # criminal damage is out

    # The next export from the same system, from the command line, with the saved preset.
    later = tmp_path / "niche-february.csv"
    later.write_text("Ref No;Offence Description;Ward\nS1;Robbery;East\nS2;Arson;East\n", encoding="utf-8")
    cli_audit = tmp_path / "cli.audit"
    assert main(["init", str(cli_audit), "--checklist", "neighbourhood-crime", "--title", "CLI"]) == 0
    capsys.readouterr()
    assert main(["import", str(cli_audit), str(later), "--preset", "Niche RMS"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["mapping"] == {"ref": "Ref No", "offence": "Offence Description", "area": "Ward"}
    assert (result["imported"], result["in_frame"]) == (2, 1)


def test_the_scope_starts_from_the_checklists_offence_groups(qtbot, settings, tmp_path, monkeypatch):
    wizard = new_audit_at_population_page(qtbot, settings, tmp_path)
    page = wizard.population_page
    checked = {group for group, box in page.group_checks.items() if box.isChecked()}
    assert checked == {"burglary", "robbery", "theft_from_person", "vehicle"}  # the bundled checklist's
    assert page.group_checks["burglary"].text().replace("&", "") == "Burglary (residential or business)"
    assert "The checklist is for: burglary (residential or business), robbery" in page.scope_note.text()


def test_a_checklist_that_names_no_groups_starts_with_every_group(qtbot, settings, tmp_path):
    minimal = TESTS / "checklists" / "minimal.yaml"
    state = setup.create_audit_file(tmp_path / "m.audit", minimal, "Minimal", ACTOR)
    wizard = open_wizard(qtbot, settings, resume_path=state.path)
    assert wizard.currentId() == PAGE_POPULATION
    assert all(box.isChecked() for box in wizard.population_page.group_checks.values())


def test_the_design_page_shows_that_out_of_scope_strata_can_be_drawn(qtbot, settings, tmp_path):
    wizard = open_wizard(qtbot, settings, resume_path=imported_audit(tmp_path, scope={}))
    design = wizard.design_page
    qtbot.waitUntil(design.isComplete, timeout=SLOW)
    assert "481 files in the sampling frame are in offence groups" in design.scope_warning.text()
    assert "other offences: 481" in design.scope_warning.text()


def test_the_design_page_warns_of_nothing_when_the_frame_is_the_checklists_scope(qtbot, settings, tmp_path):
    wizard = open_wizard(qtbot, settings, resume_path=imported_audit(tmp_path))
    qtbot.waitUntil(wizard.design_page.isComplete, timeout=SLOW)
    assert wizard.design_page.scope_warning.text() == ""


def test_reserves_are_kept_by_default_in_the_design(qtbot, settings, tmp_path):
    wizard = open_wizard(qtbot, settings, resume_path=imported_audit(tmp_path))
    design = wizard.design_page
    qtbot.waitUntil(design.isComplete, timeout=SLOW)
    assert design.reserve_spin.value() == 5 and design.request().reserve == 5


def test_reimporting_the_same_file_says_when_and_which_batch(qtbot, settings, tmp_path, monkeypatch):
    path = imported_audit(tmp_path)
    state = audits.run(path, setup.setup_state)
    when = population.imported_on(state.imports[0].imported_at)
    wizard = open_wizard(qtbot, settings, resume_path=path)
    wizard.setStartId(PAGE_POPULATION)  # (a resumed wizard starts at the design: no way back to the import)
    wizard.restart()
    page = wizard.population_page
    page.preset_combo.setCurrentIndex(page.preset_combo.findData("police-uk"))
    choose(qtbot, page, monkeypatch, POLICE_UK)
    qtbot.waitUntil(lambda: "already imported" in page.message.text(), timeout=SLOW)
    assert f"already imported on {when} (batch 1" in page.message.text()
    assert not page.import_button.isEnabled()


def test_a_redraw_replaces_a_sample_drawn_by_mistake(qtbot, settings, tmp_path, monkeypatch):
    path = imported_audit(tmp_path)
    audits.run(path, sampling.draw_sample, SampleRequest(size=10, seed="mistake"), ACTOR)
    wizard = open_wizard(qtbot, settings, resume_path=path)
    draw = wizard.draw_page
    assert wizard.currentId() == PAGE_DRAW and draw.redraw_button.isVisible()
    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kwargs: ("the size was wrong", True))
    qtbot.mouseClick(draw.redraw_button, Qt.MouseButton.LeftButton)
    assert wizard.currentId() == PAGE_DESIGN
    design = wizard.design_page
    design.method_buttons.button(0).click()
    design.size_spin.setValue(20)
    design.seed_edit.setText("again")
    qtbot.waitUntil(lambda: design.isComplete() and design.size_label.text() == "20 of 133 files", timeout=SLOW)
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    assert "replaces the sample drawn before" in draw.message.text()
    qtbot.mouseClick(draw.draw_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(draw.isComplete, timeout=SLOW)
    with audits.open_audit(path) as audit:
        drawn = sampling.sample(audit)
        assert (drawn.plan.size, drawn.plan.seed) == (20, "again")
        reasons = [row[0] for row in audit.db.execute("SELECT reason FROM event WHERE action = 'sample.redraw'")]
        assert reasons == ["the size was wrong"]
        from audit_app.services.verification import verify

        assert verify(audit).ok


# -- where new audits go


def test_new_audits_go_to_the_documents_folder_not_the_population_files(qtbot, settings, tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    shared = tmp_path / "shared-drive"
    shared.mkdir()
    settings.set_last_folder(shared)  # the population file was last chosen from a shared drive
    assert documents_folder() == str(home / "Documents")
    wizard = open_wizard(qtbot, settings)
    qtbot.keyClicks(wizard.details_page.title_edit, "March review")
    suggested = Path(wizard.details_page.path_edit.text())
    assert suggested == home / "Documents" / "march-review.audit"

    mine = tmp_path / "my-audits"
    mine.mkdir()
    wizard.details_page.path_edit.setText(str(mine / "march.audit"))
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    settings.set_last_folder(shared)
    again = open_wizard(qtbot, settings)
    qtbot.keyClicks(again.details_page.title_edit, "April")
    assert Path(again.details_page.path_edit.text()) == mine / "april.audit"  # remembered


# -- keys


@pytest.fixture
def british_dates():
    before = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    yield
    QLocale.setDefault(before)


def test_dates_are_typed_straight_through_by_keys(qtbot, settings, british_dates):
    wizard = open_wizard(qtbot, settings)
    page = wizard.details_page
    assert page.start_edit.displayFormat() == "dd/MM/yyyy"
    page.start_edit.setFocus()
    qtbot.waitUntil(page.start_edit.hasFocus)
    qtbot.keyClicks(page.start_edit, "01/04/2025")
    assert page.start_edit.date() == QDate(2025, 4, 1)
    qtbot.keyClick(page.start_edit, Qt.Key.Key_Tab)  # on to the end of the period ("until")
    qtbot.waitUntil(page.end_edit.hasFocus)
    qtbot.keyClicks(page.end_edit, "30062025")  # digits alone run on from day to month to year
    assert page.end_edit.date() == QDate(2025, 6, 30)
    assert page.period() == (QDate(2025, 4, 1).toPython(), QDate(2025, 6, 30).toPython())


def test_esc_in_a_field_asks_before_cancelling(qtbot, settings, monkeypatch):
    asked = []
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "question", lambda parent, title, text, *rest: asked.append(title) or answers.pop(0))
    wizard = open_wizard(qtbot, settings)
    title = wizard.details_page.title_edit
    title.setFocus()
    qtbot.keyClicks(title, "Half-typed title")
    qtbot.keyClick(title, Qt.Key.Key_Escape)
    assert asked == ["Stop setting up the audit?"]
    assert wizard.isVisible() and wizard.currentId() == PAGE_DETAILS and title.text() == "Half-typed title"
    qtbot.keyClick(title, Qt.Key.Key_Escape)
    assert len(asked) == 2 and not wizard.isVisible()


# -- plain words


def page_texts(page):
    texts = [w.text() for w in page.findChildren(QLabel)] + [w.text() for w in page.findChildren(QAbstractButton)]
    texts += [w.toPlainText() for w in page.findChildren(QTextBrowser)]
    for view in page.findChildren(QTableView):
        model = view.model()
        texts += [str(model.headerData(c, Qt.Orientation.Horizontal)) for c in range(model.columnCount())]
        texts += [str(model.data(model.index(r, c))) for r in range(model.rowCount()) for c in range(model.columnCount())]
    return [t.replace("&", "") for t in texts]


def test_no_raw_group_code_or_control_character_on_any_wizard_page(qtbot, settings, tmp_path, monkeypatch):
    path = imported_audit(tmp_path, scope={})  # every group in the frame, "other" too
    wizard = open_wizard(qtbot, settings, resume_path=path)
    design = wizard.design_page
    qtbot.waitUntil(design.isComplete, timeout=SLOW)
    design.method_buttons.button(1).click()
    design.allocation_combo.setCurrentIndex(design.allocation_combo.findData("equal"))  # disproportionate: weighting
    qtbot.waitUntil(lambda: design.isComplete() and "weighted" in design.message.text(), timeout=SLOW)
    texts = page_texts(design)
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    draw = wizard.draw_page
    qtbot.mouseClick(draw.draw_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(draw.isComplete, timeout=SLOW)
    texts += page_texts(draw)
    wizard.setStartId(PAGE_POPULATION)
    wizard.restart()
    texts += page_texts(wizard.population_page)
    assert "Other offences" in texts and "Theft from the person" in texts
    for text in texts:
        assert "\x1f" not in text and "U+001F" not in text, text
        assert not re.search(r"\b[nN]_h\b", text), text
        assert "theft_from_person" not in text and "offence_group" not in text, text
        for part in text.split(" / "):
            assert part not in GROUP_CODES, text


def test_the_workspace_and_the_results_show_strata_in_words(qtbot):
    import dataclasses

    from results_data import make_results

    from audit_app.core.checklist import parse_checklist
    from audit_app.services.workspace import FileSummary
    from audit_app.ui.file_table_model import FileTableModel
    from audit_app.ui.results_page import ResultsPage

    file = FileSummary(ref="r1", stratum="theft_from_person / North", offence="Theft from the person",
                       offence_group="theft_from_person", area="North", month="2025-01", outcome="", status="not_started",
                       reviewer="", primary_id=None, second_id=None, second_status="", second_reviewer="",
                       training=False, changed_after_sign_off=False, replaced_reason=None)
    model = FileTableModel()
    model.set_rows([file])
    assert model.data(model.index(0, FileTableModel.COL_STRATUM)) == "Theft from the person / North"

    checklist = parse_checklist((TESTS / "checklists" / "minimal.yaml").read_bytes())
    page = ResultsPage(checklist)
    qtbot.addWidget(page)
    results = make_results()
    page.show_results(dataclasses.replace(results, strata=(dataclasses.replace(results.strata[0], stratum="other"),)))
    assert page.strata_table.texts(0) == ["Other offences"]
    assert page.strata_items_table.source.headerData(1, Qt.Orientation.Horizontal) == "Other offences"
