"""Actions that ask something first (a confirmation, a reason, a reviewer, a file name), then call a
service, and say in one sentence why when the service refuses. The main window calls them and
refreshes what they changed."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from audit_app.core.records import Reviewer
from audit_app.errors import UserFacingError
from audit_app.services import reviews as review_service
from audit_app.services import sampling, workspace
from audit_app.services.audits import open_audit
from audit_app.services.verification import VerifyReport, verify
from audit_app.ui.dialogs import HistoryDialog, ReasonDialog, SecondReviewDialog
from audit_app.ui.session import AuditSession
from audit_app.ui.ui_settings import UiSettings
from audit_app.ui.workers import Reporter, Task, run_with_progress

T = TypeVar("T")


class Refused(Exception):
    """The service refused (the reason has been shown), or the user cancelled."""


def attempt(parent: QWidget, title: str, action: Callable[[], T]) -> T:
    """Run a service call; a refusal is shown as its sentence and raised as :class:`Refused`."""
    try:
        return action()
    except UserFacingError as error:
        QMessageBox.warning(parent, title, str(error))
        raise Refused() from error


def sign_off(parent: QWidget, session: AuditSession, review_id: int) -> None:
    answer = QMessageBox.question(parent, "Sign off", "Sign off this review? It is then locked: any later change needs "
                                  "a reason and voids the sign-off until it is signed again.")
    if answer != QMessageBox.StandardButton.Yes:
        raise Refused()
    attempt(parent, "Sign off", lambda: review_service.sign_off(session.audit, review_id, session.reviewer))


def change_after_sign_off(parent: QWidget, session: AuditSession, review_id: int) -> None:
    reason = _ask_reason(parent, "Change after sign-off", "This review is signed off. Changing it voids the sign-off until "
                         "a lead auditor signs it again, and marks it as changed after sign-off for good.")
    attempt(parent, "Change after sign-off",
            lambda: review_service.change_after_sign_off(session.audit, review_id, reason, session.reviewer))


def assign_second_review(parent: QWidget, session: AuditSession, summary: workspace.FileSummary) -> Reviewer:
    """Ask who does the independent second review of a file, and start it for them."""
    if summary.second_id is not None:
        QMessageBox.information(parent, "Second review", f"{summary.ref} already has a second review by {summary.second_reviewer}.")
        raise Refused()
    audit = session.audit
    primary = review_service.review_state(audit, summary.primary_id).review.reviewer if summary.primary_id else None
    dialog = SecondReviewDialog(summary.ref, review_service.reviewers(audit), primary, parent)
    if not dialog.exec():
        raise Refused()
    choice = dialog.choice()

    def start() -> Reviewer:
        reviewer = (review_service.reviewer(audit, choice) if isinstance(choice, int)
                    else review_service.ensure_reviewer(audit, choice[0], choice[1], actor=session.actor))
        review_service.start_review(audit, summary.ref, reviewer, "second", actor=session.actor)
        return reviewer

    return attempt(parent, "Second review", start)


def replace(parent: QWidget, session: AuditSession, ref: str) -> tuple[str, str]:
    """Replace an out-of-scope file by its stratum's next reserve: (replaced, replacement)."""
    reason = _ask_reason(parent, "Replace a file", f"Replace {ref} by the next reserve file of its stratum because it turns "
                         "out to be out of scope. Say why: the reason is part of the audit's method record.")
    return attempt(parent, "Replace a file", lambda: sampling.replace_unit(session.audit, ref, reason, actor=session.actor))


def show_history(parent: QWidget, session: AuditSession, ref: str) -> None:
    entries = attempt(parent, "History", lambda: workspace.file_history(session.audit, ref))
    HistoryDialog(ref, entries, parent).exec()


def export_item_table(parent: QWidget, settings: UiSettings, session: AuditSession, results: workspace.Results) -> str:
    """Write the results' item table to a CSV file the user names; returns its path."""
    path, _ = QFileDialog.getSaveFileName(parent, "Export the item table", settings.last_folder(), "CSV files (*.csv)")
    if not path:
        raise Refused()
    settings.set_last_folder(path)
    attempt(parent, "Export", lambda: workspace.write_csv(path, workspace.item_table(session.audit, results)))
    return path


def verify_in_background(parent: QWidget, session: AuditSession) -> Task:
    """Check the audit file and its trail in a background task (its own connection), then report."""
    path = session.path

    def run(reporter: Reporter) -> VerifyReport:
        with open_audit(path) as audit:
            return verify(audit)

    task = run_with_progress(parent, "Verify", "Checking the audit file and its audit trail…", run)
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


def show_failure(parent: QWidget, title: str, message: str, details: str) -> None:
    """A background task failed: its sentence, and for a bug the traceback under Details."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent)
    if details:
        box.setDetailedText(details)
    box.exec()


def _ask_reason(parent: QWidget, title: str, explanation: str) -> str:
    dialog = ReasonDialog(title, explanation, parent)
    if not dialog.exec():
        raise Refused()
    return dialog.reason_text()

