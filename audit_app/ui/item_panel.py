"""One checklist item on the review page: the question, its guidance, the answer buttons (keys by
meaning, the same on every scale: 1 Met, 2 Partly met, 3 Not met, 4 Not recorded, 5 Not applicable,
or the scale's letters), the evidence note and reference, and the item's flags."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from audit_app.core.checklist import Checklist
from audit_app.core.records import Answer
from audit_app.ui.text import answer_words, escape, heading

CRITICAL = {"always": "Critical item", "on_known_opportunity": "Critical when the opportunity was known", "never": ""}


class NoteEdit(QPlainTextEdit):
    """The note field: Escape hands the keyboard back to the item list (``left``)."""

    left = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.left.emit()
            return
        super().keyPressEvent(event)


class AnswerRow(QWidget):
    """The answer buttons, as many to a row as fit: at a large text size they wrap onto a second
    row rather than being cut."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._buttons: list[QAbstractButton] = []
        self._columns = 0

    def add(self, button: QAbstractButton) -> None:
        self._buttons.append(button)
        self._arrange(force=True)

    def arrange(self) -> None:
        """Place the shown buttons again (after their texts changed)."""
        self._arrange(force=True)

    def _arrange(self, force: bool = False) -> None:
        shown = [b for b in self._buttons if not b.isHidden()]
        spacing = max(self._grid.horizontalSpacing(), 0)
        widest = max((b.sizeHint().width() for b in shown), default=1) + spacing
        columns = max(1, min(len(shown), (self.width() + spacing) // max(widest, 1))) if self.width() > 0 else len(shown)
        if columns == self._columns and not force:
            return
        self._columns = columns
        for button in self._buttons:
            self._grid.removeWidget(button)
        for index, button in enumerate(shown):
            self._grid.addWidget(button, index // max(columns, 1), index % max(columns, 1))
        self.updateGeometry()

    def minimumSizeHint(self) -> QSize:
        shown = [b for b in self._buttons if not b.isHidden()]
        widest = max((b.sizeHint().width() for b in shown), default=0)
        return QSize(widest, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange()


class ItemPanel(QWidget):
    """Shows one item and emits what the reviewer does with it."""

    code_chosen = Signal(str, object)  # item id, answer code (None clears)
    key_refused = Signal(str)  # an answer key with no answer on the shown item's scale: what to tell the reviewer
    text_typed = Signal(str, str, str)  # item id, "note" | "evidence", text
    flag_set = Signal(str, str, object)  # item id, "mmo" | "notable" | "opportunity_known", value
    left = Signal()  # Escape in a text field: back to the item list

    def __init__(self, checklist: Checklist, parent: QWidget | None = None):
        super().__init__(parent)
        self.checklist = checklist
        self.item_id: str | None = None
        self._buttons: dict[str, QAbstractButton] = {}  # answer code -> its button
        self._build_ui()
        self._connect_signals()

    def _build_ui(self) -> None:
        self.header_label = QLabel(self)
        self.header_label.setWordWrap(True)
        self.question_label = heading(self, 1.25)
        self.banner = QLabel(self)
        self.banner.setWordWrap(True)
        self.banner.setFrameShape(QFrame.Shape.StyledPanel)
        self.banner.setMargin(6)

        self.answer_row = AnswerRow(self)
        self.answer_group = QButtonGroup(self)
        self.answer_group.setExclusive(True)
        self.recorded_label = QLabel(self)
        self.recorded_label.setAccessibleName("Recorded answer")
        self.recorded_label.setWordWrap(True)
        self.clear_button = QPushButton("C&lear", self)
        self.clear_button.setToolTip("Remove the answer to this item")

        self.opportunity_box = QWidget(self)
        opportunity = QHBoxLayout(self.opportunity_box)
        opportunity.setContentsMargins(0, 0, 0, 0)
        self.opportunity_label = QLabel(self.opportunity_box)
        self.opportunity_label.setWordWrap(True)
        self.opportunity_yes = QRadioButton("&Yes, it was known or available", self.opportunity_box)
        self.opportunity_no = QRadioButton("&No", self.opportunity_box)
        self.opportunity_group = QButtonGroup(self)
        self.opportunity_group.addButton(self.opportunity_yes)
        self.opportunity_group.addButton(self.opportunity_no)
        opportunity.addWidget(self.opportunity_label, 1)
        opportunity.addWidget(self.opportunity_yes)
        opportunity.addWidget(self.opportunity_no)

        self.note_label = QLabel("Evidence n&ote", self)
        self.note_edit = NoteEdit(self)
        self.note_edit.setAccessibleName("Evidence note")
        self.note_edit.setPlaceholderText("Cite log entries and dates (e.g. log 14, 12/01/2025) rather than copying narrative.")
        self.note_edit.setTabChangesFocus(True)
        self.note_label.setBuddy(self.note_edit)
        self.note_label.setWordWrap(True)  # "required for Partly met, Not met, …" is long at large text sizes
        lines = self.fontMetrics().lineSpacing()
        self.note_edit.setMinimumHeight(lines * 3)
        self.note_edit.setMaximumHeight(lines * 7)
        self.evidence_label = QLabel("&Evidence reference", self)
        self.evidence_edit = QLineEdit(self)
        self.evidence_edit.setAccessibleName("Evidence reference")
        self.evidence_edit.setPlaceholderText("Log entry or document, date")
        self.evidence_label.setBuddy(self.evidence_edit)
        self.mmo_check = QCheckBox("Material &missed opportunity", self)
        self.notable_check = QCheckBox("Nota&ble practice", self)

        form = QWidget(self)
        top = QVBoxLayout(form)
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.header_label)
        top.addWidget(self.question_label)
        top.addWidget(self.banner)
        top.addWidget(self.answer_row)
        top.addWidget(self.recorded_label)
        top.addWidget(self.opportunity_box)
        top.addWidget(self.note_label)
        top.addWidget(self.note_edit)
        evidence = QHBoxLayout()
        evidence.addWidget(self.evidence_label)
        evidence.addWidget(self.evidence_edit, 1)
        top.addLayout(evidence)
        flags = QHBoxLayout()
        flags.addWidget(self.mmo_check)
        flags.addWidget(self.notable_check)
        flags.addStretch(1)
        flags.addWidget(self.clear_button)
        top.addLayout(flags)

        self.guidance = QTextBrowser(self)
        self.guidance.setAccessibleName("Guidance")
        self.guidance.setOpenLinks(False)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("item_splitter")
        scroller = QScrollArea(self)  # at a large text size the form scrolls rather than cutting the question
        scroller.setWidget(form)
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.splitter.addWidget(scroller)
        self.splitter.addWidget(self.guidance)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(0, False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

    def _connect_signals(self) -> None:
        self.answer_group.idClicked.connect(self._on_answer_clicked)
        self.clear_button.clicked.connect(self._on_clear_button_clicked)
        self.note_edit.textChanged.connect(self._on_note_changed)
        self.note_edit.left.connect(self.left)
        self.evidence_edit.textEdited.connect(self._on_evidence_edit_text_edited)
        self.mmo_check.clicked.connect(lambda on: self._set_flag("mmo", on))
        self.notable_check.clicked.connect(lambda on: self._set_flag("notable", on))
        self.opportunity_yes.clicked.connect(lambda: self._set_flag("opportunity_known", True))
        self.opportunity_no.clicked.connect(lambda: self._set_flag("opportunity_known", False))

    # -- showing an item

    def show_item(self, item_id: str, answer: Answer | None, note: str, evidence: str, applies: bool | None,
                  editable: bool, parameters: dict[str, float] | None = None) -> None:
        """Show ``item_id`` with its recorded answer and the text in its fields."""
        checklist = self.checklist
        item = checklist.items[item_id]
        changed_item = item_id != self.item_id
        self.item_id = item_id
        section = checklist.section_of[item_id]
        subscore = next((s.label for s in checklist.spec.subscores if s.id == item.subscore), item.subscore)
        bits = [f"{section.id} · {escape(section.title)}", f"weight {item.weight}", escape(subscore)]
        if CRITICAL[item.critical]:
            bits.append(f"<b>{CRITICAL[item.critical]}</b>")
        self.header_label.setText(" · ".join(bits))
        self.question_label.setText(f"{item_id}  {item.question}")
        self._show_banner(item_id, applies, answer)
        if changed_item:
            self._build_answer_buttons(item_id)
            self.guidance.setHtml(self._guidance_html(item_id, parameters))
        code = answer.code if answer else None
        self.answer_group.setExclusive(False)  # an exclusive group cannot uncheck its last checked button
        for button in self.answer_group.buttons():
            answer_code = next((c for c, b in self._buttons.items() if b is button), None)
            button.setChecked(answer_code is not None and answer_code == code)
            button.setEnabled(editable)
            font = button.font()
            font.setBold(answer_code is not None and answer_code == code)  # stands out, even when read only
            button.setFont(font)
        self.answer_group.setExclusive(True)
        self.clear_button.setEnabled(editable and answer is not None)
        self.recorded_label.setText(self._recorded_text(item_id, answer))
        self._show_opportunity(item_id, answer, editable)
        if self.note_edit.toPlainText() != note:
            self.note_edit.blockSignals(True)
            self.note_edit.setPlainText(note)
            self.note_edit.blockSignals(False)
        if self.evidence_edit.text() != evidence:
            self.evidence_edit.setText(evidence)
        for edit in (self.note_edit, self.evidence_edit):
            _set_read_only(edit, not editable)
        self.note_label.setText(self._note_label_text(item_id, answer))
        self.mmo_check.setVisible(checklist.mmo_allowed(item_id))
        self.mmo_check.setChecked(bool(answer and answer.mmo))
        self.notable_check.setChecked(bool(answer and answer.notable))
        for check in (self.mmo_check, self.notable_check):
            check.setEnabled(editable and answer is not None)

    def _note_label_text(self, item_id: str, answer: Answer | None) -> str:
        """The note's label says when a note is required: for the recorded answer, or before answering
        for which answers will need one."""
        if answer is not None:
            needed = self.checklist.note_required(item_id, answer.code)
            return "Evidence n&ote" + (" (required for this answer)" if needed else "")
        needing = [a.label for a in self.checklist.scale_of(item_id).answers if self.checklist.note_required(item_id, a.code)]
        return "Evidence n&ote" + (f" (required for {', '.join(needing)})" if needing else "")

    def _recorded_text(self, item_id: str, answer: Answer | None) -> str:
        """The recorded answer in words (plain to read whether or not the review can be changed)."""
        return "Not answered yet." if answer is None else "Recorded: " + answer_words(self.checklist, item_id, answer)

    def _show_banner(self, item_id: str, applies: bool | None, answer: Answer | None) -> None:
        condition = self.checklist.items[item_id].applies_when
        if applies is False:
            kept = " Its answer is kept in the record but not scored; clear it if it was given by mistake." if answer else ""
            self.banner.setText(f"<b>No longer applies</b> to this file, given the profile (applies when: "
                                f"<code>{escape(condition or '')}</code>).{kept}")
            self.banner.show()
        elif applies is None:
            self.banner.setText(f"<b>To be decided</b>: record the profile fields in <code>{escape(condition or '')}</code> "
                                "to know whether this item applies.")
            self.banner.show()
        else:
            self.banner.hide()

    def _build_answer_buttons(self, item_id: str) -> None:
        """Label the answer buttons for the item's scale (buttons are reused: moving between items is instant)."""
        answers = self.checklist.scale_of(item_id).answers
        buttons = self.answer_group.buttons()
        while len(buttons) < len(answers):
            added = QPushButton(self.answer_row)  # its parent from the start: reparenting would hide it
            added.setCheckable(True)
            added.installEventFilter(self)  # answer keys also work with the keyboard in the answer row
            self.answer_group.addButton(added, len(buttons) + 1)
            self.answer_row.add(added)
            buttons = self.answer_group.buttons()
        self._buttons = {}
        for number, button in enumerate(sorted(buttons, key=self.answer_group.id), start=1):
            if number > len(answers):
                button.hide()
                continue
            answer = answers[number - 1]
            keys = self.checklist.answer_keys(answer)  # the meaning's digit (also the Alt mnemonic), then the letter
            note = self.checklist.note_required(item_id, answer.code)
            button.setText(f"&{' · '.join(keys)}  {answer.label}" + ("\nneeds a note" if note else ""))
            button.setAccessibleName(f"Answer {answer.label}" + (", needs a note" if note else ""))
            button.setToolTip(f"{answer.description}\n".lstrip() + f"Keys in the item list or here: {' or '.join(keys)}"
                              + ("\nAn evidence note is required with this answer." if note else ""))
            button.show()
            self._buttons[answer.code] = button
        self.answer_row.arrange()

    def _show_opportunity(self, item_id: str, answer: Answer | None, editable: bool) -> None:
        item = self.checklist.items[item_id]
        meaning = self.checklist.answer(item_id, answer.code) if answer else None
        show = item.critical == "on_known_opportunity" and meaning is not None and meaning.meaning == "not_met"
        self.opportunity_box.setVisible(show)
        if not show or answer is None:  # shown only for a Not met answer
            return
        self.opportunity_label.setText(item.opportunity_prompt or "Was the opportunity known or available?")
        self.opportunity_group.setExclusive(False)
        self.opportunity_yes.setChecked(answer.opportunity_known is True)
        self.opportunity_no.setChecked(answer.opportunity_known is False)
        self.opportunity_group.setExclusive(True)
        self.opportunity_yes.setEnabled(editable)
        self.opportunity_no.setEnabled(editable)

    def _guidance_html(self, item_id: str, parameters: dict[str, float] | None) -> str:
        item = self.checklist.items[item_id]
        render = lambda text: escape(self.checklist.render(text, parameters))  # noqa: E731
        guide = item.guidance
        parts = [f"<p><b>What good looks like (Met):</b> {render(guide.good)}</p>"]
        for title, text in (("Partly met", guide.partly_met), ("Not met", guide.not_met),
                            ("Where to look", guide.evidence), ("Notes", guide.notes)):
            if text:
                parts.append(f"<p><b>{title}:</b> {render(text)}</p>")
        parts.append("<p><b>Basis:</b></p><ul>" + "".join(f"<li>{render(b)}</li>" for b in item.basis) + "</ul>")
        scale = self.checklist.scale_of(item_id)
        parts.append("<p><b>Answers:</b></p><ul>" + "".join(
            f"<li><b>{escape(a.label)}</b>{': ' + escape(a.description) if a.description else ''}</li>" for a in scale.answers
        ) + "</ul>")
        return "".join(parts)

    # -- keyboard

    def answer_code_for_key(self, key_text: str) -> str | None:
        """The answer a key chooses for the shown item: its meaning's digit (1–5) or its letter."""
        if self.item_id is None or len(key_text) != 1:
            return None
        answer = self.checklist.answer_for_key(self.item_id, key_text)
        return answer.code if answer else None

    def refusal_for_key(self, key_text: str) -> str | None:
        """Why an answer key does nothing on the shown item (its meaning has no answer on the item's
        scale), or ``None`` when the key is not an answer key at all."""
        if self.item_id is None or len(key_text) != 1:
            return None
        meaning = self.checklist.meaning_of_key(key_text)
        if meaning is None:
            return None
        scale = self.checklist.scale_of(self.item_id)
        offered = ", ".join(f"{' '.join(self.checklist.answer_keys(a))} {a.label}" for a in scale.answers)
        return (f"Nothing recorded: {key_text.upper()} ({meaning.replace('_', ' ')}) is not an answer to {self.item_id}, "
                f"whose answers are {offered}.")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Answer keys on a focused answer button choose as they do in the item list."""
        if (isinstance(watched, QAbstractButton) and watched in self.answer_group.buttons()
                and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier and self.item_id is not None):
            code = self.answer_code_for_key(event.text())
            if code is not None:
                if watched.isEnabled():
                    self.code_chosen.emit(self.item_id, code)
                return True
            refusal = self.refusal_for_key(event.text())
            if refusal is not None:
                self.key_refused.emit(refusal)
                return True
        return super().eventFilter(watched, event)

    def focus_note(self) -> None:
        self.note_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.note_edit.moveCursor(self.note_edit.textCursor().MoveOperation.End)

    def focus_opportunity(self) -> None:
        """The keyboard to the "was the opportunity known" question (asked after a Not met)."""
        self.opportunity_yes.setFocus()

    # -- layout

    def layout_state(self) -> QByteArray:
        """How the user split the answer form and the guidance (to restore in a later session)."""
        return QByteArray(self.splitter.saveState())

    def restore_layout_state(self, state: QByteArray) -> None:
        self.splitter.restoreState(state)

    # -- what the reviewer does

    def _on_answer_clicked(self, number: int) -> None:
        if self.item_id is None:
            return
        answers = self.checklist.scale_of(self.item_id).answers
        self.code_chosen.emit(self.item_id, answers[number - 1].code)

    def _on_note_changed(self) -> None:
        if self.item_id is not None and not self.note_edit.isReadOnly():
            self.text_typed.emit(self.item_id, "note", self.note_edit.toPlainText())

    def _on_evidence_edit_text_edited(self, text: str) -> None:
        if self.item_id is not None:
            self.text_typed.emit(self.item_id, "evidence", text)

    def _on_clear_button_clicked(self) -> None:
        if self.item_id is not None:
            self.code_chosen.emit(self.item_id, None)

    def _set_flag(self, name: str, value: bool) -> None:
        if self.item_id is not None:
            self.flag_set.emit(self.item_id, name, value)


# A field that cannot be typed in looks it: the window's colour instead of the editing white.
_READ_ONLY_LOOK = "background: palette(window);"


def _set_read_only(edit: QPlainTextEdit | QLineEdit, read_only: bool) -> None:
    """Make ``edit`` read-only (or not), and look so: a signed-off review, a review that is not
    yours, an audit on read-only media."""
    if edit.isReadOnly() == read_only and edit.styleSheet() == (_READ_ONLY_LOOK if read_only else ""):
        return
    edit.setReadOnly(read_only)
    edit.setStyleSheet(_READ_ONLY_LOOK if read_only else "")
