"""Moderation of one file: where its primary and second reviews differ, side by side, and the agreed
answer (with its reason) that the lead auditor records. Both original reviews stay as they were."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from audit_app.core.checklist import Checklist
from audit_app.core.records import Answer
from audit_app.core.scoring import ReviewResult
from audit_app.services.moderation import STATE_LABELS, Comparison, Difference
from audit_app.ui.text import answer_words, escape, heading

TAKE_PRIMARY, TAKE_SECOND, OTHER = "primary", "second", "other"


def answer_html(answer: Any, checklist: Checklist, target: str) -> str:
    """An answer (or profile value) as shown side by side."""
    if answer is None:
        return "<i>not answered</i>"
    if not isinstance(answer, Answer):
        return escape(_value_text(checklist, target, answer))
    text = answer_words(checklist, target, answer)
    if answer.note:
        text += f"<br>“{escape(answer.note)}”"
    if answer.evidence:
        text += f"<br>Evidence: {escape(answer.evidence)}"
    return text


def _value_text(checklist: Checklist, target: str, value: Any) -> str:
    field = checklist.fields.get(target.removeprefix("profile."))
    if field is not None and field.type == "choice":
        return next((v.label for v in field.values if v.value == value), str(value))
    return "—" if value is None else str(value)


def _plain(answer: Any, checklist: Checklist, target: str) -> str:
    if answer is None:
        return "—"
    if isinstance(answer, Answer):
        flags = "".join(f" +{f}" for f, on in (("MMO", answer.mmo), ("notable", answer.notable)) if on)
        return answer.code + flags
    return _value_text(checklist, target, answer)


class ModerationPage(QWidget):
    """Shows a :class:`Comparison` and asks for agreed answers."""

    agree_requested = Signal(str, object, str)  # target, Answer or profile value, reason
    back_requested = Signal()

    def __init__(self, checklist: Checklist, parent: QWidget | None = None):
        super().__init__(parent)
        self.checklist = checklist
        self.comparison: Comparison | None = None
        self._editable = False
        self._build_ui()
        self._connect_signals()

    def _build_ui(self) -> None:
        self.title_label = heading(self)
        self.summary_label = QLabel(self)
        self.summary_label.setWordWrap(True)
        self.table = QTableWidget(0, 4, self)
        self.table.setHorizontalHeaderLabels(["Question", "Primary review", "Second review", "Agreed"])
        self.table.setAccessibleName("Differences")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

        self.primary_label = QLabel(self)
        self.second_label = QLabel(self)
        for label in (self.primary_label, self.second_label):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setAlignment(Qt.AlignmentFlag.AlignTop)
        primary_box = QGroupBox("Primary review", self)
        QVBoxLayout(primary_box).addWidget(self.primary_label)
        second_box = QGroupBox("Second review", self)
        QVBoxLayout(second_box).addWidget(self.second_label)
        sides = QHBoxLayout()
        sides.addWidget(primary_box)
        sides.addWidget(second_box)

        self.agree_box = QGroupBox("Agreed answer", self)
        self.choice_combo = QComboBox(self.agree_box)
        self.choice_combo.setAccessibleName("Agreed answer is")
        self.code_combo = QComboBox(self.agree_box)
        self.code_combo.setAccessibleName("Agreed answer code")
        self.value_edit = QLineEdit(self.agree_box)
        self.value_edit.setAccessibleName("Agreed value")
        self.value_edit.setReadOnly(True)
        self.opportunity_combo = QComboBox(self.agree_box)
        self.opportunity_combo.setAccessibleName("Opportunity known")
        for text, value in (("Not confirmed", None), ("Yes, known or available", True), ("No", False)):
            self.opportunity_combo.addItem(text, value)
        self.mmo_check = QCheckBox("Material &missed opportunity", self.agree_box)
        self.notable_check = QCheckBox("Nota&ble practice", self.agree_box)
        self.note_edit = QPlainTextEdit(self.agree_box)
        self.note_edit.setAccessibleName("Agreed note")
        self.note_edit.setTabChangesFocus(True)
        self.note_edit.setMaximumHeight(self.fontMetrics().lineSpacing() * 4)
        self.reason_edit = QLineEdit(self.agree_box)
        self.reason_edit.setAccessibleName("Reason for the agreed answer")
        self.reason_edit.setPlaceholderText("Why this is the right answer (e.g. log 12 shows the request was made)")
        self.record_button = QPushButton("&Record agreed answer", self.agree_box)
        form = QFormLayout(self.agree_box)
        rows = (("&Take", self.choice_combo), ("A&nswer", self.code_combo), ("Value", self.value_edit),
                ("Opportunity", self.opportunity_combo), ("", self.mmo_check), ("", self.notable_check),
                ("N&ote", self.note_edit), ("Re&ason", self.reason_edit), ("", self.record_button))
        self._form_labels: dict[QWidget, QLabel] = {}
        for text, widget in rows:
            label = QLabel(text, self.agree_box)
            label.setBuddy(widget)
            self._form_labels[widget] = label
            form.addRow(label, widget)

        self.back_button = QPushButton("&Workspace", self)
        lower = QWidget(self)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addLayout(sides)
        lower_layout.addWidget(self.agree_box)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setObjectName("moderation_splitter")
        splitter.addWidget(self.table)
        splitter.addWidget(lower)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addWidget(self.summary_label)
        layout.addWidget(splitter, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.back_button)
        bottom.addStretch(1)
        layout.addLayout(bottom)

    def _connect_signals(self) -> None:
        self.table.currentCellChanged.connect(lambda row, *_: self._show_difference(row))
        self.choice_combo.currentIndexChanged.connect(self._on_choice)
        self.reason_edit.textChanged.connect(self._update_record_button)
        self.record_button.clicked.connect(self._on_record)
        self.back_button.clicked.connect(self.back_requested)

    # -- showing a comparison

    def show_comparison(self, comparison: Comparison, primary: ReviewResult, second: ReviewResult,
                        agreed: ReviewResult | None, editable: bool, read_only: str = "") -> None:
        """Show where the two reviews differ; agreed answers are asked for only when ``editable``
        (``read_only``: the notice that the audit is read-only, which says why they are not)."""
        keep = self.current_target()
        self.comparison = comparison
        self._editable = editable
        self.title_label.setText(f"Moderation of {comparison.ref}")
        lines = [
            f"Primary review by {escape(comparison.primary.reviewer.display)}: {escape(primary.grade_label or '—')}"
            f" ({'—' if primary.score is None else f'{primary.score:g}'})",
            f"Second review by {escape(comparison.second.reviewer.display)}: {escape(second.grade_label or '—')}"
            f" ({'—' if second.score is None else f'{second.score:g}'})",
        ]
        open_count = len(comparison.open_differences)
        state = STATE_LABELS[comparison.state]
        if agreed is not None:
            lines.append(f"<b>Agreed result: {escape(agreed.grade_label or '—')}</b>"
                         f" ({'—' if agreed.score is None else f'{agreed.score:g}'})")
        else:
            lines.append(f"<b>{state}</b>: {open_count} of {len(comparison.differences)} differences still to agree")
        if read_only:
            lines.append("The audit is read-only: you can read the comparison; agreed answers cannot be recorded.")
        elif not editable:
            lines.append("Only a lead auditor records agreed answers; you can read the comparison.")
        self.summary_label.setText("<br>".join(lines))
        self.table.setRowCount(len(comparison.differences))
        for row, difference in enumerate(comparison.differences):
            agreed_text = _plain(self._agreed_value(difference), self.checklist, difference.target) if difference.agreed else "to agree"
            cells = (difference.label, _plain(difference.primary, self.checklist, difference.target),
                     _plain(difference.second, self.checklist, difference.target), agreed_text)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                item.setData(Qt.ItemDataRole.UserRole, difference.target)
                self.table.setItem(row, column, item)
        targets = [d.target for d in comparison.differences]
        if targets:
            self.table.setCurrentCell(targets.index(keep) if keep in targets else self._first_open_row(), 0)
        self._show_difference(self.table.currentRow())

    def current_target(self) -> str | None:
        row = self.table.currentRow()
        if self.comparison is None or not 0 <= row < len(self.comparison.differences):
            return None
        return self.comparison.differences[row].target

    def _first_open_row(self) -> int:
        assert self.comparison is not None
        return next((i for i, d in enumerate(self.comparison.differences) if d.agreed is None), 0)

    def _agreed_value(self, difference: Difference) -> Any:
        return difference.agreed_value

    def _difference(self) -> Difference | None:
        row = self.table.currentRow()
        if self.comparison is None or not 0 <= row < len(self.comparison.differences):
            return None
        return self.comparison.differences[row]

    def _show_difference(self, row: int) -> None:
        difference = self._difference()
        self.agree_box.setEnabled(difference is not None and self._editable)
        if difference is None:
            self.primary_label.setText("")
            self.second_label.setText("")
            return
        self.primary_label.setText(answer_html(difference.primary, self.checklist, difference.target))
        self.second_label.setText(answer_html(difference.second, self.checklist, difference.target))
        is_item = not difference.is_profile
        self.choice_combo.blockSignals(True)
        self.choice_combo.clear()
        self.choice_combo.addItem("The primary review's answer", TAKE_PRIMARY)
        self.choice_combo.addItem("The second review's answer", TAKE_SECOND)
        if is_item:
            self.choice_combo.addItem("Another answer", OTHER)
            self.code_combo.clear()
            for answer in self.checklist.scale_of(difference.target).answers:
                self.code_combo.addItem(f"{answer.label} ({answer.code})", answer.code)
        self.choice_combo.blockSignals(False)
        for widget in (self.code_combo, self.opportunity_combo, self.mmo_check, self.notable_check, self.note_edit):
            widget.setVisible(is_item)
            self._form_labels[widget].setVisible(is_item)
        self.value_edit.setVisible(not is_item)
        self._form_labels[self.value_edit].setVisible(not is_item)
        agreed = self._agreed_value(difference)
        self.reason_edit.setText(difference.agreed.reason if difference.agreed else "")
        self._fill_from(agreed if difference.agreed else difference.primary, difference)
        self.choice_combo.setCurrentIndex(0 if not difference.agreed else self.choice_combo.findData(OTHER if is_item else TAKE_PRIMARY))
        self._on_choice()

    def _fill_from(self, value: Any, difference: Difference) -> None:
        if difference.is_profile:
            self.value_edit.setText(_value_text(self.checklist, difference.target, value))
            return
        answer = value if isinstance(value, Answer) else None
        self.code_combo.setCurrentIndex(max(self.code_combo.findData(answer.code if answer else ""), 0))
        self.opportunity_combo.setCurrentIndex(self.opportunity_combo.findData(answer.opportunity_known if answer else None))
        self.mmo_check.setChecked(bool(answer and answer.mmo))
        self.notable_check.setChecked(bool(answer and answer.notable))
        self.note_edit.setPlainText(answer.note if answer else "")

    def _on_choice(self) -> None:
        difference = self._difference()
        if difference is None:
            return
        choice = self.choice_combo.currentData()
        if choice == TAKE_PRIMARY:
            self._fill_from(difference.primary, difference)
        elif choice == TAKE_SECOND:
            self._fill_from(difference.second, difference)
        other = choice == OTHER
        for widget in (self.code_combo, self.opportunity_combo, self.mmo_check, self.notable_check):
            widget.setEnabled(other)
        self.note_edit.setReadOnly(not other)
        self._update_record_button()

    def _update_record_button(self) -> None:
        self.record_button.setEnabled(self._editable and bool(self.reason_edit.text().strip()) and self._difference() is not None)

    def _on_record(self) -> None:
        difference = self._difference()
        if difference is None:
            return
        choice = self.choice_combo.currentData()
        if difference.is_profile:
            value: Any = difference.primary if choice == TAKE_PRIMARY else difference.second
        elif choice in (TAKE_PRIMARY, TAKE_SECOND):
            source = difference.primary if choice == TAKE_PRIMARY else difference.second
            value = source
        else:
            value = Answer(self.code_combo.currentData(), self.note_edit.toPlainText().strip(), "",
                           self.opportunity_combo.currentData(), self.mmo_check.isChecked(), self.notable_check.isChecked())
        self.agree_requested.emit(difference.target, value, self.reason_edit.text().strip())
