"""The review page for one file: the profile first, then the applicable items section by section,
with a side panel of what is still missing, the running score and the provisional grade.

Keyboard: in the item list, Up/Down move between items and the answer keys shown on the answer
buttons answer the item shown: digits by meaning, the same on every scale (1 Met, 2 Partly met, 3 Not
met, 4 Not recorded, 5 Not applicable), or the scale's letters (M, P, N, R, A). Other letters do
nothing there but say so: answering never moves the keyboard into the note. Enter goes to the note
(or to the opportunity question when it is asked), Escape comes back. Ctrl+Down/Ctrl+Up move to the
next/previous item from anywhere, Ctrl+Return completes the review (after a summary), Ctrl+Z/Ctrl+Y
undo and redo. Changing a complete review asks first.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QMessageBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from audit_app.core.checklist import Checklist
from audit_app.core.scoring import ReviewResult, grouped_missing
from audit_app.core.sampling import stratum_label
from audit_app.services import reviews as review_service
from audit_app.services.workspace import STATUS_LABELS, FileSummary
from audit_app.ui.item_panel import ItemPanel
from audit_app.ui.profile_form import ProfileForm
from audit_app.ui.review_controller import PROFILE, ReviewController
from audit_app.ui.wrapping import WrappingDelegate
from audit_app.ui.text import answer_changes, escape, heading, review_summary

TARGET = Qt.ItemDataRole.UserRole
PROFILE_ENTRY = "profile"


@dataclass(frozen=True)
class OpenReview:
    """Which review the page shows, and where in it the reviewer is."""

    review_id: int
    ref: str  # the file
    role: str  # "primary" or "second"
    target: str  # "profile" or an item id


class ReviewPage(QWidget):
    """Works on the review held by a :class:`ReviewController` (set with :meth:`show_review`)."""

    back_requested = Signal()
    file_step_requested = Signal(int)  # +1 next file, -1 previous file
    sign_off_requested = Signal(int)  # the review's id
    change_requested = Signal(int)  # change after sign-off: the review's id
    history_requested = Signal(str)  # the file's ref
    position_changed = Signal(str)  # the item (or "profile") now shown

    def __init__(self, checklist: Checklist, parent: QWidget | None = None):
        super().__init__(parent)
        self.checklist = checklist
        self.controller: ReviewController | None = None
        self._details = ""
        self._shown: list[str] = []  # item ids in the navigator, in order
        self._can_sign_off = False
        self._change_granted: int | None = None  # a review just reopened by "change after sign-off", with a reason
        self._build_ui()
        self._connect_signals()

    # -- construction

    def _build_ui(self) -> None:
        self.title_label = heading(self)
        self.details_label = QLabel(self)
        self.details_label.setWordWrap(True)
        self.saved_label = QLabel(self)
        self.saved_label.setAccessibleName("Save state")
        self.notice_label = QLabel(self)  # the status area: what a key did not do, what an item still needs
        self.notice_label.setAccessibleName("Notice")
        self.notice_label.setWordWrap(True)
        self.notice_label.setTextFormat(Qt.TextFormat.PlainText)
        header = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(self.title_label)
        titles.addWidget(self.details_label)
        titles.addWidget(self.notice_label)
        header.addLayout(titles, 1)
        header.addWidget(self.saved_label, 0, Qt.AlignmentFlag.AlignTop)

        self.navigator = QTreeWidget(self)
        self.navigator.setAccessibleName("Profile and items")
        self.navigator.setHeaderLabels(["Item", "Answer"])
        self.navigator.setColumnCount(2)
        self.navigator.setRootIsDecorated(True)
        self.navigator.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.navigator.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.navigator.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.navigator.header().setStretchLastSection(False)
        self.navigator.setItemDelegate(WrappingDelegate(self.navigator))  # questions wrap, never cut

        self.stack = QStackedWidget(self)
        self.profile_form = ProfileForm(self.checklist, self)
        self.item_panel = ItemPanel(self.checklist, self)
        self.stack.addWidget(self.profile_form)
        self.stack.addWidget(self.item_panel)

        side = QWidget(self)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        self.score_label = QLabel(side)
        self.score_label.setWordWrap(True)
        self.score_label.setTextFormat(Qt.TextFormat.RichText)
        self.score_label.setAccessibleName("Score and grade")
        self.missing_label = QLabel("Still missing", side)
        self.missing_list = QListWidget(side)
        self.missing_list.setAccessibleName("Still missing")
        self.missing_list.setWordWrap(True)
        self.missing_label.setBuddy(self.missing_list)
        side_layout.addWidget(self.score_label)
        side_layout.addWidget(self.missing_label)
        side_layout.addWidget(self.missing_list, 1)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("review_splitter")
        self.splitter.addWidget(self.navigator)
        self.splitter.addWidget(self.stack)
        self.splitter.addWidget(side)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 4)
        self.splitter.setStretchFactor(2, 2)
        width = self.fontMetrics().averageCharWidth()
        self.splitter.setSizes([width * 40, width * 80, width * 36])

        self.back_button = QPushButton("&Workspace", self)
        self.back_button.setToolTip("Back to the list of files (Alt+W)")
        self.previous_button = QPushButton("Pre&vious file", self)
        self.previous_button.setToolTip("The previous file already started (Ctrl+Page Up)")
        self.next_button = QPushButton("Ne&xt file to do", self)
        self.next_button.setToolTip("Your next file in progress, or the next not started (Ctrl+Page Down)")
        self.undo_button = QPushButton("&Undo", self)
        self.undo_button.setToolTip("Ctrl+Z")
        self.redo_button = QPushButton("Re&do", self)
        self.redo_button.setToolTip("Ctrl+Y")
        self.history_button = QPushButton("His&tory…", self)
        self.sign_off_button = QPushButton("S&ign off…", self)
        self.change_button = QPushButton("&Change after sign-off…", self)
        self.complete_button = QPushButton("&Complete review", self)
        self.complete_button.setToolTip("Offered when nothing is missing (Ctrl+Return)")
        buttons = QHBoxLayout()
        for button in (self.back_button, self.previous_button, self.next_button, self.undo_button, self.redo_button,
                       self.history_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        for button in (self.change_button, self.sign_off_button, self.complete_button):
            buttons.addWidget(button)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(buttons)

    def _connect_signals(self) -> None:
        self.navigator.currentItemChanged.connect(self._on_navigator_moved)
        self.navigator.installEventFilter(self)
        self.missing_list.itemActivated.connect(self._on_missing_activated)
        self.missing_list.itemClicked.connect(self._on_missing_activated)
        self.item_panel.code_chosen.connect(self._on_code_chosen)
        self.item_panel.key_refused.connect(self.notice_label.setText)
        self.item_panel.text_typed.connect(self._on_item_panel_text_typed)
        self.item_panel.flag_set.connect(self._on_item_panel_flag_set)
        self.item_panel.left.connect(self._back_to_navigator)
        self.profile_form.value_chosen.connect(self._on_profile_form_value_chosen)
        self.profile_form.text_typed.connect(self._on_profile_form_text_typed)
        self.profile_form.text_finished.connect(self._on_profile_form_text_finished)
        self.back_button.clicked.connect(self._leave)
        self.previous_button.clicked.connect(lambda: self._step_file(-1))
        self.next_button.clicked.connect(lambda: self._step_file(1))
        self.undo_button.clicked.connect(self.undo)
        self.redo_button.clicked.connect(self.redo)
        self.history_button.clicked.connect(self._on_history_button_clicked)
        self.sign_off_button.clicked.connect(self._on_sign_off_button_clicked)
        self.change_button.clicked.connect(self._on_change_button_clicked)
        self.complete_button.clicked.connect(self.complete)
        shortcuts = [
            ("Ctrl+Down", lambda: self.step_item(1)), ("Ctrl+Up", lambda: self.step_item(-1)),
            ("Ctrl+Return", self.complete), ("Ctrl+Enter", self.complete),
            ("Ctrl+PgDown", lambda: self._step_file(1)), ("Ctrl+PgUp", lambda: self._step_file(-1)),
        ]
        # The platform's undo/redo keys plus Ctrl+Y, each once (two shortcuts on one key cancel out).
        for standard, extra, slot in ((QKeySequence.StandardKey.Undo, "Ctrl+Z", self.undo),
                                      (QKeySequence.StandardKey.Redo, "Ctrl+Y", self.redo)):
            keys = {k.toString() for k in QKeySequence.keyBindings(standard)} | {extra}
            shortcuts += [(key, slot) for key in sorted(keys)]
        for key, slot in shortcuts:
            shortcut = QShortcut(QKeySequence(key), self, slot)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    # -- showing a review

    def show_review(self, controller: ReviewController, file: FileSummary, can_sign_off: bool, item: str | None = None) -> None:
        """Work on another review (of ``file``); ``item`` (an item id or "profile") is where to start."""
        if self.controller is not None:
            self.close_review()
        self.controller = controller
        self._can_sign_off = can_sign_off
        controller.confirm_reopen = self._confirm_reopen
        review = controller.state.review
        if self._change_granted == review.id and review.status == "complete" and review.changed_after_sign_off:
            controller.reopen_granted = True  # the reason given for the change after sign-off covers it
        self._change_granted = None
        self.notice_label.clear()
        controller.changed.connect(self._refresh)
        controller.saved.connect(self.saved_label.setText)
        controller.failed.connect(self._on_failed)
        controller.notice.connect(self.saved_label.setText)
        controller.refused.connect(self.profile_form.show_refusal)
        controller.undo_stack.canUndoChanged.connect(self.undo_button.setEnabled)
        controller.undo_stack.canRedoChanged.connect(self.redo_button.setEnabled)
        review = controller.state.review
        # A long reference (police.uk's are 64 hex digits) cannot wrap: its middle is left out, the whole in the tooltip.
        shown_ref = file.ref if len(file.ref) <= 24 else f"{file.ref[:10]}…{file.ref[-10:]}"
        self.title_label.setText(f"{review.role.capitalize()} review of {shown_ref}")
        self.title_label.setToolTip(file.ref)
        self._details = (f"{file.offence} · {file.area} · {file.month} · stratum {stratum_label(file.stratum)} · "
                         f"reviewer {review.reviewer.display}")
        self.saved_label.setText("All changes are saved as you make them" if controller.editable
                                 else f"Read only: {controller.read_only_reason}")
        self._refresh()  # the item list is rebuilt only if another set of items applies
        start = item if item in self._shown or item == PROFILE_ENTRY else (self._first_unanswered() or PROFILE_ENTRY)
        self.select(start)

    def close_review(self) -> None:
        """Record any typing still pending and let go of the review."""
        self.profile_form.commit_choice()
        controller, self.controller = self.controller, None
        if controller is not None:
            controller.close()  # records typing still pending; its timer never fires after this
            for signal in (controller.changed, controller.saved, controller.failed, controller.refused, controller.undo_stack.canUndoChanged,
                           controller.undo_stack.canRedoChanged):
                signal.disconnect()
            controller.deleteLater()

    def current_target(self) -> str:
        item = self.navigator.currentItem()
        return item.data(0, TARGET) if item is not None and item.data(0, TARGET) else PROFILE_ENTRY

    def current_review(self) -> OpenReview | None:
        """The review shown, and where in it the reviewer is (None when no review is open)."""
        if self.controller is None:
            return None
        review = self.controller.state.review
        return OpenReview(review.id, review.ref, review.role, self.current_target())

    def focus_items(self) -> None:
        """The keyboard to the list of the profile and the items."""
        self.navigator.setFocus()

    def layout_state(self) -> dict[str, QByteArray]:
        """How the user divided the page (to restore in a later session), by name."""
        return {"splitter": QByteArray(self.splitter.saveState()), "item_splitter": self.item_panel.layout_state()}

    def restore_layout_state(self, states: Mapping[str, QByteArray]) -> None:
        if "splitter" in states:
            self.splitter.restoreState(states["splitter"])
        if "item_splitter" in states:
            self.item_panel.restore_layout_state(states["item_splitter"])

    def select(self, target: str) -> None:
        """Show the profile ("profile") or an item."""
        found = self._entry(target)
        if found is not None:
            self.navigator.setCurrentItem(found)

    def step_item(self, step: int) -> None:
        targets = [PROFILE_ENTRY, *self._shown]
        current = self.current_target()
        index = targets.index(current) if current in targets else 0
        new = min(max(index + step, 0), len(targets) - 1)
        self.select(targets[new])
        if not self.navigator.hasFocus() and self.focusWidget() not in (self.profile_form, self.item_panel):
            self.navigator.setFocus()

    def complete(self) -> None:
        """Complete the review once the reviewer has seen and confirmed its summary."""
        controller = self.controller
        if controller is None or not self.complete_button.isEnabled():
            return
        controller.flush()
        if not controller.result.complete:  # the typing just recorded may have changed that
            return
        changes = answer_changes(self.checklist, controller.completed_answers, controller.state.answers)
        summary = review_summary(self.checklist, controller.result, changes if controller.completed_answers else None)
        answer = QMessageBox.question(self, "Complete review", f"Complete this review?\n\n{summary}")
        if answer == QMessageBox.StandardButton.Yes:
            controller.complete()

    def _confirm_reopen(self) -> bool:
        """Asked before the first change to a complete review."""
        answer = QMessageBox.question(
            self, "Change a complete review",
            "This review is complete. Change it?\n\nIt goes back to in progress (recorded in the history) and must be "
            "completed again.", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def undo(self) -> None:
        if self.controller is not None and self.controller.editable:
            self.profile_form.commit_choice()
            self.controller.flush()
            self.controller.undo_stack.undo()

    def redo(self) -> None:
        if self.controller is not None and self.controller.editable:
            self.controller.undo_stack.redo()

    # -- keyboard in the item list

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.navigator and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            return self._on_navigator_key(event)
        return super().eventFilter(watched, event)

    def _on_navigator_key(self, event: QKeyEvent) -> bool:
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.current_target() == PROFILE_ENTRY:
                self.profile_form.focus_first()
            elif self._needs_opportunity(self.current_target()):
                self.item_panel.focus_opportunity()
            else:
                self.item_panel.focus_note()
            return True
        if self.current_target() == PROFILE_ENTRY or self.controller is None:
            return False
        text = event.text()
        code = self.item_panel.answer_code_for_key(text)
        if code is not None:
            self._on_code_chosen(self.current_target(), code, by_key=True)
            return True
        refusal = self.item_panel.refusal_for_key(text)
        if refusal is not None:
            self.notice_label.setText(refusal)
            return True
        if len(text) == 1 and text.isprintable() and not text.isspace():
            # Typing meant for the note: it changes nothing here (not even which item is shown), and says so.
            self.notice_label.setText(f"{text} is not an answer key: the answer keys are on the answer buttons. "
                                      "Press Enter to write in the note.")
            return True
        return False

    def _on_code_chosen(self, item: str, code: str | None, by_key: bool = False) -> None:
        controller = self.controller
        if controller is None or not controller.editable:
            return
        controller.set_code(item, code)
        answer = controller.answer(item)
        if answer is None or answer.code != code:
            return
        # The keyboard stays where it is: the reviewer moves into the note (Enter) when they choose to.
        needs = self._still_needed(item)
        if needs:
            self.notice_label.setText(f"{item} still needs {needs}: press Enter to give it.")
        elif by_key:
            self.notice_label.clear()
            self.step_item(1)

    def _still_needed(self, item: str) -> str:
        """What an answered item still lacks before the review can be completed ("" when nothing)."""
        controller = self.controller
        answer = controller.answer(item) if controller else None
        if controller is None or answer is None:
            return ""
        meaning = self.checklist.answer(item, answer.code)
        label = meaning.label if meaning else answer.code
        if self.checklist.note_required(item, answer.code) and not controller.text(item, "note").strip():
            return f"an evidence note (required for {label})"
        if self._needs_opportunity(item):
            return "the answer to whether the opportunity was known"
        return ""

    def _needs_opportunity(self, item: str) -> bool:
        return any(m.kind == "opportunity" and m.target == item for m in (self.controller.result.missing if self.controller else ()))

    def _on_item_panel_text_typed(self, item: str, field: str, text: str) -> None:
        if self.controller is not None:
            self.controller.type_text(item, field, text)

    def _on_item_panel_flag_set(self, item: str, name: str, value: object) -> None:
        if self.controller is not None:
            self.controller.set_flag(item, name, value)

    def _on_profile_form_value_chosen(self, field: str, value: object) -> None:
        if self.controller is not None:
            self.controller.set_profile(field, value)

    def _on_profile_form_text_typed(self, field: str, text: str) -> None:
        if self.controller is not None:
            self.controller.type_text(PROFILE + field, "value", text)

    def _on_profile_form_text_finished(self, field: str, text: str) -> None:
        if self.controller is not None:
            self.controller.set_profile_text(field, text)

    def _back_to_navigator(self) -> None:
        if self.controller is not None:
            self.controller.flush()
        self.navigator.setFocus()

    # -- refreshing from the controller

    def _refresh(self) -> None:
        controller = self.controller
        if controller is None:
            return
        result = controller.result
        shown = [i for i, applies in result.applicability.items() if applies is not False or i in controller.state.answers]
        if shown != self._shown:
            current = self.current_target()
            self._shown = shown
            self._rebuild_navigator()
            self.select(current if current in shown or current == PROFILE_ENTRY else self._nearest(current))
        self._update_navigator_answers()
        self._update_side_panel(result)
        self._update_buttons()
        self._show_current()

    def _rebuild_navigator(self) -> None:
        self.navigator.blockSignals(True)
        self.navigator.clear()
        profile = QTreeWidgetItem(self.navigator, ["File profile", ""])
        profile.setData(0, TARGET, PROFILE_ENTRY)
        shown = set(self._shown)
        for section in self.checklist.spec.sections:
            items = [i for i in section.items if i.id in shown]
            if not items:
                continue
            parent = QTreeWidgetItem(self.navigator, [f"{section.id}  {section.title}", ""])
            parent.setFlags(parent.flags() & ~Qt.ItemFlag.ItemIsSelectable)
            for item in items:
                child = QTreeWidgetItem(parent, [f"{item.id}  {item.question}", ""])
                child.setData(0, TARGET, item.id)
                child.setToolTip(0, item.question)
            parent.setExpanded(True)
        self.navigator.blockSignals(False)

    def _update_navigator_answers(self) -> None:
        controller = self.controller
        assert controller is not None
        result = controller.result
        missing = {m.target for m in result.missing}
        profile_missing = any(m.kind == "profile" for m in result.missing)
        for top, children in self._entries():
            if top.data(0, TARGET) == PROFILE_ENTRY:
                top.setText(1, "to complete" if profile_missing else "✓")
                continue
            answered = 0
            for child in children:
                item_id = child.data(0, TARGET)
                answer = controller.answer(item_id)
                applies = result.applicability.get(item_id)
                text = answer.code if answer else "—"
                if applies is False:
                    text = f"no longer applies ({text})"
                elif applies is None:
                    text = "to decide" if not answer else f"{text}, to decide"
                elif item_id in missing and answer:
                    text += " · needs more"
                answered += answer is not None
                if child.text(1) != text:  # touch only what changed: each change repaints the list
                    child.setText(1, text)
                font = child.font(0)
                if font.italic() != (applies is False) or font.bold() != (item_id in missing):
                    font.setItalic(applies is False)
                    font.setBold(item_id in missing)
                    child.setFont(0, font)
                    child.setFont(1, font)
            count = f"{answered}/{len(children)}"
            if top.text(1) != count:
                top.setText(1, count)

    def _update_side_panel(self, result: ReviewResult) -> None:
        controller = self.controller
        assert controller is not None
        lines = []
        score = "—" if result.score is None else f"{result.score:g}"
        status = controller.state.review.status
        provisional = "" if status in ("complete", "signed_off") else " (provisional)"
        lines.append(f"<p><b>Score:</b> {score}{provisional}<br><b>Grade:</b> {escape(result.grade_label or '—')}{provisional}")
        if result.base_grade and result.grade != result.base_grade:
            base = next((b.label for b in self.checklist.spec.grading.bands if b.id == result.base_grade), result.base_grade)
            lines.append(f"<br>Before caps: {escape(base)}")
        lines.append("</p>")
        if result.caps_applied:
            lines.append("<p><b>Capped:</b></p><ul>" + "".join(f"<li>{escape(c)}</li>" for c in result.caps_applied) + "</ul>")
        subs = [f"{escape(s.label)} {'—' if result.subscores.get(s.id) is None else f'{result.subscores[s.id]:g}'}"
                for s in self.checklist.spec.subscores]
        lines.append("<p>" + " · ".join(subs) + "</p>")
        if result.ungradable_reasons:
            lines.append("<p><b>Ungradable:</b> " + "; ".join(escape(r) for r in result.ungradable_reasons) + "</p>")
        for title, ids in (("Critical failures", result.critical_failures), ("Material missed opportunities", result.mmo),
                           ("Notable practice", result.notable_practice)):
            if ids:
                lines.append(f"<p><b>{title}:</b> {', '.join(ids)}</p>")
        if result.needs_moderation:
            lines.append("<p><b>Goes to a second reviewer</b> before the grade is final.</p>")
        self.score_label.setText("".join(lines))
        self.missing_list.clear()
        groups = [(heading, entries) for _, heading, entries in grouped_missing(result.missing)]
        if result.warnings:
            groups.append(("Checks to look at (not blocking)", list(result.warnings)))
        for heading, entries in groups:
            header = QListWidgetItem(f"{heading} ({len(entries)})", self.missing_list)
            header.setFlags(Qt.ItemFlag.ItemIsEnabled)  # a heading: not selectable, skipped by the keyboard
            font = header.font()
            font.setBold(True)
            header.setFont(font)
            for missing in entries:
                entry = QListWidgetItem(missing.message, self.missing_list)
                entry.setToolTip(missing.message)
                entry.setData(TARGET, PROFILE + missing.field if missing.field else missing.target)
        count = len(result.missing)
        self.missing_label.setText(f"Still missing ({count})" if count else "Nothing missing: the review can be completed")

    def _update_buttons(self) -> None:
        controller = self.controller
        assert controller is not None
        review = controller.state.review
        editable = controller.editable
        self.complete_button.setEnabled(editable and review.status == "in_progress" and controller.result.complete)
        self.complete_button.setVisible(review.status == "in_progress")
        self.sign_off_button.setVisible(self._can_sign_off and review.status == "complete")
        self.change_button.setVisible(review.status == "signed_off")
        self.change_button.setEnabled(not controller.file_read_only)  # a read-only audit: nothing can be changed
        self.undo_button.setEnabled(editable and controller.undo_stack.canUndo())
        self.redo_button.setEnabled(editable and controller.undo_stack.canRedo())
        status = STATUS_LABELS.get(review.status, review.status)
        if review.changed_after_sign_off:
            status += " · changed after sign-off" if review.status != "signed_off" else " · re-signed after a change"
        if review.training:
            status += " · training example"
        if not editable and review.status != "signed_off":
            status += " · read only"
        self.details_label.setText(f"{self._details}  ·  Status: {status}")

    def _show_current(self) -> None:
        controller = self.controller
        if controller is None:
            return
        target = self.current_target()
        if target == PROFILE_ENTRY:
            self.stack.setCurrentWidget(self.profile_form)
            texts = {f.id: controller.text(PROFILE + f.id, "value") for f in self.checklist.spec.profile}
            derived = self.checklist.environment(controller.state.profile)
            missing = {m.target for m in controller.result.missing if m.kind == "profile"}
            self.profile_form.show_values(texts, controller.state.profile, {d: derived.get(d) for d, _ in self.checklist.derived},
                                          controller.editable, missing,
                                          prefilled=review_service.prefilled_fields(controller.audit, controller.state.review),
                                          checks=tuple(m for m in controller.result.missing if m.kind == "check"),
                                          warnings=controller.result.warnings)
            return
        self.stack.setCurrentWidget(self.item_panel)
        self.item_panel.show_item(target, controller.answer(target), controller.text(target, "note"),
                                  controller.text(target, "evidence"), controller.result.applicability.get(target),
                                  controller.editable)

    # -- navigation internals

    def _entries(self) -> Iterator[tuple[QTreeWidgetItem, list[QTreeWidgetItem]]]:
        """The navigator's top-level entries (the profile, then each section) with their children."""
        for index in range(self.navigator.topLevelItemCount()):
            top = self.navigator.topLevelItem(index)
            if top is not None:
                yield top, [child for row in range(top.childCount()) if (child := top.child(row)) is not None]

    def _entry(self, target: str) -> QTreeWidgetItem | None:
        for top, children in self._entries():
            if top.data(0, TARGET) == target:
                return top
            for child in children:
                if child.data(0, TARGET) == target:
                    return child
        return None

    def _nearest(self, target: str) -> str:
        order = list(self.checklist.items)
        if target in order:
            for item_id in order[order.index(target):]:
                if item_id in self._shown:
                    return item_id
        return PROFILE_ENTRY

    def _first_unanswered(self) -> str | None:
        controller = self.controller
        if controller is None or any(m.kind == "profile" for m in controller.result.missing):
            return None
        return next((i for i in self._shown if controller.answer(i) is None), None)

    def _on_navigator_moved(self, current: QTreeWidgetItem | None, previous: QTreeWidgetItem | None) -> None:
        if current is not None and not current.data(0, TARGET):  # a section heading: go to its first item
            first = current.child(0)
            if first is not None:
                self.navigator.setCurrentItem(first)
            return
        self.profile_form.commit_choice()
        if self.controller is not None:
            self.controller.flush()
        left = previous.data(0, TARGET) if previous is not None else None
        needs = self._still_needed(left) if left and left != PROFILE_ENTRY else ""
        if needs:  # flagged at once, not only in the missing list
            self.notice_label.setText(f"{left} was left without {needs}: it is listed under Still missing.")
        elif self.notice_label.text():
            self.notice_label.clear()
        self._show_current()
        self.position_changed.emit(self.current_target())

    def _on_missing_activated(self, entry: QListWidgetItem) -> None:
        target = entry.data(TARGET)
        if not target:
            return  # a group heading
        if target.startswith(PROFILE):
            self.select(PROFILE_ENTRY)
            self.profile_form.focus_field(target[len(PROFILE):])
        elif target in self._shown:
            self.select(target)
            self.navigator.setFocus()

    def _on_history_button_clicked(self) -> None:
        if (shown := self.current_review()) is not None:
            self.history_requested.emit(shown.ref)

    def _on_sign_off_button_clicked(self) -> None:
        if (shown := self.current_review()) is not None:
            self.sign_off_requested.emit(shown.review_id)

    def _on_change_button_clicked(self) -> None:
        if (shown := self.current_review()) is not None:
            self._change_granted = shown.review_id
            self.change_requested.emit(shown.review_id)

    def _on_failed(self, message: str) -> None:
        self.saved_label.setText(f"Not saved: {message}")

    def _step_file(self, step: int) -> None:
        self.close_review()
        self.file_step_requested.emit(step)

    def _leave(self) -> None:
        self.close_review()
        self.back_requested.emit()
