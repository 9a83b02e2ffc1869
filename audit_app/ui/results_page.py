"""The audit's results as a dashboard an auditor reads at a glance: a summary in words, the forest
plot of item compliance against the tolerable rate, the grade distribution, and the item table
(the chart's text equivalent); then tabs by section, sub-score, stratum and reviewer, the agreement
between reviewers, and the method statement.

It shows the frozen :class:`~audit_app.core.results.model.AuditResults` it is given and computes
nothing: the main window computes them in the background (``show_busy``/``show_progress`` while it
runs, ``show_results`` or ``show_failure`` when it ends). For a disproportionate design every
sample-wide percentage shown is the weighted one, so labelled.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from audit_app.core.checklist import Checklist
from audit_app.core.results.model import AuditResults, FileShares, ItemResult, Share
from audit_app.ui.agreement_view import AgreementView
from audit_app.ui.results_charts import BarGroup, BarRow, ForestGroup, ForestRow, ForestView, ShareBars
from audit_app.ui.results_tables import (
    ResultsTableView,
    item_table,
    reviewer_item_table,
    reviewer_table,
    section_table,
    stratum_item_table,
    stratum_table,
    subscore_table,
)
from audit_app.ui.results_text import (
    confidence,
    count,
    interval,
    item_figure,
    item_tooltip,
    pct,
    share_figure,
    state_of,
    summary,
)
from audit_app.ui.text import escape, heading

CHECKLIST_ORDER = "checklist"
WEAKEST_BY_LIMIT = "upper_limit"
WEAKEST_BY_COMPLIANCE = "compliance"
ORDERS = ((CHECKLIST_ORDER, "Checklist order"),
          (WEAKEST_BY_LIMIT, "Weakest first (upper limit)"),
          (WEAKEST_BY_COMPLIANCE, "Weakest first (compliance)"))
ORDER_HEADINGS = {WEAKEST_BY_LIMIT: "Weakest first: highest upper limit of the failure rate",
                  WEAKEST_BY_COMPLIANCE: "Weakest first: lowest compliance"}
COMPUTING = "Computing results…"
NO_REVIEW = ("No review is finished yet: the results count files whose review is complete or signed off "
             "(the agreed answers where a file was moderated).")


# -- what the dashboard's charts show, in the order asked for


def forest_groups(results: AuditResults, order: str) -> list[ForestGroup]:
    """The plot's rows: under each section's heading in checklist order, or all items weakest first."""
    labels = {group.id: group.label for group in results.sections}
    items = list(results.items.values())
    if order == CHECKLIST_ORDER:
        sections: dict[str, list[ItemResult]] = {}
        for item in items:
            sections.setdefault(item.section, []).append(item)
        return [ForestGroup(labels.get(section, section), tuple(_forest_row(i, results, labels) for i in members))
                for section, members in sections.items()]
    position = {item.item: n for n, item in enumerate(items)}

    def weakness(item: ItemResult) -> tuple[bool, float, int]:
        if order == WEAKEST_BY_LIMIT:
            value = item.assurance.upper_deviation_limit
            return value is None, -(value or 0.0), position[item.item]
        estimate = item_figure(item, results.weighted).estimate
        return estimate is None, estimate or 0.0, position[item.item]

    return [ForestGroup(ORDER_HEADINGS[order], tuple(_forest_row(i, results, labels) for i in sorted(items, key=weakness)))]


def _forest_row(item: ItemResult, results: AuditResults, labels: dict[str, str]) -> ForestRow:
    figure = item_figure(item, results.weighted)
    value = pct(figure.estimate) if figure.estimate is None else f"{pct(figure.estimate)} ({interval(figure.low, figure.high)})"
    return ForestRow(item.item, item.item, item.question, figure.estimate, figure.low, figure.high, state_of(item),
                     value, item_tooltip(item, results, labels.get(item.section, item.section)))


def share_groups(shares: FileShares, weighted: bool) -> list[BarGroup]:
    flags = ((shares.critical_failure, "A critical failure"), (shares.mmo, "A material missed opportunity"),
             (shares.ungradable, "Ungradable"), (shares.notable_practice, "Notable practice"))
    return [BarGroup("", tuple(_bar_row(share, share.label, weighted) for share in shares.grades)),
            BarGroup("Files with…", tuple(_bar_row(share, label, weighted) for share, label in flags))]


def _bar_row(share: Share, label: str, weighted: bool) -> BarRow:
    figure = share_figure(share, weighted)
    files = count(share.proportion.successes, "file")
    text = f"{files} · {pct(figure.estimate)} ({interval(figure.low, figure.high)})"
    if figure.estimate is None:
        text = f"{files} · {pct(None)}"
    tip = f"{label}: {files} of {share.proportion.n}; {'weighted share' if weighted else 'share'} {pct(figure.estimate)}, " \
          f"interval {interval(figure.low, figure.high)}"
    return BarRow(label, figure.estimate, figure.low, figure.high, text, tip)


def method_html(results: AuditResults) -> str:
    parts = ["<h3>How these results were computed</h3>"] + [f"<p>{escape(s)}</p>" for s in results.method]
    if results.agreement is not None and results.agreement.method:
        parts += ["<h3>Agreement between reviewers</h3>"] + [f"<p>{escape(s)}</p>" for s in results.agreement.method]
    return "".join(parts)


# -- the page


class ResultsPage(QWidget):
    back_requested = Signal()
    export_requested = Signal()  # the item table as CSV
    moderation_requested = Signal(str)  # a file's reference, from a disagreement

    def __init__(self, checklist: Checklist | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.checklist = checklist
        self.results: AuditResults | None = None
        self._build_ui()
        self._connect_signals()

    # -- construction

    def _build_ui(self) -> None:
        title = heading(self, text="Results")
        self.summary_label = QLabel(self)
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextFormat(Qt.TextFormat.PlainText)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary_label.hide()  # until there are results to sum up
        self.status_label = QLabel(self)
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setAccessibleName("Computing results")
        self.progress_bar.setTextVisible(False)
        busy = QHBoxLayout()
        busy.addWidget(self.status_label, 2)
        busy.addWidget(self.progress_bar, 1)
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName("Results")
        self.tabs.addTab(self._page_of(self._build_dashboard()), "&Dashboard")
        self.sections_table = ResultsTableView("Results by section", self, stretch=5)
        self.section_note = self._note()
        self.tabs.addTab(self._tab(self.section_note, self.sections_table), "By se&ction")
        self.subscores_table = ResultsTableView("Results by sub-score", self)
        self.subscore_note = self._note()
        self.tabs.addTab(self._tab(self.subscore_note, self.subscores_table), "By s&ub-score")
        self.tabs.addTab(self._build_strata(), "By s&tratum")
        self.tabs.addTab(self._build_reviewers(), "By rev&iewer")
        self.agreement_view = AgreementView(self)
        self.agreement_tab = self._page_of(self.agreement_view)
        self.tabs.addTab(self.agreement_tab, "&Agreement")
        self.method_text = QTextBrowser(self)
        self.method_text.setAccessibleName("Method statement")
        self.method_text.setOpenLinks(False)
        self.tabs.addTab(self._page_of(self.method_text), "&Method")
        self.back_button = QPushButton("&Workspace", self)
        self.export_button = QPushButton("E&xport item table (CSV)…", self)
        self.export_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.summary_label)
        layout.addLayout(busy)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)
        self._set_busy(False)

    def _build_dashboard(self) -> QWidget:
        self.chart_label = QLabel("Compliance by item", self)
        self.chart_label.setWordWrap(True)
        self.order_combo = QComboBox(self)
        for key, text in ORDERS:
            self.order_combo.addItem(text, key)
        self.order_combo.setAccessibleName("Order of the items on the chart")
        self.order_combo.setToolTip("Checklist order groups the items by section; weakest first puts the items "
                                    "with the highest upper limit of the failure rate, or the lowest compliance, on top")
        order_label = QLabel("S&ort:", self)
        order_label.setBuddy(self.order_combo)
        controls = QHBoxLayout()
        controls.addWidget(self.chart_label, 1)
        controls.addWidget(order_label)
        controls.addWidget(self.order_combo)
        self.forest = ForestView(self)
        self.forest.setAccessibleName("Compliance by item")
        chart = QWidget(self)
        chart_layout = QVBoxLayout(chart)
        chart_layout.setContentsMargins(0, 0, 0, 0)
        chart_layout.addLayout(controls)
        chart_layout.addWidget(self.forest, 1)

        self.grades_label = QLabel("Files by grade", self)
        self.grades_label.setWordWrap(True)
        self.grade_bars = ShareBars()
        grades_scroll = QScrollArea(self)
        grades_scroll.setWidget(self.grade_bars)
        grades_scroll.setWidgetResizable(True)
        grades_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        grades = QWidget(self)
        grades_layout = QVBoxLayout(grades)
        grades_layout.setContentsMargins(0, 0, 0, 0)
        grades_layout.addWidget(self.grades_label)
        grades_layout.addWidget(grades_scroll, 1)

        top = QSplitter(Qt.Orientation.Horizontal, self)
        top.addWidget(chart)
        top.addWidget(grades)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)
        top.setSizes([640, 360])
        top.setChildrenCollapsible(False)
        self.items_table = ResultsTableView("Item results (the chart's figures as text)", self, stretch=1, widest=40)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setObjectName("results_splitter")
        splitter.addWidget(top)
        splitter.addWidget(self.items_table)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([600, 400])  # shares of the height: the chart first
        splitter.setChildrenCollapsible(False)
        self.dashboard_splitter = splitter
        return splitter

    def _note(self) -> QLabel:
        """The sentence above a tab's tables that says what they count and how."""
        note = QLabel(self)
        note.setWordWrap(True)
        note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return note

    def _page_of(self, content: QWidget) -> QWidget:
        """A tab's page: its content inside the layout's margins (clear of the tab's frame)."""
        tab = QWidget(self)
        QVBoxLayout(tab).addWidget(content)
        return tab

    def _tab(self, note: QLabel, table: ResultsTableView, more: QWidget | None = None) -> QWidget:
        """A tab of tables: a sentence on what they count, the table, and a second, larger one if any."""
        tab = QWidget(self)
        layout = QVBoxLayout(tab)
        layout.addWidget(note)
        if more is None:
            layout.addWidget(table, 1)
            return tab
        splitter = QSplitter(Qt.Orientation.Vertical, tab)
        splitter.addWidget(table)
        splitter.addWidget(more)
        splitter.setSizes([250, 750])  # shares: the summary table is short, the detail long
        splitter.setChildrenCollapsible(False)
        layout.addWidget(splitter, 1)
        return tab

    def _build_strata(self) -> QWidget:
        self.strata_table = ResultsTableView("Strata: files drawn, finished and by grade", self, stretch=0)
        self.strata_items_table = ResultsTableView("Item compliance within each stratum", self)
        items_label = QLabel("Item compliance within each stratum (unweighted: within a stratum every file had the "
                             "same chance of selection)", self)
        items_label.setWordWrap(True)
        holder = QWidget(self)
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(items_label)
        layout.addWidget(self.strata_items_table, 1)
        self.strata_note = self._note()
        return self._tab(self.strata_note, self.strata_table, holder)

    def _build_reviewers(self) -> QWidget:
        self.reviewers_table = ResultsTableView("Reviewers", self, stretch=2)
        self.reviewer_items_table = ResultsTableView("Each reviewer's answers by item", self)
        self.reviewers_note = self._note()
        return self._tab(self.reviewers_note, self.reviewers_table, self.reviewer_items_table)

    def _connect_signals(self) -> None:
        self.back_button.clicked.connect(self.back_requested)
        self.export_button.clicked.connect(self.export_requested)
        self.order_combo.currentIndexChanged.connect(self._on_order_combo_changed)
        self.forest.plot.item_selected.connect(self.items_table.select_key)
        self.items_table.selectionModel().currentRowChanged.connect(self._on_items_table_current_changed)
        self.agreement_view.moderation_requested.connect(self.moderation_requested)

    # -- states

    def show_busy(self, text: str = COMPUTING) -> None:
        """Results are being computed: say so (the page stays usable, showing the last results, if any)."""
        self.status_label.setText(text)
        self.progress_bar.setRange(0, 0)  # busy, until the work reports how far it is
        self._set_busy(True)

    def show_progress(self, done: int, total: int, text: str = "") -> None:
        if total > 0:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(min(done, total))
        self.status_label.setText(f"{COMPUTING} {text}".strip())
        self._set_busy(True)

    def show_failure(self, message: str) -> None:
        self._set_busy(False)
        self.status_label.setText(f"The results could not be computed. {message}")
        self.status_label.show()

    def _set_busy(self, busy: bool) -> None:
        self.status_label.setVisible(busy)
        self.progress_bar.setVisible(busy)

    def is_busy(self) -> bool:
        return self.progress_bar.isVisibleTo(self)

    # -- the results

    def show_results(self, results: AuditResults) -> None:
        self.results = results
        self._set_busy(False)
        weighted = results.weighted
        self.summary_label.setText(summary(results) if results.files_reviewed else f"{NO_REVIEW} {summary(results)}")
        self.summary_label.show()
        conf = confidence(results)
        kind = "weighted estimates, " if weighted else ""
        self.chart_label.setText(f"Compliance by item ({kind}with {conf} intervals)")
        self._fill_forest()
        self.grades_label.setText("Files by grade" + (" (weighted estimates)" if weighted else "")
                                  + f", with {conf} intervals")
        self.grade_bars.set_groups(share_groups(results.files, weighted))
        self.items_table.set_table(item_table(results))
        self._fill_tabs(results)
        self.export_button.setEnabled(True)

    def _fill_forest(self) -> None:
        results = self.results
        if results is None:
            return
        order = self.order_combo.currentData() or CHECKLIST_ORDER
        words = f"{confidence(results)} interval" + (" (weighted)" if results.weighted else "")
        self.forest.set_groups(forest_groups(results, order), results.tolerable, results.weighted, words)

    def _fill_tabs(self, results: AuditResults) -> None:
        weighted = results.weighted
        self.sections_table.set_table(section_table(results))
        self.section_note.setText(
            "Each section's answers pooled over its items" + (", weighted by stratum" if weighted else "")
            + ". Answers of one file are not independent, so these figures are descriptive and have no interval.")
        self.subscores_table.set_table(subscore_table(results))
        self.subscore_note.setText(
            ("The mean of the files' sub-scores (0–100)" + (", weighted by stratum" if weighted else "") + ".")
            if results.subscores else "The checklist defines no sub-scores.")
        self.strata_table.set_table(stratum_table(results))
        self.strata_items_table.set_table(stratum_item_table(results))
        self.strata_note.setText(
            "Each stratum's frame, draw and finished reviews, and its files by grade: counts, unweighted.")
        self.reviewers_table.set_table(reviewer_table(results))
        self.reviewer_items_table.set_table(reviewer_item_table(results))
        flagged = [r.reviewer for r in results.reviewers if r.flagged]
        self.reviewers_note.setText(
            "Each reviewer's primary reviews, unweighted, for calibration. "
            + (f"Unusual N/A rate (far from the other reviewers' on some items): {', '.join(flagged)}."
               if flagged else "No reviewer's N/A rate is far from the others'."))
        self.agreement_view.show_agreement(results.agreement, self.checklist)
        self.method_text.setHtml(method_html(results))

    def show_agreement_tab(self) -> None:
        self.tabs.setCurrentWidget(self.agreement_tab)

    def showing_agreement(self) -> bool:
        return self.tabs.currentWidget() is self.agreement_tab

    def show_dashboard_tab(self) -> None:
        self.tabs.setCurrentIndex(0)

    # -- the chart and the table select together

    def _on_order_combo_changed(self, _index: int) -> None:
        selected = self.forest.plot.selected()
        self._fill_forest()
        self.forest.select(selected)

    def _on_items_table_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        key = self.items_table.current_key() if current.isValid() else None
        self.forest.select(key)
