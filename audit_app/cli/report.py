"""``audit-app report``: PDF reports of an audit (file reports in this version)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from audit_app.errors import UserFacingError


def add_parser(commands: Any) -> None:
    report = commands.add_parser(
        "report", help="PDF file review reports (--file/--files)",
        description="Write PDF reports of an audit. --file REF: one reviewed file; --files REF,...|all: several "
                    "reviewed files in one PDF, each from a new page with a bookmark. The whole-audit report is not "
                    "available in this version.")
    report.add_argument("audit", metavar="AUDIT", help="the audit file")
    report.add_argument("--out", required=True, metavar="FILE.pdf", help="the PDF to write (replaced if it exists)")
    which = report.add_mutually_exclusive_group()
    which.add_argument("--file", metavar="REF", help="the report of one reviewed file")
    which.add_argument("--files", metavar="REF,...|all",
                       help="the reports of these reviewed files in one PDF; `all`: every file whose reviews are finished")
    report.add_argument("--marking", metavar="TEXT",
                        help="protective marking on every page's header and footer, e.g. OFFICIAL-SENSITIVE "
                             "(default: the audit's own, set by a lead in File > Audit settings)")
    report.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from audit_app.services import reports
    from audit_app.services.audits import open_audit

    if args.file is None and args.files is None:
        raise UserFacingError("The audit report is not available in this version of audit-app; "
                              "give --file REF or --files REF,...|all for file reports.")
    if args.file is not None:
        refs: list[str] | str = [args.file]
    elif args.files.strip().casefold() == reports.ALL:
        refs = reports.ALL
    else:
        refs = [ref.strip() for ref in args.files.split(",") if ref.strip()]
    with open_audit(args.audit) as audit:
        written = reports.write_file_reports(audit, refs, args.out, marking=args.marking, progress=_progress())
    print(f"audit-app: wrote {written}", file=sys.stderr)
    return 0


def _progress() -> Any:
    """Progress on stderr, at most every tenth of the work (quiet for a handful of files)."""
    shown = {"step": -1}

    def show(done: int, total: int, text: str) -> None:
        step = 10 * done // total if total else 10
        if total >= 20 and step != shown["step"]:
            shown["step"] = step
            print(f"audit-app: {text} ({done} of {total})", file=sys.stderr)

    return show
