"""GUI start-up: the display check and the two kinds of error."""

import logging
import sys

import pytest
from PySide6.QtWidgets import QMessageBox

from audit_app.errors import EnvironmentProblem, UserFacingError
from audit_app.ui import app


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the display check is for Linux")
def test_no_display_is_one_clear_sentence():
    with pytest.raises(EnvironmentProblem, match=r"No display is available.*xvfb-run -a make run"):
        app.check_display({})


def test_explicit_platform_skips_the_display_check():
    app.check_display({"QT_QPA_PLATFORM": "offscreen"})


def test_missing_xcb_library_names_the_debian_package(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(app.ctypes.util, "find_library", lambda name: None if name == "xcb-icccm" else f"lib{name}.so")
    with pytest.raises(EnvironmentProblem, match=r"\(libxcb-icccm4\).*make system-deps"):
        app.check_display({"DISPLAY": ":0"})


def test_user_facing_error_is_shown_as_a_sentence(qtbot, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    saved = sys.excepthook
    try:
        app.install_excepthook()
        sys.excepthook(UserFacingError, UserFacingError("The audit file is read-only."), None)
    finally:
        sys.excepthook = saved
    assert shown == ["The audit file is read-only."]


def test_bug_is_logged_with_its_traceback(qtbot, monkeypatch, caplog):
    boxes = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: boxes.append(box))
    saved = sys.excepthook
    try:
        app.install_excepthook()
        try:
            raise RuntimeError("boom")
        except RuntimeError as error:
            with caplog.at_level(logging.ERROR):
                sys.excepthook(RuntimeError, error, error.__traceback__)
    finally:
        sys.excepthook = saved
    assert "Traceback" in caplog.text and "RuntimeError: boom" in caplog.text
    assert "RuntimeError: boom" in boxes[0].detailedText()
