"""`audit-app demo`: builds the demo audit (without Qt), prints its path, reuses it, --fresh."""

import subprocess
import sys

import pytest
from conftest import ROOT

from audit_app.cli import main
from audit_app.core.records import Answer
from audit_app.services import demo
from audit_app.services.audits import create_audit, open_audit
from audit_app.services.reviews import review_state, set_answer
from audit_app.services.workspace import overview

BUILD = """
import sys
sys.modules['PySide6'] = None  # building the demo must not need Qt
from audit_app.cli import main
sys.exit(main(['demo', '--no-gui', '--path', sys.argv[1]]))
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli-demo") / "demo.audit"
    result = subprocess.run([sys.executable, "-c", BUILD, str(path)], capture_output=True, text=True, cwd=ROOT)
    return path, result


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_demo_no_gui_builds_the_demo_without_qt_and_prints_its_path(built):
    path, result = built
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{path}\n"
    assert "building the demo audit: 100%" in result.stderr
    assert demo.is_demo(path)


def _practice(path):
    """Record a practice answer in the demo's review in progress; return its review id."""
    with open_audit(path) as audit:
        review_id = next(f.primary_id for f in overview(audit) if f.status == "in_progress")
        set_answer(audit, review_id, "C1", Answer("M", note="Practice: screened in at log 6"))
    return review_id


def _has_practice(path, review_id):
    with open_audit(path) as audit:
        answer = review_state(audit, review_id).answers.get("C1")
    return answer is not None and answer.note.startswith("Practice")


def test_a_second_demo_reuses_the_file_and_fresh_keeps_the_old_one_aside(built, capsys):
    path, _ = built
    review_id = _practice(path)
    code, out, err = run(capsys, "demo", "--no-gui", "--path", str(path))
    assert (code, out) == (0, f"{path}\n")
    assert "reusing the demo audit" in err and "practice work in it is kept" in err
    assert _has_practice(path, review_id)

    code, out, err = run(capsys, "demo", "--no-gui", "--fresh", "--path", str(path))
    assert (code, out) == (0, f"{path}\n")
    (aside,) = [p for p in path.parent.glob("demo.*.audit")]
    assert str(aside) in err
    assert demo.is_demo(aside) and _has_practice(aside, review_id)
    assert demo.is_demo(path) and not _has_practice(path, review_id)


def test_demo_opens_the_gui_on_the_demo_unless_no_gui(built, capsys, monkeypatch):
    import audit_app.ui.app

    path, _ = built
    opened = []
    monkeypatch.setattr(audit_app.ui.app, "run_gui", lambda *args: opened.append(args) or 0)
    code, out, _ = run(capsys, "demo", "--path", str(path))
    assert (code, out, opened) == (0, f"{path}\n", [(path,)])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG data folder is the Linux default")
def test_demo_without_a_path_goes_to_the_users_data_folder(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    code, out, err = run(capsys, "demo", "--no-gui")
    expected = tmp_path / "data" / "audit-app" / "demo.audit"
    assert (code, out) == (0, f"{expected}\n"), err
    assert demo.is_demo(expected)


def test_demo_refuses_an_audit_that_is_not_the_demo(capsys, tmp_path):
    real = tmp_path / "real.audit"
    create_audit(real, "neighbourhood-crime", "A real audit").close()
    before = real.read_bytes()
    code, out, err = run(capsys, "demo", "--no-gui", "--fresh", "--path", str(real))
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and err.startswith("audit-app: ") and "left untouched" in err
    assert real.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["real.audit"]
