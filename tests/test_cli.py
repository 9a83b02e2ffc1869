"""The command line: checklist list / validate / schema / show, --version, exit codes."""

import json
import shutil
import subprocess
import sys

import pytest
from conftest import BUNDLED, ROOT, TEST_CHECKLISTS

from audit_app import __version__
from audit_app.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"audit-app {__version__}"


def test_console_script_is_installed():
    script = shutil.which("audit-app", path=str(ROOT / ".venv" / "bin")) or shutil.which("audit-app")
    assert script, "the audit-app console script is not installed"
    result = subprocess.run([script, "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == f"audit-app {__version__}"


def test_python_dash_m_runs_the_cli():
    result = subprocess.run([sys.executable, "-m", "audit_app", "checklist", "list"], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.startswith("neighbourhood-crime\t")


def test_checklist_list_json(capsys):
    code, out, _ = run(capsys, "checklist", "list", "--json")
    assert code == 0
    listed = json.loads(out)["checklists"]
    assert {"id": "neighbourhood-crime", "version": "1.0.0", "title": "Neighbourhood crime investigation file review", "items": 47} in listed


def test_validate_bundled_checklists(capsys):
    code, out, err = run(capsys, "checklist", "validate", str(BUNDLED), str(TEST_CHECKLISTS / "minimal.yaml"))
    assert code == 0, err
    assert "valid (neighbourhood-crime 1.0.0, 47 items)" in out


def test_validate_reports_every_problem_with_location(capsys, tmp_path):
    broken = tmp_path / "broken.yaml"
    text = (TEST_CHECKLISTS / "minimal.yaml").read_text(encoding="utf-8")
    text = text.replace("weight: 1\n", "weight: 0\n").replace("applies_when: video", "applies_when: vidoe")
    broken.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    weight_line = next(i for i, line in enumerate(lines, 1) if "weight: 0" in line)
    applies_line = next(i for i, line in enumerate(lines, 1) if "applies_when: vidoe" in line)
    code, out, err = run(capsys, "checklist", "validate", str(broken), str(TEST_CHECKLISTS / "minimal.yaml"))
    assert code == 1
    assert f"{broken}:{weight_line}:17: sections[A].items[A1].weight: Input should be greater than or equal to 1" in err
    assert "minimal.yaml: valid" in out
    # the shape error stops before expressions are checked; fix it and the expression error shows
    broken.write_text(text.replace("weight: 0\n", "weight: 1\n"), encoding="utf-8")
    code, out, err = run(capsys, "checklist", "validate", str(broken))
    assert code == 1
    assert f"{broken}:{applies_line}:23: sections[A].items[A2].applies_when: unknown field 'vidoe' (did you mean 'video'?)" in err


def test_validate_missing_file(capsys, tmp_path):
    code, _, err = run(capsys, "checklist", "validate", str(tmp_path / "nope.yaml"))
    assert code == 1
    assert f"{tmp_path / 'nope.yaml'}:1:1: cannot read the file" in err


def test_show_json_has_contract_keys(capsys):
    code, out, _ = run(capsys, "checklist", "show", "neighbourhood-crime", "--json")
    assert code == 0
    shown = json.loads(out)
    import hashlib

    assert shown["sha256"] == hashlib.sha256(BUNDLED.read_bytes()).hexdigest()
    assert {"id", "version", "title", "sha256", "profile", "sections"} <= shown.keys()
    assert [s["id"] for s in shown["sections"]] == list("ABCDEFGHI")
    items = {i["id"]: i for s in shown["sections"] for i in s["items"]}
    assert len(items) == 47
    assert items["A1"]["applies_when"] is None
    assert items["D4"] == items["D4"] | {"scale": "MPN", "weight": 3, "critical": "on_known_opportunity", "applies_when": "potential_video", "answers": ["M", "P", "N", "NR", "NA"]}
    assert items["B1"]["answers"] == ["M", "N", "NR", "NA"]
    offence = next(f for f in shown["profile"] if f["id"] == "offence_group")
    assert offence["type"] == "choice" and "burglary_residential" in offence["values"]


def test_show_by_path_and_text_outline(capsys):
    code, out, _ = run(capsys, "checklist", "show", str(TEST_CHECKLISTS / "minimal.yaml"))
    assert code == 0
    assert "A2   Was video secured?  (w3 MPN critical:on_known_opportunity)  [applies when video]" in out


def test_show_unknown_id_is_a_clear_error(capsys):
    code, out, err = run(capsys, "checklist", "show", "no-such-checklist")
    assert code == 1 and out == ""
    assert err.startswith("audit-app: No checklist 'no-such-checklist': give a bundled checklist id (neighbourhood-crime)")


def test_usage_errors_exit_2(capsys):
    for argv in (["checklist"], ["checklist", "frobnicate"], ["nonsense"], ["checklist", "validate"]):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 2


def test_schema_is_published_and_current(capsys):
    code, out, _ = run(capsys, "checklist", "schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    published = json.loads((ROOT / "checklists" / "checklist.schema.json").read_text(encoding="utf-8"))
    assert published == schema, "checklists/checklist.schema.json is stale: run `make schema`"


def test_bundled_checklists_validate_against_the_published_schema():
    """Editors validate with the schema alone; it must accept what the loader accepts."""
    import jsonschema
    from ruamel.yaml import YAML

    schema = json.loads((ROOT / "checklists" / "checklist.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in (BUNDLED, TEST_CHECKLISTS / "minimal.yaml"):
        data = json.loads(json.dumps(YAML(typ="safe").load(path.read_text(encoding="utf-8")), default=str))
        assert list(validator.iter_errors(data)) == []
    broken = json.loads(json.dumps(YAML(typ="safe").load((TEST_CHECKLISTS / "minimal.yaml").read_text(encoding="utf-8")), default=str))
    broken["sections"][0]["items"][0]["weight"] = "two"
    broken["colour"] = "red"
    messages = sorted(e.message for e in validator.iter_errors(broken))
    assert any("'two' is not of type 'integer'" in m for m in messages)
    assert any("'colour' was unexpected" in m for m in messages)


def test_a_bug_is_logged_with_traceback_and_exit_70(capsys, monkeypatch, caplog):
    from audit_app import services

    def explode():
        raise RuntimeError("unexpected")

    monkeypatch.setattr(services, "bundled_checklists", explode)
    code, _, _ = run(capsys, "checklist", "list")
    assert code == 70
    assert "this is a bug" in caplog.text and "RuntimeError: unexpected" in caplog.text


def test_backup_copies_committed_work_still_in_the_wal_and_never_overwrites(tmp_path, capsys):
    import json
    import sqlite3

    from audit_app.services.audits import create_audit, open_audit
    from audit_app.store import events

    source = tmp_path / "a.audit"
    with create_audit(source, "neighbourhood-crime", "Backup test") as audit:
        # keep a reader open so the WAL is not checkpointed into the main file at close
        reader = sqlite3.connect(str(source))
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM event").fetchone()
        with audit.transaction() as db:
            events.append(db, "tester", "test.note", "audit", 1, {"n": 1})
        expected = events.count(audit.db)
        assert (tmp_path / "a.audit-wal").exists()
        target = tmp_path / "copy.audit"
        capsys.readouterr()
        assert main(["backup", str(source), str(target)]) == 0
        printed = json.loads(capsys.readouterr().out)
        reader.close()
    assert printed["events"] == expected and printed["bytes"] == target.stat().st_size
    assert not (tmp_path / "copy.audit-wal").exists()  # one self-contained file
    with open_audit(target) as copy:
        assert events.count(copy.db) == expected and not events.chain_problems(copy.db)
    capsys.readouterr()
    assert main(["backup", str(source), str(target)]) == 1  # never overwrites
    assert "already exists" in capsys.readouterr().err
    assert main(["backup", str(tmp_path / "missing.audit"), str(tmp_path / "x.audit")]) == 1
    assert not (tmp_path / "x.audit").exists()
