"""The layers keep their directions: every module's imports, read from its source (AST, nothing runs).

``ALLOWED`` is the one table of who may import whom, with the reason for each direction. A new
package (a new storey: reports, exports, packages) must take its row here before its first test
can pass.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGE = ROOT / "audit_app"

# layer -> (the project layers it may import, why)
ALLOWED: dict[str, tuple[frozenset[str], str]] = {
    "core": (frozenset(), "the domain's rules and records stand alone: no GUI, no SQL, no caller's needs"),
    "store": (frozenset({"core"}), "the store keeps the core's records in SQL and knows nothing of who asks"),
    "reports": (frozenset({"core"}), "reports render frozen data the services gathered; they compute nothing anew"),
    "services": (frozenset({"store", "core", "reports"}),
                 "services own transactions and the trail: the one face over the store, the core and the reports"),
    "ui": (frozenset({"services", "core"}), "the GUI shows core records and acts through services, never the store"),
    "cli": (frozenset({"services", "ui"}), "the CLI calls services (one route to every result), and opens the GUI"),
}
# Open to every layer: the error family, where bundled files live, and the package's version.
OPEN = frozenset({"errors", "paths", "version"})
# Third-party packages that belong to one layer only (``services`` may name the store's connection
# type in annotations, under ``if TYPE_CHECKING:``).
OWNED = {"PySide6": "ui", "shiboken6": "ui", "sqlite3": "store", "sqlite_utils": "store", "reportlab": "reports", "pypdf": "reports"}
# The raw connection and its holders, which only the services and the store may touch.
CONNECTION_ATTRIBUTES = frozenset({"db", "conn", "database", "_database"})


def layer_of(module: str) -> str:
    """The layer of a module: ``audit_app.<layer>...``; the CLI's modules and the open ones by name."""
    parts = module.split(".")
    if parts == ["audit_app"]:
        return "version"
    if parts[1] in ("cli", "__main__"):
        return "cli"
    if parts[1] in ("errors", "paths", "resources", "checklists"):
        return "paths" if parts[1] in ("resources", "checklists") else parts[1]
    return parts[1]


def module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_lines(tree: ast.AST) -> set[int]:
    """Line numbers inside ``if TYPE_CHECKING:`` blocks (imports there are for annotations only)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports(module: str, source: str) -> list[tuple[int, str, bool]]:
    """(line, imported module, only for type checking) of every import, at any depth (lazy ones too)."""
    tree = ast.parse(source)
    checking = _type_checking_lines(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, node.lineno in checking) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                package = module.split(".")[: -node.level] if not module.endswith("__init__") else module.split(".")
                base = ".".join(package + ([base] if base else []))
            if base == "audit_app":  # from audit_app import services, __version__
                found += [(node.lineno, f"audit_app.{alias.name}" if alias.name != "__version__" else "audit_app",
                           node.lineno in checking) for alias in node.names]
            else:
                found.append((node.lineno, base, node.lineno in checking))
    return found


def violations(module: str, source: str) -> list[str]:
    """Every import of ``module`` outside the allowed directions, and every reach for the raw connection."""
    layer = layer_of(module)
    problems = []
    for line, imported, for_types in imports(module, source):
        top = imported.split(".")[0]
        if top == "audit_app":
            target = layer_of(imported)
            if target == layer or target in OPEN or layer in OPEN and target in OPEN:
                continue
            if layer in OPEN or target not in ALLOWED[layer][0]:
                problems.append(f"{module}:{line}: {layer} imports {imported} ({target}), outside the allowed directions")
        elif top in OWNED and OWNED[top] != layer and not (for_types and layer == "services" and OWNED[top] == "store"):
            problems.append(f"{module}:{line}: {layer} imports {imported}, which belongs to {OWNED[top]} alone")
    if layer in ("ui", "cli"):
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Attribute) and node.attr in CONNECTION_ATTRIBUTES:
                problems.append(f"{module}:{node.lineno}: {layer} reaches the audit's connection (.{node.attr}): "
                                "go through a service")
    return problems


def project_modules() -> list[tuple[str, Path]]:
    return [(module_name(path), path) for path in sorted(PACKAGE.rglob("*.py"))]


def test_every_package_has_its_row_in_the_table():
    layers = {layer_of(module) for module, _ in project_modules()}
    assert layers - OPEN <= set(ALLOWED), f"give {sorted(layers - OPEN - set(ALLOWED))} a row in ALLOWED"


def test_every_module_keeps_to_the_allowed_directions():
    problems = [p for module, path in project_modules() for p in violations(module, path.read_text(encoding="utf-8"))]
    assert not problems, "\n".join(problems)


def test_the_open_modules_import_nothing_of_the_project_but_each_other():
    for module in ("audit_app.errors", "audit_app.paths", "audit_app"):
        path = PACKAGE / (module.split(".")[1] + ".py" if "." in module else "__init__.py")
        targets = {layer_of(name) for _, name, _ in imports(module, path.read_text()) if name.startswith("audit_app")}
        assert targets <= OPEN, (module, targets)


@pytest.mark.parametrize(("module", "source", "expected"), [
    ("audit_app.ui.item_panel", "from audit_app.store.reviews import Reviewer", "ui imports audit_app.store.reviews"),
    ("audit_app.cli", "def f():\n    from audit_app.core import statistics\n", "cli imports audit_app.core"),
    ("audit_app.core.scoring", "from audit_app.services import reviews", "core imports audit_app.services"),
    ("audit_app.store.reviews", "from audit_app.services.audits import Audit", "store imports audit_app.services"),
    ("audit_app.ui.main_window", "rows = session.audit.db.execute('SELECT 1')", "ui reaches the audit's connection (.db)"),
    ("audit_app.services.workspace", "import sqlite3", "services imports sqlite3, which belongs to store alone"),
    ("audit_app.core.sampling", "from PySide6.QtCore import QObject", "core imports PySide6.QtCore"),
    ("audit_app.errors", "from audit_app.services import audits", "errors imports audit_app.services"),
])
def test_the_check_catches_each_kind_of_breach(module, source, expected):
    assert any(expected in problem for problem in violations(module, source)), violations(module, source)


@pytest.mark.parametrize(("module", "source"), [
    ("audit_app.ui.main_window", "from audit_app.core.records import Reviewer\nfrom audit_app.services import sampling"),
    ("audit_app.cli", "from audit_app import __version__, services\nfrom audit_app.errors import UserFacingError"),
    ("audit_app.services.audits", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sqlite_utils import Database"),
    ("audit_app.store.reviews", "from audit_app.core.records import Answer\nimport sqlite3"),
])
def test_the_check_lets_the_allowed_directions_through(module, source):
    assert violations(module, source) == []
