"""Shared values, fixtures and set-up steps for the GUI tests (import the fixtures a test module uses).

Not a conftest.py: a second conftest module would shadow the root one's ``from conftest import ...``.
"""

from __future__ import annotations

import threading
import types
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from results_data import make_agreement, make_results
from review_data import APPLICABLE, NOTE, PROFILE


from audit_app.core import workstation
from audit_app.core.records import Answer
from audit_app.services import population, sampling
from audit_app.services.audits import create_audit
from audit_app.services.reviews import (
    ensure_reviewer,
    set_answer,
    set_profile_value,
    set_review_status,
    start_review,
)
from audit_app.ui import audit_actions
from audit_app.ui.main_window import MainWindow
from audit_app.ui.ui_settings import Identity, UiSettings
from audit_app.ui.workers import wait_for_tasks

POLICE_UK = Path(__file__).resolve().parents[1] / "data" / "population" / "police-uk-2025-01-city-of-london.csv"
SCOPE = {"offence_group": ["burglary", "robbery", "theft_from_person", "vehicle"]}
ANN = Identity("Ann Reviewer", "101", "reviewer")
BOB = Identity("Bob Second", "102", "reviewer")
LEE = Identity("Lee Lead", "900", "lead")


@pytest.fixture(autouse=True)
def no_task_left_running():
    """Background tasks (grading, imports) finish within the test that started them."""
    yield
    assert wait_for_tasks()


@pytest.fixture
def audit_path(tmp_path):
    """An audit of the real police.uk file with a sample of 8 drawn (closed again: the GUI opens it)."""
    path = tmp_path / "gui.audit"
    # created by Lee, who is therefore its lead auditor (the others are reviewers until a lead names them)
    with create_audit(path, "neighbourhood-crime", "GUI test audit", scope="Neighbourhood crime, January 2025",
                      actor=LEE.display) as audit:
        population.import_population(audit, POLICE_UK, preset="police-uk", scope=SCOPE)
        sampling.draw_sample(audit, sampling.SampleRequest(size=8, seed="gui", reserve=1))
    return path


@pytest.fixture
def ui_settings(tmp_path):
    return UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))


def account_of(identity: Identity) -> workstation.Account:
    """The computer account each test person works from: "ann" on "PC-ANN" for Ann Reviewer."""
    first = identity.name.split()[0].lower()
    return workstation.Account(first, f"PC-{first.upper()}")


@pytest.fixture
def make_window(qtbot, ui_settings, monkeypatch):
    """Open a main window as someone (their identity is set, as if they had answered on first use),
    signed in to the computer with their own account (see :func:`account_of`)."""

    def make(identity: Identity = ANN, settings: UiSettings | None = None) -> MainWindow:
        settings = settings or ui_settings
        settings.set_identity(identity)
        monkeypatch.setattr(workstation, "_current", account_of(identity))
        window = MainWindow(settings)
        qtbot.addWidget(window)
        window.resize(1300, 850)
        with qtbot.waitActive(window):  # keyboard focus needs the active window
            window.show()
            window.activateWindow()
        return window

    return make


def complete_review(audit, ref, identity: Identity, role="primary", **changes):
    """Through the services: the hand-counted burglary profile, Met on its 30 items, marked complete."""
    reviewer = ensure_reviewer(audit, identity.name, identity.staff_number, identity.role)
    review = start_review(audit, ref, reviewer, role)
    finish_review(audit, review.id, identity, **changes)
    return review


def finish_review(audit, review_id, identity: Identity, **changes):
    """Record the burglary profile and Met (with a note) on its 30 items, then mark the review complete."""
    for field, value in PROFILE.items():
        set_profile_value(audit, review_id, field, value)
    for item in APPLICABLE:
        set_answer(audit, review_id, item, changes.get(item, Answer("M", note=NOTE)))
    set_review_status(audit, review_id, "complete")


class FakeResultsService(types.ModuleType):
    """Stands in for ``audit_app.services.results`` (written in the main tree): ``audit_results``
    reports progress once, then waits for ``gate`` (when set) and returns ``results`` or raises
    ``error``; ``item_table`` gives a fixed header and one row per item."""

    def __init__(self) -> None:
        super().__init__("audit_app.services.results")
        self.results = make_results(agreement=make_agreement())
        self.gate: threading.Event | None = None
        self.error: Exception | None = None
        self.audits: list[object] = []

    def audit_results(self, audit, progress=None):
        self.audits.append(audit)
        if progress is not None:
            progress(1, 4, "Item figures")
        if self.gate is not None:
            self.gate.wait(20)  # released by the test (a bound, so a failing test cannot hang the run)
        if self.error is not None:
            raise self.error
        return self.results

    def item_table(self, results):
        return [["item", "question", "applicable"]] + [[i.item, i.question, str(i.applicable)] for i in results.items.values()]


@pytest.fixture
def results_service(monkeypatch) -> FakeResultsService:
    """The results service the window calls, replaced by a :class:`FakeResultsService`."""
    fake = FakeResultsService()
    monkeypatch.setattr(audit_actions, "results_service", fake)
    return fake
