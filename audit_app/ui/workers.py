"""Long work off the GUI thread: a task runs in Qt's thread pool and reports progress, a result or an error.

The function a task runs must not touch widgets, and must open its own audit connection (an SQLite
connection belongs to the thread that made it). It receives a :class:`Reporter`; calling
``reporter.progress(done, total)`` both reports and is where a cancel request takes effect: it raises
:class:`Cancelled`, so the work stops and any open transaction rolls back.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal  # noqa: F401
from PySide6.QtWidgets import QProgressDialog, QWidget

from audit_app.errors import AuditFileError, UserFacingError
from audit_app.services import audits
from audit_app.services.verification import explain_failure

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """The user cancelled the task; nothing it was doing was recorded."""


class Reporter:
    """Handed to a task's function: report progress, and learn of a cancel request."""

    def __init__(self, task: "Task"):
        self._task = task

    @property
    def cancelled(self) -> bool:
        return self._task._cancel.is_set()

    def progress(self, done: int, total: int, text: str = "") -> None:
        """Report progress (``total`` 0 = unknown); raises :class:`Cancelled` once cancel was asked."""
        if self._task._cancel.is_set():
            raise Cancelled()
        self._task.progressed.emit(int(done), int(total), text)


_RUNNING: set["Task"] = set()  # tasks stay alive until they finish, whatever happens to the window


class _Runnable(QRunnable):
    def __init__(self, task: "Task"):
        super().__init__()
        self.task = task

    def run(self) -> None:
        task = self.task
        try:
            result = task._function(Reporter(task))
        except Cancelled:
            task.cancelled.emit()
        except UserFacingError as error:
            task.failed.emit(str(error), "")
        except Exception as error:  # a bug: keep the traceback for the crash dialog and the log
            details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
            log.error("background task failed\n%s", details)
            task.failed.emit(f"Something went wrong inside audit-app ({type(error).__name__}: {error}). "
                             "Nothing was recorded by this step.", details)
        else:
            task.succeeded.emit(result)
        finally:
            task.finished.emit()


class Task(QObject):
    """One piece of background work. Connect to its signals, then call :meth:`start`.

    Signals arrive on the GUI thread (queued): ``progressed(done, total, text)``, then exactly one
    of ``succeeded(result)``, ``failed(message, details)`` (details: a traceback for a bug, else
    "") or ``cancelled()``, then ``finished()``.
    """

    progressed = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(str, str)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, function: Callable[[Reporter], Any]):
        # No Qt parent: a task outlives the widget that started it until its work is done (a
        # widget deleted mid-task would delete the signals the worker thread emits on).
        super().__init__()
        self._function = function
        self._cancel = threading.Event()
        self._running = False
        self.dialog: QProgressDialog | None = None  # the progress dialog of run_with_progress, if any
        self.finished.connect(self._on_finished)

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> None:
        self._running = True
        _RUNNING.add(self)
        QThreadPool.globalInstance().start(_Runnable(self))

    def cancel(self) -> None:
        """Ask the work to stop at its next progress report."""
        self._cancel.set()

    def _on_finished(self) -> None:
        self._running = False
        _RUNNING.discard(self)


def on_audit(path: Path, service: Callable[..., Any], *args: Any, progress: bool = False,
             **kwargs: Any) -> Callable[[Reporter], Any]:
    """The function of a task that runs ``service(audit, *args, **kwargs)`` on the audit at ``path``,
    on the task's own connection (:func:`audit_app.services.audits.run`): the one way the GUI runs a
    service call in the background.

    :param progress: pass the task's ``reporter.progress`` as the service's ``progress``; a cancel
        then stops the service at its next report, and its transaction rolls back.
    """

    def call(reporter: Reporter) -> Any:
        extra = {"progress": reporter.progress} if progress else {}
        try:
            return audits.run(path, service, *args, **kwargs, **extra)
        except (Cancelled, UserFacingError):
            raise
        except Exception as error:
            explained = explain_failure(path)  # a hand-edited or damaged audit: the file is at fault, say so
            if explained:
                raise AuditFileError(explained) from error
            raise

    return call


def wait_for_tasks(msecs: int = 30_000) -> bool:
    """Wait for every background task to finish (at exit, and between tests)."""
    return QThreadPool.globalInstance().waitForDone(msecs)


def run_with_progress(parent: QWidget, title: str, label: str, function: Callable[[Reporter], Any]) -> Task:
    """Start ``function`` as a task with a window-modal progress dialog that can cancel it.

    The caller connects to the task's ``succeeded``/``failed``/``cancelled`` signals; the dialog
    closes itself when the task finishes.
    """
    task = Task(function)
    dialog = QProgressDialog(label, "Cancel", 0, 0, parent)
    dialog.setWindowTitle(title)
    dialog.setMinimumDuration(300)  # a quick task never flashes a dialog
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setAccessibleName(title)

    def on_progress(done: int, total: int, text: str) -> None:
        if total > 0:
            scale = max(1, total // 1_000_000)  # QProgressDialog counts in int (32-bit)
            dialog.setMaximum(total // scale)
            dialog.setValue(min(done, total) // scale)
        if text:
            dialog.setLabelText(text)

    task.progressed.connect(on_progress)
    dialog.canceled.connect(task.cancel)
    task.finished.connect(dialog.reset)
    task.finished.connect(dialog.deleteLater)
    task.dialog = dialog  # tests reach it to press Cancel
    task.start()
    return task
