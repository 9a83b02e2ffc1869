"""Read-only media (issue 12 §3): an archived audit in a read-only folder, or a read-only file, can be
verified, read (stats, report, export) and opened; commands that write say it is read-only in one
sentence (exit 1) and change nothing. We run as root in CI containers, where permissions do not stop
anyone, so the commands run in a subprocess as an unprivileged user."""

from __future__ import annotations

import hashlib
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


def _place(pristine: Path, world: Path, case: str) -> Path:
    folder = world / case
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


def test_the_gui_refuses_a_read_only_audit_with_a_sentence(pristine, world):
    """Opening it for work (the GUI's session, which takes a lock beside the file) refuses with a
    sentence instead of failing on the lock or the first write."""
    path = _place(pristine, world, "gui")
    script = ("import sys\nfrom audit_app.errors import UserFacingError\nfrom audit_app.ui.session import AuditSession\n"
              "from audit_app.ui.ui_settings import Identity\n"
              "try:\n    AuditSession.open(sys.argv[1], Identity('Sam Lead', 'L1', 'lead'))\n"
              "except UserFacingError as e:\n    print(e)\n    sys.exit(3)\n")
    assert PREFIX is not None
    home = world / "home"
    result = subprocess.run([*PREFIX, sys.executable, "-c", script, str(path)], cwd=ROOT, capture_output=True, text=True,
                            env={"HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"), "QT_QPA_PLATFORM": "offscreen",
                                 "XDG_DATA_HOME": str(home / "data"), "PATH": os.environ.get("PATH", "")}, timeout=60)
    assert result.returncode == 3, result.stderr
    assert result.stdout.startswith(f"The audit file {path.name} is read-only")
