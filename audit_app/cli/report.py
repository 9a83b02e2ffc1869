"""``audit-app report``: PDF reports of an audit, and checking a report against its audit.

Two forms share the command::

    audit-app report AUDIT --out FILE.pdf [--file REF | --files REF,...|all] [--marking TEXT]
    audit-app report verify REPORT.pdf AUDIT [--json]

argparse cannot put a sub-command beside a positional AUDIT, so the positionals are gathered and
told apart here: a first positional ``verify`` followed by two more is the check; one positional is
an audit to write a report of. Anything else is a usage error (exit 2). Both forms only read the
audit, so they work while the GUI has it open.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

VERIFY = "verify"
USAGE = ("audit-app report AUDIT --out FILE.pdf [--file REF | --files REF,...|all] [--marking TEXT]\n"
         "       audit-app report verify REPORT.pdf AUDIT [--json]")


def add_parser(commands: Any) -> None:
    report = commands.add_parser(
        "report", usage=USAGE, help="PDF reports (the audit report, or file reports: --file/--files); "
                                    "`report verify REPORT.pdf AUDIT` checks a report against its audit",
        description="Write a PDF report of an audit: the whole-audit report, or with --file REF one reviewed file, "
                    "with --files REF,...|all several reviewed files in one PDF, each from a new page with a bookmark. "
                    "Every report carries a manifest of what it was produced from. `report verify REPORT.pdf AUDIT` "
                    "says whether the report was produced from the audit as it stands now (exit 0) or what changed "
                    "since (exit 1).")
    report.add_argument("positionals", nargs="+", metavar="AUDIT | verify REPORT.pdf AUDIT",
                        help="the audit file; or `verify`, the report and the audit file")
    report.add_argument("--out", metavar="FILE.pdf", help="the PDF to write (replaced if it exists); needed to write")
    which = report.add_mutually_exclusive_group()
    which.add_argument("--file", metavar="REF", help="the report of one reviewed file")
    which.add_argument("--files", metavar="REF,...|all",
                       help="the reports of these reviewed files in one PDF; `all`: every file whose reviews are finished")
    report.add_argument("--marking", metavar="TEXT",
                        help="protective marking on every page's header and footer, e.g. OFFICIAL-SENSITIVE "
                             "(default: the audit's own, set by a lead in File > Audit settings)")
    report.add_argument("--json", action="store_true",
                        help="with verify: one JSON object {matches, findings, report, audit} on stdout")
    report.set_defaults(handler=run, report_parser=report)


def run(args: argparse.Namespace) -> int:
    parser: argparse.ArgumentParser = args.report_parser
    positionals: list[str] = args.positionals
    if positionals[0] == VERIFY and len(positionals) != 1:
        if len(positionals) != 3:
            parser.error("report verify takes the report and the audit: audit-app report verify REPORT.pdf AUDIT")
        if args.out is not None or args.file is not None or args.files is not None or args.marking is not None:
            parser.error("report verify takes no --out, --file, --files or --marking")
        return verify(positionals[1], positionals[2], as_json=args.json)
    if len(positionals) != 1:
        parser.error(f"unrecognized arguments: {' '.join(positionals[1:])}")
    if args.out is None:
        parser.error("the following arguments are required to write a report: --out")
    if args.json:
        parser.error("--json is for report verify")
    return write(positionals[0], args)


def write(audit_path: str, args: argparse.Namespace) -> int:
    from audit_app.services import reports
    from audit_app.services.audits import open_audit

    with open_audit(audit_path) as audit:
        if args.file is None and args.files is None:
            written = reports.write_audit_report(audit, args.out, marking=args.marking, progress=_progress())
        else:
            refs: list[str] | str
            if args.file is not None:
                refs = [args.file]
            elif args.files.strip().casefold() == reports.ALL:
                refs = reports.ALL
            else:
                refs = [ref.strip() for ref in args.files.split(",") if ref.strip()]
            written = reports.write_file_reports(audit, refs, args.out, marking=args.marking, progress=_progress())
    print(f"audit-app: wrote {written}", file=sys.stderr)
    return 0


def verify(report_path: str, audit_path: str, *, as_json: bool = False) -> int:
    """``report verify``: exit 0 when the report was produced from the audit as it stands, else 1."""
    import json

    from audit_app.services import provenance
    from audit_app.services.audits import open_audit

    with open_audit(audit_path) as audit:
        check = provenance.check_report(audit, report_path)
    if check.matches:
        summary = (f"The report matches the audit as it stands: trail head {check.head} ({check.events} events).")
    else:
        summary = f"The report does not match the audit: {len(check.findings)} finding(s)."
    made = f"{check.kind or 'report'} produced {check.generated_at or '(no date)'} by audit-app {check.app_version or '?'}"
    if check.refs:
        shown = ", ".join(check.refs[:5]) + (f" and {len(check.refs) - 5} more" if len(check.refs) > 5 else "")
        made += f" (files {shown})"
    if as_json:
        json.dump(check.to_json(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        stream = sys.stderr
    else:
        stream = sys.stdout
    print(summary, file=stream)
    print(f"{report_path}: {made}; its trail head {check.report_head or '(none)'} ({check.report_events} events).",
          file=stream)
    for finding in check.findings:
        print(f"- {finding}", file=stream)
    return 0 if check.matches else 1


def _progress() -> Any:
    """Progress on stderr, at most every tenth of the work (quiet for a handful of files)."""
    shown = {"step": -1}

    def show(done: int, total: int, text: str) -> None:
        step = 10 * done // total if total else 10
        if total >= 20 and step != shown["step"]:
            shown["step"] = step
            print(f"audit-app: {text} ({done} of {total})", file=sys.stderr)

    return show
