"""The file profile form: every profile field of the checklist, grouped as the checklist groups them.

Choices and yes/no fields are combo boxes (type a letter to pick: y, n, u); dates, numbers and text
are typed (dates day first, 15/01/2025 or 15/01/2025 10:22). Derived values are shown, read-only.

Under each field, a line says what is wrong with it in words: a typed value that is not valid
(the field is marked *not saved*, the text kept as typed), or a cross-field check it breaks. A value
prefilled from the population is marked so; a question that does not apply given the answers
above it is disabled (its value is kept, and ignored).
"""

from __future__ import annotations

from html import escape
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

from audit_app.core import profile as profile_values
from audit_app.core.checklist import Checklist
from audit_app.core.checklist_format import ProfileField
from audit_app.core.scoring import Missing

CHOICE_SETTLE_MS = 700
YES_NO = (("", ""), ("yes", "Yes"), ("no", "No"), ("unknown", "Unknown (counts as no)"))
PLACEHOLDERS = {"date": "dd/mm/yyyy", "datetime": "dd/mm/yyyy hh:mm", "number": "a number", "text": ""}
FROM_POPULATION = "from the population"
ERROR_STYLE = "color: #a00000;"
WARNING_STYLE = "color: #7a4a00;"
UNSAVED_STYLE = "QLineEdit { border: 2px solid #a00000; }"


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
        self.messages: dict[str, QLabel] = {}  # under each field: why it is not saved, or a check it breaks
        self.unsaved: set[str] = set()  # typed fields whose text is not a valid value (so not recorded)
        self.derived_labels: dict[str, QLabel] = {}
        self._prefilled: set[str] = set()
        self._applies: dict[str, bool | None] = {}
        self._checks: dict[str, list[tuple[str, str]]] = {}  # field -> (message, severity) of checks it breaks
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
        # The form fits its pane's width (labels wrap, long choices are shown in full in their list):
        # nothing is hidden to the right at 1280 px or at 150 % text size.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
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
                groups[name].setColumnMinimumWidth(0, self.fontMetrics().averageCharWidth() * 20)
                layout.addWidget(box)
            editor = self._editor(field, body)
            label = QLabel(self._label_text(field, prefilled=False), body)
            label.setWordWrap(True)
            label.setBuddy(editor)
            tip = field.help
            if field.applies_when:
                tip = (tip + "\n" if tip else "") + f"Asked only when: {field.applies_when}"
            if tip:
                label.setToolTip(tip)
                editor.setToolTip(tip)
            message = QLabel("", body)
            message.setWordWrap(True)
            message.setVisible(False)
            message.setObjectName(f"message_{field.id}")
            self.labels[field.id] = label
            self.editors[field.id] = editor
            self.messages[field.id] = message
            grid = groups[name]
            row = grid.rowCount()
            grid.addWidget(label, row, 0)
            grid.addWidget(editor, row, 1, Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(message, row + 1, 0, 1, 2)
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
                combo.setItemData(combo.count() - 1, label, Qt.ItemDataRole.ToolTipRole)
            # As narrow as the pane needs; the open list is as wide as its longest choice.
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(12)
            combo.view().setMinimumWidth(combo.view().sizeHintForColumn(0) + combo.fontMetrics().averageCharWidth() * 4)
            combo.setAccessibleName(field.label)
            combo.activated.connect(lambda index, f=field.id, c=combo: self._on_chosen(f, c))
            combo.installEventFilter(self)
            return combo
        edit = QLineEdit(parent)
        edit.setMinimumWidth(edit.fontMetrics().horizontalAdvance("dd/mm/yyyy hh:mm") + edit.fontMetrics().averageCharWidth() * 4)
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
            if self._check_typed(field_id, edit.text()):
                self.text_finished.emit(field_id, edit.text())

    def _check_typed(self, field_id: str, text: str) -> bool:
        """Show beside the field whether ``text`` is a valid value; False (and marked not saved) when not."""
        try:
            profile_values.parse_value(self.checklist.fields[field_id], text)
        except ValueError as error:
            self.show_refusal(field_id, f"{error}.")
            return False
        self.unsaved.discard(field_id)
        self._show_message(field_id)
        return True

    def show_refusal(self, field_id: str, why: str) -> None:
        """Typed text of a field was refused (``why``, a sentence naming the field): say so under it, mark it not saved."""
        if field_id not in self.messages:
            return
        self.unsaved.add(field_id)
        self._mark_unsaved(field_id, f"Not saved: {why}")

    def _mark_unsaved(self, field_id: str, text: str) -> None:
        message = self.messages[field_id]
        message.setText(text)
        message.setStyleSheet(ERROR_STYLE)
        message.setVisible(True)
        editor = self.editors[field_id]
        editor.setStyleSheet(UNSAVED_STYLE)
        editor.setAccessibleDescription(text)

    def _show_message(self, field_id: str) -> None:
        """The line under a field: nothing, or the checks it breaks (an unsaved value is shown by _mark_unsaved)."""
        if field_id in self.unsaved:
            return
        editor, message = self.editors[field_id], self.messages[field_id]
        editor.setStyleSheet("")
        broken = self._checks.get(field_id, [])
        text = " ".join(("" if severity == "error" else "Check: ") + words for words, severity in broken)
        editor.setAccessibleDescription(text)
        message.setText(text)
        message.setStyleSheet(ERROR_STYLE if any(severity == "error" for _, severity in broken) else WARNING_STYLE)
        message.setVisible(bool(text))

    def _label_text(self, field: ProfileField, *, prefilled: bool) -> str:
        text = field.label + ("" if field.required else " (optional)")
        return f"{escape(text)} — <i>{FROM_POPULATION}</i>" if prefilled else text

    # -- showing values

    def show_values(self, texts: dict[str, str], values: dict[str, Any], derived: dict[str, Any], editable: bool,
                    missing: set[str], *, prefilled: set[str] | None = None, checks: tuple[Missing, ...] = (),
                    warnings: tuple[Missing, ...] = ()) -> None:
        """Show the recorded values (``texts`` for typed fields), the derived values, and which are missing.

        :param prefilled: fields whose value came from the population (and has not been changed).
        :param checks: broken cross-field checks that block completion; ``warnings``: those that do not.
            Each is shown under the last field it compares.
        """
        self._applies = self.checklist.field_applicability(values)
        self._checks = {}
        for entry, severity in [(m, "error") for m in checks] + [(m, "warning") for m in warnings]:
            if entry.fields:
                self._checks.setdefault(entry.fields[-1], []).append((entry.message, severity))
        for field in self.checklist.spec.profile:
            editor = self.editors[field.id]
            editor.blockSignals(True)
            if isinstance(editor, QComboBox) and self._pending_choice and self._pending_choice[0] == field.id:
                pass  # still settling: keep what the reviewer is choosing
            elif isinstance(editor, QComboBox):
                index = editor.findData(values.get(field.id, ""))
                editor.setCurrentIndex(max(index, 0))
                # A narrow box may cut a long choice short: its tooltip holds it whole.
                editor.setToolTip("\n".join(t for t in (editor.currentText(), field.help) if t))
            elif not editor.hasFocus() or not editor.isModified():
                editor.setText(texts.get(field.id, ""))
            editor.blockSignals(False)
            applies = self._applies.get(field.id) is not False
            editor.setEnabled(editable and applies)
            label = self.labels[field.id]
            label.setEnabled(applies)
            is_prefilled = field.id in (prefilled or set()) and values.get(field.id) is not None
            label.setTextFormat(Qt.TextFormat.RichText if is_prefilled else Qt.TextFormat.PlainText)
            if label.text() != (wanted := self._label_text(field, prefilled=is_prefilled)):
                label.setText(wanted)
            font = label.font()
            font.setBold(field.id in missing)
            label.setFont(font)
            if isinstance(editor, QLineEdit):
                self._show_typed_state(field.id, editor, values.get(field.id))
            else:
                self._show_message(field.id)
        for derived_id, label in self.derived_labels.items():
            value = derived.get(derived_id)
            label.setText("—" if value is None else ("Yes" if value is True else "No" if value is False else str(value)))

    def _show_typed_state(self, field_id: str, editor: QLineEdit, value: Any) -> None:
        """A typed field whose text is not its recorded value and not a valid one is marked not saved."""
        text = editor.text()
        if text.strip() == profile_values.to_text(value).strip():
            self.unsaved.discard(field_id)
            self._show_message(field_id)
            return
        if field_id in self.unsaved or not (editor.hasFocus() and editor.isModified()):
            self._check_typed(field_id, text)

    def focus_first(self) -> None:
        self.focus_field(self.checklist.spec.profile[0].id)

    def focus_field(self, field_id: str) -> None:
        editor = self.editors.get(field_id)
        if editor is not None:
            self.ensureWidgetVisible(editor)
            editor.setFocus(Qt.FocusReason.OtherFocusReason)
