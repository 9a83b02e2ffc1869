"""Review services: reviewers, reviews of sampled files, profile values, answers, and their scores.

Each change is one transaction with its event (old → new), so the audit trail replays to exactly
the current answers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit_app.core import profile as profile_values
from audit_app.core.scoring import Answer, ReviewResult, answer_problems, score_review
from audit_app.services.audits import Audit, AuditError, default_actor
from audit_app.store import events
from audit_app.store import reviews as store
from audit_app.store import sampling as sampling_store

ROLES = ("primary", "second")
STATUSES = ("in_progress", "complete", "signed_off")
RESPONSE_COLUMNS = ("file_ref", "item_id", "answer", "note", "reviewer", "role")
OPTIONAL_COLUMNS = ("evidence", "opportunity_known", "mmo", "notable_practice", "staff_number")
_FLAG = {"": None, "yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False, "0": False}


@dataclass(frozen=True)
class AnswerInput:
    """An answer as the GUI or an import gives it."""

    code: str
    note: str = ""
    evidence: str = ""
    opportunity_known: bool | None = None
    mmo: bool = False
    notable: bool = False


def ensure_reviewer(audit: Audit, name: str, staff_number: str = "", role: str = "reviewer", actor: str | None = None) -> store.Reviewer:
    """The reviewer with this name and staff number, added (and logged) the first time."""
    name, staff_number = name.strip(), staff_number.strip()
    if not name:
        raise AuditError("A reviewer needs a name.")
    if role not in ("lead", "reviewer"):
        raise AuditError(f"Unknown reviewer role '{role}' (lead or reviewer).")
    with audit.database.transaction() as db:
        found = store.find_reviewer(db, name, staff_number)
        if found is not None:
            return found
        reviewer = store.insert_reviewer(db, name, staff_number, role, events.now())
        events.append(db, actor or name, "reviewer.add", "reviewer", reviewer.id,
                      {"name": name, "staff_number": staff_number, "role": role})
    return reviewer


def start_review(audit: Audit, ref: str, reviewer: store.Reviewer, role: str = "primary") -> store.Review:
    """Open (or return the existing) review of a sampled file by a reviewer in a role."""
    if role not in ROLES:
        raise AuditError(f"Unknown review role '{role}' (primary or second).")
    with audit.database.transaction() as db:
        existing = store.find_review(db, ref, role)
        if existing is not None:
            if existing.reviewer.id != reviewer.id:
                raise AuditError(f"The {role} review of '{ref}' belongs to {existing.reviewer.name}.")
            return existing
        unit = sampling_store.sampled_unit(db, ref)
        if unit is None or unit.status != "selected":
            raise AuditError(f"File '{ref}' is not in the sample.")
        if role == "second":
            primary = store.find_review(db, ref, "primary")
            if primary is not None and primary.reviewer.id == reviewer.id:
                raise AuditError(f"{reviewer.name} did the primary review of '{ref}'; a second review must be independent.")
        at = events.now()
        review_id = store.insert_review(db, unit.unit_id, reviewer.id, role, at)
        events.append(db, reviewer.name, "review.start", "review", review_id,
                      {"ref": ref, "role": role, "reviewer": reviewer.name, "status": "in_progress"})
        review = store.review_by_id(db, review_id)
    assert review is not None
    return review


def _editable(db: Any, review_id: int) -> store.Review:
    review = store.review_by_id(db, review_id)
    if review is None:
        raise AuditError(f"No review {review_id} in this audit.")
    if review.status == "signed_off":
        raise AuditError(f"The review of '{review.ref}' is signed off and locked.")
    return review


def set_profile_value(audit: Audit, review_id: int, field_id: str, value: Any, actor: str | None = None) -> None:
    """Record (or clear, with ``None``) one profile value; checked against the checklist."""
    profile_field = audit.checklist.fields.get(field_id)
    if profile_field is None:
        raise AuditError(f"Unknown profile field '{field_id}'.")
    try:
        value = profile_values.check_value(profile_field, value)
    except ValueError as exc:
        raise AuditError(f"{exc}.") from None
    new = profile_values.to_json(profile_field, value)
    with audit.database.transaction() as db:
        review = _editable(db, review_id)
        old = store.profile_values(db, review_id).get(field_id)
        if old == new:
            return
        store.set_profile_value(db, review_id, field_id, new)
        store.touch_review(db, review_id, events.now())
        events.append(db, actor or review.reviewer.name, "profile.set", "review", review_id,
                      {"field": field_id, "old": old, "new": new})


def set_answer(audit: Audit, review_id: int, item_id: str, given: AnswerInput | None, actor: str | None = None) -> None:
    """Record (or clear, with ``None``) the answer to one item; checked against its scale."""
    new = None
    if given is not None:
        problems = answer_problems(audit.checklist, item_id, _scoring_answer(given))
        if problems:
            raise AuditError("; ".join(problems) + ".")
        new = store.StoredAnswer(item_id, given.code, given.note.strip(), given.evidence.strip(),
                                 given.opportunity_known, given.mmo, given.notable)
    elif item_id not in audit.checklist.items:
        raise AuditError(f"Unknown item '{item_id}'.")
    with audit.database.transaction() as db:
        review = _editable(db, review_id)
        old = store.answer(db, review_id, item_id)
        if old == new:
            return
        store.set_answer(db, review_id, new, item_id)
        store.touch_review(db, review_id, events.now())
        events.append(db, actor or review.reviewer.name, "answer.set", "review", review_id, {
            "item": item_id, "old": old.as_dict() if old else None, "new": new.as_dict() if new else None,
        })


def _scoring_answer(stored: AnswerInput | store.StoredAnswer) -> Answer:
    return Answer(code=stored.code, note=stored.note, opportunity_known=stored.opportunity_known,
                  mmo=stored.mmo, notable_practice=stored.notable)


def review_result(audit: Audit, review_id: int) -> ReviewResult:
    """The scoring engine's view of a review: score, grade, critical failures, what is missing."""
    db = audit.db
    stored_profile = store.profile_values(db, review_id)
    values = {k: profile_values.from_json(audit.checklist.fields[k], v) for k, v in stored_profile.items()
              if k in audit.checklist.fields}
    answers = {item: _scoring_answer(a) for item, a in store.answers(db, review_id).items()}
    return score_review(audit.checklist, values, answers)


def set_review_status(audit: Audit, review_id: int, status: str, actor: str | None = None, reason: str = "") -> None:
    """Mark a review complete (only when nothing is missing) or back in progress."""
    if status not in ("in_progress", "complete"):
        raise AuditError(f"A review can be set to in_progress or complete here, not '{status}'.")
    if status == "complete":
        missing = review_result(audit, review_id).missing
        if missing:
            raise AuditError(f"The review is not complete: {missing[0].message} ({len(missing)} thing(s) missing).")
    with audit.database.transaction() as db:
        review = _editable(db, review_id)
        if review.status == status:
            return
        store.set_review_status(db, review_id, status, events.now())
        events.append(db, actor or review.reviewer.name, "review.status", "review", review_id,
                      {"old": review.status, "new": status}, reason=reason)


# -- responses captured elsewhere -------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int
    message: str


@dataclass
class ResponsesResult:
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"rows": self.rows, "errors": [{"row": e.row, "message": e.message} for e in self.errors],
                "reviews": self.reviews}


@dataclass(frozen=True)
class _Response:
    row: int
    ref: str
    target: str
    value: Any
    reviewer: str
    staff_number: str
    role: str


def import_responses(audit: Audit, path: str | Path, actor: str | None = None) -> ResponsesResult:
    """Record answers captured on paper or in a spreadsheet: all rows, or none.

    Every invalid row is reported with its row number (header = row 1). A review left with
    missing answers or notes is reported as incomplete, not as an error.
    """
    result = ResponsesResult()
    responses = list(_read_responses(audit, Path(path), result))
    if result.errors:
        return result
    touched: dict[tuple[str, str], int] = {}
    try:
        _record_responses(audit, responses, touched, result, actor)
    except _Rollback:
        return result
    for (ref, role), review_id in touched.items():
        scored = review_result(audit, review_id)
        result.reviews.append({
            "file_ref": ref, "role": role, "complete": scored.complete, "score": scored.score,
            "grade": scored.grade, "missing": [m.message for m in scored.missing],
        })
    return result


def _record_responses(audit: Audit, responses: list["_Response"], touched: dict[tuple[str, str], int],
                      result: ResponsesResult, actor: str | None) -> None:
    with audit.database.transaction():
        for response in responses:
            reviewer = ensure_reviewer(audit, response.reviewer, response.staff_number, actor=actor)
            key = (response.ref, response.role)
            if key not in touched:
                try:
                    touched[key] = start_review(audit, response.ref, reviewer, response.role).id
                except AuditError as exc:
                    result.errors.append(RowError(response.row, str(exc)))
                    continue
            review_id = touched[key]
            try:
                if response.target.startswith("profile."):
                    set_profile_value(audit, review_id, response.target[8:], response.value, actor=actor or response.reviewer)
                else:
                    set_answer(audit, review_id, response.target, response.value, actor=actor or response.reviewer)
            except AuditError as exc:
                result.errors.append(RowError(response.row, str(exc)))
        if result.errors:
            raise _Rollback()


class _Rollback(Exception):
    """Raised inside the import transaction to undo it when any row failed."""


def _read_responses(audit: Audit, path: Path, result: ResponsesResult) -> Iterator[_Response]:
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise AuditError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    with handle:
        reader = csv.reader(handle)
        header = [h.strip().lower() for h in next(reader, [])]
        missing = [c for c in RESPONSE_COLUMNS if c not in header]
        if missing:
            raise AuditError(f"{path.name} lacks the column(s) {', '.join(missing)} (needed: {','.join(RESPONSE_COLUMNS)}).")
        column = {name: header.index(name) for name in RESPONSE_COLUMNS + OPTIONAL_COLUMNS if name in header}
        selected = {u.ref for u in sampling_store.sampled_units(audit.db, "selected")}
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            result.rows += 1
            get = lambda name: cells[column[name]].strip() if name in column and column[name] < len(cells) else ""  # noqa: E731
            response = _parse_response(audit, number, get, selected, result)
            if response is not None:
                yield response


def _parse_response(audit: Audit, number: int, get: Any, selected: set[str], result: ResponsesResult) -> _Response | None:
    ref, target, text, role, reviewer = get("file_ref"), get("item_id"), get("answer"), get("role").lower(), get("reviewer")
    problems = []
    if ref not in selected:
        problems.append(f"file '{ref}' is not in the sample")
    if role not in ROLES:
        problems.append(f"role '{role}' is not primary or second")
    if not reviewer:
        problems.append("reviewer is empty")
    value: Any = None
    if target.startswith("profile."):
        profile_field = audit.checklist.fields.get(target[8:])
        if profile_field is None:
            problems.append(f"unknown profile field '{target[8:]}'")
        else:
            try:
                value = profile_values.parse_value(profile_field, text)
            except ValueError as exc:
                problems.append(str(exc))
    elif target not in audit.checklist.items:
        problems.append(f"unknown item '{target}'")
    else:
        flags = {name: _FLAG.get(get(name).lower(), "bad") for name in ("opportunity_known", "mmo", "notable_practice")}
        bad = [name for name, flag in flags.items() if flag == "bad"]
        problems += [f"{name} must be yes or no" for name in bad]
        value = AnswerInput(text.upper(), get("note"), get("evidence"), flags["opportunity_known"] if not bad else None,
                            bool(flags["mmo"]) if not bad else False, bool(flags["notable_practice"]) if not bad else False)
        problems += answer_problems(audit.checklist, target, _scoring_answer(value))
    if problems:
        result.errors.append(RowError(number, "; ".join(problems)))
        return None
    return _Response(number, ref, target, value, reviewer, get("staff_number"), role)
