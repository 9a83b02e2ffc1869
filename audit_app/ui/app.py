"""The GUI's composition root: environment checks, the QApplication, error handling, the window."""

from __future__ import annotations

import ctypes.util
import logging
import os
import sys
import traceback
from pathlib import Path
from types import TracebackType

from audit_app.errors import EnvironmentProblem, UserFacingError

log = logging.getLogger(__name__)

# Libraries Qt's xcb (X11) platform plugin loads at run time; Qt's own message when one is
# missing names the wrong library, so look for them first and say which Debian packages to add.
XCB_LIBRARIES = {
    "xcb-cursor": "libxcb-cursor0",
    "xcb-icccm": "libxcb-icccm4",
    "xcb-image": "libxcb-image0",
    "xcb-keysyms": "libxcb-keysyms1",
    "xcb-render-util": "libxcb-render-util0",
    "xcb-shape": "libxcb-shape0",
    "xkbcommon-x11": "libxkbcommon-x11-0",
}


def check_display(environ: dict[str, str] | None = None) -> None:
    """Raise ``EnvironmentProblem`` (one clear sentence) when no window can be opened here."""
    environ = dict(os.environ if environ is None else environ)
    if not sys.platform.startswith("linux") or environ.get("QT_QPA_PLATFORM"):
        return
    if not (environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY")):
        raise EnvironmentProblem(
            "No display is available, so the window cannot open: run it from a desktop session, "
            "or under a virtual display with `xvfb-run -a make run`."
        )
    if environ.get("DISPLAY") and not environ.get("WAYLAND_DISPLAY"):
        missing = [package for library, package in XCB_LIBRARIES.items() if ctypes.util.find_library(library) is None]
        if missing:
            raise EnvironmentProblem(
                f"Qt needs system libraries that are not installed ({', '.join(missing)}): "
                f"install them with `make system-deps` (as root) or `apt-get install {' '.join(missing)}`."
            )


def _log_file() -> Path:
    from PySide6.QtCore import QStandardPaths

    folder = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "audit-app.log"


def install_excepthook() -> None:
    """Show user-facing errors as a sentence and bugs with their traceback; log both."""

    def handle(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        from PySide6.QtWidgets import QApplication, QMessageBox

        if isinstance(error, UserFacingError):
            log.warning("%s", error)
            QMessageBox.warning(QApplication.activeWindow(), "audit-app", str(error))
            return
        details = "".join(traceback.format_exception(kind, error, tb))
        log.error("Unexpected error\n%s", details)
        box = QMessageBox(QMessageBox.Icon.Critical, "audit-app: unexpected error",
                          "Something went wrong inside audit-app. Your recorded work is safe. "
                          "Please report this error with the details below.",
                          QMessageBox.StandardButton.Ok, QApplication.activeWindow())
        box.setDetailedText(details)
        box.exec()

    sys.excepthook = handle


def run_gui(audit_path: str | Path | None = None) -> int:
    """Open the main window (on ``audit_path``, or where the reviewer was) and run the event loop."""
    check_display()
    from PySide6.QtWidgets import QApplication

    from audit_app.ui import people_actions
    from audit_app.ui.main_window import MainWindow
    from audit_app.ui.ui_settings import UiSettings

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("audit-app")
    app.setOrganizationName("audit-app")
    try:
        handler = logging.FileHandler(_log_file(), encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger().addHandler(handler)
    except OSError as exc:
        log.warning("cannot write the log file: %s", exc)
    install_excepthook()
    window = MainWindow(UiSettings())
    window.show()
    if people_actions.ensure_identity(window):
        if audit_path is not None:
            window.open_audit_file(str(audit_path))
        else:
            window.restore_position()
    code = app.exec()
    from audit_app.ui.workers import wait_for_tasks

    wait_for_tasks()  # a grading or verification still running finishes on its own connection first
    return code
