"""The menu bar as declared by the actions modules (audit_app/ui/menu_actions.py): the menus the
window builds, their shortcuts, the commands that wait for an open audit, the audit-level commands
run from them, and a menu of one's own."""

from __future__ import annotations

import pytest
from gui_helpers import ANN, LEE, audit_path, make_window, no_task_left_running, results_service, ui_settings  # noqa: F401 (fixtures)
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenuBar, QMessageBox

from audit_app.ui import audit_actions, dialogs
from audit_app.ui.checklist_window import ChecklistWindow
from audit_app.ui.menu_actions import SEPARATOR, Command, Menu, build_menus


def menu_texts(window) -> dict[str, list[str]]:
    return {top.text(): [a.text() or "—" for a in top.menu().actions()] for top in window.menuBar().actions()}


def action(window, text: str):
    return next(a for top in window.menuBar().actions() for a in top.menu().actions() if a.text() == text)


def test_the_window_builds_its_menus_from_the_table(make_window):
    window = make_window(ANN)
    assert menu_texts(window) == {
        "&File": ["&New audit…", "&Open audit…", "Open the &demo audit", "—", "&Verify this audit", "Audit &settings…",
                  "E&xport…", "&Report…", "&File report…", "&Close audit", "—",
                  "&Quit"],
        "&Go": ["&Workspace", "&Results", "&Agreement", "&Start page", "File &history…"],
        "&People": ["&Who is working…", "Name a &lead auditor…"],
        "&Help": ["&Checklist browser", "&Keyboard"],
    }
    assert action(window, "&Workspace").shortcut() == QKeySequence("Ctrl+1")
    assert action(window, "&Agreement").shortcut() == QKeySequence("Ctrl+3")
    assert action(window, "&Keyboard").shortcut() == QKeySequence(QKeySequence.StandardKey.HelpContents)


def test_audit_commands_wait_for_an_open_audit(make_window, audit_path):
    window = make_window(ANN)
    needing = ["&Verify this audit", "Audit &settings…", "E&xport…", "&Report…", "&File report…", "&Close audit",
               "&Workspace", "&Results", "&Agreement", "File &history…"]
    assert not any(action(window, text).isEnabled() for text in needing)
    assert action(window, "&Start page").isEnabled() and action(window, "&New audit…").isEnabled()
    window.open_audit_file(str(audit_path))
    assert all(action(window, text).isEnabled() for text in needing)
    window.close_audit()
    assert not any(action(window, text).isEnabled() for text in needing)


def test_shortcuts_move_between_pages(qtbot, make_window, audit_path, results_service):
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    qtbot.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.start_page
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.workspace_page
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.results_page
    assert window.results_page.tabs.currentIndex() == 0
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.results_page.showing_agreement()


def test_a_menu_of_ones_own_is_a_module_level_declaration(qtbot):
    """What a new storey adds: its commands run with the workbench they were built for."""
    ran = []
    reports = Menu("&Reports", (Command("&Draft report", lambda bench: ran.append(("draft", bench))), SEPARATOR,
                                Command("&Publish…", lambda bench: ran.append(("publish", bench)), "Ctrl+P",
                                        needs_audit=True)))
    bar = QMenuBar()
    qtbot.addWidget(bar)
    bench = object()
    needing = build_menus(bench, bar, [reports])
    entries = bar.actions()[0].menu().actions()
    assert [a.text() for a in entries] == ["&Draft report", "", "&Publish…"] and entries[1].isSeparator()
    assert needing == [entries[2]] and entries[2].shortcut() == QKeySequence("Ctrl+P")
    entries[0].trigger()
    entries[2].trigger()
    assert ran == [("draft", bench), ("publish", bench)]


def test_a_command_that_writes_is_disabled_while_the_audit_is_read_only(qtbot):
    """One flag on the declaration: the window enables a writing command only while the audit can be written."""
    menu = Menu("&Audit", (Command("&Look", lambda bench: None, needs_audit=True),
                           Command("&Change…", lambda bench: None, needs_audit=True, writes=True)))
    bar = QMenuBar()
    qtbot.addWidget(bar)
    look, change = build_menus(object(), bar, [menu])
    states = {}
    for audit_open, read_only in ((False, False), (True, False), (True, True)):
        for action in (look, change):
            action.enable_for(audit_open, read_only)
        states[(audit_open, read_only)] = (look.isEnabled(), change.isEnabled(), change.statusTip())
    assert states == {(False, False): (False, False, ""), (True, False): (True, True, ""),
                      (True, True): (True, False, "The audit is read-only: nothing in it can be changed.")}


def test_the_audit_commands_run_from_the_menus(qtbot, make_window, audit_path, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text, *a: shown.append((title, text)))
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    action(window, "&Verify this audit").trigger()  # in the background, then a message
    qtbot.waitUntil(lambda: bool(shown) and shown[-1][0] == "Verify")
    assert shown[-1][1].startswith("The audit is intact.")
    action(window, "&Keyboard").trigger()
    assert shown[-1] == ("Keyboard", audit_actions.KEYS_HELP)
    histories = []
    monkeypatch.setattr(dialogs.HistoryDialog, "exec", lambda dialog: histories.append(dialog.windowTitle()) or 0)
    action(window, "File &history…").trigger()  # of the file selected in the workspace
    assert histories == [f"History of {window.workspace_page.current_ref()}"]
    action(window, "&Checklist browser").trigger()
    assert [w.isVisible() for w in window.findChildren(ChecklistWindow)] == [True]



def test_a_lead_changes_the_audit_settings_from_the_file_menu(make_window, audit_path, monkeypatch, qtbot):
    from audit_app.services import settings as settings_service
    from audit_app.services.audits import open_audit

    def fill(dialog):  # what the lead types, through the dialog's own widgets
        dialog.marking_combo.setEditText("OFFICIAL-SENSITIVE")
        dialog.references_check.setChecked(True)
        dialog.reason_edit.setText("Shared with the inspectorate")
        return 1

    monkeypatch.setattr(dialogs.SettingsDialog, "exec", fill)
    window = make_window(LEE)
    window.open_audit_file(str(audit_path))
    action(window, "Audit &settings…").trigger()
    assert window.statusBar().currentMessage() == "Marking: OFFICIAL-SENSITIVE; reports may show file references."
    window.close_audit()
    with open_audit(audit_path) as audit:
        assert settings_service.audit_settings(audit).marking == "OFFICIAL-SENSITIVE"


def test_a_reviewer_is_told_only_a_lead_can_change_settings(make_window, audit_path, monkeypatch):
    told = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: told.append(text))
    monkeypatch.setattr(dialogs.SettingsDialog, "exec", lambda dialog: pytest.fail("a reviewer saw the settings"))
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    action(window, "Audit &settings…").trigger()
    assert told and told[0].startswith("Only a lead auditor of this audit can change its settings")


def test_export_runs_in_the_background_and_writes_what_was_chosen(make_window, audit_path, monkeypatch, qtbot, tmp_path):
    def choose(dialog):
        dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("json"))
        dialog.no_names_check.setChecked(True)
        return 1

    target = tmp_path / "out.json"
    monkeypatch.setattr(dialogs.ExportDialog, "exec", choose)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(target), ""))
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    task = audit_actions.export_audit(window)
    assert task is not None
    qtbot.waitUntil(lambda: not task.running, timeout=30_000)  # (finished may be emitted before a wait connects)
    import json

    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["options"]["names"] is False and "Ann Reviewer" not in target.read_text(encoding="utf-8")
    assert window.statusBar().currentMessage() == f"Saved {target}"
