"""The command line: a thin layer over the services (see shared/spec/cli.md for the contract).

Exit codes: 0 success; 1 invalid input or a failed check (a clear message on stderr); 2 usage.
JSON goes to stdout as one object; messages and progress go to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from audit_app import __version__, services
from audit_app.core.checklist import Checklist
from audit_app.errors import UserFacingError

log = logging.getLogger(__name__)

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="audit-app",
        description="Audit a sample of crime investigation files against a checklist. With no command, opens the GUI.",
    )
    parser.add_argument("--version", action="version", version=f"audit-app {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = commands.add_parser("gui", help="open the GUI")
    gui.set_defaults(handler=_gui)

    checklist = commands.add_parser("checklist", help="list, validate, show checklists; print the schema")
    checklist_commands = checklist.add_subparsers(dest="checklist_command", metavar="SUBCOMMAND", required=True)
    listing = checklist_commands.add_parser("list", help="bundled checklists: id, version, title")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_checklist_list)
    validate = checklist_commands.add_parser("validate", help="check checklist files; print every problem as FILE:LINE:COL: message")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.set_defaults(handler=_checklist_validate)
    schema = checklist_commands.add_parser("schema", help="print the JSON Schema of the checklist format")
    schema.set_defaults(handler=_checklist_schema)
    show = checklist_commands.add_parser("show", help="show a checklist (bundled id or file)")
    show.add_argument("checklist", metavar="ID|FILE")
    show.add_argument("--json", action="store_true", help="print the normalised checklist as JSON")
    show.set_defaults(handler=_checklist_show)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    logging.basicConfig(level=logging.WARNING, format="audit-app: %(levelname)s: %(message)s")
    args = build_parser().parse_args(argv)
    handler: Handler = getattr(args, "handler", _gui)
    try:
        return handler(args)
    except UserFacingError as exc:
        print(f"audit-app: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("audit-app: interrupted", file=sys.stderr)
        return 130
    except Exception:  # a bug, not bad input: keep the traceback for the report
        log.exception("internal error (this is a bug in audit-app; please report it with the traceback below)")
        return 70


def _print_json(data: Any, stream: TextIO | None = None) -> None:
    json.dump(data, stream or sys.stdout, indent=2, ensure_ascii=False, default=str)
    (stream or sys.stdout).write("\n")


def _gui(args: argparse.Namespace) -> int:
    from audit_app.ui.app import run_gui  # Qt is imported only when a window is wanted

    return run_gui()


def _checklist_list(args: argparse.Namespace) -> int:
    summaries = services.bundled_checklists()
    if args.json:
        _print_json({"checklists": [{"id": s.id, "version": s.version, "title": s.title, "items": s.items} for s in summaries]})
    else:
        for s in summaries:
            print(f"{s.id}\t{s.version}\t{s.title}")
    return 0


def _checklist_validate(args: argparse.Namespace) -> int:
    valid, problems = services.validate_checklist_files(args.files)
    for checklist in valid:
        print(f"{checklist.source_name}: valid ({checklist.id} {checklist.version}, {len(checklist.items)} items)")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        files = len({p.file for p in problems})
        print(f"audit-app: {len(problems)} problem(s) in {files} file(s)", file=sys.stderr)
        return 1
    return 0


def _checklist_schema(args: argparse.Namespace) -> int:
    _print_json(services.checklist_schema())
    return 0


def _checklist_show(args: argparse.Namespace) -> int:
    checklist = services.open_checklist(args.checklist)
    if args.json:
        _print_json(checklist.to_json())
    else:
        print(_outline(checklist))
    return 0


def _outline(checklist: Checklist) -> str:
    """A plain-text outline of a checklist for the terminal."""
    spec = checklist.spec
    lines = [f"{spec.title} ({spec.id} {spec.version})", f"sha256 {checklist.sha256}", ""]
    for section in spec.sections:
        lines.append(f"{section.id}  {section.title}")
        for item in section.items:
            flags = f"w{item.weight} {item.scale}" + ("" if item.critical == "never" else f" critical:{item.critical}")
            applies = f"  [applies when {item.applies_when}]" if item.applies_when else ""
            lines.append(f"  {item.id:<4} {item.question}  ({flags}){applies}")
    return "\n".join(lines)
