"""Review services: reviewers, reviews of sampled files, profile values, answers, and their scores.

Each change is one transaction with its event (old → new), so the audit trail replays to exactly
the current answers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from audit_app.core.population.files import decode_text_file
from audit_app.core import profile as profile_values
from audit_app.core import workstation
from audit_app.core.records import REVIEW_ROLES, ROLES, Answer, Review, Reviewer
from audit_app.core.scoring import ReviewResult, answer_problems, score_review
from audit_app.errors import AuditError
from audit_app.services.audits import Audit
from audit_app.store import events
from audit_app.store import population as population_store
from audit_app.store import reviews as store
from audit_app.store import sampling as sampling_store

RESPONSE_COLUMNS = ("file_ref", "item_id", "answer", "note", "reviewer", "role")
OPTIONAL_COLUMNS = ("evidence", "opportunity_known", "mmo", "notable_practice", "staff_number")
_FLAG = {"": None, "yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False, "0": False}


def ensure_reviewer(audit: Audit, name: str, staff_number: str = "", role: str = "reviewer", actor: str | None = None,
                    ) -> Reviewer:
    """The reviewer with this name and staff number, added (and logged) the first time.

    Roles belong to the audit, not to what a person says: ``role`` is only a request. A new
    reviewer is a lead auditor only when they are the audit's creator (their name and staff number
    are what the audit records as ``created_by``) and the audit has no lead yet; anyone else is a
    reviewer until a lead names them (:func:`name_lead`). A known reviewer's role is never
    changed here.

    :raises AuditError: without a name, or when the staff number belongs to someone else here.
    """
    return _ensure_reviewer(audit, name, staff_number, role, actor, None)


def work_as(audit: Audit, name: str, staff_number: str = "", role: str = "reviewer") -> Reviewer:
    """The person at this computer, recorded as a reviewer of the audit with the operating-system
    account they work from (:func:`audit_app.core.workstation.current`).

    The first time a reviewer works in the audit, their account is recorded (and logged); later
    the same name and staff number work only from that account, so typing someone else's name and
    staff number does not make anyone that person. An audit created from the command line (its
    creator recorded as "<account> (command line)") has, as its creator, the first person to work
    in it from that account.

    :raises AuditError: when the name and staff number are recorded for another account.
    """
    return _ensure_reviewer(audit, name, staff_number, role, None, workstation.current())


def look_as(audit: Audit, name: str, staff_number: str = "") -> Reviewer:
    """The person at this computer in an audit they can only read (a read-only one), found without
    writing anything: the reviewer recorded with this name and staff number when they work from this
    computer account (or none is recorded for them yet), else a passer-by who is not stored (id 0, a
    reviewer) and sees what anyone may see. Unlike :func:`work_as`, nobody is added and no account
    is claimed."""
    name, staff_number = name.strip(), staff_number.strip()
    found = store.find_reviewer(audit.db, name, staff_number)
    if found is not None:
        user, _host = store.reviewer_account(audit.db, found.id)
        if not user or workstation.current().same_user(user):
            return found
    return Reviewer(0, name, staff_number, "reviewer")


def _ensure_reviewer(audit: Audit, name: str, staff_number: str, role: str, actor: str | None,
                     account: workstation.Account | None) -> Reviewer:
    name, staff_number = name.strip(), staff_number.strip()
    if not name:
        raise AuditError("A reviewer needs a name.")
    if role not in ROLES:
        raise AuditError(f"Unknown reviewer role '{role}' (lead or reviewer).")
    display = f"{name} ({staff_number})" if staff_number else name
    with audit.transaction() as db:
        found = store.find_reviewer(db, name, staff_number)
        if found is not None:
            if account is not None:
                _claim(db, found, account)
            return found
        if not staff_number:
            key = " ".join(name.casefold().split())
            namesakes = [r for r in store.reviewers(db) if r.staff_number and " ".join(r.name.casefold().split()) == key]
            if namesakes:
                numbers = ", ".join(r.staff_number for r in namesakes)
                raise AuditError(f"{name} is recorded in this audit with staff number {numbers}: give the staff number "
                                 "too (a name alone would record a second person under the same name).")
        others = [r for r in store.reviewers_with_staff_number(db, staff_number) if staff_number]
        if others:
            raise AuditError(f"Staff number {staff_number} is recorded in this audit for {others[0].name}. "
                             "Enter your own staff number (each person has one).")
        creator = not store.has_lead(db) and (display == audit.record.created_by or (
            account is not None and audit.record.created_by == f"{account.user} (command line)"))
        given = "lead" if creator else "reviewer"
        user, host = (account.user, account.host) if account is not None else ("", "")
        reviewer = store.insert_reviewer(db, name, staff_number, given, events.now(), user, host)
        detail: dict[str, Any] = {"name": name, "staff_number": staff_number, "role": given}
        if creator:
            detail["creator"] = True
        if account is not None:
            detail["os_account"], detail["host"] = user, host
        events.append(db, actor or display, "reviewer.add", "reviewer", reviewer.id, detail)
    return reviewer


def _claim(db: Any, reviewer: Reviewer, account: workstation.Account) -> None:
    """Record the account a known reviewer works from, or refuse another account."""
    user, host = store.reviewer_account(db, reviewer.id)
    if user and not account.same_user(user):
        raise AuditError(f"{reviewer.display} works in this audit from the computer account '{user}'; you are signed "
                         f"in to this computer as '{account.user}'. Enter your own name and staff number, or sign in "
                         "to the computer with your own account.")
    if not user:
        store.set_reviewer_account(db, reviewer.id, account.user, account.host)
        events.append(db, reviewer.display, "reviewer.account", "reviewer", reviewer.id,
                      {"old": None, "new": account.user, "host": account.host})


def account_of(audit: Audit, person: Reviewer) -> tuple[str, str]:
    """(computer account, host) the reviewer works from; ('', '') until they have worked in the audit."""
    return store.reviewer_account(audit.db, person.id)


def name_lead(audit: Audit, reviewer_id: int, by: Reviewer) -> Reviewer:
    """A lead auditor of the audit names another of its reviewers a lead (logged with who named them).

    :raises AuditError: when ``by`` is not a lead of this audit, or the reviewer is unknown or
        already a lead.
    """
    with audit.transaction() as db:
        nominator = store.reviewer_by_id(db, by.id)
        if nominator is None or nominator.role != "lead":
            raise AuditError(f"Only a lead auditor of this audit can name another lead; {by.name} is not one.")
        found = store.reviewer_by_id(db, reviewer_id)
        if found is None:
            raise AuditError(f"No reviewer {reviewer_id} in this audit.")
        if found.role == "lead":
            raise AuditError(f"{found.display} is already a lead auditor of this audit.")
        store.set_reviewer_role(db, found.id, "lead")
        events.append(db, nominator.display, "reviewer.role", "reviewer", found.id,
                      {"name": found.name, "staff_number": found.staff_number, "old": found.role, "new": "lead",
                       "by": nominator.id})
    return replace(found, role="lead")


def reviewers(audit: Audit) -> list[Reviewer]:
    """Everyone recorded as a reviewer in the audit, by name."""
    return store.reviewers(audit.db)


def reviewer(audit: Audit, reviewer_id: int) -> Reviewer:
    found = store.reviewer_by_id(audit.db, reviewer_id)
    if found is None:
        raise AuditError(f"No reviewer {reviewer_id} in this audit.")
    return found


def start_review(audit: Audit, ref: str, reviewer: Reviewer, role: str = "primary", *, training: bool = False,
                 actor: str | None = None) -> Review:
    """Open (or return the existing) review of a sampled file by a reviewer in a role.

    A second review is independent: it cannot be by the primary reviewer, and neither reviewer
    sees the other's answers until both reviews are complete (see :func:`view_problem`).

    :param training: mark the review as a training example (shown as such everywhere).
    :param actor: who starts it, when not the reviewer (a lead auditor assigning a second review).
    """
    if role not in REVIEW_ROLES:
        raise AuditError(f"Unknown review role '{role}' (primary or second).")
    with audit.transaction() as db:
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
        if role == "primary":
            second = store.find_review(db, ref, "second")
            if second is not None and second.reviewer.id == reviewer.id:
                raise AuditError(f"{reviewer.name} does the second review of '{ref}'; the primary review must be by someone else.")
        at = events.now()
        review_id = store.insert_review(db, unit.unit_id, reviewer.id, role, at, training)
        detail: dict[str, Any] = {"ref": ref, "role": role, "reviewer": reviewer.name, "reviewer_id": reviewer.id,
                                  "status": "in_progress"}
        if training:
            detail["training"] = True
        events.append(db, actor or reviewer.display, "review.start", "review", review_id, detail)
        _prefill_from_population(audit, db, review_id, unit.unit_id, actor or reviewer.display)
        review = store.review_by_id(db, review_id)
    assert review is not None
    return review


PREFILL_SOURCE = "population"


def _prefill_from_population(audit: Audit, db: Any, review_id: int, unit_id: int, actor: str) -> None:
    """Record the profile values the sampled unit's population record settles unambiguously.

    Each is an ordinary ``profile.set`` (so the trail replays to it) whose detail says it came from
    the population; the reviewer sees it marked so, and can change it like any other value.
    """
    for field_id, value in _population_prefill(audit, db, unit_id).items():
        new = profile_values.to_json(audit.checklist.fields[field_id], value)
        store.set_profile_value(db, review_id, field_id, new)
        events.append(db, actor, "profile.set", "review", review_id,
                      {"field": field_id, "old": None, "new": new, "source": PREFILL_SOURCE})


def _population_prefill(audit: Audit, db: Any, unit_id: int) -> dict[str, Any]:
    """The profile values (Python values, by field id) the unit's population record settles."""
    return profile_values.prefill(audit.checklist.spec.profile, population_store.unit_values(db, unit_id))


def prefilled_fields(audit: Audit, review: Review) -> set[str]:
    """The profile fields whose current value is the one prefilled from the population (not changed
    since); for a review not started yet, the fields its start will prefill."""
    if not review.id:
        return set(_population_prefill(audit, audit.db, review.unit_id))
    latest: dict[str, bool] = {}
    for event in events.iterate(audit.db, "review", str(review.id)):
        if event.action == "profile.set":
            latest[event.detail["field"]] = event.detail.get("source") == PREFILL_SOURCE
    return {field_id for field_id, prefilled in latest.items() if prefilled}


def _editable(db: Any, review_id: int) -> Review:
    review = store.review_by_id(db, review_id)
    if review is None:
        raise AuditError(f"No review {review_id} in this audit.")
    if review.status == "signed_off":
        raise AuditError(f"The review of '{review.ref}' is signed off and locked: "
                         "change it after sign-off, giving a reason, to edit it.")
    return review


def _after_change(audit: Audit, db: Any, review: Review, actor: str) -> None:
    """A complete review that a change leaves incomplete goes back to in progress (logged)."""
    if review.status != "complete":
        return
    missing = review_result(audit, review.id).missing
    if missing:
        store.set_review_status(db, review.id, "in_progress", events.now())
        events.append(db, actor, "review.status", "review", review.id, {"old": "complete", "new": "in_progress"},
                      reason=f"no longer complete: {missing[0].message}")


_CONTROL_TYPED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # control characters but tab and line ends


def clean_text(text: str) -> str:
    """Typed text as it is stored: without NUL or any other control character (a tab and line breaks
    are kept; a carriage return becomes a line break). A control character is not text: it can cut a
    report or an export short, or confuse another program reading the audit. Every path that stores
    a reviewer's text goes through here (the GUI tells the reviewer when something was removed;
    a responses file holding one is refused row by row instead)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_TYPED.sub("", text)


def set_profile_value(audit: Audit, review_id: int, field_id: str, value: Any, actor: str | None = None) -> None:
    """Record (or clear, with ``None``) one profile value; checked against the checklist."""
    profile_field = audit.checklist.fields.get(field_id)
    if profile_field is None:
        raise AuditError(f"Unknown profile field '{field_id}'.")
    if isinstance(value, str):
        value = clean_text(value)
    try:
        value = profile_values.check_value(profile_field, value)
    except ValueError as exc:
        raise AuditError(f"{exc}.") from None
    new = profile_values.to_json(profile_field, value)
    with audit.transaction() as db:
        review = _editable(db, review_id)
        old = store.profile_values(db, review_id).get(field_id)
        store.delete_drafts(db, review_id, "profile." + field_id)
        if old == new:
            return
        store.set_profile_value(db, review_id, field_id, new)
        store.touch_review(db, review_id, events.now())
        actor = actor or review.reviewer.display
        events.append(db, actor, "profile.set", "review", review_id, {"field": field_id, "old": old, "new": new})
        _after_change(audit, db, review, actor)


def set_answer(audit: Audit, review_id: int, item_id: str, given: Answer | None, actor: str | None = None,
               reason: str = "") -> None:
    """Record (or clear, with ``None``) the answer to one item; checked against its scale.

    The note and evidence reference are kept without surrounding white space. Drafts of the
    item's note and evidence are settled by the answer (deleted).
    """
    new = None
    reason = clean_text(reason)
    if given is not None:
        problems = answer_problems(audit.checklist, item_id, given)
        if problems:
            raise AuditError("; ".join(problems) + ".")
        new = replace(given, note=clean_text(given.note).strip(), evidence=clean_text(given.evidence).strip())
    elif item_id not in audit.checklist.items:
        raise AuditError(f"Unknown item '{item_id}'.")
    with audit.transaction() as db:
        review = _editable(db, review_id)
        old = store.answer(db, review_id, item_id)
        store.delete_drafts(db, review_id, item_id)
        if old == new:
            return
        store.set_answer(db, review_id, item_id, new)
        store.touch_review(db, review_id, events.now())
        actor = actor or review.reviewer.display
        events.append(db, actor, "answer.set", "review", review_id, {
            "item": item_id, "old": old.to_json(item_id) if old else None, "new": new.to_json(item_id) if new else None,
        }, reason=reason)
        _after_change(audit, db, review, actor)


def review_result(audit: Audit, review_id: int) -> ReviewResult:
    """The scoring engine's view of a review: score, grade, critical failures, what is missing."""
    return score_stored(audit, store.profile_values(audit.db, review_id), store.answers(audit.db, review_id))


def score_stored(audit: Audit, stored_profile: Mapping[str, Any], answers: Mapping[str, Answer]) -> ReviewResult:
    """The scoring engine's view of a profile in its stored (JSON) form and answers."""
    return score_review(audit.checklist, profile_values.values_from_json(audit.checklist.fields, stored_profile), answers)


def set_review_status(audit: Audit, review_id: int, status: str, actor: str | None = None, reason: str = "") -> None:
    """Mark a review complete (only when nothing is missing) or back in progress."""
    if status not in ("in_progress", "complete"):
        raise AuditError(f"A review can be set to in_progress or complete here, not '{status}'.")
    if status == "complete":
        missing = review_result(audit, review_id).missing
        if missing:
            raise AuditError(f"The review is not complete: {missing[0].message} ({len(missing)} thing(s) missing).")
    with audit.transaction() as db:
        review = _editable(db, review_id)
        if review.status == status:
            return
        store.set_review_status(db, review_id, status, events.now())
        events.append(db, actor or review.reviewer.display, "review.status", "review", review_id,
                      {"old": review.status, "new": status}, reason=reason)


# -- sign-off, and changes after it


def signer_problem(audit: Audit, review: Review, signer: Reviewer) -> str | None:
    """Why ``signer`` may not sign off ``review`` whatever its state (None when they may).

    Only a lead auditor named in this audit signs off, and never a review that is theirs: the
    same reviewer, the same staff number, the same name, or the same computer account (the one
    the author works from, or the one this computer is signed in to now).
    """
    signer = store.reviewer_by_id(audit.db, signer.id) or signer
    author = review.reviewer
    if signer.role != "lead":
        return f"Only a lead auditor named in this audit can sign off a review; {signer.name} is recorded as a reviewer."
    if signer.id == author.id:
        return f"{signer.name} did this review and cannot sign it off: another lead auditor must."
    if signer.staff_number.strip() and signer.staff_number.strip().casefold() == author.staff_number.strip().casefold():
        return (f"{author.display} did this review and has the same staff number as {signer.display}: "
                "another lead auditor must sign it off.")
    if signer.name.casefold() == author.name.strip().casefold():
        return f"{author.display} did this review and has the same name as the signer: another lead auditor must sign it off."
    author_user, _ = store.reviewer_account(audit.db, author.id)
    signer_user, _ = store.reviewer_account(audit.db, signer.id)
    here = workstation.current()
    if author_user and (here.same_user(author_user) or signer_user.casefold() == author_user.casefold()):
        return (f"{author.display} did this review from the computer account '{author_user}', the account signing "
                "off: another lead auditor must sign it off from their own account.")
    return None


def sign_off(audit: Audit, review_id: int, signer: Reviewer, staff_number: str) -> None:
    """A lead auditor signs off a complete review, which locks it.

    :param staff_number: the signer's staff number, typed again: a deliberate act, not a click.
    :raises AuditError: when the signer may not sign it (see :func:`signer_problem`), the staff
        number typed is not theirs, or the review is not complete.
    """
    with audit.transaction() as db:
        review = store.review_by_id(db, review_id)
        if review is None:
            raise AuditError(f"No review {review_id} in this audit.")
        signer = store.reviewer_by_id(db, signer.id) or signer
        problem = signer_problem(audit, review, signer)
        if problem:
            raise AuditError(problem)
        if not signer.staff_number.strip():
            raise AuditError(f"Signing off needs a staff number, and none is recorded for {signer.name}.")
        if staff_number.strip().casefold() != signer.staff_number.strip().casefold():
            raise AuditError(f"That is not the staff number recorded for {signer.name}: the review was not signed off.")
        if review.status == "signed_off":
            raise AuditError(f"The review of '{review.ref}' is already signed off.")
        if review.status != "complete" or not review_result(audit, review_id).complete:
            raise AuditError(f"The review of '{review.ref}' is not complete, so it cannot be signed off.")
        at = events.now()
        store.set_review_status(db, review_id, "signed_off", at)
        store.set_sign_off(db, review_id, signer.id, at)
        events.append(db, signer.display, "review.status", "review", review_id,
                      {"old": review.status, "new": "signed_off", "signed_off_by": signer.id})


def change_after_sign_off(audit: Audit, review_id: int, reason: str, actor: Reviewer) -> None:
    """Unlock a signed-off review to change it: the reason is recorded, the review is marked
    "changed after sign-off" for good, and the sign-off is void until a lead auditor signs again.
    """
    reason = clean_text(reason)
    if not reason.strip():
        raise AuditError("Give the reason for changing a signed-off review; it is recorded in the audit trail.")
    with audit.transaction() as db:
        review = store.review_by_id(db, review_id)
        if review is None:
            raise AuditError(f"No review {review_id} in this audit.")
        if review.status != "signed_off":
            raise AuditError(f"The review of '{review.ref}' is not signed off; it can be changed as it is.")
        actor = store.reviewer_by_id(db, actor.id) or actor
        if actor.id != review.reviewer.id and actor.role != "lead":
            raise AuditError(f"Only {review.reviewer.name} (who did the review) or a lead auditor can change it after sign-off.")
        store.set_review_status(db, review_id, "complete", events.now())
        store.set_sign_off(db, review_id, None, None)
        store.mark_changed_after_sign_off(db, review_id)
        events.append(db, actor.display, "review.status", "review", review_id,
                      {"old": "signed_off", "new": "complete", "changed_after_sign_off": True}, reason=reason.strip())


# -- who may see a review


def view_problem(audit: Audit, review: Review, viewer: Reviewer | None) -> str | None:
    """Why ``viewer`` may not see ``review`` (None when they may).

    While a file has both a primary and a second review and either is unfinished, each review is
    visible only to its own reviewer: the two judgements stay independent until both are made.
    """
    reviews = store.reviews_of_unit(audit.db, review.unit_id)
    if len(reviews) < 2 or all(r.status in ("complete", "signed_off") for r in reviews.values()):
        return None
    if viewer is not None and viewer.id == review.reviewer.id:
        return None
    return (f"The {review.role} review of '{review.ref}' stays hidden until both the primary and the second review "
            "are complete, so that the two reviews are independent.")


@dataclass(frozen=True)
class ReviewState:
    """Everything a review page shows: the review, its profile values, answers and unsaved drafts."""

    review: Review
    profile: dict[str, Any]
    answers: dict[str, Answer]
    drafts: dict[tuple[str, str], str]


def review_state(audit: Audit, review_id: int, viewer: Reviewer | None = None) -> ReviewState:
    """Load a review for showing (refused while it must stay hidden from ``viewer``)."""
    db = audit.db
    review = store.review_by_id(db, review_id)
    if review is None:
        raise AuditError(f"No review {review_id} in this audit.")
    problem = view_problem(audit, review, viewer)
    if problem:
        raise AuditError(problem)
    profile = profile_values.values_from_json(audit.checklist.fields, store.profile_values(db, review_id))
    return ReviewState(review, profile, store.answers(db, review_id), store.drafts(db, review_id))


NOT_STARTED = "not_started"


def unstarted_state(audit: Audit, ref: str, reviewer: Reviewer, role: str = "primary") -> ReviewState:
    """A review of ``ref`` that ``reviewer`` could start, shown before it exists (its id is 0 and its
    status "not_started"): opening a file does not claim it. The first change starts it
    (:func:`start_review`).

    :raises AuditError: when the file is not in the sample, or that review exists already.
    """
    unit = sampling_store.sampled_unit(audit.db, ref)
    if unit is None or unit.status != "selected":
        raise AuditError(f"File '{ref}' is not in the sample.")
    existing = store.find_review(audit.db, ref, role)
    if existing is not None:
        raise AuditError(f"The {role} review of '{ref}' has been started by {existing.reviewer.name}.")
    review = Review(0, unit.unit_id, ref, reviewer, role, NOT_STARTED, "", "")
    return ReviewState(review, _population_prefill(audit, audit.db, unit.unit_id), {}, {})


def empty_result(audit: Audit, profile: Mapping[str, Any] | None = None) -> ReviewResult:
    """The result of a review with no answers yet and ``profile`` (Python values) as its profile:
    a review not started yet shows what the population settles (see :func:`unstarted_state`)."""
    return score_review(audit.checklist, dict(profile or {}), {})


def discard_draft(audit: Audit, review_id: int, item_id: str) -> None:
    """Forget the drafts of one item (or 'profile.<field>'), e.g. when its text is put back as recorded."""
    with audit.transaction() as db:
        store.delete_drafts(db, review_id, item_id)


def save_draft(audit: Audit, review_id: int, item_id: str, field_name: str, text: str) -> None:
    """Keep text being typed safe before it is recorded: an answer's ``note`` or ``evidence``
    (``item_id`` an item), or a profile ``value`` typed as text (``item_id`` = 'profile.<field>').

    Not an audit-trail event: the text becomes a logged change when it is recorded. Recording the
    answer or the profile value deletes the draft.
    """
    if field_name not in ("note", "evidence", "value"):
        raise AuditError(f"Unknown draft field '{field_name}'.")
    text = clean_text(text)
    with audit.transaction() as db:
        _editable(db, review_id)
        store.save_draft(db, review_id, item_id, field_name, text, events.now())


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
    incomplete: list[dict[str, Any]] = field(default_factory=list)  # with complete=True: what stopped the import

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


def import_responses(audit: Audit, path: str | Path, actor: str | None = None, *, complete: bool = False) -> ResponsesResult:
    """Record answers captured on paper or in a spreadsheet: all rows, or none.

    Every invalid row is reported with its row number (header = row 1). A review left with
    missing answers or notes is reported as incomplete, not as an error — unless ``complete``:
    then every touched review is marked complete in the same transaction, and if any still has
    something missing, nothing at all is recorded and ``result.incomplete`` names each such review
    with what it lacks.
    """
    result = ResponsesResult()
    responses = list(_read_responses(audit, Path(path), result))
    if result.errors:
        return result
    touched: dict[tuple[str, str], int] = {}
    try:
        _record_responses(audit, responses, touched, result, actor, complete)
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
                      result: ResponsesResult, actor: str | None, complete: bool = False) -> None:
    with audit.transaction():
        for response in responses:
            try:
                reviewer = ensure_reviewer(audit, response.reviewer, response.staff_number, actor=actor)
            except AuditError as exc:
                result.errors.append(RowError(response.row, str(exc)))
                continue
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
        if complete:
            _complete_touched(audit, touched, result, actor)


def _complete_touched(audit: Audit, touched: dict[tuple[str, str], int], result: ResponsesResult, actor: str | None) -> None:
    """Mark every touched review complete, or (when any still lacks something) roll the whole import back."""
    for (ref, role), review_id in touched.items():
        missing = review_result(audit, review_id).missing
        if missing:
            result.incomplete.append({"file_ref": ref, "role": role, "missing": [m.message for m in missing]})
    if result.incomplete:
        raise _Rollback()
    for review_id in touched.values():
        set_review_status(audit, review_id, "complete", actor, reason="responses import --complete")


class _Rollback(Exception):
    """Raised inside the import transaction to undo it when any row failed."""


# The longest text a cell of a responses file may hold (an evidence note pasted from a log): longer
# cells are refused with their row, never truncated.
CELL_LIMIT = 1_000_000  # characters
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # control characters other than tab and line ends


def _read_responses(audit: Audit, path: Path, result: ResponsesResult) -> Iterator[_Response]:
    """The responses of a CSV file, decoded as population files are (UTF-8, Windows-1252, a byte-order
    mark; a file mixing encodings is refused), read strictly: an unclosed quote, a cell over
    :data:`CELL_LIMIT` or a control character is an error naming its row, and two rows giving
    different answers to the same question of the same review are refused with both row numbers."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AuditError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    if not data.strip():
        raise AuditError(f"{path.name} is empty: a responses file needs a header row ({','.join(RESPONSE_COLUMNS)}) "
                         "and a row per answer.")
    text, _ = decode_text_file(path.name, data)
    rows = _csv_rows(path.name, text)
    header = [h.strip().lower() for h in next(rows, (0, []))[1]]
    missing = [c for c in RESPONSE_COLUMNS if c not in header]
    if missing:
        raise AuditError(f"{path.name} lacks the column(s) {', '.join(missing)} (needed: {','.join(RESPONSE_COLUMNS)}).")
    column = {name: header.index(name) for name in RESPONSE_COLUMNS + OPTIONAL_COLUMNS if name in header}
    selected = {u.ref for u in sampling_store.sampled_units(audit.db, "selected")}
    seen: dict[tuple[str, str, str], tuple[int, tuple[str, ...]]] = {}
    for number, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        result.rows += 1
        if (bad := next((c for c in cells if _CONTROL.search(c)), None)) is not None:
            char = _CONTROL.search(bad).group()  # type: ignore[union-attr]
            result.errors.append(RowError(number, f"a cell holds the control character {char!r}, which text does not hold"))
            continue
        get = lambda name: cells[column[name]].strip() if name in column and column[name] < len(cells) else ""  # noqa: E731
        key = (get("file_ref"), get("item_id"), get("role").lower())
        given = tuple(get(name) for name in ("answer", "note", "evidence", "opportunity_known", "mmo", "notable_practice"))
        if key in seen and seen[key][1] != given:
            result.errors.append(RowError(number, f"it answers {key[1]} of the {key[2]} review of '{key[0]}' differently "
                                                  f"from row {seen[key][0]}: keep one of the two rows"))
            continue
        seen.setdefault(key, (number, given))
        response = _parse_response(audit, number, get, selected, result)
        if response is not None:
            yield response


def _csv_rows(name: str, text: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of CSV text, header = row 1; a malformed row stops the file with a sentence."""
    old_limit = csv.field_size_limit(CELL_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    number = 0
    try:
        while True:
            number += 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise AuditError(_csv_problem(name, number, str(exc))) from None
            yield number, cells
    finally:
        csv.field_size_limit(old_limit)


def _csv_problem(name: str, row: int, problem: str) -> str:
    if "field larger than field limit" in problem:
        return (f"{name}: row {row}: a cell is longer than {CELL_LIMIT:,} characters, the most a note may hold; "
                "nothing was recorded.")
    if "unexpected end of data" in problem or "EOF" in problem:
        return (f"{name}: row {row}: a quoted cell is never closed, so every row after it would be read into that "
                "cell; close the quote (or double the quote inside the text) and import again. Nothing was recorded.")
    return f"{name}: row {row}: it is not well-formed CSV ({problem}); nothing was recorded."


def _parse_response(audit: Audit, number: int, get: Any, selected: set[str], result: ResponsesResult) -> _Response | None:
    ref, target, text, role, reviewer = get("file_ref"), get("item_id"), get("answer"), get("role").lower(), get("reviewer")
    problems = []
    if ref not in selected:
        problems.append(f"file '{ref}' is not in the sample")
    if role not in REVIEW_ROLES:
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
        names = ("opportunity_known", "mmo", "notable_practice")
        bad = [name for name in names if get(name).lower() not in _FLAG]
        problems += [f"{name} must be yes or no" for name in bad]
        flags = {} if bad else {name: _FLAG[get(name).lower()] for name in names}
        value = Answer(text.upper(), get("note"), get("evidence"), flags.get("opportunity_known"), bool(flags.get("mmo")),
                       bool(flags.get("notable_practice")))
        problems += answer_problems(audit.checklist, target, value)
    if problems:
        result.errors.append(RowError(number, "; ".join(problems)))
        return None
    return _Response(number, ref, target, value, reviewer, get("staff_number"), role)
