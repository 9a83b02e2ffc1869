"""The audit workspace: the sample as a sortable, filterable table, progress, and the actions on a file.

The page only shows and asks: every action is an intent signal the main window carries out
through the services.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QByteArray, QEvent, QItemSelectionModel, QModelIndex, QObject, Qt, Signal, SignalInstance
from PySide6.QtGui import QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from audit_app.core.sampling import stratum_label
from audit_app.services.workspace import DONE, REPLACED, FileGrades, FileSummary, progress
from audit_app.ui.file_table_model import STATUS_FILTERS, FileFilterProxy, FileTableModel
from audit_app.ui.text import heading


class WorkspacePage(QWidget):
    """Every sampled file with its status, reviewer and grade; the file actions act on the selected row."""

    open_requested = Signal(str)  # ref: open (or start) my review of it
    second_review_requested = Signal(str)
    moderation_requested = Signal(str)
    sign_off_requested = Signal(str)
    replace_requested = Signal(str)
    history_requested = Signal(str)
    results_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = FileTableModel(self)
        self.proxy = FileFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self._me = ""
        self._read_only = False  # the audit is read-only: the buttons that would change it stay disabled
        self._build_ui()
        self._connect_signals()

    # -- construction

    def _build_ui(self) -> None:
        self.title_label = heading(self, 1.4)
        self.details_label = QLabel(self)
        self.details_label.setWordWrap(True)
        self.details_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.trail_label = QLabel(self)  # the trail's head, to write down: it anchors the trail (verify --head)
        self.trail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                                 | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.trail_label.setAccessibleName("Audit trail head")
        self.trail_label.setToolTip("The hash of the audit trail's last entry. Written down elsewhere (with a sign-off, "
                                    "in a report), it lets `audit-app verify AUDIT --head HASH` prove later that no "
                                    "entry up to it was changed.")
        self.read_only_label = QLabel(self)  # one line, shown while the audit is read-only: why, and what still works
        self.read_only_label.setObjectName("read_only_notice")
        self.read_only_label.setAccessibleName("Read-only notice")
        self.read_only_label.setWordWrap(True)
        self.read_only_label.setTextFormat(Qt.TextFormat.PlainText)
        self.read_only_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.read_only_label.setFrameShape(QFrame.Shape.StyledPanel)
        self.read_only_label.setAutoFillBackground(True)
        self.read_only_label.setBackgroundRole(QPalette.ColorRole.ToolTipBase)  # the theme's note colours
        self.read_only_label.setForegroundRole(QPalette.ColorRole.ToolTipText)
        self.read_only_label.setMargin(self.fontMetrics().averageCharWidth())
        self.read_only_label.hide()
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setAccessibleName("Files reviewed")
        self.progress_bar.setFormat("%v of %m files reviewed")

        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter by file, offence, area, reviewer… (Ctrl+F)")
        self.filter_edit.setAccessibleName("Filter files")
        self.filter_edit.setClearButtonEnabled(True)
        self.status_combo = QComboBox(self)
        self.status_combo.setAccessibleName("Status filter")
        for key, label in STATUS_FILTERS:
            self.status_combo.addItem(label, key)
        self.stratum_combo = QComboBox(self)
        self.stratum_combo.setAccessibleName("Stratum filter")
        self.mine_check = QCheckBox("Only &my files", self)
        filters = QHBoxLayout()
        filters.addWidget(self.filter_edit, 3)
        filters.addWidget(self.status_combo, 1)
        filters.addWidget(self.stratum_combo, 1)
        filters.addWidget(self.mine_check)

        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("Sampled files")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(FileTableModel.COL_STRATUM, Qt.SortOrder.AscendingOrder)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        # Initial widths from typical contents, measured in the table's own font (so they scale with it).
        samples = {FileTableModel.COL_REF: "3b4847290…397dc64", FileTableModel.COL_STRATUM: "theft_from_person",
                   FileTableModel.COL_OFFENCE: "Theft from the person", FileTableModel.COL_AREA: "City of London 001F",
                   FileTableModel.COL_MONTH: "2025-01", FileTableModel.COL_STATUS: "Complete (training)",
                   FileTableModel.COL_REVIEWER: "Demo Reviewer A (DEMO-2)",
                   FileTableModel.COL_GRADE: "Requires improvement (75.7)", FileTableModel.COL_SECOND: "Complete (Reviewer B)"}
        metrics = self.table.fontMetrics()
        self._widths = {column: metrics.horizontalAdvance(text) + metrics.averageCharWidth() * 3
                        for column, text in samples.items()}
        self._initial_widths = dict(self._widths)  # a column whose width differs was sized by the user
        self._longest: dict[int, str] = {}  # the longest text of each column (see fitted_widths)

        self.open_button = QPushButton("&Open review", self)
        self.next_button = QPushButton("&Next file to do", self)
        self.next_button.setToolTip("The next file not yet reviewed, or yours in progress (Ctrl+J)")
        self.second_button = QPushButton("&Second review…", self)
        self.moderate_button = QPushButton("Mo&derate…", self)
        self.sign_off_button = QPushButton("S&ign off…", self)
        self.replace_button = QPushButton("Rep&lace…", self)
        self.replace_button.setToolTip("Replace a file that turns out to be out of scope by its stratum's next reserve")
        self.history_button = QPushButton("His&tory…", self)
        self.results_button = QPushButton("&Results", self)
        self._writing_tips = {button: button.toolTip() for button in self.writing_buttons()}
        buttons = QHBoxLayout()
        for button in (self.open_button, self.next_button, self.second_button, self.moderate_button,
                       self.sign_off_button, self.replace_button, self.history_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.results_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addWidget(self.details_label)
        layout.addWidget(self.read_only_label)
        layout.addWidget(self.progress_bar)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.trail_label)
        self.setTabOrder(self.filter_edit, self.status_combo)
        self.setTabOrder(self.status_combo, self.stratum_combo)
        self.setTabOrder(self.stratum_combo, self.mine_check)
        self.setTabOrder(self.mine_check, self.table)

    def _connect_signals(self) -> None:
        self.filter_edit.textChanged.connect(lambda text: self.proxy.set_filters(text=text))
        self.status_combo.currentIndexChanged.connect(lambda: self.proxy.set_filters(status=self.status_combo.currentData()))
        self.stratum_combo.currentIndexChanged.connect(lambda: self.proxy.set_filters(stratum=self.stratum_combo.currentData()))
        self.mine_check.toggled.connect(lambda on: self.proxy.set_filters(reviewer=self._me if on else ""))
        self.table.activated.connect(self._on_table_activated)
        self.table.horizontalHeader().sectionResized.connect(self._on_section_resized)
        self.table.viewport().installEventFilter(self)
        self.table.selectionModel().currentRowChanged.connect(self._update_buttons)
        self.open_button.clicked.connect(lambda: self._emit_for_current(self.open_requested))
        self.next_button.clicked.connect(self.select_next_to_do)
        self.second_button.clicked.connect(lambda: self._emit_for_current(self.second_review_requested))
        self.moderate_button.clicked.connect(lambda: self._emit_for_current(self.moderation_requested))
        self.sign_off_button.clicked.connect(lambda: self._emit_for_current(self.sign_off_requested))
        self.replace_button.clicked.connect(lambda: self._emit_for_current(self.replace_requested))
        self.history_button.clicked.connect(lambda: self._emit_for_current(self.history_requested))
        self.results_button.clicked.connect(self.results_requested)
        QShortcut(QKeySequence.StandardKey.Find, self, self.filter_edit.setFocus)
        QShortcut(QKeySequence("Ctrl+J"), self, self.select_next_to_do)

    # -- what the main window calls

    def show_trail(self, entries: int, head: str) -> None:
        self.trail_label.setText(f"Audit trail: {entries} entries; head {head}" if head else "Audit trail: empty")

    def show_audit(self, title: str, details: str, files: list[FileSummary], me: str) -> None:
        """Show an audit's sample (keeps the selected file and the filters when it is the same audit)."""
        current = self.current_ref()
        self._me = me
        self.title_label.setText(title)
        first, _, rest = details.partition("\n")
        summary = rest.split(". ")[0] + "." if rest else ""
        self.details_label.setText(f"{first}\n{summary}".strip())
        self.details_label.setToolTip(details)
        self.model.set_rows(files)
        self._longest = self.model.longest_texts()
        self._apply_widths()
        self._fill_strata(files)
        done, total = progress(files)
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(done)
        self.progress_bar.setFormat(f"{done} of {total} files reviewed" if total else "No files sampled yet")
        if self.mine_check.isChecked():
            self.proxy.set_filters(reviewer=me)
        if current:
            self.select_ref(current)
        elif self.proxy.rowCount():
            self.table.selectRow(0)
        self._update_buttons()

    def show_lead_actions(self, lead: bool) -> None:
        """Sign-off is offered only to a lead auditor named in the audit."""
        self.sign_off_button.setVisible(lead)

    def show_read_only(self, notice: str) -> None:
        """A read-only audit (``notice`` says so and why; "" when it can be written): the notice shows, and
        the buttons that would change the audit stay disabled, with the notice as their tooltip."""
        self._read_only = bool(notice)
        self.read_only_label.setText(notice)
        self.read_only_label.setVisible(self._read_only)
        for button in self.writing_buttons():
            button.setToolTip(notice or self._writing_tips.get(button, ""))
        self._update_buttons()

    def writing_buttons(self) -> tuple[QPushButton, ...]:
        """The buttons whose action changes the audit."""
        return (self.second_button, self.sign_off_button, self.replace_button)

    def set_grades(self, grades: dict[str, FileGrades]) -> None:
        self.model.set_grades(grades)
        self._longest = self.model.longest_texts()
        self._apply_widths()

    def current_ref(self) -> str | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.file(self.proxy.mapToSource(index).row()).ref

    def current_file(self) -> FileSummary | None:
        index = self.table.currentIndex()
        return self.model.file(self.proxy.mapToSource(index).row()) if index.isValid() else None

    def select_ref(self, ref: str) -> bool:
        row = self.model.row_of(ref)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            return False
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)
        return True

    def neighbour(self, ref: str | None, step: int) -> str | None:
        """The nearest file before (``step`` -1) or after (+1) ``ref`` in the table's current order
        that has been started (wrapping round; replaced and not-started files are skipped, so
        looking back never starts a review)."""
        count = self.proxy.rowCount()
        if not count:
            return None
        row = self.model.row_of(ref) if ref is not None else None
        index = self.proxy.mapFromSource(self.model.index(row, 0)) if row is not None else QModelIndex()
        start = index.row() if index.isValid() else -step
        for offset in range(1, count + 1):
            candidate = self.model.file(self.proxy.mapToSource(self.proxy.index((start + step * offset) % count, 0)).row())
            if candidate.status not in (REPLACED, "not_started"):
                return candidate.ref
        return None

    def next_to_do(self, after: str | None = None) -> str | None:
        """The next file to work on in table order: mine in progress first, else one not started."""
        order = [self.model.file(self.proxy.mapToSource(self.proxy.index(r, 0)).row()) for r in range(self.proxy.rowCount())]
        if after is not None:
            refs = [f.ref for f in order]
            if after in refs:
                start = refs.index(after) + 1
                order = order[start:] + order[:start]
        mine = [f for f in order if f.status == "in_progress" and f.reviewer == self._me and f.ref != after]
        fresh = [f for f in order if f.status == "not_started" and f.ref != after]
        chosen = mine or fresh
        return chosen[0].ref if chosen else None

    def select_next_to_do(self) -> None:
        ref = self.next_to_do(self.current_ref())
        if ref is not None:
            self.select_ref(ref)
            self.table.setFocus()

    def focus_table(self) -> None:
        """The keyboard to the table of files."""
        self.table.setFocus()

    def layout_state(self) -> dict[str, QByteArray]:
        """The table's column widths, order and sort as the user left them (to restore in a later session)."""
        return {"header": QByteArray(self.table.horizontalHeader().saveState())}

    def restore_layout_state(self, states: Mapping[str, QByteArray]) -> None:
        """Column widths and order as the user left them (kept through later model resets)."""
        if "header" not in states:
            return
        header = self.table.horizontalHeader()
        header.restoreState(states["header"])
        self._widths.update({column: header.sectionSize(column) for column in self._widths})

    # -- internals

    def _apply_widths(self) -> None:
        """Column widths survive a model reset (which would set them back to the default), fitted to the table."""
        header = self.table.horizontalHeader()
        header.blockSignals(True)
        widths = self.fitted_widths()
        # The last column fills the table when everything fits; otherwise it keeps its own width and
        # the table scrolls sideways.
        header.setStretchLastSection(sum(widths.values()) <= self.table.viewport().width())
        for column, width in widths.items():
            self.table.setColumnWidth(column, width)
        header.blockSignals(False)

    def fitted_widths(self) -> dict[int, int]:
        """The columns' widths: each cell's text whole, the file reference giving way first.

        A column takes the width of its longest text (up to 48 characters; a file reference no more
        than its usual width), or the width the user gave it, and never less than its heading (with
        room for the sort arrow). Where that is wider than the table, the file reference (a long
        hash) is elided in the middle, both ends readable and the whole reference in its tooltip;
        nothing else is cut: the table scrolls sideways instead.
        """
        metrics = self.table.horizontalHeader().fontMetrics()
        cell = self.table.fontMetrics()
        # Room for the sort arrow beside every heading: any column can be the sorted one.
        pad = metrics.averageCharWidth() * 3 + self.table.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize)
        heads = {column: metrics.horizontalAdvance(FileTableModel.HEADERS[column]) + pad for column in self._widths}
        wanted = {}
        for column, width in self._widths.items():
            if width == self._initial_widths[column] and column in self._longest:
                limit = width if column == FileTableModel.COL_REF else max(width, cell.averageCharWidth() * 48)
                width = min(cell.horizontalAdvance(self._longest[column]) + cell.averageCharWidth() * 2, limit)
            wanted[column] = max(width, heads[column])
        moderation = FileTableModel.COL_MODERATION  # the last column: it stretches to fill what is left
        last = max(metrics.horizontalAdvance(FileTableModel.HEADERS[moderation]) + pad,
                   cell.horizontalAdvance(self._longest.get(moderation, "")) + cell.averageCharWidth() * 2,
                   self.table.horizontalHeader().minimumSectionSize(), self.table.horizontalHeader().defaultSectionSize())
        over = sum(wanted.values()) - (self.table.viewport().width() - last)
        ref = FileTableModel.COL_REF
        if over > 0 and self._widths[ref] == self._initial_widths[ref]:
            wanted[ref] -= min(over, max(0, wanted[ref] - max(heads[ref], cell.averageCharWidth() * 14)))
        wanted[moderation] = last
        return wanted

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and watched is self.table.viewport():
            self._apply_widths()  # the table got wider or narrower: fit the columns again
        return super().eventFilter(watched, event)

    def _on_section_resized(self, column: int, old: int, new: int) -> None:
        if column != FileTableModel.COL_MODERATION:  # the last column stretches
            self._widths[column] = new

    def _fill_strata(self, files: list[FileSummary]) -> None:
        current = self.stratum_combo.currentData()
        self.stratum_combo.blockSignals(True)
        self.stratum_combo.clear()
        self.stratum_combo.addItem("All strata", "")
        for stratum in sorted({f.stratum for f in files}):
            self.stratum_combo.addItem(stratum_label(stratum), stratum)
        index = self.stratum_combo.findData(current) if current else 0
        self.stratum_combo.setCurrentIndex(max(index, 0))
        self.stratum_combo.blockSignals(False)

    def _emit_for_current(self, signal: SignalInstance) -> None:
        ref = self.current_ref()
        if ref is not None:
            signal.emit(ref)

    def _on_table_activated(self, index: QModelIndex) -> None:
        file = self.model.file(self.proxy.mapToSource(index).row())
        if file.status != REPLACED:
            self.open_requested.emit(file.ref)

    def _update_buttons(self) -> None:
        file = self.current_file()
        self.history_button.setEnabled(file is not None)
        if file is None or file.status == REPLACED:  # nothing to do but read its history
            for button in (self.open_button, self.second_button, self.moderate_button, self.sign_off_button,
                           self.replace_button):
                button.setEnabled(False)
            return
        self.open_button.setEnabled(True)
        self.second_button.setEnabled(file.status in DONE)
        self.moderate_button.setEnabled(file.second_status in DONE and file.status in DONE)
        # offered only to a lead, and only for a complete review that is not theirs (the service says why otherwise)
        self.sign_off_button.setEnabled((file.status == "complete" and file.reviewer != self._me)
                                        or (file.second_status == "complete" and file.second_reviewer != self._me))
        self.replace_button.setEnabled(file.status in ("not_started", "in_progress"))
        if self._read_only:
            for button in self.writing_buttons():
                button.setEnabled(False)
