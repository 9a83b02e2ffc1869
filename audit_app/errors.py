"""The error family: what the user can fix (UserFacingError) versus bugs (everything else).

A ``UserFacingError`` carries a sentence that is shown as it is: on stderr by the CLI (exit 1), in
a message box by the GUI. Any other exception is a bug: it is logged with its traceback (the CLI
exits 70; the GUI shows a crash dialog).

The whole family, in one place::

    AuditAppError
    └── UserFacingError          bad input or an environment problem, in one sentence
        ├── EnvironmentProblem   the machine lacks a display, a system library, a writable folder
        ├── ChecklistError       a checklist file is wrong: every Problem (FILE:LINE:COL: message)
        ├── PopulationError      a population file cannot be read, or the mapping does not fit it
        ├── AuditFileError       the file cannot be used as an audit (missing, foreign, damaged, too new)
        └── AuditError           an action on an audit is not possible as asked
            (ui.session.AuditInUseError, a UserFacingError that holds the GUI's lock on the file,
            lives beside that lock)
"""

from __future__ import annotations

from dataclasses import dataclass


class AuditAppError(Exception):
    """Base class of every error this application raises on purpose."""


class UserFacingError(AuditAppError):
    """Bad input or an environment problem, explained in one clear sentence."""


class EnvironmentProblem(UserFacingError):
    """The machine lacks something the app needs (a display, a system library, a writable folder)."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, located at a 1-based line and column."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{shown(self.file)}:{self.line}:{self.column}: {shown(self.message)}"


def shown(text: str) -> str:
    """Text safe to echo to a terminal or a window: control characters (an escape sequence hidden in
    an id, a NUL) are written as escapes (``\\x1b``), never sent raw."""
    return _escaped(text, " ")


def terminal_safe(text: str) -> str:
    """:func:`shown`, keeping line breaks and tabs: for whole messages written to a terminal."""
    return _escaped(text, " \n\t")


def _escaped(text: str, kept: str) -> str:
    return "".join(c if c.isprintable() or c in kept else c.encode("unicode_escape").decode("ascii") for c in text)


class ChecklistError(UserFacingError):
    """A checklist file is wrong; ``problems`` lists every problem found, in file order."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        count = len(self.problems)
        first = str(self.problems[0]) if self.problems else "unknown problem"
        more = f" (and {count - 1} more)" if count > 1 else ""
        super().__init__(f"{first}{more}")

    def report(self) -> str:
        """All problems, one ``FILE:LINE:COL: message`` per line."""
        return "\n".join(str(p) for p in self.problems)


class PopulationError(UserFacingError):
    """A population file cannot be read, or the mapping asked for does not fit it."""


class AuditFileError(UserFacingError):
    """The file cannot be used as an audit (missing, not an audit, damaged, too new, locked)."""


class AuditError(UserFacingError):
    """An action on an audit is not possible as asked (explained in one sentence)."""
