"""Small dialogs: who is working, a reason for a change, signing off, choosing a person (a second
reviewer, a lead), a file's history, the audit's settings, and what to export or report."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDateTime, QLocale, Qt, QTimeZone
from PySide6.QtGui import QFontMetrics, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QRadioButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from audit_app.core import workstation
from audit_app.core.records import AuditSettings, Reviewer
from audit_app.services.workspace import HistoryEntry
from audit_app.ui.text import escape
from audit_app.ui.ui_settings import ROLES, Identity


def _lay_out(dialog: QDialog, intro: QLabel, rows: tuple[tuple[str, QWidget], ...],
             below: tuple[QWidget, ...] = (), above: tuple[QWidget, ...] = ()) -> QDialogButtonBox:
    """An explanation, any widgets ``above`` the form, a form of labelled fields (each label a mnemonic
    for its field), any further widgets, and OK/Cancel; returns the button box."""
    form = QFormLayout()
    for text, widget in rows:
        label = QLabel(text, dialog)
        label.setBuddy(widget)
        form.addRow(label, widget)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, dialog)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(intro)
    for widget in above:
        layout.addWidget(widget)
    layout.addLayout(form)
    for widget in below:
        layout.addWidget(widget)
    layout.addWidget(buttons)
    dialog.setMinimumWidth(dialog.fontMetrics().averageCharWidth() * 64)
    return buttons


def _marking_combo(parent: QWidget, current: str, common_markings: tuple[str, ...]) -> QComboBox:
    """An editable choice of protective marking: the common ones and ``current`` ("" shown as "(none)")."""
    combo = QComboBox(parent)
    combo.setEditable(True)
    combo.setAccessibleName("Protective marking")
    for marking in dict.fromkeys((*common_markings, current)):
        combo.addItem(marking or "(none)", marking)
    combo.setCurrentIndex(combo.findData(current))
    return combo


def _marking_of(combo: QComboBox) -> str:
    """The marking chosen or typed in a :func:`_marking_combo` ("" for none)."""
    text = combo.currentText().strip()
    index = combo.findText(text)
    return str(combo.itemData(index)) if index >= 0 and combo.itemData(index) is not None else text


class IdentityDialog(QDialog):
    """Asks who is working: recorded on every change they make."""

    def __init__(self, identity: Identity | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Who is working?")
        account = workstation.current()
        intro = QLabel("Your name and staff number are recorded on every change you make in an audit, with the "
                       f"computer account you are signed in to (<b>{escape(account.display)}</b>), which cannot be "
                       "changed here. The role is a request: each audit names its own lead auditors (its creator, "
                       "and whoever a lead names). Only they can sign off and moderate.", self)
        intro.setWordWrap(True)
        self.name_edit = QLineEdit(self)
        self.name_edit.setAccessibleName("Name")
        self.staff_edit = QLineEdit(self)
        self.staff_edit.setAccessibleName("Staff number")
        self.role_combo = QComboBox(self)
        self.role_combo.setAccessibleName("Role")
        for key, label in ROLES.items():
            self.role_combo.addItem(label, key)
        if identity is not None:
            self.name_edit.setText(identity.name)
            self.staff_edit.setText(identity.staff_number)
            self.role_combo.setCurrentIndex(max(self.role_combo.findData(identity.role), 0))
        else:
            self.role_combo.setCurrentIndex(self.role_combo.findData("reviewer"))
        self.buttons = _lay_out(self, intro, (("&Name", self.name_edit), ("&Staff number", self.staff_edit),
                                              ("&Role asked for", self.role_combo)))
        self.name_edit.textChanged.connect(self._update_ok)
        self._update_ok()

    def _update_ok(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(self.name_edit.text().strip()))

    def identity(self) -> Identity:
        return Identity(self.name_edit.text().strip(), self.staff_edit.text().strip(), self.role_combo.currentData())


class ReasonDialog(QDialog):
    """Asks for the reason a change needs (recorded in the audit trail)."""

    def __init__(self, title: str, explanation: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        label = QLabel(explanation, self)
        label.setWordWrap(True)
        self.reason_edit = QPlainTextEdit(self)
        self.reason_edit.setAccessibleName("Reason")
        self.reason_edit.setTabChangesFocus(True)
        reason_label = QLabel("&Reason (recorded in the audit trail)", self)
        reason_label.setBuddy(self.reason_edit)
        self.buttons = _lay_out(self, label, (), below=(reason_label, self.reason_edit))
        self.reason_edit.textChanged.connect(self._update_ok)
        self._update_ok()

    def _update_ok(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(self.reason_text()))

    def reason_text(self) -> str:
        return self.reason_edit.toPlainText().strip()


class SettingsDialog(QDialog):
    """The audit's settings a lead auditor decides: the protective marking of reports and exports, and
    whether reports may name files by their references. Each change is recorded in the audit trail."""

    def __init__(self, current: AuditSettings, common_markings: tuple[str, ...], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Audit settings")
        intro = QLabel("The protective marking is printed in the header and footer of every report page and at the top "
                       "of every export. Reports name files by their position in the sample unless file references may "
                       "be shown. Each change is recorded in the audit trail with your name and the reason.", self)
        intro.setWordWrap(True)
        self.marking_combo = _marking_combo(self, current.marking, common_markings)
        self.references_check = QCheckBox("Reports may show file &references (crime numbers)", self)
        self.references_check.setChecked(current.show_references)
        self.reason_edit = QLineEdit(self)
        self.reason_edit.setAccessibleName("Reason")
        _lay_out(self, intro, (("Protective &marking", self.marking_combo), ("Rea&son (recorded in the audit trail)",
                                                                              self.reason_edit)),
                 below=(self.references_check,))

    def marking(self) -> str:
        return _marking_of(self.marking_combo)

    def show_references(self) -> bool:
        return self.references_check.isChecked()

    def reason(self) -> str:
        return self.reason_edit.text().strip()


class ExportDialog(QDialog):
    """What to export: the format, whether to leave out free text and names (for sharing outside the
    audit team), and whether to open the file when it is written."""

    FORMATS = (("csv", "CSV: one row per file, item and review (long format)"),
               ("xlsx", "Excel workbook: long, wide, items and results sheets"),
               ("json", "JSON: the whole audit, with its published schema"))

    def __init__(self, marking: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export")
        marked = f"It carries the audit's protective marking, {marking}." if marking else \
            "The audit has no protective marking (a lead sets one in File ▸ Audit settings)."
        intro = QLabel("Export the reviews, answers and results for analysis elsewhere. Text that a spreadsheet would "
                       f"run as a formula is neutralised. {marked}", self)
        intro.setWordWrap(True)
        self.format_combo = QComboBox(self)
        self.format_combo.setAccessibleName("Format")
        for key, label in self.FORMATS:
            self.format_combo.addItem(label, key)
        self.no_notes_check = QCheckBox("Leave out free &text (notes, evidence, reasons)", self)
        self.no_names_check = QCheckBox("Leave out reviewers' na&mes (numbered pseudonyms instead)", self)
        self.open_check = QCheckBox("Open the file when it is &written", self)
        _lay_out(self, intro, (("&Format", self.format_combo),),
                 below=(self.no_notes_check, self.no_names_check, self.open_check))

    def format(self) -> str:
        return str(self.format_combo.currentData())


class ReportDialog(QDialog):
    """The audit report (File ▸ Report…): its protective marking (the audit's own unless changed for
    this report), and whether to open it when it is written. The file is chosen next."""

    def __init__(self, marking: str, common_markings: tuple[str, ...], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Audit report")
        intro = QLabel("Write the audit report: the whole audit in one PDF. It is final only when every sampled "
                       "file's review is signed off; until then it is written as a draft, and it needs at least one "
                       "finished review. The marking is printed on every page; changing it here changes this report "
                       "only, not the audit's own marking (File\u00a0▸\u00a0Audit\u00a0settings).", self)
        intro.setWordWrap(True)
        self.marking_combo = _marking_combo(self, marking, common_markings)
        self.open_check = QCheckBox("&Open the report when it is written", self)
        _lay_out(self, intro, (("Protective &marking", self.marking_combo),), below=(self.open_check,))

    def marking(self) -> str:
        return _marking_of(self.marking_combo)

    def open_when_written(self) -> bool:
        return self.open_check.isChecked()


class FileReportDialog(QDialog):
    """File review reports (File ▸ File report…): which reviewed files (the one on screen, all of them,
    or a chosen few), the protective marking, and whether to open the PDF when it is written.

    :param files: the files that can be reported, as (reference, position in the sample: "3 of 12").
    :param current: the file on screen or selected in the workspace (None: none).
    """

    def __init__(self, files: list[tuple[str, str]], current: str | None, marking: str,
                 common_markings: tuple[str, ...], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("File review reports")
        intro = QLabel("Write the review reports of reviewed files to one PDF: each file's profile, answers, notes, "
                       "result, reviewers, moderation and history, each file starting a new page. A file can be "
                       "reported once its review is finished (and its second review too, where it has one).", self)
        intro.setWordWrap(True)
        position = dict(files)
        self._current = current if current in position else None
        box = QGroupBox("Files", self)
        if self._current is not None:
            this_text = f"&This file: {position[self._current]}, {self._current}"
        elif current is not None:
            this_text = "&This file (the selected file has not finished its review)"
        else:
            this_text = "&This file (no file is selected)"
        self.this_radio = QRadioButton(this_text, box)
        self.this_radio.setEnabled(self._current is not None)
        self.all_radio = QRadioButton(f"&All reviewed files ({len(files)})", box)
        self.chosen_radio = QRadioButton("C&hosen files:", box)
        self.files_list = QListWidget(box)
        self.files_list.setAccessibleName("Files to report")
        for ref, where in files:
            item = QListWidgetItem(f"{where}: {ref}", self.files_list)
            item.setData(Qt.ItemDataRole.UserRole, ref)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if ref == self._current else Qt.CheckState.Unchecked)
        self.files_list.setCurrentRow(0)
        lines = min(max(len(files), 3), 8)
        self.files_list.setMinimumHeight(self.files_list.sizeHintForRow(0) * lines + 2 * self.files_list.frameWidth())
        self.files_list.setMaximumHeight(max(self.files_list.minimumHeight(), self.fontMetrics().height() * 14))
        rows = QVBoxLayout(box)
        for widget in (self.this_radio, self.all_radio, self.chosen_radio, self.files_list):
            rows.addWidget(widget)
        (self.this_radio if self._current is not None else self.all_radio).setChecked(True)
        self.marking_combo = _marking_combo(self, marking, common_markings)
        self.open_check = QCheckBox("&Open the report when it is written", self)
        self.buttons = _lay_out(self, intro, (("Protective &marking", self.marking_combo),), below=(self.open_check,),
                                above=(box,))
        # a file reference does not wrap: the dialog is as wide as the widest line that shows one
        widest = max([self.this_radio.sizeHint().width(), self.files_list.sizeHintForColumn(0)])
        self.setMinimumWidth(max(self.minimumWidth(), widest + self.fontMetrics().averageCharWidth() * 10))
        for radio in (self.this_radio, self.all_radio, self.chosen_radio):
            radio.toggled.connect(self._update)
        self.files_list.itemChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        chosen = self.chosen_radio.isChecked()
        self.files_list.setEnabled(chosen)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not chosen or bool(self.chosen_refs()))

    def chosen_refs(self) -> list[str]:
        """The files ticked in the list, in sample order."""
        items = (self.files_list.item(row) for row in range(self.files_list.count()))
        return [str(item.data(Qt.ItemDataRole.UserRole)) for item in items if item.checkState() == Qt.CheckState.Checked]

    def refs(self) -> list[str] | str:
        """What to report: a list of references, or "all"."""
        if self.this_radio.isChecked() and self._current is not None:
            return [self._current]
        if self.chosen_radio.isChecked():
            return self.chosen_refs()
        return "all"

    def marking(self) -> str:
        return _marking_of(self.marking_combo)

    def open_when_written(self) -> bool:
        return self.open_check.isChecked()


class SignOffDialog(QDialog):
    """Sign off a review: its result, and the signer's staff number typed again (a deliberate act)."""

    def __init__(self, ref: str, author: str, summary: str, signer: Reviewer, parent: QWidget | None = None):
        """:param summary: the review's result in plain lines (:func:`audit_app.ui.text.review_summary`)."""
        super().__init__(parent)
        self.setWindowTitle("Sign off")
        shown = "<br>".join(escape(line).replace("  ", "&nbsp;&nbsp;") for line in summary.splitlines())
        intro = QLabel(f"Sign off the review of <b>{escape(ref)}</b> by {escape(author)}:<br><br>{shown}"
                       "<br><br>It is then locked: any later change needs a reason and voids the sign-off until a lead "
                       f"auditor signs it again. To sign as <b>{escape(signer.display)}</b>, type your staff number.",
                       self)
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        self.staff_edit = QLineEdit(self)
        self.staff_edit.setAccessibleName("Your staff number")
        self.buttons = _lay_out(self, intro, (("Your &staff number", self.staff_edit),))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign off")
        bold = intro.font()
        bold.setBold(True)  # a file reference does not wrap: the dialog is at least as wide as it
        needed = QFontMetrics(bold).horizontalAdvance(ref) + 2 * self.fontMetrics().averageCharWidth() * 3
        self.setMinimumWidth(max(self.minimumWidth(), needed))
        self.staff_edit.textChanged.connect(self._update_ok)
        self._update_ok()

    def _update_ok(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(self.staff_number()))

    def staff_number(self) -> str:
        return self.staff_edit.text().strip()


class SecondReviewDialog(QDialog):
    """Choose who does the independent second review of a file (a known reviewer, or a new one)."""

    NEW = -1

    def __init__(self, ref: str, reviewers: list[Reviewer], excluded: Reviewer | None, parent: QWidget | None = None,
                 *, title: str = "Second review", explanation: str = "", label: str = "Second &reviewer"):
        super().__init__(parent)
        self.setWindowTitle(title)
        intro = QLabel(explanation or f"Assign an independent second review of <b>{ref}</b>. The second reviewer cannot "
                       "see the first review until both are complete; then the lead auditor moderates any differences.",
                       self)
        intro.setWordWrap(True)
        self.reviewer_combo = QComboBox(self)
        self.reviewer_combo.setAccessibleName(label.replace("&", ""))
        for reviewer in reviewers:
            if excluded is None or reviewer.id != excluded.id:
                self.reviewer_combo.addItem(reviewer.display, reviewer.id)
        self.reviewer_combo.addItem("Someone new…", self.NEW)
        self.name_edit = QLineEdit(self)
        self.name_edit.setAccessibleName("New reviewer's name")
        self.staff_edit = QLineEdit(self)
        self.staff_edit.setAccessibleName("New reviewer's staff number")
        self.buttons = _lay_out(self, intro, ((label, self.reviewer_combo), ("&Name", self.name_edit),
                                              ("&Staff number", self.staff_edit)))
        self.reviewer_combo.currentIndexChanged.connect(self._update)
        self.name_edit.textChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        new = self.reviewer_combo.currentData() == self.NEW
        self.name_edit.setEnabled(new)
        self.staff_edit.setEnabled(new)
        ok = not new or bool(self.name_edit.text().strip())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def choice(self) -> int | tuple[str, str]:
        """A known reviewer's id, or (name, staff number) of a new one."""
        if self.reviewer_combo.currentData() == self.NEW:
            return self.name_edit.text().strip(), self.staff_edit.text().strip()
        return int(self.reviewer_combo.currentData())


class HistoryDialog(QDialog):
    """Every change to one file, from the audit trail; filterable by text and by review."""

    def __init__(self, ref: str, entries: list[HistoryEntry], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"History of {ref}")
        self.model = QStandardItemModel(0, 7, self)
        self.model.setHorizontalHeaderLabels(["#", "When", "Who", "Review", "What", "Reason", "Computer account"])
        for entry in entries:
            cells = [str(entry.seq), local_time(entry.at), entry.actor, entry.role or "file", entry.what, entry.reason,
                     entry.account]
            items = [QStandardItem(text) for text in cells]
            for item in items:
                item.setEditable(False)
                item.setToolTip(item.text())
            items[1].setToolTip(local_time(entry.at, seconds=True))
            self.model.appendRow(items)
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter: an item (D4), a person, a word…")
        self.filter_edit.setAccessibleName("Filter the history")
        self.filter_edit.setClearButtonEnabled(True)
        self.review_combo = QComboBox(self)
        self.review_combo.setAccessibleName("Which review")
        for text, value in (("All changes", ""), ("Primary review", "primary"), ("Second review", "second"), ("The file", "file")):
            self.review_combo.addItem(text, value)
        filter_label = QLabel("&Filter", self)
        filter_label.setBuddy(self.filter_edit)
        row = QHBoxLayout()
        row.addWidget(filter_label)
        row.addWidget(self.filter_edit, 1)
        row.addWidget(self.review_combo)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName("Changes")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(5, self.fontMetrics().averageCharWidth() * 32)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.filter_edit.textChanged.connect(self._apply_filter)
        self.review_combo.currentIndexChanged.connect(self._apply_filter)
        width = self.fontMetrics().averageCharWidth()
        self.resize(width * 170, self.fontMetrics().lineSpacing() * 36)

    def _apply_filter(self) -> None:
        text = self.filter_edit.text().strip().casefold()
        review = self.review_combo.currentData()
        for row in range(self.model.rowCount()):
            values = [self.model.item(row, column).text() for column in range(self.model.columnCount())]
            hidden = (review and values[3] != review) or (text and text not in " ".join(values).casefold())
            self.table.setRowHidden(row, bool(hidden))

    def visible_rows(self) -> int:
        return sum(1 for row in range(self.model.rowCount()) if not self.table.isRowHidden(row))


def local_time(at: str, *, seconds: bool = False) -> str:
    """A recorded UTC timestamp (ISO 8601) as this computer's local date and time, in the locale's
    words ("Sunday 12 January 2025 14:05"); the text as it is when it is not a timestamp."""
    try:
        moment = dt.datetime.fromisoformat(at)
    except ValueError:
        return at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    stamp = QDateTime.fromSecsSinceEpoch(int(moment.timestamp()), QTimeZone.utc()).toLocalTime()
    locale = QLocale()
    time = locale.toString(stamp.time(), QLocale.FormatType.LongFormat if seconds else QLocale.FormatType.ShortFormat)
    return f"{locale.toString(stamp.date(), QLocale.FormatType.LongFormat)} {time}"
