"""Actions on who is working at this computer: asked the first time, changed from the People menu,
and recorded on every change they make (an open audit is reopened as the new person); and, for a
lead auditor, naming another lead of the open audit. The People menu is declared at the end."""

from __future__ import annotations

from contextlib import suppress

from PySide6.QtWidgets import QMessageBox

from audit_app.core.records import Reviewer
from audit_app.services import reviews as review_service
from audit_app.ui.dialogs import IdentityDialog, SecondReviewDialog
from audit_app.ui.file_actions import Refused, attempt, writable_session
from audit_app.ui.menu_actions import Command, Menu, Workbench
from audit_app.ui.session import AuditSession


def ensure_identity(bench: Workbench) -> bool:
    """Ask who is working the first time (returns False if they decline)."""
    if bench.identity is None:
        return change_identity(bench)
    bench.show_identity()
    return True


def change_identity(bench: Workbench) -> bool:
    """Ask who is working; an open audit is closed and opened again for them."""
    dialog = IdentityDialog(bench.identity, bench.window())
    if dialog.exec() != IdentityDialog.DialogCode.Accepted:
        return False
    bench.identity = dialog.identity()
    bench.settings.set_identity(bench.identity)
    if bench.session is not None:
        path = bench.session.path
        bench.close_audit()
        bench.open_audit_file(str(path))
    bench.show_identity()
    return True


def lead_session(bench: Workbench, title: str, may: str) -> AuditSession | None:
    """The open audit's session when a lead auditor of it is working; otherwise ``None``, after telling
    a reviewer in a sentence that only a lead ``may`` (e.g. "name another lead"), or saying that the
    audit is read-only."""
    session = writable_session(bench, title)
    if session is not None and not session.is_lead:
        QMessageBox.information(bench.window(), title, f"Only a lead auditor of this audit can {may}. "
                                f"You work in it as a {session.role_label.lower()}.")
        return None
    return session


def name_lead(bench: Workbench) -> None:
    """A lead auditor of the open audit names another of its reviewers (or someone new) a lead."""
    session = lead_session(bench, "Name a lead auditor", "name another lead")
    if session is None:
        return
    parent = bench.window()
    audit = session.audit
    others = [r for r in review_service.reviewers(audit) if r.role != "lead"]
    dialog = SecondReviewDialog(
        "", others, None, parent, title="Name a lead auditor", label="&Person",
        explanation="A lead auditor of this audit can sign off reviews and moderate. Name a reviewer of the audit, or "
                    "someone new, as a lead; the nomination is recorded in the audit trail with your name.")
    if not dialog.exec():
        return
    choice = dialog.choice()

    def nominate() -> Reviewer:
        person = (review_service.reviewer(audit, choice) if isinstance(choice, int)
                  else review_service.ensure_reviewer(audit, choice[0], choice[1], actor=session.actor))
        return review_service.name_lead(audit, person.id, session.reviewer)

    with suppress(Refused):
        lead = attempt(parent, "Name a lead auditor", nominate)
        bench.show_status(f"{lead.display} is now a lead auditor of this audit.")


MENU = Menu("&People", (Command("&Who is working…", change_identity, "Ctrl+Shift+U"),
                        Command("Name a &lead auditor…", name_lead, needs_audit=True, writes=True)))
