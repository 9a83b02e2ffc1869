"""The review workstation driven as a user would: the workspace, a review done by keyboard alone,
undo and redo, sign-off and a change after it, a second review and its moderation, crash safety."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from gui_helpers import ANN, BOB, LEE, audit_path, complete_review, make_window, no_task_left_running, ui_settings  # noqa: F401 (fixtures)
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QLineEdit, QMessageBox
from review_data import APPLICABLE, PROFILE

from audit_app.core import workstation
from audit_app.core.records import Answer
from audit_app.services import moderation, sampling, workspace
from audit_app.services.audits import open_audit
from audit_app.services.reviews import ensure_reviewer, review_result, review_state, reviewers, sign_off
from audit_app.services.verification import verify
from audit_app.ui import dialogs
from audit_app.ui.session import AuditInUseError, AuditSession
from audit_app.ui.ui_settings import Identity


def focused():
    return QApplication.focusWidget()


def type_profile_value(qtbot, editor, field, value) -> None:
    """Type a value as a reviewer would: the start of a choice's label, or the date as written."""
    if isinstance(editor, QComboBox):
        if field.type == "yesno":
            text = {"yes": "y", "no": "n", "unknown": "u"}[value]
        else:
            # the label's first word: a space would open the list, as it does for any keyboard user
            text = next(v.label for v in field.values if v.value == value).split()[0]
        qtbot.keyClicks(editor, text)
        assert editor.currentData() == value
    else:
        assert isinstance(editor, QLineEdit)
        text = f"{value:%d/%m/%Y %H:%M}" if isinstance(value, dt.datetime) else f"{value:%d/%m/%Y}"
        qtbot.keyClicks(editor, text)


def test_workspace_lists_the_sample(make_window, audit_path):
    window = make_window(ANN)
    assert window.open_audit_file(str(audit_path))
    page = window.workspace_page
    assert window.stack.currentWidget() is page
    assert page.model.rowCount() == 8
    assert page.progress_bar.text() == "0 of 8 files reviewed"
    qtbot_filter = page.filter_edit
    qtbot_filter.setText("burglary")
    assert 0 < page.proxy.rowCount() < 8
    assert all(page.model.file(page.proxy.mapToSource(page.proxy.index(r, 0)).row()).stratum == "burglary"
               or "urglary" in page.model.file(page.proxy.mapToSource(page.proxy.index(r, 0)).row()).offence
               for r in range(page.proxy.rowCount()))


def test_a_complete_review_by_keyboard_alone(qtbot, make_window, audit_path, monkeypatch):
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda parent, title, text, *a: asked.append((title, text))
                        or QMessageBox.StandardButton.Yes)
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    table = window.workspace_page.table
    table.setFocus()
    ref = window.workspace_page.current_ref()
    qtbot.keyClick(table, Qt.Key.Key_Return)
    page = window.review_page
    assert window.stack.currentWidget() is page
    assert page.current_target() == "profile" and focused() is page.navigator, focused()

    # The profile, field by field: Enter goes to the first field, Tab to the next one that applies
    # (no suspect: the questions about an arrest are disabled and skipped).
    qtbot.keyClick(page.navigator, Qt.Key.Key_Return)
    skipped = []
    for field in page.checklist.spec.profile:
        editor = page.profile_form.editors[field.id]
        if not editor.isEnabled():
            skipped.append(field.id)
            continue
        assert focused() is editor, f"focus should be on {field.id}"
        if field.id in PROFILE:
            type_profile_value(qtbot, editor, field, PROFILE[field.id])
        qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert not [m for m in page.controller.result.missing if m.kind == "profile"]
    assert skipped == ["suspect_arrested", "suspect_interviewed", "suspect_released_pending", "charged", "oocd_given",
                       "eyewitness_can_identify", "identifiable_property", "property_outstanding"]
    assert page._shown == APPLICABLE  # exactly the hand-counted items apply

    # The items: Ctrl+Down goes to the first; M answers Met and moves on. Where a note is needed the
    # keyboard stays in the list (the notice says so): Enter goes to the note, Escape comes back,
    # Down moves on.
    qtbot.keyClick(focused(), Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    assert page.current_target() == "A1" and page.navigator.hasFocus()
    for _ in range(3 * len(APPLICABLE)):
        if page.controller.result.complete:
            break
        item = page.current_target()
        qtbot.keyClick(page.navigator, "m")
        assert page.navigator.hasFocus()  # answering never moves the keyboard
        if page.checklist.note_required(item, "M"):
            assert page.current_target() == item
            assert page.notice_label.text() == f"{item} still needs an evidence note (required for Met): press Enter to give it."
            qtbot.keyClick(page.navigator, Qt.Key.Key_Return)
            assert focused() is page.item_panel.note_edit
            assert page.item_panel.note_edit.styleSheet() == ""  # a field to type in looks like one
            qtbot.keyClicks(page.item_panel.note_edit, f"Log {APPLICABLE.index(item) + 1}, 10/01/2025")
            qtbot.keyClick(page.item_panel.note_edit, Qt.Key.Key_Escape)
            assert page.navigator.hasFocus()
            qtbot.keyClick(page.navigator, Qt.Key.Key_Down)
        else:
            assert page.current_target() == (APPLICABLE + [item])[APPLICABLE.index(item) + 1]
    assert page.controller.result.complete
    assert page.complete_button.isEnabled()
    qtbot.keyClick(page.navigator, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    # Completing shows the result first (first completion: nothing to compare with).
    assert asked == [("Complete review", "Complete this review?\n\nScore: 100\nGrade: Good\nBefore caps: Outstanding\n"
                                         "Caps applied: \n  Outstanding needs no critical failure, every weight-3 item Met, "
                                         "and at least one notable practice.")]

    with open_audit(audit_path) as audit:
        review = next(f for f in workspace.overview(audit) if f.ref == ref)
        assert review.status == "complete" and review.reviewer == "Ann Reviewer (101)"
        result = review_result(audit, review.primary_id)
        # All 30 applicable items Met, no notable practice: S = 100, capped at Good (brief §10, cap 3).
        assert (result.score, result.grade_label) == (100.0, "Good")
        assert review_state(audit, review.primary_id).answers["D4"].note == f"Log {APPLICABLE.index('D4') + 1}, 10/01/2025"
        assert verify(audit).ok


def open_first_review(window):
    ref = window.workspace_page.current_ref()
    window.open_review(ref)
    return ref, window.review_page


def test_undo_and_redo_an_answer_and_a_profile_value(qtbot, make_window, audit_path):
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    ref, page = open_first_review(window)
    page.select("A1")
    page.navigator.setFocus()
    qtbot.keyClick(page.navigator, "p")  # Partly met: needs a note
    assert page.controller.answer("A1").code == "P"
    qtbot.keyClicks(page.item_panel.note_edit, "Recorded 30 hours late")
    qtbot.keyClick(page.item_panel.note_edit, Qt.Key.Key_Escape)
    assert page.controller.answer("A1").note == "Recorded 30 hours late"
    undo = lambda: qtbot.keyClick(page.navigator, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # noqa: E731
    redo = lambda: qtbot.keyClick(page.navigator, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)  # noqa: E731
    undo()
    assert page.controller.answer("A1").note == ""  # the typing is one step
    undo()
    assert page.controller.answer("A1") is None
    redo()
    redo()
    assert page.controller.answer("A1").code == "P" and page.controller.answer("A1").note == "Recorded 30 hours late"
    page.select("profile")
    combo = page.profile_form.editors["closed"]
    combo.setFocus()
    qtbot.keyClicks(combo, "y")
    assert "closed" not in page.controller.state.profile  # a typed choice settles first...
    qtbot.keyClick(combo, Qt.Key.Key_Tab)
    assert page.controller.state.profile["closed"] == "yes"  # ...and is recorded on leaving the field
    qtbot.keyClick(focused(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert "closed" not in page.controller.state.profile
    with open_audit(audit_path) as audit:  # every step, undo included, is in the audit trail and replays
        assert verify(audit).ok
        history = [e.what for e in workspace.file_history(audit, ref)]
    assert history.count("A1: — → Partly met (P)") == 2
    assert "A1: Partly met (P) — “Recorded 30 hours late” → Partly met (P)" in history


def test_typing_survives_a_crash_and_the_reviewer_lands_where_they_were(qtbot, make_window, audit_path, ui_settings):
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    ref, page = open_first_review(window)
    page.select("B2")
    qtbot.keyClick(page.navigator, "n")
    qtbot.keyClicks(page.item_panel.note_edit, "No needs assessment on file, log 4")
    # a crash: what was only in memory is lost, and the process's lock goes with it
    page.controller._timer.stop()
    page.controller._pending.clear()
    window.session.lock.unlock()
    with open_audit(audit_path) as audit:
        review_id = next(f.primary_id for f in workspace.overview(audit) if f.ref == ref)
        assert review_state(audit, review_id).drafts == {("B2", "note"): "No needs assessment on file, log 4"}
    restarted = make_window(ANN, ui_settings)
    restarted.restore_position()
    assert restarted.stack.currentWidget() is restarted.review_page
    assert restarted.review_page.current_target() == "B2"
    assert restarted.review_page.item_panel.note_edit.toPlainText() == "No needs assessment on file, log 4"
    restarted.review_page.close_review()  # leaving records the restored text as the note
    with open_audit(audit_path) as audit:
        state = review_state(audit, review_id)
        assert state.answers["B2"].note == "No needs assessment on file, log 4" and state.drafts == {}


def test_sign_off_locks_and_a_change_after_it_needs_a_reason(qtbot, make_window, audit_path, monkeypatch):
    with open_audit(audit_path) as audit:
        ref = sampling.sample(audit).selected[0]
        complete_review(audit, ref, ANN)
    shown, warnings = [], []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: warnings.append(text))

    def sign_with(staff_number):
        def sign(dialog):  # the lead reads the summary, types their staff number and presses Sign off
            shown.append(dialog)
            dialog.show()
            qtbot.keyClicks(dialog.staff_edit, staff_number)
            qtbot.keyClick(dialog.staff_edit, Qt.Key.Key_Return)
            return dialog.result()
        return sign

    window = make_window(LEE)
    window.open_audit_file(str(audit_path))
    window.workspace_page.select_ref(ref)
    assert window.workspace_page.sign_off_button.isVisible() and window.workspace_page.sign_off_button.isEnabled()
    monkeypatch.setattr(dialogs.SignOffDialog, "exec", sign_with("990"))  # a wrong staff number: refused
    qtbot.mouseClick(window.workspace_page.sign_off_button, Qt.MouseButton.LeftButton)
    assert warnings == ["That is not the staff number recorded for Lee Lead: the review was not signed off."]
    assert next(f for f in window.files if f.ref == ref).status == "complete"
    monkeypatch.setattr(dialogs.SignOffDialog, "exec", sign_with("900"))
    qtbot.mouseClick(window.workspace_page.sign_off_button, Qt.MouseButton.LeftButton)
    assert next(f for f in window.files if f.ref == ref).status == "signed_off"
    # the confirmation said what was signed: the file, its author and the result (100, capped at Good)
    intro = shown[-1].findChildren(QLabel)[0].text()
    assert f"<b>{ref}</b> by Ann Reviewer (101)" in intro and "Score: 100<br>Grade: Good<br>" in intro
    assert "Caps applied: <br>&nbsp;&nbsp;Outstanding needs" in intro  # the cap that held it at Good, on its own line
    # the trail's head after the sign-off, to write down, is shown and is the one verify reports
    head = verify(window.session.audit).head
    assert head in window.statusBar().currentMessage() and head in window.workspace_page.trail_label.text()

    window.close_audit()
    window.identity = ANN
    window.open_audit_file(str(audit_path))
    window.open_review(ref)
    page = window.review_page
    assert not page.controller.editable and page.change_button.isVisible()
    page.select("A1")
    qtbot.keyClick(page.navigator, "n")
    assert page.controller.answer("A1").code == "M"  # locked: keys change nothing
    monkeypatch.setattr(dialogs.ReasonDialog, "exec", lambda self: (self.reason_edit.setPlainText("A1 cited the wrong log"), 1)[1])
    qtbot.mouseClick(page.change_button, Qt.MouseButton.LeftButton)
    page = window.review_page
    assert page.controller.editable
    page.select("A1")
    qtbot.keyClick(page.navigator, "p")
    qtbot.keyClicks(page.item_panel.note_edit, "Recorded 30 hours after the report, log 2")
    qtbot.keyClick(page.item_panel.note_edit, Qt.Key.Key_Escape)
    window.show_workspace()
    summary = next(f for f in window.files if f.ref == ref)
    assert summary.status_label == "Complete (changed after sign-off)"
    with open_audit(audit_path) as audit:
        assert verify(audit).ok
        reasons = [e.reason for e in workspace.file_history(audit, ref)]
        assert "A1 cited the wrong log" in reasons


def test_second_review_stays_independent_then_is_moderated(qtbot, make_window, audit_path, monkeypatch):
    with open_audit(audit_path) as audit:
        ref = sampling.sample(audit).selected[0]
        complete_review(audit, ref, ANN, D4=Answer("N", note="Doorbell footage never requested", opportunity_known=True))
    infos = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text, *a: infos.append(text))
    # the lead assigns the second review to Bob, who is new to the audit
    window = make_window(LEE)
    window.open_audit_file(str(audit_path))
    window.workspace_page.select_ref(ref)

    def assign(dialog):
        dialog.reviewer_combo.setCurrentIndex(dialog.reviewer_combo.findData(dialogs.SecondReviewDialog.NEW))
        dialog.name_edit.setText(BOB.name)
        dialog.staff_edit.setText(BOB.staff_number)
        return 1

    monkeypatch.setattr(dialogs.SecondReviewDialog, "exec", assign)
    qtbot.mouseClick(window.workspace_page.second_button, Qt.MouseButton.LeftButton)
    assert next(f for f in window.files if f.ref == ref).second_reviewer == "Bob Second (102)"
    window.close_audit()

    # Bob opens the file: he gets his own (second) review, and cannot see Ann's
    window.identity = BOB
    window.open_audit_file(str(audit_path))
    window.open_review(ref)
    assert window.review_page.controller.state.review.role == "second"
    window.show_workspace()
    window.open_review(ref, "primary")
    assert infos and "stays hidden until both" in infos[-1]
    with open_audit(audit_path) as audit:
        second_id = next(f.second_id for f in workspace.overview(audit) if f.ref == ref)
    window.close_audit()
    with open_audit(audit_path) as audit:  # Bob finishes his review (Met on D4, with a note)
        from gui_helpers import finish_review

        finish_review(audit, second_id, BOB)

    # the lead moderates: D4 differs; the lead takes the primary review's answer, with a reason
    window.identity = LEE
    window.open_audit_file(str(audit_path))
    window.workspace_page.select_ref(ref)
    assert window.workspace_page.moderate_button.isEnabled()
    qtbot.mouseClick(window.workspace_page.moderate_button, Qt.MouseButton.LeftButton)
    page = window.moderation_page
    assert window.stack.currentWidget() is page
    assert page.table.rowCount() == 1 and page.current_target() == "D4"
    assert page.table.item(0, 1).text() == "N" and page.table.item(0, 2).text() == "M"
    assert not page.record_button.isEnabled()  # a reason is required
    page.choice_combo.setCurrentIndex(page.choice_combo.findData("primary"))
    qtbot.keyClicks(page.reason_edit, "Log 9 shows the doorbell camera was mentioned and never requested")
    qtbot.mouseClick(page.record_button, Qt.MouseButton.LeftButton)
    assert page.table.item(0, 3).text() == "N"
    with open_audit(audit_path) as audit:
        comparison = moderation.compare(audit, ref)
        assert comparison.state == moderation.AGREED
        assert moderation.agreed_result(audit, ref).critical_failures == ("D4",)
        assert review_state(audit, second_id).answers["D4"].code == "M"  # the second review is kept as it was
        assert verify(audit).ok


def test_an_audit_open_elsewhere_is_refused_with_a_message_naming_who_has_it(audit_path, monkeypatch):
    monkeypatch.setattr(workstation, "_current", workstation.Account("ann", "PC-ANN"))
    first = AuditSession.open(audit_path, ANN)
    try:
        monkeypatch.setattr(workstation, "_current", workstation.Account("bob", "PC-BOB"))
        with pytest.raises(AuditInUseError) as refused:
            AuditSession.open(audit_path, BOB)
        message = str(refused.value)
        assert message.startswith("Ann Reviewer (101) has gui.audit open in audit-app on ")
        assert f"(computer account 'ann', process {os.getpid()}). Ask them to close it first" in message
    finally:
        first.close()
    AuditSession.open(audit_path, BOB).close()  # free again once closed


def test_a_file_from_a_newer_version_gives_a_clear_message(make_window, audit_path, monkeypatch):
    import sqlite3

    conn = sqlite3.connect(audit_path)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('audit-app', 'm999_future', 'x')")
    conn.commit()
    conn.close()
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: shown.append(text))
    window = make_window(ANN)
    assert not window.open_audit_file(str(audit_path))
    assert "newer version of audit-app" in shown[0]
    assert window.stack.currentWidget() is window.start_page


def test_start_page_lists_recent_audits_with_their_progress(make_window, audit_path, tmp_path):
    with open_audit(audit_path) as audit:
        complete_review(audit, sampling.sample(audit).selected[0], ANN)
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    window.close_audit()
    missing = tmp_path / "gone.audit"
    window.settings.add_recent_audit(missing)
    window.show_start()
    texts = [window.start_page.recent_list.item(i).text() for i in range(window.start_page.recent_list.count())]
    assert texts[0].startswith("gone.audit — cannot be opened: No audit file")
    assert texts[1].startswith("GUI test audit — 1 of 8 files reviewed")


def test_first_use_asks_who_is_working_and_records_it(qtbot, ui_settings, audit_path, monkeypatch):
    from audit_app.ui.main_window import MainWindow

    def answer(dialog):
        dialog.name_edit.setText("Pat Auditor")
        dialog.staff_edit.setText("4521")
        dialog.role_combo.setCurrentIndex(dialog.role_combo.findData("lead"))
        return dialogs.IdentityDialog.DialogCode.Accepted

    monkeypatch.setattr(dialogs.IdentityDialog, "exec", answer)
    window = MainWindow(ui_settings)
    qtbot.addWidget(window)
    assert window.identity is None
    assert window.open_audit_file(str(audit_path))  # asks first
    assert ui_settings.identity().display == "Pat Auditor (4521)"
    # the lead role picked in the dialog is only a request: Lee created this audit and is its lead
    assert window.session.reviewer.display == "Pat Auditor (4521)" and not window.session.is_lead
    window.close_audit()
    with open_audit(audit_path) as audit:
        from audit_app.store import events

        added = [e for e in events.iterate(audit.db, "reviewer")]
        account = workstation.current()
        assert added[-1].detail == {"name": "Pat Auditor", "staff_number": "4521", "role": "reviewer",
                                    "os_account": account.user, "host": account.host}
        assert (added[-1].os_account, added[-1].host) == (account.user, account.host)


def test_replacing_an_out_of_scope_file_needs_a_reason(qtbot, make_window, audit_path, monkeypatch):
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    page = window.workspace_page
    ref = page.current_ref()
    monkeypatch.setattr(dialogs.ReasonDialog, "exec", lambda self: 0)  # cancelled: nothing happens
    qtbot.mouseClick(page.replace_button, Qt.MouseButton.LeftButton)
    assert next(f for f in window.files if f.ref == ref).status == "not_started"
    monkeypatch.setattr(dialogs.ReasonDialog, "exec",
                        lambda self: (self.reason_edit.setPlainText("A business burglary, not residential"), 1)[1])
    qtbot.mouseClick(page.replace_button, Qt.MouseButton.LeftButton)
    replaced = next(f for f in window.files if f.ref == ref)
    assert replaced.status == "replaced" and replaced.replaced_reason == "A business burglary, not residential"
    replacement = next(f for f in window.files if f.replaces == ref)
    assert page.current_ref() == replacement.ref and replacement.stratum == replaced.stratum
    entries = []
    monkeypatch.setattr(dialogs.HistoryDialog, "exec", lambda self: entries.append(self) or 0)
    window.show_history(ref)
    history = entries[0]
    assert history.visible_rows() == 1 and "replaced by reserve" in history.model.item(0, 4).text()
    history.filter_edit.setText("no such thing")
    assert history.visible_rows() == 0


def test_a_damaged_file_gives_a_clear_message(make_window, tmp_path, monkeypatch):
    damaged = tmp_path / "damaged.audit"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\x00" * 50)
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: shown.append(text))
    window = make_window(ANN)
    assert not window.open_audit_file(str(damaged))
    assert "it was left untouched" in shown[0]


def test_an_item_that_stops_applying_is_shown_as_such_not_dropped(qtbot, make_window, audit_path, monkeypatch):
    with open_audit(audit_path) as audit:
        ref = sampling.sample(audit).selected[0]
        complete_review(audit, ref, ANN)  # the burglary profile: possible video, so D4 applies
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: asked.append(args[1]) or QMessageBox.StandardButton.Yes)
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    window.open_review(ref)
    page = window.review_page
    assert page.controller.answer("D4").code == "M"
    page.select("profile")
    combo = page.profile_form.editors["potential_video"]
    combo.setFocus()
    qtbot.keyClicks(combo, "n")
    qtbot.keyClick(combo, Qt.Key.Key_Tab)  # no possible video after all: D4 (applies when potential_video) stops applying
    assert asked == ["Change a complete review"]  # the review was complete: changing it asked first
    assert page.controller.result.applicability["D4"] is False
    assert "D4" in page._shown  # still listed, with its answer kept...
    entry = page._entry("D4")
    assert entry.text(1) == "no longer applies (M)" and entry.font(0).italic()
    page.select("D4")
    assert page.item_panel.banner.isVisible() and "No longer applies" in page.item_panel.banner.text()
    assert "D4" not in page.controller.result.scored_items  # ...but no longer scored
    qtbot.mouseClick(page.item_panel.clear_button, Qt.MouseButton.LeftButton)
    assert "D4" not in page._shown  # cleared: now simply not applicable


def test_window_layout_is_remembered_but_no_audit_data_is_kept_in_settings(make_window, audit_path, ui_settings):
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    window.review_page.splitter.setSizes([100, 500, 300])
    window.workspace_page.table.setColumnWidth(2, 321)
    window.close()
    again = make_window(ANN, ui_settings)
    again.open_audit_file(str(audit_path))
    assert again.workspace_page.table.columnWidth(2) == 321
    assert again.review_page.splitter.sizes()[0] == window.review_page.splitter.sizes()[0]
    settings_text = (audit_path.parent / "ui.ini").read_text(encoding="utf-8")
    assert "Doorbell" not in settings_text and "review_id" not in settings_text  # UI state only


# -- who is working, and who may sign off (issue 9, section 3)


def test_a_reviewer_is_offered_no_sign_off_even_when_they_ask_for_the_lead_role(qtbot, make_window, audit_path):
    with open_audit(audit_path) as audit:
        ref = sampling.sample(audit).selected[0]
        complete_review(audit, ref, BOB)
    window = make_window(Identity(ANN.name, ANN.staff_number, "lead"))  # asks for the lead role in the dialog
    window.open_audit_file(str(audit_path))
    assert not window.session.is_lead
    assert "Reviewer in this audit · ann on PC-ANN" in window.identity_label.text()
    assert "You asked for the lead auditor role" in window.statusBar().currentMessage()
    window.workspace_page.select_ref(ref)
    assert not window.workspace_page.sign_off_button.isVisible()
    window.open_review(ref)
    page = window.review_page
    assert page.controller.state.review.status == "complete" and not page.sign_off_button.isVisible()
    assert page.saved_label.text() == "Read only: this is Bob Second (102)'s review"


def test_a_lead_is_not_offered_the_sign_off_of_their_own_review(qtbot, make_window, audit_path):
    with open_audit(audit_path) as audit:
        ref = sampling.sample(audit).selected[0]
        complete_review(audit, ref, LEE)
    window = make_window(LEE)
    window.open_audit_file(str(audit_path))
    assert window.session.is_lead
    window.workspace_page.select_ref(ref)
    assert window.workspace_page.sign_off_button.isVisible() and not window.workspace_page.sign_off_button.isEnabled()
    window.open_review(ref)
    assert not window.review_page.sign_off_button.isVisible()


def test_opening_a_file_and_stepping_through_files_starts_no_review(qtbot, make_window, audit_path):
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    with open_audit(audit_path) as audit:
        events_before = len(workspace.file_history(audit, sampling.sample(audit).selected[0]))
    table = window.workspace_page.table
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Return)
    page = window.review_page
    opened = [page.current_review().ref]
    for _ in range(3):
        qtbot.keyClick(page.navigator, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
        opened.append(window.review_page.current_review().ref)
    assert len(set(opened)) == 4  # four different files were shown...
    with open_audit(audit_path) as audit:  # ...and none of them was claimed
        assert all(f.status == "not_started" and f.primary_id is None for f in workspace.overview(audit))
        assert len(workspace.file_history(audit, opened[0])) == events_before == 0
    page = window.review_page
    assert page.saved_label.text() == "All changes are saved as you make them"
    page.select("A1")
    qtbot.keyClick(page.navigator, "m")  # the first change starts the review, once
    qtbot.keyClick(page.navigator, Qt.Key.Key_Down)
    qtbot.keyClick(page.navigator, "m")
    with open_audit(audit_path) as audit:
        started = [f for f in workspace.overview(audit) if f.primary_id is not None]
        assert [(f.ref, f.status, f.reviewer) for f in started] == [(opened[-1], "in_progress", "Ann Reviewer (101)")]
        history = [e.what for e in workspace.file_history(audit, opened[-1])]
        # started once; then what the population settles (marked so), then the two answers, in words
        assert history[0] == "Primary review started by Ann Reviewer"
        assert all(line.endswith("(from the population)") for line in history[1:-2])
        assert history[-2] == "A1: — → Met (M)" and history[-1].endswith(": — → Met (M)")
        assert verify(audit).ok


def test_the_read_only_banner_says_why(qtbot, make_window, audit_path):
    with open_audit(audit_path) as audit:
        ref = sampling.sample(audit).selected[0]
        review = complete_review(audit, ref, ANN)
        lee = ensure_reviewer(audit, LEE.name, LEE.staff_number)
        sign_off(audit, review.id, lee, LEE.staff_number)
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    window.open_review(ref)
    assert window.review_page.saved_label.text() == "Read only: it is signed off (Change… reopens it, with a reason)"


def test_history_dates_are_in_the_locales_words_with_the_computer_account(qtbot, make_window, audit_path, monkeypatch):
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    ref, page = open_first_review(window)
    page.select("A1")
    qtbot.keyClick(page.navigator, "m")
    entries = []
    monkeypatch.setattr(dialogs.HistoryDialog, "exec", lambda self: entries.append(self) or 0)
    window.show_history(ref)
    model = entries[0].model
    when = model.item(0, 1).text()
    today = dt.datetime.now()
    assert f"{today.day} {today:%B %Y}" in when and "T" not in when and today.strftime("%A") in when
    assert model.item(0, 6).text() == "ann on PC-ANN"


def test_a_lead_names_another_lead_from_the_people_menu(qtbot, make_window, audit_path, monkeypatch):
    with open_audit(audit_path) as audit:
        ensure_reviewer(audit, BOB.name, BOB.staff_number)
    infos = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text, *a: infos.append(text))
    window = make_window(ANN)  # a reviewer: the command explains and does nothing
    window.open_audit_file(str(audit_path))
    name_lead = next(a for a in window.menuBar().findChildren(QAction) if a.text() == "Name a &lead auditor…")
    name_lead.trigger()
    assert infos == ["Only a lead auditor of this audit can name another lead. You work in it as a reviewer."]
    window.close_audit()

    def choose_bob(dialog):
        dialog.reviewer_combo.setCurrentIndex(dialog.reviewer_combo.findText(BOB.display))
        return 1

    monkeypatch.setattr(dialogs.SecondReviewDialog, "exec", choose_bob)
    window = make_window(LEE)
    window.open_audit_file(str(audit_path))
    next(a for a in window.menuBar().findChildren(QAction) if a.text() == "Name a &lead auditor…").trigger()
    assert window.statusBar().currentMessage() == "Bob Second (102) is now a lead auditor of this audit."
    with open_audit(audit_path) as audit:
        roles = {r.name: r.role for r in reviewers(audit)}
        assert roles == {"Ann Reviewer": "reviewer", "Bob Second": "lead", "Lee Lead": "lead"}
        assert verify(audit).ok
