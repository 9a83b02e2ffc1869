"""Scoring with the bundled neighbourhood-crime checklist and the brief's grading rules (§10).

Expected figures are worked out by hand from the brief's item table (§9.3/9.5): weights,
applicability and criticality per item, the bands and the caps.
"""

import io

import pytest
from conftest import BUNDLED
from review_data import APPLICABLE, NOTE, PROFILE
from ruamel.yaml import YAML

from audit_app.core.checklist import load_checklist, parse_checklist
from audit_app.core.records import Answer
from audit_app.core.scoring import UNGRADABLE, score_review


@pytest.fixture(scope="module")
def checklist():
    return load_checklist(BUNDLED)


def all_met(**changes):
    answers = {item: Answer("M", note=NOTE) for item in APPLICABLE}
    answers.update(changes)
    return answers


def test_profile_makes_exactly_the_hand_counted_items_apply(checklist):
    result = score_review(checklist, PROFILE, all_met())
    assert [i for i, applies in result.applicability.items() if applies] == APPLICABLE
    assert result.max_points == 126
    assert result.complete, result.missing


def test_all_met_without_notable_practice_is_capped_at_good(checklist):
    result = score_review(checklist, PROFILE, all_met())
    assert result.score == 100.0
    assert result.base_grade == "outstanding"
    assert result.grade == "good"
    assert result.caps_applied == (
        "Outstanding needs no critical failure, every weight-3 item Met, and at least one notable practice.",
    )


def test_all_met_with_notable_practice_is_outstanding(checklist):
    result = score_review(checklist, PROFILE, all_met(D5=Answer("M", note=NOTE, notable=True)))
    assert result.grade == "outstanding" and result.grade_label == "Outstanding"
    assert result.needs_moderation is False


def test_missed_doorbell_footage_confirmed_as_mmo_makes_a_good_score_inadequate(checklist):
    """The brief's worked example, on this profile: D4 Not met, confirmed known, raised as an MMO."""
    partly = {item: Answer("P", note=NOTE) for item in "A2 B2 B4 C3 D1 D9 D12 F1 G1 I1 I2".split()}  # −18 points
    d4 = Answer("N", note="Neighbour's doorbell camera covered the drive (log 4); never requested; overwritten",
                opportunity_known=True, mmo=True)
    result = score_review(checklist, PROFILE, all_met(D4=d4, **partly))
    assert result.points == 102  # 126 − 18 − 6
    assert result.score == 81.0  # 102 / 126 = 80.95…
    assert result.base_grade == "good"
    assert result.critical_failures == ("D4",)
    assert result.mmo == ("D4",)
    assert result.grade == "inadequate"
    assert result.needs_moderation is True


def test_one_critical_failure_caps_at_requires_improvement(checklist):
    result = score_review(checklist, PROFILE, all_met(C1=Answer("N", note=NOTE)))
    assert result.score == 95.2  # 120 / 126
    assert result.critical_failures == ("C1",)
    assert result.grade == "requires_improvement"


def test_two_critical_failures_make_it_inadequate(checklist):
    result = score_review(checklist, PROFILE, all_met(C1=Answer("N", note=NOTE), H2=Answer("NR", note=NOTE)))
    assert result.score == 90.5  # 114 / 126
    assert result.critical_failures == ("C1", "H2")
    assert result.grade == "inadequate"


def test_unattended_burglary_is_critical_only_when_confirmed(checklist):
    a4 = Answer("N", note="No attendance, no reason recorded", opportunity_known=True)
    assert score_review(checklist, PROFILE, all_met(A4=a4)).critical_failures == ("A4",)
    robbery = PROFILE | {"offence_group": "robbery_personal"}
    # for a robbery, A4 Not met is not critical (critical_when: offence_group == 'burglary_residential')
    assert score_review(checklist, robbery, all_met(A4=a4)).critical_failures == ()


def test_many_not_recorded_answers_make_the_file_ungradable(checklist):
    # 8 of 30 Not recorded = 26.7% > 25%
    nr = {item: Answer("NR", note=NOTE) for item in "A1 A2 A3 B2 B3 B4 B5 D12".split()}
    result = score_review(checklist, PROFILE, all_met(**nr))
    assert result.grade == UNGRADABLE
    assert result.grade_label == "Ungradable - record insufficient"
    assert result.ungradable_reasons == ("8 of 30 scored items are Not recorded (more than 25%)",)
    assert result.needs_moderation is True
    # 7 of 30 (23.3%) is still gradable
    del nr["D12"]
    assert score_review(checklist, PROFILE, all_met(**nr)).gradable


def test_weak_victim_service_is_shown_beside_a_strong_investigation(checklist):
    victim_items = "A3 B1 B2 B3 B4 B5 G1 G2 H4".split()  # the VIC items in APPLICABLE: weights 2+3+2+1+1+1+2+3+2 = 17, max 34
    answers = all_met(**{item: Answer("N", note=NOTE) for item in victim_items})
    answers["B1"] = Answer("M", note=NOTE)  # keep B1 (always critical) Met: 6 of 34 → 17.6
    result = score_review(checklist, PROFILE, answers)
    assert result.subscores == {"INV": 100.0, "VIC": 17.6}
    assert result.subgrades == {"INV": "outstanding", "VIC": "inadequate"}
    assert result.show_subgrades


def test_brief_worked_example_arithmetic_with_thirty_items_of_weight_66():
    """§10 worked example exactly: 30 applicable items, total weight 66, 102 of 132 points → S = 77.3
    (Adequate); D4 Not met, confirmed, and an MMO → Inadequate. Built on the bundled grading rules."""
    yaml = YAML(typ="rt")
    data = yaml.load(BUNDLED.read_text(encoding="utf-8"))
    template = data["sections"][3]["items"][3]  # D4: weight 3, critical on a known opportunity
    weights = [3] * 8 + [2] * 20 + [1] * 2  # 2a + b = 36 with a + b + c = 30 → weight 66
    items = []
    for index, weight in enumerate(weights):
        item = dict(template) if index == 0 else {k: v for k, v in template.items() if k not in ("critical", "opportunity_prompt")}
        item.update(id="D4" if index == 0 else f"X{index}", weight=weight, applies_when=None)
        del item["applies_when"]
        items.append(item)
    data["sections"] = [{"id": "D", "title": "Lines of inquiry", "mmo_allowed": True, "items": items}]
    stream = io.StringIO()
    yaml.dump(data, stream)
    checklist = parse_checklist(stream.getvalue(), "worked-example.yaml")

    answers = {item["id"]: Answer("M", note=NOTE) for item in items}
    answers["D4"] = Answer("N", note=NOTE, opportunity_known=True, mmo=True)  # −6
    twos = [item["id"] for item in items if item["weight"] == 2]
    answers.update({i: Answer("P", note=NOTE) for i in twos[:12]})  # 12 × weight 2 × 1 point = −24
    result = score_review(checklist, PROFILE, answers)
    assert len(result.scored_items) == 30 and result.max_points == 132 and result.points == 102
    assert result.score == 77.3
    assert result.base_grade == "adequate"
    assert result.grade == "inadequate"
    assert result.critical_failures == ("D4",) and result.mmo == ("D4",)
