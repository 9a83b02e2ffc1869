"""Moderation: where the primary and the independent second review of a file differ, the agreed answer.

Both original reviews are kept unchanged. The agreed result of a file is the primary review with
every difference replaced by the agreed answer (or profile value) recorded here, with its reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from audit_app.core import profile as profile_values
from audit_app.core.records import Agreed, Answer, Review, Reviewer
from audit_app.core.scoring import ReviewResult, answer_problems
from audit_app.errors import AuditError
from audit_app.services.audits import Audit
from audit_app.services.reviews import clean_text, score_stored
from audit_app.store import events
from audit_app.store import reviews as store
from audit_app.store import sampling as sampling_store

PROFILE_PREFIX = "profile."
DONE = ("complete", "signed_off")

# What a moderation of one file is waiting for, or has reached.
NO_SECOND = "no_second"  # no second review assigned
AWAITING = "awaiting_reviews"  # a second review exists; one of the two is not complete yet
TO_AGREE = "to_agree"  # both complete; some differences have no agreed answer yet
AGREED = "agreed"  # both complete and every difference has an agreed answer (or there is none)

STATE_LABELS = {
    NO_SECOND: "",
    AWAITING: "Awaiting reviews",
    TO_AGREE: "To moderate",
    AGREED: "Moderated",
}


@dataclass(frozen=True)
class Difference:
    """One question on which the two reviews of a file differ."""

    target: str  # an item id, or 'profile.<field>'
    label: str
    primary: Any  # Answer | profile value (Python form) | None
    second: Any
    agreed: Agreed | None

    @property
    def is_profile(self) -> bool:
        return self.target.startswith(PROFILE_PREFIX)

    @property
    def agreed_value(self) -> Any:
        """What was agreed: an :class:`Answer` for an item, the stored value for a profile field
        (``None`` before an agreement, or when it leaves the question unanswered)."""
        value = self.agreed.value if self.agreed is not None else None
        return Answer.from_json(value) if isinstance(value, dict) else value


@dataclass(frozen=True)
class Comparison:
    ref: str
    primary: Review
    second: Review
    state: str
    differences: tuple[Difference, ...]

    @property
    def open_differences(self) -> tuple[Difference, ...]:
        return tuple(d for d in self.differences if d.agreed is None)


def same_answer(a: Answer | None, b: Answer | None) -> bool:
    """Two answers agree when their code and flags agree (notes are each reviewer's own words)."""
    return a is b if a is None or b is None else a.same_judgement(b)


def differing_targets(profiles: Mapping[int, Mapping[str, Any]], answers: Mapping[int, Mapping[str, Answer]],
                      first: int, second: int) -> set[str]:
    """What moderation must settle between reviews ``first`` and ``second``: the profile fields
    (``profile.<field>``) and items whose values or judgements (code and flags) differ."""
    a_profile, b_profile = profiles.get(first, {}), profiles.get(second, {})
    targets = {PROFILE_PREFIX + f for f in set(a_profile) | set(b_profile) if a_profile.get(f) != b_profile.get(f)}
    a_answers, b_answers = answers[first], answers[second]
    targets |= {i for i in set(a_answers) | set(b_answers) if not same_answer(a_answers.get(i), b_answers.get(i))}
    return targets


def _reviews(audit: Audit, ref: str) -> tuple[int, dict[str, Review]]:
    unit = sampling_store.sampled_unit(audit.db, ref)
    if unit is None:
        raise AuditError(f"File '{ref}' is not in the sample.")
    return unit.unit_id, store.reviews_of_unit(audit.db, unit.unit_id)


def moderation_state(primary: Review | None, second: Review | None, open_differences: int | None) -> str:
    """The state of a file's moderation from its two reviews (and, once both are done, the open differences)."""
    if second is None or primary is None:
        return NO_SECOND
    if primary.status not in DONE or second.status not in DONE:
        return AWAITING
    return AGREED if open_differences == 0 else TO_AGREE


def compare(audit: Audit, ref: str) -> Comparison:
    """The differences between the two reviews of a file, with any agreed answers.

    :raises AuditError: when the file has no second review, or either review is not complete
        (the reviews stay independent until both are done).
    """
    unit_id, reviews = _reviews(audit, ref)
    primary, second = reviews.get("primary"), reviews.get("second")
    if primary is None or second is None:
        raise AuditError(f"File '{ref}' has no second review to moderate against.")
    if primary.status not in DONE or second.status not in DONE:
        raise AuditError(f"Both reviews of '{ref}' must be complete before they are compared.")
    checklist = audit.checklist
    db = audit.db
    agreed = store.agreed(db, unit_id)
    differences = []
    fields = checklist.fields
    first_profile, second_profile = store.profile_values(db, primary.id), store.profile_values(db, second.id)
    for field in checklist.spec.profile:
        a, b = first_profile.get(field.id), second_profile.get(field.id)
        if a != b:
            target = PROFILE_PREFIX + field.id
            differences.append(Difference(target, field.label, profile_values.from_json(fields[field.id], a),
                                          profile_values.from_json(fields[field.id], b), agreed.get(target)))
    first_answers, second_answers = store.answers(db, primary.id), store.answers(db, second.id)
    for item_id, item in checklist.items.items():
        a, b = first_answers.get(item_id), second_answers.get(item_id)
        if not same_answer(a, b):
            differences.append(Difference(item_id, f"{item_id} {item.question}", a, b, agreed.get(item_id)))
    open_count = sum(1 for d in differences if d.agreed is None)
    return Comparison(ref, primary, second, moderation_state(primary, second, open_count), tuple(differences))


def record_agreed(audit: Audit, ref: str, target: str, value: Answer | Any, reason: str, moderator: Reviewer) -> None:
    """Record the agreed answer (an :class:`Answer` for an item, a value for a profile field).

    :raises AuditError: without a reason, when the moderator is not a lead auditor, when the two
        reviews do not differ there, or when the value is not valid for the question.
    """
    reason = clean_text(reason)  # no control characters in stored text (see reviews.clean_text)
    if isinstance(value, Answer):
        value = replace(value, note=clean_text(value.note), evidence=clean_text(value.evidence))
    elif isinstance(value, str):
        value = clean_text(value)
    if not reason.strip():
        raise AuditError("Give the reason for the agreed answer; it is recorded with it.")
    comparison = compare(audit, ref)
    difference = next((d for d in comparison.differences if d.target == target), None)
    if difference is None:
        raise AuditError(f"The two reviews of '{ref}' do not differ on {target}: there is nothing to agree.")
    stored = _checked_value(audit, target, value)
    with audit.transaction() as db:
        moderator = store.reviewer_by_id(db, moderator.id) or moderator
        if moderator.role != "lead":
            raise AuditError(f"Only a lead auditor records agreed answers; {moderator.name} is recorded as a reviewer.")
        unit_id = comparison.primary.unit_id
        old = store.agreed(db, unit_id).get(target)
        store.set_agreed(db, unit_id, target, stored, reason.strip(), moderator.id, events.now())
        events.append(db, moderator.display, "moderation.agree", "sample_unit", ref, {
            "target": target, "old": old.value if old else None, "new": stored,
            "primary": _as_json(difference.primary, audit, target), "second": _as_json(difference.second, audit, target),
        }, reason=reason.strip())


def _checked_value(audit: Audit, target: str, value: Any) -> Any:
    """The stored (JSON) form of an agreed value, checked against the checklist."""
    checklist = audit.checklist
    if target.startswith(PROFILE_PREFIX):
        field = checklist.fields.get(target[len(PROFILE_PREFIX):])
        if field is None:
            raise AuditError(f"Unknown profile field '{target}'.")
        try:
            return profile_values.to_json(field, profile_values.check_value(field, value))
        except ValueError as exc:
            raise AuditError(f"{exc}.") from None
    if value is None:
        return None  # agreed: the item is left unanswered
    if not isinstance(value, Answer):
        raise AuditError(f"The agreed answer to {target} must be an answer.")
    problems = answer_problems(checklist, target, value)
    if problems:
        raise AuditError("; ".join(problems) + ".")
    return replace(value, note=value.note.strip(), evidence=value.evidence.strip()).to_json(target)


def _as_json(value: Any, audit: Audit, target: str) -> Any:
    if isinstance(value, Answer):
        return value.to_json(target)
    if target.startswith(PROFILE_PREFIX) and value is not None:
        return profile_values.to_json(audit.checklist.fields[target[len(PROFILE_PREFIX):]], value)
    return value


def agreed_inputs(audit: Audit, primary_id: int, agreed: dict[str, Agreed],
                  profile: dict[str, Any] | None = None, answers: dict[str, Answer] | None = None
                  ) -> tuple[dict[str, Any], dict[str, Answer]]:
    """The primary review's profile (JSON form) and answers with the agreed values laid over them."""
    profile = dict(store.profile_values(audit.db, primary_id) if profile is None else profile)
    answers = dict(store.answers(audit.db, primary_id) if answers is None else answers)
    for target, decision in agreed.items():
        if target.startswith(PROFILE_PREFIX):
            name = target[len(PROFILE_PREFIX):]
            if decision.value is None:
                profile.pop(name, None)
            else:
                profile[name] = decision.value
        elif decision.value is None:
            answers.pop(target, None)
        else:
            answers[target] = Answer.from_json(decision.value)
    return profile, answers


def agreed_result(audit: Audit, ref: str) -> ReviewResult:
    """The scoring engine's view of the file after moderation (the primary review where they agree)."""
    comparison = compare(audit, ref)
    agreed = {d.target: d.agreed for d in comparison.differences if d.agreed is not None}
    profile, answers = agreed_inputs(audit, comparison.primary.id, agreed)
    return score_stored(audit, profile, answers)
