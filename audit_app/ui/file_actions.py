"""Actions on one sampled file and its reviews: each asks something first (a confirmation, a reason, a
reviewer), then calls a service, and says in one sentence why when the service refuses. The first
functions take the dialogs' parent and the session; those at the end are what the window's pages
and menus run, with the window as their Workbench, and show what changed. The other actions modules
share :func:`attempt`, :class:`Refused` and :func:`show_failure`."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TypeVar

from PySide6.QtWidgets import QMessageBox, QWidget

from audit_app.core.records import Reviewer
from audit_app.core.scoring import ReviewResult
from audit_app.errors import UserFacingError
from audit_app.services import moderation, sampling, workspace
from audit_app.services import reviews as review_service
from audit_app.ui.dialogs import HistoryDialog, ReasonDialog, SecondReviewDialog, SignOffDialog
from audit_app.ui.menu_actions import Command, Workbench
from audit_app.ui.session import AuditSession
from audit_app.ui.text import review_summary
from audit_app.ui.ui_settings import folder_writable

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


def review_to_open(parent: QWidget, session: AuditSession, summary: workspace.FileSummary,
                   role: str | None) -> review_service.ReviewState:
    """My review of a file, or the one asked for; a file nobody has started opens as a primary review
    I could start, which its first change starts (opening or stepping through files claims nothing)."""
    try:
        review_id = _review_id_to_open(session, summary, role)
        if review_id is None:
            return review_service.unstarted_state(session.audit, summary.ref, session.reviewer)
        return review_service.review_state(session.audit, review_id, session.reviewer)
    except UserFacingError as error:
        QMessageBox.information(parent, "Review", str(error))
        raise Refused() from error


def _review_id_to_open(session: AuditSession, summary: workspace.FileSummary, role: str | None) -> int | None:
    if role == "second" and summary.second_id is not None:
        return summary.second_id
    if summary.second_id is not None and summary.second_reviewer == session.actor and role != "primary":
        return summary.second_id
    return summary.primary_id


def compare_reviews(parent: QWidget, session: AuditSession,
                    ref: str) -> tuple[moderation.Comparison, ReviewResult, ReviewResult, ReviewResult | None]:
    """Where a file's two reviews differ, the result of each, and the agreed result once agreed."""
    try:
        comparison = moderation.compare(session.audit, ref)
    except UserFacingError as error:
        QMessageBox.information(parent, "Moderation", str(error))
        raise Refused() from error
    primary = review_service.review_result(session.audit, comparison.primary.id)
    second = review_service.review_result(session.audit, comparison.second.id)
    agreed = moderation.agreed_result(session.audit, ref) if comparison.state == moderation.AGREED else None
    return comparison, primary, second, agreed


def sign_off(parent: QWidget, session: AuditSession, review_id: int) -> None:
    """Show the review's result and ask for the signer's staff number, then sign it off."""
    audit = session.audit
    review = attempt(parent, "Sign off", lambda: review_service.review_state(audit, review_id, session.reviewer)).review
    problem = review_service.signer_problem(audit, review, session.reviewer)
    if problem:
        QMessageBox.warning(parent, "Sign off", problem)
        raise Refused()
    summary = review_summary(audit.checklist, review_service.review_result(audit, review_id))
    dialog = SignOffDialog(review.ref, review.reviewer.display, summary, session.reviewer, parent)
    if not dialog.exec():
        raise Refused()
    staff_number = dialog.staff_number()
    attempt(parent, "Sign off", lambda: review_service.sign_off(audit, review_id, session.reviewer, staff_number))


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


def writable_output(parent: QWidget, title: str, path: str) -> bool:
    """Whether a report or an export can be written at ``path``; when its folder cannot be written to
    (the read-only archive an audit was opened from, say) one sentence says so first."""
    folder = Path(path).parent
    if not folder.is_dir() or folder_writable(folder):  # (a missing folder: the service says so)
        return True
    QMessageBox.warning(parent, title, f"Cannot write {Path(path).name} in {folder}: that folder cannot be written to "
                        "(read-only). Choose a folder you can write to; nothing was written.")
    return False


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


# -- what the window's pages and menus run


def writable_session(bench: Workbench, title: str) -> AuditSession | None:
    """The open audit's session when it can be written; ``None`` when no audit is open, or after
    saying in a sentence that it is read-only (the window disables what writes: this is the guard
    behind that, for an action that is reached anyway)."""
    session = bench.session
    if session is not None and session.read_only:
        QMessageBox.information(bench.window(), title, session.read_only_refusal)
        return None
    return session


def sign_off_file(bench: Workbench, ref: str) -> None:
    """Sign off the file's review that is complete and not mine: the primary review, else the second."""
    summary, session = bench.file(ref), writable_session(bench, "Sign off")
    if summary is not None and session is not None:
        primary = summary.status == "complete" and (summary.reviewer != session.actor or summary.second_status != "complete")
        sign_off_review(bench, summary.primary_id if primary else summary.second_id)


def sign_off_review(bench: Workbench, review_id: int | None) -> None:
    session = writable_session(bench, "Sign off")
    if session is not None and review_id is not None:
        with suppress(Refused):
            sign_off(bench.window(), session, review_id)
            bench.show_review_changed(review_id)
            entries, head = workspace.trail_head(session.audit)
            bench.show_status(f"Signed off. Audit trail head {head} ({entries} entries): keep it with the sign-off "
                              "record; verify --head proves the trail still extends it.")


def change_review(bench: Workbench, review_id: int) -> None:
    """Reopen a signed-off review for a change, with a reason."""
    session = writable_session(bench, "Change after sign-off")
    if session is not None:
        with suppress(Refused):
            change_after_sign_off(bench.window(), session, review_id)
            bench.show_review_changed(review_id)


def start_second_review(bench: Workbench, ref: str) -> None:
    """Assign the file's second review; open it at once when it is mine."""
    session, summary = writable_session(bench, "Second review"), bench.file(ref)
    if session is None or summary is None:
        return
    with suppress(Refused):
        reviewer = assign_second_review(bench.window(), session, summary)
        bench.refresh_workspace()
        if reviewer.id == session.reviewer.id:
            bench.open_review(ref, "second")


def replace_file(bench: Workbench, ref: str) -> None:
    """Replace an out-of-scope file by its stratum's next reserve, and select the replacement."""
    session = writable_session(bench, "Replace a file")
    if session is not None:
        with suppress(Refused):
            old, new = replace(bench.window(), session, ref)
            bench.refresh_workspace()
            bench.select_file(new)
            bench.show_status(f"{old} was replaced by {new}.")


def record_agreed(bench: Workbench, ref: str, target: str, value: object, reason: str) -> None:
    """Moderation: record the agreed answer for one difference, then show the comparison again."""
    session = writable_session(bench, "Moderation")
    if session is not None:
        with suppress(Refused):
            attempt(bench.window(), "Moderation", lambda: moderation.record_agreed(
                session.audit, ref, target, value, reason, session.reviewer))
            bench.moderate(ref)


def history(bench: Workbench, ref: str | None = None) -> None:
    """The history of ``ref``, or of the file on screen (or selected in the workspace)."""
    ref = ref or bench.current_ref()
    if bench.session is not None and ref:
        with suppress(Refused):
            show_history(bench.window(), bench.session, ref)


HISTORY = Command("File &history…", history, "Ctrl+H", needs_audit=True)

