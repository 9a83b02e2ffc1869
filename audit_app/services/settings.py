"""The audit's settings: the protective marking of its reports and exports, and whether reports
may show file references. Only a lead auditor changes them; each change is an ``audit.setting``
event, and ``verify`` checks that the stored settings are what the trail says.
"""

from __future__ import annotations

import unicodedata
from dataclasses import fields, replace
from typing import Any

from audit_app.core.records import AuditSettings, Reviewer
from audit_app.errors import AuditError
from audit_app.services.audits import Audit
from audit_app.store import events
from audit_app.store import meta
from audit_app.store import reviews as review_store

ACTION = "audit.setting"
MARKING_MAX = 60  # characters: it must fit a page header beside the title
# What auditors choose most often (Government Security Classifications); any other short text is allowed.
COMMON_MARKINGS = ("", "OFFICIAL", "OFFICIAL-SENSITIVE")
LABELS = {"marking": "protective marking", "show_references": "file references in reports"}


def audit_settings(audit: Audit) -> AuditSettings:
    """The settings in force (defaults for those never set)."""
    return settings_from(meta.settings(audit.db))


def settings_from(stored: dict[str, Any]) -> AuditSettings:
    known = {f.name for f in fields(AuditSettings)}
    return replace(AuditSettings(), **{key: value for key, value in stored.items() if key in known})


def check_marking(text: str) -> str:
    """The marking as it will be printed (trimmed), or :class:`AuditError` saying why it cannot be."""
    if any(unicodedata.category(c).startswith("C") for c in text):  # line breaks, tabs, control characters
        raise AuditError("The protective marking must be plain text on one line.")
    marking = " ".join(text.split())
    if len(marking) > MARKING_MAX:
        raise AuditError(f"The protective marking is {len(marking)} characters long; at most {MARKING_MAX} fit a page header.")
    return marking


def change_settings(audit: Audit, by: Reviewer, *, marking: str | None = None, show_references: bool | None = None,
                    reason: str = "") -> AuditSettings:
    """Change some settings (``None`` leaves one as it is), each change logged with who made it.

    :raises AuditError: when ``by`` is not a lead auditor of this audit, or the marking cannot be used.
    """
    wanted: dict[str, Any] = {}
    if marking is not None:
        wanted["marking"] = check_marking(marking)
    if show_references is not None:
        wanted["show_references"] = bool(show_references)
    with audit.transaction() as db:
        person = review_store.reviewer_by_id(db, by.id)
        if person is None or person.role != "lead":
            raise AuditError(f"Only a lead auditor of this audit can change its settings; {by.display} is not one.")
        current = settings_from(meta.settings(db))
        for key, value in wanted.items():
            old = getattr(current, key)
            if old == value:
                continue
            meta.set_setting(db, key, value)
            events.append(db, person.display, ACTION, "audit", 1, {"key": key, "old": old, "new": value, "by": person.id},
                          reason=reason)
        return settings_from(meta.settings(db))


def replay(audit_events: Any) -> dict[str, Any]:
    """The settings the trail's ``audit.setting`` events give, in order."""
    out: dict[str, Any] = {}
    for event in audit_events:
        if event.action == ACTION:
            out[event.detail.get("key")] = event.detail.get("new")
    return out
