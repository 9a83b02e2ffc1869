"""The corpus of deliberately broken checklists: each fails with the right line, column and message.

Each file in tests/checklists/broken/ starts with one or more ``# expect: LINE:COL: text`` lines.
Every expectation must match a reported problem exactly in position and contain the text, and
the file must report no more problems than it expects (one defect, one message).
"""

import re

import pytest
from conftest import TEST_CHECKLISTS

from audit_app.cli import main
from audit_app.core.checklist import load_checklist
from audit_app.errors import ChecklistError

BROKEN = sorted((TEST_CHECKLISTS / "broken").glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (\d+):(\d+): (.+)$", re.MULTILINE)


def test_corpus_is_large_enough():
    assert len(BROKEN) >= 25


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_checklist_reports_the_right_place(path):
    expectations = [(int(line), int(column), text.strip()) for line, column, text in EXPECT.findall(path.read_text(encoding="utf-8"))]
    assert expectations, f"{path.name} has no '# expect:' line"
    with pytest.raises(ChecklistError) as caught:
        load_checklist(path)
    problems = caught.value.problems
    for line, column, text in expectations:
        assert any(p.line == line and p.column == column and text in p.message for p in problems), (
            f"expected {line}:{column}: {text!r}; got {[str(p) for p in problems]}"
        )
    assert len(problems) == len(expectations), [str(p) for p in problems]
    assert all(p.file == str(path) for p in problems)


def test_cli_validate_of_the_whole_corpus_exits_1_without_traceback(capsys):
    assert main(["checklist", "validate", *map(str, BROKEN)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") >= len(BROKEN)


def test_a_huge_checklist_is_refused_before_parsing(tmp_path):
    """A 5 MB, 40,000-item file once took 35 s and 756 MB before its refusal; now its size refuses it at once."""
    import time

    from conftest import TEST_CHECKLISTS as folder

    text = (folder / "minimal.yaml").read_text(encoding="utf-8")
    huge = tmp_path / "huge.yaml"
    huge.write_text(text + "\n# padding\n" + "# " + "x" * 5_000_000 + "\n", encoding="utf-8")
    started = time.process_time()
    with pytest.raises(ChecklistError, match="5,0.*bytes; a checklist is at most 1,000,000"):
        load_checklist(huge)
    assert time.process_time() - started < 1.0  # refused without parsing (a bound, not a benchmark)


def test_tens_of_thousands_of_entries_under_the_size_limit_are_refused_part_way(tmp_path):
    """Under 1 MB but 11,500 items (34,500 problems, 7 s and 225 MB once): reading stops at the value limit."""
    import time

    from audit_app.core.checklist import MAX_DOCUMENT_VALUES
    from conftest import TEST_CHECKLISTS as folder

    text = (folder / "minimal.yaml").read_text(encoding="utf-8")
    many = tmp_path / "many.yaml"
    many.write_text(text + "padding:\n" + "".join(f"  - {{id: Q{i}, question: q, weight: 1}}\n" for i in range(11_500)),
                    encoding="utf-8")
    assert many.stat().st_size < 1_000_000
    started = time.process_time()
    with pytest.raises(ChecklistError) as caught:
        load_checklist(many)
    assert time.process_time() - started < 2.0  # bounded by the limit, not by the file (a bound, not a benchmark)
    (problem,) = caught.value.problems
    assert f"more than {MAX_DOCUMENT_VALUES:,} values" in problem.message
    assert problem.line > text.count("\n")  # where the limit was reached, in the padding


def test_the_bundled_checklist_is_well_within_the_value_limit():
    from audit_app.core.checklist import MAX_DOCUMENT_VALUES
    from audit_app.paths import checklists_dir

    assert load_checklist(checklists_dir() / "neighbourhood-crime.yaml").items
    assert MAX_DOCUMENT_VALUES >= 4 * 2_737  # the bundled checklist's values: room for one four times its size


def test_deep_nesting_is_refused_before_parsing(tmp_path):
    deep = tmp_path / "deep.yaml"
    deep.write_text("format: 1\nid: x\nnested: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(ChecklistError) as caught:
        load_checklist(deep)
    (problem,) = caught.value.problems
    assert (problem.line, "nested more than 40 levels") == (3, problem.message[:26])


def test_control_characters_in_an_echoed_id_are_shown_escaped(tmp_path, capsys):
    from conftest import TEST_CHECKLISTS as folder

    text = (folder / "minimal.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "escape.yaml"
    bad.write_text(text.replace("critical_when: offence_group == 'burglary'",
                                'critical_when: "offence_group == \'bur\\x1b[31mglary\'"', 1), encoding="utf-8")
    assert main(["checklist", "validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[31m" in err
