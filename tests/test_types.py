"""The typed packages type-check: mypy, configured in setup.cfg ([mypy]: which packages, which checks)."""

from __future__ import annotations

from conftest import ROOT
from mypy import api as mypy_api


def test_the_typed_packages_have_no_type_errors(monkeypatch):
    monkeypatch.chdir(ROOT)  # setup.cfg names the packages relative to the project
    stdout, stderr, status = mypy_api.run(["--config-file", str(ROOT / "setup.cfg")])
    assert status == 0, stdout + stderr
