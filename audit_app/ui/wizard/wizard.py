"""The new-audit QWizard itself: page order, resuming an unfinished audit, cancel and finish."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import QMessageBox, QWidget, QWizard

from audit_app.services import audits, setup
from audit_app.services.setup import SetupState
from audit_app.ui.ui_settings import UiSettings
from audit_app.ui.wizard.checklist_page import ChecklistPage
from audit_app.ui.wizard.context import WizardContext
from audit_app.ui.wizard.design_page import DesignPage
from audit_app.ui.wizard.details_page import DetailsPage
from audit_app.ui.wizard.draw_page import DrawPage
from audit_app.ui.wizard.population_page import PopulationPage
from audit_app.ui.wizard.summary_page import SummaryPage

PAGE_DETAILS, PAGE_CHECKLIST, PAGE_POPULATION, PAGE_SUMMARY, PAGE_DESIGN, PAGE_DRAW = range(6)
GEOMETRY_KEY = "new_audit_wizard/geometry"  # the key from before the wizard became a package: sizes are kept


class NewAuditWizard(QWizard):
    """Set up a new audit, from its title to the drawn sample; or carry on with an unfinished one.

    :param settings: per-machine UI state (last folder, recent audits, window geometry).
    :param actor: who is working, recorded on every change (``Identity.display``).
    :param resume_path: an audit file with no population or no sample yet; the wizard starts at
        the first step not done. Reading it takes a moment (its checklist is parsed).
    :raises UserFacingError: when ``resume_path`` cannot be opened as an audit.
    """

    def __init__(self, settings: UiSettings, actor: str, parent: QWidget | None = None,
                 resume_path: str | Path | None = None):
        super().__init__(parent)
        self._context = WizardContext(settings, actor, self)
        self._build_ui()
        self._connect_signals()
        if resume_path is not None:
            self._resume(Path(resume_path))

    @property
    def audit_path(self) -> Path | None:
        """The audit file, once it exists (after the Checklist page, or the one resumed)."""
        return self._context.audit_path

    @property
    def state(self) -> SetupState | None:
        return self._context.state

    def _build_ui(self) -> None:
        self.setWindowTitle("New audit")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.details_page = DetailsPage(self._context, self)
        self.checklist_page = ChecklistPage(self._context, self)
        self.population_page = PopulationPage(self._context, self)
        self.summary_page = SummaryPage(self._context, self)
        self.design_page = DesignPage(self._context, self)
        self.draw_page = DrawPage(self._context, self.design_page, self)
        for page_id, page in ((PAGE_DETAILS, self.details_page), (PAGE_CHECKLIST, self.checklist_page),
                              (PAGE_POPULATION, self.population_page), (PAGE_SUMMARY, self.summary_page),
                              (PAGE_DESIGN, self.design_page), (PAGE_DRAW, self.draw_page)):
            self.setPage(page_id, page)
        line = self.fontMetrics().lineSpacing()  # sizes follow the system font
        self.setMinimumSize(line * 46, line * 36)
        geometry = self._context.settings.state(GEOMETRY_KEY)
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(line * 68, line * 52)

    def _connect_signals(self) -> None:
        self.finished.connect(self._on_finished)

    def _resume(self, path: Path) -> None:
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            state = audits.run(path, setup.setup_state)
        finally:
            QGuiApplication.restoreOverrideCursor()
        self._context.state = state
        self.setWindowTitle(f"Carry on setting up: {state.title}")
        if state.sample is not None:
            self.setStartId(PAGE_DRAW)
        elif state.in_frame > 0:
            self.setStartId(PAGE_DESIGN)
        else:
            self.setStartId(PAGE_POPULATION)

    def next_step(self) -> str:
        """The step an unfinished audit resumes at, in words."""
        state = self._context.state
        if state is None or state.in_frame == 0:
            return "the population import"
        return "the sample design" if state.sample is None else "the end"

    def reject(self) -> None:
        """Cancel: never while the audit file is being created or the sample drawn; keep an unfinished audit."""
        if self.draw_page.drawing() or self.checklist_page.creating():
            QMessageBox.information(self, "Please wait", "Please wait a moment: the audit file is being written.")
            return
        state = self._context.state
        if state is not None and state.sample is None:
            QMessageBox.information(
                self, "Unfinished audit kept",
                f"The unfinished audit is kept, with everything done so far, at:\n\n{state.path}\n\n"
                f"Open it again to carry on from {self.next_step()}.")
        super().reject()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Esc asks before it cancels: pressed in a field, it is often meant for the field alone."""
        if event.key() == Qt.Key.Key_Escape and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            event.accept()
            answer = QMessageBox.question(
                self, "Stop setting up the audit?",
                "Esc closes the new-audit wizard. Stop setting up the audit now? (An audit file already "
                "created is kept, and can be opened to carry on.)",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
            if answer == QMessageBox.StandardButton.Yes:
                self.reject()
            return
        super().keyPressEvent(event)

    def _on_finished(self, _result: int) -> None:
        self._context.settings.set_state(GEOMETRY_KEY, self.saveGeometry())

