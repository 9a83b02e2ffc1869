"""A background task on a hand-edited or damaged audit (issue 12 §3): when the service fails
unexpectedly and verify finds the file damaged, the task fails with the sentence that says so (no
traceback, nothing recorded); on a sound audit the same failure stays a bug, with its traceback."""

from __future__ import annotations

import sqlite3

from gui_helpers import LEE, audit_path, make_window, no_task_left_running, ui_settings  # noqa: F401 (fixtures)

from audit_app.services import results
from audit_app.ui.workers import Task, on_audit


def _broken(audit, progress=None):
    raise KeyError("strata")  # what a hand-edited value can do to any reading


def _run(qtbot, path):
    task = Task(on_audit(path, _broken, progress=True))
    failures = []
    task.failed.connect(lambda message, details: failures.append((message, details)))
    task.start()
    qtbot.waitUntil(lambda: not task.running)
    assert len(failures) == 1
    return failures[0]


def test_a_failure_on_a_damaged_audit_says_the_file_is_damaged(qtbot, audit_path):
    conn = sqlite3.connect(str(audit_path))
    conn.execute("UPDATE sampling_plan SET strata_fields = 'zz'")
    conn.commit()
    conn.close()
    message, details = _run(qtbot, audit_path)
    assert message.startswith(f"The audit file {audit_path.name} is damaged or was edited by hand (sample: ")
    assert f"`audit-app verify {audit_path.name}`" in message and details == ""


def test_the_same_failure_on_a_sound_audit_is_a_bug_with_its_traceback(qtbot, audit_path):
    message, details = _run(qtbot, audit_path)
    assert message.startswith("Something went wrong inside audit-app (KeyError")
    assert "Traceback" in details and "damaged" not in message


def test_the_results_of_a_hand_edited_audit_fail_with_the_sentence(qtbot, audit_path):
    """The real service, not a stand-in: the results of an audit whose plan was edited by hand."""
    conn = sqlite3.connect(str(audit_path))
    conn.execute("UPDATE sampling_plan SET strata_fields = 'zz'")
    conn.commit()
    conn.close()
    task = Task(on_audit(audit_path, results.audit_results, progress=True))
    outcome = []
    task.failed.connect(lambda message, details: outcome.append(message))
    task.succeeded.connect(lambda result: outcome.append(result))
    task.start()
    qtbot.waitUntil(lambda: not task.running)
    assert len(outcome) == 1
    assert isinstance(outcome[0], str) and "is damaged or was edited by hand" in outcome[0], outcome[0]


def test_opening_a_hand_edited_audit_says_it_is_damaged_and_leaves_no_half_open_window(make_window, audit_path,
                                                                                       monkeypatch):
    """Once a traceback from the workspace (the plan's strata fields not JSON) and a half-open window."""
    from PySide6.QtWidgets import QMessageBox



    conn = sqlite3.connect(str(audit_path))
    conn.execute("UPDATE sampling_plan SET strata_fields = 'zz'")
    conn.commit()
    conn.close()
    said = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda parent, title, text, *rest: said.append(text)))
    window = make_window(LEE)
    assert window.open_audit_file(str(audit_path)) is False
    assert window.session is None
    assert len(said) == 1 and said[0].startswith(f"The audit file {audit_path.name} is damaged or was edited by hand")
