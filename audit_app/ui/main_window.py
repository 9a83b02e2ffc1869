"""The main window: start page, workspace, review, moderation and results pages, their menus, and the
wiring of every page's intents to the services (the pages themselves never call a service)."""

from __future__ import annotations

import logging
from contextlib import suppress
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox, QStackedWidget, QWidget

from audit_app.errors import UserFacingError
from audit_app.services import moderation, workspace
from audit_app.services import reviews as review_service
from audit_app.services.audits import open_audit
from audit_app.ui import file_actions
from audit_app.ui.dialogs import IdentityDialog
from audit_app.ui.file_actions import Refused
from audit_app.ui.moderation_page import ModerationPage
from audit_app.ui.results_page import ResultsPage
from audit_app.ui.review_controller import ReviewController
from audit_app.ui.review_page import OpenReview, ReviewPage
from audit_app.ui.session import AuditInUseError, AuditSession
from audit_app.ui.start_page import StartPage
from audit_app.ui.ui_settings import Identity, Position, UiSettings
from audit_app.ui.workers import Reporter, Task, run_with_progress
from audit_app.ui.workspace_page import WorkspacePage

log = logging.getLogger(__name__)
AUDIT_FILTER = "Audit files (*.audit);;All files (*)"


def _grade_in_background(path: Path):  # type: ignore[no-untyped-def]
    """For a background task: grade every review of the audit on the task's own connection."""

    def run(reporter: Reporter) -> dict[str, workspace.FileGrades]:
        with open_audit(path) as audit:
            return workspace.grade_sample(audit)

    return run


class MainWindow(QMainWindow):
    """One window; one audit open at a time."""

    def __init__(self, settings: UiSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings
        self.identity: Identity | None = settings.identity()
        self.session: AuditSession | None = None
        self.files: list[workspace.FileSummary] = []
        self.grades: dict[str, workspace.FileGrades] = {}
        self._grade_task: Task | None = None
        self._moderating: str | None = None
        self._reviewing: str | None = None  # the file whose review was opened last
        self._current_results: workspace.Results | None = None
        self.setWindowTitle("audit-app")
        self.stack = QStackedWidget(self)
        self.setCentralWidget(self.stack)
        self.start_page = StartPage(self)
        self.workspace_page = WorkspacePage(self)
        self.stack.addWidget(self.start_page)
        self.stack.addWidget(self.workspace_page)
        self.review_page: ReviewPage | None = None
        self.moderation_page: ModerationPage | None = None
        self.results_page: ResultsPage | None = None
        self.identity_label = QLabel(self)
        self.statusBar().addPermanentWidget(self.identity_label)
        self._build_actions()
        self._connect_signals()
        self._restore_state()
        self._show_start()

    # -- construction

    def _build_actions(self) -> None:
        def action(menu, text: str, slot, shortcut: QKeySequence | str | None = None) -> QAction:  # type: ignore[no-untyped-def]
            act = QAction(text, self)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
            act.triggered.connect(slot)
            menu.addAction(act)
            return act

        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        action(file_menu, "&New audit…", self.new_audit, QKeySequence.StandardKey.New)
        action(file_menu, "&Open audit…", self.choose_audit, QKeySequence.StandardKey.Open)
        action(file_menu, "Open the &demo audit", self.open_demo)
        file_menu.addSeparator()
        self.verify_action = action(file_menu, "&Verify this audit", self.verify_audit)
        self.close_action = action(file_menu, "&Close audit", self.close_audit, QKeySequence.StandardKey.Close)
        file_menu.addSeparator()
        action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        go_menu = menus.addMenu("&Go")
        self.workspace_action = action(go_menu, "&Workspace", self.show_workspace, "Ctrl+1")
        self.results_action = action(go_menu, "&Results", self.show_results, "Ctrl+2")
        action(go_menu, "&Start page", self._show_start, "Ctrl+0")
        self.history_action = action(go_menu, "File &history…", self.show_history, "Ctrl+H")
        people_menu = menus.addMenu("&People")
        action(people_menu, "&Who is working…", self.change_identity, "Ctrl+Shift+U")
        help_menu = menus.addMenu("&Help")
        action(help_menu, "&Checklist browser", self.show_checklists)
        action(help_menu, "&Keyboard", self.show_keys, QKeySequence.StandardKey.HelpContents)

    def _connect_signals(self) -> None:
        start = self.start_page
        start.new_requested.connect(self.new_audit)
        start.open_requested.connect(self.choose_audit)
        start.open_path_requested.connect(self.open_audit_file)
        start.demo_requested.connect(self.open_demo)
        start.forget_requested.connect(self._forget_recent)
        page = self.workspace_page
        page.open_requested.connect(self.open_review)
        page.second_review_requested.connect(self.assign_second_review)
        page.moderation_requested.connect(self.moderate)
        page.sign_off_requested.connect(self.sign_off_file)
        page.replace_requested.connect(self.replace_file)
        page.history_requested.connect(self.show_history)
        page.results_requested.connect(self.show_results)

    # -- identity

    def ensure_identity(self) -> bool:
        """Ask who is working the first time (returns False if they decline)."""
        if self.identity is None:
            return self.change_identity()
        self._show_identity()
        return True

    def change_identity(self) -> bool:
        dialog = IdentityDialog(self.identity, self)
        if dialog.exec() != IdentityDialog.DialogCode.Accepted:
            return False
        self.identity = dialog.identity()
        self.settings.set_identity(self.identity)
        if self.session is not None:
            path = self.session.path
            self.close_audit()
            self.open_audit_file(str(path))
        self._show_identity()
        return True

    def _show_identity(self) -> None:
        text = f"{self.identity.display} · {self.identity.role_label}" if self.identity else "Nobody signed in"
        self.identity_label.setText(text)
        self.start_page.show_identity(f"Working as <b>{text}</b> (People ▸ Who is working… to change).")

    # -- opening and closing audits

    def choose_audit(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open an audit", self.settings.last_folder(), AUDIT_FILTER)
        if path:
            self.settings.set_last_folder(path)
            self.open_audit_file(path)

    def open_audit_file(self, path: str, position: Position | None = None) -> bool:
        """Open an audit for work; on success show its workspace (or a review where the user was)."""
        if not self.ensure_identity():
            return False
        assert self.identity is not None
        self.close_audit()
        try:
            try:
                session = AuditSession.open(path, self.identity)
            except AuditInUseError as error:
                answer = QMessageBox.question(self, "Audit in use", str(error),
                                              QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
                                              QMessageBox.StandardButton.Cancel)
                if answer != QMessageBox.StandardButton.Open:
                    return False
                session = AuditSession.open(path, self.identity, force=True)
        except UserFacingError as error:
            QMessageBox.warning(self, "Cannot open the audit", str(error))
            return False
        self.session = session
        self.settings.add_recent_audit(session.path)
        self.setWindowTitle(f"audit-app — {session.audit.record.title}")
        self._make_audit_pages()
        self.files = workspace.overview(session.audit)
        if not self.files and not self._sample_drawn():
            self._resume_setup()
            return True
        self.show_workspace()
        if position and position.ref:
            self.open_review(position.ref, position.role, position.item)
        return True

    def _sample_drawn(self) -> bool:
        assert self.session is not None
        try:
            self.session.audit.sample()
        except UserFacingError:
            return False
        return True

    def _make_audit_pages(self) -> None:
        assert self.session is not None
        checklist = self.session.audit.checklist
        for page in (self.review_page, self.moderation_page, self.results_page):
            if page is not None:
                self.stack.removeWidget(page)
                page.deleteLater()
        self.review_page = ReviewPage(checklist, self)
        self.moderation_page = ModerationPage(checklist, self)
        self.results_page = ResultsPage(checklist, self)
        for page in (self.review_page, self.moderation_page, self.results_page):
            self.stack.addWidget(page)
        self.review_page.back_requested.connect(self.show_workspace)
        self.review_page.file_step_requested.connect(self._step_file)
        self.review_page.sign_off_requested.connect(lambda: self._sign_off_review(self._open_review_id()))
        self.review_page.change_requested.connect(self._change_after_sign_off)
        self.review_page.history_requested.connect(lambda: self.show_history(self._open_ref()))
        self.review_page.position_changed.connect(self._save_position)
        self.moderation_page.back_requested.connect(self.show_workspace)
        self.moderation_page.agree_requested.connect(self._record_agreed)
        self.results_page.back_requested.connect(self.show_workspace)
        self.results_page.export_requested.connect(self._export_results)
        self._restore_splitters()

    def close_audit(self) -> None:
        if self.session is None:
            return
        if self.review_page is not None:
            self.review_page.close_review()
        self._save_splitters()
        self.session.close()
        self.session = None
        self.files, self.grades = [], {}
        self.setWindowTitle("audit-app")
        self._show_start()

    def _show_start(self) -> None:
        self.start_page.show_recent([workspace.peek(p) for p in self.settings.recent_audits()])
        self._show_identity()
        self.stack.setCurrentWidget(self.start_page)
        self._update_actions()

    def _forget_recent(self, path: str) -> None:
        self.settings.remove_recent_audit(path)
        self._show_start()

    # -- new audits and the demo

    def new_audit(self) -> None:
        if not self.ensure_identity():
            return
        from audit_app.ui.wizard import NewAuditWizard

        assert self.identity is not None
        wizard = NewAuditWizard(self.settings, self.identity.display, self)
        if wizard.exec() and wizard.audit_path:
            self.open_audit_file(str(wizard.audit_path))
        elif getattr(wizard, "audit_path", None):
            self.settings.add_recent_audit(wizard.audit_path)
            self._show_start()

    def _resume_setup(self) -> None:
        from audit_app.ui.wizard import NewAuditWizard

        assert self.session is not None and self.identity is not None
        path = self.session.path
        answer = QMessageBox.question(self, "Finish setting up", f"{path.name} has no sample yet. Continue setting it up "
                                      "(population import and sample design)?")
        if answer != QMessageBox.StandardButton.Yes:
            self.show_workspace()
            return
        self.close_audit()
        wizard = NewAuditWizard(self.settings, self.identity.display, self, resume_path=path)
        wizard.exec()
        self.open_audit_file(str(path))

    def open_demo(self) -> None:
        if not self.ensure_identity():
            return
        from audit_app.services import demo

        path = demo.default_demo_path()
        if path.exists():
            self.open_audit_file(str(path))
            return
        task = run_with_progress(self, "Demo audit", "Building the demo audit from the police.uk data…",
                                 lambda reporter: demo.build_demo(path, progress=reporter.progress))
        task.succeeded.connect(lambda built: self.open_audit_file(str(built)))
        task.failed.connect(lambda message, details: file_actions.show_failure(self, "The demo audit could not be built",
                                                                              message, details))

    # -- the workspace

    def refresh_workspace(self) -> None:
        """Reload the sample's state (fast) and regrade it in the background."""
        if self.session is None:
            return
        audit = self.session.audit
        self.files = workspace.overview(audit)
        plan_text = ""
        try:
            plan_text = audit.sample().plan.statement
        except UserFacingError:
            plan_text = "No sample has been drawn yet."
        record = audit.record
        details = f"{audit.checklist.title} (version {audit.checklist.version}). {record.scope}\n{plan_text}".strip()
        self.workspace_page.show_audit(record.title, details, self.files, self.session.actor)
        self.workspace_page.set_grades(self.grades)
        self._regrade()
        self._update_actions()

    def _regrade(self) -> None:
        assert self.session is not None
        task = Task(_grade_in_background(self.session.path))
        task.succeeded.connect(self._on_grades)  # a bound slot: dropped if this window is deleted first
        task.failed.connect(self._on_grading_failed)
        self._grade_task = task
        task.start()

    def _on_grading_failed(self, message: str, details: str) -> None:
        log.warning("grading failed: %s\n%s", message, details)

    def _on_grades(self, grades: dict[str, workspace.FileGrades]) -> None:
        if self.sender() is not self._grade_task or self.session is None:
            return  # a later grading was started, or the audit was closed meanwhile
        self.grades = grades
        self.workspace_page.set_grades(grades)
        if self.results_page is not None and self.stack.currentWidget() is self.results_page:
            self._fill_results()

    def show_workspace(self) -> None:
        if self.session is None:
            self._show_start()
            return
        if self.review_page is not None:
            self.review_page.close_review()
        self._save_position(None)
        self.refresh_workspace()
        self.stack.setCurrentWidget(self.workspace_page)
        self.workspace_page.focus_table()
        self._update_actions()

    def _update_actions(self) -> None:
        has_audit = self.session is not None
        for act in (self.verify_action, self.close_action, self.workspace_action, self.results_action, self.history_action):
            act.setEnabled(has_audit)

    # -- reviews

    def open_review(self, ref: str, role: str | None = None, item: str | None = None) -> None:
        """Open my review of a file (starting the primary review if nobody has), or the one asked for."""
        session = self.session
        if session is None or self.review_page is None:
            return
        summary = next((f for f in self.files if f.ref == ref), None)
        if summary is None or summary.status == workspace.REPLACED:
            return
        try:
            review_id = self._review_to_open(summary, role)
            state = review_service.review_state(session.audit, review_id, session.reviewer)
        except UserFacingError as error:
            QMessageBox.information(self, "Review", str(error))
            return
        controller = ReviewController(session.audit, state, session.reviewer, self.review_page)
        review = state.review
        title = f"{review.role.capitalize()} review of {ref}"
        details = (f"{summary.offence} · {summary.area} · {summary.month} · stratum {summary.stratum} · "
                   f"reviewer {review.reviewer.display}")
        can_sign_off = session.is_lead and review.reviewer.id != session.reviewer.id
        self.review_page.show_review(controller, title, details, can_sign_off, item)
        self._reviewing = ref
        self.stack.setCurrentWidget(self.review_page)
        self.review_page.focus_items()
        self._save_position(self.review_page.current_target())
        self._update_actions()

    def _review_to_open(self, summary: workspace.FileSummary, role: str | None) -> int:
        session = self.session
        assert session is not None
        if role == "second" and summary.second_id is not None:
            return summary.second_id
        if summary.second_id is not None and summary.second_reviewer == session.actor and role != "primary":
            return summary.second_id
        if summary.primary_id is not None:
            return summary.primary_id
        return review_service.start_review(session.audit, summary.ref, session.reviewer, actor=session.actor).id

    def _open_review(self) -> OpenReview | None:
        return self.review_page.current_review() if self.review_page is not None else None

    def _open_review_id(self) -> int | None:
        shown = self._open_review()
        return shown.review_id if shown is not None else None

    def _open_ref(self) -> str | None:
        shown = self._open_review()
        return shown.ref if shown is not None else None

    def _step_file(self, step: int) -> None:
        """Next: the next file to do (mine in progress, else one not started, which this starts).
        Previous: the nearest earlier file that has been started, in the workspace's order."""
        page = self.workspace_page
        target = (page.next_to_do(self._reviewing) if step > 0 else None) or page.neighbour(self._reviewing, step)
        if target is None:
            self.show_workspace()
            return
        self.workspace_page.select_ref(target)
        self.open_review(target)

    def _save_position(self, item: str | None) -> None:
        """Remember where the reviewer is, to land there again after a restart."""
        if self.session is None:
            return
        shown = self._open_review()
        if item is None or shown is None:
            self.settings.set_position(Position(str(self.session.path)))
            return
        self.settings.set_position(Position(str(self.session.path), shown.ref, shown.role, item))

    # -- sign-off, second reviews, moderation and other file actions (each asks first: file_actions)

    def sign_off_file(self, ref: str) -> None:
        summary = next((f for f in self.files if f.ref == ref), None)
        if summary is not None:
            self._sign_off_review(summary.primary_id if summary.status == "complete" else summary.second_id)

    def _sign_off_review(self, review_id: int | None) -> None:
        if self.session is not None and review_id is not None:
            with suppress(Refused):
                file_actions.sign_off(self, self.session, review_id)
                self._after_review_change(review_id)

    def _change_after_sign_off(self) -> None:
        review_id = self._open_review_id()
        if self.session is not None and review_id is not None:
            with suppress(Refused):
                file_actions.change_after_sign_off(self, self.session, review_id)
                self._after_review_change(review_id)

    def _after_review_change(self, review_id: int) -> None:
        """Show a review's new state (reopening it if it is the one on screen)."""
        shown = self._open_review()
        self.refresh_workspace()
        if shown is not None and shown.review_id == review_id:
            self.open_review(shown.ref, shown.role, shown.target)

    def assign_second_review(self, ref: str) -> None:
        summary = next((f for f in self.files if f.ref == ref), None)
        if self.session is None or summary is None:
            return
        with suppress(Refused):
            reviewer = file_actions.assign_second_review(self, self.session, summary)
            self.refresh_workspace()
            if reviewer.id == self.session.reviewer.id:
                self.open_review(ref, "second")

    def moderate(self, ref: str) -> None:
        session = self.session
        if session is None or self.moderation_page is None:
            return
        try:
            comparison = moderation.compare(session.audit, ref)
        except UserFacingError as error:
            QMessageBox.information(self, "Moderation", str(error))
            return
        self._moderating = ref
        primary = review_service.review_result(session.audit, comparison.primary.id)
        second = review_service.review_result(session.audit, comparison.second.id)
        agreed = moderation.agreed_result(session.audit, ref) if comparison.state == moderation.AGREED else None
        self.moderation_page.show_comparison(comparison, primary, second, agreed, session.is_lead)
        self.stack.setCurrentWidget(self.moderation_page)

    def _record_agreed(self, target: str, value: object, reason: str) -> None:
        session, ref = self.session, self._moderating
        if session is not None and ref is not None:
            with suppress(Refused):
                file_actions.attempt(self, "Moderation", lambda: moderation.record_agreed(
                    session.audit, ref, target, value, reason, session.reviewer))
                self.moderate(ref)

    def replace_file(self, ref: str) -> None:
        if self.session is not None:
            with suppress(Refused):
                old, new = file_actions.replace(self, self.session, ref)
                self.refresh_workspace()
                self.workspace_page.select_ref(new)
                self.statusBar().showMessage(f"{old} was replaced by {new}.", 8000)

    def show_history(self, ref: str | None = None) -> None:
        ref = ref or (self._open_ref() if self.stack.currentWidget() is self.review_page else self.workspace_page.current_ref())
        if self.session is not None and ref:
            with suppress(Refused):
                file_actions.show_history(self, self.session, ref)

    # -- results

    def show_results(self) -> None:
        if self.session is None or self.results_page is None:
            return
        self._fill_results()
        self.stack.setCurrentWidget(self.results_page)

    def _fill_results(self) -> None:
        assert self.session is not None and self.results_page is not None
        self._current_results = workspace.results(self.session.audit, self.files, self.grades)
        self.results_page.show_results(self._current_results)

    def _export_results(self) -> None:
        if self.session is not None and self._current_results is not None:
            with suppress(Refused):
                path = file_actions.export_item_table(self, self.settings, self.session, self._current_results)
                self.statusBar().showMessage(f"Saved {path}", 8000)

    # -- checks and help

    def verify_audit(self) -> None:
        if self.session is not None:
            file_actions.verify_in_background(self, self.session)

    def show_checklists(self) -> None:
        from audit_app.ui.checklist_window import ChecklistWindow

        window = ChecklistWindow(self)
        window.setWindowFlag(Qt.WindowType.Window)
        window.show()

    def show_keys(self) -> None:
        QMessageBox.information(self, "Keyboard", KEYS_HELP)

    # -- window state

    def _restore_state(self) -> None:
        geometry = self.settings.state("main_window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:  # first use: most of the screen, leaving room for the taskbar
            width = self.fontMetrics().averageCharWidth()
            self.resize(width * 170, self.fontMetrics().lineSpacing() * 42)
            screen = self.screen().availableGeometry() if self.screen() else None
            if screen is not None and screen.width() > 0:
                self.resize(int(screen.width() * 0.85), int(screen.height() * 0.85))

    def _laid_out_pages(self) -> dict[str, WorkspacePage | ReviewPage]:
        """The pages whose layout the user adjusts (sizes, column widths, sort), by settings key."""
        pages: dict[str, WorkspacePage | ReviewPage] = {"workspace": self.workspace_page}
        if self.review_page is not None:
            pages["review"] = self.review_page
        return pages

    def _restore_splitters(self) -> None:
        for part, page in self._laid_out_pages().items():
            page.restore_layout_state(self.settings.layout(part))

    def _save_splitters(self) -> None:
        for part, page in self._laid_out_pages().items():
            self.settings.set_layout(part, page.layout_state())

    def restore_position(self) -> None:
        """On start-up: land where the reviewer was (the audit, file and item), if it still exists."""
        position = self.settings.position()
        if position is None or not Path(position.audit).is_file():
            return
        self.open_audit_file(position.audit, position)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.review_page is not None:
            self.review_page.close_review()
        self._save_splitters()
        self.settings.set_state("main_window/geometry", QByteArray(self.saveGeometry()))
        if self.session is not None:
            self.session.close()
            self.session = None
        self.settings.sync()
        super().closeEvent(event)


KEYS_HELP = """Workspace: Enter opens the selected file; Ctrl+J selects the next file to do; Ctrl+F filters.

Review page, in the item list: Up/Down move between items; 1–5 or M, P, N, R, A answer the item; Enter goes to its \
note and Escape comes back. From anywhere on the page: Ctrl+Down/Ctrl+Up next/previous item; Ctrl+Page Down/Up \
next/previous file; Ctrl+Return completes the review; Ctrl+Z/Ctrl+Y undo and redo; Alt+W back to the workspace.

Everywhere: Ctrl+1 workspace, Ctrl+2 results, Ctrl+H the file's history, Ctrl+Shift+U who is working."""
