"""Shared test set-up: offscreen Qt, isolated settings, paths to test data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Must happen before any QApplication exists: headless machines have no display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
TEST_CHECKLISTS = Path(__file__).resolve().parent / "checklists"
BUNDLED = ROOT / "checklists" / "neighbourhood-crime.yaml"


@pytest.fixture
def minimal_path() -> Path:
    return TEST_CHECKLISTS / "minimal.yaml"


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path_factory, monkeypatch):
    """Keep QSettings (window state) out of the real user profile."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    yield


@pytest.fixture(autouse=True)
def checked_out_checklists(monkeypatch):
    """The bundled checklists of this tree (an editable install may point at another checkout's)."""
    from audit_app import paths

    monkeypatch.setattr(paths, "checklists_dir", lambda: ROOT / "checklists")
