"""The file profile form: every profile field of the checklist, grouped as the checklist groups them.

Choices and yes/no fields are combo boxes (type a letter to pick: y, n, u); dates, numbers and text
are typed (dates day first, 15/01/2025 or 15/01/2025 10:22). Derived values are shown, read-only.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from audit_app.core.checklist import Checklist
from audit_app.core.checklist_format import ProfileField

CHOICE_SETTLE_MS = 700
YES_NO = (("", ""), ("yes", "Yes"), ("no", "No"), ("unknown", "Unknown (counts as no)"))
PLACEHOLDERS = {"date": "dd/mm/yyyy", "datetime": "dd/mm/yyyy hh:mm", "number": "a number", "text": ""}


class ProfileForm(QScrollArea):
    """Edits the profile of one review; emits what the reviewer chose or typed."""

    value_chosen = Signal(str, object)  # field id, value (None clears): choice and yes/no fields
    text_typed = Signal(str, str)  # field id, text: every keystroke in a typed field
    text_finished = Signal(str, str)  # field id, text: the reviewer left the field or pressed Enter

    def __init__(self, checklist: Checklist, parent: QWidget | None = None):
        super().__init__(parent)
        self.checklist = checklist
        self.editors: dict[str, QComboBox | QLineEdit] = {}
        self.labels: dict[str, QLabel] = {}
        self.derived_labels: dict[str, QLabel] = {}
        # A choice made by typing (keyboard search: "1", "18") settles before it is recorded, so the
        # audit trail holds the value chosen, not every value passed on the way.
        self._pending_choice: tuple[str, object] | None = None
        self._choice_timer = QTimer(self)
        self._choice_timer.setSingleShot(True)
        self._choice_timer.setInterval(CHOICE_SETTLE_MS)
        self._choice_timer.timeout.connect(self.commit_choice)
        self._build_ui()

    def _build_ui(self) -> None:
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        heading = QLabel("<b>File profile</b> — record what the file shows first: it decides which items apply.", body)
        heading.setWordWrap(True)
        layout.addWidget(heading)
        groups: dict[str, QGridLayout] = {}
        for field in self.checklist.spec.profile:
            name = field.group or "Profile"
            if name not in groups:
                box = QGroupBox(name, body)
                # A grid, not a QFormLayout: the form layout clips labels that wrap onto two lines.
                groups[name] = QGridLayout(box)
                groups[name].setColumnStretch(0, 3)
                groups[name].setColumnStretch(1, 4)
                groups[name].setColumnMinimumWidth(0, self.fontMetrics().averageCharWidth() * 34)
                layout.addWidget(box)
            editor = self._editor(field, body)
            label = QLabel(field.label + ("" if field.required else " (optional)"), body)
            label.setWordWrap(True)
            label.setBuddy(editor)
            if field.help:
                label.setToolTip(field.help)
                editor.setToolTip(field.help)
            self.labels[field.id] = label
            self.editors[field.id] = editor
            grid = groups[name]
            row = grid.rowCount()
            grid.addWidget(label, row, 0)
            grid.addWidget(editor, row, 1, Qt.AlignmentFlag.AlignVCenter)
        derived_box = QGroupBox("Worked out from the profile", body)
        derived_form = QFormLayout(derived_box)
        for derived in self.checklist.spec.derived:
            value = QLabel("—", body)
            value.setAccessibleName(derived.label)
            label = QLabel(derived.label, body)
            label.setWordWrap(True)
            derived_form.addRow(label, value)
            self.derived_labels[derived.id] = value
        layout.addWidget(derived_box)
        layout.addStretch(1)
        self.setWidget(body)

    def _editor(self, field: ProfileField, parent: QWidget) -> QComboBox | QLineEdit:
        if field.type in ("choice", "yesno"):
            combo = QComboBox(parent)
            options = YES_NO if field.type == "yesno" else (("", ""), *((v.value, v.label) for v in field.values))
            for value, label in options:
                combo.addItem(label, value)
            combo.setAccessibleName(field.label)
            combo.activated.connect(lambda index, f=field.id, c=combo: self._on_chosen(f, c))
            combo.installEventFilter(self)
            return combo
        edit = QLineEdit(parent)
        edit.setPlaceholderText(PLACEHOLDERS[field.type])
        edit.setAccessibleName(field.label)
        if field.type == "text" and field.max_length:
            edit.setMaxLength(field.max_length)
        edit.textEdited.connect(lambda text, f=field.id: self.text_typed.emit(f, text))
        edit.editingFinished.connect(lambda f=field.id, e=edit: self._on_finished(f, e))
        return edit

    def _on_chosen(self, field_id: str, combo: QComboBox) -> None:
        if self._pending_choice is not None and self._pending_choice[0] != field_id:
            self.commit_choice()
        value = combo.currentData()
        self._pending_choice = (field_id, None if value == "" else value)
        if combo.view().isVisible():  # picked from the open list: final at once
            self.commit_choice()
        else:
            self._choice_timer.start()

    def commit_choice(self) -> None:
        """Record a choice still settling (on a pause, on leaving the field, before the page changes)."""
        self._choice_timer.stop()
        pending, self._pending_choice = self._pending_choice, None
        if pending is not None:
            self.value_chosen.emit(*pending)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusOut and isinstance(watched, QComboBox):
            self.commit_choice()
        return super().eventFilter(watched, event)

    def _on_finished(self, field_id: str, edit: QLineEdit) -> None:
        if edit.isModified():
            edit.setModified(False)
            self.text_finished.emit(field_id, edit.text())

    # -- showing values

    def show_values(self, texts: dict[str, str], values: dict[str, Any], derived: dict[str, Any], editable: bool,
                    missing: set[str]) -> None:
        """Show the recorded values (``texts`` for typed fields), the derived values, and which are missing."""
        for field in self.checklist.spec.profile:
            editor = self.editors[field.id]
            editor.blockSignals(True)
            if isinstance(editor, QComboBox) and self._pending_choice and self._pending_choice[0] == field.id:
                pass  # still settling: keep what the reviewer is choosing
            elif isinstance(editor, QComboBox):
                index = editor.findData(values.get(field.id, ""))
                editor.setCurrentIndex(max(index, 0))
            elif not editor.hasFocus() or not editor.isModified():
                editor.setText(texts.get(field.id, ""))
            editor.blockSignals(False)
            editor.setEnabled(editable)
            label = self.labels[field.id]
            font = label.font()
            font.setBold(field.id in missing)
            label.setFont(font)
        for derived_id, label in self.derived_labels.items():
            value = derived.get(derived_id)
            label.setText("—" if value is None else ("Yes" if value is True else "No" if value is False else str(value)))

    def focus_first(self) -> None:
        self.focus_field(self.checklist.spec.profile[0].id)

    def focus_field(self, field_id: str) -> None:
        editor = self.editors.get(field_id)
        if editor is not None:
            self.ensureWidgetVisible(editor)
            editor.setFocus(Qt.FocusReason.OtherFocusReason)
