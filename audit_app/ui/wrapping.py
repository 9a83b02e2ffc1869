"""Tree rows that wrap their first column's text instead of cutting it.

QTreeView paints wrapped text when word wrap is on, but sizes its rows as if the text were on one
line; this delegate gives each row the height its text needs at the column's current width, and
the view is laid out again whenever that width changes.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QTreeView


class WrappingDelegate(QStyledItemDelegate):
    """Rows as tall as their wrapped text in ``column`` of ``view``."""

    def __init__(self, view: QTreeView, column: int = 0):
        super().__init__(view)
        self.view = view
        self.column = column
        view.setWordWrap(True)
        view.setUniformRowHeights(False)
        view.setTextElideMode(Qt.TextElideMode.ElideNone)
        view.header().sectionResized.connect(self._on_section_resized)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        if index.column() != self.column:
            return size
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        depth, parent = 0, index.parent()
        while parent.isValid():
            depth, parent = depth + 1, parent.parent()
        margin = self.view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self.view) + 1
        width = self.view.columnWidth(self.column) - self.view.indentation() * (depth + 1) - 4 * margin
        if width <= 0:
            return size
        font = index.data(Qt.ItemDataRole.FontRole) or self.view.font()
        from PySide6.QtGui import QFontMetrics

        needed = QFontMetrics(font).boundingRect(QRect(0, 0, width, 100_000), int(Qt.TextFlag.TextWordWrap), text)
        return QSize(size.width(), max(size.height(), needed.height() + 2 * margin + 2))

    def _on_section_resized(self, column: int, old: int, new: int) -> None:
        if column == self.column and old != new:
            self.view.scheduleDelayedItemsLayout()
