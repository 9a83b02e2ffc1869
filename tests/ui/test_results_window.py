"""The main window computes the results in the background and the results page shows its progress,
the results, or why they could not be computed; a disagreement opens the file's moderation; Go ▸
Agreement opens the agreement view. The results service is a stand-in here (gui_helpers.
FakeResultsService): what it computes is tested with the services."""

from __future__ import annotations

import threading

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
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from results_data import make_agreement, make_results
from test_menus import action

from audit_app.core.records import Answer
from audit_app.core.results.model import Disagreement
from audit_app.errors import UserFacingError
from audit_app.services import sampling
from audit_app.services.audits import open_audit


def test_the_results_are_computed_in_the_background_with_progress(make_window, audit_path, results_service, qtbot):
    results_service.gate = gate = threading.Event()
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    try:
        window.show_results()
        page = window.results_page
        assert window.stack.currentWidget() is page
        assert page.is_busy() and page.status_label.text().startswith("Computing results…")
        qtbot.waitUntil(lambda: page.progress_bar.maximum() == 4)  # the service reported 1 of 4
        assert page.progress_bar.value() == 1 and page.status_label.text() == "Computing results… Item figures"
        assert page.results is None and window.current_results() is None
    finally:
        gate.set()
    qtbot.waitUntil(lambda: page.results is not None)
    assert page.results is results_service.results and window.current_results() is results_service.results
    assert not page.is_busy() and page.items_table.keys()[0] == "A1"
    assert len(results_service.audits) == 1  # on the task's own connection, not the window's
    assert results_service.audits[0] is not window.session.audit


def test_a_failure_is_shown_on_the_page(make_window, audit_path, results_service, qtbot):
    results_service.error = UserFacingError("The audit has no finished review to count.")
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    window.show_results()
    page = window.results_page
    qtbot.waitUntil(lambda: "could not be computed" in page.status_label.text())
    assert page.status_label.text().endswith("The audit has no finished review to count.")
    assert not page.is_busy() and not page.export_button.isEnabled()


def test_a_disagreement_opens_the_moderation_of_its_file(make_window, audit_path, results_service, qtbot):
    with open_audit(audit_path) as audit:
        ref = sampling.sample(audit).selected[2]
        complete_review(audit, ref, ANN)
        complete_review(audit, ref, BOB, role="second", A1=Answer("N", note="recorded a week late"))
    agreement = make_agreement()
    results_service.results = make_results(agreement=type(agreement)(
        files=1, confidence=agreement.confidence, items=agreement.items, pooled=agreement.pooled,
        disagreements=(Disagreement(ref, 3, "A1", "M", "N", None),), method=agreement.method))
    window = make_window(LEE)
    window.open_audit_file(str(audit_path))
    action(window, "&Agreement").trigger()
    page = window.results_page
    assert page.showing_agreement()
    qtbot.waitUntil(lambda: page.results is not None)
    table = page.agreement_view.disagreements_table
    assert table.keys() == [ref]
    table.setFocus()
    table.selectRow(0)
    qtbot.keyClick(table, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.moderation_page


def test_the_item_table_is_exported_where_the_user_says(make_window, audit_path, results_service, qtbot, tmp_path,
                                                         monkeypatch):
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    window.show_results()
    page = window.results_page
    qtbot.waitUntil(lambda: page.export_button.isEnabled())
    target = tmp_path / "items.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(target), ""))
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "item,question,applicable" and lines[1].startswith("A1,")
    assert window.statusBar().currentMessage() == f"Saved {target}"
