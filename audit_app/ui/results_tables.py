"""The results as tables: one read-only Qt model for every table of the results page (rows of
cells that carry their text, the number they sort by, and a tooltip), the proxy that sorts them
(numbers as numbers: 9 % before 10 %), and the rows of each table built from the frozen records.

Formatting only: every figure comes from :mod:`audit_app.core.results.model`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from audit_app.core.results.model import AuditResults, ItemResult, Proportion
from audit_app.core.sampling import stratum_label
from audit_app.ui.results_text import (
    DASH,
    STATE_ASSURED,
    STATE_EMPTY,
    STATE_NO_CONCLUSION,
    STATE_NOT_ASSURED,
    STATE_TOO_FEW,
    conclusion_words,
    interval,
    item_figure,
    pct,
    state_of,
)

Index = QModelIndex | QPersistentModelIndex
SORT_ROLE = Qt.ItemDataRole.UserRole + 1  # what a column sorts by: a float, a text, or None (last)
KEY_ROLE = Qt.ItemDataRole.UserRole + 2  # the row's key (an item id, a file's reference)
# The weakest conclusion first when a table is sorted by its conclusion.
CONCLUSION_RANK = {STATE_NOT_ASSURED: 0, STATE_TOO_FEW: 1, STATE_NO_CONCLUSION: 2, STATE_ASSURED: 3, STATE_EMPTY: 4}


@dataclass(frozen=True)
class Cell:
    text: str
    sort: float | str | None  # None sorts after every value
    tooltip: str = ""
    number: bool = False  # right-aligned


def text_cell(text: str, tooltip: str = "") -> Cell:
    return Cell(text, text.casefold(), tooltip)


def number_cell(text: str, value: float | None, tooltip: str = "") -> Cell:
    return Cell(text, None if value is None else float(value), tooltip, number=True)


def int_cell(value: int) -> Cell:
    return number_cell(str(value), value)


@dataclass(frozen=True)
class Column:
    title: str
    tooltip: str = ""


@dataclass(frozen=True)
class Row:
    key: str
    cells: tuple[Cell, ...]
    emphasis: bool = False  # shown in bold (a flagged reviewer, a weak item): never the only sign


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]


class ResultsTableModel(QAbstractTableModel):
    """A read-only table of :class:`Row`; sort it through :class:`ResultsSortProxy`."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._columns: tuple[Column, ...] = ()
        self._rows: tuple[Row, ...] = ()

    def set_table(self, table: Table) -> None:
        self.beginResetModel()
        self._columns, self._rows = table.columns, table.rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows) or not 0 <= index.column() < len(self._columns):
            return None
        row = self._rows[index.row()]
        cell = row.cells[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cell.text
        if role == Qt.ItemDataRole.ToolTipRole:
            return cell.tooltip or cell.text
        if role == SORT_ROLE:
            return cell.sort
        if role == KEY_ROLE:
            return row.key
        if role == Qt.ItemDataRole.TextAlignmentRole and cell.number:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and row.emphasis:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        column = self._columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip or column.title
        return None

    def key(self, row: int) -> str:
        return self._rows[row].key

    def row_of(self, key: str) -> int | None:
        return next((i for i, row in enumerate(self._rows) if row.key == key), None)


class ResultsSortProxy(QSortFilterProxyModel):
    """Sorts by each cell's sort value: numbers as numbers, texts without case, blanks last
    (Qt orders an invalid value after every valid one)."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)


class ResultsTableView(QTableView):
    """A sortable, read-only table of results: rows selected whole, columns sized to their contents
    (at most ``widest`` characters wide), ``stretch`` (a column number) taking the spare width."""

    def __init__(self, name: str, parent: QWidget | None = None, stretch: int | None = None, widest: int = 48):
        super().__init__(parent)
        self.source = ResultsTableModel(self)
        self.proxy = ResultsSortProxy(self)
        self.proxy.setSourceModel(self.source)
        self.setModel(self.proxy)
        self.stretch, self.widest = stretch, widest
        self.setAccessibleName(name)
        self.setSortingEnabled(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setSortIndicatorShown(True)
        self.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the rows' own order until a header is clicked

    def set_table(self, table: Table) -> None:
        self.source.set_table(table)
        self.resizeColumnsToContents()
        widest = self.fontMetrics().averageCharWidth() * self.widest
        header = self.horizontalHeader()
        for column in range(self.source.columnCount()):
            header.resizeSection(column, min(header.sectionSize(column), widest))
        if self.stretch is not None and self.stretch < self.source.columnCount():
            header.setSectionResizeMode(self.stretch, QHeaderView.ResizeMode.Stretch)

    def key_at(self, row: int) -> str:
        """The key of the row shown at ``row`` (after sorting)."""
        return str(self.proxy.index(row, 0).data(KEY_ROLE))

    def keys(self) -> list[str]:
        return [self.key_at(row) for row in range(self.proxy.rowCount())]

    def texts(self, column: int) -> list[str]:
        """A column's texts as shown, top to bottom."""
        return [str(self.proxy.index(row, column).data()) for row in range(self.proxy.rowCount())]

    def column_of(self, title: str) -> int:
        return next(c for c in range(self.source.columnCount())
                    if self.source.headerData(c, Qt.Orientation.Horizontal) == title)

    def current_key(self) -> str | None:
        index = self.currentIndex()
        return None if not index.isValid() else str(index.data(KEY_ROLE))

    def select_key(self, key: str) -> None:
        row = self.source.row_of(key)
        if row is None:
            return
        index = self.proxy.mapFromSource(self.source.index(row, 0))
        if index.row() != self.currentIndex().row():
            self.selectRow(index.row())
            self.scrollTo(index)


# -- the tables of the results page


def item_table(results: AuditResults) -> Table:
    """One row per item: the counts, then the figure, its interval, the upper limit of the failure
    rate and the conclusion; weighted figures (so labelled) for a disproportionate design."""
    weighted = results.weighted
    suffix = "\n(weighted)" if weighted else ""
    columns = (Column("Item"), Column("Question"),
               Column("Applicable", "Files the item applied to and that answered it (N/A answers excluded)"),
               Column("Met"), Column("Partly"), Column("Not met"), Column("Not\nrecorded"), Column("N/A"),
               Column("Compliance" + suffix, "Met ÷ applicable" + (", weighted by stratum (N_h ÷ m_h)" if weighted else "")),
               Column("Interval" + suffix, f"{results.confidence:.0%} interval of the compliance"
                      + (" (from the effective sample size, in the tooltip)" if weighted else "")),
               Column("Upper limit" + suffix, "One-sided upper limit of the failure rate (1 − compliance), "
                      "compared with the tolerable rate"),
               Column("Conclusion"))
    rows = tuple(_item_row(position, item, weighted) for position, item in enumerate(results.items.values()))
    return Table(columns, rows)


def _item_row(position: int, item: ItemResult, weighted: bool) -> Row:
    figure = item_figure(item, weighted)
    limit = item.assurance.upper_deviation_limit
    state = state_of(item)
    cells = [Cell(item.item, float(position), "Critical item" if item.critical else ""),
             text_cell(item.question),
             int_cell(item.applicable), int_cell(item.met), int_cell(item.partly), int_cell(item.not_met),
             int_cell(item.not_recorded), int_cell(item.na),
             number_cell(pct(figure.estimate), figure.estimate),
             number_cell(interval(figure.low, figure.high), figure.low, _effective_n(item) if weighted else ""),
             number_cell(pct(limit, 1), limit),
             Cell(conclusion_words(item), float(CONCLUSION_RANK[state]))]
    return Row(item.item, tuple(cells))


def _effective_n(item: ItemResult) -> str:
    n_eff = item.weighted.n_eff if item.weighted else None
    return "" if n_eff is None else f"Weighted interval from an effective sample size of {n_eff:.1f} files"


def section_table(results: AuditResults) -> Table:
    weighted = results.weighted
    label = "Compliance (weighted, pooled)" if weighted else "Compliance (pooled)"
    columns = (Column("Section"), Column("Items"), Column("Applicable answers"), Column("Met"),
               Column(label, "Met ÷ applicable over every answer of the section's items. Answers of one file are "
                      "not independent, so this is descriptive and has no interval"),
               Column("Not assured", "The section's items that are not assured, weakest first"))
    rows = []
    for group in results.sections:
        value = group.weighted_compliance if weighted else group.compliance
        rows.append(Row(group.id, (text_cell(group.label), int_cell(len(group.items)), int_cell(group.applicable),
                                   int_cell(group.met), number_cell(pct(value), value),
                                   text_cell(", ".join(group.not_assured) or "none"))))
    return Table(columns, tuple(rows))


def subscore_table(results: AuditResults) -> Table:
    weighted = any(score.weighted for score in results.subscores)
    suffix = " (weighted)" if weighted else ""
    columns = (Column("Sub-score"), Column("Files"), Column("Mean (0–100)" + suffix),
               Column("Interval" + suffix, f"{results.confidence:.0%} interval of the mean"))
    rows = tuple(Row(score.id, (text_cell(score.label), int_cell(score.files),
                                number_cell(_score(score.mean), score.mean),
                                number_cell(_score_interval(score.ci_low, score.ci_high), score.ci_low)))
                 for score in results.subscores)
    return Table(columns, rows)


def _score(value: float | None) -> str:
    return DASH if value is None else f"{value:.1f}"


def _score_interval(low: float | None, high: float | None) -> str:
    return DASH if low is None or high is None else f"{low:.1f}–{high:.1f}"


def stratum_table(results: AuditResults) -> Table:
    """Each stratum's size, draw and finished reviews, and its files by grade (unweighted counts)."""
    grades = [(share.id, share.label) for share in results.files.grades]
    columns = (Column("Stratum"), Column("Population", "Files in the stratum's frame (N_h)"),
               Column("Drawn", "Files drawn (n_h)"), Column("Finished", "Finished reviews (m_h)"),
               *(Column(label, f"Files graded {label}") for _, label in grades))
    rows = tuple(Row(s.stratum, (text_cell(stratum_label(s.stratum)), int_cell(s.population), int_cell(s.drawn),
                                 int_cell(s.finished), *(int_cell(s.grades.get(grade, 0)) for grade, _ in grades)))
                 for s in results.strata)
    return Table(columns, rows)


def stratum_item_table(results: AuditResults) -> Table:
    """Each item's compliance within each stratum (unweighted: within a stratum the sample is a
    simple random sample)."""
    columns = (Column("Item"), *(Column(stratum_label(s.stratum), "Met ÷ applicable within the stratum")
                                 for s in results.strata))
    rows = []
    for position, item in enumerate(results.items):
        cells = [Cell(item, float(position))]
        for stratum in results.strata:
            share = stratum.items.get(item)
            cells.append(_proportion_cell(share))
        rows.append(Row(item, tuple(cells)))
    return Table(columns, tuple(rows))


def _proportion_cell(share: Proportion | None) -> Cell:
    if share is None or share.n == 0:
        return number_cell(DASH, None, "No applicable file")
    text = f"{pct(share.estimate)} ({share.successes} of {share.n})"
    return number_cell(text, share.estimate, f"{text}; interval {interval(share.ci_low, share.ci_high)}")


FLAG_WORD = "Unusual N/A rate"


def reviewer_table(results: AuditResults) -> Table:
    """Each reviewer's primary reviews, and the items on which their N/A rate is far from the others'."""
    columns = (Column("Reviewer"), Column("Files", "Primary reviews finished"),
               Column("N/A rate far from the others'", "Items on which this reviewer answers N/A much more or "
                      "less often than the other reviewers (see the method)"))
    rows = []
    for reviewer in results.reviewers:
        flagged = reviewer.flagged
        words = f"{FLAG_WORD} on {len(flagged)}: {', '.join(flagged)}" if flagged else "No"
        rows.append(Row(reviewer.reviewer, (text_cell(reviewer.reviewer), int_cell(reviewer.files),
                                            Cell(words, float(len(flagged)))), emphasis=bool(flagged)))
    return Table(columns, tuple(rows))


def reviewer_item_table(results: AuditResults) -> Table:
    """One row per reviewer and item: counts, compliance and N/A rate against the others' (unweighted,
    for calibrating reviewers, not for estimating the population)."""
    columns = (Column("Reviewer"), Column("Item"), Column("Applicable"), Column("Met"), Column("N/A"),
               Column("Compliance (unweighted)", "This reviewer's files only: for calibration, not an estimate"),
               Column("N/A rate"), Column("Others' N/A rate", "The other reviewers' pooled N/A rate on the item"),
               Column("Typical other", "The median of the other reviewers' N/A rates on the item: a flag needs a "
                      "difference of 10 points or more from it as well as a significant test"),
               Column("Flag"))
    order = {item: position for position, item in enumerate(results.items)}
    rows = []
    for reviewer in results.reviewers:
        for item, figures in reviewer.items.items():
            if not figures.applicable and not figures.na:
                continue  # the item applied to none of this reviewer's files
            rows.append(Row(f"{reviewer.reviewer}\x1f{item}", (
                text_cell(reviewer.reviewer), Cell(item, float(order.get(item, len(order)))),
                int_cell(figures.applicable), int_cell(figures.met), int_cell(figures.na),
                number_cell(pct(figures.compliance.estimate), figures.compliance.estimate),
                number_cell(pct(figures.na_rate.estimate), figures.na_rate.estimate),
                number_cell(pct(figures.others_na_rate), figures.others_na_rate),
                number_cell(pct(figures.typical_na_rate), figures.typical_na_rate),
                Cell(FLAG_WORD if figures.na_flag else "", 0.0 if figures.na_flag else 1.0)),
                emphasis=figures.na_flag))
    return Table(columns, tuple(rows))
