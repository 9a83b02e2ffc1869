"""Small widgets and helpers the new-audit wizard's pages share: tables, inline messages, labels."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QStyle,
    QTableView,
    QWidget,
)

from audit_app.ui.ui_settings import UiSettings

CHOICE_ROLE = Qt.ItemDataRole.UserRole

FIELD_LABELS = {
    "ref": "Crime reference",
    "offence": "Offence",
    "offence_group": "Offence group",
    "area": "Area",
    "month": "Month",
    "outcome": "Outcome",
    "officer": "Officer in the case",
}


class RowsTableModel(QAbstractTableModel):
    """A read-only table of rows under column headings (file preview, rejections, strata)."""

    def __init__(self, headings: Sequence[str] = (), parent: QObject | None = None):
        super().__init__(parent)
        self._headings = list(headings)
        self._rows: list[tuple[Any, ...]] = []

    def set_rows(self, rows: Sequence[Sequence[Any]], headings: Sequence[str] | None = None) -> None:
        """Replace the rows (and, if given, the headings) and notify attached views."""
        self.beginResetModel()
        if headings is not None:
            self._headings = list(headings)
        self._rows = [tuple(row) for row in rows]
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008  (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headings)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        value = row[index.column()] if index.column() < len(row) else ""
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{value:,}" if isinstance(value, int) else str(value)
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(value) if len(str(value)) > 30 else None
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._headings[section] if section < len(self._headings) else None
        return str(section + 1)


class MessageLabel(QWidget):
    """An inline message under a form: a problem (warning icon) or a note; hidden when empty."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._icon = QLabel(self)
        self._text = QLabel(self)
        self._text.setWordWrap(True)
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self._text, 1)
        self.setAccessibleName("Message")
        self.hide()

    def text(self) -> str:
        """The message shown ("" when none)."""
        return "" if self.isHidden() else self._text.text()

    def show_problem(self, text: str) -> None:
        self._show(QStyle.StandardPixmap.SP_MessageBoxWarning, text, "Problem")

    def show_note(self, text: str) -> None:
        self._show(QStyle.StandardPixmap.SP_MessageBoxInformation, text, "Note")

    def clear(self) -> None:
        self._text.clear()
        self.hide()

    def _show(self, icon: QStyle.StandardPixmap, text: str, kind: str) -> None:
        size = self.fontMetrics().height()
        self._icon.setPixmap(self.style().standardIcon(icon).pixmap(size, size))
        self._text.setText(text)
        self.setAccessibleName(kind)
        self.setAccessibleDescription(text)
        self.show()


def buddy_label(text: str, widget: QWidget, parent: QWidget) -> QLabel:
    """A label whose mnemonic in ``text`` moves the focus to ``widget``."""
    label = QLabel(text, parent)
    label.setBuddy(widget)
    return label


def read_only_table(model: QAbstractTableModel, name: str, parent: QWidget, stretch: int = -1) -> QTableView:
    """A read-only table; column ``stretch`` takes the spare width (-1: the last one)."""
    view = QTableView(parent)
    view.setModel(model)
    view.setAccessibleName(name)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setAlternatingRowColors(True)
    view.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside it
    view.setWordWrap(False)
    view.verticalHeader().hide()  # row numbers would be mistaken for the file's own row numbers
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch < 0:
        view.horizontalHeader().setStretchLastSection(True)
    else:
        view.setProperty("stretch_column", stretch)
    return view


def fit_columns(view: QTableView, cap_chars: int = 40) -> None:
    """Size columns to their contents, but no wider than ``cap_chars`` characters."""
    view.resizeColumnsToContents()
    cap = view.fontMetrics().averageCharWidth() * cap_chars
    for column in range(view.model().columnCount()):
        if view.columnWidth(column) > cap:
            view.setColumnWidth(column, cap)
    stretch = view.property("stretch_column")
    if stretch is not None and stretch < view.model().columnCount():
        view.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)


def show_failure(parent: QWidget, message_label: MessageLabel, message: str, details: str) -> None:
    """Show a task's failure inline; a bug (with a traceback) also gets a box with the details."""
    message_label.show_problem(message)
    if details:
        box = QMessageBox(QMessageBox.Icon.Critical, "audit-app: unexpected error", message,
                          QMessageBox.StandardButton.Ok, parent)
        box.setDetailedText(details)
        box.open()


def choose_file_to_open(parent: QWidget, settings: UiSettings, caption: str, filters: str) -> str:
    """Ask for a file to open, starting in the last folder, and remember its folder ("" if none chosen)."""
    chosen, _filter = QFileDialog.getOpenFileName(parent, caption, settings.last_folder(), filters)
    if chosen:
        settings.set_last_folder(Path(chosen).parent)
    return chosen
