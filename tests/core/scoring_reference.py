"""The pre-optimisation scoring engine, kept as a regression oracle (do not optimise or "fix" it).

This is ``audit_app/core/scoring.py`` exactly as it was before it was made faster (branch
``scoring-speed``), with one change: the checklist and expression helpers it called
(``Checklist.answer``, ``note_required``, ``max_points``, ``max_weight``, ``mmo_allowed``,
``environment``, ``field_applicability`` and ``Expression.evaluate``/``unknown_names`` with the tree
walker behind them) are frozen copies too, at the end of this module, so that the oracle does not
change when those are optimised. ``tests/core/test_scoring_equivalence.py`` checks that the live
``score_review`` gives exactly what this one gives, for every field of the result.

Its original docstring follows.

Scoring one review: applicability, weighted score, critical failures, caps, grade, what is missing.

Pure functions over a ``Checklist``, the file profile and the answers; no I/O. The rules (scales,
weights, bands, caps, gradability) all come from the checklist, so an audit re-scores exactly as
it did when its checklist is kept with it.

Score: ``S = 100 × Σ(wᵢ·pᵢ) / Σ(wᵢ·maxᵢ)`` over *scored* items, i.e. items that apply, are
answered, and are not answered "not applicable". It is rounded half-up to the checklist's
``score_decimals`` before banding, so the figure a reader sees is the figure that was graded.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Literal

from audit_app.core import expressions as ex
from audit_app.core.checklist import Checklist
from audit_app.core.checklist_format import Scale, ScaleAnswer
from audit_app.core.checklist_format import Band
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
        return {
            "score": self.score,
            "critical_failures": len(self.critical_failures),
            "mmo": len(self.mmo),
            "notable_practice": len(self.notable_practice),
            "max_weight_not_met": len(self.max_weight_not_met),
            "not_recorded": len(self.not_recorded),
            "scored_items": len(self.scored_items),
            "ungradable": not self.gradable,
        }


def answer_problems(checklist: Checklist, item_id: str, answer: Answer) -> list[str]:
    """Why ``answer`` cannot be recorded for ``item_id`` (empty when it can)."""
    if item_id not in checklist.items:
        return [f"unknown item '{item_id}'"]
    problems = []
    scale = _scale_of(checklist, item_id)
    if _answer(checklist, item_id, answer.code) is None:
        codes = ", ".join(a.code for a in scale.answers)
        problems.append(f"{item_id}: answer '{answer.code}' is not on its scale ({codes})")
    if answer.mmo and not _mmo_allowed(checklist, item_id):
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
    bands = _ordered_bands(checklist)
    for band in bands:
        if band.min <= score < band.max:
            return band
    return bands[-1] if score == bands[-1].max else None


def _ordered_bands(checklist: Checklist) -> list[Band]:
    return sorted(checklist.spec.grading.bands, key=lambda b: b.min)


class _Tally:
    """Running totals while walking the items."""

    def __init__(self, checklist: Checklist):
        self.points = Fraction(0)
        self.max_points = Fraction(0)
        self.sub_points = {s.id: Fraction(0) for s in checklist.spec.subscores}
        self.sub_max = {s.id: Fraction(0) for s in checklist.spec.subscores}
        self.lists: dict[str, list[str]] = {
            name: []
            for name in (
                "scored", "critical", "mmo", "notable", "not_recorded", "na_overrides",
                "answered_not_applicable", "max_weight_not_met",
            )
        }
        self.missing: list[Missing] = []
        self.warnings: list[Missing] = []

    def add(self, name: str, item_id: str) -> None:
        self.lists[name].append(item_id)


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
    for item_id, answer in answers.items():
        problems = answer_problems(checklist, item_id, answer)
        if problems:
            raise ValueError("; ".join(problems))
    env = _environment(checklist, profile, parameters)
    tally = _Tally(checklist)
    tally.missing.extend(_missing_profile(checklist, profile, parameters))
    broken = broken_checks(checklist, env)
    tally.missing.extend(m for m, severity in broken if severity == "error")
    tally.warnings.extend(m for m, severity in broken if severity == "warning")
    applicability: dict[str, bool | None] = {}
    for item_id in checklist.items:
        applicability[item_id] = _applies(checklist, item_id, env, tally)
        if applicability[item_id]:
            _score_item(checklist, item_id, answers.get(item_id), env, tally)
        elif item_id in answers:
            tally.add("answered_not_applicable", item_id)
    return _conclude(checklist, applicability, tally)


def _missing_profile(checklist: Checklist, profile: Mapping[str, Any], parameters: Mapping[str, float] | None) -> list[Missing]:
    """Required questions not recorded; a question that does not apply (given earlier answers) is not required."""
    applies = _field_applicability(checklist, profile, parameters)
    return [
        Missing("profile", f.id, f"Record '{f.label}' in the file profile.", (f.id,))
        for f in checklist.spec.profile
        if f.required and applies.get(f.id) is not False and profile.get(f.id) in (None, "")
    ]


def broken_checks(checklist: Checklist, env: Mapping[str, Any]) -> list[tuple[Missing, str]]:
    """The checklist's cross-field checks that are broken, with their severity.

    A check fires only when every field it uses has a value (a question that does not apply has
    none, except a yes/no one, which counts as "no").
    """
    broken: list[tuple[Missing, str]] = []
    for check, expression in checklist.checks:
        if _unknown_names(expression, env) or _evaluate(expression, env) is not False:
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


def _applies(checklist: Checklist, item_id: str, env: Mapping[str, Any], tally: _Tally) -> bool | None:
    expression = checklist.applies[item_id]
    if expression is None:
        return True
    result = _evaluate(expression, env)
    if result is None:
        unknown = _field_ids(checklist, sorted(_unknown_names(expression, env), key=_order_of(checklist)))
        needed = ", ".join(_field_labels(checklist, unknown))
        tally.missing.append(Missing("applicability", item_id, f"{item_id}: record {needed} to decide whether it applies.",
                                     tuple(unknown)))
    return result


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


def _score_item(checklist: Checklist, item_id: str, answer: Answer | None, env: Mapping[str, Any], tally: _Tally) -> None:
    item = checklist.items[item_id]
    if answer is None:
        tally.missing.append(Missing("answer", item_id, f"{item_id}: not answered."))
        return
    scale_answer = _answer(checklist, item_id, answer.code)
    assert scale_answer is not None  # checked by answer_problems
    if _note_required(checklist, item_id, answer.code) and not answer.note.strip():
        tally.missing.append(Missing("note", item_id, f"{item_id}: an evidence note is required for '{scale_answer.label}'."))
    if answer.notable:
        tally.add("notable", item_id)
    if scale_answer.meaning == "not_applicable":
        tally.add("na_overrides", item_id)
        return
    assert scale_answer.points is not None
    weight = Fraction(item.weight)
    best = Fraction(_max_points(checklist, item_id))
    points = Fraction(scale_answer.points)
    tally.points += weight * points
    tally.max_points += weight * best
    tally.sub_points[item.subscore] += weight * points
    tally.sub_max[item.subscore] += weight * best
    tally.add("scored", item_id)
    if scale_answer.meaning == "not_recorded":
        tally.add("not_recorded", item_id)
    if item.weight == _max_weight(checklist) and scale_answer.meaning != "met":
        tally.add("max_weight_not_met", item_id)
    if answer.mmo:
        tally.add("mmo", item_id)
    if _is_critical_failure(checklist, item_id, answer, scale_answer.meaning, env, tally):
        tally.add("critical", item_id)


def _is_critical_failure(
    checklist: Checklist, item_id: str, answer: Answer, meaning: str, env: Mapping[str, Any], tally: _Tally
) -> bool:
    item = checklist.items[item_id]
    if item.critical == "always":
        return meaning in FAILING_ALWAYS
    if item.critical != "on_known_opportunity" or meaning != "not_met":
        return False
    condition = checklist.critical_when[item_id]
    applies = True if condition is None else _evaluate(condition, env)
    if applies is None:
        unknown = _field_ids(checklist, sorted(_unknown_names(condition, env), key=_order_of(checklist))) if condition else []
        needed = ", ".join(_field_labels(checklist, unknown))
        tally.missing.append(Missing("critical_condition", item_id,
                                     f"{item_id}: record {needed} to decide whether this Not met is critical.", tuple(unknown)))
        return False
    if not applies:
        return False
    if answer.opportunity_known is None:
        prompt = item.opportunity_prompt or "Was the opportunity known or available?"
        tally.missing.append(Missing("opportunity", item_id, f"{item_id}: confirm: {prompt}"))
        return False
    return answer.opportunity_known


def _percentage(points: Fraction, maximum: Fraction, decimals: int) -> float | None:
    return round_half_up(100 * points / maximum, decimals) if maximum else None


def _conclude(checklist: Checklist, applicability: dict[str, bool | None], tally: _Tally) -> ReviewResult:
    grading = checklist.spec.grading
    decimals = grading.score_decimals
    score = _percentage(tally.points, tally.max_points, decimals)
    subscores = {sid: _percentage(tally.sub_points[sid], tally.sub_max[sid], decimals) for sid in tally.sub_points}
    lists = tally.lists
    reasons = _ungradable_reasons(checklist, len(lists["scored"]), len(lists["not_recorded"]))
    base = band_for(checklist, score)
    subgrades = {sid: _band_id(band_for(checklist, value)) for sid, value in subscores.items()}
    draft = ReviewResult(
        applicability=applicability,
        scored_items=tuple(lists["scored"]),
        points=float(tally.points),
        max_points=float(tally.max_points),
        score=score,
        subscores=subscores,
        critical_failures=tuple(lists["critical"]),
        mmo=tuple(lists["mmo"]),
        notable_practice=tuple(lists["notable"]),
        not_recorded=tuple(lists["not_recorded"]),
        na_overrides=tuple(lists["na_overrides"]),
        answered_not_applicable=tuple(lists["answered_not_applicable"]),
        max_weight_not_met=tuple(lists["max_weight_not_met"]),
        ungradable_reasons=reasons,
        base_grade=_band_id(base),
        grade=None,
        grade_label="",
        caps_applied=(),
        subgrades=subgrades,
        show_subgrades=_subgrades_apart(checklist, subgrades),
        needs_moderation=None,
        missing=tuple(tally.missing),
        warnings=tuple(tally.warnings),
    )
    metrics = draft.metrics()
    grade, label, caps = _final_grade(checklist, base, reasons, metrics)
    moderation = _evaluate(checklist.moderation, metrics) if checklist.moderation else False
    return replace(draft, grade=grade, grade_label=label, caps_applied=caps, needs_moderation=moderation)


def _band_id(band: Band | None) -> str | None:
    return band.id if band else None


def _ungradable_reasons(checklist: Checklist, scored: int, not_recorded: int) -> tuple[str, ...]:
    rule = checklist.spec.grading.gradability
    reasons = []
    if scored < rule.min_applicable:
        reasons.append(f"only {scored} items could be scored; at least {rule.min_applicable} are needed")
    if scored and Fraction(not_recorded, scored) > Fraction(str(rule.max_not_recorded_share)):
        share = f"{round(100 * rule.max_not_recorded_share)}%"
        reasons.append(f"{not_recorded} of {scored} scored items are Not recorded (more than {share})")
    return tuple(reasons)


def _final_grade(
    checklist: Checklist, base: Band | None, reasons: tuple[str, ...], metrics: Mapping[str, Any]
) -> tuple[str | None, str, tuple[str, ...]]:
    grading = checklist.spec.grading
    if reasons:
        return UNGRADABLE, grading.gradability.label, ()
    if base is None:
        return None, "", ()
    bands = _ordered_bands(checklist)
    rank = {band.id: index for index, band in enumerate(bands)}
    final = rank[base.id]
    applied = []
    for cap, expression in zip(grading.caps, checklist.caps):
        if _evaluate(expression, metrics) and rank[cap.at_most] < rank[base.id]:
            final = min(final, rank[cap.at_most])
            applied.append(cap.reason)
    return bands[final].id, bands[final].label, tuple(applied)


def _subgrades_apart(checklist: Checklist, subgrades: Mapping[str, str | None]) -> bool:
    rank = {band.id: index for index, band in enumerate(_ordered_bands(checklist))}
    ranks = [rank[g] for g in subgrades.values() if g is not None]
    return len(ranks) >= 2 and max(ranks) - min(ranks) >= checklist.spec.grading.subgrade_gap


def grade_label(checklist: Checklist, grade: str | None) -> str:
    """The label of a grade id (a band id or ``ungradable``)."""
    if grade == UNGRADABLE:
        return checklist.spec.grading.gradability.label
    return next((b.label for b in checklist.spec.grading.bands if b.id == grade), "")


# --------------------------------------------------------------------------------------------
# Frozen copies of the Checklist and Expression methods used above, as they were before the
# optimisation (they read only the checklist's data and the expressions' syntax trees).


def _scale_of(checklist: Checklist, item_id: str) -> Scale:
    return checklist.scales[checklist.items[item_id].scale]


def _answer(checklist: Checklist, item_id: str, code: str) -> ScaleAnswer | None:
    return next((a for a in _scale_of(checklist, item_id).answers if a.code == code), None)


def _max_points(checklist: Checklist, item_id: str) -> float:
    return max(a.points for a in _scale_of(checklist, item_id).answers if a.points is not None)


def _note_required(checklist: Checklist, item_id: str, code: str) -> bool:
    item = checklist.items[item_id]
    if checklist.spec.critical_items_need_note and item.critical != "never":
        return True
    if item.note_required_for is not None:
        return code in item.note_required_for
    answer = _answer(checklist, item_id, code)
    return bool(answer and answer.note_required)


def _mmo_allowed(checklist: Checklist, item_id: str) -> bool:
    item = checklist.items[item_id]
    return item.mmo_allowed if item.mmo_allowed is not None else checklist.section_of[item_id].mmo_allowed


def _max_weight(checklist: Checklist) -> int:
    return max(item.weight for item in checklist.items.values())


def _parameter_values(checklist: Checklist, overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    values = {p.id: p.default for p in checklist.spec.parameters}
    values.update(overrides or {})
    return values


def _field_applicability(checklist: Checklist, profile: Mapping[str, Any], parameters: Mapping[str, float] | None = None) -> dict[str, bool | None]:
    return _profile_environment(checklist, profile, parameters)[1]


def _profile_environment(checklist: Checklist, profile: Mapping[str, Any], parameters: Mapping[str, float] | None) -> tuple[dict[str, Any], dict[str, bool | None]]:
    env: dict[str, Any] = dict(_parameter_values(checklist, parameters))
    applies: dict[str, bool | None] = {}
    for profile_field in checklist.spec.profile:
        condition = checklist.field_applies.get(profile_field.id)
        applies[profile_field.id] = True if condition is None else _evaluate(condition, env)
        if applies[profile_field.id] is False:
            env[profile_field.id] = "no" if profile_field.type == "yesno" else None
        else:
            env[profile_field.id] = profile.get(profile_field.id)
    return env, applies


def _environment(checklist: Checklist, profile: Mapping[str, Any], parameters: Mapping[str, float] | None = None) -> dict[str, Any]:
    env = _profile_environment(checklist, profile, parameters)[0]
    for derived_id, expression in checklist.derived:
        env[derived_id] = _evaluate(expression, env)
    return env


def _evaluate(expression: ex.Expression, env: Mapping[str, Any]) -> Any:
    value = _Evaluator(env).eval(expression._tree)
    if expression.type.kind == ex.YESNO:
        return _truth(value)
    return value


def _unknown_names(expression: ex.Expression, env: Mapping[str, Any]) -> list[str]:
    return sorted(n for n in expression.names if env.get(n) is None)


_CONSTANT_NAMES = {"true": True, "false": False, "True": True, "False": False}
_FUNCTIONS = {"days": 86400.0, "hours": 3600.0}


def _truth(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value == "yes"
    return bool(value)


class _Evaluator:
    """Evaluates a type-checked tree with three-valued logic."""

    def __init__(self, env: Mapping[str, Any]):
        self.env = env

    def eval(self, node: ast.expr) -> Any:
        return getattr(self, "_eval_" + type(node).__name__)(node)

    def _eval_Name(self, node: ast.Name) -> Any:
        if node.id in _CONSTANT_NAMES:
            return _CONSTANT_NAMES[node.id]
        return self.env.get(node.id)

    def _eval_Constant(self, node: ast.Constant) -> Any:
        return node.value

    def _eval_List(self, node: ast.List | ast.Tuple) -> list[Any]:
        return [self.eval(element) for element in node.elts]

    _eval_Tuple = _eval_List

    def _eval_BoolOp(self, node: ast.BoolOp) -> bool | None:
        decisive = isinstance(node.op, ast.Or)
        unknown = False
        for operand in node.values:
            value = _truth(self.eval(operand))
            if value is None:
                unknown = True
            elif value is decisive:
                return decisive
        return None if unknown else not decisive

    def _eval_UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self.eval(node.operand)
        if value is None:
            return None
        if isinstance(node.op, ast.Not):
            return not _truth(value)
        return -value

    def _eval_BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.eval(node.left), self.eval(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Add):
            return left + right
        return left - right

    def _eval_Call(self, node: ast.Call) -> float | None:
        duration = self.eval(node.args[0])
        if duration is None:
            return None
        assert isinstance(node.func, ast.Name) and isinstance(duration, dt.timedelta)
        return duration.total_seconds() / _FUNCTIONS[node.func.id]

    def _eval_Compare(self, node: ast.Compare) -> bool | None:
        left, right = self.eval(node.left), self.eval(node.comparators[0])
        if left is None or right is None:
            return None
        op = node.ops[0]
        if isinstance(op, ast.In):
            return left in right
        if isinstance(op, ast.NotIn):
            return left not in right
        if isinstance(op, ast.Eq):
            return left == right
        if isinstance(op, ast.NotEq):
            return left != right
        if isinstance(op, ast.Lt):
            return left < right
        if isinstance(op, ast.LtE):
            return left <= right
        if isinstance(op, ast.Gt):
            return left > right
        return left >= right
