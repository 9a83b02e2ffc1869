"""The GUI remembers the audit trail it last saw in each audit, and warns when the file opens with
fewer entries (issue 12 §6): a trail never shrinks, so such a file is an older copy, e.g. one
copied without its -wal file."""

from __future__ import annotations

import shutil

from gui_helpers import audit_path, make_window, no_task_left_running, ui_settings, wait_for_tasks  # noqa: F401 (fixtures)
from PySide6.QtWidgets import QMessageBox

from audit_app.services import workspace
from audit_app.services.audits import open_audit


def _entries(path) -> int:
    with open_audit(path) as audit:
        return workspace.trail_head(audit)[0]


def test_an_older_copy_put_in_place_of_the_audit_is_warned_about(make_window, audit_path, tmp_path, monkeypatch):
    older = tmp_path / "older.audit"
    shutil.copy(audit_path, older)  # before the GUI adds its entries (the reviewer working on it)
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: warnings.append(text))
    window = make_window()
    assert window.open_audit_file(str(audit_path))
    window.close_audit()
    seen = _entries(audit_path)
    assert window.settings.trail_seen(audit_path)[0] == seen and not warnings
    assert window.open_audit_file(str(audit_path))  # the same file again: no warning
    window.close_audit()
    assert not warnings

    assert wait_for_tasks()  # nothing still reading the file while it is replaced
    for side in ("-wal", "-shm"):
        audit_path.with_name(audit_path.name + side).unlink(missing_ok=True)
    shutil.copy(older, audit_path)  # the older copy put back
    now = _entries(audit_path)
    assert now < seen
    assert window.open_audit_file(str(audit_path))
    assert len(warnings) == 1
    assert f"has {now:,} audit-trail entries, but it had {seen:,}" in warnings[0]
    assert "--head" in warnings[0]
    window.close_audit()
    assert window.settings.trail_seen(audit_path)[0] == seen  # the longer trail stays the one seen


def test_a_damaged_audit_is_refused_with_a_sentence_not_a_crash(make_window, audit_path, monkeypatch):
    """Issue 12 §2: the GUI says the audit is damaged (as a writing command would) and stays on the start page."""
    import sqlite3

    conn = sqlite3.connect(str(audit_path))
    conn.executescript("DROP TRIGGER event_no_update; UPDATE event SET detail = '{}' WHERE seq = 2;")
    conn.close()
    warnings: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: warnings.append((title, text)))
    window = make_window()
    assert not window.open_audit_file(str(audit_path))
    assert window.session is None
    assert warnings == [("Cannot open the audit", warnings[0][1])]
    assert warnings[0][1].startswith(f"The audit file {audit_path.name} is damaged (event log: entry 2")
