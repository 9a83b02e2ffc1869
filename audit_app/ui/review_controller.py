"""The open review behind the review page: saves every change at once through the services, keeps an
undo stack, and rescores after each change. The page's widgets talk to this object, never to the
services.

Text being typed (notes, evidence references, profile values typed as text) is saved as a draft
on every keystroke, so a crash loses at most the keystroke in flight; it becomes a recorded,
logged change after a pause in typing, when the reviewer moves on, or when the page closes.
Text typed for an item not yet answered stays a draft, shown in its field, until an answer is
chosen: it is then recorded with that answer. Clearing an answer keeps its text as a draft.

A complete review is changed only once ``confirm_reopen`` says yes: it then goes back to in
progress (logged) before the change is made.

A review of a read-only audit (an archive) can only be looked at: every change is refused with a
sentence before anything is written. Once its audit is closed (or :meth:`ReviewController.close` is
called) the controller records nothing more: a typing pause that ends after that does nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from audit_app.core import profile as profile_values
from audit_app.core.records import Answer, Reviewer
from audit_app.core.scoring import ReviewResult
from audit_app.errors import UserFacingError
from audit_app.services import reviews as review_service
from audit_app.services.audits import Audit
from audit_app.services.reviews import ReviewState

TYPING_PAUSE_MS = 1500  # typed text is recorded (an audit-trail event) after this long without a keystroke
PROFILE = "profile."


class _ChangeCommand(QUndoCommand):
    """One recorded change (an answer or a profile value); undo records the previous value again.

    Both directions are ordinary, logged changes in the audit trail. Consecutive typing in one text
    field of one item (the same ``merge_key``) undoes as one step.
    """

    MERGE_ID = 1

    def __init__(self, text: str, write: Callable[[Any], bool], old: Any, new: Any, merge_key: str = ""):
        super().__init__(text)
        self.write = write
        self.old = old
        self.new = new
        self.merge_key = merge_key
        self._done = True  # the change was saved before the command was pushed

    def id(self) -> int:
        return self.MERGE_ID if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, _ChangeCommand) or other.merge_key != self.merge_key:
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self.write(self.new)

    def undo(self) -> None:
        self.write(self.old)


class ReviewController(QObject):
    """One review being worked on (or read)."""

    changed = Signal()  # the state or the result changed: the page refreshes
    saved = Signal(str)  # a change was recorded: "Saved at 14:02:11"
    failed = Signal(str)  # a change was refused or could not be saved: one sentence
    notice = Signal(str)  # something the reviewer should know about what was saved: one sentence
    refused = Signal(str, str)  # field id, why: typed profile text that is not a valid value (shown beside the field)

    def __init__(self, audit: Audit, state: ReviewState, me: Reviewer, parent: QObject | None = None):
        super().__init__(parent)
        self.audit = audit
        self.checklist = audit.checklist
        self.me = me
        self.state = state  # a review not started yet has id 0: its first change starts it (see _started)
        self.result: ReviewResult = (review_service.review_result(audit, state.review.id) if state.review.id
                                     else review_service.empty_result(audit, state.profile))
        self._closed = False  # close() was called: nothing more is recorded
        self.undo_stack = QUndoStack(self)
        self.confirm_reopen: Callable[[], bool] = lambda: False  # the page asks the reviewer
        self.reopen_granted = False  # set when the reviewer has already said why (a change after sign-off)
        # The answers as they were when the review was last complete (None: it has not been), for
        # the summary shown before completing it again.
        self.completed_answers: dict[str, Answer] | None = dict(state.answers) if state.review.status == "complete" else None
        self._pending: dict[tuple[str, str], str] = {}  # typed text not yet recorded: (item, field) -> text
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(TYPING_PAUSE_MS)
        self._timer.timeout.connect(self.flush)
        if state.drafts and self.editable:
            # Text typed before an interruption (a crash, a power cut): shown again, and recorded
            # at the next pause like any other typing.
            self._pending.update(state.drafts)
            self._timer.start()

    # -- what the page reads

    @property
    def review_id(self) -> int:
        return self.state.review.id

    @property
    def file_read_only(self) -> bool:
        """The audit is read-only (its file or folder, e.g. an archive): nothing in it can be changed."""
        return self.audit.read_only

    @property
    def closed(self) -> bool:
        """The controller or its audit has been closed: it records nothing more."""
        return self._closed or self.audit.closed

    @property
    def editable(self) -> bool:
        """Only the reviewer edits their review, and not once it is signed off."""
        return not self.read_only_reason

    @property
    def read_only_reason(self) -> str:
        """Why the review cannot be changed here, in words ("" when it can)."""
        review = self.state.review
        if self.file_read_only:
            return "the audit file or its folder is read-only, so nothing in it can be changed"
        if review.reviewer.id != self.me.id:
            return f"this is {review.reviewer.display}'s review"
        if review.status == "signed_off":
            return "it is signed off (Change… reopens it, with a reason)"
        return ""

    def _started(self) -> int:
        """The review's id, starting the review (logged) on its first change: opening a file claims nothing."""
        review = self.state.review
        if not review.id:
            started = review_service.start_review(self.audit, review.ref, self.me, review.role, actor=self.me.display)
            self.state = replace(self.state, review=started)
        return self.state.review.id

    def answer(self, item: str) -> Answer | None:
        return self.state.answers.get(item)

    def text(self, item: str, field: str) -> str:
        """What the reviewer sees in a text field: typing not yet recorded, else the recorded text."""
        key = (item, field)
        if key in self._pending:
            return self._pending[key]
        if key in self.state.drafts:
            return self.state.drafts[key]
        if item.startswith(PROFILE):
            value = self.state.profile.get(item[len(PROFILE):])
            return profile_values.to_text(value)
        answer = self.state.answers.get(item)
        return getattr(answer, field, "") if answer else ""

    def has_unrecorded_text(self) -> bool:
        return bool(self._pending) or bool(self.state.drafts)

    # -- answers

    def set_code(self, item: str, code: str | None) -> None:
        """Choose (or clear, with None) an answer; typed note and evidence for the item go with it.
        Clearing keeps the note and evidence as drafts (shown in their fields, given to the next answer)."""
        old = self.state.answers.get(item)
        if code is None:
            new = None
        else:
            base = old or Answer(code)
            meaning = self.checklist.answer(item, code)
            keeps_opportunity = self.checklist.items[item].critical == "on_known_opportunity" and meaning and meaning.meaning == "not_met"
            opportunity = base.opportunity_known if keeps_opportunity else None
            new = replace(base, code=code, note=self.text(item, "note").strip(), evidence=self.text(item, "evidence").strip(),
                          opportunity_known=opportunity)
        label = "Clear the answer" if code is None else f"Answer {code}"
        kept = {f: self.text(item, f) for f in ("note", "evidence")} if code is None else {}
        self._change_answer(item, new, f"{item}: {label}")
        if code is None and self.state.answers.get(item) is None:
            for field, text in kept.items():
                self._pending.pop((item, field), None)
                if text.strip():
                    self.type_text(item, field, text)
            if any(t.strip() for t in kept.values()):
                self.reload()

    def set_flag(self, item: str, name: str, value: Any) -> None:
        """Set ``mmo``, ``notable`` or ``opportunity_known`` on an answered item."""
        old = self.state.answers.get(item)
        if old is None:
            self.failed.emit(f"Answer {item} first.")
            self.changed.emit()
            return
        new = replace(old, **{name: value}, note=self.text(item, "note").strip(), evidence=self.text(item, "evidence").strip())
        self._change_answer(item, new, f"{item}: {name.replace('_', ' ')}")

    def type_text(self, item: str, field: str, text: str) -> None:
        """A keystroke in a note, evidence or typed profile field: saved as a draft at once."""
        cleaned = review_service.clean_text(text)
        if cleaned != text:  # NUL or another control character (pasted, or typed with a dead key): never stored
            what = {"note": "note", "evidence": "evidence reference"}.get(field, "text")
            self.notice.emit(f"Control characters (such as NUL) were removed from the {what} of {item}: they are not "
                             "text, so they are never saved.")
            text = cleaned
        if not self.editable or self._pending.get((item, field)) == text:
            return
        if not self._may_change():
            return
        key = (item, field)
        self._pending[key] = text
        try:
            review_service.save_draft(self.audit, self._started(), item, field, text)
        except UserFacingError as error:
            self.failed.emit(str(error))
            return
        self._timer.start()

    def flush(self) -> None:
        """Record typed text now (after a pause, when moving on, or before closing). After the audit
        (or this controller) was closed it records nothing: the text was saved as a draft as it was
        typed, and is recorded when the review is next worked on."""
        self._timer.stop()
        if self.closed or self.file_read_only:
            self._pending.clear()
            return
        pending, self._pending = self._pending, {}
        for (item, field), text in pending.items():
            if item.startswith(PROFILE):
                self.set_profile_text(item[len(PROFILE):], text)
                continue
            old = self.state.answers.get(item)
            if old is None:
                self.state.drafts[(item, field)] = text  # stays a draft (saved as typed) until an answer is chosen
                continue
            if getattr(old, field) == text.strip():
                review_service.discard_draft(self.audit, self.review_id, item)
                continue
            new = replace(old, note=text.strip()) if field == "note" else replace(old, evidence=text.strip())
            self._change_answer(item, new, f"{item}: {field}", merge_key=field)

    def _change_answer(self, item: str, new: Answer | None, text: str, merge_key: str = "") -> None:
        old = self.state.answers.get(item)
        if old != new and self._may_change() and self._write_answer(item, new):
            key = f"{item}:{merge_key}" if merge_key else ""
            self.undo_stack.push(_ChangeCommand(text, partial(self._write_answer, item), old, new, key))

    def _write_answer(self, item: str, new: Answer | None) -> bool:
        return self._record(lambda: review_service.set_answer(self.audit, self._started(), item, new, actor=self.me.display))

    def _record(self, change: Callable[[], None]) -> bool:
        """Make one change through the services, then show the review as it now is."""
        try:
            change()
        except UserFacingError as error:
            self.failed.emit(str(error))
            self.reload()
            return False
        self.reload()
        self.saved.emit(f"Saved at {dt.datetime.now():%H:%M:%S}")
        return True

    # -- profile

    def set_profile(self, field: str, value: Any) -> None:
        old = self.state.profile.get(field)
        if old == value or not self._may_change():
            return
        if self._write_profile(field, value):
            label = self.checklist.fields[field].label
            self.undo_stack.push(_ChangeCommand(f"Profile: {label}", partial(self._write_profile, field), old, value))

    def set_profile_text(self, field: str, text: str) -> bool:
        """A profile value typed as text (a date, a number…): recorded when it parses, else refused."""
        self._pending.pop((PROFILE + field, "value"), None)
        if self._refused_as_read_only():
            return False
        try:
            value = profile_values.parse_value(self.checklist.fields[field], text)
        except ValueError as error:
            self.refused.emit(field, f"{str(error)[:1].upper()}{str(error)[1:]}.")
            return False
        if value == self.state.profile.get(field):
            review_service.discard_draft(self.audit, self.review_id, PROFILE + field)
            self.reload()
            return True
        self.set_profile(field, value)
        return True

    def _write_profile(self, field: str, value: Any) -> bool:
        return self._record(lambda: review_service.set_profile_value(self.audit, self._started(), field, value,
                                                                     actor=self.me.display))

    # -- the review as a whole

    def _refused_as_read_only(self) -> bool:
        """Whether a change must be refused because the audit is read-only or closed (saying why, for read-only)."""
        if self.closed:
            return True
        if self.file_read_only:
            self.failed.emit(f"Nothing changed: {self.read_only_reason}.")
            self.changed.emit()  # the page shows the recorded values again
            return True
        return False

    def _may_change(self) -> bool:
        """Whether a change may be made now: never in a read-only (or closed) audit; a complete review
        is reopened first, once the reviewer confirms (it goes back to in progress, logged); declining
        changes nothing."""
        if self._refused_as_read_only():
            return False
        review = self.state.review
        if review.status != "complete" or self.reopen_granted or not self.editable:
            return True
        if not self.confirm_reopen():
            self.failed.emit("Nothing changed: the review stays complete.")
            self.changed.emit()  # the page shows the recorded values again
            return False
        self.completed_answers = dict(self.state.answers)
        return self._record(lambda: review_service.set_review_status(self.audit, self.review_id, "in_progress",
                                                                     actor=self.me.display, reason="reopened to change it"))

    def reload(self) -> None:
        if not self.review_id:  # not started: nothing recorded to reload
            self.changed.emit()
            return
        self.state = review_service.review_state(self.audit, self.review_id, self.me)
        self.result = review_service.review_result(self.audit, self.review_id)
        self.changed.emit()

    def complete(self) -> bool:
        if self._refused_as_read_only():
            return False
        self.flush()
        try:
            review_service.set_review_status(self.audit, self.review_id, "complete", actor=self.me.display)
        except UserFacingError as error:
            self.failed.emit(str(error))
            return False
        self.undo_stack.clear()  # undoing past "complete" would silently reopen it
        self.reload()
        self.completed_answers = dict(self.state.answers)
        self.saved.emit(f"Completed at {dt.datetime.now():%H:%M:%S}")
        return True

    def close(self) -> None:
        """Record typed text still pending (while the audit is open), stop the typing timer and record
        nothing more: called when the review is let go of, and before its audit closes."""
        if not self.closed:
            self.flush()
        self._timer.stop()
        self._pending.clear()
        self._closed = True
