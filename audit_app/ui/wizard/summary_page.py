"""Page 4 of the new-audit wizard: what the import did, and the rejected rows with their reasons."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from audit_app.errors import AuditError
from audit_app.services import population
from audit_app.services.setup import SetupState
from audit_app.ui.wizard.context import WizardContext
from audit_app.ui.wizard.widgets import (
    MessageLabel,
    RowsTableModel,
    buddy_label,
    fit_columns,
    read_only_table,
)


class SummaryPage(QWizardPage):
    """What the import did: rows read, imported, rejected (with reasons), excluded, in the frame."""

    def __init__(self, context: WizardContext, parent: QWidget | None = None):
        super().__init__(parent)
        self._context = context
        self._summary: population.ImportSummary | None = None
        self._build_ui()
        self._connect_signals()

    def _build_ui(self) -> None:
        self.setTitle("Import summary")
        self.setSubTitle("What was imported, and why any rows were left out. Go Back to import another file.")
        self.counts: dict[str, QLabel] = {}
        form = QFormLayout()
        for key, text in (("rows_read", "Rows read"), ("imported", "Imported"), ("rejected", "Rejected"),
                          ("excluded", "Excluded"), ("in_frame", "In the sampling frame")):
            label = QLabel(self)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setAccessibleName(text)
            label.setWordWrap(True)
            self.counts[key] = label
            form.addRow(QLabel(f"{text}:", self), label)  # a figure, not a field: no buddy
        self.frame_label = QLabel(self)
        self.frame_label.setWordWrap(True)
        self.rejections_model = RowsTableModel(["Row", "Crime reference", "Reason"])
        self.rejections_view = read_only_table(self.rejections_model, "Rejected rows", self)
        self.export_button = QPushButton("&Export rejections…", self)
        self.export_button.setAccessibleName("Export the rejected rows to CSV")
        self.message = MessageLabel(self)
        header = QHBoxLayout()
        header.addWidget(buddy_label("Re&jected rows and the reasons:", self.rejections_view, self), 1)
        header.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.frame_label)
        layout.addLayout(header)
        layout.addWidget(self.rejections_view, 1)
        layout.addWidget(self.message)

    def _connect_signals(self) -> None:
        self.export_button.clicked.connect(self._on_export_clicked)

    def initializePage(self) -> None:
        state = self._context.state
        self.message.clear()
        self._summary = state.imports[-1] if state and state.imports else None
        summary = self._summary
        if state is None or summary is None:
            return
        self._show_counts(summary)
        self.frame_label.setText(self._frame_text(state) + (f"\n{summary.row_widths}" if summary.row_widths else ""))
        self.rejections_model.set_rows(summary.rejections)
        fit_columns(self.rejections_view, 66)
        self.export_button.setEnabled(bool(summary.rejections))
        if state.in_frame == 0:
            self.message.show_problem("No file is in the sampling frame: go Back and widen the scope, or import "
                                      "another file.")

    def _show_counts(self, summary: population.ImportSummary) -> None:
        self.counts["rows_read"].setText(f"{summary.rows_read:,}  (from {summary.source_name})")
        self.counts["imported"].setText(f"{summary.imported:,}")
        self.counts["rejected"].setText(f"{summary.rejected:,}" + ("  (listed below)" if summary.rejected else ""))
        self.counts["excluded"].setText(f"{summary.excluded:,}  (imported but not sampled: {summary.exclusion_reason()})"
                                        if summary.excluded else "0")
        self.counts["in_frame"].setText(f"{summary.in_frame:,}")

    @staticmethod
    def _frame_text(state: SetupState) -> str:
        if len(state.imports) > 1:
            return (f"Over all {len(state.imports)} imports, {state.in_frame:,} files are in the sampling frame.")
        return ""

    def _on_export_clicked(self) -> None:
        if self._summary is None:
            return
        suggested = Path(self._context.settings.last_folder()) / f"{Path(self._summary.source_name).stem}-rejections.csv"
        chosen, _filter = QFileDialog.getSaveFileName(self, "Export the rejected rows", str(suggested),
                                                      "CSV files (*.csv)")
        if not chosen:
            return
        path = Path(chosen) if Path(chosen).suffix else Path(chosen + ".csv")
        try:
            count = population.write_rejections_csv(path, self._summary.rejections)
        except AuditError as error:
            self.message.show_problem(str(error))
            return
        self._context.settings.set_last_folder(path.parent)
        self.message.show_note(f"{count:,} rejected row(s) written to {path}.")

    def isComplete(self) -> bool:
        return bool(self._context.state and self._context.state.in_frame > 0)
