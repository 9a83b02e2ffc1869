"""The scoring engine gives exactly what it gave before it was optimised.

``scoring_reference`` is the pre-optimisation implementation, kept as an oracle. Every review
here, random ones from hypothesis and a fixed corpus of seeded ones, is scored by both, and the
results must be equal field by field: as dataclasses (``==``) and in a stricter form that also
compares the types of values, the order of mappings and the bits of floats. Answers that are not
valid must raise the same exception with the same message.

The checklists: the bundled one, the minimal test one, and variants of both with fractional
points (including ones that are not exact in binary, such as 0.1), other weights, other score
decimals, notes required on critical items, per-item note and MMO rules and other bands, and
one whose scores often fall exactly half-way between two roundings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import random
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import pytest
import scoring_reference as reference
from conftest import BUNDLED, TEST_CHECKLISTS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from audit_app.core import expressions as ex
from audit_app.core import scoring
from audit_app.core.checklist import Checklist, parse_checklist
from audit_app.core.records import Answer


def _yaml(path: Any) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def _parse(data: Any, name: str) -> Checklist:
    stream = io.StringIO()
    YAML(typ="safe").dump(data, stream)
    return parse_checklist(stream.getvalue(), name)


def _minimal_fractions() -> Checklist:
    data = _yaml(TEST_CHECKLISTS / "minimal.yaml")
    data["critical_items_need_note"] = True
    scale = data["scales"][0]
    for answer, points in zip(scale["answers"], [2.5, 1.1, 0.1, 0, None]):
        answer["points"] = points
    items = [item for section in data["sections"] for item in section["items"]]
    for item, weight in zip(items, [7, 3, 5]):
        item["weight"] = weight
    items[0]["note_required_for"] = ["N", "NA"]
    items[1]["mmo_allowed"] = False
    items[2]["mmo_allowed"] = True
    grading = data["grading"]
    grading["score_decimals"] = 2
    grading["subgrade_gap"] = 1
    grading["gradability"]["max_not_recorded_share"] = 0.34
    grading["bands"] = [
        {"id": "inadequate", "label": "Inadequate", "min": 0, "max": 33.35},
        {"id": "adequate", "label": "Adequate", "min": 33.35, "max": 66.65},
        {"id": "good", "label": "Good", "min": 66.65, "max": 100},
    ]
    return _parse(data, "minimal-fractions.yaml")


def _minimal_ties() -> Checklist:
    """Scores that fall exactly half-way at one decimal where binary floats cannot say so (17.85 =
    100 × 357 / 2000 is 17.8499… or 17.8500…1 as a float): only exact arithmetic rounds them right."""
    data = _yaml(TEST_CHECKLISTS / "minimal.yaml")
    for answer, points in zip(data["scales"][0]["answers"], [20, 7, 3, 0, None]):
        answer["points"] = points
    items = [item for section in data["sections"] for item in section["items"]]
    for item, weight in zip(items, [51, 29, 20]):
        item["weight"] = weight
    return _parse(data, "minimal-ties.yaml")


def _bundled_fractions(decimals: int) -> Checklist:
    data = _yaml(BUNDLED)
    data["critical_items_need_note"] = decimals != 0
    for scale in data["scales"]:
        for answer in scale["answers"]:
            if answer["points"] is not None:
                answer["points"] = {2: 1.5 if scale["id"] == "YN" else 1, 1: 0.5, 0: 0}[answer["points"]]
                if answer["meaning"] == "not_met":
                    answer["points"] = 0.25 if scale["id"] == "MPN" else 0.1
    for index, item in enumerate(item for section in data["sections"] for item in section["items"]):
        if index % 5 == 0:
            item["weight"] = 4 if index % 2 else 3
    data["grading"]["score_decimals"] = decimals
    return _parse(data, f"bundled-fractions-{decimals}.yaml")


CHECKLISTS: dict[str, Callable[[], Checklist]] = {
    "bundled": lambda: parse_checklist(BUNDLED.read_bytes(), str(BUNDLED)),
    "minimal": lambda: parse_checklist((TEST_CHECKLISTS / "minimal.yaml").read_bytes(), "minimal.yaml"),
    "minimal-fractions": _minimal_fractions,
    "minimal-ties": _minimal_ties,
    "bundled-fractions-0": lambda: _bundled_fractions(0),
    "bundled-fractions-3": lambda: _bundled_fractions(3),
}
_LOADED: dict[str, Checklist] = {}


def checklist_named(name: str) -> Checklist:
    if name not in _LOADED:
        _LOADED[name] = CHECKLISTS[name]()
    return _LOADED[name]


# --------------------------------------------------------------------------------------------
# Random reviews


def _profile_value(rng: random.Random, field: Any, clock: list[dt.datetime]) -> Any:
    kind = field.type
    if kind == "choice":
        values = [v.value for v in field.values]
        return rng.choice(values) if rng.random() < 0.97 else rng.choice(["other", ""])
    if kind == "yesno":
        return rng.choice(["yes", "no", "unknown"] if rng.random() < 0.9 else ["", "yes"])
    if kind in ("date", "datetime"):
        if clock:  # a tidy profile: dates in the order of the fields (occurred, reported, recorded, allocated …)
            clock[0] += dt.timedelta(minutes=rng.randint(0, 2000))
            moment = clock[0]
        else:
            moment = dt.datetime(2025, 1, 10, 8) + dt.timedelta(minutes=rng.randint(-4000, 4000))
        return moment.date() if kind == "date" else moment
    if kind == "number":
        low = field.minimum if field.minimum is not None else -5
        high = field.maximum if field.maximum is not None else 60
        value = rng.uniform(low, high)
        return round(value) if field.integer or rng.random() < 0.5 else value
    return rng.choice(["", "Burglary dwelling", "x" * 30])


def random_profile(rng: random.Random, checklist: Checklist, tidy: bool = False) -> dict[str, Any]:
    """Random values, some absent or None; a tidy profile has every value, dates in order, and
    breaks no check of severity error (when a few tries find one)."""
    absent = 0.0 if tidy else rng.choice([0.0, 0.0, 0.05, 0.3])
    for _ in range(30 if tidy else 1):
        clock = [dt.datetime(2025, 1, 10, 8)] if tidy else []
        profile: dict[str, Any] = {}
        for field in checklist.spec.profile:
            roll = rng.random()
            if roll < absent:
                continue
            if roll < absent + 0.02 and not tidy:
                profile[field.id] = None
            else:
                profile[field.id] = _profile_value(rng, field, clock)
        env = reference._environment(checklist, profile)
        if not any(severity == "error" for _, severity in reference.broken_checks(checklist, env)):
            break
    if rng.random() < 0.1:
        profile["not_a_field"] = "ignored"
    return profile


def random_parameters(rng: random.Random, checklist: Checklist) -> dict[str, float] | None:
    roll = rng.random()
    if roll < 0.5 or not checklist.spec.parameters:
        return None
    if roll < 0.6:
        return {}
    parameter = rng.choice(checklist.spec.parameters)
    return {parameter.id: rng.choice([0, 1, 2.5, 12, 24, 48, 1000])}


def random_answers(rng: random.Random, checklist: Checklist, tidy: bool = False) -> dict[str, Answer]:
    unanswered = 0.0 if tidy else rng.choice([0.0, 0.0, 0.1, 0.4])
    met = rng.choice([0.3, 0.7, 0.95, 1.0])
    answers: dict[str, Answer] = {}
    for item_id, item in checklist.items.items():
        if rng.random() < unanswered:
            continue
        codes = [a.code for a in checklist.scales[item.scale].answers]
        met_codes = [a.code for a in checklist.scales[item.scale].answers if a.meaning == "met"]
        code = met_codes[0] if met_codes and rng.random() < met else rng.choice(codes)
        if item.critical == "on_known_opportunity" and rng.random() < 0.2:
            code = rng.choice([a.code for a in checklist.scales[item.scale].answers if a.meaning == "not_met"] or codes)
        mmo_allowed = reference._mmo_allowed(checklist, item_id)
        answers[item_id] = Answer(
            code,
            note="log 12, 03/01/2025" if tidy and rng.random() < 0.95 else rng.choice(["", "   ", "log 12, 03/01/2025"]),
            evidence=rng.choice(["", "log 4"]),
            opportunity_known=rng.choice([None, True, False]) if item.critical == "on_known_opportunity" else None,
            mmo=mmo_allowed and rng.random() < 0.08,
            notable=rng.random() < 0.1,
        )
    if rng.random() < 0.04:
        _spoil(rng, checklist, answers)
    return answers


def _spoil(rng: random.Random, checklist: Checklist, answers: dict[str, Answer]) -> None:
    """Make one answer invalid (unknown item, code not on the scale, MMO or confirmation not allowed)."""
    item_id = rng.choice(list(checklist.items))
    how = rng.choice(["item", "code", "mmo", "opportunity"])
    if how == "item":
        answers["ZZ99"] = Answer("M")
    elif how == "code":
        answers[item_id] = Answer(rng.choice(["Q", "m", ""]))
    elif how == "mmo":
        answers[item_id] = Answer("M", mmo=True, opportunity_known=rng.choice([None, True]))
    else:
        answers[item_id] = Answer("N", opportunity_known=True)


Case = tuple[dict[str, Any], dict[str, Answer], dict[str, float] | None]


def random_case(rng: random.Random, checklist: Checklist) -> Case:
    tidy = rng.random() < 0.4  # most real reviews are nearly complete
    return random_profile(rng, checklist, tidy), random_answers(rng, checklist, tidy), random_parameters(rng, checklist)


# --------------------------------------------------------------------------------------------
# Comparison


def _outcome(function: Callable[..., Any], checklist: Checklist, case: Case) -> tuple[Any, ...]:
    profile, answers, parameters = case
    try:
        return ("result", function(checklist, profile, answers, parameters))
    except Exception as exc:  # the same exception, with the same message, is part of the same result
        return ("error", type(exc), str(exc))


def strict(value: Any) -> Any:
    """A form of ``value`` that differs whenever a type, an order or a float's bits differ."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, tuple((f.name, strict(getattr(value, f.name))) for f in dataclasses.fields(value)))
    if isinstance(value, Mapping):
        return ("mapping", tuple((strict(k), strict(v)) for k, v in value.items()))
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, tuple(strict(v) for v in value))
    if isinstance(value, float):
        return ("float", value.hex())
    return (type(value).__name__, value)


def as_live(result: reference.ReviewResult) -> scoring.ReviewResult:
    """The oracle's result as the live module's classes, for dataclass equality."""
    def missing(entries: tuple[reference.Missing, ...]) -> tuple[scoring.Missing, ...]:
        return tuple(scoring.Missing(**dataclasses.asdict(m)) for m in entries)

    values = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
    values["missing"], values["warnings"] = missing(result.missing), missing(result.warnings)
    return scoring.ReviewResult(**values)


def assert_same(checklist: Checklist, case: Case) -> tuple[Any, ...]:
    expected = _outcome(reference.score_review, checklist, case)
    actual = _outcome(scoring.score_review, checklist, case)
    if expected[0] == "error" or actual[0] == "error":
        assert actual == expected
        return expected
    old, new = expected[1], actual[1]
    assert [f.name for f in dataclasses.fields(new)] == [f.name for f in dataclasses.fields(old)]
    assert new == as_live(old)
    assert strict(new) == strict(old)
    assert strict(new.metrics()) == strict(old.metrics())
    assert (new.gradable, new.complete) == (old.gradable, old.complete)
    assert [(m.group, m.field) for m in new.missing + new.warnings] == [(m.group, m.field) for m in old.missing + old.warnings]
    return expected


# --------------------------------------------------------------------------------------------
# Tests

CORPUS_SIZE = 300  # seeded reviews per checklist


@pytest.mark.parametrize("name", list(CHECKLISTS))
def test_fixed_corpus_scores_exactly_as_before(name):
    checklist = checklist_named(name)
    rng = random.Random(f"scoring-equivalence-{name}")
    seen: Counter[str] = Counter()
    for _ in range(CORPUS_SIZE):
        outcome = assert_same(checklist, random_case(rng, checklist))
        if outcome[0] == "error":
            seen["error"] += 1
            continue
        result = outcome[1]
        seen["scored" if result.score is not None else "no score"] += 1
        seen["ungradable" if not result.gradable else "graded"] += 1
        seen["critical"] += bool(result.critical_failures)
        seen["capped"] += bool(result.caps_applied)
        seen["complete"] += result.complete
        seen["not applicable answered"] += bool(result.answered_not_applicable or result.na_overrides)
        seen["moderation"] += bool(result.needs_moderation)
        seen["warnings"] += bool(result.warnings)
        seen["apart"] += result.show_subgrades
        for entry in result.missing:
            seen["missing " + entry.kind] += 1
    # the corpus reaches the parts of the engine that matter, not only one kind of review
    wanted = ["error", "scored", "graded", "ungradable", "critical", "capped", "complete", "not applicable answered",
              "moderation", "missing answer", "missing note", "missing opportunity"]
    if name.startswith("bundled"):
        wanted += ["missing profile", "missing applicability", "missing check", "warnings"]
    assert [kind for kind in wanted if not seen[kind]] == [], seen


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(list(CHECKLISTS)), st.randoms(use_true_random=False))
def test_random_reviews_score_exactly_as_before(name, rng):
    checklist = checklist_named(name)
    assert_same(checklist, random_case(rng, checklist))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(list(CHECKLISTS)), st.data())
def test_drawn_answers_score_exactly_as_before(name, data):
    """Answers drawn value by value (hypothesis shrinks these to the smallest differing review)."""
    checklist = checklist_named(name)
    profile = random_profile(random.Random(data.draw(st.integers(0, 10**6), label="profile seed")), checklist)
    answers: dict[str, Answer] = {}
    for item_id, item in checklist.items.items():
        codes = [a.code for a in checklist.scales[item.scale].answers]
        code = data.draw(st.none() | st.sampled_from(codes), label=item_id)
        if code is None:
            continue
        answers[item_id] = Answer(
            code,
            note=data.draw(st.sampled_from(["", " ", "log 1"])),
            opportunity_known=data.draw(st.sampled_from([None, True, False])) if item.critical == "on_known_opportunity" else None,
            mmo=reference._mmo_allowed(checklist, item_id) and data.draw(st.booleans()),
            notable=data.draw(st.booleans()),
        )
    assert_same(checklist, (profile, answers, None))


def test_the_oracle_agrees_with_the_hand_worked_example():
    """The oracle itself is right: the bundled checklist's worked example (see test_scoring_neighbourhood)."""
    from review_data import APPLICABLE, NOTE, PROFILE

    checklist = checklist_named("bundled")
    answers = {item: Answer("M", note=NOTE) for item in APPLICABLE}
    answers.update({item: Answer("P", note=NOTE) for item in "A2 B2 B4 C3 D1 D9 D12 F1 G1 I1 I2".split()})
    answers["D4"] = Answer("N", note="log 4", opportunity_known=True, mmo=True)
    result = assert_same(checklist, (PROFILE, answers, None))[1]
    assert (result.points, result.score, result.grade) == (102, 81.0, "inadequate")


# --------------------------------------------------------------------------------------------
# Expressions: evaluated by compiled closures now, by the tree walker before (kept in the oracle)

SYMBOLS = {
    "n": ex.NUMBER_TYPE, "m": ex.NUMBER_TYPE, "txt": ex.ValueType(ex.TEXT), "y": ex.YESNO_TYPE, "flag": ex.BOOL_TYPE,
    "c": ex.choice_type(("a", "b", "c")), "k": ex.choice_type((1, 2, 3)),
    "d1": ex.ValueType(ex.DATE), "d2": ex.ValueType(ex.DATE), "t1": ex.ValueType(ex.DATETIME), "t2": ex.ValueType(ex.DATETIME),
}
TEXTS = [
    ("n + m > 3", True), ("n - m <= -2", True), ("-n < m", True), ("3 < n", True), ("n >= 2.5", True), ("n == m", True),
    ("k in [1, 2]", True), ("k not in [1, 3]", True), ("c in ['a', 'b'] or y", True), ("c not in ['c']", True),
    ("not y and c != 'a'", True), ("'a' == c", True), ("k == 2", True), ("k != 3", True), ("n in [-m, 2]", True),
    ("days(d2 - d1) >= 1", True), ("hours(t2 - t1) < 24.5", True), ("days(d2 - d1) > n", True),
    ("true or y", True), ("false and n > 1", True), ("not (y or flag)", True), ("flag == true", True), ("y == 'yes'", True),
    ("txt == 'x'", True), ("y", True), ("flag", True), ("not y", True), ("n > m and (y or not flag)", True),
    ("y or flag or c == 'b' or k in [3]", True), ("not not not y", True), ("(n - 1) + (m + 2) < n", True),
    ("n + 1", False), ("d2 - d1", False), ("-n", False), ("[1, 2]", False), ("['a', 'b']", False), ("[-m, 1]", False),
    ("y", False), ("c", False), ("k", False), ("hours(t2 - t1)", False), ("txt", False),
    ("not " * 70 + "y", True),  # deeper than the compiled limit: walked, as before
]


def _value_of(draw: Any, name: str) -> Any:
    right = {
        "n": st.integers(-5, 5) | st.floats(-5, 5, allow_nan=False), "m": st.integers(-5, 5),
        "txt": st.sampled_from(["x", "y", ""]), "y": st.sampled_from(["yes", "no", "unknown", ""]), "flag": st.booleans(),
        "c": st.sampled_from(["a", "b", "c", "z"]), "k": st.sampled_from([1, 2, 3, 2.0]),
        "d1": st.dates(dt.date(2025, 1, 1), dt.date(2025, 1, 9)), "d2": st.dates(dt.date(2025, 1, 1), dt.date(2025, 1, 9)),
        "t1": st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2025, 1, 3)),
        "t2": st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2025, 1, 3)),
    }[name]
    wrong = st.sampled_from(["yes", 7, 1.5, True, dt.date(2025, 1, 1), [1], ()])
    return draw(st.one_of(right, right, right, st.none(), wrong), label=name)


def _evaluated(function: Callable[[Any, Any], Any], expression: ex.Expression, env: dict[str, Any]) -> Any:
    try:
        return ("value", strict(function(expression, env)))
    except Exception as exc:
        return ("error", type(exc), str(exc))


COMPILED = [ex.compile_expression(text, SYMBOLS, expect_bool=expect_bool) for text, expect_bool in TEXTS]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_expressions_evaluate_exactly_as_the_tree_walker(data):
    env = {name: _value_of(data.draw, name) for name in SYMBOLS}
    for name in list(env):
        if data.draw(st.integers(0, 9), label=f"drop {name}") == 0:
            del env[name]
    for expression in COMPILED:
        assert _evaluated(lambda e, v: e.evaluate(v), expression, env) == _evaluated(reference._evaluate, expression, env), \
            expression.text


def test_checklist_expressions_evaluate_exactly_as_the_tree_walker():
    """Every expression of the test checklists, on the corpus's environments and its metrics."""
    rng = random.Random("expressions")
    for name in CHECKLISTS:
        checklist = checklist_named(name)
        expressions = [e for e in [*checklist.applies.values(), *checklist.critical_when.values(), *checklist.field_applies.values(),
                                   *checklist.caps, checklist.moderation] if e is not None]
        expressions += [e for _, e in checklist.checks] + [e for _, e in checklist.derived]
        for _ in range(100):
            profile, answers, parameters = random_case(rng, checklist)
            env = reference._environment(checklist, profile, parameters)
            assert checklist.environment(profile, parameters) == env
            assert checklist.field_applicability(profile, parameters) == reference._field_applicability(checklist, profile, parameters)
            outcome = _outcome(reference.score_review, checklist, (profile, answers, parameters))
            metrics = outcome[1].metrics() if outcome[0] == "result" else {}
            for expression in expressions:
                for names in (env, metrics):
                    assert _evaluated(lambda e, v: e.evaluate(v), expression, names) == \
                        _evaluated(reference._evaluate, expression, names), expression.text


def test_compiled_expressions_still_pickle_and_copy():
    import copy
    import pickle

    checklist = checklist_named("bundled")
    before = scoring.score_review(checklist, {}, {})
    for clone in (pickle.loads(pickle.dumps(checklist)), copy.deepcopy(checklist)):
        assert clone == checklist
        assert scoring.score_review(clone, {}, {}) == before
    for expression in COMPILED:
        clone = pickle.loads(pickle.dumps(expression))
        assert clone == expression and clone.evaluate({"y": "yes", "n": 1, "m": 2}) == expression.evaluate({"y": "yes", "n": 1, "m": 2})
