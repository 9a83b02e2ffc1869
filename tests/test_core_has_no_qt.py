"""The core and every non-GUI module import and work with PySide6 blocked."""

import subprocess
import sys

from conftest import ROOT

CODE = """
import importlib, pkgutil, sys
sys.modules['PySide6'] = None  # any 'import PySide6...' now raises ImportError
import audit_app, audit_app.services
# every module but the GUI's, the CLI included
for module in pkgutil.walk_packages(audit_app.__path__, 'audit_app.'):
    if not module.name.startswith('audit_app.ui'):
        importlib.import_module(module.name)
checklist = audit_app.services.open_checklist('neighbourhood-crime')
assert len(checklist.items) == 47
assert not any(name.startswith('PySide6.') for name in sys.modules)
print('ok')
"""


def test_core_imports_and_runs_with_pyside6_blocked():
    result = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_cli_checklist_commands_run_with_pyside6_blocked():
    code = "import sys; sys.modules['PySide6'] = None\nfrom audit_app.cli import main\nsys.exit(main(['checklist', 'list']))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "neighbourhood-crime" in result.stdout
