"""Page 1 of the new-audit wizard: title, scope and period of the audit, and where to save its file."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from PySide6.QtCore import QDate, QLocale
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDateTimeEdit,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from audit_app.ui.wizard.context import AuditDetails, WizardContext
from audit_app.ui.wizard.widgets import MessageLabel, buddy_label

AUDIT_SUFFIX = ".audit"


class DetailsPage(QWizardPage):
    """Title, scope and period of the audit, and where to save its file."""

    def __init__(self, context: WizardContext, parent: QWidget | None = None):
        super().__init__(parent)
        self._context = context
        self._path_chosen = False
        self._build_ui()
        self._connect_signals()

    def _build_ui(self) -> None:
        self.setTitle("The audit")
        self.setSubTitle("Name the audit, say what it covers, and choose where to save its file.")
        self.title_edit = QLineEdit(self)
        self.title_edit.setAccessibleName("Title")
        self.title_edit.setPlaceholderText("e.g. Neighbourhood crime file review, January 2025")
        self.scope_edit = QPlainTextEdit(self)
        self.scope_edit.setAccessibleName("Scope")
        self.scope_edit.setTabChangesFocus(True)
        self.scope_edit.setPlaceholderText("What the audit covers, in words (shown in the report)")
        self.scope_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.period_check = QCheckBox("Files from a &period:", self)
        self.period_check.setChecked(True)
        self.start_edit = self._date_edit("First day of the period")
        self.end_edit = self._date_edit("Last day of the period")
        today = QDate.currentDate()
        first = QDate(today.year(), today.month(), 1).addMonths(-1)
        self.start_edit.setDate(first)
        self.end_edit.setDate(first.addMonths(1).addDays(-1))
        self.path_edit = QLineEdit(self)
        self.path_edit.setAccessibleName("Audit file")
        self.choose_button = QPushButton("C&hoose…", self)
        self.choose_button.setAccessibleName("Choose where to save the audit file")
        self.message = MessageLabel(self)
        self._lay_out()
        self.registerField("title*", self.title_edit)
        self.registerField("path*", self.path_edit)

    def _date_edit(self, name: str) -> QDateEdit:
        edit = TypedDateEdit(self)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat(numeric_date_format(QLocale()))  # digits typed straight through: 01/04/2025
        edit.setCurrentSection(QDateTimeEdit.Section.DaySection if edit.displayFormat().startswith("d")
                               else edit.sectionAt(0))
        edit.setAccessibleName(name)
        edit.setToolTip(f"Type the date ({edit.displayFormat().lower()}), or choose it from the calendar")
        return edit

    def _lay_out(self) -> None:
        period = QHBoxLayout()
        period.addWidget(self.start_edit)
        period.addWidget(buddy_label("&until", self.end_edit, self))
        period.addWidget(self.end_edit)
        period.addStretch(1)
        where = QHBoxLayout()
        where.addWidget(self.path_edit, 1)
        where.addWidget(self.choose_button)
        form = QFormLayout()
        form.addRow(buddy_label("&Title:", self.title_edit, self), self.title_edit)
        form.addRow(buddy_label("Sc&ope:", self.scope_edit, self), self.scope_edit)
        form.addRow(self.period_check, period)
        form.addRow(buddy_label("&Save as:", self.path_edit, self), where)
        form.addRow(self.message)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)

    def _connect_signals(self) -> None:
        self.title_edit.textChanged.connect(self._on_title_changed)
        self.path_edit.textEdited.connect(self._on_path_edited)
        self.choose_button.clicked.connect(self._on_choose_clicked)
        self.period_check.toggled.connect(self.start_edit.setEnabled)
        self.period_check.toggled.connect(self.end_edit.setEnabled)

    def initializePage(self) -> None:
        if not self.path_edit.text():
            self._suggest_path()

    def _on_title_changed(self, _text: str) -> None:
        self.message.clear()
        if not self._path_chosen:
            self._suggest_path()

    def _suggest_path(self) -> None:
        name = re.sub(r"[^a-z0-9]+", "-", self.title_edit.text().lower()).strip("-")[:60] or "audit"
        self.path_edit.setText(str(Path(self._context.settings.audit_folder()) / f"{name}{AUDIT_SUFFIX}"))

    def _on_path_edited(self, _text: str) -> None:
        self._path_chosen = True
        self.message.clear()

    def _on_choose_clicked(self) -> None:
        chosen, _filter = QFileDialog.getSaveFileName(
            self, "Save the new audit as", self.path_edit.text(), f"Audit files (*{AUDIT_SUFFIX})")
        if chosen:
            self._path_chosen = True
            self.path_edit.setText(str(_with_suffix(Path(chosen))))
            self._context.settings.set_audit_folder(Path(chosen).parent)
            self.message.clear()

    def period(self) -> tuple[dt.date, dt.date] | None:
        if not self.period_check.isChecked():
            return None
        start, end = self.start_edit.date().toPython(), self.end_edit.date().toPython()
        assert isinstance(start, dt.date) and isinstance(end, dt.date)  # a QDate converts to a date
        return start, end

    def path(self) -> Path:
        path = Path(self.path_edit.text().strip()).expanduser()
        if not path.is_absolute():
            path = Path(self._context.settings.audit_folder()) / path
        return _with_suffix(path)

    def validatePage(self) -> bool:
        problem = self._problem()
        if problem:
            self.message.show_problem(problem)
            return False
        self.message.clear()
        path = self.path()
        self.path_edit.setText(str(path))
        self._context.settings.set_audit_folder(path.parent)
        self._context.details = AuditDetails(self.title_edit.text().strip(), self.scope_edit.toPlainText().strip(),
                                             self.period(), path)
        return True

    def _problem(self) -> str:
        if not self.title_edit.text().strip():
            return "Give the audit a title."
        if not self.path_edit.text().strip():
            return "Choose where to save the audit file."
        path = self.path()
        if path.exists():
            return f"There is already a file at {path}: choose another name (an audit file is never overwritten)."
        if not path.parent.is_dir():
            return f"The folder {path.parent} does not exist: choose where to save the audit file."
        period = self.period()
        if period and period[1] < period[0]:
            return f"The period ends ({period[1]:%d %b %Y}) before it starts ({period[0]:%d %b %Y})."
        return ""


class TypedDateEdit(QDateEdit):
    """A date edit that takes a date typed straight through, with or without separators.

    Qt moves on to the next section once one is full ("01" → the month), so the separator typed
    next would skip the month as well: a separator typed at the very start of a section is
    taken as already done.
    """

    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        if text and not text.isdigit() and text.isprintable() and not text.isspace():
            line = self.lineEdit()
            at = line.selectionStart() if line.hasSelectedText() else line.cursorPosition()
            if at > 0 and not line.text()[at - 1].isdigit():
                event.accept()
                return
        super().keyPressEvent(event)


def numeric_date_format(locale: QLocale) -> str:
    """The locale's order of day, month and year as a fixed-width numeric format (``dd/MM/yyyy`` in
    the UK, ``MM/dd/yyyy`` in the US): every section is typed in full, so digits run straight on."""
    short = locale.dateFormat(QLocale.FormatType.ShortFormat)
    order = list(dict.fromkeys(part[0] for part in re.findall(r"d+|M+|y+", short)))
    if sorted(order) != ["M", "d", "y"]:
        order = ["d", "M", "y"]
    separator = next(iter(re.findall(r"[^dMy'\s]", short)), "/")
    return separator.join({"d": "dd", "M": "MM", "y": "yyyy"}[part] for part in order)


def _with_suffix(path: Path) -> Path:
    return path if path.suffix.lower() == AUDIT_SUFFIX else path.with_name(path.name + AUDIT_SUFFIX)
