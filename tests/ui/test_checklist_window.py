"""The checklist browser window, driven as a user would."""

from conftest import TEST_CHECKLISTS
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from audit_app.ui.checklist_window import ChecklistWindow


def make_window(qtbot):
    window = ChecklistWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_opens_on_the_bundled_checklist_with_first_item_shown(qtbot):
    window = make_window(qtbot)
    assert window.current_checklist().id == "neighbourhood-crime"
    assert window.tree.topLevelItemCount() == 9
    assert window.tree.currentItem().text(0).startswith("A1  Was the crime recorded correctly and promptly?")
    html = window.details.toPlainText()
    assert "What good looks like" in html
    assert "within 24 hours" in html  # the {recording_hours} parameter is rendered


def test_keyboard_moves_between_items(qtbot):
    window = make_window(qtbot)
    window.tree.setFocus()
    qtbot.keyClick(window.tree, Qt.Key.Key_Down)
    assert window.tree.currentItem().text(0).startswith("A2 ")
    assert "A2 Was a structured risk" in window.details.toPlainText()


def test_opening_a_valid_file_adds_it(qtbot):
    window = make_window(qtbot)
    assert window.open_checklist_file(str(TEST_CHECKLISTS / "minimal.yaml"))
    assert window.current_checklist().id == "minimal"
    assert window.tree.topLevelItemCount() == 2


def test_opening_a_broken_file_shows_every_problem(qtbot, tmp_path, monkeypatch):
    broken = tmp_path / "broken.yaml"
    broken.write_text((TEST_CHECKLISTS / "minimal.yaml").read_text().replace("scale: MPN", "scale: XYZ"), encoding="utf-8")
    opened = []
    monkeypatch.setattr(QMessageBox, "open", lambda box: opened.append(box))
    window = make_window(qtbot)
    assert not window.open_checklist_file(str(broken))
    assert window.current_checklist().id == "neighbourhood-crime"
    box = opened[0]
    assert "3 problem(s)" in box.text()
    assert box.detailedText().count("unknown scale 'XYZ'") == 3
