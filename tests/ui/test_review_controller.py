"""The open review behind the review page (audit_app/ui/review_controller.py), driven without a page:
each change is checked against what the audit file then holds, read on a connection of its own."""

from __future__ import annotations

import datetime as dt

import pytest
from gui_helpers import ANN, LEE, audit_path, complete_review, make_window, no_task_left_running, ui_settings  # noqa: F401 (fixtures)
from review_data import APPLICABLE, NOTE, PROFILE

from audit_app.core.records import Answer
from audit_app.services import reviews as review_service
from audit_app.services import sampling, workspace
from audit_app.services.audits import open_audit
from audit_app.services.reviews import ensure_reviewer, review_state, set_answer, set_profile_value, start_review
from audit_app.ui.review_controller import TYPING_PAUSE_MS, ReviewController

TYPED = "No needs assessment on file, log 4"


@pytest.fixture
def audit(audit_path):
    with open_audit(audit_path) as opened:
        yield opened


@pytest.fixture
def ann(audit):
    return ensure_reviewer(audit, ANN.name, ANN.staff_number, ANN.role)


@pytest.fixture
def ref(audit):
    return sampling.sample(audit).selected[0]


@pytest.fixture
def review(audit, ann, ref):
    return start_review(audit, ref, ann)


@pytest.fixture
def controller(audit, ann, review):
    return ReviewController(audit, review_state(audit, review.id, ann), ann)


def stored(audit_path, review_id):
    """The review as the audit file holds it."""
    with open_audit(audit_path) as other:
        return review_state(other, review_id)


def trail(audit_path, ref) -> list[str]:
    with open_audit(audit_path) as other:
        return [entry.what for entry in workspace.file_history(other, ref)]


def test_an_answer_is_recorded_at_once(qtbot, controller, review, audit_path):
    with qtbot.waitSignal(controller.saved) as saved, qtbot.waitSignal(controller.changed):
        controller.set_code("A1", "M")
    assert saved.args[0].startswith("Saved at ")
    assert stored(audit_path, review.id).answers["A1"].code == "M"
    assert controller.answer("A1").code == "M"
    assert "A1" not in {m.target for m in controller.result.missing}  # rescored: nothing more needed for A1


def test_undo_and_redo_are_ordinary_recorded_changes(qtbot, controller, review, ref, audit_path):
    controller.set_code("A1", "M")
    controller.set_code("A1", "P")
    assert controller.undo_stack.count() == 2
    with qtbot.waitSignal(controller.saved):
        controller.undo_stack.undo()
    assert stored(audit_path, review.id).answers["A1"].code == "M"
    controller.undo_stack.undo()
    assert "A1" not in stored(audit_path, review.id).answers and controller.answer("A1") is None
    controller.undo_stack.redo()
    controller.undo_stack.redo()
    assert stored(audit_path, review.id).answers["A1"].code == "P"
    assert trail(audit_path, ref).count("A1: — → Met (M)") == 2 and trail(audit_path, ref).count("A1: Met (M) → Partly met (P)") == 2


def test_typing_is_kept_as_a_draft_then_recorded_after_flush(qtbot, controller, review, ref, audit_path):
    controller.set_code("B2", "N")
    for end in range(1, len(TYPED) + 1):  # keystroke by keystroke
        controller.type_text("B2", "note", TYPED[:end])
    held = stored(audit_path, review.id)
    assert held.drafts == {("B2", "note"): TYPED} and held.answers["B2"].note == ""  # safe, not yet recorded
    assert controller.text("B2", "note") == TYPED and controller.has_unrecorded_text()
    with qtbot.waitSignal(controller.saved):
        controller.flush()
    held = stored(audit_path, review.id)
    assert held.answers["B2"].note == TYPED and held.drafts == {}
    assert not controller.has_unrecorded_text()
    assert trail(audit_path, ref).count(f"B2: Not met (N) → Not met (N) — “{TYPED}”") == 1  # the typing is one recorded change...
    controller.undo_stack.undo()  # ...and one undo step
    assert stored(audit_path, review.id).answers["B2"].note == ""


def test_typing_is_recorded_after_a_pause(qtbot, controller, review, audit_path):
    controller.set_code("B2", "N")
    controller.type_text("B2", "note", TYPED)
    with qtbot.waitSignal(controller.saved, timeout=TYPING_PAUSE_MS + 5000):
        pass  # the controller's own timer
    assert stored(audit_path, review.id).answers["B2"].note == TYPED


def test_a_typing_pause_that_ends_after_the_audit_closed_does_nothing(qtbot, audit_path):
    """The typing timer firing after its audit was closed is a no-op, not an error on a closed
    connection: the text stays the draft it was saved as, recorded when the review is next worked on."""
    audit = open_audit(audit_path)
    ann = ensure_reviewer(audit, ANN.name, ANN.staff_number, ANN.role)
    review = start_review(audit, sampling.sample(audit).selected[0], ann)
    controller = ReviewController(audit, review_state(audit, review.id, ann), ann)
    controller.set_code("B2", "N")
    controller.type_text("B2", "note", TYPED)
    timer = controller._timer
    assert timer.isActive()
    audit.close()
    with qtbot.assertNotEmitted(controller.saved), qtbot.assertNotEmitted(controller.failed), \
            qtbot.waitSignal(timer.timeout, timeout=TYPING_PAUSE_MS + 5000):
        pass  # the pause ends: the controller's flush runs first (connected first), and does nothing
    assert controller.closed and not controller.has_unrecorded_text()
    held = stored(audit_path, review.id)
    assert held.answers["B2"].note == "" and held.drafts == {("B2", "note"): TYPED}


def test_closing_the_controller_records_typing_and_stops_its_timer(qtbot, controller, review, audit_path):
    controller.set_code("B2", "N")
    controller.type_text("B2", "note", TYPED)
    with qtbot.waitSignal(controller.saved):
        controller.close()
    assert controller.closed and not controller._timer.isActive()
    assert stored(audit_path, review.id).answers["B2"].note == TYPED
    with qtbot.assertNotEmitted(controller.saved):  # closed: nothing more is recorded
        controller.type_text("B2", "note", "more")
        controller.set_code("B2", "M")
        controller.flush()
    held = stored(audit_path, review.id)
    assert held.answers["B2"].code == "N" and held.answers["B2"].note == TYPED and held.drafts == {}


def test_closing_the_audit_in_the_window_stops_the_review_timer(qtbot, make_window, audit_path):
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    ref = window.workspace_page.current_ref()
    window.open_review(ref)
    page = window.review_page
    controller = page.controller
    page.select("A1")
    qtbot.keyClick(page.navigator, "m")
    controller.type_text("A1", "note", TYPED)
    timer = controller._timer
    assert timer.isActive()
    window.close_audit()
    assert controller.closed and not timer.isActive()  # recorded on the way out; the pause never ends later
    with open_audit(audit_path) as audit:
        assert review_state(audit, controller.review_id).answers["A1"].note == TYPED


def test_a_note_typed_before_the_answer_stays_a_draft_and_goes_with_it(qtbot, controller, review, audit_path):
    controller.type_text("B2", "note", TYPED)
    with qtbot.assertNotEmitted(controller.saved):
        controller.flush()  # nothing to attach the note to yet
    assert stored(audit_path, review.id).drafts == {("B2", "note"): TYPED}
    controller.set_code("B2", "N")
    held = stored(audit_path, review.id)
    assert held.answers["B2"].note == TYPED and held.drafts == {}


def test_reload_shows_what_was_recorded_elsewhere(qtbot, controller, review, audit_path):
    with open_audit(audit_path) as other:  # e.g. responses imported on another connection
        set_profile_value(other, review.id, "closed", "yes")
        set_answer(other, review.id, "A1", Answer("M"))
    assert "closed" not in controller.state.profile
    with qtbot.waitSignal(controller.changed):
        controller.reload()
    assert controller.state.profile["closed"] == "yes" and controller.answer("A1").code == "M"


def test_a_profile_value_typed_as_text_is_recorded_when_it_parses(qtbot, controller, review, audit_path):
    # refused beside the field (the profile form shows it), not as a failed save in the page's header
    with qtbot.waitSignal(controller.refused) as refused:
        assert not controller.set_profile_text("recorded", "32/13/2025")
    assert refused.args == ["recorded", "'32/13/2025' is not a date for 'Crime recorded' (use e.g. 15/01/2025 or 2025-01-15)."]
    assert "recorded" not in stored(audit_path, review.id).profile
    with qtbot.waitSignal(controller.saved):
        assert controller.set_profile_text("recorded", "10/01/2025")
    assert stored(audit_path, review.id).profile["recorded"] == dt.date(2025, 1, 10)
    assert controller.text("profile.recorded", "value") == "10/01/2025"


def test_a_refused_change_emits_failed_and_changes_nothing(qtbot, audit, ref, audit_path):
    done = complete_review(audit, ref, ANN)
    review_service.sign_off(audit, done.id, ensure_reviewer(audit, LEE.name, LEE.staff_number, LEE.role), LEE.staff_number)
    ann = ensure_reviewer(audit, ANN.name, ANN.staff_number, ANN.role)
    controller = ReviewController(audit, review_state(audit, done.id, ann), ann)
    assert not controller.editable
    with qtbot.waitSignal(controller.failed) as failed, qtbot.assertNotEmitted(controller.saved):
        controller.set_code("A1", "N")
    assert "signed off and locked" in failed.args[0]
    assert stored(audit_path, done.id).answers["A1"].code == "M"
    assert controller.answer("A1").code == "M" and controller.undo_stack.count() == 0


def test_completing_is_refused_until_nothing_is_missing(qtbot, controller, review, audit_path):
    with qtbot.waitSignal(controller.failed) as failed:
        assert not controller.complete()
    assert failed.args[0].startswith("The review is not complete:")
    assert stored(audit_path, review.id).review.status == "in_progress"
    for field, value in PROFILE.items():
        controller.set_profile(field, value)
    for item in APPLICABLE:
        controller.set_code(item, "M")
        controller.type_text(item, "note", NOTE)
    completed = lambda message: message.startswith("Completed at ")  # noqa: E731 (after the typing is recorded)
    with qtbot.waitSignal(controller.saved, check_params_cb=completed):
        assert controller.complete()
    held = stored(audit_path, review.id)
    assert held.review.status == "complete" and held.answers["D4"].note == NOTE
    assert controller.undo_stack.count() == 0  # undoing past "complete" would reopen it silently


def test_control_characters_typed_in_a_note_are_removed_with_a_notice(qtbot, controller, review, audit_path):
    """NUL and other control characters (pasted from another program) are never stored; the reviewer
    is told. A tab and line breaks are text, and stay (issue 12 §5)."""
    controller.set_code("B2", "N")
    with qtbot.waitSignal(controller.notice) as notice:
        controller.type_text("B2", "note", "Log\x00 4\x07\tseen\r\nagain\x1b")
    assert "were removed from the note of B2" in notice.args[0]
    assert stored(audit_path, review.id).drafts == {("B2", "note"): "Log 4\tseen\nagain"}
    with qtbot.waitSignal(controller.saved):
        controller.flush()
    assert stored(audit_path, review.id).answers["B2"].note == "Log 4\tseen\nagain"
    with qtbot.assertNotEmitted(controller.notice):
        controller.type_text("B2", "note", "Plain text\twith a tab\nand a line")
    controller.flush()  # recorded now: no typing timer left to fire after the audit is closed
    assert stored(audit_path, review.id).answers["B2"].note == "Plain text\twith a tab\nand a line"


def test_the_service_removes_control_characters_on_every_path(audit, review, audit_path):
    """A caller that does not clean its text (a script, another page) cannot store one either."""
    set_answer(audit, review.id, "B2", Answer("N", note="a\x00b", evidence="E\x01-1"), reason="why\x00 not")
    reason = audit.db.execute("SELECT reason FROM event WHERE action = 'answer.set' ORDER BY seq DESC LIMIT 1").fetchone()[0]
    assert reason == "why not"
    review_service.save_draft(audit, review.id, "A1", "note", "draft\x00 text")
    held = stored(audit_path, review.id)
    assert (held.answers["B2"].note, held.answers["B2"].evidence) == ("ab", "E-1")
    assert held.drafts[("A1", "note")] == "draft text"
