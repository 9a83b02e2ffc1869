"""Actions that start work on an audit: choose an audit file, open it for work (asking first when
another copy of the app has it open), set up a new one (or finish setting one up) with the wizard,
and open the demo audit (building it the first time). The start page and the File menu run them;
their menu commands are declared at the end."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from audit_app.errors import UserFacingError
from audit_app.ui.file_actions import Refused, show_failure
from audit_app.ui.menu_actions import Command, Workbench
from audit_app.ui.people_actions import ensure_identity
from audit_app.ui.session import AuditInUseError, AuditSession
from audit_app.ui.ui_settings import Identity
from audit_app.ui.workers import run_with_progress

AUDIT_FILTER = "Audit files (*.audit);;All files (*)"


def open_session(parent: QWidget, path: str, identity: Identity) -> AuditSession:
    """Open an audit for ``identity``; when another copy of the app has it, ask whether to take it over."""
    try:
        try:
            session = AuditSession.open(path, identity)
        except AuditInUseError as error:
            answer = QMessageBox.question(parent, "Audit in use", str(error),
                                          QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
                                          QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Open:
                raise Refused() from error
            session = AuditSession.open(path, identity, force=True)
    except UserFacingError as error:
        QMessageBox.warning(parent, "Cannot open the audit", str(error))
        raise Refused() from error
    return session


def choose_audit(bench: Workbench) -> None:
    """Ask for an audit file, then open it."""
    path, _ = QFileDialog.getOpenFileName(bench.window(), "Open an audit", bench.settings.last_folder(), AUDIT_FILTER)
    if path:
        bench.settings.set_last_folder(path)
        bench.open_audit_file(path)


def new_audit(bench: Workbench) -> None:
    """Set up a new audit with the wizard, then open it (or list it, if the wizard stopped part way)."""
    if not ensure_identity(bench):
        return
    from audit_app.ui.wizard import NewAuditWizard

    assert bench.identity is not None  # ensure_identity asked for one
    wizard = NewAuditWizard(bench.settings, bench.identity.display, bench.window())
    finished = wizard.exec()
    path = wizard.audit_path
    if finished and path is not None:
        bench.open_audit_file(str(path))
    elif path is not None:
        bench.settings.add_recent_audit(path)
        bench.show_start()


def resume_setup(bench: Workbench) -> None:
    """The open audit has no sample yet: offer to carry on setting it up in the wizard."""
    from audit_app.ui.wizard import NewAuditWizard

    assert bench.session is not None and bench.identity is not None
    path = bench.session.path
    answer = QMessageBox.question(bench.window(), "Finish setting up", f"{path.name} has no sample yet. Continue setting "
                                  "it up (population import and sample design)?")
    if answer != QMessageBox.StandardButton.Yes:
        bench.show_workspace()
        return
    bench.close_audit()
    wizard = NewAuditWizard(bench.settings, bench.identity.display, bench.window(), resume_path=path)
    wizard.exec()
    bench.open_audit_file(str(path))


def open_demo(bench: Workbench) -> None:
    """Open the demo audit, building it from the police.uk data the first time (in the background)."""
    if not ensure_identity(bench):
        return
    from audit_app.services import demo

    path = demo.default_demo_path()
    if path.exists():
        bench.open_audit_file(str(path))
        return
    parent = bench.window()
    task = run_with_progress(parent, "Demo audit", "Building the demo audit from the police.uk data…",
                             lambda reporter: demo.build_demo(path, progress=reporter.progress))
    task.succeeded.connect(lambda built: bench.open_audit_file(str(built)))
    task.failed.connect(lambda message, details: show_failure(parent, "The demo audit could not be built", message, details))


NEW_AUDIT = Command("&New audit…", new_audit, QKeySequence.StandardKey.New)
OPEN_AUDIT = Command("&Open audit…", choose_audit, QKeySequence.StandardKey.Open)
OPEN_DEMO = Command("Open the &demo audit", open_demo)
