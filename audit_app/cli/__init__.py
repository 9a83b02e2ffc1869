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
from decimal import Decimal
from typing import Any, TextIO

from audit_app import __version__, services
from audit_app.cli import export
from audit_app.cli import report as report_command
from audit_app.errors import UserFacingError, terminal_safe
from audit_app.services.population import OFFENCE_GROUPS, PRESET_NAMES
from audit_app.services.sampling import DEFAULT_RESERVE

FIELD_LIST = "ref, offence, offence_group, area, month, outcome, officer"
GROUP_LIST = ", ".join(OFFENCE_GROUPS)
SCOPE_ALL = "all"

log = logging.getLogger(__name__)

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="audit-app",
        description="Audit a sample of crime investigation files against a checklist. With no command, opens the GUI.",
    )
    parser.add_argument("--version", action="version", version=f"audit-app {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = commands.add_parser("gui", help="open the GUI, optionally on an audit file")
    gui.add_argument("audit", nargs="?", metavar="AUDIT")
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
    _add_audit_commands(commands)
    report_command.add_parser(commands)
    _add_demo_command(commands)
    export.add_parser(commands)
    return parser


def _add_audit_commands(commands: Any) -> None:
    init = commands.add_parser("init", help="create a new audit file")
    init.add_argument("audit", metavar="AUDIT")
    init.add_argument("--checklist", required=True, metavar="ID|FILE")
    init.add_argument("--title", required=True)
    init.set_defaults(handler=_init)

    imp = commands.add_parser(
        "import", help="import the population (CSV or XLSX); prints JSON",
        description="Import the population export the sample is drawn from (CSV in any common encoding and "
                    "delimiter, or XLSX); prints JSON. A file already imported into the audit is refused.",
        epilog=f"Fields: {FIELD_LIST}. Offence groups: {GROUP_LIST}. Any other column is kept as an extra field, "
               "usable in --scope and as a stratum.")
    imp.add_argument("audit", metavar="AUDIT", help="the audit file")
    imp.add_argument("file", metavar="FILE", help="the population file (.csv, .txt, .tsv or .xlsx)")
    imp.add_argument("--preset", metavar="NAME",
                     help=f"map the columns with a preset: the built-in {', '.join(PRESET_NAMES)}, or one saved in the "
                          "GUI or with --save-preset (see `audit-app presets`)")
    imp.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN", type=_pair,
                     help=f"take FIELD from COLUMN (repeatable; FIELD is one of {FIELD_LIST}); FIELD= leaves it "
                          "unmapped. Wins over the preset and over matching the headers by name")
    imp.add_argument("--scope", action="append", default=[], metavar="FIELD=V1,V2,...|all", type=_scope_pair,
                     help="keep only rows whose FIELD is one of the values in the sampling frame (repeatable; FIELD is "
                          "a field or an extra column; months as YYYY-MM). Default: the offence groups the "
                          "checklist is for; `--scope all` keeps every row")
    imp.add_argument("--save-preset", metavar="NAME",
                     help="after the import, save the column mapping used as a preset named NAME, for the next "
                          "export from the same system")
    imp.add_argument("--strict-rows", action="store_true",
                     help="refuse the file (nothing imported) when a row has fewer or more cells than the header; "
                          "otherwise they are listed (short_rows, long_rows)")
    _add_wait_option(imp)
    imp.set_defaults(handler=_import)

    presets = commands.add_parser("presets", help="list the column-mapping presets (built-in and saved)")
    presets.add_argument("--json", action="store_true", help="print JSON: {\"presets\": {NAME: {FIELD: COLUMN}}}")
    presets.set_defaults(handler=_presets)

    size = commands.add_parser("samplesize", help="sample size for an attribute or margin-of-error design; prints JSON")
    _add_size_options(size, required=True)
    size.add_argument("--population", type=_positive_int, metavar="N")
    size.set_defaults(handler=_samplesize)

    sample = commands.add_parser(
        "sample", help="draw the sample; prints JSON",
        description="Draw the sample from the audit's sampling frame by hash rank, and record the plan that "
                    "re-derives it; prints JSON. Give --size N, or --confidence with --tolerable (attribute "
                    "sampling) or --margin (estimating a proportion). Warns on stderr when the frame holds files "
                    "in offence groups the checklist is not for.")
    sample.add_argument("audit", metavar="AUDIT", help="the audit file")
    sample.add_argument("--size", type=_positive_int, metavar="N", help="draw exactly N files")
    _add_size_options(sample, required=False)
    sample.add_argument("--strata", type=lambda v: [f.strip() for f in v.split(",") if f.strip()], default=[],
                        metavar="FIELD[,FIELD]",
                        help=f"stratify by these fields (one of {FIELD_LIST} other than ref, or an extra column); "
                             "default: not stratified")
    sample.add_argument("--allocation", choices=["proportional", "equal"], default="proportional",
                        help="share the sample between strata: proportional (to stratum size, the default) or equal")
    sample.add_argument("--min-per-stratum", type=_positive_int, metavar="K",
                        help="at least K files from each stratum (or all of a smaller one)")
    sample.add_argument("--seed", metavar="TEXT", help="the seed of the draw (default: a new random one, printed)")
    sample.add_argument("--reserve", type=_non_negative_int, default=DEFAULT_RESERVE, metavar="K",
                        help=f"keep the next K files of each stratum, in order, as reserves for out-of-scope files "
                             f"(default {DEFAULT_RESERVE}; 0 keeps none)")
    sample.add_argument("--redraw", metavar="REASON",
                        help="draw the sample again, replacing one drawn by mistake: only before any review has "
                             "started; REASON is recorded in the audit trail")
    _add_wait_option(sample)
    sample.set_defaults(handler=_sample)

    replace = commands.add_parser("replace", help="replace an out-of-scope sampled file by its stratum's next reserve")
    replace.add_argument("audit", metavar="AUDIT")
    replace.add_argument("ref", metavar="FILE_REF")
    replace.add_argument("--reason", required=True)
    _add_wait_option(replace)
    replace.set_defaults(handler=_replace)

    responses = commands.add_parser("responses", help="record answers captured elsewhere")
    responses_commands = responses.add_subparsers(dest="responses_command", metavar="SUBCOMMAND", required=True)
    responses_import = responses_commands.add_parser("import", help="import answers from a CSV (all or nothing)")
    responses_import.add_argument("audit", metavar="AUDIT")
    responses_import.add_argument("file", metavar="FILE.csv")
    responses_import.add_argument("--complete", action="store_true",
                                  help="then mark every touched review complete; if any still has something missing, "
                                       "record nothing and name each with what is missing")
    _add_wait_option(responses_import)
    responses_import.set_defaults(handler=_responses_import)

    stats = commands.add_parser("stats", help="results: per item, per section, grades; weighted where the design requires")
    stats.add_argument("audit", metavar="AUDIT")
    stats.add_argument("--json", action="store_true", help="one JSON object on stdout (keys in the CLI contract)")
    stats.add_argument("--by", choices=("stratum", "reviewer", "section"), help="also break the results down")
    stats.set_defaults(handler=_stats)

    agreement = commands.add_parser("agreement", help="agreement between primary and second reviews")
    agreement.add_argument("audit", metavar="AUDIT")
    agreement.add_argument("--json", action="store_true", help="one JSON object on stdout (keys in the CLI contract)")
    agreement.set_defaults(handler=_agreement)

    backup = commands.add_parser("backup", help="a consistent copy of an audit (SQLite backup API), never a torn one")
    backup.add_argument("audit", metavar="AUDIT")
    backup.add_argument("dest", metavar="DEST")
    backup.set_defaults(handler=_backup)

    verify = commands.add_parser("verify", help="integrity and audit-trail check; exit 0 when intact")
    verify.add_argument("audit", metavar="AUDIT")
    verify.add_argument("--json", action="store_true",
                        help="one JSON object: intact, head, events, findings [{where, what}], checks")
    verify.add_argument("--head", metavar="HASH",
                        help="a trail head recorded earlier: also prove the trail still extends it")
    verify.set_defaults(handler=_verify)


def _add_demo_command(commands: Any) -> None:
    demo = commands.add_parser(
        "demo", help="build (or reuse) the demo audit from the bundled police.uk data; print its path; open it unless --no-gui")
    demo.add_argument("--path", metavar="AUDIT", help="where the demo audit is kept (default: demo.audit in your data folder)")
    demo.add_argument("--no-gui", action="store_true", help="do not open the GUI; only build the demo and print its path")
    demo.add_argument("--fresh", action="store_true",
                      help="build a new demo even if one exists (the old file is renamed aside with a timestamp, never deleted)")
    demo.set_defaults(handler=_demo)


def _add_wait_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                        help="if the audit is open in the GUI, wait up to this long for it to close (default: refuse)")


def _not_open_elsewhere(args: argparse.Namespace) -> None:
    """Writing commands refuse while the GUI has the audit open (or wait for it: --wait)."""
    from audit_app.services.locks import refuse_if_open

    refuse_if_open(args.audit, wait=max(0.0, args.wait))


def _refuse_unless_writable(audit: Any) -> None:
    """Writing commands refuse a read-only audit, or one verify would call damaged (one sentence, nothing changed)."""
    from audit_app.services.verification import refuse_unless_writable

    refuse_unless_writable(audit)


def _add_size_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument("--confidence", type=_fraction, required=required, metavar="C",
                        help="confidence level, e.g. 0.95, 95 or 95%%")
    parser.add_argument("--tolerable", type=_fraction, metavar="T",
                        help="tolerable deviation rate for attribute sampling, e.g. 0.05 or 5%%")
    parser.add_argument("--expected", type=_fraction, default=0.0, metavar="E",
                        help="expected deviation rate for attribute sampling (default 0)")
    parser.add_argument("--margin", type=_fraction, metavar="M",
                        help="margin of error for estimating a proportion, e.g. 0.05 or 5%%")
    parser.add_argument("--p", type=_fraction, default=0.5, metavar="P",
                        help="anticipated proportion for --margin (default 0.5, the largest sample)")


def _fraction(text: str) -> float:
    """A rate as 0.05, 5% or 5 (numbers above 1 are read as percentages)."""
    try:
        number = Decimal(text.strip().rstrip("%"))
    except ArithmeticError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    # divide as decimals, so "1.1%" is exactly 0.011 (float division would give 0.011000000000000001)
    value = float(number / 100 if text.strip().endswith("%") or number > 1 else number)
    if not number.is_finite() or not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a rate between 0 and 1 (or 0% and 100%)")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' must be at least 1")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' must not be negative")
    return value


def _scope_pair(text: str) -> tuple[str, str]:
    """A --scope value: FIELD=V1,V2,... or ``all`` (every row in the frame)."""
    if text.strip().casefold() == SCOPE_ALL:
        return SCOPE_ALL, ""
    return _pair(text)


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"'{text}' is not of the form FIELD=VALUE")
    return name.strip(), value.strip()


class _TerminalSafe:
    """The standard error stream, with control characters escaped: messages echo what was typed or
    read (a column name, a reference, a value edited into the file), and a NUL or an escape sequence
    in it must never reach the terminal raw. (Standard output carries data, JSON escapes its own.)"""

    def __init__(self, stream: TextIO):
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(terminal_safe(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    stderr = sys.stderr
    sys.stderr = _TerminalSafe(stderr)
    try:
        return _main(argv)
    finally:
        sys.stderr = stderr


def _main(argv: Sequence[str] | None) -> int:
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
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        return 0
    except Exception:
        explained = _damaged_audit(args)
        if explained:  # a hand-edited or damaged audit broke the reading: the file is at fault, say so
            print(f"audit-app: {explained}", file=sys.stderr)
            return 1
        # a bug, not bad input: keep the traceback for the report
        log.exception("internal error (this is a bug in audit-app; please report it with the traceback below)")
        return 70


def _damaged_audit(args: argparse.Namespace) -> str:
    """When a command on an audit failed unexpectedly: why, if the audit is damaged ("" if it is sound)."""
    path = getattr(args, "audit", None)
    positionals = getattr(args, "positionals", None)  # `report AUDIT` and `report verify REPORT.pdf AUDIT`
    if path is None and isinstance(positionals, list) and positionals:
        path = positionals[-1]
    if not isinstance(path, str) or not path:
        return ""
    try:
        from audit_app.services.verification import explain_failure

        return explain_failure(path)
    except Exception:  # noqa: BLE001 (explaining must never hide the original failure)
        return ""


def _print_json(data: Any, stream: TextIO | None = None) -> None:
    json.dump(data, stream or sys.stdout, indent=2, ensure_ascii=False, default=str)
    (stream or sys.stdout).write("\n")


def _gui(args: argparse.Namespace) -> int:
    from audit_app.ui.app import run_gui  # Qt is imported only when a window is wanted

    return run_gui(getattr(args, "audit", None))


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
        print(services.checklist_outline(checklist))
    return 0


# -- audit commands ------------------------------------------------------------------------------


def _progress(label: str) -> Callable[..., None]:
    """Progress on stderr, one line per tenth, so scripts and logs stay readable (a service's
    text, if it passes one, is left out: the label says what is happening)."""
    shown = [-1]

    def report(done: int, total: int, *_: object) -> None:
        tenth = int(10 * done / total) if total else 10
        if tenth > shown[0]:
            shown[0] = tenth
            print(f"{label}: {10 * tenth}%", file=sys.stderr)

    return report


def _init(args: argparse.Namespace) -> int:
    from audit_app.services.audits import create_audit

    with create_audit(args.audit, args.checklist, args.title) as audit:
        checklist = audit.checklist
        print(f"created {audit.path} ({checklist.id} {checklist.version}, {len(checklist.items)} items)", file=sys.stderr)
    return 0


def _import(args: argparse.Namespace) -> int:
    from audit_app.services import population
    from audit_app.services.audits import open_audit

    _not_open_elsewhere(args)
    take_all = any(name == SCOPE_ALL for name, _values in args.scope)
    scope = {name: [v.strip() for v in values.split(",") if v.strip()] for name, values in args.scope if name != SCOPE_ALL}
    if take_all and scope:
        raise UserFacingError("--scope all keeps every row: give it alone, without other --scope values.")
    with open_audit(args.audit) as audit:
        _refuse_unless_writable(audit)
        result = population.import_population(audit, args.file, preset=args.preset, mapping=dict(args.map), scope=scope,
                                              progress=_progress("import"), checklist_scope=not take_all,
                                              strict_rows=args.strict_rows)
    _print_json(result.to_json())
    if result.row_widths_text():
        print(f"audit-app: warning: {result.row_widths_text()}", file=sys.stderr)
    if result.excluded and "offence_group" in result.scope:
        print(f"{result.excluded:,} row(s) imported but kept out of the sampling frame (offence groups other than "
              f"{', '.join(result.scope['offence_group'])}; --scope all keeps every row)", file=sys.stderr)
    if args.save_preset:
        declined = {name: "" for name, column in args.map if not column}  # FIELD= left unmapped on purpose
        fields = {**declined, **result.mapping}
        name = population.save_preset(args.save_preset, fields)
        print(f"saved the column mapping as the preset '{name}' (use it with --preset '{name}')", file=sys.stderr)
    return 0


def _presets(args: argparse.Namespace) -> int:
    from audit_app.services import population

    presets = population.all_presets()
    if args.json:
        _print_json({"presets": presets})
    else:
        for name in population.preset_names():
            built_in = " (built-in)" if name in PRESET_NAMES else ""
            mapped = ", ".join(f"{field}={column}" for field, column in presets[name].items() if column)
            print(f"{name}{built_in}\t{mapped}")
    return 0


def _samplesize(args: argparse.Namespace) -> int:
    from audit_app.services import sampling

    if args.tolerable is None and args.margin is None:
        raise UserFacingError("Give --tolerable (attribute sampling) or --margin (estimating a proportion).")
    request = sampling.SampleRequest(confidence=args.confidence, tolerable=args.tolerable, expected=args.expected,
                                     margin=args.margin, proportion=args.p)
    size = sampling.sample_size(request, args.population)
    _print_json({"n": size.n, "acceptance_number": size.acceptance_number, "method": size.method})
    return 0


def _sample(args: argparse.Namespace) -> int:
    from audit_app.services import sampling
    from audit_app.services.audits import open_audit

    _not_open_elsewhere(args)
    if args.size is None and args.confidence is None:
        raise UserFacingError("Give --size N, or --confidence with --tolerable or --margin.")
    request = sampling.SampleRequest(
        size=args.size, confidence=args.confidence, tolerable=args.tolerable, expected=args.expected,
        margin=args.margin, proportion=args.p, strata=args.strata, allocation=args.allocation,
        min_per_stratum=args.min_per_stratum, seed=args.seed, reserve=args.reserve,
    )
    with open_audit(args.audit) as audit:
        _refuse_unless_writable(audit)
        warning = sampling.out_of_scope_warning(audit)
        if warning:
            print(f"audit-app: warning: {warning}", file=sys.stderr)
        if args.redraw is not None:
            result = sampling.redraw_sample(audit, request, args.redraw)
        else:
            result = sampling.draw_sample(audit, request)
    _print_json(result.to_json())
    return 0


def _replace(args: argparse.Namespace) -> int:
    from audit_app.services import sampling
    from audit_app.services.audits import open_audit

    _not_open_elsewhere(args)
    with open_audit(args.audit) as audit:
        _refuse_unless_writable(audit)
        old, new = sampling.replace_unit(audit, args.ref, args.reason)
    _print_json({"replaced": old, "replacement": new, "reason": args.reason})
    return 0


def _responses_import(args: argparse.Namespace) -> int:
    from audit_app.services.audits import open_audit
    from audit_app.services.reviews import import_responses

    _not_open_elsewhere(args)
    with open_audit(args.audit) as audit:
        _refuse_unless_writable(audit)
        result = import_responses(audit, args.file, complete=args.complete)
    for error in result.errors:
        print(f"{args.file}: row {error.row}: {error.message}", file=sys.stderr)
    for review in result.incomplete:
        print(f"{args.file}: {review['role']} review of {review['file_ref']} is not complete: "
              + "; ".join(review["missing"]), file=sys.stderr)
    if result.errors:
        print(f"audit-app: {len(result.errors)} invalid row(s); nothing was recorded", file=sys.stderr)
        return 1
    if result.incomplete:
        print(f"audit-app: {len(result.incomplete)} review(s) would still have something missing, so none was marked "
              "complete and nothing was recorded", file=sys.stderr)
        return 1
    _print_json(result.to_json())
    return 0


def _demo(args: argparse.Namespace) -> int:
    import os

    from audit_app.services import demo

    path = args.path or demo.default_demo_path()
    outcome = demo.ensure_demo(path, fresh=args.fresh, progress=_progress("building the demo audit"))
    if outcome.set_aside is not None:
        print(f"the previous file at {path} was kept, renamed to {os.path.abspath(outcome.set_aside)}", file=sys.stderr)
    if not outcome.built:
        print(f"reusing the demo audit at {path}: your practice work in it is kept (--fresh builds a new one)", file=sys.stderr)
    print(os.path.abspath(outcome.path), flush=True)
    if args.no_gui:
        return 0
    from audit_app.ui.app import run_gui  # Qt is imported only when a window is wanted

    return run_gui(outcome.path)


def _verify(args: argparse.Namespace) -> int:
    from audit_app.errors import AuditFileError
    from audit_app.services.audits import open_audit
    from audit_app.services.verification import verify

    try:
        with open_audit(args.audit) as audit:
            report = verify(audit, head=args.head)
    except AuditFileError as exc:
        if args.json:  # a file that cannot even be opened is still an answer in the contract's keys
            _print_json({"intact": False, "head": "", "events": 0, "findings": [{"where": "file", "what": str(exc)}],
                         "checks": []})
        raise
    summary = "intact" if report.ok else f"{len(report.problems)} finding(s): NOT intact"
    print(f"{args.audit}: {summary}; trail head {report.head or '(empty)'} ({report.events} entries)", file=sys.stderr)
    if args.json:
        _print_json(report.to_json())
    else:
        for check in report.checks:
            print(f"checked: {check}", file=sys.stderr)
    for problem in report.problems:
        print(f"{args.audit}: {problem}", file=sys.stderr)
    return 0 if report.ok else 1


def _stats(args: argparse.Namespace) -> int:
    from audit_app.cli import results_text
    from audit_app.services import results as results_service
    from audit_app.services.audits import open_audit

    with open_audit(args.audit) as audit:
        results = results_service.audit_results(audit, progress=_progress("scoring the finished reviews"))
    if args.json:
        _print_json(results_service.stats_json(results, args.by))
        return 0
    for line in results_text.stats_lines(results, args.by):
        print(line)
    return 0


def _agreement(args: argparse.Namespace) -> int:
    from audit_app.cli import results_text
    from audit_app.services import results as results_service
    from audit_app.services.audits import open_audit

    with open_audit(args.audit) as audit:
        agreed = results_service.agreement(audit, progress=_progress("reading the double-reviewed files"))
    if args.json:
        _print_json(results_service.agreement_json(agreed))
        return 0
    for line in results_text.agreement_lines(agreed):
        print(line)
    return 0


def _backup(args: argparse.Namespace) -> int:
    from audit_app.services.audits import backup

    _print_json(backup(args.audit, args.dest))
    return 0
