"""Issue 9, section 1: what is typed is never lost, and a key never means two things. Each test
drives the review page as a reviewer at the keyboard would (keys, focus, typed text) and checks the
result against what the audit file then holds."""

from __future__ import annotations

import pytest
from gui_helpers import ANN, audit_path, complete_review, make_window, no_task_left_running, ui_settings  # noqa: F401 (fixtures)
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QScrollArea
from review_data import PROFILE

from audit_app.services import sampling, workspace
from audit_app.services.audits import open_audit
from audit_app.services.reviews import ensure_reviewer, review_result, review_state, set_profile_value, start_review
from audit_app.services.verification import verify

SUPERVISOR = "Supervisor reviewed on day 2, log 7"


@pytest.fixture
def ref(audit_path):
    """The first sampled file, its review started by Ann with the burglary profile recorded."""
    with open_audit(audit_path) as audit:
        ref = sampling.sample(audit).selected[0]
        review = start_review(audit, ref, ensure_reviewer(audit, ANN.name, ANN.staff_number, ANN.role))
        for field, value in PROFILE.items():
            set_profile_value(audit, review.id, field, value)
    return ref


def open_at(qtbot, window, ref, item):
    """Open the file's review on ``item`` with the keyboard in the item list."""
    window.open_review(ref)
    page = window.review_page
    page.select(item)
    page.navigator.setFocus()
    qtbot.waitUntil(page.navigator.hasFocus)
    return page


def stored(audit_path, ref):
    with open_audit(audit_path) as audit:
        review_id = next(f.primary_id for f in workspace.overview(audit) if f.ref == ref)
        return review_state(audit, review_id), review_result(audit, review_id)


def history(audit_path, ref):
    with open_audit(audit_path) as audit:
        return [(e.what, e.reason) for e in workspace.file_history(audit, ref)]


def test_a_note_typed_before_the_answer_is_kept_and_recorded_with_it(qtbot, make_window, audit_path, ref):
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    page = open_at(qtbot, window, ref, "A1")
    qtbot.keyClick(page.navigator, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is page.item_panel.note_edit
    qtbot.keyClicks(page.item_panel.note_edit, SUPERVISOR)
    qtbot.keyClick(page.item_panel.note_edit, Qt.Key.Key_Escape)
    assert page.navigator.hasFocus()
    qtbot.keyClick(page.navigator, "p")
    assert page.controller.answer("A1").code == "P" and page.controller.answer("A1").note == SUPERVISOR
    assert page.current_target() == "A2"  # nothing more needed on A1: on to the next item
    qtbot.keyClick(page.navigator, Qt.Key.Key_Up)
    assert page.item_panel.note_edit.toPlainText() == SUPERVISOR
    state, _ = stored(audit_path, ref)
    assert state.answers["A1"].note == SUPERVISOR and state.drafts == {}
    assert (f"A1: — → Partly met (P) — “{SUPERVISOR}”", "") in history(audit_path, ref)


def test_a_note_typed_then_the_item_left_then_answered_is_kept(qtbot, make_window, audit_path, ref):
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    page = open_at(qtbot, window, ref, "A2")
    qtbot.keyClick(page.navigator, Qt.Key.Key_Return)
    qtbot.keyClicks(page.item_panel.note_edit, SUPERVISOR)
    qtbot.keyClick(page.item_panel.note_edit, Qt.Key.Key_Escape)
    qtbot.keyClick(page.navigator, Qt.Key.Key_Down)  # away, and back
    qtbot.keyClick(page.navigator, Qt.Key.Key_Up)
    assert page.current_target() == "A2" and page.item_panel.note_edit.toPlainText() == SUPERVISOR
    qtbot.keyClick(page.navigator, "3")
    state, _ = stored(audit_path, ref)
    assert state.answers["A2"].code == "N" and state.answers["A2"].note == SUPERVISOR


def test_clearing_an_answer_keeps_its_note_for_the_next_answer(qtbot, make_window, audit_path, ref):
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    page = open_at(qtbot, window, ref, "A1")
    qtbot.keyClick(page.navigator, "p")
    qtbot.keyClick(page.navigator, Qt.Key.Key_Return)
    qtbot.keyClicks(page.item_panel.note_edit, SUPERVISOR)
    qtbot.keyClick(page.item_panel.note_edit, Qt.Key.Key_Escape)
    qtbot.mouseClick(page.item_panel.clear_button, Qt.MouseButton.LeftButton)
    assert page.controller.answer("A1") is None
    assert page.item_panel.note_edit.toPlainText() == SUPERVISOR  # still there, and saved as a draft
    assert stored(audit_path, ref)[0].drafts == {("A1", "note"): SUPERVISOR}
    page.navigator.setFocus()
    qtbot.keyClick(page.navigator, "n")
    assert stored(audit_path, ref)[0].answers["A1"].note == SUPERVISOR


def test_answering_never_moves_the_keyboard_into_the_note(qtbot, make_window, audit_path, ref):
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    page = open_at(qtbot, window, ref, "A1")
    panel = page.item_panel
    # Shown before answering: which answers need a note.
    assert panel.note_label.text() == "Evidence n&ote (required for Partly met, Not met, Not recorded, Not applicable)"
    assert [b.text() for b in panel.answer_group.buttons() if b.isVisible()] == [
        "&1 · M  Met", "&2 · P  Partly met\nneeds a note", "&3 · N  Not met\nneeds a note",
        "&4 · R  Not recorded\nneeds a note", "&5 · A  Not applicable\nneeds a note"]
    qtbot.keyClick(page.navigator, "p")
    assert page.navigator.hasFocus() and page.current_target() == "A1"
    assert page.notice_label.text() == "A1 still needs an evidence note (required for Partly met): press Enter to give it."
    for _ in range(4):
        qtbot.keyClick(page.navigator, "m")
    assert page.navigator.hasFocus()
    assert panel.note_edit.toPlainText() == ""
    state, _ = stored(audit_path, ref)
    assert state.answers["A1"].note == "" and state.drafts == {}
    assert [state.answers[i].code for i in ("A1", "A2", "A3", "A4")] == ["M", "M", "M", "M"]  # M is Met, item by item


def test_leaving_an_item_without_its_required_note_is_flagged_at_once(qtbot, make_window, audit_path, ref):
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    page = open_at(qtbot, window, ref, "A1")
    qtbot.keyClick(page.navigator, "p")
    qtbot.keyClick(page.navigator, Qt.Key.Key_Down)
    assert page.current_target() == "A2"
    assert page.notice_label.text() == ("A1 was left without an evidence note (required for Partly met): "
                                        "it is listed under Still missing.")
    assert page._entry("A1").text(1) == "P · needs more"


def test_letters_in_the_list_change_no_answer_unless_they_are_shown_answer_keys(qtbot, make_window, audit_path, ref):
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    page = open_at(qtbot, window, ref, "B1")  # a yes/no item: Met, Not met, Not recorded, Not applicable
    qtbot.keyClicks(page.navigator, "Sup")
    assert page.current_target() == "B1" and page.controller.answer("B1") is None  # P is Partly met: not on B1
    assert page.notice_label.text() == ("Nothing recorded: P (partly met) is not an answer to B1, whose answers are "
                                        "1 M Met, 3 N Not met, 4 R Not recorded, 5 A Not applicable.")
    qtbot.keyClick(page.navigator, "x")
    assert page.notice_label.text() == ("x is not an answer key: the answer keys are on the answer buttons. "
                                        "Press Enter to write in the note.")
    page.select("A1")  # on a Met / Partly met / Not met item, P is shown on a button and answers
    qtbot.keyClicks(page.navigator, "Su")
    assert page.current_target() == "A1" and page.controller.answer("A1") is None
    assert stored(audit_path, ref)[0].answers == {}


def test_the_same_digit_means_the_same_answer_on_every_scale(qtbot, make_window, audit_path, ref):
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    page = open_at(qtbot, window, ref, "B1")
    assert [b.text() for b in page.item_panel.answer_group.buttons() if b.isVisible()] == [
        "&1 · M  Met\nneeds a note", "&3 · N  Not met\nneeds a note", "&4 · R  Not recorded\nneeds a note", "&5 · A  Not applicable\nneeds a note"]
    qtbot.keyClick(page.navigator, "2")
    assert page.controller.answer("B1") is None  # not Not met, as it was
    assert page.notice_label.text().startswith("Nothing recorded: 2 (partly met) is not an answer to B1")
    qtbot.keyClick(page.navigator, "3")
    assert page.controller.answer("B1").code == "N"
    page.select("A1")
    qtbot.keyClick(page.navigator, "3")
    assert page.controller.answer("A1").code == "N"
    page.select("A2")
    qtbot.keyClick(page.navigator, "2")
    assert page.controller.answer("A2").code == "P"
    state, _ = stored(audit_path, ref)
    assert {i: a.code for i, a in state.answers.items()} == {"A1": "N", "A2": "P", "B1": "N"}


def test_answer_keys_work_in_the_answer_row_too(qtbot, make_window, audit_path, ref):
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    page = open_at(qtbot, window, ref, "B1")
    met = page.item_panel.answer_group.buttons()[0]
    met.setFocus()
    qtbot.keyClick(met, "3")
    assert page.controller.answer("B1").code == "N"
    qtbot.keyClick(met, "2")
    assert page.controller.answer("B1").code == "N"
    assert page.notice_label.text().startswith("Nothing recorded: 2 (partly met)")


def test_a_new_item_shows_no_stale_answer(qtbot, make_window, audit_path, ref):
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    page = open_at(qtbot, window, ref, "A1")
    buttons = page.item_panel.answer_group.buttons()
    qtbot.keyClick(page.navigator, "m")  # A1 Met, on to A2 (not answered)
    assert page.current_target() == "A2"
    assert [b.isChecked() for b in buttons] == [False] * len(buttons)
    assert not any(b.font().bold() for b in buttons)
    qtbot.keyClick(page.navigator, "2")  # A2 Partly met; back to A1: only Met is shown chosen
    qtbot.keyClick(page.navigator, Qt.Key.Key_Up)
    assert [b.isChecked() for b in buttons][:5] == [True, False, False, False, False]


def test_changing_a_complete_review_asks_first_and_declining_changes_nothing(qtbot, make_window, audit_path, monkeypatch):
    with open_audit(audit_path) as audit:
        ref = sampling.sample(audit).selected[0]
        complete_review(audit, ref, ANN)
    before_state, before = stored(audit_path, ref)
    replies = [QMessageBox.StandardButton.No]
    asked = []

    def question(parent, title, text, *args):
        asked.append((title, text))
        return replies.pop(0)

    monkeypatch.setattr(QMessageBox, "question", question)
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    page = open_at(qtbot, window, ref, "A1")
    qtbot.keyClick(page.navigator, "1")  # the answer already recorded: nothing to change, nothing asked
    assert asked == [] and page.current_target() == "A2"
    qtbot.keyClick(page.navigator, Qt.Key.Key_Up)
    qtbot.keyClick(page.navigator, "3")  # a stray key: asked, declined
    assert [t for t, _ in asked] == ["Change a complete review"]
    state, result = stored(audit_path, ref)
    assert state.review.status == "complete" and state.answers == before_state.answers and result.score == before.score
    assert page.saved_label.text() == "Not saved: Nothing changed: the review stays complete."
    assert [b.isChecked() for b in page.item_panel.answer_group.buttons()][:3] == [True, False, False]

    replies.append(QMessageBox.StandardButton.Yes)  # now meant: back to in progress, logged, then the change
    qtbot.keyClick(page.navigator, "3")
    state, _ = stored(audit_path, ref)
    assert state.review.status == "in_progress" and state.answers["A1"].code == "N"
    assert ("Status: complete → in progress", "reopened to change it") in history(audit_path, ref) or any(
        reason == "reopened to change it" for _, reason in history(audit_path, ref))
    assert page.current_target() == "A2"  # A1's note went with its new answer: nothing more needed
    replies.append(QMessageBox.StandardButton.Yes)
    qtbot.keyClick(page.navigator, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    title, text = asked[-1]
    assert title == "Complete review"
    assert text.endswith("Changed since it was last complete: \n  A1: Met → Not met")
    assert stored(audit_path, ref)[0].review.status == "complete"
    with open_audit(audit_path) as audit:
        assert verify(audit).ok


def test_declining_keeps_typing_out_of_a_complete_review(qtbot, make_window, audit_path, monkeypatch):
    with open_audit(audit_path) as audit:
        ref = sampling.sample(audit).selected[0]
        complete_review(audit, ref, ANN)
    monkeypatch.setattr(QMessageBox, "question", lambda *args: QMessageBox.StandardButton.No)
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    page = open_at(qtbot, window, ref, "A1")
    note = page.item_panel.note_edit.toPlainText()
    qtbot.keyClick(page.navigator, Qt.Key.Key_Return)
    qtbot.keyClicks(page.item_panel.note_edit, "x")
    assert page.item_panel.note_edit.toPlainText() == note
    state, _ = stored(audit_path, ref)
    assert state.review.status == "complete" and state.drafts == {}


@pytest.mark.parametrize("scale", [1.0, 1.5])
def test_the_question_and_the_answer_buttons_are_whole_at_any_text_size(qtbot, make_window, audit_path, ref, scale):
    app = QApplication.instance()
    font = app.font()
    larger = app.font()
    larger.setPointSizeF(font.pointSizeF() * scale)
    app.setFont(larger)
    try:
        window = make_window(ANN)
        window.resize(1280, 800)
        window.open_audit_file(str(audit_path))
        window.open_review(ref, item="profile")
        page = window.review_page
        page.select("D4")  # the first item shown, on a page on screen: its answer buttons are made now
        panel = page.item_panel
        buttons = [b for b in panel.answer_group.buttons() if not b.isHidden()]
        assert len(buttons) == 5

        def whole():
            row = panel.answer_row
            return all(b.isVisible() and b.width() >= b.sizeHint().width() and b.height() >= b.sizeHint().height()
                       and row.rect().contains(b.geometry()) for b in buttons) and \
                panel.question_label.height() >= panel.question_label.heightForWidth(panel.question_label.width())

        qtbot.waitUntil(whole)
        question = panel.question_label.geometry()
        assert panel.answer_row.geometry().top() >= question.bottom()  # below the question, not over it
        # An item whose note is required for four answers has a long note label: it wraps, and the
        # form (question, buttons, label) is never wider than the pane that shows it.
        page.select("A1")
        scroller = panel.answer_row.parentWidget().parentWidget().parentWidget()
        assert isinstance(scroller, QScrollArea)
        assert "Not applicable" in panel.note_label.text()
        qtbot.waitUntil(lambda: scroller.widget().width() <= scroller.viewport().width() and whole())
        # and in the item list every question is whole: each row is as tall as its wrapped text
        navigator = page.navigator
        for entry in (navigator.topLevelItem(1).child(n) for n in range(navigator.topLevelItem(1).childCount())):
            rect = navigator.visualItemRect(entry)
            text = entry.text(0)
            width = navigator.columnWidth(0) - 2 * navigator.indentation()
            needed = navigator.fontMetrics().boundingRect(QRect(0, 0, width, 10_000), int(Qt.TextFlag.TextWordWrap), text)
            assert rect.height() >= needed.height(), text
    finally:
        app.setFont(font)
