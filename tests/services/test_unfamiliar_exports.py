"""Issue 9, section 4 on the services and the command line: presets for unfamiliar exports, the
checklist's offence groups as the default scope, reserves, redrawing before reviews, re-imports,
and help that lists the valid values."""

import json
import sqlite3

import pytest
from conftest import ROOT, TEST_CHECKLISTS

from audit_app.cli import build_parser, main
from audit_app.core.checklist import parse_checklist
from audit_app.errors import AuditError, ChecklistError
from audit_app.services import population
from audit_app.services import sampling as sample_service
from audit_app.services.audits import create_audit, open_audit
from audit_app.services.reviews import ensure_reviewer, start_review
from audit_app.services.verification import verify

POLICE_UK = ROOT / "tests" / "data" / "population" / "police-uk-2025-01-city-of-london.csv"
# The police.uk file's figures, counted outside the code: 629 rows, 15 rejected, 614 imported, of which
# 133 are burglary, robbery, theft from the person or vehicle crime and 481 other crime types.
NEIGHBOURHOOD = 133
OTHER = 481

UNFAMILIAR = "Ref No;Offence Description;Ward\nR1;Burglary;North\nR2;Theft from the person;South\nR3;Criminal damage;North\n"
UNFAMILIAR_NEXT = "Ref No;Offence Description;Ward\nS1;Robbery;East\nS2;Arson;East\n"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def cli_json(capsys, *argv):
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    return json.loads(out), err


@pytest.fixture
def audit_path(tmp_path, capsys):
    path = tmp_path / "a.audit"
    assert main(["init", str(path), "--checklist", "neighbourhood-crime", "--title", "T"]) == 0
    capsys.readouterr()
    return path


def events(path, action):
    with sqlite3.connect(path) as db:
        return db.execute("SELECT detail, reason FROM event WHERE action = ? ORDER BY seq", [action]).fetchall()


# -- the checklist declares its offence groups


def test_the_bundled_checklist_declares_its_offence_groups():
    checklist = parse_checklist((ROOT / "checklists" / "neighbourhood-crime.yaml").read_bytes())
    assert checklist.offence_groups == ("burglary", "robbery", "theft_from_person", "vehicle")
    assert checklist.to_json()["offence_groups"] == ["burglary", "robbery", "theft_from_person", "vehicle"]


@pytest.mark.parametrize(("groups", "message"), [
    ("[burglary, shoplifting]", "offence_groups"),
    ("[burglary, burglary]", "offence group 'burglary' is listed twice"),
])
def test_offence_groups_are_validated(groups, message):
    text = (TEST_CHECKLISTS / "minimal.yaml").read_text(encoding="utf-8")
    text = text.replace("\ntitle:", f"\noffence_groups: {groups}\ntitle:", 1)
    with pytest.raises(ChecklistError) as raised:
        parse_checklist(text.encode("utf-8"), "groups.yaml")
    assert any(message in str(problem) for problem in raised.value.problems)


# -- the scope defaults to the checklist's offence groups


def test_cli_import_without_scope_keeps_only_the_checklists_groups_and_scope_all_takes_all(tmp_path, capsys, audit_path):
    imported, err = cli_json(capsys, "import", audit_path, POLICE_UK, "--preset", "police-uk")
    assert (imported["imported"], imported["excluded"], imported["in_frame"]) == (614, OTHER, NEIGHBOURHOOD)
    assert imported["scope"] == {"offence_group": ["burglary", "robbery", "theft_from_person", "vehicle"]}
    assert "--scope all keeps every row" in err

    everything = tmp_path / "all.audit"
    main(["init", str(everything), "--checklist", "neighbourhood-crime", "--title", "All"])
    capsys.readouterr()
    imported, _ = cli_json(capsys, "import", everything, POLICE_UK, "--preset", "police-uk", "--scope", "all")
    assert (imported["imported"], imported["excluded"], imported["in_frame"]) == (614, 0, 614)


def test_a_checklist_that_names_no_groups_keeps_every_group(tmp_path, capsys):
    path = tmp_path / "m.audit"
    main(["init", str(path), "--checklist", str(TEST_CHECKLISTS / "minimal.yaml"), "--title", "M"])
    capsys.readouterr()
    imported, _ = cli_json(capsys, "import", path, POLICE_UK, "--preset", "police-uk")
    assert (imported["excluded"], imported["in_frame"]) == (0, 614)


def test_with_no_offence_column_the_default_scope_is_refused_clearly(tmp_path, capsys, audit_path):
    refs_only = tmp_path / "refs.csv"
    refs_only.write_text("Crime ID,Ward\nA1,North\nA2,South\n", encoding="utf-8")
    code, out, err = run(capsys, "import", audit_path, refs_only)
    assert code == 1 and out == ""
    assert "no offence column" in err and "--map offence=COLUMN" in err and "--scope all" in err
    assert events(audit_path, "population.import") == []
    imported, _ = cli_json(capsys, "import", audit_path, refs_only, "--scope", "all")
    assert imported["in_frame"] == 2


def test_sample_warns_when_strata_outside_the_checklists_groups_can_be_drawn(capsys, audit_path):
    cli_json(capsys, "import", audit_path, POLICE_UK, "--preset", "police-uk", "--scope", "all")
    drawn, err = cli_json(capsys, "sample", audit_path, "--size", "30", "--strata", "offence_group", "--seed", "w")
    assert "warning:" in err and f"{OTHER} files in the sampling frame are in offence groups" in err
    assert f"other offences: {OTHER}" in err
    assert "other" in drawn["strata"]  # and indeed the out-of-scope stratum is drawn from


def test_sample_does_not_warn_when_the_frame_is_the_checklists_scope(capsys, audit_path):
    cli_json(capsys, "import", audit_path, POLICE_UK, "--preset", "police-uk")
    _, err = cli_json(capsys, "sample", audit_path, "--size", "30", "--seed", "w")
    assert "warning" not in err


# -- reserves and redrawing


def test_reserves_are_kept_by_default(capsys, audit_path):
    cli_json(capsys, "import", audit_path, POLICE_UK, "--preset", "police-uk")
    drawn, _ = cli_json(capsys, "sample", audit_path, "--size", "20", "--strata", "offence_group", "--seed", "r")
    # four strata of 133 files, each larger than its sample plus 5: five reserves each
    assert len(drawn["strata"]) == 4 and len(drawn["reserve"]) == 20
    with open_audit(audit_path) as audit:
        assert sample_service.sample(audit).plan.reserve == 5


def test_a_sample_drawn_by_mistake_is_redrawn_before_reviews_logged_and_verified(capsys, audit_path):
    cli_json(capsys, "import", audit_path, POLICE_UK, "--preset", "police-uk")
    first, _ = cli_json(capsys, "sample", audit_path, "--size", "10", "--seed", "first")
    code, _, err = run(capsys, "sample", audit_path, "--size", "20", "--seed", "second")
    assert code == 1 and "already been drawn" in err
    second, _ = cli_json(capsys, "sample", audit_path, "--size", "20", "--seed", "second", "--strata", "offence_group",
                         "--redraw", "drawn with the wrong size")
    assert (second["size"], second["seed"], len(second["selected"])) == (20, "second", 20)
    assert set(second["selected"]) != set(first["selected"])
    [(detail, reason)] = events(audit_path, "sample.redraw")
    assert reason == "drawn with the wrong size" and json.loads(detail)["old_seed"] == "first"
    assert len(events(audit_path, "sample.draw")) == 2
    code, _, err = run(capsys, "verify", audit_path)
    assert code == 0, err
    with open_audit(audit_path) as audit:
        assert verify(audit).ok and sample_service.sample(audit).selected == second["selected"]


def test_a_redraw_is_refused_once_a_review_has_started(capsys, audit_path):
    cli_json(capsys, "import", audit_path, POLICE_UK, "--preset", "police-uk")
    drawn, _ = cli_json(capsys, "sample", audit_path, "--size", "10", "--seed", "first")
    with open_audit(audit_path) as audit:
        start_review(audit, drawn["selected"][0], ensure_reviewer(audit, "Ann", "1"), "primary")
        with pytest.raises(AuditError, match="reason"):
            sample_service.redraw_sample(audit, sample_service.SampleRequest(size=5), "  ")
    code, _, err = run(capsys, "sample", audit_path, "--size", "20", "--seed", "again", "--redraw", "mistake")
    assert code == 1 and "cannot be drawn again: 1 review(s)" in err
    assert events(audit_path, "sample.redraw") == []
    with open_audit(audit_path) as audit:
        assert sample_service.sample(audit).plan.seed == "first" and verify(audit).ok


# -- re-importing the same file


def test_reimporting_the_same_file_says_when_and_which_batch(tmp_path, capsys, audit_path):
    cli_json(capsys, "import", audit_path, POLICE_UK, "--preset", "police-uk")
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(POLICE_UK.read_bytes())
    before = events(audit_path, "population.import")
    code, out, err = run(capsys, "import", audit_path, copy, "--preset", "police-uk")
    assert code == 1 and out == ""
    with open_audit(audit_path) as audit:
        [summary] = population.imports(audit)
    assert f"already imported into this audit on {population.imported_on(summary.imported_at)} (batch 1, as " \
           f"'{POLICE_UK.name}')" in err
    assert "rejected" not in err and events(audit_path, "population.import") == before


# -- presets for unfamiliar exports


def test_an_unfamiliar_export_is_mapped_saved_as_a_preset_and_reused(tmp_path, capsys, audit_path):
    first, second = tmp_path / "niche-1.csv", tmp_path / "niche-2.csv"
    first.write_text(UNFAMILIAR, encoding="utf-8")
    second.write_text(UNFAMILIAR_NEXT, encoding="utf-8")
    code, _, err = run(capsys, "import", audit_path, first)
    assert code == 1 and "no crime reference column" in err

    imported, err = cli_json(capsys, "import", audit_path, first, "--map", "ref=Ref No", "--map", "month=",
                             "--save-preset", "Niche RMS")
    assert imported["mapping"] == {"ref": "Ref No", "offence": "Offence Description", "area": "Ward"}
    assert "saved the column mapping as the preset 'Niche RMS'" in err
    listed, _ = cli_json(capsys, "presets", "--json")
    assert listed["presets"]["Niche RMS"] == {"ref": "Ref No", "offence": "Offence Description", "area": "Ward",
                                              "month": ""}
    assert "police-uk" in listed["presets"]
    code, out, _ = run(capsys, "presets")
    assert code == 0 and "Niche RMS\tref=Ref No, offence=Offence Description, area=Ward" in out

    again, _ = cli_json(capsys, "import", audit_path, second, "--preset", "Niche RMS")
    assert again["mapping"] == {"ref": "Ref No", "offence": "Offence Description", "area": "Ward"}
    assert set(again["mapping_how"].values()) == {"preset"}
    assert (again["imported"], again["in_frame"]) == (2, 1)  # robbery in scope, arson not

    code, _, err = run(capsys, "import", audit_path, POLICE_UK, "--preset", "No such system")
    assert code == 1 and "Unknown preset 'No such system'" in err and "Niche RMS" in err


def test_saving_a_preset_refuses_what_cannot_work():
    with pytest.raises(AuditError, match="built-in"):
        population.save_preset("police-uk", {"ref": "Crime ID"})
    with pytest.raises(AuditError, match="crime reference"):
        population.save_preset("No ref", {"offence": "Type"})
    with pytest.raises(AuditError, match="name"):
        population.save_preset("  ", {"ref": "Id"})
    assert population.saved_presets() == {}


# -- help


def test_import_and_sample_help_describe_every_option_and_list_values(capsys):
    for command, values in (("import", ["police-uk", "offence_group", "theft_from_person", "--scope all",
                                        "YYYY-MM", "--save-preset"]),
                            ("sample", ["proportional", "equal", "default 5", "--redraw", "95%"])):
        with pytest.raises(SystemExit) as stop:
            main([command, "--help"])
        assert stop.value.code == 0
        text = " ".join(capsys.readouterr().out.split())
        for value in values:
            assert value in text, f"{value!r} not in {command} --help"
    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    for command in ("import", "sample"):
        for action in subparsers.choices[command]._actions:
            assert action.help, f"{command} {action.option_strings or action.dest} has no description"
