"""Reports: gather the frozen data a report renders, then render it (``audit_app.reports``).

The audit report (issue 11 §1): :func:`write_audit_report`, from the record that
:mod:`audit_app.services.report_data` gathers in one snapshot.

File reports (issue 11 §2): one reviewed file per report — its profile, every applicable item
with answer, note, evidence reference, flags and points, the score, grade and caps, the reviewers,
moderation and the sign-off history — one file to a PDF or many files in one PDF, each on a new
page with an outline entry. Gathering reads the audit (no change); rendering writes the PDF
atomically, so a failure leaves nothing behind.

Progress: ``progress(done, total, text)``, called while gathering and while rendering (``total``
counts both); a callback that raises stops the work, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from audit_app import __version__
from audit_app.core.checklist import Checklist
from audit_app.core.records import Agreed, Answer, Review
from audit_app.core.scoring import ReviewResult, grade_label
from audit_app.errors import AuditError
from audit_app.reports import audit_report, file_report
from audit_app.reports.data import (DifferenceLine, FileReport, FileReportSet, HistoryLine, ItemLine, Pair, ReviewLine,
                                    SectionLines)
from audit_app.reports.document import timestamp
from audit_app.services import moderation, provenance, report_data, settings, workspace
from audit_app.services.audits import Audit
from audit_app.services.reviews import score_stored
from audit_app.store import reviews as store
from audit_app.store.reviews import SampleFileRow

Progress = Callable[[int, int, str], None]
ALL = "all"
DONE = moderation.DONE  # finished reviews: complete or signed off
# What a file report's history shows: the reviews' lives, sign-offs, replacements and agreements
# (every answer change is in the audit trail, and the answers themselves are in the report).
HISTORY_ACTIONS = frozenset({"review.start", "review.status", "sample.replace", "moderation.agree"})
POPULATION_FIELDS = (("offence", "Offence"), ("offence_group", "Offence group"), ("area", "Area"), ("month", "Month"),
                     ("outcome", "Outcome"))


def reportable_refs(audit: Audit) -> list[str]:
    """The files a report can be written for, in sample order: the primary review finished
    (complete or signed off), and the second review too where there is one."""
    return [row.ref for row in store.sample_file_rows(audit.db) if _not_ready(row) is None]


def _not_ready(row: SampleFileRow) -> str | None:
    """Why no report can be written for this file yet (None when one can)."""
    if row.sample_status != "selected":
        return f"File '{row.ref}' was replaced in the sample ({row.replaced_reason or 'no reason recorded'}): it has no review."
    if row.primary is None:
        return f"File '{row.ref}' has not been reviewed yet (its review has not started)."
    if row.primary.status not in DONE:
        return f"File '{row.ref}' has not been reviewed yet (its review is in progress)."
    if row.second is not None and row.second.status not in DONE:
        return (f"The second review of '{row.ref}' is not complete yet; the two reviews of a file stay independent "
                "until both are done.")
    return None


def file_report_data(audit: Audit, refs: Sequence[str] | str, progress: Progress | None = None,
                     *, total: int | None = None) -> FileReportSet:
    """Everything the file reports of ``refs`` (or ``"all"``: every reportable file) show.

    :param total: the ``total`` to report progress against (default: the number of files).
    :raises AuditError: when no file is named, a file is not in the sample, or is not reviewed yet.
    """
    with audit.snapshot():  # one state of the audit, the trail head it is tied to included
        return _file_report_data(audit, refs, progress, total)


def _file_report_data(audit: Audit, refs: Sequence[str] | str, progress: Progress | None,
                      total: int | None) -> FileReportSet:
    rows = store.sample_file_rows(audit.db)
    chosen = _chosen_rows(rows, refs)
    selected = [row.ref for row in rows if row.sample_status == "selected"]
    position = {ref: index for index, ref in enumerate(selected, start=1)}
    ids = [r.id for row in chosen for r in (row.primary, row.second) if r]
    profiles = store.profiles_of_reviews(audit.db, ids)
    answers = store.answers_of_reviews(audit.db, ids)
    agreed_all = store.all_agreed(audit.db)
    histories = workspace.file_histories(audit, [row.ref for row in chosen], HISTORY_ACTIONS)
    files = []
    for done, row in enumerate(chosen):
        if progress:
            progress(done, total or len(chosen), f"Reading file {row.ref}")
        files.append(_file(audit, row, f"{position[row.ref]} of {len(selected)}", profiles, answers,
                           agreed_all.get(row.unit_id, {}), histories[row.ref]))
    return FileReportSet(
        audit_title=audit.record.title,
        checklist=f"{audit.checklist.title}, version {audit.checklist.version} ({audit.checklist.id})",
        author=_author(audit), generated_at=timestamp(dt.datetime.now(dt.timezone.utc).isoformat()),
        app_version=__version__, files=tuple(files), trail=workspace.trail_head(audit))


def write_file_reports(audit: Audit, refs: Sequence[str] | str, out: str | Path, marking: str | None = None,
                       progress: Progress | None = None) -> Path:
    """Write the file reports of ``refs`` (or ``"all"``) to one PDF at ``out``, atomically.

    :param marking: the protective marking on every page (e.g. "OFFICIAL-SENSITIVE"); None: the audit's
        own (File ▸ Audit settings); "" for none.
    :raises AuditError: as :func:`file_report_data`, or when ``out`` cannot be written (nothing is then written).
    """
    if marking is None:
        marking = settings.audit_settings(audit).marking
    marking = marking.strip() or None
    target = _checked_target(audit, Path(out))
    chosen = [row.ref for row in _chosen_rows(store.sample_file_rows(audit.db), refs)]
    count = len(chosen)
    with audit.snapshot():  # the manifest and the data: one state of the audit
        data = file_report_data(audit, refs, progress, total=2 * count)
        manifest = provenance.manifest(audit, provenance.FILE_REPORTS, chosen)

    def rendered(index: int, ref: str) -> None:
        if progress:
            progress(count + index, 2 * count, f"Rendering file {ref}")

    path = file_report.write(data, target, marking=marking, progress=rendered, manifest=manifest)
    if progress:
        progress(2 * count, 2 * count, "Done")
    return path


def write_audit_report(audit: Audit, out: str | Path, marking: str | None = None,
                       progress: Progress | None = None) -> Path:
    """Write the audit report to ``out`` (a PDF), atomically. A draft until every sampled review is
    signed off (the cover says which); the results are those of every finished review.

    :param marking: the protective marking on every page; None: the audit's own; "" for none.
    :param progress: ``progress(done, 100, text)``: the first half reads and scores the reviews,
        the second lays out the pages; a callback that raises stops the work, and nothing is written.
    :raises AuditError: when no sampled file has a finished review, or ``out`` cannot be written.
    """
    if marking is None:
        marking = settings.audit_settings(audit).marking
    marking = marking.strip() or None
    target = _checked_target(audit, Path(out))

    def reading(done: int, total: int, text: str) -> None:
        if progress:
            progress(50 * done // total if total else 50, 100, text)

    def laying_out(done: int, total: int, text: str) -> None:
        if progress:
            progress(50 + 50 * done // total, 100, text)

    with audit.snapshot():  # the manifest and the data: one state of the audit
        data = report_data.gather(audit, reading)
        manifest = provenance.manifest(audit, provenance.AUDIT_REPORT)
    data = replace(data, cover=replace(data.cover, marking=marking or ""))  # the marking printed, as chosen
    return audit_report.write(data, target, marking=marking, progress=laying_out, manifest=manifest)


def _checked_target(audit: Audit, target: Path) -> Path:
    if target.exists() and target.is_dir():
        raise AuditError(f"Cannot write {target}: it is a folder; give the PDF's file name.")
    if not target.parent.is_dir():
        raise AuditError(f"Cannot write {target}: the folder {target.parent} does not exist.")
    if target.exists() and target.resolve() == audit.path.resolve():
        raise AuditError(f"Cannot write the report over the audit file itself ({target}).")
    return target


def _chosen_rows(rows: list[SampleFileRow], refs: Sequence[str] | str) -> list[SampleFileRow]:
    if isinstance(refs, str):
        if refs.strip().casefold() != ALL:
            refs = [refs]
        else:
            chosen = [row for row in rows if _not_ready(row) is None]
            if not chosen:
                raise AuditError("No file has been reviewed yet: there is nothing to report.")
            return chosen
    wanted = list(dict.fromkeys(r.strip() for r in refs if r.strip()))
    if not wanted:
        raise AuditError("Name at least one file (or all).")
    by_ref = {row.ref: row for row in rows}
    unknown = [ref for ref in wanted if ref not in by_ref]
    if unknown:
        listed = ", ".join(f"'{ref}'" for ref in unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        raise AuditError(f"Not in the sample: {listed}.")
    problems = [problem for ref in wanted if (problem := _not_ready(by_ref[ref]))]
    if problems:
        more = f" ({len(problems) - 1} more files are not ready either.)" if len(problems) > 1 else ""
        raise AuditError(problems[0] + more)
    return [by_ref[ref] for ref in wanted]


def _author(audit: Audit) -> str:
    leads = [r for r in store.reviewers(audit.db) if r.role == "lead"]
    return leads[0].display if leads else audit.record.created_by


# -- one file


def _file(audit: Audit, row: SampleFileRow, position: str, profiles: dict[int, dict[str, Any]],
          answers: dict[int, dict[str, Answer]], agreed: dict[str, Agreed], history: list[workspace.HistoryEntry],
          ) -> FileReport:
    primary, second = row.primary, row.second
    assert primary is not None  # _chosen_rows keeps reviewed files only
    primary_result = score_stored(audit, profiles.get(primary.id, {}), answers[primary.id])
    second_result = score_stored(audit, profiles.get(second.id, {}), answers[second.id]) if second else None
    profile, final_answers = profiles.get(primary.id, {}), answers[primary.id]
    final, state, settled = primary_result, "", set()
    differences: tuple[DifferenceLine, ...] = ()
    if second is not None:
        comparison = moderation.compare(audit, row.ref)
        state = moderation.STATE_LABELS.get(comparison.state, comparison.state)
        differences = tuple(_difference(audit, d) for d in comparison.differences)
        if comparison.state == moderation.AGREED:
            laid = {d.target: d.agreed for d in comparison.differences if d.agreed is not None}
            profile, final_answers = moderation.agreed_inputs(audit, primary.id, laid, profile, final_answers)
            final = score_stored(audit, profile, final_answers)
            settled = set(laid)
    reviews = [_review_line("Primary review", primary, primary_result)]
    if second is not None and second_result is not None:
        reviews.append(_review_line("Second review", second, second_result))
    return FileReport(
        ref=row.ref, position=position, stratum=row.stratum,
        population=tuple(Pair(label, getattr(row, name) or "—") for name, label in POPULATION_FIELDS),
        profile=_profile(audit.checklist, profile),
        result=_result(audit.checklist, final, "as agreed at moderation" if settled else ""),
        reviews=tuple(reviews),
        sections=_sections(audit.checklist, final, final_answers, settled),
        moderation=state, differences=differences,
        history=tuple(HistoryLine(timestamp(e.at), e.actor, _with_role(e), e.reason) for e in history),
        agreed=bool(settled),
    )


def _with_role(entry: workspace.HistoryEntry) -> str:
    return f"{entry.role.capitalize()} review: {entry.what}" if entry.role and not entry.what.startswith(
        entry.role.capitalize()) else entry.what


def _profile(checklist: Checklist, profile: dict[str, Any]) -> tuple[Pair, ...]:
    pairs = []
    for field in checklist.spec.profile:
        value = profile.get(field.id)
        if value is not None:
            pairs.append(Pair(field.label, workspace.value_in_words(value, field)))
    return tuple(pairs)


def _number(value: float) -> str:
    return f"{value:g}"


def _items_in_words(checklist: Checklist, ids: Sequence[str]) -> str:
    return "; ".join(f"{i} {checklist.items[i].question}" if i in checklist.items else i for i in ids) or "none"


def _result(checklist: Checklist, result: ReviewResult, basis: str) -> tuple[Pair, ...]:
    grade = result.grade_label or "—"
    if basis:
        grade += f" ({basis})"
    pairs = [
        Pair("Score", f"{result.score:.1f}%" if result.score is not None else "not scored"),
        Pair("Grade", grade),
    ]
    if result.base_grade != result.grade:
        pairs.append(Pair("Grade before caps", grade_label(checklist, result.base_grade) or "—"))
    pairs += [
        Pair("Caps applied", " ".join(c if c.rstrip().endswith(".") else c + "." for c in result.caps_applied) or "none"),
        Pair("Critical failures", _items_in_words(checklist, result.critical_failures)),
        Pair("Material missed opportunities", _items_in_words(checklist, result.mmo)),
        Pair("Notable practice", _items_in_words(checklist, result.notable_practice)),
        Pair("Points", f"{_number(result.points)} of {_number(result.max_points)} over {len(result.scored_items)} scored items"),
    ]
    if result.not_recorded:
        pairs.append(Pair("Not recorded", _items_in_words(checklist, result.not_recorded)))
    if result.ungradable_reasons:
        pairs.append(Pair("Not gradable because", "; ".join(result.ungradable_reasons)))
    if result.subscores:
        labels = {s.id: s.label for s in checklist.spec.subscores}
        pairs.append(Pair("Sub-scores", "; ".join(
            f"{labels.get(k, k)} {v:.1f}%" if v is not None else f"{labels.get(k, k)} not scored"
            for k, v in result.subscores.items())))
    return tuple(pairs)


def _sections(checklist: Checklist, result: ReviewResult, answers: dict[str, Answer], settled: set[str],
              ) -> tuple[SectionLines, ...]:
    out = []
    critical = set(result.critical_failures)
    for section in checklist.spec.sections:
        items, not_applicable = [], []
        for item in section.items:
            applies = result.applicability.get(item.id)
            if applies is False:
                not_applicable.append(item.id)
                continue
            answer = answers.get(item.id)
            flags = []
            if item.id in critical:
                flags.append("critical failure")
            if answer is not None and answer.mmo:
                flags.append("material missed opportunity")
            if answer is not None and answer.notable:
                flags.append("notable practice")
            if answer is not None and answer.opportunity_known is not None:
                flags.append("opportunity known" if answer.opportunity_known else "opportunity not known")
            if applies is None:
                flags.append("applicability not decided")
            items.append(ItemLine(
                item_id=item.id, question=checklist.render(item.question),
                answer=_answer_label(checklist, item.id, answer), points=_points(checklist, item.id, answer),
                note=answer.note if answer else "", evidence=answer.evidence if answer else "",
                flags=tuple(flags), source="agreed at moderation" if item.id in settled else ""))
        out.append(SectionLines(section.title, tuple(items), tuple(not_applicable)))
    return tuple(out)


def _answer_label(checklist: Checklist, item_id: str, answer: Answer | None) -> str:
    if answer is None:
        return "Not answered"
    known = checklist.answer(item_id, answer.code)
    return f"{known.label} ({answer.code})" if known else answer.code


def _points(checklist: Checklist, item_id: str, answer: Answer | None) -> str:
    known = checklist.answer(item_id, answer.code) if answer else None
    if known is None or known.points is None:
        return ""
    return f"{_number(known.points)} of {_number(checklist.max_points(item_id))} points, weight {checklist.items[item_id].weight}"


def _review_line(role: str, review: Review, result: ReviewResult) -> ReviewLine:
    notes = []
    if review.training:
        notes.append("training example")
    if review.changed_after_sign_off:
        notes.append("changed after sign-off" if review.status != "signed_off" else "signed again after a change")
    signed = ""
    if review.signed_off_by is not None:
        signed = f"by {review.signed_off_by.display}, {timestamp(review.signed_off_at)}"
    return ReviewLine(
        role=role, reviewer=review.reviewer.display, status=workspace.STATUS_LABELS.get(review.status, review.status),
        started=timestamp(review.created_at), updated=timestamp(review.updated_at), signed_off=signed,
        score=f"{result.score:.1f}%" if result.score is not None else "not scored", grade=result.grade_label or "—",
        notes=tuple(notes))


def _difference(audit: Audit, difference: moderation.Difference) -> DifferenceLine:
    target = difference.target
    if difference.is_profile:
        field = audit.checklist.fields.get(target[len(moderation.PROFILE_PREFIX):])

        def shown(value: Any) -> str:
            return workspace.value_in_words(value, field)
    else:
        def shown(value: Any) -> str:
            return workspace.answer_in_words(audit, target, value.to_json(target) if isinstance(value, Answer) else value)

    agreed = difference.agreed
    return DifferenceLine(
        question=difference.label, primary=shown(difference.primary), second=shown(difference.second),
        agreed=shown(difference.agreed_value) if agreed is not None else "",
        reason=agreed.reason if agreed else "",
        decided=f"by {agreed.decided_by.display}, {timestamp(agreed.decided_at)}" if agreed else "")
