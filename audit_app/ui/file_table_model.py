"""The sample as a table: one row per sampled file (a Qt model over workspace.FileSummary), and the
proxy that sorts and filters it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QFont

from audit_app.core.sampling import stratum_label
from audit_app.services import moderation
from audit_app.services.workspace import REPLACED, STATUS_LABELS, FileGrades, FileSummary

Index = QModelIndex | QPersistentModelIndex
STATUS_ORDER = {"not_started": 0, "in_progress": 1, "complete": 2, "signed_off": 3, REPLACED: 4}
SECOND_LABELS = {"": "", "in_progress": "In progress", "complete": "Complete", "signed_off": "Signed off"}


class FileTableModel(QAbstractTableModel):
    """Read-only table of the sampled files; grades arrive later (they are computed off the GUI thread)."""

    COL_REF = 0
    COL_STRATUM = 1
    COL_OFFENCE = 2
    COL_AREA = 3
    COL_MONTH = 4
    COL_STATUS = 5
    COL_REVIEWER = 6
    COL_GRADE = 7
    COL_SECOND = 8
    COL_MODERATION = 9
    HEADERS = ("File", "Stratum", "Offence", "Area", "Month", "Status", "Reviewer", "Grade", "Second review", "Moderation")

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self._rows: list[FileSummary] = []
        self._grades: dict[str, FileGrades] = {}
        self._row_of: dict[str, int] = {}
        self._sort: tuple[int, Qt.SortOrder] | None = None

    def set_rows(self, rows: list[FileSummary]) -> None:
        """Replace the files shown, in the current sort order (grades already known are kept)."""
        self.beginResetModel()
        self._rows = self._sorted(list(rows))
        self._row_of = {f.ref: i for i, f in enumerate(self._rows)}
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the rows here, once per key (a proxy's sort asks for every key of every comparison:
        tens of thousands of calls into Python for 2,000 files)."""
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        before = self._rows
        old = self.persistentIndexList()
        self._rows = self._sorted(self._rows)
        self._row_of = {f.ref: i for i, f in enumerate(self._rows)}
        moved = [self.index(self._row_of[before[index.row()].ref], index.column()) for index in old]
        self.changePersistentIndexList(old, moved)
        self.layoutChanged.emit()

    def _sorted(self, rows: list[FileSummary]) -> list[FileSummary]:
        if self._sort is None:
            return rows
        column, order = self._sort
        return sorted(rows, key=lambda f: (self._sort_key(f, column), f.stratum, f.ref),
                      reverse=order == Qt.SortOrder.DescendingOrder)

    def set_grades(self, grades: dict[str, FileGrades]) -> None:
        self._grades = dict(grades)
        if self._rows:
            self.dataChanged.emit(self.index(0, self.COL_GRADE), self.index(len(self._rows) - 1, self.COL_MODERATION))

    def file(self, row: int) -> FileSummary:
        return self._rows[row]

    def files(self) -> list[FileSummary]:
        return list(self._rows)

    def grades(self, ref: str) -> FileGrades | None:
        return self._grades.get(ref)

    def row_of(self, ref: str) -> int | None:
        return self._row_of.get(ref)

    # -- Qt model interface

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        summary = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(summary, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(summary, column)
        if role == Qt.ItemDataRole.FontRole and summary.status == REPLACED:
            font = QFont()
            font.setItalic(True)
            return font
        return None

    def longest_texts(self) -> dict[int, str]:
        """The longest text (in characters) shown in each column, to size the columns by."""
        return {column: max((self._text(f, column) for f in self._rows), key=len, default="")
                for column in range(len(self.HEADERS))}

    def _text(self, f: FileSummary, column: int) -> str:
        graded = self._grades.get(f.ref)
        if column == self.COL_REF:
            return f.ref
        if column == self.COL_STRATUM:
            return stratum_label(f.stratum)
        if column == self.COL_OFFENCE:
            return f.offence
        if column == self.COL_AREA:
            return f.area
        if column == self.COL_MONTH:
            return f.month
        if column == self.COL_STATUS:
            return f.status_label + (" (training)" if f.training else "")
        if column == self.COL_REVIEWER:
            return f.reviewer
        if column == self.COL_GRADE:
            return _grade_text(f, graded)
        if column == self.COL_SECOND:
            text = SECOND_LABELS[f.second_status]
            return f"{text} ({f.second_reviewer.split(' (')[0]})" if text else ""
        if column == self.COL_MODERATION:
            if graded is not None and graded.moderation_state != moderation.NO_SECOND:
                return moderation.STATE_LABELS[graded.moderation_state]
            if graded is not None and graded.primary is not None and graded.primary.needs_moderation and f.status != REPLACED:
                return "Needs a second review"
            return ""
        return ""

    def _sort_key(self, f: FileSummary, column: int) -> Any:
        if column == self.COL_STATUS:
            return STATUS_ORDER[f.status]
        if column == self.COL_GRADE:
            graded = self._grades.get(f.ref)
            result = graded.final if graded else None
            return result.score if result is not None and result.score is not None else -1.0
        return self._text(f, column).casefold()

    def _tooltip(self, f: FileSummary, column: int) -> str | None:
        if column == self.COL_REF:
            return f.ref
        if column in (self.COL_REVIEWER, self.COL_SECOND):
            return f.reviewer if column == self.COL_REVIEWER else f.second_reviewer
        if column == self.COL_STATUS and f.training:
            return "A training example: an invented review, not a finding about a real investigation"
        if column == self.COL_STATUS and f.status == REPLACED:
            return f"Replaced: {f.replaced_reason}"
        if column == self.COL_STATUS and f.replaces:
            return f"Reserve file replacing {f.replaces}"
        if column == self.COL_GRADE:
            graded = self._grades.get(f.ref)
            if graded and graded.final and graded.final.caps_applied:
                return "; ".join(graded.final.caps_applied)
        return None


def _grade_text(f: FileSummary, graded: FileGrades | None) -> str:
    if f.status == REPLACED or f.primary_id is None:
        return ""
    if graded is None:
        return "…"
    result = graded.final
    if result is None or not result.grade_label:
        return ""
    text = result.grade_label
    if result.score is not None:
        text += f" ({result.score:g})"
    if f.status == "in_progress":
        text += " · provisional"
    elif graded.final_is_agreed:
        text += " · agreed"
    return text


class FileFilterProxy(QSortFilterProxyModel):
    """Sorts by each column's sort key and filters by text, status, stratum and reviewer."""

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self.setDynamicSortFilter(False)  # the filters do not depend on grades arriving; refilter on demand
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._text = ""
        self._status = ""
        self._stratum = ""
        self._reviewer = ""

    def set_filters(self, *, text: str | None = None, status: str | None = None, stratum: str | None = None,
                    reviewer: str | None = None) -> None:
        self.beginFilterChange()
        if text is not None:
            self._text = text.strip().casefold()
        if status is not None:
            self._status = status
        if stratum is not None:
            self._stratum = stratum
        if reviewer is not None:
            self._reviewer = reviewer
        self.endFilterChange()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """The source model sorts (see FileTableModel.sort); this proxy keeps its order and filters."""
        model = self.sourceModel()
        if model is not None:
            model.sort(column, order)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, FileTableModel)
        f = model.file(source_row)
        if self._status and f.status != self._status:
            return False
        if self._stratum and f.stratum != self._stratum:
            return False
        if self._reviewer and self._reviewer not in (f.reviewer, f.second_reviewer):
            return False
        if self._text:
            haystack = " ".join((f.ref, f.offence, f.area, f.month, f.reviewer, f.stratum, f.outcome)).casefold()
            return self._text in haystack
        return True


STATUS_FILTERS = [("", "All statuses")] + [(key, label) for key, label in STATUS_LABELS.items()]
