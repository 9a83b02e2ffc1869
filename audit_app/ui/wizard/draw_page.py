"""Page 6 of the new-audit wizard: draw the sample and show the method statement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QProgressBar,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from audit_app.core.sampling import stratum_label
from audit_app.services import sampling
from audit_app.services.sampling import DesignPreview, SampleRequest, SampleResult
from audit_app.ui.wizard.context import WizardContext
from audit_app.ui.wizard.design_page import DesignPage
from audit_app.ui.wizard.widgets import (
    FIELD_LABELS,
    MessageLabel,
    RowsTableModel,
    buddy_label,
    fit_columns,
    read_only_table,
    show_failure,
)
from audit_app.ui.workers import on_audit


class DrawPage(QWizardPage):
    """Draw the sample and show the plain-language method statement."""

    def __init__(self, context: WizardContext, design: DesignPage, parent: QWidget | None = None):
        super().__init__(parent)
        self._context = context
        self._design = design
        self._drawing = False
        self._redraw_reason = ""  # set when the auditor asked to draw again: the next draw replaces the sample
        self.result: SampleResult | None = None
        self._build_ui()
        self._connect_signals()

    def _build_ui(self) -> None:
        self.setTitle("Draw the sample")
        self.setSubTitle("The draw is recorded in the audit file with its seed and the frame's fingerprint, so "
                         "anyone can re-derive it. Until a review starts, a sample drawn by mistake can be "
                         "drawn again (the reason is recorded).")
        self.plan_label = QLabel(self)
        self.plan_label.setWordWrap(True)
        self.draw_button = QPushButton("&Draw the sample", self)
        self.redraw_button = QPushButton("Draw a&gain…", self)
        self.redraw_button.setAccessibleName("Draw the sample again, with another design or seed")
        self.redraw_button.hide()
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)  # busy: the draw reports no steps
        self.progress.setAccessibleName("Drawing the sample")
        self.progress.hide()
        self.statement = QTextBrowser(self)
        self.statement.setAccessibleName("Method statement")
        self.statement.setOpenLinks(False)
        self.strata_model = RowsTableModel(["Stratum", "In the frame", "Sample", "Reserve"])
        self.strata_view = read_only_table(self.strata_model, "Sample drawn per stratum", self, stretch=0)
        self.message = MessageLabel(self)
        row = QHBoxLayout()
        row.addWidget(self.draw_button)
        row.addWidget(self.redraw_button)
        row.addWidget(self.progress, 1)
        policy = self.progress.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # the button keeps its width while no draw runs
        self.progress.setSizePolicy(policy)
        layout = QVBoxLayout(self)
        layout.addWidget(self.plan_label)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(buddy_label("Method &statement (for the report):", self.statement, self))
        layout.addWidget(self.statement, 3)
        layout.addWidget(buddy_label("Dra&wn per stratum:", self.strata_view, self))
        layout.addWidget(self.strata_view, 2)

    def _connect_signals(self) -> None:
        self.draw_button.clicked.connect(self._on_draw_clicked)
        self.redraw_button.clicked.connect(self._on_redraw_clicked)

    def initializePage(self) -> None:
        state = self._context.state
        if state is not None and state.sample is not None and not self._redraw_reason:
            self._show_result(state.sample)
            return
        current = self._design.current()
        if current is None:
            return
        self.plan_label.setText(_plan_text(*current))
        if self._redraw_reason:
            self.draw_button.setEnabled(True)
            self.redraw_button.hide()
            self.message.show_note(f"Drawing replaces the sample drawn before (reason recorded: {self._redraw_reason}).")
        self.draw_button.setFocus()

    def _on_redraw_clicked(self) -> None:
        """Ask why, then go back to the design: the next draw replaces the sample (before any review)."""
        reason, ok = QInputDialog.getText(self, "Draw the sample again",
                                          "Why is the sample drawn again? (Recorded in the audit trail. Only "
                                          "possible before any review starts.)")
        if not ok:
            return
        if not reason.strip():
            self.message.show_problem("Give the reason the sample is drawn again: it is recorded in the audit trail.")
            return
        self._redraw_reason = reason.strip()
        self.result = None
        self.completeChanged.emit()
        wizard = self.wizard()
        wizard.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, False)
        # Start again at the design (the steps before it are done): also when the wizard was resumed here.
        wizard.setStartId(next(i for i in wizard.pageIds() if wizard.page(i) is self._design))
        wizard.restart()

    def _on_draw_clicked(self) -> None:
        current = self._design.current()
        if current is None or self._context.audit_path is None or self._drawing:
            return
        self._drawing = True
        self.draw_button.setEnabled(False)
        self.progress.show()
        self.message.show_note("Drawing the sample…")
        if self._redraw_reason:
            function = on_audit(self._context.audit_path, sampling.redraw_sample, current[0], self._redraw_reason,
                                self._context.actor)
        else:
            function = on_audit(self._context.audit_path, sampling.draw_sample, current[0], self._context.actor)
        self._context.run(function, self._on_drawn, self._on_draw_failed)

    def _on_drawn(self, result: SampleResult) -> None:
        self._drawing = False
        self._redraw_reason = ""
        if self._context.state is not None:
            self._context.state = replace(self._context.state, sample=result)
        self._show_result(result)

    def _on_draw_failed(self, message: str, details: str) -> None:
        self._drawing = False
        self.progress.hide()
        self.draw_button.setEnabled(True)
        show_failure(self, self.message, message, details)

    def _show_result(self, result: SampleResult) -> None:
        self.result = result
        self.progress.hide()
        self.draw_button.setEnabled(False)
        plan = result.plan
        self.plan_label.setText(f"{plan.size:,} files were drawn from the {plan.frame_size:,} in the sampling frame "
                                f"on {plan.created_at[:10]} by {plan.created_by}.")
        self.message.show_note("The sample is drawn. Press Finish to open the audit.")
        self.redraw_button.show()
        self.redraw_button.setEnabled(True)
        self.statement.setPlainText(plan.statement)
        self.strata_model.set_rows([(stratum_label(key), s["population"], s["sample"],
                                     min(plan.reserve, s["population"] - s["sample"])) for key, s in result.strata.items()])
        fit_columns(self.strata_view)
        wizard = self.wizard()
        if wizard is not None:
            wizard.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.result is not None

    def drawing(self) -> bool:
        return self._drawing


def _plan_text(request: SampleRequest, preview: DesignPreview) -> str:
    """What pressing Draw will do, in words."""
    strata = (f"stratified by {_strata_text(request.strata)} ({len(preview.strata)} strata), "
              f"{'in proportion to stratum size' if request.allocation == 'proportional' else 'equal per stratum'}"
              if request.strata else "not stratified")
    reserve = f", with {request.reserve} reserve(s) per stratum" if request.reserve else ""
    return (f"Draw {preview.n:,} of the {preview.frame_size:,} files in the sampling frame, "
            f"{strata}{reserve}, with the seed '{request.seed}'.")


def _strata_text(fields: Sequence[str]) -> str:
    return ", ".join(FIELD_LABELS.get(f, f).lower() if f in FIELD_LABELS else f"'{f}'" for f in fields)
