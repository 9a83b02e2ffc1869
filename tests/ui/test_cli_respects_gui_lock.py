"""The command line's writing commands honour the GUI's lock on an audit (issue 12 §2): while a window
has the audit open they refuse, naming who has it and where, and change nothing; reading commands work
alongside; once the window closes, the command runs."""

from __future__ import annotations

import csv

from gui_helpers import ANN, audit_path, make_window, no_task_left_running, ui_settings  # noqa: F401 (fixtures)

from audit_app.cli import main
from audit_app.services import sampling
from audit_app.services.audits import open_audit
from audit_app.store import events


def test_writing_commands_refuse_while_the_gui_has_the_audit_open(make_window, audit_path, tmp_path, capsys):
    with open_audit(audit_path) as audit:
        ref = sampling.sample(audit).selected[0]
        before = events.count(audit.db)
    responses = tmp_path / "r.csv"
    with responses.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["file_ref", "item_id", "answer", "note", "reviewer", "role"],
                                      [ref, "A1", "M", "log 2", "Bob Second", "primary"]])
    population = tmp_path / "more.csv"
    population.write_text("crime_ref,offence\nX1,Burglary\n", encoding="utf-8")
    window = make_window(ANN)
    assert window.open_audit_file(str(audit_path))
    writing = [["responses", "import", str(audit_path), str(responses)],
               ["replace", str(audit_path), ref, "--reason", "out of scope"],
               ["sample", str(audit_path), "--size", "3"],
               ["import", str(audit_path), str(population)]]
    with open_audit(audit_path) as audit:
        held = events.count(audit.db)  # with the window's own entries
    for argv in writing:
        capsys.readouterr()
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert "Ann Reviewer (101) has gui.audit open in audit-app on " in err and "--wait" in err, err
    capsys.readouterr()
    with open_audit(audit_path) as audit:
        assert events.count(audit.db) == held  # the refused commands wrote nothing
    for argv in (["verify", str(audit_path)], ["stats", str(audit_path), "--json"],  # reading works alongside
                 ["export", str(audit_path), "--format", "json", "--out", str(tmp_path / "e.json")]):
        assert main(argv) == 0, argv
    window.close_audit()
    with open_audit(audit_path) as audit:
        assert events.count(audit.db) >= before  # (the window's own sign-in may add an entry)
        after_gui = events.count(audit.db)
    assert main(["responses", "import", str(audit_path), str(responses)]) == 0  # closed: it runs
    with open_audit(audit_path) as audit:
        assert events.count(audit.db) > after_gui
