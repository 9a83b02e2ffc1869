"""Actions on the open audit as a whole: verify the file against its trail, grade the sample and
compute the results (all three in the background), export the results' item table, and the help (the checklist browser, the
keyboard). Each asks what it needs first, then calls one service and says in one sentence why when
the service refuses; their menu commands are declared at the end."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from audit_app.core.results.model import AuditResults
from audit_app.services import exports
from audit_app.services import results as results_service
from audit_app.services import settings as settings_service
from audit_app.services import workspace
from audit_app.services.verification import VerifyReport, verify
from audit_app.ui.dialogs import ExportDialog, SettingsDialog
from audit_app.ui.file_actions import Refused, attempt, show_failure, writable_output
from audit_app.ui.menu_actions import Command, Workbench
from audit_app.ui.people_actions import lead_session
from audit_app.ui.session import AuditSession
from audit_app.ui.ui_settings import UiSettings
from audit_app.ui.workers import Reporter, Task, on_audit, run_with_progress


def verify_in_background(parent: QWidget, session: AuditSession) -> Task:
    """Check the audit file and its trail in a background task (its own connection), then report."""
    task = run_with_progress(parent, "Verify", "Checking the audit file and its audit trail…", on_audit(session.path, verify))
    task.succeeded.connect(lambda report: _show_verification(parent, report))
    task.failed.connect(lambda message, details: show_failure(parent, "Verification could not run", message, details))
    return task


def _show_verification(parent: QWidget, report: VerifyReport) -> None:
    checks = "\n".join(f"• {check}" for check in report.checks)
    if report.ok:
        QMessageBox.information(parent, "Verify", f"The audit is intact.\n\nChecked:\n{checks}")
        return
    problems = "\n".join(f"• {p}" for p in report.problems[:20])
    more = f"\n…and {len(report.problems) - 20} more" if len(report.problems) > 20 else ""
    QMessageBox.warning(parent, "Verify", f"The audit file differs from its audit trail:\n{problems}{more}\n\nChecked:\n{checks}")


def grading(session: AuditSession) -> Task:
    """A background task (not started yet) that grades every review of the sample on its own connection."""
    return Task(on_audit(session.path, workspace.grade_sample))


def computing_results(session: AuditSession) -> Task:
    """A background task (not started yet) that computes every result of the audit, agreement included,
    on its own connection, reporting its progress: ``results.audit_results(audit, progress=...)``."""

    def compute(reporter: Reporter) -> AuditResults:
        return on_audit(session.path, results_service.audit_results, progress=True)(reporter)

    return Task(compute)


def export_item_table(parent: QWidget, settings: UiSettings, results: AuditResults) -> str:
    """Write the results' item table (``results.item_table``) to a CSV file the user names; returns its path."""
    path, _ = QFileDialog.getSaveFileName(parent, "Export the item table", settings.output_folder(), "CSV files (*.csv)")
    if not path or not writable_output(parent, "Export", path):
        raise Refused()
    settings.set_last_folder(path)
    attempt(parent, "Export", lambda: workspace.write_csv(path, results_service.item_table(results)))
    return path


# -- what the window's menus and pages run


def verify_audit(bench: Workbench) -> None:
    if bench.session is not None:
        verify_in_background(bench.window(), bench.session)


def export_results(bench: Workbench) -> None:
    """The results page's item table, as a CSV file."""
    results = bench.current_results()
    if bench.session is not None and results is not None:
        with suppress(Refused):
            path = export_item_table(bench.window(), bench.settings, results)
            bench.show_status(f"Saved {path}")


def change_settings(bench: Workbench) -> None:
    """A lead auditor changes the audit's protective marking and whether reports show file references."""
    session = lead_session(bench, "Audit settings", "change its settings")
    if session is None:
        return
    parent = bench.window()
    audit = session.audit
    dialog = SettingsDialog(settings_service.audit_settings(audit), settings_service.COMMON_MARKINGS, parent)
    if not dialog.exec():
        return
    with suppress(Refused):
        changed = attempt(parent, "Audit settings", lambda: settings_service.change_settings(
            audit, session.reviewer, marking=dialog.marking(), show_references=dialog.show_references(),
            reason=dialog.reason()))
        references = "may show file references" if changed.show_references else "name files by their position"
        bench.show_status(f"Marking: {changed.marking or 'none'}; reports {references}.")


def export_audit(bench: Workbench) -> Task | None:
    """Export the audit (File ▸ Export…) as a background task with progress and Cancel; returns the task."""
    session = bench.session
    if session is None:
        return None
    parent = bench.window()
    dialog = ExportDialog(settings_service.audit_settings(session.audit).marking, parent)
    if not dialog.exec():
        return None
    fmt = dialog.format()
    suggested = str(Path(bench.settings.output_folder()) / f"{session.path.stem}.{fmt}")
    path, _ = QFileDialog.getSaveFileName(parent, "Export the audit", suggested, f"{fmt.upper()} files (*.{fmt})")
    if not path or not writable_output(parent, "Export", path):
        return None
    bench.settings.set_last_folder(path)
    notes, names, show = not dialog.no_notes_check.isChecked(), not dialog.no_names_check.isChecked(), dialog.open_check.isChecked()
    task = run_with_progress(parent, "Export", f"Exporting to {Path(path).name}…",
                             on_audit(session.path, exports.export, fmt, path, notes=notes, names=names, progress=True))

    def done(result: object) -> None:
        bench.show_status(f"Saved {path}")
        if show:
            QDesktopServices.openUrl(QUrl.fromLocalFile(path))

    task.succeeded.connect(done)
    task.failed.connect(lambda message, details: show_failure(parent, "The export could not be written", message, details))
    return task


def show_checklists(bench: Workbench) -> None:
    from audit_app.ui.checklist_window import ChecklistWindow

    window = ChecklistWindow(bench.window())
    window.setWindowFlag(Qt.WindowType.Window)
    window.show()


def show_keys(bench: Workbench) -> None:
    QMessageBox.information(bench.window(), "Keyboard", KEYS_HELP)


KEYS_HELP = """Workspace: Enter opens the selected file; Ctrl+J selects the next file to do; Ctrl+F filters.

Review page, in the item list: Up/Down move between items; 1–5 or M, P, N, R, A answer the item; Enter goes to its \
note and Escape comes back. From anywhere on the page: Ctrl+Down/Ctrl+Up next/previous item; Ctrl+Page Down/Up \
next/previous file; Ctrl+Return completes the review; Ctrl+Z/Ctrl+Y undo and redo; Alt+W back to the workspace.

Results page: Alt+D the dashboard, Alt+A agreement between reviewers (Enter on a disagreement opens the file's \
moderation), Alt+O the order of the chart's items.

Everywhere: Ctrl+1 workspace, Ctrl+2 results, Ctrl+3 agreement, Ctrl+H the file's history, Ctrl+Shift+U who is working."""

VERIFY = Command("&Verify this audit", verify_audit, needs_audit=True)
SETTINGS = Command("Audit &settings…", change_settings, needs_audit=True, writes=True)
EXPORT = Command("E&xport…", export_audit, needs_audit=True)
CHECKLISTS = Command("&Checklist browser", show_checklists)
KEYBOARD = Command("&Keyboard", show_keys, QKeySequence.StandardKey.HelpContents)
