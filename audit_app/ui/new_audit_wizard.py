"""The new-audit wizard: details, checklist, population import, sample design, then the draw.

Screen 2 of issue 4. Pages are built in code and call ``services.setup`` (never SQL). Anything
that reads a file or the audit runs as a background :class:`~audit_app.ui.workers.Task` that
opens its own audit connection, so the window never freezes.

The audit file is created when the auditor leaves the Checklist page (a commit page: there is no
way back past it). From then on nothing is lost: cancelling keeps the unfinished audit and says
where it is, and ``NewAuditWizard(..., resume_path=PATH)`` carries on at the first step not done.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QDate, QModelIndex, QObject, Qt, QTimer
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QStyle,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from audit_app.core import population as pop
from audit_app.core.sampling import generate_seed
from audit_app.services import setup
from audit_app.services.audits import SampleRequest, SampleResult
from audit_app.services.setup import SetupError, SetupState
from audit_app.ui.ui_settings import UiSettings
from audit_app.ui.workers import Reporter, Task, run_with_progress

log = logging.getLogger(__name__)

PAGE_DETAILS, PAGE_CHECKLIST, PAGE_POPULATION, PAGE_SUMMARY, PAGE_DESIGN, PAGE_DRAW = range(6)
AUDIT_SUFFIX = ".audit"
GEOMETRY_KEY = "new_audit_wizard/geometry"
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
GROUP_LABELS = {
    "burglary": "Burglar&y (residential)",
    "robbery": "Robbery (&personal)",
    "theft_from_person": "&Theft from the person",
    "vehicle": "&Vehicle offences",
    "other": "Other offence&s",
}
PRESET_LABELS = {"police-uk": "police.uk street-level crime export (police-uk)"}
NOT_MAPPED = "(not mapped)"


# -- small building blocks -------------------------------------------------------------------------


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

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008  (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headings)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
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


def _buddy(text: str, widget: QWidget, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setBuddy(widget)
    return label


def _table(model: QAbstractTableModel, name: str, parent: QWidget, stretch: int = -1) -> QTableView:
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


def _fit_columns(view: QTableView, cap_chars: int = 40) -> None:
    """Size columns to their contents, but no wider than ``cap_chars`` characters."""
    view.resizeColumnsToContents()
    cap = view.fontMetrics().averageCharWidth() * cap_chars
    for column in range(view.model().columnCount()):
        if view.columnWidth(column) > cap:
            view.setColumnWidth(column, cap)
    stretch = view.property("stretch_column")
    if stretch is not None and stretch < view.model().columnCount():
        view.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)


def _percent_spin(minimum: float, maximum: float, value: float, name: str, parent: QWidget) -> QDoubleSpinBox:
    spin = QDoubleSpinBox(parent)
    spin.setRange(minimum, maximum)
    spin.setDecimals(1)
    spin.setSingleStep(0.5)
    spin.setSuffix(" %")
    spin.setValue(value)
    spin.setAccessibleName(name)
    return spin


def _rate(spin: QDoubleSpinBox) -> float:
    """A percentage spin box as a rate, exact to the decimal shown (5 % is 0.05, not 0.05000000000000001)."""
    return float(Decimal(str(round(spin.value(), spin.decimals()))) / 100)


def _percent(rate: float | None) -> str:
    return "" if rate is None else f"{Decimal(repr(rate)) * 100:f}".rstrip("0").rstrip(".")


def _show_failure(parent: QWidget, message_label: MessageLabel, message: str, details: str) -> None:
    """Show a task's failure inline; a bug (with a traceback) also gets a box with the details."""
    message_label.show_problem(message)
    if details:
        box = QMessageBox(QMessageBox.Icon.Critical, "audit-app: unexpected error", message,
                          QMessageBox.StandardButton.Ok, parent)
        box.setDetailedText(details)
        box.open()


@dataclass
class AuditDetails:
    """What the Details page collected."""

    title: str
    scope: str
    period: tuple[dt.date, dt.date] | None
    path: Path


class _Context(QObject):
    """What the pages share: settings, the actor, the audit being set up and the running tasks."""

    def __init__(self, settings: UiSettings, actor: str, parent: QObject | None = None):
        super().__init__(parent)
        self.settings = settings
        self.actor = actor
        self.details: AuditDetails | None = None
        self.state: SetupState | None = None
        self._tasks: set[Task] = set()

    @property
    def audit_path(self) -> Path | None:
        return self.state.path if self.state else None

    @property
    def period(self) -> tuple[dt.date, dt.date] | None:
        if self.state is not None:
            return self.state.period
        return self.details.period if self.details else None

    def run(self, function: Callable[[Reporter], Any], succeeded: Callable[[Any], None],
            failed: Callable[[str, str], None]) -> Task:
        """Start ``function`` in the background (no dialog); keep the task alive until it finishes.

        The task has no parent: if the wizard closes first, the task ends on its own and its
        signals, connected to methods of deleted pages, are dropped by Qt.
        """
        task = Task(function)
        self._keep(task)
        task.succeeded.connect(succeeded)
        task.failed.connect(failed)
        task.start()
        return task

    def run_with_dialog(self, parent: QWidget, title: str, label: str, function: Callable[[Reporter], Any]) -> Task:
        """Start ``function`` with a cancellable progress dialog over ``parent``."""
        task = run_with_progress(parent, title, label, function)
        self._keep(task)
        return task

    def busy(self) -> bool:
        return bool(self._tasks)

    def _keep(self, task: Task) -> None:
        self._tasks.add(task)
        task.finished.connect(partial(self._tasks.discard, task))


# -- page 1: details -------------------------------------------------------------------------------


class DetailsPage(QWizardPage):
    """Title, scope and period of the audit, and where to save its file."""

    def __init__(self, context: _Context, parent: QWidget | None = None):
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

        period = QHBoxLayout()
        period.addWidget(self.start_edit)
        period.addWidget(_buddy("&until", self.end_edit, self))
        period.addWidget(self.end_edit)
        period.addStretch(1)
        where = QHBoxLayout()
        where.addWidget(self.path_edit, 1)
        where.addWidget(self.choose_button)
        form = QFormLayout()
        form.addRow(_buddy("&Title:", self.title_edit, self), self.title_edit)
        form.addRow(_buddy("Sc&ope:", self.scope_edit, self), self.scope_edit)
        form.addRow(self.period_check, period)
        form.addRow(_buddy("&Save as:", self.path_edit, self), where)
        form.addRow(self.message)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)
        self.registerField("title*", self.title_edit)
        self.registerField("path*", self.path_edit)

    def _date_edit(self, name: str) -> QDateEdit:
        edit = QDateEdit(self)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("d MMM yyyy")
        edit.setAccessibleName(name)
        return edit

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
        self.path_edit.setText(str(Path(self._context.settings.last_folder()) / f"{name}{AUDIT_SUFFIX}"))

    def _on_path_edited(self, _text: str) -> None:
        self._path_chosen = True
        self.message.clear()

    def _on_choose_clicked(self) -> None:
        chosen, _filter = QFileDialog.getSaveFileName(
            self, "Save the new audit as", self.path_edit.text(), f"Audit files (*{AUDIT_SUFFIX})")
        if chosen:
            self._path_chosen = True
            self.path_edit.setText(str(_with_suffix(Path(chosen))))
            self._context.settings.set_last_folder(Path(chosen).parent)
            self.message.clear()

    def period(self) -> tuple[dt.date, dt.date] | None:
        if not self.period_check.isChecked():
            return None
        return self.start_edit.date().toPython(), self.end_edit.date().toPython()

    def path(self) -> Path:
        path = Path(self.path_edit.text().strip()).expanduser()
        if not path.is_absolute():
            path = Path(self._context.settings.last_folder()) / path
        return _with_suffix(path)

    def validatePage(self) -> bool:
        problem = self._problem()
        if problem:
            self.message.show_problem(problem)
            return False
        self.message.clear()
        path = self.path()
        self.path_edit.setText(str(path))
        self._context.settings.set_last_folder(path.parent)
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


def _with_suffix(path: Path) -> Path:
    return path if path.suffix.lower() == AUDIT_SUFFIX else path.with_name(path.name + AUDIT_SUFFIX)


# -- page 2: checklist -----------------------------------------------------------------------------


class ChecklistPage(QWizardPage):
    """Choose a bundled checklist or a checklist file; leaving the page creates the audit file."""

    def __init__(self, context: _Context, parent: QWidget | None = None):
        super().__init__(parent)
        self._context = context
        self._loading = False
        self._creating = False
        self._created = False
        self._build_ui()
        self._connect_signals()

    def _build_ui(self) -> None:
        self.setTitle("Checklist")
        self.setSubTitle("Choose the checklist the files are reviewed against. Its full text is copied into the "
                         "audit file, so later edits to the checklist do not change this audit.")
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Create the audit")
        self.list = QListWidget(self)
        self.list.setAccessibleName("Checklists")
        self.open_button = QPushButton("&Open a checklist file…", self)
        self.problems_label = QLabel(self)
        self.problems_label.setWordWrap(True)
        self.problems = QPlainTextEdit(self)
        self.problems.setReadOnly(True)
        self.problems.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.problems.setAccessibleName("Problems in the checklist file")
        self.problems.setTabChangesFocus(True)
        self.problems_label.setBuddy(self.problems)
        self.message = MessageLabel(self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(_buddy("Chec&klists:", self.list, self))
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.problems_label)
        layout.addWidget(self.problems, 2)
        layout.addWidget(self.message)
        self._show_problems(None)

    def _connect_signals(self) -> None:
        self.list.currentItemChanged.connect(self._on_current_changed)
        self.open_button.clicked.connect(self._on_open_clicked)

    def initializePage(self) -> None:
        if self.list.count() == 0 and not self._loading:
            self._loading = True
            placeholder = QListWidgetItem("Loading the bundled checklists…", self.list)
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
            self._context.run(lambda reporter: setup.bundled_choices(), self._on_bundled_loaded, self._on_load_failed)

    def _on_bundled_loaded(self, choices: list[setup.ChecklistChoice]) -> None:
        self._loading = False
        self.list.clear()
        for choice in choices:
            self._add(choice)
        if self.list.count():
            self.list.setCurrentRow(0)
        self.completeChanged.emit()

    def _on_load_failed(self, message: str, details: str) -> None:
        self._loading = False
        self.list.clear()
        _show_failure(self, self.message, message, details)
        self.completeChanged.emit()

    def _add(self, choice: setup.ChecklistChoice) -> QListWidgetItem:
        if choice.valid:
            origin = "bundled" if choice.bundled else str(choice.path)
            text = f"{choice.title}\n    {choice.id} {choice.version} · {choice.items} items · {origin}"
        else:
            text = f"{choice.path.name}\n    not valid: {len(choice.problems)} problem(s) · {choice.path}"
        item = QListWidgetItem(text, self.list)
        item.setData(CHOICE_ROLE, choice)
        return item

    def _on_open_clicked(self) -> None:
        chosen, _filter = QFileDialog.getOpenFileName(
            self, "Open a checklist file", self._context.settings.last_folder(),
            "Checklists (*.yaml *.yml);;All files (*)")
        if not chosen:
            return
        self._context.settings.set_last_folder(Path(chosen).parent)
        self.open_file(chosen)

    def open_file(self, path: str | Path) -> None:
        """Check a checklist file in the background, then list it (valid or with its problems)."""
        self._loading = True
        self.message.show_note(f"Checking {Path(path).name}…")
        self.completeChanged.emit()
        self._context.run(partial(_check_checklist, str(path)), self._on_file_checked, self._on_load_failed)

    def _on_file_checked(self, choice: setup.ChecklistChoice) -> None:
        self._loading = False
        self.message.clear()
        for row in range(self.list.count()):  # opening the same file again replaces its entry
            existing = self.list.item(row).data(CHOICE_ROLE)
            if existing is not None and not existing.bundled and existing.path == choice.path:
                self.list.takeItem(row)
                break
        self.list.setCurrentItem(self._add(choice))
        self.completeChanged.emit()

    def current_choice(self) -> setup.ChecklistChoice | None:
        item = self.list.currentItem()
        return item.data(CHOICE_ROLE) if item is not None else None

    def _on_current_changed(self, *_items: object) -> None:
        choice = self.current_choice()
        self._show_problems(choice if choice is not None and not choice.valid else None)
        self.completeChanged.emit()

    def _show_problems(self, choice: setup.ChecklistChoice | None) -> None:
        visible = choice is not None
        self.problems_label.setVisible(visible)
        self.problems.setVisible(visible)
        if choice is None:
            self.problems.clear()
            return
        count = len(choice.problems)
        self.problems_label.setText(
            f"{choice.path.name} cannot be used: it has {count} &problem{'s' if count != 1 else ''}. "
            "Correct the file and open it again, or choose another checklist.")
        self.problems.setPlainText("\n".join(str(problem) for problem in choice.problems))

    def creating(self) -> bool:
        """The audit file is being written."""
        return self._creating

    def isComplete(self) -> bool:
        choice = self.current_choice()
        return (choice is not None and choice.valid and not self._loading and not self._creating) or self._created

    def validatePage(self) -> bool:
        """Create the audit file in the background; the wizard moves on when it exists."""
        if self._created:
            return True
        choice, details = self.current_choice(), self._context.details
        if self._creating or choice is None or not choice.valid or details is None:
            return False
        self._creating = True
        self.message.show_note(f"Creating {details.path}…")
        self.completeChanged.emit()
        function = partial(_create_audit, details, choice.path, self._context.actor)
        self._context.run(function, self._on_created, self._on_create_failed)
        return False

    def _on_created(self, state: SetupState) -> None:
        self._creating = False
        self._created = True
        self._context.state = state
        self._context.settings.add_recent_audit(state.path)
        self.message.clear()
        self.completeChanged.emit()
        self.wizard().next()

    def _on_create_failed(self, message: str, details: str) -> None:
        self._creating = False
        _show_failure(self, self.message, message, details)
        self.completeChanged.emit()


def _check_checklist(path: str, reporter: Reporter) -> setup.ChecklistChoice:
    return setup.check_checklist_file(path)


def _create_audit(details: AuditDetails, checklist: Path, actor: str, reporter: Reporter) -> SetupState:
    return setup.create_audit_file(details.path, checklist, details.title, actor, scope=details.scope,
                                   period=details.period)


# -- page 3: population file -----------------------------------------------------------------------


class PopulationPage(QWizardPage):
    """Choose the population file, map its columns, set the scope, and import it."""

    def __init__(self, context: _Context, parent: QWidget | None = None):
        super().__init__(parent)
        self._context = context
        self._file: Path | None = None
        self._base: setup.PopulationPreview | None = None  # as read from the file
        self._preview: setup.PopulationPreview | None = None  # with the current preset and mapping
        self._manual: dict[str, str] = {}  # fields the auditor mapped by hand ("" = left unmapped)
        self._reading = 0  # generation of the preview being read, 0 when none
        self._importing = False
        self._build_ui()
        self._connect_signals()

    def _build_ui(self) -> None:
        self.setTitle("Population")
        self.setSubTitle("Import the export of recorded crimes the sample is drawn from. Check that each field "
                         "comes from the right column, and which files are in scope.")
        self.file_edit = QLineEdit(self)
        self.file_edit.setReadOnly(True)
        self.file_edit.setAccessibleName("Population file")
        self.file_edit.setPlaceholderText("A CSV or XLSX file")
        self.choose_button = QPushButton("&Choose file…", self)
        self.choose_button.setAccessibleName("Choose the population file")
        self.preset_combo = QComboBox(self)
        self.preset_combo.setAccessibleName("Preset")
        self.preset_combo.addItem("None: match the columns by their names", None)
        for key in sorted(pop.PRESETS):
            self.preset_combo.addItem(PRESET_LABELS.get(key, key), key)
        top = QGridLayout()
        top.addWidget(QLabel("File:", self), 0, 0)
        top.addWidget(self.file_edit, 0, 1)
        top.addWidget(self.choose_button, 0, 2)
        top.addWidget(_buddy("Pr&eset:", self.preset_combo, self), 1, 0)
        top.addWidget(self.preset_combo, 1, 1, 1, 2)
        top.setColumnStretch(1, 1)

        middle = QHBoxLayout()
        middle.addWidget(self._build_mapping(), 3)
        middle.addWidget(self._build_scope(), 2)

        self.preview_model = RowsTableModel()
        self.preview_view = _table(self.preview_model, "First rows of the file", self)
        self.preview_label = _buddy("First rows of the file (&what each column feeds is under its name):",
                                    self.preview_view, self)
        self.message = MessageLabel(self)
        self.import_button = QPushButton("&Import", self)
        self.import_button.setAccessibleName("Import the population file")
        self.import_button.setEnabled(False)
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.import_button, 0, Qt.AlignmentFlag.AlignTop)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(middle)
        layout.addWidget(self.preview_label)
        layout.addWidget(self.preview_view, 1)
        self.preview_view.setMinimumHeight(self.fontMetrics().lineSpacing() * 9)
        layout.addLayout(bottom)

    def _build_mapping(self) -> QGroupBox:
        box = QGroupBox("Columns", self)
        grid = QGridLayout(box)
        self.field_combos: dict[str, QComboBox] = {}
        self.how_labels: dict[str, QLabel] = {}
        mnemonics = {"ref": "Crime &reference", "offence": "&Offence", "offence_group": "Offence &group",
                     "area": "&Area", "month": "&Month", "outcome": "O&utcome", "officer": "O&fficer in the case"}
        for row, name in enumerate(pop.CANONICAL_FIELDS):
            combo = QComboBox(box)
            combo.setAccessibleName(f"Column for {FIELD_LABELS[name]}")
            combo.setEnabled(False)
            how = QLabel(box)
            how.setMinimumWidth(self.fontMetrics().horizontalAdvance("matched by its header  "))
            how.setAccessibleName(f"How {FIELD_LABELS[name]} was matched")
            grid.addWidget(_buddy(mnemonics.get(name, FIELD_LABELS[name]) + ":", combo, box), row, 0)
            grid.addWidget(combo, row, 1)
            grid.addWidget(how, row, 2)
            self.field_combos[name] = combo
            self.how_labels[name] = how
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 0)
        return box

    def _build_scope(self) -> QGroupBox:
        box = QGroupBox("Scope: files to sample from", self)
        layout = QVBoxLayout(box)
        self.group_checks: dict[str, QCheckBox] = {}
        for group in setup.OFFENCE_GROUPS:
            check = QCheckBox(GROUP_LABELS.get(group, group), box)
            check.setChecked(group in setup.NEIGHBOURHOOD_GROUPS)
            layout.addWidget(check)
            self.group_checks[group] = check
        self.month_check = QCheckBox(box)
        layout.addWidget(self.month_check)
        note = QLabel("Files outside the scope are imported but not sampled.", box)
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addStretch(1)
        return box

    def _connect_signals(self) -> None:
        self.choose_button.clicked.connect(self._on_choose_clicked)
        self.preset_combo.currentIndexChanged.connect(self._on_preset_changed)
        for name, combo in self.field_combos.items():
            combo.activated.connect(partial(self._on_field_chosen, name))
        for check in self.group_checks.values():
            check.toggled.connect(self.message.clear)
        self.import_button.clicked.connect(self._on_import_clicked)

    def initializePage(self) -> None:
        period = self._context.period
        if period:
            self.month_check.setText(f"Only months in the audit perio&d ({_months_text(period)})")
            self.month_check.setEnabled(True)
        else:
            self.month_check.setText("Only months in the audit perio&d (no period was set)")
            self.month_check.setChecked(False)
            self.month_check.setEnabled(False)
        imports = self._context.state.imports if self._context.state else []
        if imports and not self._file:
            self.message.show_note(f"{len(imports)} file(s) imported so far; {self._context.state.in_frame:,} in the "
                                   "sampling frame. Import another file, or go on.")

    # -- choosing the file and the mapping

    def _on_choose_clicked(self) -> None:
        chosen, _filter = QFileDialog.getOpenFileName(
            self, "Choose the population file", self._context.settings.last_folder(),
            "Population files (*.csv *.xlsx *.txt *.tsv);;All files (*)")
        if chosen:
            self._context.settings.set_last_folder(Path(chosen).parent)
            self.choose_file(chosen)

    def choose_file(self, path: str | Path) -> None:
        """Read the file's header and first rows in the background, then show the mapping."""
        self._file = Path(path)
        self._manual = {}
        self._base = self._preview = None
        self.file_edit.setText(str(self._file))
        self._reading += 1
        self.message.show_note(f"Reading {self._file.name}…")
        self._update_import_button()
        function = partial(_read_preview, self._file, self.preset_combo.currentData())
        self._context.run(function, partial(self._on_preview_read, self._reading), self._on_preview_failed)

    def _on_preview_read(self, generation: int, preview: setup.PopulationPreview) -> None:
        if generation != self._reading:
            return  # another file was chosen meanwhile
        self._reading = 0
        self._base = preview
        self._remap()

    def _on_preview_failed(self, message: str, details: str) -> None:
        self._reading = 0
        self._base = self._preview = None
        self.preview_model.set_rows([], [])
        for combo in self.field_combos.values():
            combo.clear()
            combo.setEnabled(False)
        _show_failure(self, self.message, message, details)
        self._update_import_button()

    def _on_preset_changed(self, _index: int) -> None:
        if self._base is not None:
            self._remap()

    def _on_field_chosen(self, name: str, _index: int) -> None:
        column = self.field_combos[name].currentData() or ""
        for other, chosen in list(self._manual.items()):
            if other != name and chosen and chosen == column:
                del self._manual[other]  # a column feeds one field: the latest choice wins
        self._manual[name] = column
        self._remap()

    def _remap(self) -> None:
        assert self._base is not None
        preview = setup.remap(self._base, self.preset_combo.currentData(), self._manual)
        self._preview = preview
        self._show_mapping(preview)
        self._show_rows(preview)
        if preview.problem:
            self.message.show_problem(preview.problem)
        else:
            self.message.show_note(f"{preview.name}: {_format_text(preview)}, {len(preview.header)} columns. "
                                   "Check the columns, then Import.")
        self._update_import_button()

    def _show_mapping(self, preview: setup.PopulationPreview) -> None:
        for name, combo in self.field_combos.items():
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(NOT_MAPPED, "")
            for column in preview.header:
                combo.addItem(column, column)
            combo.setCurrentIndex(max(0, combo.findData(preview.fields.get(name, ""))))
            combo.setEnabled(True)
            combo.blockSignals(False)
            self.how_labels[name].setText(preview.how_text(name))

    def _show_rows(self, preview: setup.PopulationPreview) -> None:
        feeds = {column: name for name, column in preview.fields.items()}
        headings = [f"{column}\n→ {feeds[column]}" if column in feeds else f"{column}\n(extra)" for column in preview.header]
        self.preview_model.set_rows(preview.rows, headings)
        _fit_columns(self.preview_view, 24)

    def _update_import_button(self) -> None:
        ready = self._preview is not None and not self._preview.problem and not self._reading and not self._importing
        self.import_button.setEnabled(ready)

    # -- the import

    def scope(self) -> dict[str, list[str]]:
        """The scope for the current choices (raises SetupError for a scope that cannot work)."""
        assert self._preview is not None
        groups = [group for group, check in self.group_checks.items() if check.isChecked()]
        period = self._context.period
        months = setup.months_between(*period) if period and self.month_check.isChecked() else []
        return setup.build_scope(self._preview.fields, groups, months)

    def _on_import_clicked(self) -> None:
        if self._preview is None or self._file is None or self._context.audit_path is None:
            return
        try:
            scope = self.scope()
        except SetupError as error:
            self.message.show_problem(str(error))
            return
        if not self._confirm_not_imported_before():
            return
        mapping = {name: column for name, column in self._manual.items()}
        function = partial(_import, self._context.audit_path, self._file, self.preset_combo.currentData(), mapping,
                           scope, self._context.actor)
        self._importing = True
        self._update_import_button()
        self.completeChanged.emit()
        self.message.show_note(f"Importing {self._file.name}…")
        task = self._context.run_with_dialog(self, "Importing the population", f"Importing {self._file.name}…",
                                             function)
        task.succeeded.connect(self._on_imported)
        task.failed.connect(self._on_import_failed)
        task.cancelled.connect(self._on_import_cancelled)
        self.import_task = task  # tests reach its dialog to press Cancel

    def _confirm_not_imported_before(self) -> bool:
        assert self._preview is not None and self._context.state is not None
        earlier = [i for i in self._context.state.imports if i.sha256 == self._preview.sha256]
        if not earlier:
            return True
        answer = QMessageBox.question(
            self, "Import the same file again?",
            f"This file ({earlier[0].source_name}) has already been imported into this audit. Importing it again "
            "rejects every row as a duplicate. Import it anyway?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def _on_imported(self, outcome: tuple[Any, SetupState]) -> None:
        result, state = outcome
        self._importing = False
        self._context.state = state
        self.message.show_note(f"Imported {result.imported:,} of {result.rows_read:,} rows from {result.source_name}.")
        self._update_import_button()
        self.completeChanged.emit()
        self.wizard().next()

    def _on_import_failed(self, message: str, details: str) -> None:
        self._importing = False
        _show_failure(self, self.message, message + " Nothing was imported.", details)
        self._update_import_button()
        self.completeChanged.emit()

    def _on_import_cancelled(self) -> None:
        self._importing = False
        self.message.show_note("The import was cancelled: nothing was recorded. Import again when ready.")
        self._update_import_button()
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        state = self._context.state
        return bool(state and state.imports) and not self._importing


def _read_preview(path: Path, preset: str | None, reporter: Reporter) -> setup.PopulationPreview:
    return setup.preview_population(path, preset)


def _import(audit_path: Path, source: Path, preset: str | None, mapping: dict[str, str], scope: dict[str, list[str]],
            actor: str, reporter: Reporter) -> tuple[Any, SetupState]:
    # reporter.progress raises Cancelled after a cancel request: the import's transaction rolls back.
    return setup.import_population(audit_path, source, preset=preset, mapping=mapping, scope=scope, actor=actor,
                                   progress=reporter.progress)


def _months_text(period: tuple[dt.date, dt.date]) -> str:
    start, end = period
    if (start.year, start.month) == (end.year, end.month):
        return f"{start:%B %Y}"
    return f"{start:%B %Y} to {end:%B %Y}"


def _format_text(preview: setup.PopulationPreview) -> str:
    if preview.format == "xlsx":
        return "Excel workbook"
    delimiter = {",": "comma", ";": "semicolon", "\t": "tab"}.get(preview.delimiter, repr(preview.delimiter))
    return f"CSV, {delimiter}-separated, {preview.encoding}"


# -- page 4: import summary ------------------------------------------------------------------------


class SummaryPage(QWizardPage):
    """What the import did: rows read, imported, rejected (with reasons), excluded, in the frame."""

    def __init__(self, context: _Context, parent: QWidget | None = None):
        super().__init__(parent)
        self._context = context
        self._summary: setup.ImportSummary | None = None
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
        self.rejections_view = _table(self.rejections_model, "Rejected rows", self)
        self.export_button = QPushButton("&Export rejections…", self)
        self.export_button.setAccessibleName("Export the rejected rows to CSV")
        self.message = MessageLabel(self)
        header = QHBoxLayout()
        header.addWidget(_buddy("Re&jected rows and the reasons:", self.rejections_view, self), 1)
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
        if summary is None:
            return
        self.counts["rows_read"].setText(f"{summary.rows_read:,}  (from {summary.source_name})")
        self.counts["imported"].setText(f"{summary.imported:,}")
        self.counts["rejected"].setText(f"{summary.rejected:,}" + ("  (listed below)" if summary.rejected else ""))
        self.counts["excluded"].setText(f"{summary.excluded:,}  (imported but not sampled: {summary.exclusion_reason()})"
                                        if summary.excluded else "0")
        self.counts["in_frame"].setText(f"{summary.in_frame:,}")
        self.frame_label.setText(self._frame_text(state))
        self.rejections_model.set_rows(summary.rejections)
        _fit_columns(self.rejections_view, 66)
        self.export_button.setEnabled(bool(summary.rejections))
        if state.in_frame == 0:
            self.message.show_problem("No file is in the sampling frame: go Back and widen the scope, or import "
                                      "another file.")

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
            count = setup.write_rejections_csv(path, self._summary.rejections)
        except SetupError as error:
            self.message.show_problem(str(error))
            return
        self._context.settings.set_last_folder(path.parent)
        self.message.show_note(f"{count:,} rejected row(s) written to {path}.")

    def isComplete(self) -> bool:
        return bool(self._context.state and self._context.state.in_frame > 0)


# -- page 5: sample design -------------------------------------------------------------------------


class DesignPage(QWizardPage):
    """The sample design; the size and the per-stratum table follow every change of an input."""

    METHODS = ("fixed", "attribute", "margin")

    def __init__(self, context: _Context, parent: QWidget | None = None):
        super().__init__(parent)
        self._context = context
        self._populations: dict[tuple[str, ...], dict[str, int]] = {}  # strata fields → stratum sizes
        self._counting: set[tuple[str, ...]] = set()
        self._strata_fields: list[str] | None = None
        self._preview: setup.DesignPreview | None = None
        self._request: SampleRequest | None = None
        self._stale = True
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)  # recompute once typing pauses, not on every keystroke
        self._build_ui()
        self._connect_signals()

    def _build_ui(self) -> None:
        self.setTitle("Sample design")
        self.setSubTitle("How many files to review and how to spread them over the strata. The size and the "
                         "table on the right follow your choices.")
        layout = QHBoxLayout(self)
        layout.addLayout(self._build_inputs(), 1)
        layout.addLayout(self._build_result(), 1)

    def _build_inputs(self) -> QVBoxLayout:
        self.method_buttons = QButtonGroup(self)
        method_box = QGroupBox("Method", self)
        method_layout = QVBoxLayout(method_box)
        for index, text in enumerate(("A fi&xed number of files",
                                      "&Attribute sampling: assurance the failure rate is below a tolerable rate",
                                      "Margin of &error: estimate compliance to within ± a margin")):
            button = QRadioButton(text, method_box)
            self.method_buttons.addButton(button, index)
            method_layout.addWidget(button)
        self.method_buttons.button(1).setChecked(True)

        self.size_spin = QSpinBox(self)
        self.size_spin.setRange(1, 10_000_000)
        self.size_spin.setValue(30)
        self.size_spin.setSuffix(" files")
        self.size_spin.setAccessibleName("Sample size")
        self.confidence_spin = _percent_spin(50, 99.9, 95, "Confidence", self)
        self.tolerable_spin = _percent_spin(0.1, 50, 5, "Tolerable failure rate", self)
        self.expected_spin = _percent_spin(0, 49.9, 0, "Expected failure rate", self)
        self.margin_spin = _percent_spin(0.1, 50, 5, "Margin of error", self)
        self.proportion_spin = _percent_spin(1, 99, 50, "Anticipated compliance rate", self)
        self.sizes_form = QFormLayout()
        self.sizes_form.addRow(_buddy("Sample si&ze:", self.size_spin, self), self.size_spin)
        self.sizes_form.addRow(_buddy("Con&fidence:", self.confidence_spin, self), self.confidence_spin)
        self.sizes_form.addRow(_buddy("&Tolerable failure rate:", self.tolerable_spin, self), self.tolerable_spin)
        self.sizes_form.addRow(_buddy("Expe&cted failure rate:", self.expected_spin, self), self.expected_spin)
        self.sizes_form.addRow(_buddy("&Margin of error ±:", self.margin_spin, self), self.margin_spin)
        self.sizes_form.addRow(_buddy("Antici&pated rate:", self.proportion_spin, self), self.proportion_spin)

        self.strata_list = QListWidget(self)
        self.strata_list.setAccessibleName("Strata fields")
        self.allocation_combo = QComboBox(self)
        self.allocation_combo.setAccessibleName("Allocation")
        self.allocation_combo.addItem("In proportion to stratum size", "proportional")
        self.allocation_combo.addItem("Equal for every stratum", "equal")
        self.minimum_spin = QSpinBox(self)
        self.minimum_spin.setRange(0, 100_000)
        self.minimum_spin.setSpecialValueText("none")
        self.minimum_spin.setAccessibleName("Minimum files per stratum")
        self.reserve_spin = QSpinBox(self)
        self.reserve_spin.setRange(0, 1_000)
        self.reserve_spin.setValue(2)
        self.reserve_spin.setAccessibleName("Reserve files per stratum")
        self.seed_edit = QLineEdit(generate_seed(), self)
        self.seed_edit.setAccessibleName("Seed")
        self.new_seed_button = QPushButton("Ne&w seed", self)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed_edit, 1)
        seed_row.addWidget(self.new_seed_button)
        design = self.sizes_form  # one form, so the labels line up
        design.addRow(_buddy("&Stratify by:", self.strata_list, self), self.strata_list)
        design.addRow(_buddy("A&llocation:", self.allocation_combo, self), self.allocation_combo)
        design.addRow(_buddy("M&inimum per stratum:", self.minimum_spin, self), self.minimum_spin)
        design.addRow(_buddy("&Reserves per stratum:", self.reserve_spin, self), self.reserve_spin)
        design.addRow(_buddy("See&d:", self.seed_edit, self), seed_row)
        self.strata_list.setMaximumHeight(self.fontMetrics().lineSpacing() * 8)

        column = QVBoxLayout()
        column.addWidget(method_box)
        column.addLayout(self.sizes_form)
        column.addStretch(1)
        return column

    def _build_result(self) -> QVBoxLayout:
        self.size_label = QLabel(self)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)  # relative to the system font, so it scales with it
        font.setBold(True)
        self.size_label.setFont(font)
        self.size_label.setAccessibleName("Sample size")
        self.basis_label = QLabel(self)
        self.basis_label.setWordWrap(True)
        self.basis_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.strata_model = RowsTableModel(["Stratum", "In the frame", "Sample", "Reserve", "Chance"])
        self.strata_view = _table(self.strata_model, "Sample per stratum", self, stretch=0)
        self.message = MessageLabel(self)
        column = QVBoxLayout()
        column.addWidget(self.size_label)
        column.addWidget(self.basis_label)
        column.addWidget(_buddy("Sample per strat&um:", self.strata_view, self))
        column.addWidget(self.strata_view, 1)
        column.addWidget(self.message)
        return column

    def _connect_signals(self) -> None:
        self._timer.timeout.connect(self._recompute)
        self.method_buttons.idToggled.connect(self._on_method_toggled)
        for spin in (self.size_spin, self.minimum_spin, self.reserve_spin):
            spin.valueChanged.connect(self._schedule)
        for spin in (self.confidence_spin, self.tolerable_spin, self.expected_spin, self.margin_spin,
                     self.proportion_spin):
            spin.valueChanged.connect(self._schedule)
        self.strata_list.itemChanged.connect(self._schedule)
        self.allocation_combo.currentIndexChanged.connect(self._schedule)
        self.seed_edit.textChanged.connect(self._schedule)
        self.new_seed_button.clicked.connect(self._on_new_seed_clicked)

    def initializePage(self) -> None:
        state = self._context.state
        fields = state.strata_fields if state else []
        if fields != self._strata_fields:
            self._fill_strata(fields)
        self._populations.clear()  # the frame may have grown since (another import)
        self._show_method_rows()
        self._schedule()

    def _fill_strata(self, fields: list[str]) -> None:
        checked = {self.strata_list.item(i).data(CHOICE_ROLE) for i in range(self.strata_list.count())
                   if self.strata_list.item(i).checkState() == Qt.CheckState.Checked}
        if self._strata_fields is None:
            checked = {"offence_group"}
        self._strata_fields = list(fields)
        self.strata_list.blockSignals(True)
        self.strata_list.clear()
        for name in fields:
            text = FIELD_LABELS.get(name, f"{name} (extra column)")
            item = QListWidgetItem(text, self.strata_list)
            item.setData(CHOICE_ROLE, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in checked else Qt.CheckState.Unchecked)
        self.strata_list.blockSignals(False)

    def _on_method_toggled(self, _id: int, checked: bool) -> None:
        if checked:
            self._show_method_rows()
            self._schedule()

    def _show_method_rows(self) -> None:
        method = self.method()
        visible = {
            self.size_spin: method == "fixed",
            self.confidence_spin: method != "fixed",
            self.tolerable_spin: method == "attribute",
            self.expected_spin: method == "attribute",
            self.margin_spin: method == "margin",
            self.proportion_spin: method == "margin",
        }
        for widget, shown in visible.items():
            self.sizes_form.setRowVisible(widget, shown)

    def _on_new_seed_clicked(self) -> None:
        self.seed_edit.setText(generate_seed())

    def method(self) -> str:
        return self.METHODS[max(0, self.method_buttons.checkedId())]

    def strata(self) -> list[str]:
        return [self.strata_list.item(i).data(CHOICE_ROLE) for i in range(self.strata_list.count())
                if self.strata_list.item(i).checkState() == Qt.CheckState.Checked]

    def request(self) -> SampleRequest:
        """The design as chosen now (raises SetupError for an input that cannot work)."""
        seed = self.seed_edit.text().strip()
        if not seed:
            raise SetupError("Give a seed (any text, or press New seed): it is recorded so that anyone can "
                             "draw the same sample again.")
        common: dict[str, Any] = {
            "strata": self.strata(), "allocation": self.allocation_combo.currentData(),
            "min_per_stratum": self.minimum_spin.value() or None, "seed": seed, "reserve": self.reserve_spin.value(),
        }
        method = self.method()
        if method == "fixed":
            return SampleRequest(size=self.size_spin.value(), **common)
        if method == "attribute":
            return SampleRequest(confidence=_rate(self.confidence_spin), tolerable=_rate(self.tolerable_spin),
                                 expected=_rate(self.expected_spin), **common)
        return SampleRequest(confidence=_rate(self.confidence_spin), margin=_rate(self.margin_spin),
                             proportion=_rate(self.proportion_spin), **common)

    # -- the live preview

    def _schedule(self, *_args: object) -> None:
        self._stale = True
        self.completeChanged.emit()
        self._timer.start()

    def _recompute(self) -> None:
        try:
            request = self.request()
        except SetupError as error:
            self._show_problem(str(error))
            return
        fields = tuple(request.strata)
        populations = self._populations.get(fields)
        if populations is None:
            self._count_strata(fields)
            return
        try:
            preview = setup.design_preview(request, populations)
        except SetupError as error:
            self._show_problem(str(error))
            return
        self._show_preview(request, preview)

    def _count_strata(self, fields: tuple[str, ...]) -> None:
        """Count the files per stratum in the background; the preview follows when they arrive."""
        self.basis_label.setText("Counting the files in each stratum…")
        if fields in self._counting or self._context.audit_path is None:
            return
        self._counting.add(fields)
        function = partial(_count_strata, self._context.audit_path, fields)
        self._context.run(function, self._on_strata_counted, self._on_count_failed)

    def _on_strata_counted(self, result: tuple[tuple[str, ...], dict[str, int]]) -> None:
        fields, populations = result
        self._counting.discard(fields)
        self._populations[fields] = populations
        self._recompute()

    def _on_count_failed(self, message: str, details: str) -> None:
        self._counting.clear()
        _show_failure(self, self.message, message, details)

    def _show_problem(self, text: str) -> None:
        self._preview = self._request = None
        self._stale = False
        self.size_label.setText("No sample")
        self.basis_label.clear()
        self.strata_model.set_rows([])
        self.message.show_problem(text)
        self.completeChanged.emit()

    def _show_preview(self, request: SampleRequest, preview: setup.DesignPreview) -> None:
        self._preview, self._request, self._stale = preview, request, False
        self.size_label.setText(f"{preview.n:,} of {preview.frame_size:,} files")
        self.basis_label.setText(_basis_text(request, preview))
        self.strata_model.set_rows([(row.key, row.population, row.sample, row.reserve, f"{row.probability:.1%}")
                                    for row in preview.strata])
        _fit_columns(self.strata_view)
        if preview.disproportionate:
            self.message.show_note("The strata are not sampled in proportion to their size, so results for the "
                                   "whole frame will be weighted by N_h / n_h.")
        else:
            self.message.clear()
        self.completeChanged.emit()

    def current(self) -> tuple[SampleRequest, setup.DesignPreview] | None:
        """The design and its preview, when the preview is up to date."""
        if self._stale or self._preview is None or self._request is None:
            return None
        return self._request, self._preview

    def isComplete(self) -> bool:
        return self.current() is not None


def _count_strata(audit_path: Path, fields: tuple[str, ...], reporter: Reporter) -> tuple[tuple[str, ...], dict[str, int]]:
    return fields, setup.stratum_populations(audit_path, fields)


def _basis_text(request: SampleRequest, preview: setup.DesignPreview) -> str:
    """How the size was reached, in words, with the method name as the CLI's ``samplesize`` gives it."""
    if request.size is not None:
        return "A fixed size, set by you."
    confidence = _percent(request.confidence)
    unlimited = (f" For a very large population it would be {preview.large_population_n:,}."
                 if preview.large_population_n is not None and preview.large_population_n != preview.n else "")
    if request.tolerable is not None:
        return (f"At {confidence}% confidence that the failure rate is below {_percent(request.tolerable)}% "
                f"(expected {_percent(request.expected)}%): the assurance holds if no more than "
                f"{preview.acceptance_number} of the {preview.n:,} files fail. Method: {preview.method}.{unlimited}")
    return (f"Estimates a compliance rate to within ±{_percent(request.margin)} points at {confidence}% "
            f"confidence (anticipated rate {_percent(request.proportion)}%). Method: {preview.method}.{unlimited}")


def _strata_text(fields: Sequence[str]) -> str:
    return ", ".join(FIELD_LABELS.get(f, f).lower() if f in FIELD_LABELS else f"'{f}'" for f in fields)


# -- page 6: the draw ------------------------------------------------------------------------------


class DrawPage(QWizardPage):
    """Draw the sample and show the plain-language method statement."""

    def __init__(self, context: _Context, design: DesignPage, parent: QWidget | None = None):
        super().__init__(parent)
        self._context = context
        self._design = design
        self._drawing = False
        self.result: SampleResult | None = None
        self._build_ui()
        self._connect_signals()

    def _build_ui(self) -> None:
        self.setTitle("Draw the sample")
        self.setSubTitle("The draw is recorded in the audit file with its seed and the frame's fingerprint, so "
                         "anyone can re-derive it. It cannot be redrawn.")
        self.plan_label = QLabel(self)
        self.plan_label.setWordWrap(True)
        self.draw_button = QPushButton("&Draw the sample", self)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)  # busy: the draw reports no steps
        self.progress.setAccessibleName("Drawing the sample")
        self.progress.hide()
        self.statement = QTextBrowser(self)
        self.statement.setAccessibleName("Method statement")
        self.statement.setOpenLinks(False)
        self.strata_model = RowsTableModel(["Stratum", "In the frame", "Sample", "Reserve"])
        self.strata_view = _table(self.strata_model, "Sample drawn per stratum", self, stretch=0)
        self.message = MessageLabel(self)
        row = QHBoxLayout()
        row.addWidget(self.draw_button)
        row.addWidget(self.progress, 1)
        policy = self.progress.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # the button keeps its width while no draw runs
        self.progress.setSizePolicy(policy)
        layout = QVBoxLayout(self)
        layout.addWidget(self.plan_label)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(_buddy("Method &statement (for the report):", self.statement, self))
        layout.addWidget(self.statement, 3)
        layout.addWidget(_buddy("Dra&wn per stratum:", self.strata_view, self))
        layout.addWidget(self.strata_view, 2)

    def _connect_signals(self) -> None:
        self.draw_button.clicked.connect(self._on_draw_clicked)

    def initializePage(self) -> None:
        state = self._context.state
        if state is not None and state.sample is not None:
            self._show_result(state.sample)
            return
        current = self._design.current()
        if current is None:
            return
        request, preview = current
        strata = (f"stratified by {_strata_text(request.strata)} ({len(preview.strata)} strata), "
                  f"{'in proportion to stratum size' if request.allocation == 'proportional' else 'equal per stratum'}"
                  if request.strata else "not stratified")
        reserve = f", with {request.reserve} reserve(s) per stratum" if request.reserve else ""
        self.plan_label.setText(f"Draw {preview.n:,} of the {preview.frame_size:,} files in the sampling frame, "
                                f"{strata}{reserve}, with the seed '{request.seed}'.")
        self.draw_button.setFocus()

    def _on_draw_clicked(self) -> None:
        current = self._design.current()
        if current is None or self._context.audit_path is None or self._drawing:
            return
        self._drawing = True
        self.draw_button.setEnabled(False)
        self.progress.show()
        self.message.show_note("Drawing the sample…")
        function = partial(_draw, self._context.audit_path, current[0], self._context.actor)
        self._context.run(function, self._on_drawn, self._on_draw_failed)

    def _on_drawn(self, result: SampleResult) -> None:
        self._drawing = False
        if self._context.state is not None:
            self._context.state = _with_sample(self._context.state, result)
        self._show_result(result)

    def _on_draw_failed(self, message: str, details: str) -> None:
        self._drawing = False
        self.progress.hide()
        self.draw_button.setEnabled(True)
        _show_failure(self, self.message, message, details)

    def _show_result(self, result: SampleResult) -> None:
        self.result = result
        self.progress.hide()
        self.draw_button.setEnabled(False)
        plan = result.plan
        self.plan_label.setText(f"{plan.size:,} files were drawn from the {plan.frame_size:,} in the sampling frame "
                                f"on {plan.created_at[:10]} by {plan.created_by}.")
        self.message.show_note("The sample is drawn. Press Finish to open the audit.")
        self.statement.setPlainText(plan.statement)
        self.strata_model.set_rows([(key, s["population"], s["sample"], min(plan.reserve, s["population"] - s["sample"]))
                                    for key, s in result.strata.items()])
        _fit_columns(self.strata_view)
        wizard = self.wizard()
        if wizard is not None:
            wizard.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.result is not None

    def drawing(self) -> bool:
        return self._drawing


def _draw(audit_path: Path, request: SampleRequest, actor: str, reporter: Reporter) -> SampleResult:
    return setup.draw_sample(audit_path, request, actor)


def _with_sample(state: SetupState, sample: SampleResult) -> SetupState:
    return replace(state, sample=sample)


# -- the wizard ------------------------------------------------------------------------------------


class NewAuditWizard(QWizard):
    """Set up a new audit, from its title to the drawn sample; or carry on with an unfinished one.

    :param settings: per-machine UI state (last folder, recent audits, window geometry).
    :param actor: who is working, recorded on every change (``Identity.display``).
    :param resume_path: an audit file with no population or no sample yet; the wizard starts at
        the first step not done. Reading it takes a moment (its checklist is parsed).
    :raises UserFacingError: when ``resume_path`` cannot be opened as an audit.
    """

    def __init__(self, settings: UiSettings, actor: str, parent: QWidget | None = None,
                 resume_path: str | Path | None = None):
        super().__init__(parent)
        self._context = _Context(settings, actor, self)
        self._build_ui()
        self._connect_signals()
        if resume_path is not None:
            self._resume(Path(resume_path))

    @property
    def audit_path(self) -> Path | None:
        """The audit file, once it exists (after the Checklist page, or the one resumed)."""
        return self._context.audit_path

    @property
    def state(self) -> SetupState | None:
        return self._context.state

    def _build_ui(self) -> None:
        self.setWindowTitle("New audit")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.details_page = DetailsPage(self._context, self)
        self.checklist_page = ChecklistPage(self._context, self)
        self.population_page = PopulationPage(self._context, self)
        self.summary_page = SummaryPage(self._context, self)
        self.design_page = DesignPage(self._context, self)
        self.draw_page = DrawPage(self._context, self.design_page, self)
        for page_id, page in ((PAGE_DETAILS, self.details_page), (PAGE_CHECKLIST, self.checklist_page),
                              (PAGE_POPULATION, self.population_page), (PAGE_SUMMARY, self.summary_page),
                              (PAGE_DESIGN, self.design_page), (PAGE_DRAW, self.draw_page)):
            self.setPage(page_id, page)
        line = self.fontMetrics().lineSpacing()  # sizes follow the system font
        self.setMinimumSize(line * 46, line * 36)
        geometry = self._context.settings.state(GEOMETRY_KEY)
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(line * 68, line * 52)

    def _connect_signals(self) -> None:
        self.finished.connect(self._on_finished)

    def _resume(self, path: Path) -> None:
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            state = setup.setup_state(path)
        finally:
            QGuiApplication.restoreOverrideCursor()
        self._context.state = state
        self.setWindowTitle(f"Carry on setting up: {state.title}")
        if state.sample is not None:
            self.setStartId(PAGE_DRAW)
        elif state.in_frame > 0:
            self.setStartId(PAGE_DESIGN)
        else:
            self.setStartId(PAGE_POPULATION)

    def next_step(self) -> str:
        """The step an unfinished audit resumes at, in words."""
        state = self._context.state
        if state is None or state.in_frame == 0:
            return "the population import"
        return "the sample design" if state.sample is None else "the end"

    def reject(self) -> None:
        """Cancel: never while the audit file is being created or the sample drawn; keep an unfinished audit."""
        if self.draw_page.drawing() or self.checklist_page.creating():
            QMessageBox.information(self, "Please wait", "Please wait a moment: the audit file is being written.")
            return
        state = self._context.state
        if state is not None and state.sample is None:
            QMessageBox.information(
                self, "Unfinished audit kept",
                f"The unfinished audit is kept, with everything done so far, at:\n\n{state.path}\n\n"
                f"Open it again to carry on from {self.next_step()}.")
        super().reject()

    def _on_finished(self, _result: int) -> None:
        self._context.settings.set_state(GEOMETRY_KEY, self.saveGeometry())
