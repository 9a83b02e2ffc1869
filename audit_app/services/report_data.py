"""Gather the audit report (issue 11 §1): one frozen record of everything the report shows.

Everything is read in one consistent snapshot of the file: the audit's record and settings, the
population imports, the plan, the sample, the reviews and the results (computed once, by
:mod:`audit_app.services.results`, exactly as the results page and ``stats`` show them). What the
renderer needs in words (the summary's sentences, the themes, the method appendix) is worded here;
the renderer lays it out and computes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence

from audit_app import __version__
from audit_app.core.checklist import Checklist
from audit_app.core.records import Plan, Review
from audit_app.core.results.model import (ASSURED, NOT_ASSURED, NOT_MET, NOT_RECORDED, PARTLY_MET, TOO_FEW,
                                          AuditResults, FileInput, ItemResult, Proportion, Share)
from audit_app.errors import AuditError
from audit_app.reports.data import (AuditReport, Cover, Example, FileLine, MethodPart, Pair, ReportSection, Theme)
from audit_app.reports.document import timestamp
from audit_app.services import moderation, settings, workspace
from audit_app.services import results as results_service
from audit_app.services.audits import Audit
from audit_app.store import population as population_store
from audit_app.store import reviews as review_store
from audit_app.store import sampling as sampling_store
from audit_app.store.reviews import SampleFileRow

Progress = Callable[[int, int, str], None]

THEMES = 8  # weak items with example notes
EXAMPLES = 3  # example notes per weak item
EXAMPLE_LENGTH = 400  # characters of an example note (the file report has the whole note)
HIGH_NA = 0.25  # an item's Not applicable rate at or above this is worth a question …
HIGH_NA_FILES = 5  # … when at least this many files were answered N/A

REFERENCES = (
    "Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. "
    "Journal of the American Statistical Association 22, 209–212.",
    "Clopper, C. J. and Pearson, E. S. (1934). The use of confidence or fiducial limits illustrated in the case "
    "of the binomial. Biometrika 26, 404–413.",
    "AICPA (2019). Audit Sampling: Audit Guide, Appendix A (statistical sample sizes for tests of controls).",
    "Cochran, W. G. (1977). Sampling Techniques, 3rd edition. Wiley (sample size for a proportion; "
    "the ratio estimator and its linearised variance).",
    "Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and Psychological "
    "Measurement 20, 37–46.",
    "Gwet, K. L. (2008). Computing inter-rater reliability and its variance in the presence of high agreement. "
    "British Journal of Mathematical and Statistical Psychology 61, 29–48.",
    "Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. University of Pennsylvania.",
    "Landis, J. R. and Koch, G. G. (1977). The measurement of observer agreement for categorical data. "
    "Biometrics 33, 159–174.",
    "Benjamini, Y. and Hochberg, Y. (1995). Controlling the false discovery rate. Journal of the Royal "
    "Statistical Society B 57, 289–300.",
)
SELECTION_RULE = (
    "Selection is by hash rank (statistics.md §2): every unit's key is the lowercase hexadecimal SHA-256 of "
    "the seed, the unit separator character (U+001F) and the unit's reference, in UTF-8; within each stratum "
    "units are ordered by key, the first n_h are the sample and the next ones the reserve list, in order. "
    "Anyone with the population file, the seed and any SHA-256 tool can re-derive the sample."
)


def gather(audit: Audit, progress: Progress | None = None) -> AuditReport:
    """The audit report's data, read in one snapshot.

    :raises AuditError: when no sampled file has a finished review (there is nothing to report).
    """
    checklist = audit.checklist
    with audit.snapshot() as db:
        rows = review_store.sample_file_rows(db)
        selected = [row for row in rows if row.sample_status == "selected"]
        if not any(row.primary is not None and row.primary.status in moderation.DONE for row in selected):
            raise AuditError("No sampled file has a finished review yet: there is nothing to report. "
                             "The report can be written once at least one review is complete.")
        gathered = results_service.gather(audit, progress)
        results = results_service.results_of(audit, gathered)
        chosen = settings.audit_settings(audit)
        plan = sampling_store.load_plan(db)
        strata = sampling_store.strata(db)
        units = sampling_store.sampled_units(db)
        batches = population_store.batches(db)
        rejections = {batch.id: population_store.rejections(db, batch.id) for batch in batches}
        head = workspace.trail_head(audit)
        lead = next((r.display for r in review_store.reviewers(db) if r.role == "lead"), "")
    show_refs = chosen.show_references
    cap_numbers = {cap.reason: number for number, cap in enumerate(checklist.spec.grading.caps, start=1)}
    by_ref = {file.ref: file for file in gathered.files}
    position = {row.ref: index for index, row in enumerate(selected, start=1)}

    def name(ref: str) -> str:
        return f"File {position[ref]} ({ref})" if show_refs else f"File {position[ref]} of {len(selected)}"

    return AuditReport(
        cover=_cover(audit, selected, lead, chosen.marking),
        results=results,
        sections=tuple(ReportSection(s.id, s.title, tuple(i.id for i in s.items)) for s in checklist.spec.sections),
        subscore_labels=tuple((s.id, s.label) for s in checklist.spec.subscores),
        sampled=len(selected),
        headline=_headline(results, len(selected), plan),
        flags=_flags(results),
        cannot_say=_cannot_say(checklist, results, len(selected)),
        notable=_notable(checklist, results, gathered.files),
        themes=_themes(checklist, results, gathered.files, name),
        moderation=_moderation(results, selected),
        files=tuple(_file_line(row, position[row.ref], by_ref.get(row.ref), show_refs, cap_numbers)
                    for row in selected),
        references_shown=show_refs,
        method=_method(audit, results, plan, strata, units, batches, rejections, head, show_refs),
        generated_at=timestamp(dt.datetime.now(dt.timezone.utc).isoformat()),
        app_version=__version__,
    )


# -- words


def count(n: int, thing: str, plural: str | None = None) -> str:
    return f"{n:,} {thing if n == 1 else plural or thing + 's'}"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def interval(low: float | None, high: float | None) -> str:
    return "—" if low is None or high is None else f"{100 * low:.1f}–{100 * high:.1f}%"


def share_words(share: Share, confidence: float, weighted: bool) -> str:
    """e.g. "14 files (24.1%, 95% interval 15.0–36.5%)", with the weighted estimate where the design needs it."""
    p = share.proportion
    level = f"{100 * confidence:g}%"
    if weighted and share.weighted is not None:
        w = share.weighted
        return (f"{count(p.successes, 'file')}; weighted estimate {pct(w.estimate)} "
                f"({level} interval {interval(w.ci_low, w.ci_high)})")
    return f"{count(p.successes, 'file')} ({pct(p.estimate)}, {level} interval {interval(p.ci_low, p.ci_high)})"


def _date(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        day = dt.date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    return f"{day.day} {day:%B %Y}"


def _cover(audit: Audit, selected: Sequence[SampleFileRow], lead: str, marking: str) -> Cover:
    record, checklist = audit.record, audit.checklist
    reviews = [r for row in selected for r in (row.primary, row.second) if r is not None]
    unsigned = [row.ref for row in selected if row.primary is None or any(
        r.status != "signed_off" for r in (row.primary, row.second) if r is not None)]
    final = bool(selected) and not unsigned and bool(reviews)
    reason = "" if final else (
        f"{count(len(unsigned), 'of the ' + str(len(selected)) + ' sampled file', 'of the ' + str(len(selected)) + ' sampled files')} "
        f"{'is' if len(unsigned) == 1 else 'are'} not signed off yet; the report is final only when every sampled "
        "review is signed off." if selected else "No sample has been drawn.")
    period = ""
    if record.period_start or record.period_end:
        period = f"{_date(record.period_start) or 'the start'} to {_date(record.period_end) or 'the end'}"
    return Cover(
        title=record.title, scope=record.scope, period=period,
        checklist=f"{checklist.title}, version {checklist.version} ({checklist.id})",
        date=_date(dt.date.today().isoformat()), author=lead or record.created_by,
        status="Final" if final else "Draft", status_reason=reason, marking=marking)


def _headline(results: AuditResults, sampled: int, plan: Plan | None) -> tuple[str, ...]:
    out = []
    finished = results.files_reviewed
    frame = f" from {plan.frame_size:,} files in the sampling frame" if plan else ""
    text = (f"{count(sampled, 'file was', 'files were')} sampled{frame}; {count(finished, 'review is', 'reviews are')} "
            "finished and counted")
    if results.provisional:
        text += f", {len(results.provisional)} of them provisional (awaiting moderation)"
    out.append(text + ".")
    if results.weighted:
        out.append("The strata were sampled at different rates, so every force-wide percentage below is a "
                   "weighted estimate (counts are unweighted).")
    conclusions = Counter(item.assurance.conclusion for item in results.items.values())
    level = f"{100 * results.confidence:g}%"
    if results.tolerable is not None:
        out.append(
            f"Against a tolerable failure rate of {pct(results.tolerable)} at {level} confidence, "
            f"{conclusions[ASSURED]} of {len(results.items)} items are assured, {conclusions[NOT_ASSURED]} are not "
            f"assured and {conclusions[TOO_FEW]} have too few applicable files to conclude"
            + (f"; {conclusions['no applicable files']} applied to no file." if conclusions["no applicable files"] else "."))
    else:
        out.append("The sampling plan sets no tolerable failure rate, so no item is assessed as assured or not "
                   "assured; compliance is reported with its interval.")
    return tuple(out)


def _flags(results: AuditResults) -> tuple[str, ...]:
    shares = results.files
    return (f"Files with a critical failure: {share_words(shares.critical_failure, results.confidence, results.weighted)}.",
            f"Files with a material missed opportunity: {share_words(shares.mmo, results.confidence, results.weighted)}.")


def _cannot_say(checklist: Checklist, results: AuditResults, sampled: int) -> tuple[str, ...]:
    out = []
    unfinished = sampled - results.files_reviewed
    if unfinished:
        out.append(f"{count(unfinished, 'sampled file is', 'sampled files are')} not finished and not counted: "
                   "the figures describe the finished files only.")
    ungradable = results.files.ungradable.proportion
    if ungradable.successes:
        out.append(f"{count(ungradable.successes, 'file')} ({pct(ungradable.estimate)}) could not be graded "
                   f"({checklist.spec.grading.gradability.label.lower()}): the record was insufficient.")
    if results.provisional:
        out.append(f"{count(len(results.provisional), 'file is', 'files are')} provisional: the two reviews are not yet "
                   "moderated, so the primary review's answers are counted for now.")
    for item_id, item in results.items.items():
        if item.na >= HIGH_NA_FILES and (item.na_rate.estimate or 0) >= HIGH_NA:
            reasons = "; ".join(f"“{reason}” ({n})" for reason, n in item.na_reasons[:2] if reason)
            out.append(f"Item {item_id} was answered Not applicable in {item.na} of {item.applicable + item.na} files "
                       f"({pct(item.na_rate.estimate)})" + (f"; reasons given: {reasons}" if reasons else "")
                       + ". A high rate may hide files where the line of inquiry did apply.")
    too_few = [item_id for item_id, item in results.items.items() if item.assurance.conclusion == TOO_FEW]
    if too_few:
        out.append(f"{count(len(too_few), 'item has', 'items have')} too few applicable files to conclude either way: "
                   + ", ".join(too_few) + ".")
    flagged = [(r.reviewer, r.flagged) for r in results.reviewers if r.flagged]
    for reviewer, items in flagged:
        out.append(f"{reviewer}'s Not applicable rate differs markedly from the other reviewers' on "
                   f"{', '.join(items)}: a prompt for calibration, not a finding.")
    empty = sorted({s for item in results.items.values() if item.weighted for s in item.weighted.empty_strata})
    if empty:
        out.append("No finished review yet in stratum " + ", ".join(f"'{s}'" for s in empty)
                   + ": it contributes nothing to the weighted figures.")
    if not out:
        out.append("Every sampled file is finished and gradable, none awaits moderation, and no item has an "
                   "unusually high Not applicable rate.")
    return tuple(out)


def _notable(checklist: Checklist, results: AuditResults, files: Sequence[FileInput]) -> tuple[str, ...]:
    shares = results.files
    out = [f"Files with notable practice: {share_words(shares.notable_practice, results.confidence, results.weighted)}."]
    counts = Counter(item_id for file in files for item_id, answer in file.answers.items() if answer.notable)
    if counts:
        top = sorted(counts.items(), key=lambda pair: (-pair[1], list(checklist.items).index(pair[0])))[:5]
        out.append("Most often noted on: " + "; ".join(
            f"{item_id} {checklist.render(checklist.items[item_id].question)} ({count(n, 'file')})" for item_id, n in top) + ".")
    return tuple(out)


def _figure(item: ItemResult, weighted: bool) -> str:
    c: Proportion = item.compliance
    text = f"Met in {c.successes} of {count(c.n, 'applicable file')} ({pct(c.estimate)})"
    if weighted and item.weighted is not None:
        text += f"; weighted estimate {pct(item.weighted.estimate)}"
    return text


def _themes(checklist: Checklist, results: AuditResults, files: Sequence[FileInput],
            name: Callable[[str], str]) -> tuple[Theme, ...]:
    out = []
    weak_meanings = (NOT_MET, PARTLY_MET, NOT_RECORDED)
    for item in results.weakest():
        examples = []
        for meaning in weak_meanings:  # not met first: the clearest examples of what went wrong
            for file in files:
                answer = file.answers.get(item.item)
                if answer is not None and answer.meaning == meaning and answer.note.strip():
                    scale = checklist.answer(item.item, answer.code)
                    examples.append(Example(name(file.ref), f"{scale.label} ({answer.code})" if scale else answer.code,
                                            _cut(answer.note)))
                if len(examples) >= EXAMPLES:
                    break
            if len(examples) >= EXAMPLES:
                break
        if examples:
            out.append(Theme(item.item, item.question, _figure(item, results.weighted), tuple(examples)))
        if len(out) >= THEMES:
            break
    return tuple(out)


def _cut(note: str) -> str:
    note = " ".join(note.split())
    if len(note) <= EXAMPLE_LENGTH:
        return note
    cut = note.rfind(" ", EXAMPLE_LENGTH * 3 // 4, EXAMPLE_LENGTH)
    return note[: cut if cut > 0 else EXAMPLE_LENGTH] + " …"


def _moderation(results: AuditResults, selected: Sequence[SampleFileRow]) -> tuple[str, ...]:
    seconds = [row for row in selected if row.second is not None]
    if not seconds:
        return ("No file had a second review, so there is nothing to moderate and no agreement to measure.",)
    finished = [row for row in seconds if row.second is not None and row.second.status in moderation.DONE
                and row.primary is not None and row.primary.status in moderation.DONE]
    out = [f"{count(len(seconds), 'file was', 'files were')} reviewed a second time, independently; "
           f"both reviews are finished on {len(finished)}."]
    agreement = results.agreement
    if agreement is not None and agreement.pooled.n:
        disagreements = agreement.disagreements
        settled = sum(1 for d in disagreements if d.moderated is not None)
        out.append(f"The two reviews gave different answers on {count(len(disagreements), 'item')} of "
                   f"{agreement.pooled.n:,} answered in both. Disagreements are moderated by a lead auditor, who "
                   "records the agreed answer and the reason in the audit trail; the agreed answer is the one "
                   f"counted. {settled} of the {len(disagreements)} have an agreed answer"
                   + (f"; {len(disagreements) - settled} await moderation." if settled < len(disagreements) else "."))
    return tuple(out)


def _file_line(row: SampleFileRow, position: int, file: FileInput | None, show_refs: bool,
               cap_numbers: dict[str, int]) -> FileLine:
    primary, second = row.primary, row.second
    if file is not None:
        grade = file.grade_label or "—"
        if file.provisional:
            grade += " (provisional)"
    else:
        grade = "not finished" if primary is not None else "not started"
    return FileLine(
        file=str(position), ref=row.ref if show_refs else "",
        stratum=row.stratum, grade=grade,
        caps=", ".join(str(cap_numbers.get(cap, cap)) for cap in file.caps) if file is not None else "",
        reviewer=primary.reviewer.display if primary else "—",
        second=f"{second.reviewer.display}, {workspace.STATUS_LABELS.get(second.status, second.status).lower()}"
        if second else "",
        sign_off=_signed(primary))


def _signed(review: Review | None) -> str:
    if review is None or review.signed_off_by is None:
        return "not signed off"
    return f"{review.signed_off_by.display}, {_date(review.signed_off_at)}"


# -- the method appendix


def _method(audit: Audit, results: AuditResults, plan: Plan | None, strata: list[tuple[str, int, int]],
            units: list[sampling_store.SampledUnit], batches: list[population_store.Batch],
            rejections: dict[int, list[tuple[int, str, str]]], head: tuple[int, str], show_refs: bool,
            ) -> tuple[MethodPart, ...]:
    record, checklist = audit.record, audit.checklist
    parts = []
    for batch in batches:
        reasons = Counter(_reason_kind(reason) for _, _, reason in rejections.get(batch.id, []))
        pairs = [
            Pair("Source file", batch.source_name),
            Pair("SHA-256 of the file", batch.sha256),
            Pair("Imported", f"{_date(batch.imported_at)} by {batch.imported_by}"),
            Pair("Read as", f"{batch.format.upper()}, {batch.encoding}" + (f", delimiter {batch.delimiter!r}" if batch.delimiter else "")),
            Pair("Rows read", f"{batch.rows_read:,}"),
            Pair("Imported", f"{batch.imported:,}"),
            Pair("Rejected", f"{batch.rejected:,}" + (": " + "; ".join(f"{reason} ({n:,})" for reason, n in reasons.most_common(6))
                                                        if reasons else "")),
            Pair("Excluded (outside the scope)", f"{batch.excluded:,}"),
            Pair("Scope", "; ".join(f"{field} is one of {', '.join(values)}" for field, values in batch.scope.items())
                 or "every imported row"),
        ]
        parts.append(MethodPart(f"Population: {batch.source_name}" if len(batches) > 1 else "Population", tuple(pairs)))
    scope_pairs = [Pair("What the audit covers", record.scope or "not stated")]
    if record.period_start or record.period_end:
        scope_pairs.append(Pair("Period", f"{_date(record.period_start) or '—'} to {_date(record.period_end) or '—'}"))
    if plan is not None:
        scope_pairs += [Pair("Frame size", f"{plan.frame_size:,} files"),
                        Pair("Frame SHA-256", plan.frame_sha256)]
    parts.append(MethodPart("Scope and sampling frame", tuple(scope_pairs), (
        "The frame SHA-256 is the SHA-256 of the in-frame references, sorted, joined by line feeds (UTF-8).",) if plan else ()))
    if plan is not None:
        parts.append(_design(plan, strata, units, show_refs))
    parts.append(_checklist_part(checklist, record.checklist_source))
    parts.append(MethodPart("Statistical methods", (), tuple(results.method)
                            + (tuple(results.agreement.method) if results.agreement is not None else ())))
    parts.append(MethodPart("References", (), REFERENCES))
    events, head_hash = head
    parts.append(MethodPart("Provenance", (
        Pair("Produced by", f"audit-app {__version__}"),
        Pair("Audit created", f"{timestamp(record.created_at)} by {record.created_by} (audit-app {record.app_version})"),
        Pair("Audit trail", f"{events:,} events"),
        Pair("Trail head", head_hash),
    ), (
        "The trail head is the hash of the last event of the audit trail when this report was produced; each "
        "event's hash covers the one before, so the head stands for the whole trail. `audit-app verify AUDIT "
        "--head HASH` proves that the audit's trail still extends this head; `audit-app report verify REPORT.pdf "
        "AUDIT` checks this report against the audit as it stands.",
    )))
    return tuple(parts)


def _reason_kind(reason: str) -> str:
    """A rejection reason without its particulars (quoted values), so like reasons count together."""
    kind = reason.split(":")[0].split("'")[0].split("“")[0].strip().rstrip(".")
    return kind or reason


def _design(plan: Plan, strata: list[tuple[str, int, int]], units: list[sampling_store.SampledUnit],
            show_refs: bool) -> MethodPart:
    pairs = [Pair("Sample size rule", plan.size_description or plan.size_method)]
    for label, value in (("Confidence", plan.confidence), ("Tolerable failure rate", plan.tolerable),
                         ("Expected failure rate", plan.expected), ("Margin of error", plan.margin),
                         ("Assumed proportion", plan.proportion)):
        if value is not None:
            pairs.append(Pair(label, f"{100 * value:g}%"))
    if plan.requested_size is not None:
        pairs.append(Pair("Requested size", str(plan.requested_size)))
    if plan.acceptance_number is not None:
        pairs.append(Pair("Acceptance number", str(plan.acceptance_number)))
    pairs += [
        Pair("Sample size", f"{plan.size:,} files"),
        Pair("Strata", ", ".join(plan.strata_fields) if plan.strata_fields else "none (one stratum)"),
        Pair("Allocation", plan.allocation + (f", at least {plan.min_per_stratum} per stratum" if plan.min_per_stratum else "")),
        Pair("Weighting", "weighted estimates (disproportionate design)" if plan.disproportionate
             else "none needed (every file had the same chance of selection)"),
        Pair("Seed", plan.seed),
        Pair("Reserve", f"{plan.reserve} per stratum"),
        Pair("Drawn", f"{timestamp(plan.created_at)} by {plan.created_by}"),
    ]
    for key, population, sample in strata:
        probability = sample / population if population else 0
        pairs.append(Pair(f"Stratum {key}", f"{population:,} in the frame, {sample:,} drawn (inclusion probability {probability:.4f})"))
    replaced = [u for u in units if u.status == "replaced"]
    taken = {u.replaces: u for u in units if u.replaces}  # replaced ref → the reserve that took its place
    sentences = [plan.statement, SELECTION_RULE] if plan.statement else [SELECTION_RULE]
    for unit in replaced:
        reserve = taken.get(unit.ref)
        if show_refs:
            what = f"{unit.ref} (stratum {unit.stratum}, rank {unit.rank})" + (
                f", replaced by reserve {reserve.ref} (rank {reserve.rank})" if reserve is not None else "")
        else:  # ranks identify the files to whoever holds the population file and the seed, not to a reader
            what = f"the file of rank {unit.rank} in stratum {unit.stratum}" + (
                f", replaced by the reserve of rank {reserve.rank}" if reserve is not None else "")
        sentences.append(f"Replaced: {what}; reason: {unit.replaced_reason or 'not recorded'}.")
    return MethodPart("Sample design", tuple(pairs), tuple(sentences))


def _checklist_part(checklist: Checklist, source: str) -> MethodPart:
    spec = checklist.spec
    grading = spec.grading
    pairs = [
        Pair("Checklist", f"{spec.title} ({spec.id})"),
        Pair("Version", spec.version),
        Pair("SHA-256", checklist.sha256),
        Pair("Source file", source),
        Pair("Items", f"{len(checklist.items)} in {len(spec.sections)} sections"),
        Pair("Victims' Code", spec.policy.victims_code),
    ]
    bands = "; ".join(f"{band.label}: {band.min:g} to under {band.max:g}" if band.max < 100 else
                      f"{band.label}: {band.min:g} to {band.max:g}" for band in grading.bands)
    gradability = grading.gradability
    sentences = [
        "Score: S = 100 × Σ(wᵢ·pᵢ) / Σ(wᵢ·maxᵢ) over the items that apply to the file and are answered other than "
        "Not applicable, where wᵢ is the item's weight, pᵢ the points of its answer and maxᵢ the most points its "
        f"scale gives; rounded half up to {grading.score_decimals} decimal place(s) before grading.",
        f"Grades by score: {bands}.",
        f"A file is {gradability.label.lower()} when fewer than {gradability.min_applicable} items are scored or more "
        f"than {100 * gradability.max_not_recorded_share:g}% of its scored answers are Not recorded.",
    ]
    sentences += [f"Cap {number}: {cap.reason.rstrip('.')} — the grade is at most {_band_label(checklist, cap.at_most)}."
                  for number, cap in enumerate(grading.caps, start=1)]
    critical = [item.id for item in checklist.items.values() if item.critical != "never"]
    if critical:
        sentences.append("Critical items (a Not met or Not recorded answer is a critical failure, some only where the "
                         "opportunity was known): " + ", ".join(critical) + ".")
    scales = "; ".join(f"{scale.label}: " + ", ".join(
        f"{a.label} ({a.code}) {'excluded' if a.points is None else f'{a.points:g} points'}" for a in scale.answers)
        for scale in spec.scales)
    sentences.append(f"Answer scales: {scales}.")
    return MethodPart("Checklist, scoring and grading", tuple(pairs), tuple(sentences))


def _band_label(checklist: Checklist, band_id: str) -> str:
    return next((band.label for band in checklist.spec.grading.bands if band.id == band_id), band_id)
