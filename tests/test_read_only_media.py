"""Read-only media (issue 12 §3): an archived audit in a read-only folder, or a read-only file, can be
verified, read (stats, report, export) and opened; commands that write say it is read-only in one
sentence (exit 1) and change nothing. We run as root in CI containers, where permissions do not stop
anyone, so the commands run in a subprocess as an unprivileged user."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from synthetic_audit import build

ROOT = Path(__file__).resolve().parent.parent
POPULATION = ROOT / "tests" / "data" / "population" / "police-uk-2025-01-city-of-london.csv"
NOBODY = 65534


def _as_nobody() -> list[str] | None:
    """The command prefix that runs a program as an unprivileged user, or None when it cannot be done."""
    if os.name != "posix":
        return None
    if os.geteuid() != 0:
        return []  # already unprivileged: permissions apply as they are
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    prefix = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    probe = subprocess.run([*prefix, sys.executable, "-c", "import audit_app"], cwd=ROOT, capture_output=True)
    return prefix if probe.returncode == 0 else None


PREFIX = _as_nobody()
pytestmark = pytest.mark.skipif(PREFIX is None, reason="cannot run a command as an unprivileged user here")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    path = build(tmp_path_factory.mktemp("ro") / "archived.audit", files=12, double=2, seed=4).path
    assert not Path(f"{path}-wal").exists()
    return path


@pytest.fixture(scope="module")
def world() -> Iterator[Path]:
    """A world-readable folder the unprivileged user can reach, with a writable home for its settings."""
    base = Path(tempfile.mkdtemp(prefix="audit-ro-"))
    base.chmod(0o755)
    home = base / "home"
    home.mkdir()
    home.chmod(0o777)
    yield base
    for folder, _, _ in os.walk(base):
        os.chmod(folder, 0o777)
    shutil.rmtree(base, ignore_errors=True)


def _place(pristine: Path, world: Path, case: str, name: str | None = None) -> Path:
    """A copy of the audit in a folder of the world (``name``, else ``case``), made read-only as ``case`` says."""
    folder = world / (name or case)
    folder.mkdir()
    path = folder / pristine.name
    shutil.copy(pristine, path)
    if case == "read-only folder":
        path.chmod(0o644)
        folder.chmod(0o555)
    else:
        path.chmod(0o444)
        folder.chmod(0o777)  # the folder can be written: only the file cannot
    return path


def _run(world: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert PREFIX is not None
    home = world / "home"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_DATA_HOME": str(home / "data"), "QT_QPA_PLATFORM": "offscreen", "LANG": "C.UTF-8"}
    return subprocess.run([*PREFIX, sys.executable, "-m", "audit_app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("case", ["read-only folder", "read-only file"])
def test_a_read_only_audit_is_read_and_never_written(pristine, world, case):
    path = _place(pristine, world, case)
    before = _digest(path.parent)
    out = world / "home"

    verified = _run(world, "verify", str(path), "--json")
    assert verified.returncode == 0, verified.stderr
    assert '"intact": true' in verified.stdout
    stats = _run(world, "stats", str(path), "--json")
    assert stats.returncode == 0, stats.stderr
    exported = _run(world, "export", str(path), "--format", "json", "--out", str(out / f"{case}.json"))
    assert exported.returncode == 0, exported.stderr
    assert (out / f"{case}.json").stat().st_size > 0
    reported = _run(world, "report", str(path), "--files", "all", "--out", str(out / f"{case}.pdf"))
    assert reported.returncode == 0, reported.stderr

    responses = out / "responses.csv"
    responses.write_text("file_ref,role,item,code\n", encoding="utf-8")
    responses.chmod(0o644)
    for command in (["import", str(path), str(POPULATION), "--preset", "police-uk"],
                    ["sample", str(path), "--size", "5", "--redraw", "a mistake"],
                    ["replace", str(path), "any-ref", "--reason", "out of scope"],
                    ["responses", "import", str(path), str(responses)]):
        refused = _run(world, *command)
        assert refused.returncode == 1, (command, refused.stderr)
        message = refused.stderr.strip()
        assert message.startswith(f"audit-app: The audit file {path.name} is read-only"), message
        assert len(message.splitlines()) == 1 and "readonly database" not in message and "Traceback" not in message
    assert _digest(path.parent) == before  # nothing written, no -wal or -shm left beside it
    assert stat.S_IMODE(path.stat().st_mode) in (0o644, 0o444)


GUI_SCRIPT = """
import json, sys
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from audit_app.ui.main_window import MainWindow
from audit_app.ui.session import AuditSession
from audit_app.ui.ui_settings import Identity, UiSettings
from audit_app.ui.workers import wait_for_tasks

app = QApplication([])
identity = Identity("Lee Lead", "L1", "lead")
session = AuditSession.open(sys.argv[1], identity)
facts = {"read_only": session.read_only, "locked": session.lock is not None, "notice": session.read_only_notice}
session.close()
settings = UiSettings(QSettings(sys.argv[2], QSettings.Format.IniFormat))
settings.set_identity(identity)
window = MainWindow(settings)
window.show()
facts["opened"] = window.open_audit_file(sys.argv[1])
facts["title"] = window.windowTitle()
ref = next(f.ref for f in window.files if f.status == "complete" and f.second_id is None)
window.open_review(ref)
facts["review_shown"] = window.stack.currentWidget() is window.review_page
facts["review_label"] = window.review_page.saved_label.text()
window.show_workspace()
facts["tasks_done"] = wait_for_tasks()  # the grading ran on a read-only connection of its own
window.close()
print(json.dumps(facts))
"""


@pytest.mark.parametrize("case", ["read-only folder", "read-only file"])
def test_the_gui_opens_a_read_only_audit_as_a_read_only_view(pristine, world, case):
    """The GUI's session on a read-only audit takes no lock, writes no "who" file and nothing to the audit:
    the window shows it read-only, a review opens to be looked at, and not a byte beside it changes."""
    path = _place(pristine, world, case, f"gui {case}")
    before = _digest(path.parent)
    assert PREFIX is not None
    home = world / "home"
    result = subprocess.run([*PREFIX, sys.executable, "-c", GUI_SCRIPT, str(path), str(home / f"{case}.ini")], cwd=ROOT,
                            capture_output=True, text=True, timeout=120,
                            env={"HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"), "QT_QPA_PLATFORM": "offscreen",
                                 "XDG_DATA_HOME": str(home / "data"), "PATH": os.environ.get("PATH", "")})
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["read_only"] is True and facts["locked"] is False
    # (the file, root's, is not the unprivileged user's to write either: the file is named as the cause)
    assert facts["notice"].startswith("Read-only: the audit file is read-only (an archive?).")
    assert facts["opened"] is True and facts["title"].endswith("(read-only)")
    assert facts["review_shown"] is True and facts["review_label"].startswith("Read only: the audit file or its folder")
    assert facts["tasks_done"] is True
    assert "Traceback" not in result.stderr
    assert _digest(path.parent) == before  # no -wal, -shm, lock or who file; the audit's bytes as they were
