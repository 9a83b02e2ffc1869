"""Data exports (issue 11 §3): the audit's reviews as CSV, XLSX or JSON, for analysis elsewhere.

Every format carries the same long table: one row per sampled file × checklist item × review role
(``primary``, ``second``, and ``moderated`` where moderation agreed an answer). XLSX adds a wide
sheet (one row per file), the checklist's items and the results; JSON holds the audit, the design,
the checklist, the files, the reviews and the results in one object (its schema:
``checklists/export.schema.json``, see :mod:`audit_app.services.export_schema`).

The results are the results service's (:func:`results.audit_results`, :func:`results.item_table`,
:func:`results.stats_json`): nothing is recomputed here.

For sharing outside the audit team, ``notes=False`` leaves out free text (notes, evidence
references, N/A reasons, moderation and replacement reasons, text profile fields) and
``names=False`` turns reviewers' names and staff numbers into pseudonyms ("Reviewer 1", …, in order
of first appearance). Text cells that a spreadsheet would run as a formula are neutralised in CSV
and XLSX (:func:`neutralise`). The file is written next to the target and moved into place only
once complete, so a failure or a cancel never leaves a half-written export.
"""

from __future__ import annotations

import csv
import json
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit_app.core.records import Answer, Review
from audit_app.core.scoring import ReviewResult
from audit_app.errors import AuditError
from audit_app.services import results as results_service
from audit_app.services import settings
from audit_app.services import sampling as sampling_service
from audit_app.services import workspace
from audit_app.services.audits import Audit
from audit_app.store import events
from audit_app.store import reviews as store

FORMATS = ("csv", "xlsx", "json")
EXPORT_FORMAT = "audit-app export"
EXPORT_VERSION = 1
MODERATED = "moderated"  # the role of a row holding the answer agreed in moderation
PROFILE_PREFIX = "profile."
# A text cell starting with one of these is run as a formula by spreadsheets (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CELL_LIMIT = 32_767  # characters in one cell (Excel's limit); longer text is cut, ending "…"
MAX_WIDTH = 60  # XLSX column width cap (characters): long notes wrap in the cell instead
PROGRESS_EVERY = 500

Progress = Callable[[int, int, str], None]

LONG_HEADER = [
    "file_ref", "position", "stratum", "item_id", "section", "role", "review_status", "answer_code", "answer_label",
    "answer_meaning", "applies", "note", "evidence", "opportunity_known", "mmo", "notable_practice",
    "moderation_reason", "reviewer", "staff_number", "answered_at", "answered_by", "change_reason", "review_started_at", "review_updated_at", "signed_off_by",
    "signed_off_at", "changed_after_sign_off", "training", "checklist_id", "checklist_version",
]
WIDE_FIXED = [
    "file_ref", "position", "stratum", "sample_status", "replaced_reason", "offence", "offence_group", "area", "month",
    "outcome", "status", "reviewer", "staff_number", "second_status", "second_reviewer", "second_staff_number",
    "moderation", "grade", "grade_label", "score", "points", "max_points", "critical_failures", "mmo",
    "notable_practice",
]
ITEMS_HEADER = ["item_id", "section", "section_title", "question", "kind", "scale", "answers", "weight", "critical",
                "subscore", "applies_when"]


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote."""

    path: Path
    format: str
    rows: int  # rows of the long table
    files: int
    bytes: int
    events: int = 0  # the audit trail's entries and head hash when the export was read
    head: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "format": self.format, "rows": self.rows, "files": self.files,
                "bytes": self.bytes, "events": self.events, "head": self.head}


class Pseudonyms:
    """Stable pseudonyms for people ("Reviewer 1", "Reviewer 2", … in order of first appearance),
    or their real names and staff numbers when names are kept."""

    def __init__(self, keep: bool):
        self.keep = keep
        self._given: dict[str, str] = {}
        self.replaced: dict[str, str] = {}  # every real name and "Name (staff number)" → its pseudonym

    def person(self, name: str, staff_number: str) -> tuple[str, str]:
        """(name, staff number) as the export shows them."""
        if self.keep:
            return name, staff_number
        key = f"{name}\x00{staff_number}"
        if key not in self._given:
            self._given[key] = f"Reviewer {len(self._given) + 1}"
        pseudonym = self._given[key]
        display = f"{name} ({staff_number})" if staff_number else name
        for text in (display, name):  # not a bare staff number: "1" may as well be a grade or a count
            if text:
                self.replaced.setdefault(text, pseudonym)
        return pseudonym, ""

    def display(self, display: str) -> str:
        """Someone named as ``Name (staff number)`` (or a bare name, or an account)."""
        if self.keep or not display:
            return display
        if display in self.replaced:
            return self.replaced[display]
        name, _, rest = display.partition(" (")
        return self.person(name, rest[:-1] if rest.endswith(")") else rest)[0]

    def scrub(self, value: Any) -> Any:
        """A JSON value with every string that names a known person replaced by their pseudonym."""
        if self.keep:
            return value
        if isinstance(value, str):
            return self.replaced.get(value, value)
        if isinstance(value, Mapping):
            return {self.replaced.get(str(k), str(k)): self.scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        return value


@dataclass
class ExportData:
    """Everything an export writes, gathered once for every format."""

    audit: dict[str, Any]
    design: dict[str, Any] | None
    checklist: dict[str, Any]
    long_rows: list[list[Any]]
    wide_header: list[str]
    wide_rows: list[list[Any]]
    items: list[list[Any]]
    results_table: list[list[Any]]
    results: dict[str, Any]
    files: list[dict[str, Any]]
    reviews: list[dict[str, Any]]
    moderation: list[dict[str, Any]]
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def trail(self) -> tuple[int, str]:
        """The audit trail's entries and head hash in the state the export was read from."""
        trail = self.audit.get("trail", {})
        return int(trail.get("events", 0)), str(trail.get("head", ""))

    def provenance_line(self) -> str:
        """One line that ties the export to the audit's trail (``audit-app verify AUDIT --head HASH``
        proves the audit still extends it)."""
        events, head = self.trail
        return (f"# audit-app export of {self.audit.get('file', '')}: audit trail head {head or '(empty)'} "
                f"({events} entries)")


def neutralise(value: Any) -> Any:
    """A cell value safe to open in a spreadsheet: text that would start a formula gets OWASP's
    recommended leading apostrophe (``=1+1`` → ``'=1+1``); numbers, booleans and other text are
    kept as they are (a number ``-3`` stays a number; the text ``"-3"`` becomes ``'-3``)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# -- the service


def export(audit: Audit, fmt: str, out: str | Path, *, notes: bool = True, names: bool = True,
           marking: str | None = None, progress: Progress | None = None) -> ExportResult:
    """Export the audit's reviews and results to ``out`` as ``fmt`` (``csv``, ``xlsx`` or ``json``).

    :param notes: include free text (notes, evidence, N/A reasons, moderation and replacement
        reasons, reasons given for changes); ``False`` for sharing outside the audit team.
    :param names: include reviewers' names and staff numbers; ``False`` gives stable pseudonyms.
    :param marking: the protective marking (e.g. ``OFFICIAL-SENSITIVE``): the first line of a CSV,
        every XLSX sheet's page header and footer (and the workbook's subject), the JSON's
        ``marking`` key; ``None``: the audit's own marking (File ▸ Audit settings, logged in the trail).
    :param progress: called as ``progress(done, total, text)``; an exception it raises (a cancel)
        stops the export and leaves nothing behind.
    :raises AuditError: an unknown format, or a target folder that is missing or not writable.
    """
    if fmt not in FORMATS:
        raise AuditError(f"Cannot export as '{fmt}': choose one of {', '.join(FORMATS)}.")
    target = _check_target(Path(out))
    if target.exists() and target.samefile(audit.path):
        raise AuditError(f"Cannot export to {target}: it is the audit file itself; give another file name.")
    if marking is None:
        marking = settings.audit_settings(audit).marking
    marking = marking.strip() if marking and marking.strip() else None
    data = gather(audit, notes=notes, names=names, marking=marking, progress=progress)
    writer = {"csv": _write_csv, "xlsx": _write_xlsx, "json": _write_json}[fmt]
    total = len(data.long_rows)

    def report(done: int) -> None:
        if progress is not None:
            progress(done, total, "Writing the export")

    with _atomic(target) as temporary:
        writer(temporary, data, marking, report)
        report(total)
    return ExportResult(target, fmt, total, len(data.wide_rows), target.stat().st_size, *data.trail)


def _check_target(target: Path) -> Path:
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise AuditError(f"Cannot export to {target}: it is a folder; give a file name.")
    if not folder.is_dir():
        raise AuditError(f"Cannot export to {target}: the folder {folder} does not exist.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise AuditError(f"Cannot export to {target}: the folder {folder} is not writable.")
    return target.absolute()


@contextmanager
def _atomic(target: Path) -> Iterator[Path]:
    """A temporary file next to ``target``, moved into place only if the block succeeds (removed if not)."""
    # a new file of our own (mode 'x'), with the permissions the user's umask gives any new file
    temporary = target.parent / f".{target.name}.{uuid.uuid4().hex[:12]}.part"
    try:
        with open(temporary, "x"):
            pass
    except OSError as exc:
        raise AuditError(f"Cannot export to {target}: {exc.strerror or exc}.") from None
    try:
        yield temporary
        os.replace(temporary, target)
    except OSError as exc:  # disk full, the target locked by another program …
        raise AuditError(f"Cannot export to {target}: {exc.strerror or exc}.") from None
    finally:
        temporary.unlink(missing_ok=True)


# -- gathering


def gather(audit: Audit, *, notes: bool = True, names: bool = True, marking: str | None = None,
           progress: Progress | None = None) -> ExportData:
    """Read everything an export holds, once, for every format, in one snapshot of the file (so the
    rows, the results and the trail head it carries are one state of the audit)."""
    with audit.snapshot():
        return _gather(audit, notes=notes, names=names, marking=marking, progress=progress)


def _gather(audit: Audit, *, notes: bool, names: bool, marking: str | None, progress: Progress | None) -> ExportData:
    results = results_service.audit_results(audit, progress=_phase(progress, "Reading the results"))
    grades = workspace.grade_sample(audit)
    db = audit.db
    rows = store.sample_file_rows(db)
    answers = store.all_answers(db)
    profiles = store.all_profile_values(db)
    agreed = store.all_agreed(db)
    changes = events.last_answer_changes(db)
    trail = events.head(db)
    people = Pseudonyms(names)
    checklist = audit.checklist
    text_fields = {name for name, f in checklist.fields.items() if getattr(f, "type", "") == "text"}
    long_rows: list[list[Any]] = []
    wide_rows: list[list[Any]] = []
    files: list[dict[str, Any]] = []
    reviews: list[dict[str, Any]] = []
    decisions: list[dict[str, Any]] = []
    position = 0
    for done, row in enumerate(rows, start=1):
        if row.sample_status == "selected":
            position += 1
        file_grades = grades.get(row.ref)
        for review, result in ((row.primary, file_grades.primary if file_grades else None),
                               (row.second, file_grades.second if file_grades else None)):
            if review is None:
                continue
            profile = {k: v for k, v in profiles.get(review.id, {}).items() if notes or k not in text_fields}
            review_rows, review_json = _review(audit, row, position, review, result, answers.get(review.id, {}),
                                               profile, changes, people, notes)
            long_rows.extend(review_rows)
            reviews.append(review_json)
        decided = agreed.get(row.unit_id, {})
        decisions.extend(_decisions(row.ref, decided, people, notes, text_fields))
        long_rows.extend(_moderated_rows(audit, row, position, decided, people, notes))
        wide, summary = _wide_row(audit, row, position, file_grades, answers, decided, people, notes)
        wide_rows.append(wide)
        files.append(summary)
        if progress is not None and done % 50 == 0:
            progress(done, len(rows), "Reading the reviews")
    stats = results_service.stats_json(results)
    if not notes:  # the N/A reasons reviewers gave, counted per item
        for figures in stats["items"].values():
            figures["na_reasons"] = []
    return ExportData(
        audit=_audit_json(audit, people, trail),
        design=_design(sampling_service.sample(audit), people),
        checklist=checklist.to_json(),
        long_rows=long_rows,
        wide_header=WIDE_FIXED + list(checklist.items),
        wide_rows=wide_rows,
        items=_items(checklist.to_json()),
        results_table=[results_service.ITEM_TABLE_HEADER] + [_numbers(r) for r in results_service.item_table(results)[1:]],
        results=people.scrub(stats),
        files=files,
        reviews=reviews,
        moderation=decisions,
        options={"notes": notes, "names": names, "marking": marking},
    )


def _review(audit: Audit, row: store.SampleFileRow, position: int, review: Review, result: ReviewResult | None,
            given: Mapping[str, Answer], profile: dict[str, Any], changes: Mapping[tuple[int, str], tuple[str, str, str]],
            people: Pseudonyms, notes: bool) -> tuple[list[list[Any]], dict[str, Any]]:
    """One review: its long rows (every item of the checklist, answered or not) and its JSON; when
    and by whom each answer was last set, and the reason given (after sign-off), from the trail."""
    checklist = audit.checklist
    reviewer = people.person(review.reviewer.name, review.reviewer.staff_number)
    signer = people.person(review.signed_off_by.name, review.signed_off_by.staff_number) if review.signed_off_by \
        else ("", "")
    rows, answered = [], []
    for item_id in checklist.items:
        answer = given.get(item_id)
        applies = result.applicability.get(item_id) if result is not None else None
        code = answer.code if answer else ""
        label, meaning = _meaning(audit, item_id, code)
        note = answer.note if answer and notes else ""
        evidence = answer.evidence if answer and notes else ""
        at, actor, reason = changes.get((review.id, item_id), ("", "", "")) if answer else ("", "", "")
        actor = people.display(actor)
        reason = reason if notes else ""
        rows.append([
            row.ref, position if row.sample_status == "selected" else None, row.stratum, item_id,
            checklist.section_of[item_id].id, review.role, review.status, code, label, meaning,
            _yes_no(applies), note, evidence, _yes_no(answer.opportunity_known if answer else None),
            _yes_no(answer.mmo if answer else None), _yes_no(answer.notable if answer else None), "",
            reviewer[0], reviewer[1], at, actor, reason, review.created_at, review.updated_at, signer[0],
            review.signed_off_at or "", _yes_no(review.changed_after_sign_off), _yes_no(review.training), checklist.id,
            checklist.version,
        ])
        if answer is not None:
            answered.append({
                "item": item_id, "code": code, "label": label, "meaning": meaning, "applies": applies,
                "note": note, "evidence": evidence, "opportunity_known": answer.opportunity_known,
                "mmo": answer.mmo, "notable_practice": answer.notable, "answered_at": at or None,
                "answered_by": actor or None, "change_reason": reason,
            })
    return rows, {
        "file_ref": row.ref, "role": review.role, "status": review.status, "reviewer": reviewer[0],
        "staff_number": reviewer[1], "started_at": review.created_at, "updated_at": review.updated_at,
        "signed_off_by": signer[0] or None, "signed_off_at": review.signed_off_at,
        "changed_after_sign_off": review.changed_after_sign_off, "training": review.training,
        "score": result.score if result else None, "grade": result.grade if result else None,
        "profile": profile, "answers": answered,
    }


def _audit_json(audit: Audit, people: Pseudonyms, trail: tuple[int, str]) -> dict[str, Any]:
    record = audit.record
    return {
        "title": record.title, "scope": record.scope, "period_start": record.period_start,
        "period_end": record.period_end, "created_at": record.created_at,
        "created_by": people.display(record.created_by), "app_version": record.app_version,
        "checklist_id": record.checklist_id, "checklist_version": record.checklist_version,
        "checklist_sha256": record.checklist_sha256, "file": audit.path.name,
        "trail": {"events": trail[0], "head": trail[1]},
    }


def _phase(progress: Progress | None, text: str) -> Progress | None:
    """A service's progress reported under one phase's text (the CLI shows a line per tenth of each phase)."""
    if progress is None:
        return None
    return lambda done, total, _text: progress(done, total, text)


def _meaning(audit: Audit, item_id: str, code: str) -> tuple[str, str]:
    if not code:
        return "", ""
    known = audit.checklist.answer(item_id, code)
    return (known.label, known.meaning) if known is not None else ("", "")


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _moderated_rows(audit: Audit, row: store.SampleFileRow, position: int, decided: Mapping[str, Any],
                    people: Pseudonyms, notes: bool) -> list[list[Any]]:
    """A row per item moderation agreed: the agreed answer, who decided, when, and why."""
    checklist = audit.checklist
    out = []
    for item_id in checklist.items:
        agreed = decided.get(item_id)
        if agreed is None:
            continue
        value = agreed.value if isinstance(agreed.value, Mapping) else {}
        code = str(value.get("code", "") or "")
        label, meaning = _meaning(audit, item_id, code)
        who = people.person(agreed.decided_by.name, agreed.decided_by.staff_number)
        flag = value.get
        out.append([
            row.ref, position if row.sample_status == "selected" else None, row.stratum, item_id,
            checklist.section_of[item_id].id, MODERATED, "agreed", code, label, meaning, "",
            (flag("note") or "") if notes else "", (flag("evidence") or "") if notes else "",
            _yes_no(flag("opportunity_known")), _yes_no(flag("mmo")) if value else "",
            _yes_no(flag("notable")) if value else "", agreed.reason if notes else "", who[0], who[1],
            agreed.decided_at, who[0], "", agreed.decided_at, agreed.decided_at, "", "", "", "", checklist.id,
            checklist.version,
        ])
    return out


def _decisions(ref: str, decided: Mapping[str, Any], people: Pseudonyms, notes: bool,
               text_fields: set[str]) -> list[dict[str, Any]]:
    """What moderation agreed on a file, target by target (items and profile fields)."""
    out = []
    for target, agreed in decided.items():
        value = agreed.value
        if not notes and isinstance(value, Mapping):
            value = {**value, "note": "", "evidence": ""}
        elif not notes and target.removeprefix(PROFILE_PREFIX) in text_fields:
            value = None  # a free-text profile field
        out.append({"file_ref": ref, "target": target, "value": value, "reason": agreed.reason if notes else "",
                    "decided_by": people.person(agreed.decided_by.name, agreed.decided_by.staff_number)[0],
                    "decided_at": agreed.decided_at})
    return out


def _wide_row(audit: Audit, row: store.SampleFileRow, position: int, grades: workspace.FileGrades | None,
              answers: Mapping[int, Mapping[str, Any]], decided: Mapping[str, Any], people: Pseudonyms,
              notes: bool) -> tuple[list[Any], dict[str, Any]]:
    """One file: its population fields, state, final grade and final answer per item (the one agreed
    in moderation, else the primary review's)."""
    primary, second = row.primary, row.second
    reviewer = people.person(primary.reviewer.name, primary.reviewer.staff_number) if primary else ("", "")
    second_reviewer = people.person(second.reviewer.name, second.reviewer.staff_number) if second else ("", "")
    final = grades.final if grades else None
    given = answers.get(primary.id, {}) if primary else {}
    codes: dict[str, str] = {}
    for item_id in audit.checklist.items:
        agreed = decided.get(item_id)
        if agreed is not None:
            codes[item_id] = str(agreed.value.get("code", "")) if isinstance(agreed.value, Mapping) else ""
        else:
            answer = given.get(item_id)
            codes[item_id] = answer.code if answer else ""
    summary = {
        "file_ref": row.ref, "position": position if row.sample_status == "selected" else None,
        "stratum": row.stratum, "sample_status": row.sample_status,
        "replaced_reason": (row.replaced_reason or None) if notes else None,
        "offence": row.offence, "offence_group": row.offence_group, "area": row.area, "month": row.month,
        "outcome": row.outcome, "status": primary.status if primary else workspace.NOT_STARTED,
        "reviewer": reviewer[0], "staff_number": reviewer[1],
        "second_status": second.status if second else None, "second_reviewer": second_reviewer[0] or None,
        "second_staff_number": second_reviewer[1] or None,
        "moderation": grades.moderation_state if grades else None,
        "grade": final.grade if final else None, "grade_label": final.grade_label if final else None,
        "score": final.score if final else None, "points": final.points if final else None,
        "max_points": final.max_points if final else None,
        "critical_failures": len(final.critical_failures) if final else None,
        "mmo": len(final.mmo) if final else None,
        "notable_practice": len(final.notable_practice) if final else None,
        "answers": codes,
    }
    wide = [summary[key] for key in WIDE_FIXED] + [codes[item_id] for item_id in audit.checklist.items]
    return ["" if v is None else v for v in wide], summary


def _design(drawn: sampling_service.SampleResult | None, people: Pseudonyms) -> dict[str, Any] | None:
    if drawn is None:
        return None
    plan = drawn.plan
    return {**drawn.to_json(), "created_at": plan.created_at, "created_by": people.display(plan.created_by),
            "size_method": plan.size_method, "tolerable": plan.tolerable, "expected": plan.expected,
            "margin": plan.margin, "reserve_per_stratum": plan.reserve}


def _items(checklist: Mapping[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = [list(ITEMS_HEADER)]
    for section in checklist["sections"]:
        for item in section["items"]:
            rows.append([item["id"], section["id"], section["title"], item["question"], item["kind"], item["scale"],
                         " ".join(item["answers"]), item["weight"], item["critical"], item["subscore"],
                         item["applies_when"] or ""])
    return rows


TEXT_COLUMNS = frozenset({"item", "section", "question", "conclusion"})


def _numbers(row: Sequence[str]) -> list[Any]:
    """A row of :func:`results.item_table` with its figures as numbers (for the XLSX sheet)."""
    out: list[Any] = []
    for name, cell in zip(results_service.ITEM_TABLE_HEADER, row):
        if name in TEXT_COLUMNS or cell == "":
            out.append(cell)
        else:
            out.append(int(cell) if cell.lstrip("-").isdigit() else float(cell))
    return out


# -- writers


def _write_csv(path: Path, data: ExportData, marking: str | None, report: Callable[[int], None]) -> None:
    """The long table, after the marking (its first line, when there is one) and a line naming the
    audit trail's head (``# audit-app export of …``: a reader that skips ``#`` lines skips it);
    UTF-8 with a byte-order mark, for Excel."""
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        if marking:
            writer.writerow([neutralise(marking)])
        writer.writerow([data.provenance_line()])
        writer.writerow(LONG_HEADER)
        for done, row in enumerate(data.long_rows, start=1):
            writer.writerow([neutralise(cell) for cell in row])
            if done % PROGRESS_EVERY == 0:
                report(done)


def _write_json(path: Path, data: ExportData, marking: str | None, report: Callable[[int], None]) -> None:
    document = export_document(data, marking)
    report(len(data.long_rows) // 2)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=1, allow_nan=False)
        handle.write("\n")


def export_document(data: ExportData, marking: str | None) -> dict[str, Any]:
    """The JSON export as one object (``checklists/export.schema.json``)."""
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "marking": marking,
        "options": {"notes": data.options.get("notes", True), "names": data.options.get("names", True)},
        "audit": data.audit,
        "design": data.design,
        "checklist": data.checklist,
        "files": data.files,
        "reviews": data.reviews,
        "moderation": data.moderation,
        "results": data.results,
    }


def _write_xlsx(path: Path, data: ExportData, marking: str | None, report: Callable[[int], None]) -> None:
    """Sheets: the long table, the wide one, the items, the results and the audit (with its trail
    head); frozen header rows, column widths that fit, the marking in every sheet's page header
    (write-only mode: constant memory)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    if marking:
        workbook.properties.keywords = marking
        workbook.properties.subject = marking
    workbook.properties.description = data.provenance_line().lstrip("# ")
    sheets: list[tuple[str, list[str], Iterable[list[Any]], bool]] = [
        ("Reviews", LONG_HEADER, data.long_rows, True),
        ("Files", data.wide_header, data.wide_rows, False),
        ("Items", data.items[0], data.items[1:], False),
        ("Results", data.results_table[0], data.results_table[1:], False),
        ("Audit", ["key", "value"], _audit_sheet(data), False),
    ]
    try:
        _fill_sheets(workbook, sheets, marking, report)
    except BaseException:
        for sheet in workbook.worksheets:  # finish openpyxl's streams, so nothing is left open
            with suppress(Exception):
                sheet.close()
        raise
    workbook.save(path)


def _audit_sheet(data: ExportData) -> list[list[Any]]:
    """The audit the workbook came from: its record, and the trail head that ties the workbook to it."""
    events, head = data.trail
    record = data.audit
    return [["title", record.get("title", "")], ["file", record.get("file", "")],
            ["checklist", f"{record.get('checklist_id', '')} {record.get('checklist_version', '')}"],
            ["checklist_sha256", record.get("checklist_sha256", "")], ["audit_trail_entries", events],
            ["audit_trail_head", head], ["app_version", record.get("app_version", "")]]


def _fill_sheets(workbook: Any, sheets: Sequence[tuple[str, list[str], Iterable[list[Any]], bool]],
                 marking: str | None, report: Callable[[int], None]) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    bold = Font(bold=True)
    for title, header, rows, counted in sheets:
        rows = list(rows)
        sheet = workbook.create_sheet(title)
        sheet.freeze_panes = "A2"
        for letter, width in _widths(header, rows):
            sheet.column_dimensions[letter].width = width
        if marking:
            for page in (sheet.oddHeader, sheet.evenHeader, sheet.firstHeader):
                page.center.text = marking.replace("&", "&&")
            for page in (sheet.oddFooter, sheet.evenFooter, sheet.firstFooter):
                page.center.text = marking.replace("&", "&&")
        header_cells = []
        for name in header:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for done, row in enumerate(rows, start=1):
            sheet.append([_xlsx_value(cell) for cell in row])
            if counted and done % PROGRESS_EVERY == 0:
                report(done)


def _xlsx_value(value: Any) -> Any:
    """A cell value: text neutralised (openpyxl would store ``=…`` as a formula), without the control
    characters XML cannot hold (openpyxl refuses them; pasted text sometimes has them), and within
    Excel's 32,767 characters a cell; empty text left out."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value == "" or value is None:
        return None
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(value) > XLSX_CELL_LIMIT:
            value = value[: XLSX_CELL_LIMIT - 1] + "…"
    return neutralise(value)


def _widths(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Iterator[tuple[str, float]]:
    """Each column's width: its longest value (header included), within 6 and :data:`MAX_WIDTH`."""
    from openpyxl.utils import get_column_letter

    longest = [len(str(name)) for name in header]
    for row in rows:
        for index, cell in enumerate(row):
            size = len(str(cell)) if cell is not None else 0
            if size > longest[index]:
                longest[index] = size
    for index, size in enumerate(longest, start=1):
        yield get_column_letter(index), float(min(max(size + 2, 6), MAX_WIDTH))
