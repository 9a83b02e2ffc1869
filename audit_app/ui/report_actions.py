"""Reports from the File menu (issue 11 §4): File ▸ Report… writes the audit report, File ▸ File
report… the review reports of reviewed files. Each asks what and where (a dialog, then the file),
then writes the PDF as a background task with progress and Cancel (the services write atomically,
so a cancel or a failure leaves no file), says where it was saved and opens it with the system
viewer when asked; their menu commands are declared at the end."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from audit_app.services import reports, workspace
from audit_app.services import settings as settings_service
from audit_app.services.audits import Audit
from audit_app.ui.dialogs import FileReportDialog, ReportDialog
from audit_app.ui.file_actions import show_failure, writable_output
from audit_app.ui.menu_actions import Command, Workbench
from audit_app.ui.workers import Task, on_audit, run_with_progress

NOTHING_TO_REPORT = ("No file has finished its review yet, so there is no file report to write: a file can be reported "
                     "once its review is complete or signed off (and its second review too, where it has one).")


def open_with_viewer(path: str) -> None:
    """Show a written file in the system's viewer for its type (tests replace this)."""
    QDesktopServices.openUrl(QUrl.fromLocalFile(path))


def _suggested(bench: Workbench, name: str) -> str:
    """``name``.pdf in the last used folder (when it can be written to), without the characters a file
    name cannot hold."""
    stem = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", name).strip(" .") or "report"
    return str(Path(bench.settings.output_folder()) / f"{stem}.pdf")


def _write_in_background(bench: Workbench, title: str, path: str, show: bool, service: Callable[..., Path],
                         *args: Any, **kwargs: Any) -> Task:
    """``service(audit, *args, path, progress=…, **kwargs)`` as a task with a progress dialog; then the
    status bar says where it was saved, and the viewer opens it when asked."""
    session = bench.session
    assert session is not None
    parent: QWidget = bench.window()
    task = run_with_progress(parent, title, f"Writing {Path(path).name}…",
                             on_audit(session.path, service, *args, path, progress=True, **kwargs))

    def done(result: object) -> None:
        written = str(result) if isinstance(result, Path) else path
        bench.show_status(f"Saved {written}")
        if show:
            open_with_viewer(written)

    task.succeeded.connect(done)
    task.cancelled.connect(lambda: bench.show_status(f"Cancelled: {Path(path).name} was not written."))
    task.failed.connect(lambda message, details: show_failure(parent, "The report could not be written", message, details))
    return task


def _write_audit_report(audit: Audit, out: str, *, marking: str, progress: Callable[[int, int, str], None]) -> Path:
    return reports.write_audit_report(audit, out, marking=marking, progress=progress)


def write_report(bench: Workbench) -> Task | None:
    """File ▸ Report…: the audit report, as a background task with progress and Cancel; returns the task."""
    session = bench.session
    if session is None:
        return None
    parent = bench.window()
    dialog = ReportDialog(settings_service.audit_settings(session.audit).marking, settings_service.COMMON_MARKINGS,
                          parent)
    if not dialog.exec():
        return None
    path, _ = QFileDialog.getSaveFileName(parent, "Write the audit report", _suggested(bench, session.audit.record.title),
                                          "PDF files (*.pdf)")
    if not path or not writable_output(parent, "Audit report", path):
        return None
    bench.settings.set_last_folder(path)
    return _write_in_background(bench, "Audit report", path, dialog.open_when_written(), _write_audit_report,
                                marking=dialog.marking())


def write_file_reports(bench: Workbench) -> Task | None:
    """File ▸ File report…: the review reports of the file on screen, of every reviewed file or of
    chosen ones, as a background task with progress and Cancel; returns the task."""
    session = bench.session
    if session is None:
        return None
    parent = bench.window()
    audit = session.audit
    reportable = reports.reportable_refs(audit)
    if not reportable:
        QMessageBox.information(parent, "File report", NOTHING_TO_REPORT)
        return None
    # positions as the reports give them: the order of the sample, replaced files left out
    selected = [f.ref for f in workspace.overview(audit) if f.status != workspace.REPLACED]
    position = {ref: index for index, ref in enumerate(selected, start=1)}
    files = [(ref, f"{position[ref]} of {len(selected)}") for ref in reportable]
    dialog = FileReportDialog(files, bench.current_ref(), settings_service.audit_settings(audit).marking,
                              settings_service.COMMON_MARKINGS, parent)
    if not dialog.exec():
        return None
    refs = dialog.refs()
    if isinstance(refs, list) and len(refs) == 1:
        name = f"{audit.record.title} - file {position[refs[0]]}"
    else:
        name = f"{audit.record.title} - file reports"
    path, _ = QFileDialog.getSaveFileName(parent, "Write the file reports", _suggested(bench, name), "PDF files (*.pdf)")
    if not path or not writable_output(parent, "File report", path):
        return None
    bench.settings.set_last_folder(path)
    return _write_in_background(bench, "File reports", path, dialog.open_when_written(), reports.write_file_reports,
                                refs, marking=dialog.marking())


REPORT = Command("&Report…", write_report, needs_audit=True)
FILE_REPORT = Command("&File report…", write_file_reports, needs_audit=True)
