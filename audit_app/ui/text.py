"""Text on screen: rich-text escaping, headings that scale with the system font, answers in words."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QWidget

from audit_app.core.checklist import Checklist
from audit_app.core.records import Answer
from audit_app.core.scoring import ReviewResult


def escape(text: str) -> str:
    """Escape text for a rich-text label: &, < and > only (Qt's rich text does not know &#x27;)."""
    return html.escape(text, quote=False)


def heading(parent: QWidget, scale: float = 1.3, text: str = "") -> QLabel:
    """A bold label, ``scale`` times the system font (so it follows the user's text size)."""
    label = QLabel(text, parent)
    font = QFont(label.font())
    font.setPointSizeF(font.pointSizeF() * scale)
    font.setBold(True)
    label.setFont(font)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def answer_words(checklist: Checklist, item_id: str, answer: Answer) -> str:
    """An answer's label in bold, then its flags, as rich text: "<b>Not met</b> · opportunity known"."""
    label = checklist.answer(item_id, answer.code)
    parts = [f"<b>{escape(label.label if label else answer.code)}</b>"]
    if answer.opportunity_known is not None:
        parts.append("opportunity known" if answer.opportunity_known else "opportunity not known")
    if answer.mmo:
        parts.append("material missed opportunity")
    if answer.notable:
        parts.append("notable practice")
    return " · ".join(parts)


def answer_changes(checklist: Checklist, before: Mapping[str, Answer] | None, after: Mapping[str, Answer]) -> list[str]:
    """What changed between two sets of answers, one line per item in checklist order:
    "A1: Met → Partly met", "B2: note changed". Empty when ``before`` is None (nothing to compare)."""
    if before is None:
        return []
    lines = []
    for item_id in checklist.items:
        old, new = before.get(item_id), after.get(item_id)
        if old == new:
            continue
        if old is None or new is None or old.code != new.code:
            words = lambda a: "not answered" if a is None else _plain_answer(checklist, item_id, a)  # noqa: E731
            lines.append(f"{item_id}: {words(old)} → {words(new)}")
        else:
            what = [name for name, a, b in (("note", old.note, new.note), ("evidence reference", old.evidence, new.evidence))
                    if a != b]
            flags = (old.mmo, old.notable, old.opportunity_known) != (new.mmo, new.notable, new.opportunity_known)
            lines.append(f"{item_id}: {' and '.join(what + (['flags'] if flags else []))} changed")
    return lines


def review_summary(checklist: Checklist, result: ReviewResult, changes: Sequence[str] | None = None) -> str:
    """A review's result in a few plain lines, for confirming Complete review or sign-off: the score,
    the grade, the caps applied, the critical failures, whether it goes to moderation, and (when
    ``changes`` is given) what changed since it was last complete or signed off."""
    score = "—" if result.score is None else f"{result.score:g}"
    lines = [f"Score: {score}", f"Grade: {result.grade_label or '—'}"]
    if result.base_grade and result.grade != result.base_grade:
        base = next((b.label for b in checklist.spec.grading.bands if b.id == result.base_grade), result.base_grade)
        lines.append(f"Before caps: {base}")
    lines.append("Caps applied: " + ("".join(f"\n  {cap}" for cap in result.caps_applied) if result.caps_applied else "none"))
    if result.ungradable_reasons:
        lines.append("Ungradable: " + "; ".join(result.ungradable_reasons))
    if result.critical_failures:
        lines.append("Critical failures: " + ", ".join(result.critical_failures))
    if result.mmo:
        lines.append("Material missed opportunities: " + ", ".join(result.mmo))
    if result.needs_moderation:
        lines.append("Goes to a second reviewer before the grade is final.")
    if changes is not None:
        shown = list(changes[:12]) + ([f"… and {len(changes) - 12} more"] if len(changes) > 12 else [])
        lines.append("Changed since it was last complete: " + ("nothing" if not changes else "\n  " + "\n  ".join(shown)))
    return "\n".join(lines)


def _plain_answer(checklist: Checklist, item_id: str, answer: Answer) -> str:
    label = checklist.answer(item_id, answer.code)
    return label.label if label else answer.code
