"""Property-based: whatever text arrives, loading a checklist raises only ChecklistError."""

import copy
import io
import json

from conftest import TEST_CHECKLISTS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from audit_app.core.checklist import parse_checklist
from audit_app.errors import ChecklistError

MINIMAL = (TEST_CHECKLISTS / "minimal.yaml").read_text(encoding="utf-8")
MINIMAL_LINES = MINIMAL.splitlines(keepends=True)
MINIMAL_DATA = YAML(typ="safe").load(MINIMAL)
FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def load_or_checklist_error(text: str | bytes) -> None:
    """Loading either succeeds or raises ChecklistError with located problems; nothing else."""
    try:
        parse_checklist(text, "fuzz.yaml")
    except ChecklistError as exc:
        assert exc.problems, "a ChecklistError must list at least one problem"
        for problem in exc.problems:
            assert problem.line >= 1 and problem.column >= 1
            assert problem.message


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True), st.text(max_size=20),
    st.sampled_from(["M", "met", "yes", "video", "A1", "2025-01-01", "{x}", "video and", "[1", "1e999"]),
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20
)


@FUZZ
@given(st.text(max_size=300))
def test_random_text(text):
    load_or_checklist_error(text)


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes(data):
    load_or_checklist_error(data)


@FUZZ
@given(json_values)
def test_random_structures(value):
    load_or_checklist_error(json.dumps(value))


@st.composite
def line_mutations(draw):
    lines = list(MINIMAL_LINES)
    for _ in range(draw(st.integers(1, 3))):
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "indent", "dedent", "char", "truncate", "insert"]))
        if action == "delete":
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
        elif action == "indent":
            lines[index] = "  " + lines[index]
        elif action == "dedent":
            lines[index] = lines[index][2:] if lines[index].startswith("  ") else lines[index]
        elif action == "char" and lines[index]:
            position = draw(st.integers(0, len(lines[index]) - 1))
            character = draw(st.sampled_from(list(":-[]{}'\"#&*!|>%@` \t,?0aZé\x00")))
            lines[index] = lines[index][:position] + character + lines[index][position + 1 :]
        elif action == "truncate":
            lines = lines[:index]
        elif action == "insert":
            lines.insert(index, draw(st.sampled_from(["&a [*a]\n", "x: *nope\n", "<<: {a: 1}\n", "- - -\n", "? [a]\n: b\n", "!!python/object:os.system ls\n"])))
        if not lines:
            break
    return "".join(lines)


@FUZZ
@given(line_mutations())
def test_mutated_valid_checklist_text(text):
    load_or_checklist_error(text)


def paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from paths(inner, prefix + (key,))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from paths(inner, prefix + (index,))


ALL_PATHS = [p for p in paths(MINIMAL_DATA) if p]


@FUZZ
@given(st.sampled_from(ALL_PATHS), json_values, st.booleans())
def test_mutated_valid_checklist_data(path, replacement, delete):
    data = copy.deepcopy(MINIMAL_DATA)
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    stream = io.StringIO()
    YAML(typ="safe").dump(data, stream)
    load_or_checklist_error(stream.getvalue())


def test_alias_bomb_is_refused_quickly():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for level in range(1, 9):
        previous = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        bomb += f"{name}: &{name} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n"
    try:
        parse_checklist(bomb, "bomb.yaml")
    except ChecklistError as exc:
        assert "too large" in exc.report()
    else:  # pragma: no cover
        raise AssertionError("an alias bomb must not load")


def test_recursive_alias_is_refused():
    try:
        parse_checklist("a: &a [*a]\n", "loop.yaml")
    except ChecklistError as exc:
        assert exc.problems
    else:  # pragma: no cover
        raise AssertionError("a recursive alias must not load")
