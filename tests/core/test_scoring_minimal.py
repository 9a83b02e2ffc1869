"""Scoring edge cases on the small test checklist (tests/checklists/minimal.yaml).

In that checklist, with PROFILE below, three items apply: A1 (weight 1), A2 (weight 3, critical
when a known opportunity is missed in a burglary) and B1 (weight 2, always critical). Maximum
points = 2 × (1 + 3 + 2) = 12. Bands: Inadequate < 50 ≤ Adequate < 80 ≤ Good ≤ 100.
Every expected value below is worked out by hand from those numbers.
"""

import datetime as dt

import pytest

from audit_app.core.checklist import load_checklist
from audit_app.core.records import Answer
from audit_app.core.scoring import UNGRADABLE, answer_problems, round_half_up, score_review

PROFILE = {
    "offence_group": "burglary",
    "outcome_type": 18,
    "video": "yes",
    "reported": dt.date(2025, 1, 1),
    "allocated": dt.date(2025, 1, 5),
}
NOTE = "Log 12, 03/01/2025"


@pytest.fixture(scope="module")
def checklist():
    from conftest import TEST_CHECKLISTS

    return load_checklist(TEST_CHECKLISTS / "minimal.yaml")


def answers(**codes):
    return {item: Answer(code, note=NOTE) for item, code in codes.items()}


@pytest.mark.parametrize(
    "codes, score, grade, critical, ungradable",
    [
        # all Met: 12/12
        ({"A1": "M", "A2": "M", "B1": "M"}, 100.0, "good", (), False),
        # A1 partly: (1 + 6 + 4) / 12 = 91.666… → 91.7
        ({"A1": "P", "A2": "M", "B1": "M"}, 91.7, "good", (), False),
        # one critical failure (B1 Not met, always critical): 8/12 = 66.7, capped at Adequate (no change)
        ({"A1": "M", "A2": "M", "B1": "N"}, 66.7, "adequate", ("B1",), False),
        # Not recorded on an always-critical item is a critical failure too: 8/12
        ({"A1": "M", "A2": "M", "B1": "NR"}, 66.7, "adequate", ("B1",), False),
        # all Not applicable (overrides): nothing scored → ungradable
        ({"A1": "NA", "A2": "NA", "B1": "NA"}, None, UNGRADABLE, (), True),
        # all Not recorded: 0/12, and 3 of 3 Not recorded > 50% → ungradable
        ({"A1": "NR", "A2": "NR", "B1": "NR"}, 0.0, UNGRADABLE, ("B1",), True),
        # one scored item is below the minimum of 2 → ungradable
        ({"A1": "M", "A2": "NA", "B1": "NA"}, 100.0, UNGRADABLE, (), True),
    ],
)
def test_edge_cases(checklist, codes, score, grade, critical, ungradable):
    result = score_review(checklist, PROFILE, answers(**codes))
    assert result.score == score
    assert result.grade == grade
    assert result.critical_failures == critical
    assert result.gradable is not ungradable
    assert result.complete


def test_two_critical_failures_make_it_inadequate(checklist):
    given = answers(A1="M", B1="N") | {"A2": Answer("N", note=NOTE, opportunity_known=True)}
    result = score_review(checklist, PROFILE, given)
    assert result.critical_failures == ("A2", "B1")
    assert result.score == 16.7  # 2/12
    assert result.grade == "inadequate"
    assert result.needs_moderation is True


def test_mmo_caps_the_grade_at_inadequate(checklist):
    given = answers(A1="M", B1="M") | {"A2": Answer("P", note=NOTE, mmo=True)}
    result = score_review(checklist, PROFILE, given)
    assert result.score == 75.0  # (2 + 3 + 4) / 12
    assert result.base_grade == "adequate"
    assert result.grade == "inadequate"
    assert result.mmo == ("A2",)
    assert result.caps_applied == ("Two critical failures or an MMO.",)


def test_cap_that_would_not_lower_the_grade_is_not_reported(checklist):
    result = score_review(checklist, PROFILE, answers(A1="M", A2="M", B1="N"))
    assert result.base_grade == "adequate" and result.grade == "adequate"
    assert result.caps_applied == ()


def test_known_opportunity_item_needs_confirmation_before_it_counts(checklist):
    given = answers(A1="M", B1="M") | {"A2": Answer("N", note=NOTE)}
    result = score_review(checklist, PROFILE, given)
    assert result.critical_failures == ()
    assert [(m.kind, m.target) for m in result.missing] == [("opportunity", "A2")]
    assert "Was footage known to exist?" in result.missing[0].message
    assert not result.complete


def test_known_opportunity_declined_by_reviewer_is_not_critical(checklist):
    given = answers(A1="M", B1="M") | {"A2": Answer("N", note=NOTE, opportunity_known=False)}
    assert score_review(checklist, PROFILE, given).critical_failures == ()


def test_critical_when_false_makes_not_met_non_critical(checklist):
    robbery = PROFILE | {"offence_group": "robbery"}
    given = answers(A1="M", B1="M") | {"A2": Answer("N", note=NOTE, opportunity_known=True)}
    result = score_review(checklist, robbery, given)
    assert result.critical_failures == ()
    assert result.complete


def test_profile_decides_applicability(checklist):
    no_video = PROFILE | {"video": "no"}
    result = score_review(checklist, no_video, answers(A1="M", B1="M"))
    assert result.applicability == {"A1": True, "A2": False, "B1": True}
    assert result.scored_items == ("A1", "B1")
    assert result.max_points == 6


def test_item_answered_then_made_inapplicable_is_reported_not_dropped(checklist):
    result = score_review(checklist, PROFILE | {"video": "no"}, answers(A1="M", A2="N", B1="M"))
    assert result.answered_not_applicable == ("A2",)
    assert "A2" not in result.scored_items


def test_empty_profile_lists_what_to_record(checklist):
    result = score_review(checklist, {}, {})
    kinds = [(m.kind, m.target) for m in result.missing]
    assert ("profile", "offence_group") in kinds and ("profile", "video") in kinds
    assert ("profile", "outcome_type") not in kinds  # not required
    assert result.applicability == {"A1": True, "A2": None, "B1": None}
    applicability = [m for m in result.missing if m.kind == "applicability"]
    assert [m.target for m in applicability] == ["A2", "B1"]
    assert "'Possible video'" in applicability[0].message
    assert ("answer", "A1") in kinds


def test_required_note_is_missing_until_written(checklist):
    given = answers(A1="M", A2="M") | {"B1": Answer("M")}  # B1 is critical: every answer needs a note
    given["A1"] = Answer("P")
    result = score_review(checklist, PROFILE, given)
    assert [(m.kind, m.target) for m in result.missing] == [("note", "A1")]


def test_invalid_answers_are_refused(checklist):
    assert answer_problems(checklist, "A1", Answer("X")) == ["A1: answer 'X' is not on its scale (M, P, N, NR, NA)"]
    assert answer_problems(checklist, "B1", Answer("M", mmo=True)) == [
        "B1: a material missed opportunity cannot be raised on this item"
    ]
    assert answer_problems(checklist, "Z9", Answer("M")) == ["unknown item 'Z9'"]
    with pytest.raises(ValueError):
        score_review(checklist, PROFILE, {"A1": Answer("X")})


def test_moderation_rule_comes_from_the_checklist(checklist):
    assert score_review(checklist, PROFILE, answers(A1="M", A2="M", B1="M")).needs_moderation is False
    assert score_review(checklist, PROFILE, answers(A1="M", A2="M", B1="N")).needs_moderation is True


@pytest.mark.parametrize(
    "numerator, denominator, decimals, expected",
    [(10200, 132, 1, 77.3), (1, 8, 2, 0.13), (5, 8, 0, 1.0), (77_25, 100_00, 1, 0.8), (7725, 100, 1, 77.3)],
)
def test_round_half_up(numerator, denominator, decimals, expected):
    from fractions import Fraction

    assert round_half_up(Fraction(numerator, denominator), decimals) == expected
