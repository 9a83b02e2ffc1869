"""Every window of the app, in each of its states, has unique, visible Alt+letter mnemonics: the
visible buttons, check boxes, radio buttons, labels with buddies, group boxes, tabs and the menu bar
of one window never share a letter, and every button has one (issue 9: Alt+O was both *Evidence note*
and *No* on the review page).

Pressing Alt+letter is not simulated (Qt's test key events do not reach mnemonic shortcuts on the
offscreen platform); what is checked is the text that makes them.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from gui_helpers import (  # noqa: F401 (fixtures)
    ANN,
    BOB,
    LEE,
    audit_path,
    complete_review,
    make_window,
    no_task_left_running,
    results_service,
    ui_settings,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QTabBar,
    QToolButton,
    QWidget,
    QWizard,
)
from review_data import NOTE

from audit_app.core.records import Answer, AuditSettings
from audit_app.services import sampling, workspace
from audit_app.services.audits import open_audit
from audit_app.services.reviews import ensure_reviewer, sign_off
from audit_app.ui import dialogs
from audit_app.ui.checklist_window import ChecklistWindow

# Bound to Enter and Escape instead (the default and cancel buttons of dialogs and the wizard).
ENTER_OR_ESCAPE = {"OK", "Cancel", "Close"}


def mnemonic(text: str) -> str | None:
    """The letter after a single "&" ("&&" is a literal ampersand), lower case."""
    match = re.search(r"&(\w)", text.replace("&&", ""))
    return match.group(1).lower() if match else None


def problems(scope: QWidget, name: str) -> list[str]:
    """What is wrong with the mnemonics visible in ``scope`` (a window, or a wizard page)."""
    found: dict[str, list[str]] = defaultdict(list)
    wrong = []
    for widget in scope.findChildren(QWidget):
        if not widget.isVisibleTo(scope) or widget.window() is not scope.window():
            continue
        text = ""
        if isinstance(widget, (QPushButton, QCheckBox, QRadioButton, QToolButton)):  # not a table's corner button
            text = widget.text()
            box = widget.parentWidget()
            if not isinstance(widget, QPushButton) and not text:
                continue  # an arrow of a tab bar, or a check box labelled when its wizard page starts
            if isinstance(widget, QToolButton) and widget.defaultAction() is not None and not widget.defaultAction().shortcut().isEmpty():
                continue  # a tool bar's command, reached by its own shortcut (Ctrl+O…)
            if text.replace("&", "") in ENTER_OR_ESCAPE or (isinstance(box, QDialogButtonBox) and box.standardButton(widget)
                                                             in (QDialogButtonBox.StandardButton.Ok,
                                                                 QDialogButtonBox.StandardButton.Cancel)):
                continue
            if mnemonic(text) is None:
                wrong.append(f"{name}: the button {text!r} has no Alt+letter")
                continue
        elif isinstance(widget, QLabel) and widget.buddy() is not None:
            text = widget.text()
        elif isinstance(widget, QGroupBox):
            text = widget.title()
        elif isinstance(widget, QTabBar):  # each tab's Alt+letter brings it forward
            for tab in range(widget.count()):
                if widget.isTabVisible(tab) and (letter := mnemonic(widget.tabText(tab))) is not None:
                    found[letter].append(f"tab {widget.tabText(tab)}")
        letter = mnemonic(text) if text else None
        if letter is not None:
            found[letter].append(text)
    if isinstance(scope, QMainWindow):
        for action in scope.menuBar().actions():
            if action.isVisible() and (letter := mnemonic(action.text())) is not None:
                found[letter].append(f"menu {action.text()}")
            menu = action.menu()
            if menu is not None:  # within one menu, each command its own letter
                inside: dict[str, list[str]] = defaultdict(list)
                for entry in menu.actions():
                    if entry.isVisible() and not entry.isSeparator() and (letter := mnemonic(entry.text())) is not None:
                        inside[letter].append(entry.text())
                wrong += [f"{name}, menu {action.text()}: Alt+{k} is {v}" for k, v in inside.items() if len(v) > 1]
    wrong += [f"{name}: Alt+{letter} is {texts}" for letter, texts in found.items() if len(texts) > 1]
    return wrong


@pytest.fixture
def refs(audit_path):
    """Three files: one complete by Ann (to sign off), one with a Not met needing the opportunity
    answer (in progress), one reviewed twice (to moderate)."""
    with open_audit(audit_path) as audit:
        selected = sampling.sample(audit).selected
        complete_review(audit, selected[0], ANN)
        complete_review(audit, selected[1], ANN, D4=Answer("N", note=NOTE, opportunity_known=True))
        complete_review(audit, selected[2], ANN)
        complete_review(audit, selected[2], BOB, role="second", A1=Answer("N", note=NOTE))
    return selected


def test_every_page_of_the_main_window_has_unique_mnemonics(qtbot, make_window, audit_path, refs, monkeypatch,
                                                             results_service):
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "information", lambda *args, **kwargs: QMessageBox.StandardButton.Ok)
    window = make_window(ANN)
    found = problems(window, "start page")
    window.open_audit_file(str(audit_path))
    found += problems(window, "workspace")
    window.open_review(refs[1])
    page = window.review_page
    page.select("profile")
    found += problems(window, "review page, profile")
    for item in ("A1", "D4"):  # D4 Not met: the opportunity question is shown
        page.select(item)
        found += problems(window, f"review page, {item}")
    assert page.item_panel.opportunity_box.isVisible()
    window.show_results()
    qtbot.waitUntil(lambda: len(window.grades) == 3)
    results = window.results_page
    qtbot.waitUntil(lambda: results.results is not None)
    found += problems(window, "results, dashboard")
    for tab in range(results.tabs.count()):
        results.tabs.setCurrentIndex(tab)
        found += problems(window, f"results, {results.tabs.tabText(tab)}")
        if results.showing_agreement():  # its labels (with buddies) were checked
            assert results.agreement_view.disagreements_table.isVisible()
    window.close_audit()

    lead = make_window(LEE)
    lead.open_audit_file(str(audit_path))
    lead.open_review(refs[0], "primary")
    assert lead.review_page.sign_off_button.isVisible()
    found += problems(lead, "review page, to sign off")
    lead.moderate(refs[2])
    assert lead.stack.currentWidget() is lead.moderation_page
    found += problems(lead, "moderation")
    lead.close_audit()

    with open_audit(audit_path) as audit:
        review_id = next(f.primary_id for f in workspace.overview(audit) if f.ref == refs[0])
        sign_off(audit, review_id, ensure_reviewer(audit, LEE.name, LEE.staff_number, LEE.role), LEE.staff_number)
    author = make_window(ANN)
    author.open_audit_file(str(audit_path))
    author.open_review(refs[0])
    assert author.review_page.change_button.isVisible()
    found += problems(author, "review page, signed off")
    assert found == [], "\n".join(found)


def test_every_dialog_has_unique_mnemonics(qtbot, audit_path, refs):
    with open_audit(audit_path) as audit:
        reviewers = [ensure_reviewer(audit, who.name, who.staff_number, who.role) for who in (ANN, BOB, LEE)]
        entries = workspace.file_history(audit, refs[0])
    shown = [dialogs.IdentityDialog(), dialogs.ReasonDialog("Change after sign-off", "Say why."),
             dialogs.SecondReviewDialog(refs[0], reviewers, reviewers[0]), dialogs.HistoryDialog(refs[0], entries),
             dialogs.SettingsDialog(AuditSettings("OFFICIAL", True), ("", "OFFICIAL", "OFFICIAL-SENSITIVE")),
             dialogs.ExportDialog("OFFICIAL"), dialogs.ReportDialog("OFFICIAL", ("", "OFFICIAL")),
             dialogs.FileReportDialog([(ref, f"{i} of 8") for i, ref in enumerate(refs, 1)], refs[0], "OFFICIAL",
                                      ("", "OFFICIAL")),
             ChecklistWindow()]
    found = []
    for dialog in shown:
        qtbot.addWidget(dialog)
        dialog.show()
        found += problems(dialog, type(dialog).__name__)
    assert found == [], "\n".join(found)


def test_every_wizard_page_has_unique_mnemonics(qtbot, ui_settings, tmp_path, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.StandardButton.No)
    monkeypatch.setattr(QMessageBox, "information", lambda *args, **kwargs: QMessageBox.StandardButton.Ok)
    from test_new_audit_wizard import ACTOR, make_imported_audit

    from audit_app.ui.wizard import PAGE_DRAW, NewAuditWizard

    wizard = NewAuditWizard(ui_settings, ACTOR, resume_path=make_imported_audit(tmp_path))
    qtbot.addWidget(wizard)
    wizard.show()
    found = []
    buttons = [wizard.button(b) for b in (QWizard.WizardButton.BackButton, QWizard.WizardButton.NextButton,
                                           QWizard.WizardButton.FinishButton)]
    for page_id in wizard.pageIds():
        page = wizard.page(page_id)
        letters = {mnemonic(b.text()): b.text() for b in buttons if page_id == PAGE_DRAW or "Finish" not in b.text()}
        found += problems(page, type(page).__name__)
        for widget in page.findChildren(QWidget):
            text = widget.text() if isinstance(widget, (QAbstractButton, QLabel)) and widget.isVisibleTo(page) else ""
            if isinstance(widget, QLabel) and widget.buddy() is None:
                text = ""
            if (letter := mnemonic(text)) in letters:
                found.append(f"{type(page).__name__}: {text!r} and the wizard's {letters[letter]!r} share Alt+{letter}")
    assert found == [], "\n".join(found)
