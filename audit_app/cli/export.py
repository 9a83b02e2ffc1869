"""The ``export`` command: the audit's reviews and results as CSV, XLSX or JSON (issue 11 §3)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from audit_app.services import exports


def add_parser(commands: Any) -> None:
    """Register ``audit-app export`` on the top-level subcommands."""
    export = commands.add_parser(
        "export", help="export the reviews and results as CSV, XLSX or JSON",
        description="Export the audit's reviews: one row per file, item and review role (CSV, XLSX, JSON); XLSX adds "
                    "a sheet per file, the items and the results; JSON holds the audit, design, checklist, files, "
                    "reviews and results (schema: checklists/export.schema.json). Text that a spreadsheet would run "
                    "as a formula is given a leading apostrophe. Prints a JSON summary.")
    export.add_argument("audit", metavar="AUDIT", help="the audit file")
    export.add_argument("--format", required=True, choices=exports.FORMATS, dest="fmt", help="the export's format")
    export.add_argument("--out", required=True, metavar="PATH", help="the file to write (replaced once complete)")
    export.add_argument("--no-notes", action="store_true",
                        help="leave out free text (notes, evidence, N/A and moderation reasons), for sharing outside "
                             "the audit team")
    export.add_argument("--no-names", action="store_true",
                        help="replace reviewers' names and staff numbers by pseudonyms (Reviewer 1, Reviewer 2, …)")
    export.add_argument("--marking", metavar="TEXT",
                        help="the protective marking, e.g. OFFICIAL-SENSITIVE: the first line of a CSV, the page "
                             "header of an XLSX, the \"marking\" key of the JSON (default: the audit's own, set by a lead "
                             "in File > Audit settings)")
    export.set_defaults(handler=_export)


def _export(args: argparse.Namespace) -> int:
    from audit_app.services.audits import open_audit

    with open_audit(args.audit) as audit:
        result = exports.export(audit, args.fmt, args.out, notes=not args.no_notes, names=not args.no_names,
                                marking=args.marking, progress=_phase_progress())
    json.dump(result.to_json(), sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    print(f"exported {result.rows:,} rows ({result.files:,} files) to {result.path}", file=sys.stderr)
    return 0


def _phase_progress() -> Callable[[int, int, str], None]:
    """Progress on stderr, one line per tenth of each phase (the service names the phase)."""
    shown: dict[str, int] = {}

    def report(done: int, total: int, text: str) -> None:
        tenth = int(10 * done / total) if total else 10
        if tenth > shown.get(text, -1):
            shown[text] = tenth
            print(f"{text}: {10 * tenth}%", file=sys.stderr)

    return report
