"""What the new-audit wizard's pages share: settings, the actor, the audit being set up, the running tasks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from audit_app.services.setup import SetupState
from audit_app.ui.ui_settings import UiSettings
from audit_app.ui.workers import Reporter, Task, run_with_progress


@dataclass
class AuditDetails:
    """What the Details page collected."""

    title: str
    scope: str
    period: tuple[dt.date, dt.date] | None
    path: Path


class WizardContext(QObject):
    """What the pages share: settings, the actor, the audit being set up and the running tasks."""

    def __init__(self, settings: UiSettings, actor: str, parent: QObject | None = None):
        super().__init__(parent)
        self.settings = settings
        self.actor = actor
        self.details: AuditDetails | None = None
        self.state: SetupState | None = None
        self._tasks: set[Task] = set()

    @property
    def audit_path(self) -> Path | None:
        return self.state.path if self.state else None

    @property
    def period(self) -> tuple[dt.date, dt.date] | None:
        if self.state is not None:
            return self.state.period
        return self.details.period if self.details else None

    def run(self, function: Callable[[Reporter], Any], succeeded: Callable[[Any], None],
            failed: Callable[[str, str], None]) -> Task:
        """Start ``function`` in the background (no dialog); keep the task alive until it finishes.

        The task has no parent: if the wizard closes first, the task ends on its own and its
        signals, connected to methods of deleted pages, are dropped by Qt.
        """
        task = Task(function)
        self._keep(task)
        task.succeeded.connect(succeeded)
        task.failed.connect(failed)
        task.start()
        return task

    def run_with_dialog(self, parent: QWidget, title: str, label: str, function: Callable[[Reporter], Any]) -> Task:
        """Start ``function`` with a cancellable progress dialog over ``parent``."""
        task = run_with_progress(parent, title, label, function)
        self._keep(task)
        return task

    def busy(self) -> bool:
        return bool(self._tasks)

    def _keep(self, task: Task) -> None:
        self._tasks.add(task)
        task.finished.connect(partial(self._tasks.discard, task))


def without_progress(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[Reporter], Any]:
    """``function(*args, **kwargs)`` as the function of a task that reports no progress."""

    def call(reporter: Reporter) -> Any:
        return function(*args, **kwargs)

    return call
