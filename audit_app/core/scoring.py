"""Scoring one review: applicability, weighted score, critical failures, caps, grade, what is missing.

Pure functions over a ``Checklist``, the file profile and the answers; no I/O. The rules (scales,
weights, bands, caps, gradability) all come from the checklist, so an audit re-scores exactly as
it did when its checklist is kept with it.

Score: ``S = 100 × Σ(wᵢ·pᵢ) / Σ(wᵢ·maxᵢ)`` over *scored* items, i.e. items that apply, are
answered, and are not answered "not applicable". It is rounded half-up to the checklist's
``score_decimals`` before banding, so the figure a reader sees is the figure that was graded.

Speed: an audit's results score every finished review, so everything that depends on the
checklist alone (each item's answers with their meaning, note rule and weighted points, the
ordered bands, the caps) is worked out once per checklist (:class:`_Plan`). The sums are exact
integers, every weighted point scaled by one common factor, and the score is the same exact
fraction as ever (``100 × Σ(wᵢ·pᵢ) / Σ(wᵢ·maxᵢ)``, the factor cancels), rounded as ever.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Literal

from audit_app.core.checklist import Checklist
from audit_app.core.checklist_format import Band, ScaleAnswer
from audit_app.core.expressions import Expression
from audit_app.core.records import Answer

UNGRADABLE = "ungradable"
FAILING_ALWAYS = ("not_met", "not_recorded")

MissingKind = Literal["profile", "applicability", "answer", "note", "opportunity", "critical_condition", "check"]

# How the missing list is grouped for the reviewer, in order: (group, heading).
MISSING_GROUPS = (("profile", "Profile facts"), ("answer", "Answers"), ("note", "Notes"), ("check", "Cross-field checks"))
_GROUP_OF: dict[str, str] = {
    "profile": "profile", "applicability": "profile", "critical_condition": "profile",
    "answer": "answer", "opportunity": "answer", "note": "note", "check": "check",
}


@dataclass(frozen=True)
class Missing:
    """Something that stops a review being complete (or, for a warning check, something to look at).

    ``target`` is a profile field id (kind "profile"), a check id (kind "check") or an item id;
    ``fields`` are the profile fields that decide it (what to record, or what a check compares).
    """

    kind: MissingKind
    target: str
    message: str
    fields: tuple[str, ...] = ()

    @property
    def group(self) -> str:
        """profile (facts to record), answer, note or check: see :data:`MISSING_GROUPS`."""
        return _GROUP_OF[self.kind]

    @property
    def field(self) -> str | None:
        """The profile field to go to for this entry, or ``None`` when it is about an item itself."""
        if self.kind == "profile":
            return self.target
        if self.kind == "check" and self.fields:
            return self.fields[-1]  # the form shows a broken check under the last field it compares
        return self.fields[0] if self.fields and self.kind in ("applicability", "critical_condition") else None


def grouped_missing(missing: tuple[Missing, ...] | list[Missing]) -> list[tuple[str, str, list[Missing]]]:
    """The entries by group, in :data:`MISSING_GROUPS` order, leaving out empty groups: (group, heading, entries)."""
    return [(group, heading, entries) for group, heading in MISSING_GROUPS
            if (entries := [m for m in missing if m.group == group])]


@dataclass(frozen=True)
class ReviewResult:
    """Everything the scoring engine concludes about one review."""

    applicability: Mapping[str, bool | None]
    scored_items: tuple[str, ...]
    points: float
    max_points: float
    score: float | None
    subscores: Mapping[str, float | None]
    critical_failures: tuple[str, ...]
    mmo: tuple[str, ...]
    notable_practice: tuple[str, ...]
    not_recorded: tuple[str, ...]
    na_overrides: tuple[str, ...]
    answered_not_applicable: tuple[str, ...]
    max_weight_not_met: tuple[str, ...]
    ungradable_reasons: tuple[str, ...]
    base_grade: str | None
    grade: str | None
    grade_label: str
    caps_applied: tuple[str, ...]
    subgrades: Mapping[str, str | None]
    show_subgrades: bool
    needs_moderation: bool | None
    missing: tuple[Missing, ...] = field(default=())
    warnings: tuple[Missing, ...] = field(default=())  # broken checks of severity "warning": shown, not blocking

    @property
    def gradable(self) -> bool:
        return not self.ungradable_reasons

    @property
    def complete(self) -> bool:
        """Nothing is missing: every applicable item answered, every required note written."""
        return not self.missing

    def metrics(self) -> dict[str, Any]:
        """The values cap and moderation rules are written in (see checklist.METRIC_SYMBOLS)."""
        return _metrics(self.score, self.critical_failures, self.mmo, self.notable_practice, self.max_weight_not_met,
                        self.not_recorded, self.scored_items, self.ungradable_reasons)


def _metrics(score: float | None, critical_failures: tuple[str, ...], mmo: tuple[str, ...], notable_practice: tuple[str, ...],
             max_weight_not_met: tuple[str, ...], not_recorded: tuple[str, ...], scored_items: tuple[str, ...],
             ungradable_reasons: tuple[str, ...]) -> dict[str, Any]:
    """:meth:`ReviewResult.metrics` of a result with these values (the engine needs them before the result)."""
    return {
        "score": score,
        "critical_failures": len(critical_failures),
        "mmo": len(mmo),
        "notable_practice": len(notable_practice),
        "max_weight_not_met": len(max_weight_not_met),
        "not_recorded": len(not_recorded),
        "scored_items": len(scored_items),
        "ungradable": bool(ungradable_reasons),  # not gradable, gradable being "no reasons"
    }


def answer_problems(checklist: Checklist, item_id: str, answer: Answer) -> list[str]:
    """Why ``answer`` cannot be recorded for ``item_id`` (empty when it can)."""
    if item_id not in checklist.items:
        return [f"unknown item '{item_id}'"]
    problems = []
    scale = checklist.scale_of(item_id)
    if checklist.answer(item_id, answer.code) is None:
        codes = ", ".join(a.code for a in scale.answers)
        problems.append(f"{item_id}: answer '{answer.code}' is not on its scale ({codes})")
    if answer.mmo and not checklist.mmo_allowed(item_id):
        problems.append(f"{item_id}: a material missed opportunity cannot be raised on this item")
    if answer.opportunity_known is not None and checklist.items[item_id].critical != "on_known_opportunity":
        problems.append(f"{item_id}: only items critical on a known opportunity take that confirmation")
    return problems


def round_half_up(value: Fraction, decimals: int) -> float:
    """Round a fraction half-up (77.25 → 77.3 at one decimal), as a reader would by hand."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return float(exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def band_for(checklist: Checklist, score: float | None) -> Band | None:
    """The band a score falls in: ``min <= score < max``, with the top band including its max."""
    if score is None:
        return None
    return _band_in(_ordered_bands(checklist), score)


def _band_in(bands: tuple[Band, ...], score: float | None) -> Band | None:
    if score is None:
        return None
    for band in bands:
        if band.min <= score < band.max:
            return band
    return bands[-1] if score == bands[-1].max else None


def _ordered_bands(checklist: Checklist) -> tuple[Band, ...]:
    return checklist.derived_table("scoring.bands", lambda c: tuple(sorted(c.spec.grading.bands, key=lambda b: b.min)))


class _Choice:
    """One answer code of one item, as the engine uses it: what it means, the note it needs, its
    weighted points as an integer (× the plan's scale), or ``exact`` False when its points cannot
    be an exact fraction (then the engine repeats the original conversions, which raise)."""

    __slots__ = ("meaning", "note_missing", "not_applicable", "points", "best", "exact", "scale_answer")

    def __init__(self, scale_answer: ScaleAnswer, note_missing: Missing | None):
        self.scale_answer = scale_answer
        self.meaning = scale_answer.meaning
        self.note_missing = note_missing  # the entry to add when its note is empty; None: no note needed
        self.not_applicable = scale_answer.meaning == "not_applicable"
        self.points = 0
        self.best = 0
        self.exact = False


class _ItemPlan:
    """One item, as the engine uses it on every review."""

    __slots__ = ("id", "item", "applies", "choices", "mmo_allowed", "takes_opportunity", "unanswered", "subscore",
                 "critical", "top_weight")

    def __init__(self, checklist: Checklist, item_id: str):
        item = checklist.items[item_id]
        self.id = item_id
        self.item = item
        self.applies = checklist.applies[item_id]
        self.mmo_allowed = checklist.mmo_allowed(item_id)
        self.takes_opportunity = item.critical == "on_known_opportunity"
        self.unanswered = Missing("answer", item_id, f"{item_id}: not answered.")
        self.subscore = item.subscore
        self.critical = item.critical
        self.top_weight = item.weight == checklist.max_weight
        self.choices: dict[str, _Choice] = {}
        for scale_answer in checklist.scale_of(item_id).answers:
            code = scale_answer.code
            if code in self.choices:
                continue  # checklist.answer finds the first answer of a code
            note = None
            if checklist.note_required(item_id, code):
                note = Missing("note", item_id, f"{item_id}: an evidence note is required for '{scale_answer.label}'.")
            self.choices[code] = _Choice(scale_answer, note)


class _Plan:
    """What scoring needs from a checklist, worked out once (see ``Checklist.derived_table``).

    Points: ``Σ wᵢ·pᵢ`` and ``Σ wᵢ·maxᵢ`` are kept as integers, each term multiplied by ``scale``,
    the least common multiple of the denominators of every item's points as exact fractions
    (``Fraction(0.5)`` is 1/2; a binary float such as 0.1 has a power-of-two denominator), so
    that every term is an exact integer and the ratio of the sums is exactly the ratio of the
    fractions the engine used to add up.
    """

    def __init__(self, checklist: Checklist):
        grading = checklist.spec.grading
        self.items = {item_id: _ItemPlan(checklist, item_id) for item_id in checklist.items}
        self.required_fields = tuple(
            (f.id, Missing("profile", f.id, f"Record '{f.label}' in the file profile.", (f.id,)))
            for f in checklist.spec.profile if f.required
        )
        self.subscores = tuple(s.id for s in checklist.spec.subscores)
        self.decimals = grading.score_decimals
        self.bands = _ordered_bands(checklist)
        self.rank = {band.id: index for index, band in enumerate(self.bands)}
        self.caps = tuple(zip(grading.caps, checklist.caps))
        self.moderation = checklist.moderation
        self.gradability = grading.gradability
        self.subgrade_gap = grading.subgrade_gap
        try:
            limit: Fraction | None = Fraction(str(grading.gradability.max_not_recorded_share))
        except Exception:
            limit = None  # computed (and raised) where it is used, as before
        self.not_recorded_limit = limit
        self.scale = self._scale_points(checklist)

    def _scale_points(self, checklist: Checklist) -> int:
        exact: list[tuple[_ItemPlan, _Choice, Fraction, Fraction]] = []
        for plan in self.items.values():
            try:
                best = Fraction(checklist.max_points(plan.id))
            except Exception:  # no exact maximum: scoring this item raises, as it always did
                continue
            for choice in plan.choices.values():
                if choice.not_applicable or choice.scale_answer.points is None:
                    continue
                try:
                    points = Fraction(choice.scale_answer.points)
                except Exception:
                    continue
                exact.append((plan, choice, points, best))
        scale = math.lcm(*(f.denominator for _, _, points, best in exact for f in (points, best)))
        for plan, choice, points, best in exact:
            weight = Fraction(plan.item.weight)
            choice.points = _whole(weight * points * scale)
            choice.best = _whole(weight * best * scale)
            choice.exact = True
        return scale


def _whole(value: Fraction) -> int:
    assert value.denominator == 1
    return value.numerator


def _plan_of(checklist: Checklist) -> _Plan:
    return checklist.derived_table("scoring.plan", _Plan)


def score_review(
    checklist: Checklist,
    profile: Mapping[str, Any],
    answers: Mapping[str, Answer],
    parameters: Mapping[str, float] | None = None,
) -> ReviewResult:
    """Score one review.

    :param profile: recorded profile values by field id (absent or ``None`` = not recorded yet).
    :param answers: answers by item id.
    :param parameters: the audit's parameter values, overriding the checklist defaults.
    :raises ValueError: if an answer is not valid for its item (callers validate with
        :func:`answer_problems` first; reaching this is a bug).
    """
    plan = _plan_of(checklist)
    _check_answers(checklist, plan, answers)
    env, field_applies = checklist.environment_and_applicability(profile, parameters)
    tally = _Tally(plan)
    tally.missing.extend(entry for field_id, entry in plan.required_fields
                         if field_applies.get(field_id) is not False and profile.get(field_id) in (None, ""))
    broken = broken_checks(checklist, env)
    tally.missing.extend(m for m, severity in broken if severity == "error")
    tally.warnings.extend(m for m, severity in broken if severity == "warning")
    applicability = _walk_items(checklist, plan, answers, env, tally)
    return _conclude(plan, applicability, tally)


def _check_answers(checklist: Checklist, plan: _Plan, answers: Mapping[str, Answer]) -> None:
    """Raise ValueError for an answer that is not valid: :func:`answer_problems`, asked only about
    answers that fail its checks made on the plan (the usual answer passes them all)."""
    for item_id, answer in answers.items():
        known = plan.items.get(item_id)
        if known is None or answer.code not in known.choices or (answer.mmo and not known.mmo_allowed) \
                or (answer.opportunity_known is not None and not known.takes_opportunity):
            problems = answer_problems(checklist, item_id, answer)
            if problems:
                raise ValueError("; ".join(problems))


class _Tally:
    """Running totals while walking the items; points as integers (× the plan's scale)."""

    __slots__ = ("points", "max_points", "sub_points", "sub_max", "scored", "critical", "mmo", "notable", "not_recorded",
                 "na_overrides", "answered_not_applicable", "max_weight_not_met", "missing", "warnings")

    def __init__(self, plan: _Plan):
        self.points = self.max_points = 0
        self.sub_points = dict.fromkeys(plan.subscores, 0)
        self.sub_max = dict.fromkeys(plan.subscores, 0)
        self.scored: list[str] = []
        self.critical: list[str] = []
        self.mmo: list[str] = []
        self.notable: list[str] = []
        self.not_recorded: list[str] = []
        self.na_overrides: list[str] = []
        self.answered_not_applicable: list[str] = []
        self.max_weight_not_met: list[str] = []
        self.missing: list[Missing] = []
        self.warnings: list[Missing] = []


def _walk_items(checklist: Checklist, plan: _Plan, answers: Mapping[str, Answer], env: Mapping[str, Any],
                tally: _Tally) -> dict[str, bool | None]:
    """Decide each item's applicability and score the answers of those that apply (in item order)."""
    applicability: dict[str, bool | None] = {}
    missing = tally.missing
    for item_id, entry in plan.items.items():
        expression = entry.applies
        if expression is None:
            applies = True
        else:
            applies = expression.evaluate(env)
            if applies is None:
                missing.append(_undecided(checklist, item_id, expression, env))
        applicability[item_id] = applies
        if not applies:
            if item_id in answers:
                tally.answered_not_applicable.append(item_id)
            continue
        answer = answers.get(item_id)
        if answer is None:
            missing.append(entry.unanswered)
            continue
        choice = entry.choices[answer.code]  # on the scale: checked by _check_answers
        if choice.note_missing is not None and not answer.note.strip():
            missing.append(choice.note_missing)
        if answer.notable:
            tally.notable.append(item_id)
        if choice.not_applicable:
            tally.na_overrides.append(item_id)
            continue
        if not choice.exact:
            _inexact(checklist, item_id, choice.scale_answer)
        tally.points += choice.points
        tally.max_points += choice.best
        tally.sub_points[entry.subscore] += choice.points
        tally.sub_max[entry.subscore] += choice.best
        tally.scored.append(item_id)
        meaning = choice.meaning
        if meaning == "not_recorded":
            tally.not_recorded.append(item_id)
        if entry.top_weight and meaning != "met":
            tally.max_weight_not_met.append(item_id)
        if answer.mmo:
            tally.mmo.append(item_id)
        if entry.critical == "always":
            if meaning in FAILING_ALWAYS:
                tally.critical.append(item_id)
        elif entry.takes_opportunity and meaning == "not_met" \
                and _is_critical_failure(checklist, item_id, answer, meaning, env, missing):
            tally.critical.append(item_id)  # (an item critical "never" is never a critical failure)
    return applicability


def _percentage(points: int, maximum: int, decimals: int) -> float | None:
    """``100 × points / maximum`` rounded: the scale of the integers cancels, so the fraction is the
    very one the sums of fractions gave (a Fraction is always in lowest terms)."""
    return round_half_up(Fraction(100 * points, maximum), decimals) if maximum else None


def _conclude(plan: _Plan, applicability: dict[str, bool | None], tally: _Tally) -> ReviewResult:
    decimals = plan.decimals
    score = _percentage(tally.points, tally.max_points, decimals)
    subscores = {sid: _percentage(tally.sub_points[sid], tally.sub_max[sid], decimals) for sid in tally.sub_points}
    scored, critical, mmo = tuple(tally.scored), tuple(tally.critical), tuple(tally.mmo)
    notable, not_recorded, max_weight_not_met = tuple(tally.notable), tuple(tally.not_recorded), tuple(tally.max_weight_not_met)
    reasons = _ungradable_reasons(plan, len(scored), len(not_recorded))
    base = _band_in(plan.bands, score)
    subgrades = {sid: _band_id(_band_in(plan.bands, value)) for sid, value in subscores.items()}
    show_subgrades = _subgrades_apart(plan, subgrades)
    metrics = _metrics(score, critical, mmo, notable, max_weight_not_met, not_recorded, scored, reasons)
    grade, label, caps = _final_grade(plan, base, reasons, metrics)
    moderation = plan.moderation.evaluate(metrics) if plan.moderation else False
    return ReviewResult(
        applicability=applicability,
        scored_items=scored,
        points=tally.points / plan.scale,  # = float(Fraction(points, scale)): int / int is correctly rounded too
        max_points=tally.max_points / plan.scale,
        score=score,
        subscores=subscores,
        critical_failures=critical,
        mmo=mmo,
        notable_practice=notable,
        not_recorded=not_recorded,
        na_overrides=tuple(tally.na_overrides),
        answered_not_applicable=tuple(tally.answered_not_applicable),
        max_weight_not_met=max_weight_not_met,
        ungradable_reasons=reasons,
        base_grade=_band_id(base),
        grade=grade,
        grade_label=label,
        caps_applied=caps,
        subgrades=subgrades,
        show_subgrades=show_subgrades,
        needs_moderation=moderation,
        missing=tuple(tally.missing),
        warnings=tuple(tally.warnings),
    )


def _inexact(checklist: Checklist, item_id: str, scale_answer: ScaleAnswer) -> None:
    """Points that are no exact fraction (infinite or not a number): the conversions the engine
    always made, which raise as they always did."""
    assert scale_answer.points is not None
    Fraction(checklist.items[item_id].weight)
    Fraction(checklist.max_points(item_id))
    Fraction(scale_answer.points)
    raise AssertionError(f"{item_id}: points {scale_answer.points!r} converted after all")  # pragma: no cover


def broken_checks(checklist: Checklist, env: Mapping[str, Any]) -> list[tuple[Missing, str]]:
    """The checklist's cross-field checks that are broken, with their severity.

    A check fires only when every field it uses has a value (a question that does not apply has
    none, except a yes/no one, which counts as "no").
    """
    broken: list[tuple[Missing, str]] = []
    for check, expression in checklist.checks:
        if any(env.get(name) is None for name in expression.names) or expression.evaluate(env) is not False:
            continue
        fields = tuple(_field_ids(checklist, sorted(expression.names, key=_order_of(checklist))))
        broken.append((Missing("check", check.id, check.message, fields), check.severity))
    return broken


def _order_of(checklist: Checklist) -> Any:
    order = {name: index for index, name in enumerate(checklist.fields)}
    return lambda name: (order.get(name, len(order)), name)


def _field_ids(checklist: Checklist, names: list[str]) -> list[str]:
    """The recorded fields behind ``names`` (derived values are expanded to their inputs), in order."""
    derived = dict(checklist.derived)
    ids: list[str] = []
    for name in names:
        if name in derived:
            ids.extend(_field_ids(checklist, sorted(derived[name].names, key=_order_of(checklist))))
        elif name in checklist.fields:
            ids.append(name)
    return list(dict.fromkeys(ids))


def _undecided(checklist: Checklist, item_id: str, expression: Expression, env: Mapping[str, Any]) -> Missing:
    """What to record to decide whether an item applies (its applies_when is unknown)."""
    unknown = _field_ids(checklist, sorted(expression.unknown_names(env), key=_order_of(checklist)))
    needed = ", ".join(_field_labels(checklist, unknown))
    return Missing("applicability", item_id, f"{item_id}: record {needed} to decide whether it applies.", tuple(unknown))


def _field_labels(checklist: Checklist, names: list[str]) -> list[str]:
    """Labels of the recorded fields behind ``names`` (derived values are expanded to their inputs)."""
    derived = dict(checklist.derived)
    labels: list[str] = []
    for name in names:
        if name in derived:
            labels.extend(_field_labels(checklist, sorted(derived[name].names)))
        elif name in checklist.fields:
            labels.append(f"'{checklist.fields[name].label}'")
    return list(dict.fromkeys(labels))


def _is_critical_failure(
    checklist: Checklist, item_id: str, answer: Answer, meaning: str, env: Mapping[str, Any], missing: list[Missing]
) -> bool:
    item = checklist.items[item_id]
    if item.critical == "always":
        return meaning in FAILING_ALWAYS
    if item.critical != "on_known_opportunity" or meaning != "not_met":
        return False
    condition = checklist.critical_when[item_id]
    applies = True if condition is None else condition.evaluate(env)
    if applies is None:
        unknown = _field_ids(checklist, sorted(condition.unknown_names(env), key=_order_of(checklist))) if condition else []
        needed = ", ".join(_field_labels(checklist, unknown))
        missing.append(Missing("critical_condition", item_id,
                               f"{item_id}: record {needed} to decide whether this Not met is critical.", tuple(unknown)))
        return False
    if not applies:
        return False
    if answer.opportunity_known is None:
        prompt = item.opportunity_prompt or "Was the opportunity known or available?"
        missing.append(Missing("opportunity", item_id, f"{item_id}: confirm: {prompt}"))
        return False
    return answer.opportunity_known


def _band_id(band: Band | None) -> str | None:
    return band.id if band else None


def _ungradable_reasons(plan: _Plan, scored: int, not_recorded: int) -> tuple[str, ...]:
    rule = plan.gradability
    reasons = []
    if scored < rule.min_applicable:
        reasons.append(f"only {scored} items could be scored; at least {rule.min_applicable} are needed")
    if scored:
        limit = plan.not_recorded_limit
        if limit is None:
            limit = Fraction(str(rule.max_not_recorded_share))
        # not_recorded / scored > limit, both sides multiplied by their (positive) denominators
        if not_recorded * limit.denominator > limit.numerator * scored:
            share = f"{round(100 * rule.max_not_recorded_share)}%"
            reasons.append(f"{not_recorded} of {scored} scored items are Not recorded (more than {share})")
    return tuple(reasons)


def _final_grade(
    plan: _Plan, base: Band | None, reasons: tuple[str, ...], metrics: Mapping[str, Any]
) -> tuple[str | None, str, tuple[str, ...]]:
    if reasons:
        return UNGRADABLE, plan.gradability.label, ()
    if base is None:
        return None, "", ()
    bands = plan.bands
    rank = plan.rank
    final = rank[base.id]
    applied = []
    for cap, expression in plan.caps:
        if expression.evaluate(metrics) and rank[cap.at_most] < rank[base.id]:
            final = min(final, rank[cap.at_most])
            applied.append(cap.reason)
    return bands[final].id, bands[final].label, tuple(applied)


def _subgrades_apart(plan: _Plan, subgrades: Mapping[str, str | None]) -> bool:
    rank = plan.rank
    ranks = [rank[g] for g in subgrades.values() if g is not None]
    return len(ranks) >= 2 and max(ranks) - min(ranks) >= plan.subgrade_gap


def grade_label(checklist: Checklist, grade: str | None) -> str:
    """The label of a grade id (a band id or ``ungradable``)."""
    if grade == UNGRADABLE:
        return checklist.spec.grading.gradability.label
    return next((b.label for b in checklist.spec.grading.bands if b.id == grade), "")
