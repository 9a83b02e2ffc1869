"""File ▸ Report… and File ▸ File report… (issue 11 §4): the dialog, then the file, then a background
task with progress and Cancel; the PDFs of the file reports are read back (tests/pdf_tools.py).

Most audit report tests stand a fake in for the service (``reports.write_audit_report``), which
reports progress and writes a few bytes, so that they test the GUI's handling; one writes the real
report through the menu and checks it with ``audit-app report verify``.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pdf_tools
import pytest
from gui_helpers import ANN, audit_path, make_window, no_task_left_running, ui_settings  # noqa: F401 (fixtures)
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QPushButton
from synthetic_audit import build

from audit_app.errors import AuditError
from audit_app.services import reports
from audit_app.services.audits import open_audit
from audit_app.services.settings import COMMON_MARKINGS
from audit_app.ui import dialogs, report_actions

SLOW = 60_000  # ms: a PDF of a few files, on a busy machine


def action(window, text: str):
    return next(a for top in window.menuBar().actions() for a in top.menu().actions() if a.text() == text)


@pytest.fixture
def reviewed(tmp_path) -> Path:
    """An audit of 8 sampled files, every one reviewed (2 of them twice)."""
    return build(tmp_path / "reviewed.audit", files=8, double=2, seed=3).path


@pytest.fixture
def reportable(reviewed) -> list[str]:
    with open_audit(reviewed) as audit:
        return reports.reportable_refs(audit)


@pytest.fixture
def opened(monkeypatch) -> list[str]:
    """What would have been opened with the system viewer (nothing is)."""
    shown: list[str] = []
    monkeypatch.setattr(report_actions, "open_with_viewer", shown.append)
    return shown


class SaveAs:
    """The save dialog, answering with ``folder/<name>`` (see :meth:`answer`); ``asked`` keeps what
    it was asked (title, suggested path)."""

    def __init__(self, folder: Path, monkeypatch) -> None:
        self.folder = folder
        self.asked: list[tuple[str, str]] = []
        self._monkeypatch = monkeypatch

    def __call__(self, name: str) -> Path:
        def save(parent, title, suggested, *args, **kwargs):
            self.asked.append((title, suggested))
            return str(self.folder / name), ""

        self._monkeypatch.setattr(QFileDialog, "getSaveFileName", save)
        return self.folder / name


@pytest.fixture
def save_as(monkeypatch, tmp_path) -> SaveAs:
    folder = tmp_path / "out"
    folder.mkdir()
    return SaveAs(folder, monkeypatch)


def finished(qtbot, task) -> None:
    assert task is not None
    # not waitSignal(task.finished): a queued signal emitted (by the worker) before the wait connects
    # never reaches the wait, while the task's own slot, connected from the start, clears `running`
    qtbot.waitUntil(lambda: not task.running, timeout=SLOW)


def test_the_report_commands_wait_for_an_open_audit(make_window, reviewed):
    window = make_window(ANN)
    commands = ["&Report…", "&File report…"]
    assert not any(action(window, text).isEnabled() for text in commands)
    window.open_audit_file(str(reviewed))
    assert all(action(window, text).isEnabled() for text in commands)
    window.close_audit()
    assert not any(action(window, text).isEnabled() for text in commands)


def test_a_file_report_of_the_selected_file(make_window, reviewed, reportable, monkeypatch, qtbot, save_as, opened):
    chosen = reportable[2]
    seen = {}

    def choose(dialog):
        seen["this"] = dialog.this_radio.isChecked() and chosen in dialog.this_radio.text()
        dialog.open_check.setChecked(True)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(dialogs.FileReportDialog, "exec", choose)
    target = save_as("one.pdf")
    window = make_window(ANN)
    window.open_audit_file(str(reviewed))
    window.select_file(chosen)
    assert window.current_ref() == chosen
    finished(qtbot, report_actions.write_file_reports(window))
    assert seen == {"this": True}  # the file selected in the workspace is the default
    whole = pdf_tools.text(target).replace("\n", "")  # a 64-character reference may wrap
    assert chosen in whole
    assert not any(ref in whole for ref in reportable if ref != chosen)
    assert window.statusBar().currentMessage() == f"Saved {target}"
    assert opened == [str(target)]
    assert Path(save_as.asked[0][1]).name == "Synthetic disproportionate audit (8 files) - file 3.pdf"


def test_all_reviewed_files_from_the_menu(make_window, reviewed, reportable, monkeypatch, qtbot, save_as, opened):
    def choose(dialog):
        assert dialog.all_radio.text() == f"&All reviewed files ({len(reportable)})"
        dialog.all_radio.setChecked(True)
        dialog.marking_combo.setEditText("OFFICIAL-SENSITIVE")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(dialogs.FileReportDialog, "exec", choose)
    target = save_as("all.pdf")
    window = make_window(ANN)
    window.open_audit_file(str(reviewed))
    action(window, "&File report…").trigger()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == f"Saved {target}", timeout=SLOW)
    whole = pdf_tools.text(target).replace("\n", "")
    assert all(ref in whole for ref in reportable)
    assert "OFFICIAL-SENSITIVE" in pdf_tools.text(target, page=1)  # the marking chosen for this report
    assert opened == []  # not asked to open it


def test_chosen_files_only(make_window, reviewed, reportable, monkeypatch, qtbot, save_as, opened):
    wanted = [reportable[0], reportable[4]]

    def choose(dialog):
        dialog.chosen_radio.setChecked(True)
        assert dialog.files_list.isEnabled()
        for row in range(dialog.files_list.count()):
            item = dialog.files_list.item(row)
            checked = item.data(Qt.ItemDataRole.UserRole) in wanted
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(dialogs.FileReportDialog, "exec", choose)
    target = save_as("two.pdf")
    window = make_window(ANN)
    window.open_audit_file(str(reviewed))
    finished(qtbot, report_actions.write_file_reports(window))
    whole = pdf_tools.text(target).replace("\n", "")
    assert all(ref in whole for ref in wanted)
    assert not any(ref in whole for ref in reportable if ref not in wanted)


def test_cancel_leaves_no_file(make_window, reviewed, monkeypatch, qtbot, save_as):
    monkeypatch.setattr(dialogs.FileReportDialog, "exec", lambda dialog: dialog.all_radio.setChecked(True) or 1)
    target = save_as("cancelled.pdf")
    rendering, cancel_pressed = threading.Event(), threading.Event()
    real = reports.write_file_reports

    def held_while_rendering(audit, refs, out, marking=None, progress=None):
        def report(done, total, text):
            if text.startswith("Rendering") and not rendering.is_set():
                rendering.set()  # the PDF is being laid out: Cancel is pressed now
                assert cancel_pressed.wait(SLOW / 1000)
            progress(done, total, text)

        return real(audit, refs, out, marking, report)

    monkeypatch.setattr(reports, "write_file_reports", held_while_rendering)
    window = make_window(ANN)
    window.open_audit_file(str(reviewed))
    task = report_actions.write_file_reports(window)
    assert task is not None and task.dialog is not None
    qtbot.waitUntil(rendering.is_set, timeout=SLOW)
    with qtbot.waitSignal(task.cancelled, timeout=SLOW):
        qtbot.mouseClick(task.dialog.findChild(QPushButton), Qt.MouseButton.LeftButton)
        cancel_pressed.set()
    finished(qtbot, task)
    assert not target.exists() and list(save_as.folder.iterdir()) == []  # no temporary file either
    assert window.statusBar().currentMessage() == "Cancelled: cancelled.pdf was not written."


def test_no_reportable_file_is_explained(make_window, audit_path, monkeypatch):
    told = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text, *a: told.append((title, text)))
    monkeypatch.setattr(dialogs.FileReportDialog, "exec", lambda dialog: pytest.fail("no file to choose"))
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))  # a sample drawn, no review started
    action(window, "&File report…").trigger()
    assert told == [("File report", report_actions.NOTHING_TO_REPORT)]
    assert told[0][1].startswith("No file has finished its review yet")


class FakeAuditReport:
    """Stands in for ``reports.write_audit_report``: reports progress three times, then writes a few
    bytes (or raises ``error``)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None]] = []
        self.progress: list[tuple[int, int, str]] = []
        self.error: AuditError | None = None

    def __call__(self, audit, out, marking=None, progress=None) -> Path:
        assert audit.record.title  # an open audit, on the task's own connection
        self.calls.append((str(out), marking))
        for done, text in enumerate(("Gathering", "Rendering", "Done")):
            self.progress.append((done, 2, text))
            if progress is not None:
                progress(done, 2, text)
        if self.error is not None:
            raise self.error
        Path(out).write_bytes(b"%PDF-1.4 fake audit report\n")
        return Path(out)


@pytest.fixture
def audit_report(monkeypatch) -> FakeAuditReport:
    fake = FakeAuditReport()
    monkeypatch.setattr(reports, "write_audit_report", fake)
    return fake


def test_the_report_is_written_with_the_marking_and_path_chosen(make_window, reviewed, monkeypatch, qtbot, save_as,
                                                                 opened, audit_report, ui_settings):
    def choose(dialog):
        assert dialog.marking() == ""  # the audit's own: none was set
        dialog.marking_combo.setEditText("OFFICIAL-SENSITIVE")
        dialog.open_check.setChecked(True)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(dialogs.ReportDialog, "exec", choose)
    target = save_as("audit.pdf")
    window = make_window(ANN)
    window.open_audit_file(str(reviewed))
    finished(qtbot, report_actions.write_report(window))
    assert audit_report.calls == [(str(target), "OFFICIAL-SENSITIVE")]
    assert [text for _, _, text in audit_report.progress] == ["Gathering", "Rendering", "Done"]
    assert target.read_bytes().startswith(b"%PDF")
    assert window.statusBar().currentMessage() == f"Saved {target}"
    assert opened == [str(target)]
    title, suggested = save_as.asked[0]
    assert Path(suggested).name == "Synthetic disproportionate audit (8 files).pdf"
    assert ui_settings.last_folder() == str(save_as.folder)  # the next save dialog starts here


def test_a_refused_report_is_shown_in_a_sentence(make_window, reviewed, monkeypatch, qtbot, save_as, opened,
                                                 audit_report):
    audit_report.error = AuditError("No file has finished its review yet: there is nothing to report.")
    shown = []
    monkeypatch.setattr(report_actions, "show_failure", lambda parent, title, message, details: shown.append(
        (title, message, details)))
    monkeypatch.setattr(dialogs.ReportDialog, "exec", lambda dialog: QDialog.DialogCode.Accepted)
    target = save_as("refused.pdf")
    window = make_window(ANN)
    window.open_audit_file(str(reviewed))
    action(window, "&Report…").trigger()
    qtbot.waitUntil(lambda: bool(shown), timeout=SLOW)
    assert shown == [("The report could not be written",
                      "No file has finished its review yet: there is nothing to report.", "")]
    assert not target.exists() and opened == []
    assert audit_report.calls == [(str(target), "")]  # the audit's own marking: none


def test_the_real_audit_report_through_the_menu(make_window, reviewed, monkeypatch, qtbot, save_as, opened):
    def choose(dialog):
        dialog.marking_combo.setEditText("OFFICIAL-SENSITIVE")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(dialogs.ReportDialog, "exec", choose)
    target = save_as("real.pdf")
    window = make_window(ANN)
    window.open_audit_file(str(reviewed))
    finished(qtbot, report_actions.write_report(window))
    assert window.statusBar().currentMessage() == f"Saved {target}"
    text = pdf_tools.text(target)
    assert "Method appendix" in text and text.count("OFFICIAL-SENSITIVE") >= 2 * pdf_tools.pages(target)
    window.close_audit()
    from audit_app.services import provenance
    with open_audit(reviewed) as audit:
        assert provenance.check_report(audit, target).matches


@pytest.mark.parametrize("which", ["report", "file report"])
def test_enter_accepts_the_dialogs(qtbot, which):
    refs = [f"{i:064x}" for i in range(3)]
    dialog = (dialogs.ReportDialog("OFFICIAL", COMMON_MARKINGS) if which == "report" else
              dialogs.FileReportDialog([(ref, f"{i} of 3") for i, ref in enumerate(refs, 1)], refs[1], "OFFICIAL",
                                       COMMON_MARKINGS))
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    for widget in (dialog.marking_combo, dialog.open_check):
        widget.setFocus()
        qtbot.keyClick(widget if widget is not dialog.marking_combo else widget.lineEdit(), Qt.Key.Key_Return)
        assert dialog.result() == QDialog.DialogCode.Accepted, widget
        dialog.setResult(0)
        dialog.open()
