"""Results so far: the grade distribution (overall and by stratum) and each item's answers, over the
files whose review is complete or signed off. Unweighted counts from the scoring engine; weighted
estimates and the report come with the results work."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from audit_app.core.checklist import Checklist
from audit_app.core.sampling import stratum_label
from audit_app.services.workspace import Results
from audit_app.ui.text import heading

ITEM_HEADERS = ("Item", "Question", "Applicable", "Met", "Partly", "Not met", "Not recorded", "N/A", "Compliance", "Interval")


class ResultsPage(QWidget):
    back_requested = Signal()
    export_requested = Signal()  # the item table as CSV

    def __init__(self, checklist: Checklist, parent: QWidget | None = None):
        super().__init__(parent)
        self.checklist = checklist
        self.results: Results | None = None
        self._build_ui()
        self.back_button.clicked.connect(self.back_requested)
        self.export_button.clicked.connect(self.export_requested)

    def _build_ui(self) -> None:
        title = heading(self, text="Results so far")
        self.summary_label = QLabel(self)
        self.summary_label.setWordWrap(True)
        self.grades_table = self._table(["Grade", "Files", "Share"], "Grade distribution")
        self.strata_table = self._table(["Stratum"], "Grades by stratum")
        self.items_table = self._table(list(ITEM_HEADERS), "Item compliance")
        self.items_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        top = QSplitter(Qt.Orientation.Horizontal, self)
        top.addWidget(self.grades_table)
        top.addWidget(self.strata_table)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setObjectName("results_splitter")
        splitter.addWidget(top)
        splitter.addWidget(self.items_table)
        splitter.setStretchFactor(1, 3)
        self.back_button = QPushButton("&Workspace", self)
        self.export_button = QPushButton("E&xport item table (CSV)…", self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.summary_label)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)

    def _table(self, headers: list[str], name: str) -> QTableWidget:
        table = QTableWidget(0, len(headers), self)
        table.setHorizontalHeaderLabels(headers)
        table.setAccessibleName(name)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().hide()
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        return table

    def show_results(self, results: Results) -> None:
        self.results = results
        confidence = f"{results.confidence:.0%}"
        training = f", of which {results.training} are training examples" if results.training else ""
        if results.disproportionate:
            rates = ("The sample design is disproportionate (strata were sampled at different rates), so sample-wide "
                     "percentages would misstate the population: they are not shown until they can be weighted. "
                     "Compare strata by their counts.")
        else:
            rates = f"Compliance is Met ÷ applicable answers, with a {confidence} Wilson score interval."
        self.summary_label.setText(
            f"{results.files} reviewed file(s){training}. Files with a critical failure: {results.critical_failure_files}; "
            f"with a material missed opportunity: {results.mmo_files}. Counts are unweighted and cover finished reviews "
            f"only (the agreed result where a file was moderated). {rates}"
        )
        bands = [b.label for b in sorted(self.checklist.spec.grading.bands, key=lambda b: -b.min)]
        labels = bands + [label for label in results.grades if label not in bands]
        self._fill(self.grades_table, [
            [label, str(results.grades.get(label, 0)),
             f"{results.grades.get(label, 0) / results.files:.0%}" if results.files and not results.disproportionate else "—"]
            for label in labels
        ])
        strata = sorted(results.grades_by_stratum)
        self.strata_table.setColumnCount(1 + len(labels))
        self.strata_table.setHorizontalHeaderLabels(["Stratum", *labels])
        self._fill(self.strata_table, [[stratum_label(s), *(str(results.grades_by_stratum[s].get(label, 0)) for label in labels)]
                                       for s in strata])
        rows = []
        for item_id, item in self.checklist.items.items():
            tally = results.items[item_id]
            compliance = results.compliance(item_id)
            rate = f"{compliance[0]:.0%}" if compliance else "—"
            interval = f"{compliance[1]:.0%} – {compliance[2]:.0%}" if compliance else "—"
            rows.append([item_id, item.question, str(tally.applicable), str(tally.met), str(tally.partly),
                         str(tally.not_met), str(tally.not_recorded), str(tally.na), rate, interval])
        self._fill(self.items_table, rows)

    @staticmethod
    def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
        table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                cell = QTableWidgetItem(text)
                if c and text.replace("%", "").replace("—", "").strip().isdigit():
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                cell.setToolTip(text)
                table.setItem(r, c, cell)

