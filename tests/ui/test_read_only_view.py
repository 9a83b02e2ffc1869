"""An audit on read-only media (issue 12 §1) opens in the GUI as a read-only view: the window says so
and why, every action that would change the audit is disabled (and refused with a sentence if it is
reached anyway), reviews open to be looked at, reports and exports are written elsewhere, and not a
byte of the audit's folder changes.

The tests run as root, whom permissions do not stop, so the archive is read-only twice over: for
real (chmod) and in what the app is told (``os.access`` denies writing in the archive folder, and
``is_read_only`` says so wherever it is imported). tests/test_read_only_media.py runs the window as
an unprivileged user, where the permissions alone do it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from gui_helpers import (  # noqa: F401 (fixtures)
    ANN,
    BOB,
    LEE,
    account_of,
    audit_path,
    complete_review,
    make_window,
    no_task_left_running,
    ui_settings,
)
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

from audit_app.core import workstation
from audit_app.core.records import Answer
from audit_app.services import audits, sampling
from audit_app.services.audits import open_audit
from audit_app.services.reviews import ensure_reviewer, reviewers, set_answer, sign_off, start_review
from audit_app.store import database
from audit_app.ui import audit_actions, dialogs, file_actions, people_actions, report_actions
from audit_app.ui.session import AuditSession, lock_path, who_path
from audit_app.ui.ui_settings import Identity

SLOW = 60_000  # ms: a report or an export on a busy machine
NOTICE = ("Read-only: the audit file is read-only (an archive?). You can look, verify, report and export; "
          "nothing can be changed.")
WRITING_MENU = ["Audit &settings…", "Name a &lead auditor…"]
READING_MENU = ["&Verify this audit", "E&xport…", "&Report…", "&File report…", "&Close audit", "&Workspace",
                "&Results", "&Agreement", "File &history…"]


def action(window, text: str):
    return next(a for top in window.menuBar().actions() for a in top.menu().actions() if a.text() == text)


def digest(folder: Path) -> dict[str, str]:
    """The folder's listing, with every file's bytes (hashed)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


class Archive:
    def __init__(self, path: Path, refs: dict[str, str]):
        self.path = path
        self.folder = path.parent
        self.refs = refs  # what each sampled file is here: "signed", "double", "mine", "fresh"
        self.before = digest(self.folder)

    def unchanged(self) -> bool:
        return digest(self.folder) == self.before


def _fill(path: Path) -> dict[str, str]:
    """Reviews to look at: Ann's signed-off review, Ann's in progress (with a note), a file reviewed twice
    whose reviews differ on A1, and files nobody has started."""
    with open_audit(path) as audit:
        selected = sampling.sample(audit).selected
        signed, double, mine = selected[0], selected[1], selected[2]
        review = complete_review(audit, signed, ANN)
        lee = ensure_reviewer(audit, LEE.name, LEE.staff_number)
        sign_off(audit, review.id, lee, LEE.staff_number)
        complete_review(audit, double, ANN)
        complete_review(audit, double, BOB, role="second", A1=Answer("N", note="Not on file"))
        ann = ensure_reviewer(audit, ANN.name, ANN.staff_number)
        started = start_review(audit, mine, ann)
        set_answer(audit, started.id, "A1", Answer("M", note="Seen in log 3"))
    return {signed: "signed", double: "double", mine: "mine", **{ref: "fresh" for ref in selected[3:]}}


def make_read_only(monkeypatch, folder: Path) -> None:
    """The archive folder and what is in it are read-only: chmod, and (for root) what the app is told."""
    for file in folder.iterdir():
        file.chmod(0o444)
    folder.chmod(0o555)
    real_access = os.access

    def access(path, mode, *args, **kwargs):
        if mode & os.W_OK and (Path(path).resolve() == folder or Path(path).resolve().parent == folder):
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)
    real_is_read_only = database.is_read_only

    def is_read_only(path) -> bool:
        return Path(path).resolve().parent == folder or real_is_read_only(path)

    monkeypatch.setattr(database, "is_read_only", is_read_only)
    monkeypatch.setattr(audits, "is_read_only", is_read_only)


@pytest.fixture(autouse=True)
def no_unexpected_message(monkeypatch):
    """A message box nobody expected fails the test instead of waiting for a click (tests that expect one
    replace it again)."""
    for kind in ("information", "warning", "question", "critical"):
        monkeypatch.setattr(QMessageBox, kind, lambda parent, title, text, *a, kind=kind: pytest.fail(f"{kind}: {text}"))


@pytest.fixture
def archive(audit_path, tmp_path, monkeypatch):
    """The test audit with some reviews, copied into an archive folder that is read-only."""
    refs = _fill(audit_path)
    folder = tmp_path / "archive"
    folder.mkdir()
    path = folder / "archived.audit"
    shutil.copy(audit_path, path)
    assert not Path(f"{audit_path}-wal").exists()  # closed: everything is in the file that was copied
    make_read_only(monkeypatch, folder)
    yield Archive(path, refs)
    folder.chmod(0o755)


def ref_of(archive: Archive, kind: str) -> str:
    return next(ref for ref, what in archive.refs.items() if what == kind)


def test_the_window_opens_a_read_only_audit_and_says_so(make_window, archive):
    window = make_window(LEE)  # a lead: the lead's actions are there, and disabled
    assert window.open_audit_file(str(archive.path))
    session = window.session
    assert session is not None and session.read_only and session.lock is None
    assert window.windowTitle() == "audit-app — GUI test audit (read-only)"
    page = window.workspace_page
    assert window.stack.currentWidget() is page
    assert page.read_only_label.isVisible() and page.read_only_label.text() == NOTICE
    assert not any(action(window, text).isEnabled() for text in WRITING_MENU)
    assert all(action(window, text).isEnabled() for text in READING_MENU)
    assert action(window, "Audit &settings…").statusTip() == "The audit is read-only: nothing in it can be changed."
    for ref in archive.refs:  # whatever the file's state, nothing that writes is offered
        page.select_ref(ref)
        assert not any(button.isEnabled() for button in page.writing_buttons()), ref
        assert page.open_button.isEnabled() and page.history_button.isEnabled() and page.results_button.isEnabled()
    assert page.sign_off_button.isVisible() and page.sign_off_button.toolTip() == NOTICE
    assert not lock_path(archive.path).exists() and not who_path(archive.path).exists()
    window.close_audit()
    assert window.windowTitle() == "audit-app" and not page.read_only_label.isVisible()
    assert archive.unchanged()


def test_the_person_is_found_not_added(archive, monkeypatch):
    monkeypatch.setattr(workstation, "_current", account_of(ANN))
    session = AuditSession.open(archive.path, ANN)
    try:
        assert session.read_only and session.reviewer.id > 0 and session.reviewer.display == ANN.display
    finally:
        session.close()
    stranger = AuditSession.open(archive.path, Identity("Pat Visitor", "555", "lead"))
    try:  # nobody the audit knows: a passer-by, not stored, who is no lead for asking
        assert stranger.reviewer.id == 0 and not stranger.is_lead and stranger.role_note == ""
    finally:
        stranger.close()
    with open_audit(archive.path) as audit:
        assert "Pat Visitor" not in {r.name for r in reviewers(audit)}
    assert archive.unchanged()


def test_a_review_opens_to_be_looked_at_and_nothing_in_it_changes(qtbot, make_window, archive):
    window = make_window(ANN)
    window.open_audit_file(str(archive.path))
    mine = ref_of(archive, "mine")
    window.open_review(mine)  # Ann's own review in progress: in a writable audit she would edit it
    page = window.review_page
    assert window.stack.currentWidget() is page
    controller = page.controller
    assert controller is not None and not controller.editable
    assert page.saved_label.text() == ("Read only: the audit file or its folder is read-only, so nothing in it can "
                                       "be changed")
    assert "read only" in page.details_label.text()
    page.select("A1")
    panel = page.item_panel
    assert panel.note_edit.isReadOnly() and panel.note_edit.toPlainText() == "Seen in log 3"
    for edit in (panel.note_edit, panel.evidence_edit):  # and they look it: not the white of a field to type in
        assert edit.isReadOnly() and "palette(window)" in edit.styleSheet()
    assert not any(button.isEnabled() for button in panel.answer_group.buttons())
    assert not panel.clear_button.isEnabled()
    qtbot.keyClick(page.navigator, "p")  # the answer key does nothing
    qtbot.keyClicks(panel.note_edit, " and more")  # nor does typing
    assert controller.answer("A1").code == "M" and panel.note_edit.toPlainText() == "Seen in log 3"
    assert not page.complete_button.isEnabled() and not page.undo_button.isEnabled()
    with qtbot.waitSignal(controller.failed) as failed:  # reached anyway: refused before anything is written
        controller.set_code("A1", "P")
    assert failed.args[0] == "Nothing changed: the audit file or its folder is read-only, so nothing in it can be changed."
    assert controller.answer("A1").code == "M"
    page.select("profile")
    editors = page.profile_form.editors.values()
    assert editors and not any(editor.isEnabled() for editor in editors)

    window.open_review(ref_of(archive, "signed"))  # signed off: its Change… would write
    assert page.change_button.isVisible() and not page.change_button.isEnabled()
    assert not page.sign_off_button.isVisible()
    window.open_review(ref_of(archive, "fresh"))  # nobody started it: looking starts nothing
    assert page.controller.review_id == 0
    page.select("A1")
    qtbot.keyClick(page.navigator, "m")
    assert page.controller.review_id == 0 and page.controller.answer("A1") is None
    window.close_audit()
    assert archive.unchanged()


def test_moderation_can_be_read_not_recorded(make_window, archive):
    window = make_window(LEE)
    window.open_audit_file(str(archive.path))
    window.moderate(ref_of(archive, "double"))
    page = window.moderation_page
    assert window.stack.currentWidget() is page
    assert page.table.rowCount() >= 1 and page.primary_label.text()  # the differences are shown
    assert not page.agree_box.isEnabled() and not page.record_button.isEnabled()
    assert "The audit is read-only: you can read the comparison" in page.summary_label.text()
    window.close_audit()
    assert archive.unchanged()


def test_an_action_that_writes_reached_anyway_is_refused_with_a_sentence(make_window, archive, monkeypatch):
    told: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text, *a: told.append((title, text)))
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: told.append((title, text)))
    for dialog in (dialogs.ReasonDialog, dialogs.SecondReviewDialog, dialogs.SignOffDialog, dialogs.SettingsDialog):
        monkeypatch.setattr(dialog, "exec", lambda self: pytest.fail(f"{type(self).__name__} was asked"))
    window = make_window(LEE)
    window.open_audit_file(str(archive.path))
    fresh, double, signed = ref_of(archive, "fresh"), ref_of(archive, "double"), ref_of(archive, "signed")
    file_actions.replace_file(window, fresh)
    file_actions.start_second_review(window, fresh)
    file_actions.sign_off_file(window, double)
    file_actions.change_review(window, window.file(signed).primary_id)
    file_actions.record_agreed(window, double, "A1", Answer("M"), "agreed at the meeting")
    audit_actions.change_settings(window)
    people_actions.name_lead(window)
    sentence = ("The audit file archived.audit is read-only, so nothing can be changed in it here (the audit file is "
                "read-only); it can still be looked at, verified, reported on and exported.")
    assert [text for _, text in told] == [sentence] * 7
    assert [title for title, _ in told] == ["Replace a file", "Second review", "Sign off", "Change after sign-off",
                                            "Moderation", "Audit settings", "Name a lead auditor"]
    window.close_audit()
    assert archive.unchanged()


def test_verify_a_report_and_an_export_are_written_to_another_folder(qtbot, make_window, archive, monkeypatch,
                                                                      ui_settings, tmp_path):
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text, *a: shown.append((title, text)))
    monkeypatch.setattr(report_actions, "open_with_viewer", lambda path: pytest.fail("nothing is opened"))
    ui_settings.set_last_folder(archive.path)  # opened from the archive: its folder is the last one used
    out = tmp_path / "out"
    out.mkdir()
    asked: list[str] = []

    def save(parent, title, suggested, *args, **kwargs):
        asked.append(suggested)
        return str(out / Path(suggested).name), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save)
    monkeypatch.setattr(dialogs.ReportDialog, "exec", lambda dialog: QDialog.DialogCode.Accepted)

    def as_json(dialog):
        dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("json"))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(dialogs.ExportDialog, "exec", as_json)
    window = make_window(ANN)
    window.open_audit_file(str(archive.path))

    action(window, "&Verify this audit").trigger()
    qtbot.waitUntil(lambda: bool(shown) and shown[-1][0] == "Verify", timeout=SLOW)
    assert shown[-1][1].startswith("The audit is intact.")
    report = report_actions.write_report(window)
    assert report is not None
    qtbot.waitUntil(lambda: not report.running, timeout=SLOW)
    export = audit_actions.export_audit(window)
    assert export is not None
    qtbot.waitUntil(lambda: not export.running, timeout=SLOW)

    assert len(asked) == 2 and all(Path(s).parent != archive.folder for s in asked)  # never suggested in the archive
    written = sorted(p.name for p in out.iterdir())
    assert written == ["GUI test audit.pdf", "archived.json"]
    assert (out / "GUI test audit.pdf").read_bytes().startswith(b"%PDF")
    assert json.loads((out / "archived.json").read_text(encoding="utf-8"))
    assert window.statusBar().currentMessage() == f"Saved {out / 'archived.json'}"
    window.close_audit()
    assert archive.unchanged()


def test_an_output_chosen_in_the_read_only_folder_is_refused_with_a_sentence(make_window, archive, monkeypatch):
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: warned.append(text))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(archive.folder / "report.pdf"), ""))
    monkeypatch.setattr(dialogs.ReportDialog, "exec", lambda dialog: QDialog.DialogCode.Accepted)
    window = make_window(ANN)
    window.open_audit_file(str(archive.path))
    assert report_actions.write_report(window) is None
    assert warned == [f"Cannot write report.pdf in {archive.folder}: that folder cannot be written to (read-only). "
                      "Choose a folder you can write to; nothing was written."]
    window.close_audit()
    assert archive.unchanged()


def _damaged_archive(audit_path: Path, tmp_path: Path, monkeypatch, script: str) -> Path:
    folder = tmp_path / "damaged"
    folder.mkdir()
    path = folder / "damaged.audit"
    shutil.copy(audit_path, path)
    conn = sqlite3.connect(str(path))
    conn.executescript(f"PRAGMA foreign_keys = OFF; {script};")
    conn.close()
    for side in ("-wal", "-shm"):
        Path(f"{path}{side}").unlink(missing_ok=True)
    make_read_only(monkeypatch, folder)
    return path


def test_a_read_only_audit_with_a_broken_trail_opens_and_says_so(make_window, audit_path, tmp_path, monkeypatch):
    path = _damaged_archive(audit_path, tmp_path, monkeypatch,
                            "DROP TRIGGER event_no_update; UPDATE event SET detail = '{}' WHERE seq = 2")
    before = digest(path.parent)
    window = make_window(ANN)
    assert window.open_audit_file(str(path))
    notice = window.workspace_page.read_only_label.text()
    assert notice.startswith(NOTICE + " It is also damaged (") and notice.endswith(
        "`audit-app verify damaged.audit` lists what is wrong.")
    window.close_audit()
    assert digest(path.parent) == before


def test_a_read_only_audit_too_damaged_to_show_is_refused_with_a_sentence(make_window, audit_path, tmp_path,
                                                                            monkeypatch):
    path = _damaged_archive(audit_path, tmp_path, monkeypatch, "DROP TABLE answer")
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: told.append(text))
    window = make_window(ANN)
    assert not window.open_audit_file(str(path))
    assert told == ["The audit file damaged.audit is read-only and damaged (database: the table answer is missing), so "
                    "it cannot be shown; `audit-app verify damaged.audit` lists what is wrong."]
    assert window.session is None and window.stack.currentWidget() is window.start_page


def test_the_read_only_view_survives_the_keyboard(qtbot, make_window, archive):
    """Shortcuts of disabled commands do nothing; those that read still move between pages."""
    window = make_window(LEE)
    window.open_audit_file(str(archive.path))
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.results_page
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.workspace_page
    window.close_audit()
    assert archive.unchanged()
