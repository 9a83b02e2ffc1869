"""The audit workspace: every sampled file with its state, the grades of its reviews,
and the history of a file from the audit trail.

``overview`` is one pair of queries (fast enough to show 2,000 files at once); ``grade_sample``
scores every review and is meant to run off the GUI thread, on its own connection.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit_app.core.sampling import stratum_label
from audit_app.core.scoring import ReviewResult
from audit_app.errors import AuditError, UserFacingError
from audit_app.services import moderation
from audit_app.services.audits import Audit
from audit_app.services.reviews import score_stored
from audit_app.store import events
from audit_app.store import reviews as store
from audit_app.store import sampling as sampling_store
from audit_app.store.meta import peek_audit

NOT_STARTED = "not_started"
REPLACED = "replaced"
STATUS_LABELS = {
    NOT_STARTED: "Not started",
    "in_progress": "In progress",
    "complete": "Complete",
    "signed_off": "Signed off",
    REPLACED: "Replaced",
}
DONE = moderation.DONE  # finished reviews: complete or signed off


@dataclass(frozen=True)
class FileSummary:
    """One sampled file as the workspace lists it."""

    ref: str
    stratum: str
    offence: str
    offence_group: str
    area: str
    month: str
    outcome: str
    status: str  # a key of STATUS_LABELS (the primary review's, or not started / replaced)
    reviewer: str
    primary_id: int | None
    second_id: int | None
    second_status: str  # "" when there is no second review
    second_reviewer: str
    training: bool
    changed_after_sign_off: bool
    replaced_reason: str | None
    replaces: str | None = None

    @property
    def status_label(self) -> str:
        label = STATUS_LABELS[self.status]
        if self.changed_after_sign_off:
            label += " (changed after sign-off)" if self.status != "signed_off" else " (re-signed after a change)"
        return label


def overview(audit: Audit) -> list[FileSummary]:
    """Every selected and replaced file of the sample, by stratum and rank."""
    replacing = {u.ref: u.replaces for u in sampling_store.sampled_units(audit.db, "selected") if u.replaces}
    out = []
    for row in store.sample_file_rows(audit.db):
        primary, second = row.primary, row.second
        if row.sample_status == REPLACED:
            status = REPLACED
        else:
            status = primary.status if primary else NOT_STARTED
        out.append(FileSummary(
            ref=row.ref, stratum=row.stratum, offence=row.offence, offence_group=row.offence_group, area=row.area,
            month=row.month, outcome=row.outcome, status=status,
            reviewer=primary.reviewer.display if primary else "",
            primary_id=primary.id if primary else None, second_id=second.id if second else None,
            second_status=second.status if second else "", second_reviewer=second.reviewer.display if second else "",
            training=bool(primary and primary.training), changed_after_sign_off=bool(primary and primary.changed_after_sign_off),
            replaced_reason=row.replaced_reason,
            replaces=replacing.get(row.ref),
        ))
    return out


def progress(files: list[FileSummary]) -> tuple[int, int]:
    """(files whose primary review is complete or signed off, files to review)."""
    active = [f for f in files if f.status != REPLACED]
    return sum(1 for f in active if f.status in DONE), len(active)


@dataclass(frozen=True)
class AuditPeek:
    """What the start page shows of an audit file without opening it for work."""

    path: str
    title: str = ""
    done: int = 0
    files: int = 0
    problem: str = ""  # why it cannot be read ("" when it can)


def peek(path: str) -> AuditPeek:
    """Title and progress of an audit file, read-only (never migrates or changes it)."""
    try:
        title, done, files = peek_audit(path)
    except UserFacingError as error:
        return AuditPeek(path, problem=str(error))
    return AuditPeek(path, title, done, files)


# -- grades


@dataclass(frozen=True)
class FileGrades:
    """What the scoring engine says about one file's reviews (and its moderation)."""

    ref: str
    primary: ReviewResult | None
    second: ReviewResult | None
    moderation_state: str
    final: ReviewResult | None  # the agreed result once moderated, else the primary review's

    @property
    def final_is_agreed(self) -> bool:
        return self.moderation_state == moderation.AGREED


def grade_sample(audit: Audit) -> dict[str, FileGrades]:
    """Score every review of the sample (a few thousand reviews take seconds: run it off the GUI thread)."""
    db = audit.db
    rows = [r for r in store.sample_file_rows(db) if r.primary or r.second]
    ids = [r.id for row in rows for r in (row.primary, row.second) if r]
    profiles = store.profiles_of_reviews(db, ids)
    answers = store.answers_of_reviews(db, ids)
    agreed = store.all_agreed(db)
    out = {}
    for row in rows:
        primary = score_stored(audit, profiles.get(row.primary.id, {}), answers[row.primary.id]) if row.primary else None
        second = score_stored(audit, profiles.get(row.second.id, {}), answers[row.second.id]) if row.second else None
        state, final = moderation.NO_SECOND, primary
        if row.primary and row.second:
            open_count = None
            if row.primary.status in DONE and row.second.status in DONE:
                decided = agreed.get(row.unit_id, {})
                differing = moderation.differing_targets(profiles, answers, row.primary.id, row.second.id)
                open_count = len(differing - set(decided))
                if not open_count:
                    laid = {t: decided[t] for t in differing}
                    profile, merged = moderation.agreed_inputs(audit, row.primary.id, laid, profiles.get(row.primary.id, {}),
                                                               answers[row.primary.id])
                    final = score_stored(audit, profile, merged)
            state = moderation.moderation_state(row.primary, row.second, open_count)
        out[row.ref] = FileGrades(row.ref, primary, second, state, final)
    return out


def trail_head(audit: Audit) -> tuple[int, str]:
    """(entries, hash of the last entry) of the audit trail: written down elsewhere, the head anchors
    the trail (``audit-app verify AUDIT --head HASH``)."""
    return events.head(audit.db)


# -- files the user exports


def write_csv(path: str | Path, rows: list[list[str]]) -> None:
    """Write rows to a CSV file (UTF-8 with a byte-order mark, which Excel reads correctly)."""
    try:
        with open(path, "w", newline="", encoding="utf-8-sig") as handle:
            csv.writer(handle).writerows(rows)
    except OSError as exc:
        raise AuditError(f"Cannot write {path}: {exc.strerror or exc}.") from None


# -- the history of one file


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    at: str  # ISO 8601, UTC: the GUI shows it in the computer's time zone and locale
    actor: str
    role: str  # "primary", "second", or "" for the file itself
    what: str
    reason: str
    account: str = ""  # the computer account and host that made the change ("" before schema m003)


def file_history(audit: Audit, ref: str) -> list[HistoryEntry]:
    """Every change to a file, its reviews and its moderation, oldest first, in words."""
    return file_histories(audit, [ref])[ref]


def file_histories(audit: Audit, refs: list[str], actions: frozenset[str] | None = None) -> dict[str, list[HistoryEntry]]:
    """:func:`file_history` of many files in one pass over the audit trail.

    :param actions: only these kinds of event (e.g. ``{"review.status", "moderation.agree"}``); all when ``None``.
    :raises AuditError: when a file is not in the sample.
    """
    review_of: dict[str, tuple[str, str]] = {}  # review id -> (ref, role)
    for ref in refs:
        unit = sampling_store.sampled_unit(audit.db, ref)
        if unit is None:
            raise AuditError(f"File '{ref}' is not in the sample.")
        review_of.update({str(r.id): (ref, r.role) for r in store.reviews_of_unit(audit.db, unit.unit_id).values()})
    out: dict[str, list[HistoryEntry]] = {ref: [] for ref in refs}
    for event in events.iterate(audit.db):
        if actions is not None and event.action not in actions:
            continue
        if event.entity == "review" and event.entity_id in review_of:
            ref, role = review_of[event.entity_id]
            owners = [ref]
        elif event.entity == "sample_unit":
            role = ""
            owners = [r for r in {event.entity_id, event.detail.get("replacement")} if r in out]
        else:
            continue
        account = f"{event.os_account} on {event.host}" if event.os_account and event.host else (event.os_account or "")
        for owner in owners:
            out[owner].append(HistoryEntry(event.seq, event.at, event.actor, role, describe(audit, event), event.reason,
                                           account))
    return out


def describe(audit: Audit, event: events.Event) -> str:
    """An audit-trail entry in words."""
    detail = event.detail
    action = event.action
    if action == "answer.set":
        item = detail["item"]
        return f"{item}: {_answer_text(audit, item, detail['old'])} → {_answer_text(audit, item, detail['new'])}"
    if action == "profile.set":
        field = audit.checklist.fields.get(detail["field"])
        label = field.label if field else detail["field"]
        source = " (from the population)" if detail.get("source") == "population" else ""
        return f"Profile, {label}: {_value_text(detail['old'], field)} → {_value_text(detail['new'], field)}{source}"
    if action == "review.start":
        training = " (training example)" if detail.get("training") else ""
        return f"{detail['role'].capitalize()} review started by {detail['reviewer']}{training}"
    if action == "review.status":
        text = f"Status: {STATUS_LABELS.get(detail['old'], detail['old'])} → {STATUS_LABELS.get(detail['new'], detail['new'])}"
        if detail.get("changed_after_sign_off"):
            text += " (changed after sign-off: the sign-off is void until signed again)"
        return text
    if action == "sample.replace":
        return f"'{detail['ref']}' replaced by reserve '{detail['replacement']}' (stratum {stratum_label(detail['stratum'])})"
    if action == "moderation.agree":
        target = detail["target"]
        field = audit.checklist.fields.get(target[len(moderation.PROFILE_PREFIX):])

        def shown(value: Any) -> str:
            return _answer_text(audit, target, value) if isinstance(value, dict) else _value_text(value, field)

        return f"Agreed {target}: {shown(detail['new'])} (primary {shown(detail['primary'])}, second {shown(detail['second'])})"
    return action


def answer_in_words(audit: Audit, item: str, answer: dict[str, Any] | None) -> str:
    """A stored answer (its JSON form) in words: its label (code), flags, note and evidence."""
    return _answer_text(audit, item, answer)


def value_in_words(value: Any, field: Any = None) -> str:
    """A profile value (stored or Python form) in words (see :func:`_value_text`)."""
    return _value_text(value, field)


def _answer_text(audit: Audit, item: str, answer: dict[str, Any] | None) -> str:
    """A stored answer in words: its label (code), flags, note and evidence."""
    if not answer:
        return "—"
    known = audit.checklist.answer(item, answer["code"]) if item in audit.checklist.items else None
    text = f"{known.label} ({answer['code']})" if known is not None else answer["code"]
    flags = [name for name, on in (("MMO", answer.get("mmo")), ("notable practice", answer.get("notable"))) if on]
    if answer.get("opportunity_known") is not None:
        flags.append("opportunity known" if answer["opportunity_known"] else "opportunity not known")
    if flags:
        text += f" [{', '.join(flags)}]"
    if answer.get("note"):
        text += f" — “{answer['note']}”"
    if answer.get("evidence"):
        text += f" (evidence: {answer['evidence']})"
    return text


def _value_text(value: Any, field: Any = None) -> str:
    """A stored profile value in words: a choice by its label, yes/no as Yes/No, dates as
    "12 January 2025", times as "12 January 2025, 14:05"."""
    if value is None:
        return "—"
    kind = getattr(field, "type", "")
    if kind == "choice":
        return next((choice.label for choice in field.values if choice.value == value), str(value))
    if kind == "yesno" and isinstance(value, (bool, str)):
        return {True: "Yes", False: "No", "yes": "Yes", "no": "No", "unknown": "Unknown"}.get(value, str(value))
    if kind in ("date", "datetime") and isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        day = f"{moment.day} {moment:%B %Y}"
        return f"{day}, {moment:%H:%M}" if kind == "datetime" else day
    return str(value)


