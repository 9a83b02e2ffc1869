"""Text on screen: rich-text escaping, headings that scale with the system font, answers in words."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QWidget

from audit_app.core.checklist import Checklist
from audit_app.core.records import Answer


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
