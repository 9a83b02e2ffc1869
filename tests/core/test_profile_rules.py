"""The profile's rules: cross-field checks, questions that apply only after earlier answers,
values prefilled from the population, and messages that name a field by its label.

The checklist is tests/checklists/minimal.yaml with the additions written out below, so that each
expectation can be read beside the rule it tests.
"""

import datetime as dt

import pytest
from conftest import TEST_CHECKLISTS

from audit_app.core import profile as profile_values
from audit_app.core.checklist import load_checklist, parse_checklist
from audit_app.core.records import Answer
from audit_app.core.scoring import grouped_missing, score_review
from audit_app.errors import ChecklistError

MINIMAL = (TEST_CHECKLISTS / "minimal.yaml").read_text(encoding="utf-8")
# A suspect question that applies only when there is a suspect, and two checks: one an error, one a warning.
RULES = MINIMAL.replace(
    "  - {id: video, label: Possible video, type: yesno}\n",
    "  - {id: video, label: Possible video, type: yesno}\n"
    "  - id: suspect\n    label: Suspect status\n    type: choice\n"
    "    values: [{value: none, label: No suspect}, {value: named, label: Named}]\n"
    "  - {id: arrested, label: Suspect arrested, type: yesno, applies_when: suspect != 'none'}\n"
    "  - {id: arrest_date, label: Date of arrest, type: date, applies_when: arrested}\n",
).replace(
    "sections:\n",
    "checks:\n"
    "  - {id: allocated_after_reported, expression: allocated >= reported, message: Allocated is before Reported.}\n"
    "  - {id: arrest_after_report, expression: arrest_date >= reported, message: Arrest is before the report., severity: warning}\n"
    "sections:\n",
    1,
)
PROFILE = {
    "offence_group": "burglary",
    "outcome_type": 18,
    "video": "yes",
    "suspect": "named",
    "arrested": "yes",
    "arrest_date": dt.date(2025, 1, 3),
    "reported": dt.date(2025, 1, 1),
    "allocated": dt.date(2025, 1, 5),
}
MET = {item: Answer("M", note="Log 12") for item in ("A1", "A2", "B1")}


@pytest.fixture(scope="module")
def checklist():
    return parse_checklist(RULES, "rules.yaml")


def test_the_rules_load_and_are_published_with_the_checklist(checklist):
    assert [c.id for c, _ in checklist.checks] == ["allocated_after_reported", "arrest_after_report"]
    shown = checklist.to_json()
    assert shown["checks"][1]["severity"] == "warning"
    assert {f["id"]: f.get("applies_when") for f in shown["profile"]}["arrested"] == "suspect != 'none'"


def test_a_complete_consistent_profile_has_nothing_missing(checklist):
    result = score_review(checklist, PROFILE, MET)
    assert result.missing == () and result.warnings == ()


def test_a_broken_check_is_missing_with_its_message_and_fields(checklist):
    result = score_review(checklist, {**PROFILE, "allocated": dt.date(2024, 12, 31)}, MET)
    assert [(m.kind, m.target, m.message, m.fields) for m in result.missing] == [
        ("check", "allocated_after_reported", "Allocated is before Reported.", ("reported", "allocated")),
    ]
    assert result.missing[0].field == "allocated"  # where the form shows it: under the last field it compares
    assert not result.complete


def test_a_warning_check_is_shown_but_does_not_block(checklist):
    result = score_review(checklist, {**PROFILE, "arrest_date": dt.date(2024, 12, 30)}, MET)
    assert result.missing == ()
    assert [(m.target, m.message) for m in result.warnings] == [("arrest_after_report", "Arrest is before the report.")]


def test_a_check_whose_inputs_are_not_all_recorded_does_not_fire(checklist):
    profile = {**PROFILE, "allocated": None}
    result = score_review(checklist, profile, MET)
    # allocated is optional: only B1 (which uses it) waits for it, and so does the check
    assert [(m.kind, m.target) for m in result.missing] == [("applicability", "B1")]


def test_a_question_that_does_not_apply_is_not_required_and_its_value_is_ignored(checklist):
    # No suspect: "arrested" does not apply, so neither does the date of arrest (arrested counts as "no").
    profile = {**PROFILE, "suspect": "none", "arrested": None, "arrest_date": None}
    assert checklist.field_applicability(profile) == {
        "offence_group": True, "outcome_type": True, "video": True, "suspect": True,
        "arrested": False, "arrest_date": False, "reported": True, "allocated": True,
    }
    assert score_review(checklist, profile, MET).missing == ()
    # A value recorded before the suspect went to "none" is kept but not used: the warning check
    # over the date of arrest does not fire.
    kept = {**PROFILE, "suspect": "none", "arrest_date": dt.date(2024, 12, 30)}
    env = checklist.environment(kept)
    assert env["arrested"] == "no" and env["arrest_date"] is None
    assert score_review(checklist, kept, MET).warnings == ()


def test_a_question_whose_condition_is_undecided_is_still_asked(checklist):
    profile = {**PROFILE, "suspect": None, "arrested": None, "arrest_date": None}
    assert checklist.field_applicability(profile)["arrested"] is None
    missing = score_review(checklist, profile, MET).missing
    # undecided is not "does not apply": both questions that hang on the suspect are still asked
    assert [(m.kind, m.target) for m in missing] == [("profile", "suspect"), ("profile", "arrested"), ("profile", "arrest_date")]


def test_the_missing_list_groups_by_kind_and_names_the_deciding_facts():
    checklist = load_checklist(TEST_CHECKLISTS / "minimal.yaml")
    profile = {"offence_group": "burglary", "outcome_type": 18, "reported": dt.date(2025, 1, 1)}
    answers = {"A1": Answer("N")}  # Not met without its required note
    result = score_review(checklist, profile, answers)
    groups = grouped_missing(result.missing)
    assert [(group, heading) for group, heading, _ in groups] == [("profile", "Profile facts"), ("note", "Notes")]
    facts = groups[0][2]
    assert [(m.kind, m.target) for m in facts] == [("profile", "video"), ("applicability", "A2"), ("applicability", "B1")]
    assert facts[1].message == "A2: record 'Possible video' to decide whether it applies."
    assert facts[1].fields == ("video",) and facts[1].field == "video"
    assert facts[2].fields == ("allocated",)
    assert [(m.target, m.field) for m in groups[1][2]] == [("A1", None)]


@pytest.mark.parametrize(
    "edit, expected",
    [
        # a check whose expression uses a field that does not exist
        ("  - {id: bad, expression: allocated >= reportd, message: M.}", "unknown field 'reportd'"),
        # a profile question that depends on a question below it
        ("", "'reported' is not defined before this field"),
    ],
)
def test_bad_rules_are_refused_with_file_line_and_column(edit, expected):
    if edit:
        text = MINIMAL.replace("sections:\n", "checks:\n" + edit + "\nsections:\n", 1)
        line = text.splitlines().index(edit) + 1
        column = edit.index("reportd") + 1
    else:
        old = "  - {id: video, label: Possible video, type: yesno}"
        new = old[:-1] + ", applies_when: reported >= reported}"
        text = MINIMAL.replace(old, new)
        line = text.splitlines().index(new) + 1
        column = new.index("reported >=") + 1
    with pytest.raises(ChecklistError) as caught:
        parse_checklist(text, "bad.yaml")
    assert [(p.file, p.line, p.column) for p in caught.value.problems] == [("bad.yaml", line, column)]
    assert expected in caught.value.problems[0].message


# -- values typed: messages name the field by its label


@pytest.mark.parametrize(
    "text, expected",
    [
        ("31/02/2025", "'31/02/2025' is not a date for 'Reported': February 2025 has no day 31"),
        ("tomorrow", "'tomorrow' is not a date for 'Reported' (use e.g. 15/01/2025 or 2025-01-15)"),
    ],
)
def test_a_date_that_is_not_one_is_refused_naming_the_label(checklist, text, expected):
    with pytest.raises(ValueError) as caught:
        profile_values.parse_value(checklist.fields["reported"], text)
    assert str(caught.value) == expected
    assert "reported" not in str(caught.value).replace("'Reported'", "")


def test_values_read_back_as_typed():
    field = load_checklist(TEST_CHECKLISTS / "minimal.yaml").fields["reported"]
    assert profile_values.to_text(dt.date(2025, 1, 5)) == "05/01/2025"
    assert profile_values.parse_value(field, profile_values.to_text(dt.date(2025, 1, 5))) == dt.date(2025, 1, 5)


# -- prefill from the population (the bundled checklist's offence group and recorded date)


@pytest.fixture(scope="module")
def bundled():
    from audit_app.paths import checklists_dir

    return load_checklist(checklists_dir() / "neighbourhood-crime.yaml")


@pytest.mark.parametrize(
    "population, expected",
    [
        # police.uk "Burglary" is residential or business: the reviewer decides
        ({"offence": "Burglary", "offence_group": "burglary", "month": "2025-01"}, {}),
        # a Home Office name settles it
        ({"offence": "Domestic burglary", "offence_group": "burglary"}, {"offence_group": "burglary_residential"}),
        ({"offence": "Theft from the person", "offence_group": "theft_from_person"}, {"offence_group": "theft_from_person"}),
        # "Vehicle crime" is three values of the profile: not settled
        ({"offence": "Vehicle crime", "offence_group": "vehicle"}, {}),
        ({"offence": "Theft from a motor vehicle", "offence_group": "vehicle"}, {"offence_group": "vehicle_theft_from"}),
        # a full recorded date in an extra column; a month alone is never a date
        ({"offence": "Robbery", "Recorded date (synthetic)": "2025-01-17"}, {"recorded": dt.date(2025, 1, 17)}),
        ({"offence": "Robbery", "Date recorded": "17/01/2025 10:22"}, {"recorded": dt.date(2025, 1, 17)}),
        ({"offence": "Robbery", "Date recorded": "2025-01", "month": "2025-01"}, {}),
        ({"offence": "Robbery", "Date recorded": "31/02/2025"}, {}),
    ],
)
def test_prefill_takes_only_what_the_population_settles(bundled, population, expected):
    assert profile_values.prefill(bundled.spec.profile, population) == expected


def test_the_bundled_profile_asks_about_an_arrest_only_when_there_is_a_suspect(bundled):
    none = bundled.field_applicability({"suspect_status": "none"})
    named = bundled.field_applicability({"suspect_status": "named"})
    assert none["suspect_arrested"] is False and named["suspect_arrested"] is True
    assert bundled.field_applicability({"closed": "no"})["outcome_type"] is False
    assert bundled.field_applicability({"closed": "yes"})["outcome_type"] is True


def test_the_bundled_checks_catch_the_obvious_contradictions(bundled):
    from review_data import PROFILE as BURGLARY_PROFILE

    def broken(**changes):
        result = score_review(bundled, {**BURGLARY_PROFILE, **changes}, {})
        return ({m.target for m in result.missing if m.kind == "check"}, {m.target for m in result.warnings})

    assert broken() == (set(), set())
    # reported (10/01 07:30) before the offence began
    assert broken(occurred_from=dt.datetime(2025, 1, 10, 8, 0), occurred_to=dt.datetime(2025, 1, 10, 9, 0)) == (
        {"reported_after_occurred"}, {"reported_after_latest"})
    assert broken(finalised=dt.date(2025, 1, 9)) == ({"finalised_after_recorded"}, set())
    assert broken(victim_withdrew_support="yes", victim_supports="no") == ({"withdrew_without_support"}, set())
    assert broken(victim_withdrew_support="yes", victim_supports="yes") == (set(), set())
    assert broken(offence_group="burglary_business") == (set(), {"business_burglary_out_of_scope"})
    # finalised does not apply to an open investigation: its value is ignored, so the check is quiet
    assert broken(closed="no", finalised=dt.date(2025, 1, 9), outcome_type=None) == (set(), set())
