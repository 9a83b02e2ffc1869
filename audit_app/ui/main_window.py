"""The main window: it holds the open audit (the session), stacks the start, workspace, review,
moderation and results pages, builds the menus that the actions modules declare (the table MENUS at
the end), and wires each page's intents to an action or a service (the pages never call a service)."""

from __future__ import annotations

import logging
from contextlib import suppress
from pathlib import Path

from PySide6.QtCore import QByteArray
from PySide6.QtGui import QCloseEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QStackedWidget, QWidget

from audit_app.core import workstation
from audit_app.core.results.model import AuditResults
from audit_app.services import reviews as review_service
from audit_app.services import sampling, workspace
from audit_app.services.verification import explain_failure
from audit_app.ui import audit_actions, file_actions, people_actions, report_actions, start_actions
from audit_app.ui.file_actions import Refused
from audit_app.ui.menu_actions import SEPARATOR, Command, Menu, build_menus
from audit_app.ui.moderation_page import ModerationPage
from audit_app.ui.results_page import ResultsPage
from audit_app.ui.review_controller import ReviewController
from audit_app.ui.review_page import OpenReview, ReviewPage
from audit_app.ui.session import AuditSession
from audit_app.ui.start_page import StartPage
from audit_app.ui.text import escape
from audit_app.ui.ui_settings import Identity, Position, UiSettings
from audit_app.ui.workers import Task
from audit_app.ui.workspace_page import WorkspacePage

log = logging.getLogger(__name__)
STATUS_MS = 8000  # how long a message stays in the status bar


class MainWindow(QMainWindow):
    """One window; one audit open at a time. The actions run with it as their ``Workbench``."""

    def __init__(self, settings: UiSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings
        self.identity: Identity | None = settings.identity()
        self.session: AuditSession | None = None
        self.files: list[workspace.FileSummary] = []
        self.grades: dict[str, workspace.FileGrades] = {}
        self._grade_task: Task | None = None
        self._results_task: Task | None = None  # the latest computation of the results
        self._moderating: str | None = None
        self._reviewing: str | None = None  # the file whose review was opened last
        self._current_results: AuditResults | None = None
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
        self._audit_actions = build_menus(self, self.menuBar(), MENUS)  # enabled while an audit is open
        self._connect_pages()
        self._restore_geometry()
        self.show_start()

    def _connect_pages(self) -> None:
        start = self.start_page
        start.new_requested.connect(lambda: start_actions.new_audit(self))
        start.open_requested.connect(lambda: start_actions.choose_audit(self))
        start.open_path_requested.connect(self.open_audit_file)
        start.demo_requested.connect(lambda: start_actions.open_demo(self))
        start.forget_requested.connect(self._on_start_page_forget_requested)
        page = self.workspace_page
        page.open_requested.connect(self.open_review)
        page.second_review_requested.connect(lambda ref: file_actions.start_second_review(self, ref))
        page.moderation_requested.connect(self.moderate)
        page.sign_off_requested.connect(lambda ref: file_actions.sign_off_file(self, ref))
        page.replace_requested.connect(lambda ref: file_actions.replace_file(self, ref))
        page.history_requested.connect(self.show_history)
        page.results_requested.connect(self.show_results)

    # -- identity

    def show_identity(self) -> None:
        """Who is working: the typed name, the role the open audit gives them (else the role asked for),
        and the computer account, which the app cannot change."""
        account = workstation.current().display
        if self.identity is None:
            text = "Nobody signed in"
        elif self.session is not None:
            text = f"{self.session.reviewer.display} · {self.session.role_label} in this audit · {account}"
        else:
            text = f"{self.identity.display} · {self.identity.role_label} (asked for) · {account}"
        self.identity_label.setText(text)
        self.identity_label.setToolTip(self.session.role_note if self.session is not None else "")
        self.start_page.show_identity(f"Working as <b>{escape(text)}</b> (People ▸ Who is working… to change).")

    # -- opening and closing audits

    def open_audit_file(self, path: str, position: Position | None = None) -> bool:
        """Open an audit for work; on success show its workspace (or a review where the user was)."""
        if not people_actions.ensure_identity(self):
            return False
        assert self.identity is not None
        self.close_audit()
        try:
            session = start_actions.open_session(self, path, self.identity)
        except Refused:
            return False
        self.session = session
        self.settings.add_recent_audit(session.path)
        try:
            self._show_opened(session, position)
        except Exception:
            # A hand-edited value can break reading the audit in any way: say the file is damaged
            # (what verify finds) and close it, rather than leave a half-open window; a sound audit's
            # failure is a bug and goes on to the crash dialog with its traceback.
            self.close_audit()
            explained = explain_failure(path)
            if not explained:
                raise
            QMessageBox.warning(self, "Cannot open the audit", explained)
            return False
        return True

    def _show_opened(self, session: AuditSession, position: Position | None) -> None:
        self._check_trail_length(session)
        read_only = " (read-only)" if session.read_only else ""
        self.setWindowTitle(f"audit-app — {session.audit.record.title}{read_only}")
        self.workspace_page.show_read_only(session.read_only_notice)
        self._make_audit_pages(session)
        self.files = workspace.overview(session.audit)
        if not self.files and not self._sample_drawn() and not session.read_only:  # (setting up writes)
            start_actions.resume_setup(self)
            return
        self.show_workspace()
        self.show_identity()
        if session.role_note:
            self.show_status(session.role_note)
        if position and position.ref:
            self.open_review(position.ref, position.role, position.item)

    def _check_trail_length(self, session: AuditSession) -> None:
        """Warn when the audit opens with fewer trail entries than this computer saw in it before: a trail
        never shrinks, so the file is an older copy (one copied without its -wal, or put back from a backup)."""
        entries, head = workspace.trail_head(session.audit)
        seen = self.settings.trail_seen(session.path)
        if seen is not None and session.trail_at_open < seen[0]:
            QMessageBox.warning(self, "Fewer audit-trail entries than before", (
                f"{session.path.name} has {session.trail_at_open:,} audit-trail entries, but it had {seen[0]:,} when it was last "
                "open on this computer: it is an older copy of the audit (copied without its -wal file, or put back "
                f"from a backup), and the later changes are not in it. `audit-app verify {session.path.name} --head "
                f"{seen[1]}` checks it against the head seen then."))
            return  # keep the longer trail as the one seen, so the warning stands until it is resolved
        self.settings.set_trail_seen(session.path, entries, head)

    def _remember_trail(self) -> None:
        if self.session is None:
            return
        seen = self.settings.trail_seen(self.session.path)
        entries, head = workspace.trail_head(self.session.audit)
        if seen is None or entries >= seen[0]:
            self.settings.set_trail_seen(self.session.path, entries, head)

    def _sample_drawn(self) -> bool:
        assert self.session is not None
        return sampling.sample(self.session.audit) is not None

    def _make_audit_pages(self, session: AuditSession) -> None:
        """The pages that show an audit's checklist: made anew for each audit opened."""
        for old in (self.review_page, self.moderation_page, self.results_page):
            if old is not None:
                self.stack.removeWidget(old)
                old.deleteLater()
        checklist = session.audit.checklist
        self.review_page = review = ReviewPage(checklist, self)
        self.moderation_page = moderation_page = ModerationPage(checklist, self)
        self.results_page = results = ResultsPage(checklist, self)
        for page in (review, moderation_page, results):
            self.stack.addWidget(page)
        review.back_requested.connect(self.show_workspace)
        review.file_step_requested.connect(self._step_file)
        review.sign_off_requested.connect(lambda review_id: file_actions.sign_off_review(self, review_id))
        review.change_requested.connect(lambda review_id: file_actions.change_review(self, review_id))
        review.history_requested.connect(self.show_history)
        review.position_changed.connect(self._save_position)
        moderation_page.back_requested.connect(self.show_workspace)
        moderation_page.agree_requested.connect(self._on_moderation_page_agree_requested)
        results.back_requested.connect(self.show_workspace)
        results.export_requested.connect(lambda: audit_actions.export_results(self))
        results.moderation_requested.connect(self.moderate)
        self._restore_layout()

    def close_audit(self) -> None:
        if self.session is None:
            return
        if self.review_page is not None:
            self.review_page.close_review()
        self._save_layout()
        self._remember_trail()
        self.session.close()
        self.session = None
        self._results_task, self._current_results = None, None  # a computation still running is ignored
        self.statusBar().clearMessage()  # a message about this audit (or its person) does not outlive it
        self.files, self.grades = [], {}
        self.setWindowTitle("audit-app")
        self.workspace_page.show_read_only("")
        self.show_start()

    def show_start(self) -> None:
        self.start_page.show_recent([workspace.peek(p) for p in self.settings.recent_audits()])
        self.show_identity()
        self.stack.setCurrentWidget(self.start_page)
        self._update_actions()

    def _on_start_page_forget_requested(self, path: str) -> None:
        self.settings.remove_recent_audit(path)
        self.show_start()

    # -- the workspace

    def refresh_workspace(self) -> None:
        """Reload the sample's state (fast) and regrade it in the background."""
        if self.session is None:
            return
        audit = self.session.audit
        self.files = workspace.overview(audit)
        drawn = sampling.sample(audit)
        plan_text = drawn.plan.statement if drawn is not None else "No sample has been drawn yet."
        record = audit.record
        details = f"{audit.checklist.title} (version {audit.checklist.version}). {record.scope}\n{plan_text}".strip()
        self.workspace_page.show_audit(record.title, details, self.files, self.session.actor)
        self.workspace_page.show_lead_actions(self.session.is_lead)  # (disabled while read-only: show_read_only)
        self.workspace_page.show_trail(*workspace.trail_head(audit))
        self.workspace_page.set_grades(self.grades)
        self._regrade()
        self._update_actions()

    def _regrade(self) -> None:
        assert self.session is not None
        self._grade_task = task = audit_actions.grading(self.session)
        task.succeeded.connect(self._on_grade_task_succeeded)  # a bound slot: dropped if this window is deleted first
        task.failed.connect(self._on_grade_task_failed)
        task.start()

    def _on_grade_task_failed(self, message: str, details: str) -> None:
        log.warning("grading failed: %s\n%s", message, details)

    def _on_grade_task_succeeded(self, grades: dict[str, workspace.FileGrades]) -> None:
        if self.sender() is not self._grade_task or self.session is None:
            return  # a later grading was started, or the audit was closed meanwhile
        self.grades = grades
        self.workspace_page.set_grades(grades)

    def show_workspace(self) -> None:
        if self.session is None:
            self.show_start()
            return
        if self.review_page is not None:
            self.review_page.close_review()
        self._save_position(None)
        self.refresh_workspace()
        self.stack.setCurrentWidget(self.workspace_page)
        self.workspace_page.focus_table()
        self._update_actions()

    def _update_actions(self) -> None:
        """The menu commands that need an audit, while one is open; those that write, while it can be written."""
        read_only = self.session is not None and self.session.read_only
        for action in self._audit_actions:
            action.enable_for(self.session is not None, read_only)

    # -- reviews

    def open_review(self, ref: str, role: str | None = None, item: str | None = None) -> None:
        """Open my review of a file, or the one asked for (a file nobody has started is started by its
        first change, not by opening it)."""
        session, page, summary = self.session, self.review_page, self.file(ref)
        if session is None or page is None or summary is None or summary.status == workspace.REPLACED:
            return
        with suppress(Refused):
            state = file_actions.review_to_open(self, session, summary, role)
            controller = ReviewController(session.audit, state, session.reviewer, page)  # read-only with its audit
            can_sign_off = bool(state.review.id) and not session.read_only and review_service.signer_problem(
                session.audit, state.review, session.reviewer) is None
            page.show_review(controller, summary, can_sign_off, item)
            self._reviewing = ref
            self.stack.setCurrentWidget(page)
            page.focus_items()
            self._save_position(page.current_target())
            self._update_actions()

    def _open_review(self) -> OpenReview | None:
        return self.review_page.current_review() if self.review_page is not None else None

    def _step_file(self, step: int) -> None:
        """Next: the next file to do (mine in progress, else one not started: opened, not started).
        Previous: the nearest earlier file that has been started, in the workspace's order."""
        page = self.workspace_page
        target = (page.next_to_do(self._reviewing) if step > 0 else None) or page.neighbour(self._reviewing, step)
        if target is None:
            self.show_workspace()
            return
        page.select_ref(target)
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

    # -- what the file actions show

    def file(self, ref: str) -> workspace.FileSummary | None:
        return next((f for f in self.files if f.ref == ref), None)

    def select_file(self, ref: str) -> None:
        self.workspace_page.select_ref(ref)

    def show_review_changed(self, review_id: int) -> None:
        """Show a review's new state (reopening it if it is the one on screen)."""
        shown = self._open_review()
        self.refresh_workspace()
        if shown is not None and shown.review_id == review_id:
            self.open_review(shown.ref, shown.role, shown.target)

    def moderate(self, ref: str) -> None:
        """Show where the file's two reviews differ, and what has been agreed."""
        session, page = self.session, self.moderation_page
        if session is not None and page is not None:
            with suppress(Refused):
                comparison, primary, second, agreed = file_actions.compare_reviews(self, session, ref)
                self._moderating = ref
                page.show_comparison(comparison, primary, second, agreed, session.is_lead and not session.read_only,
                                     session.read_only_notice)
                self.stack.setCurrentWidget(page)

    def _on_moderation_page_agree_requested(self, target: str, value: object, reason: str) -> None:
        if self._moderating is not None:
            file_actions.record_agreed(self, self._moderating, target, value, reason)

    def show_history(self, ref: str | None = None) -> None:
        file_actions.history(self, ref)

    # -- results

    def show_results(self) -> None:
        """Show the results page and compute the results afresh in the background (the page says so
        meanwhile, and keeps showing the last results it had)."""
        if self.session is None or self.results_page is None:
            return
        self.stack.setCurrentWidget(self.results_page)
        self._compute_results()

    def show_agreement(self) -> None:
        """The results page at its agreement between reviewers."""
        self.show_results()
        if self.results_page is not None and self.stack.currentWidget() is self.results_page:
            self.results_page.show_agreement_tab()

    def _compute_results(self) -> None:
        assert self.session is not None and self.results_page is not None
        self.results_page.show_busy()
        self._results_task = task = audit_actions.computing_results(self.session)
        task.progressed.connect(self._on_results_task_progressed)  # bound slots: dropped with the window
        task.succeeded.connect(self._on_results_task_succeeded)
        task.failed.connect(self._on_results_task_failed)
        task.start()

    def _on_results_task_progressed(self, done: int, total: int, text: str) -> None:
        if self.sender() is self._results_task and self.results_page is not None:
            self.results_page.show_progress(done, total, text)

    def _on_results_task_succeeded(self, results: AuditResults) -> None:
        if self.sender() is not self._results_task or self.results_page is None:
            return  # a later computation was started, or the audit was closed meanwhile
        self._current_results = results
        self.results_page.show_results(results)

    def _on_results_task_failed(self, message: str, details: str) -> None:
        if self.sender() is not self._results_task or self.results_page is None:
            return
        log.warning("computing the results failed: %s\n%s", message, details)
        self.results_page.show_failure(message)

    # -- what the actions ask of the window (menu_actions.Workbench)

    def current_ref(self) -> str | None:
        """The file on screen: the review's, else the one selected in the workspace."""
        if self.stack.currentWidget() is not self.review_page:
            return self.workspace_page.current_ref()
        shown = self._open_review()
        return shown.ref if shown is not None else None

    def current_results(self) -> AuditResults | None:
        return self._current_results

    def show_status(self, message: str) -> None:
        self.statusBar().showMessage(message, STATUS_MS)

    # -- window state

    def _restore_geometry(self) -> None:
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
        """The pages whose layout the user adjusts (sizes, column widths, sort), by settings group."""
        pages: dict[str, WorkspacePage | ReviewPage] = {"workspace": self.workspace_page}
        if self.review_page is not None:
            pages["review"] = self.review_page
        return pages

    def _restore_layout(self) -> None:
        for part, page in self._laid_out_pages().items():
            page.restore_layout_state(self.settings.layout(part))

    def _save_layout(self) -> None:
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
        self._save_layout()
        self.settings.set_state("main_window/geometry", QByteArray(self.saveGeometry()))
        if self.session is not None:
            self.session.close()
            self.session = None
        self.settings.sync()
        super().closeEvent(event)


# The menu bar. A menu of a new storey is its actions module's MENU, added here in one line.
MENUS: tuple[Menu[MainWindow], ...] = (
    Menu("&File", (start_actions.NEW_AUDIT, start_actions.OPEN_AUDIT, start_actions.OPEN_DEMO, SEPARATOR,
                   audit_actions.VERIFY, audit_actions.SETTINGS, audit_actions.EXPORT, report_actions.REPORT,
                   report_actions.FILE_REPORT,
                   Command("&Close audit", MainWindow.close_audit, QKeySequence.StandardKey.Close, needs_audit=True),
                   SEPARATOR,
                   Command("&Quit", MainWindow.close, QKeySequence.StandardKey.Quit))),
    Menu("&Go", (Command("&Workspace", MainWindow.show_workspace, "Ctrl+1", needs_audit=True),
                 Command("&Results", MainWindow.show_results, "Ctrl+2", needs_audit=True),
                 Command("&Agreement", MainWindow.show_agreement, "Ctrl+3", needs_audit=True),
                 Command("&Start page", MainWindow.show_start, "Ctrl+0"),
                 file_actions.HISTORY)),
    people_actions.MENU,
    Menu("&Help", (audit_actions.CHECKLISTS, audit_actions.KEYBOARD)),
)
