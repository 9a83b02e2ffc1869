"""The menu bar, declared: a :class:`Command` is a text, a shortcut and what it runs; a :class:`Menu`
is a title and its commands. Each actions module declares its commands (``audit_actions.VERIFY``…);
the main window lists its menus in one table and :func:`build_menus` turns them into QActions.

A new storey brings its own module: ``reports_actions.MENU = Menu("&Reports", (...))`` and one line
in the window's table. A command runs with the window as its :class:`Workbench`, the little it may
use of it.

A command that changes the audit says so (``writes=True``): the window keeps it disabled while the
open audit is read-only (an archive on read-only media), so one flag, not a check in every action,
keeps a read-only view read-only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenuBar, QWidget

from audit_app.core.results.model import AuditResults
from audit_app.services.workspace import FileSummary
from audit_app.ui.session import AuditSession
from audit_app.ui.ui_settings import Identity, Position, UiSettings

Shortcut = QKeySequence | QKeySequence.StandardKey | str | None
# What a command runs with: the Workbench for actions modules, the window itself for its own
# commands. Contravariant: a command for any Workbench is a command for the window.
W = TypeVar("W", contravariant=True)


class Workbench(Protocol):
    """What an action may use of the main window: the session and who is working, where its
    dialogs go, and what the window shows. Nothing else: the pages are the window's business."""

    settings: UiSettings
    identity: Identity | None  # who is working
    session: AuditSession | None  # the open audit

    def window(self) -> QWidget: ...  # the parent of an action's dialogs

    def open_audit_file(self, path: str, position: Position | None = None) -> bool: ...

    def close_audit(self) -> None: ...

    def file(self, ref: str) -> FileSummary | None: ...  # a sampled file, as the workspace lists it

    def current_ref(self) -> str | None: ...  # the file on screen, or selected in the workspace

    def current_results(self) -> AuditResults | None: ...  # as the results page shows them

    def show_start(self) -> None: ...

    def show_identity(self) -> None: ...

    def show_workspace(self) -> None: ...

    def refresh_workspace(self) -> None: ...  # after a change to the sample or its reviews

    def select_file(self, ref: str) -> None: ...  # in the workspace

    def open_review(self, ref: str, role: str | None = None, item: str | None = None) -> None: ...

    def show_review_changed(self, review_id: int) -> None: ...  # refreshed, and reopened if on screen

    def moderate(self, ref: str) -> None: ...  # show the file's moderation

    def show_status(self, message: str) -> None: ...  # for a few seconds, in the status bar


@dataclass(frozen=True)
class Command(Generic[W]):
    """One menu entry."""

    text: str  # with its mnemonic: "&Verify this audit"
    run: Callable[[W], object]
    shortcut: Shortcut = None
    needs_audit: bool = False  # enabled only while an audit is open
    writes: bool = False  # it changes the audit: disabled while the open audit is read-only


SEPARATOR = None


@dataclass(frozen=True)
class Menu(Generic[W]):
    title: str
    entries: Sequence[Command[W] | None]  # None (SEPARATOR) draws a line


class CommandAction(QAction):
    """The QAction of a :class:`Command`: it knows whether it needs an open audit and whether it writes."""

    def __init__(self, text: str, parent: QWidget, *, needs_audit: bool, writes: bool):
        super().__init__(text, parent)
        self.needs_audit = needs_audit
        self.writes = writes

    def enable_for(self, audit_open: bool, read_only: bool) -> None:
        """Enabled while it can run: an audit is open (if it needs one), and one that can be written (if it writes)."""
        enabled = (audit_open or not self.needs_audit) and not (self.writes and read_only)
        self.setEnabled(enabled)
        self.setStatusTip(READ_ONLY_TIP if self.writes and read_only else "")


READ_ONLY_TIP = "The audit is read-only: nothing in it can be changed."


def build_menus(bench: W, menu_bar: QMenuBar, menus: Sequence[Menu[W]]) -> list[CommandAction]:
    """Add the menus to the menu bar, their commands run with ``bench``; returns the actions that
    need an open audit (the window enables them while one is open, those that write only while it
    can be written: :meth:`CommandAction.enable_for`)."""
    needing_audit = []
    for menu in menus:
        qmenu = menu_bar.addMenu(menu.title)
        for entry in menu.entries:
            if entry is None:
                qmenu.addSeparator()
                continue
            action = _action(bench, entry, qmenu)
            qmenu.addAction(action)
            if entry.needs_audit:
                needing_audit.append(action)
    return needing_audit


def _action(bench: W, command: Command[W], parent: QWidget) -> CommandAction:
    action = CommandAction(command.text, parent, needs_audit=command.needs_audit, writes=command.writes)
    if command.shortcut is not None:
        action.setShortcut(QKeySequence(command.shortcut))

    def trigger() -> None:
        command.run(bench)

    action.triggered.connect(trigger)
    return action
