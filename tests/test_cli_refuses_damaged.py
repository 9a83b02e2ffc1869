"""Commands that write refuse an audit verify would call damaged (issue 12 §2): exit 1, one sentence
naming the file, nothing changed; the GUI's session refuses it the same way."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from synthetic_audit import build

from audit_app.cli import main
from audit_app.errors import UserFacingError
from audit_app.services.audits import open_audit
from audit_app.services.verification import damage, verify

POPULATION = Path(__file__).parent / "data" / "population" / "police-uk-2025-01-city-of-london.csv"
DAMAGE = {
    "a trail entry edited": "DROP TRIGGER event_no_update; UPDATE event SET detail = '{}' WHERE seq = 5",
    "a trail entry removed": "DROP TRIGGER event_no_delete; DELETE FROM event WHERE seq = 7",
    "a table dropped": "DROP TABLE answer",
}


def _commands(path: Path, tmp_path: Path) -> dict[str, list[str]]:
    responses = tmp_path / "responses.csv"
    responses.write_text("file_ref,role,item,code\n", encoding="utf-8")
    return {
        "import": ["import", str(path), str(POPULATION), "--preset", "police-uk"],
        "sample": ["sample", str(path), "--size", "5", "--redraw", "a mistake"],
        "replace": ["replace", str(path), "any-ref", "--reason", "out of scope"],
        "responses import": ["responses", "import", str(path), str(responses)],
    }


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return build(tmp_path_factory.mktemp("refuse") / "r.audit", files=12, double=2, seed=5).path


def _dump(path: Path) -> list[str]:
    conn = sqlite3.connect(str(path))
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


@pytest.mark.parametrize("kind", list(DAMAGE))
@pytest.mark.parametrize("command", ["import", "sample", "replace", "responses import"])
def test_a_writing_command_refuses_a_damaged_audit(pristine, tmp_path, capsys, kind, command):
    path = tmp_path / "damaged.audit"
    shutil.copy(pristine, path)
    conn = sqlite3.connect(str(path))
    conn.executescript(f"PRAGMA foreign_keys = OFF; {DAMAGE[kind]};")
    conn.close()
    before = _dump(path)
    with open_audit(path) as audit:
        assert not verify(audit).ok  # verify calls it damaged too
    capsys.readouterr()
    assert main(_commands(path, tmp_path)[command]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("audit-app: The audit file damaged.audit is damaged (") and "nothing was changed" in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert _dump(path) == before


def test_a_sound_audit_is_not_refused(pristine, tmp_path, capsys):
    path = tmp_path / "sound.audit"
    shutil.copy(pristine, path)
    with open_audit(path) as audit:
        assert damage(audit) == []
    capsys.readouterr()
    main(["sample", str(path), "--size", "5"])  # refused for its own reason, not for damage
    err = capsys.readouterr().err
    assert "already been drawn" in err and "damaged" not in err


def test_the_check_before_writing_is_cheap_on_400_files(tmp_path):
    """A full verify of a 400-file audit takes over a second; the check before a write far less."""
    path = build(tmp_path / "big.audit", files=400, double=40).path
    with open_audit(path) as audit:
        start = time.perf_counter()
        assert damage(audit) == []
        assert time.perf_counter() - start < 1.0


def test_the_gui_session_refuses_a_damaged_audit_with_a_sentence(pristine, tmp_path, qapp):
    from audit_app.ui.session import AuditSession
    from audit_app.ui.ui_settings import Identity

    path = tmp_path / "damaged.audit"
    shutil.copy(pristine, path)
    conn = sqlite3.connect(str(path))
    conn.executescript(DAMAGE["a trail entry edited"])
    conn.close()
    with pytest.raises(UserFacingError, match="damaged.audit is damaged"):
        AuditSession.open(path, Identity("Sam Lead", "L1", "lead"))
    with pytest.raises(UserFacingError, match="is damaged"):
        AuditSession.open(path, Identity("Sam Lead", "L1", "lead"))
