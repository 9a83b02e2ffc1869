"""Expressions: typing at compile time, three-valued evaluation, and refusal of anything unsafe."""

import datetime as dt

import pytest

from audit_app.core import expressions as ex

SYMBOLS = {
    "video": ex.YESNO_TYPE,
    "scene": ex.YESNO_TYPE,
    "group": ex.choice_type(("burglary_residential", "robbery_personal")),
    "outcome": ex.choice_type(tuple(range(1, 23))),
    "occurred": ex.ValueType(ex.DATETIME),
    "reported": ex.ValueType(ex.DATETIME),
    "recorded": ex.ValueType(ex.DATE),
    "allocated": ex.ValueType(ex.DATE),
    "caseload": ex.NUMBER_TYPE,
    "limit": ex.NUMBER_TYPE,
    "note": ex.ValueType(ex.TEXT),
    "flag": ex.BOOL_TYPE,
}

ENV = {
    "video": "yes",
    "scene": "no",
    "group": "burglary_residential",
    "outcome": 18,
    "occurred": dt.datetime(2025, 1, 1, 22, 0),
    "reported": dt.datetime(2025, 1, 2, 9, 30),
    "recorded": dt.date(2025, 1, 2),
    "allocated": dt.date(2025, 1, 7),
    "caseload": 26,
    "limit": 2,
    "note": "x",
    "flag": True,
}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("video", True),
        ("scene", False),
        ("not scene", True),
        ("video and scene", False),
        ("video or scene", True),
        ("group == 'burglary_residential'", True),
        ("group != 'burglary_residential'", False),
        ("group in ['robbery_personal']", False),
        ("group not in ['robbery_personal']", True),
        ("outcome in [14, 15, 16, 21]", False),
        ("outcome == 18", True),
        ("outcome >= 14", True),
        ("hours(reported - occurred) <= 24", True),  # 11.5 hours
        ("hours(reported - occurred) < 11.5", False),
        ("days(allocated - recorded) <= limit", False),  # 5 days
        ("days(allocated - recorded) <= limit + 3", True),
        ("caseload > 25", True),
        ("video == 'yes'", True),
        ("scene == 'unknown'", False),
        ("flag and true", True),
        ("false or (video and not scene)", True),
        ("  video  ", True),
        ("caseload - 1 == 25", True),
        ("caseload == -26 or true", True),
    ],
)
def test_evaluates_to_hand_computed_value(text, expected):
    assert ex.compile_expression(text, SYMBOLS).evaluate(ENV) is expected


@pytest.mark.parametrize(
    "text, env, expected",
    [
        # Kleene logic: unknown only when the known parts do not decide
        ("video and scene", {"video": "yes"}, None),
        ("video and scene", {"scene": "no"}, False),
        ("video or scene", {"scene": "yes"}, True),
        ("video or scene", {"scene": "no"}, None),
        ("not video", {}, None),
        ("outcome in [1, 2]", {}, None),
        ("hours(reported - occurred) <= 24", {"reported": dt.datetime(2025, 1, 1)}, None),
        ("hours(reported - occurred) <= 24 or video", {"video": "yes"}, True),
    ],
)
def test_unknown_values_propagate_three_valued(text, env, expected):
    assert ex.compile_expression(text, SYMBOLS).evaluate(env) is expected


def test_unknown_yesno_answer_counts_as_no():
    assert ex.compile_expression("video", SYMBOLS).evaluate({"video": "unknown"}) is False


def test_unknown_names_lists_unrecorded_fields():
    expression = ex.compile_expression("video and hours(reported - occurred) <= 24", SYMBOLS)
    assert expression.names == {"video", "reported", "occurred"}
    assert expression.unknown_names({"video": "yes"}) == ["occurred", "reported"]


@pytest.mark.parametrize(
    "text, offset, fragment",
    [
        ("vidoe", 0, "unknown field 'vidoe' (did you mean 'video'?)"),
        ("video and sceen", 10, "unknown field 'sceen'"),
        ("group == 'burglary'", 9, "'burglary' is not one of the allowed values"),
        ("outcome in [14, 99]", 11, "99 is not one of the allowed values"),
        ("video = 'yes'", 6, "use '==' to compare"),
        # Python's parser decides where a syntax error is; its offsets vary between versions
        ("video and", 6, "incomplete expression: nothing after 'and'"),
        ("(video", None, "invalid syntax"),
        ("group and video", 0, "'and' needs yes/no values on both sides; 'group' is a choice"),
        ("caseload", 0, "must be true or false"),
        ("hours(reported)", 6, "hours() needs a duration"),
        ("days(reported - recorded) < 1", 5, "cannot subtract a date from a date and time"),
        ("reported - occurred > 1", 0, "compare durations through days(...)"),
        ("recorded < 3", 0, "cannot order a date against a number"),
        ("1 < caseload < 3", 0, "chained comparisons are not supported"),
        ("note == 3", 0, "cannot compare a text with a number"),
        ("group in 'abc'", 9, "'in' needs a list"),
        ("outcome in []", 11, "a list must not be empty"),
        ("outcome in [1, 'a']", 11, "must not mix text and numbers"),
        ("outcome in [caseload]", 12, "a list may hold only quoted text or numbers"),
        ("days", 0, "'days' is a function"),
        ("video\n and scene", 5, "must be on one line"),
        ("", 0, "expression is empty"),
    ],
)
def test_rejects_with_message_and_offset(text, offset, fragment):
    with pytest.raises(ex.ExpressionError) as caught:
        ex.compile_expression(text, SYMBOLS)
    assert fragment in caught.value.message
    if offset is not None:
        assert caught.value.offset == offset


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('echo hacked')",
        "video.__class__",
        "[x for x in 'abc']",
        "lambda: 1",
        "note[0] == 'x'",
        "open('/etc/passwd')",
        "{'a': 1}",
        "video if scene else video",
        "caseload * 2 > 1",
        "caseload ** 99 > 1",
        "f'{video}'",
        "(video := 1)",
        "b'x' == note",
        "None",
    ],
)
def test_anything_outside_the_grammar_is_refused(text):
    with pytest.raises(ex.ExpressionError):
        ex.compile_expression(text, SYMBOLS)


def test_offsets_count_characters_not_bytes():
    # 'é' is two bytes in UTF-8; the unknown name after it must still be found at character 14
    symbols = {"note": ex.ValueType(ex.TEXT)}
    with pytest.raises(ex.ExpressionError) as caught:
        ex.compile_expression("note == 'é' or missing", symbols)
    assert caught.value.offset == 15
