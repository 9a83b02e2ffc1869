"""Verification: is the audit file intact, is its trail unbroken, and does the trail explain the data?

Checks, in order: SQLite's ``integrity_check``; the event chain (every entry's hash, links and
sequence); that replaying the trail gives exactly the current reviews, profile values and answers;
that the reviewers' roles and computer accounts are what the trail's nominations give (a lead is
the audit's creator or named by a lead, and only a lead signs off or records an agreed answer); and
that the recorded sample re-derives from its seed and frame.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from audit_app.core import population as pop
from audit_app.core import sampling
from audit_app.core.checklist import parse_checklist
from audit_app.core.records import Plan, Review
from audit_app.errors import AuditFileError, ChecklistError, UserFacingError
from audit_app.services import sampling as sample_service
from audit_app.services import settings as settings_service
from audit_app.services.audits import Audit, open_audit
from audit_app.store import events, meta
from audit_app.store import population as population_store
from audit_app.store import reviews as review_store
from audit_app.store import sampling as sampling_store
from audit_app.store.database import integrity_problems, missing_tables, read_only_message, structural_problems


@dataclass
class VerifyReport:
    """What verify checked and found. ``head`` is the hash of the trail's last entry and ``events``
    its length: written down elsewhere (a report, an e-mail, a notebook), they anchor the trail, since
    anyone who has the file could rewrite an unkeyed chain and hash it again (see :func:`verify`)."""

    checks: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    head: str = ""
    events: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def findings(self) -> list[dict[str, str]]:
        """Each problem as where it is and what is wrong ("review 3 (R1, primary)", "answer A1 is …")."""
        out = []
        for problem in self.problems:
            where, sep, what = problem.partition(": ")
            out.append({"where": where, "what": what} if sep else {"where": "audit", "what": problem})
        return out

    def to_json(self) -> dict[str, Any]:
        """The keys of the CLI contract (intact, head, events, findings), then what was checked."""
        return {"intact": self.ok, "head": self.head, "events": self.events, "findings": self.findings(),
                "checks": self.checks}


def verify(audit: Audit, head: str | None = None) -> VerifyReport:
    """Run every check; the report lists what was checked and every difference found.

    Everything is read in one read transaction (:meth:`Audit.snapshot`): another process may write
    meanwhile, and verify still sees one state of the file, never a mix of before and after a commit.

    :param head: a trail head recorded earlier (the hash verify, a report or the workspace showed):
        verify then also proves that today's trail still extends it — that no entry up to that
        head was changed, removed or re-hashed since. Without it, the chain proves only that the
        trail is consistent with itself: someone with the file and the public algorithm could
        rewrite it and hash it again.
    """
    with audit.snapshot():
        report = _verify(audit)
        if head is not None:
            report.checks.append("the audit trail still extends the head given")
            report.problems.extend(_head_problems(audit, head))
        return report


def damage(audit: Audit) -> list[str]:
    """What a quick structural look finds wrong, for a check before every write (empty when sound):
    SQLite's quick check, the tables present, and the audit trail's chain. A full :func:`verify` of a
    400-file audit takes about 1.7 s, this about 0.35 s (the chain is most of it)."""
    try:
        with audit.snapshot():
            return structural_problems(audit.db) or events.chain_problems(audit.db)
    except Exception as exc:  # noqa: BLE001 (a damaged file can fail in any way: that is the finding)
        return [f"database: {str(exc).strip() or type(exc).__name__}"]


def refuse_unless_writable(audit: Audit) -> None:
    """Before a command writes: refuse a read-only audit, or one ``verify`` would call damaged.

    :raises AuditFileError: one sentence naming the file; nothing has been changed.
    """
    if audit.read_only:
        raise AuditFileError(read_only_message(audit.path))
    problems = damage(audit)
    if problems:
        name = audit.path.name
        more = f" and {len(problems) - 1} more finding(s)" if len(problems) > 1 else ""
        raise AuditFileError(f"The audit file {name} is damaged ({problems[0]}{more}), so nothing was changed; "
                             f"`audit-app verify {name}` lists what is wrong.")


def explain_failure(path: str | Path) -> str:
    """After a command failed unexpectedly on the audit at ``path``: the sentence to show when the
    file is damaged or was edited by hand (what :func:`verify` finds), or "" when ``verify`` finds it
    sound, so the failure is a bug in audit-app and keeps its traceback. A hand-edited value can
    break any reading (a result, a report, an export) in any way; it is the file, not the app, that
    is at fault, and the user needs to hear that and what to do, not a traceback."""
    name = Path(path).name
    try:
        with open_audit(path) as audit:
            problems = verify(audit).problems
    except UserFacingError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 (too damaged even to verify: that is the answer)
        problems = [str(exc).strip() or type(exc).__name__]
    if not problems:
        return ""
    more = f" and {len(problems) - 1} more finding(s)" if len(problems) > 1 else ""
    return (f"The audit file {name} is damaged or was edited by hand ({problems[0]}{more}), so it could not be read; "
            f"nothing was changed. `audit-app verify {name}` lists what is wrong; go back to a backup copy.")


def _head_problems(audit: Audit, head: str) -> list[str]:
    wanted = head.strip().lower()
    if len(wanted) != 64 or any(c not in "0123456789abcdef" for c in wanted):
        return [f"head: '{head}' is not a trail head (64 hexadecimal characters, as verify prints it)"]
    if events.has_hash(audit.db, wanted):
        return []  # the chain check proved every link from the first entry to this one and on
    return [f"head: no entry of this audit's trail has the hash {wanted}: the trail no longer extends that head "
            "(entries up to it were changed, removed or hashed again), or the head belongs to another audit"]


def _verify(audit: Audit) -> VerifyReport:
    report = VerifyReport()
    db = audit.db
    report.events, report.head = _guarded(report, "audit trail", lambda: events.head(db), (0, ""))
    no_problems: list[str] = []
    integrity = _guarded(report, "database", lambda: integrity_problems(db), no_problems)
    report.checks.append("SQLite integrity check")
    if integrity:
        report.problems.extend(f"database: {line}" for line in integrity)
        return report  # nothing else can be trusted
    report.checks.append("every table of the audit is present")
    report.problems.extend(_guarded(report, "database", lambda: missing_tables(db), no_problems))
    count = _guarded(report, "audit trail", lambda: events.count(db), 0)
    report.checks.append(f"audit trail chain ({count} entries)")
    checks: list[tuple[str, str | None, Callable[[], list[str]]]] = [
        ("event log", None, lambda: events.chain_problems(db)),
        ("checklist", None, lambda: _checklist_differences(audit, report)),
        ("reviews", "current reviews, profile values and answers equal the replay of the audit trail",
         lambda: _replay_differences(audit)),
        ("audit settings", "audit settings (protective marking, file references in reports) equal the replay of the "
         "audit trail", lambda: _settings_differences(audit)),
        ("people", "reviewers' roles and computer accounts equal the replay of the audit trail's nominations",
         lambda: _people_differences(audit)),
        ("audit record", "the audit record (title, creator, checklist and its SHA-256) equals what its creation recorded",
         lambda: _audit_record_differences(audit)),
        ("import", "each population import (file hash, counts, rejections) equals what the audit trail recorded",
         lambda: _import_differences(audit)),
        ("sample", None, lambda: _sample_check(audit, report)),
    ]
    for where, check, run in checks:
        if check:
            report.checks.append(check)
        report.problems.extend(_guarded(report, where, run, no_problems))
    return report


def _sample_check(audit: Audit, report: VerifyReport) -> list[str]:
    plan = sampling_store.load_plan(audit.db)
    if plan is None:
        return []
    report.checks.append("sampling plan equals its draw in the audit trail; sample re-derived from its seed and frame; "
                         "selected, reserve and replaced files as the trail's replacements give them")
    draw = _last(audit, "sample.draw")
    return (_plan_differences(audit, plan, draw) + _sample_differences(audit, plan) + _status_differences(audit, plan)
            + _sampled_value_differences(audit, report, draw))


def _sampled_value_differences(audit: Audit, report: VerifyReport, draw: events.Event | None) -> list[str]:
    """Each sampled file's population values (every field, extra fields included) against the SHA-256
    the draw recorded: in a design not stratified by them, the frame's hash covers only the references,
    so an offence or an area changed in the file would otherwise go unnoticed. Draws recorded before
    issue 12 have no such hashes: there is nothing to compare them with, so no finding."""
    recorded = draw.detail.get("unit_values_sha256") if draw is not None else None
    if not isinstance(recorded, dict):
        return []
    report.checks.append("every sampled file's population values equal those recorded when the sample was drawn")
    current = population_store.sampled_unit_values(audit.db)
    problems = []
    for ref in sorted(set(recorded) | set(current)):
        if ref not in current:
            problems.append(f"sample: '{ref}' was drawn but is no longer a sampled file with population values")
        elif ref not in recorded:
            problems.append(f"sample: '{ref}' is a sampled file but the draw did not record it")
        elif pop.values_sha256(current[ref]) != recorded[ref]:
            problems.append(f"sample: the population values of '{ref}' (offence, area, month, outcome, officer or "
                            "extra fields) are not those recorded when the sample was drawn")
    return problems


def _first(audit: Audit, action: str) -> Any:
    return next(events.iterate(audit.db, actions=[action]), None)


def _last(audit: Audit, action: str) -> Any:
    last = None
    for last in events.iterate(audit.db, actions=[action]):
        pass
    return last


def _audit_record_differences(audit: Audit) -> list[str]:
    """The audit record against the ``audit.create`` entry: changing the title, the creator or the
    checklist (even with its SHA-256 recomputed) behind the trail's back is found here."""
    created = _first(audit, "audit.create")
    if created is None:
        return ["audit record: the audit trail has no entry for the audit's creation"]
    record, detail = audit.record, created.detail
    recorded = {"title": record.title, "checklist": record.checklist_id, "checklist_version": record.checklist_version,
                "checklist_sha256": record.checklist_sha256, "scope": record.scope, "app_version": record.app_version,
                "period_start": record.period_start, "period_end": record.period_end}
    problems = [f"audit record: its {key.replace('_', ' ')} is {_show(value)} but its creation recorded {_show(detail[key])}"
                for key, value in recorded.items() if key in detail and _plain(detail[key]) != _plain(value)]
    if record.created_by != created.actor:
        problems.append(f"audit record: its creator is {record.created_by!r} but the audit trail says {created.actor!r}")
    wanted = detail.get("checklist_document_sha256")
    if wanted and record.checklist_document is not None:
        actual = hashlib.sha256(record.checklist_document.encode("utf-8")).hexdigest()
        if actual != wanted:
            problems.append(f"audit record: the stored checklist document's SHA-256 is {actual[:12]}… but the audit's "
                            f"creation recorded {wanted[:12]}… (scores and grades would change)")
    return problems


def _plain(value: Any) -> Any:
    return None if value in (None, "", "None") else value


def _import_differences(audit: Audit) -> list[str]:
    db = audit.db
    entries = {e.entity_id: e for e in events.iterate(db, actions=["population.import"])}
    logged = {batch_id: entry.detail for batch_id, entry in entries.items()}
    problems = []
    for batch in population_store.batches(db):
        detail = logged.pop(str(batch.id), None)
        name = f"import {batch.id} ({batch.source_name})"
        if detail is None:
            problems.append(f"{name}: in the file but not in the audit trail")
            continue
        if batch.imported_by != entries[str(batch.id)].actor:
            problems.append(f"{name}: it is recorded as imported by {batch.imported_by!r} but the audit trail says "
                            f"{entries[str(batch.id)].actor!r}")
        stored = {"source": batch.source_name, "sha256": batch.sha256, "rows_read": batch.rows_read,
                  "imported": batch.imported, "rejected": batch.rejected, "excluded": batch.excluded,
                  "mapping": _mapped_fields(batch.mapping), "scope": batch.scope}
        problems += [f"{name}: its {key.replace('_', ' ')} is {_show(value)} but the audit trail recorded {_show(detail.get(key))}"
                     for key, value in stored.items() if key in detail and detail[key] != value]
        wanted = detail.get("units_sha256")  # recorded since issue 12; an older import has none, so no finding
        if wanted is not None:
            digest = pop.ColumnsDigest()
            for columns in population_store.batch_unit_columns(db, batch.id):
                digest.update(columns)
            if digest.hexdigest() != wanted:
                problems.append(f"{name}: the values of its files (a reference, offence, area, month, outcome, officer "
                                "or extra field, or a file added or removed) are not those it imported")
        kept = len(population_store.rejections(db, batch.id))
        if "rejected" in detail and kept != detail["rejected"]:
            problems.append(f"{name}: {kept} rejected row(s) are kept but the audit trail recorded {detail['rejected']}")
    problems += [f"import {batch_id}: in the audit trail but missing from the file" for batch_id in sorted(logged)]
    return problems


def _mapped_fields(mapping: Any) -> Any:
    """Which column each field was read from: the ``fields`` of a stored mapping (which also keeps
    how each was chosen), as the import's trail entry records it."""
    return mapping.get("fields", mapping) if isinstance(mapping, dict) else mapping


# Plan fields the draw entry records (older entries record fewer: only those present are compared).
_PLAN_FIELDS = {"size": "size", "seed": "seed", "frame_size": "frame_size", "frame_sha256": "frame_sha256",
                "method": "size_description", "allocation": "allocation", "strata_fields": "strata_fields",
                "reserve": "reserve", "confidence": "confidence", "tolerable": "tolerable", "expected": "expected",
                "margin": "margin", "proportion": "proportion", "requested_size": "requested_size",
                "acceptance_number": "acceptance_number", "min_per_stratum": "min_per_stratum",
                "disproportionate": "disproportionate", "statement": "statement", "size_method": "size_method"}


def _plan_differences(audit: Audit, plan: Plan, draw: events.Event | None) -> list[str]:
    """The stored plan against the last draw in the trail: a changed seed (with the sample redrawn to
    match), confidence, statement or stratum sizes is found here; inclusion probabilities are n_h/N_h."""
    if draw is None:
        return ["sample: a sampling plan is stored but the audit trail has no draw"]
    problems = [f"sample: the plan's {attribute.replace('_', ' ')} is {_show(getattr(plan, attribute))} but the draw "
                f"recorded {_show(draw.detail[key])}"
                for key, attribute in _PLAN_FIELDS.items() if key in draw.detail and draw.detail[key] != getattr(plan, attribute)]
    problems += _time_difference("sample: the draw", plan.created_at, draw.at)
    if plan.created_by != draw.actor:
        problems.append(f"sample: the plan is recorded as drawn by {plan.created_by!r} but the audit trail says "
                        f"{draw.actor!r}")
    stored = {key: [population, sample] for key, population, sample in sampling_store.strata(audit.db)}
    logged = draw.detail.get("strata")
    if logged is not None and stored != logged:
        problems.append(f"sample: the strata (files in the frame, files drawn) are {stored} but the draw recorded {logged}")
    for unit in sampling_store.sampled_units(audit.db):
        population, sample = stored.get(unit.stratum, [0, 0])
        expected = sample / population if population else 0.0
        if abs(unit.inclusion_probability - expected) > 1e-12:
            problems.append(f"sample: '{unit.ref}' has inclusion probability {unit.inclusion_probability} but its "
                            f"stratum gives {sample}/{population} = {expected}")
    return problems


def _status_differences(audit: Audit, plan: Plan) -> list[str]:
    """Selected, reserve and replaced as the draw and the trail's replacements give them: swapping a
    selected file with a reserve, or marking one replaced without a replacement, is found here."""
    units = sampling_store.sampled_units(audit.db)
    drawn = {key: sample for key, _, sample in sampling_store.strata(audit.db)}
    expected = {u.ref: "selected" if u.rank <= drawn.get(u.stratum, 0) else "reserve" for u in units}
    reasons: dict[str, str] = {}  # replaced file -> the reason its replacement recorded
    replaced_by: dict[str, str] = {}  # replacement -> the file it replaces
    for event in events.iterate(audit.db, actions=["sample.replace"]):
        ref = event.detail.get("ref", event.entity_id)
        expected[ref] = "replaced"
        expected[event.detail.get("replacement", "")] = "selected"
        reasons[ref] = event.reason
        replaced_by[event.detail.get("replacement", "")] = ref
    problems = [f"sample: '{u.ref}' is {u.status} but the draw and the audit trail's replacements make it "
                f"{expected.get(u.ref)}" for u in units if expected.get(u.ref) != u.status]
    for u in units:
        if (u.replaced_reason or "") != reasons.get(u.ref, ""):
            problems.append(f"sample: '{u.ref}' is recorded as replaced for {_show(u.replaced_reason)} but the audit "
                            f"trail's replacement gave {_show(reasons.get(u.ref))}")
        if (u.replaces or "") != replaced_by.get(u.ref, ""):
            problems.append(f"sample: '{u.ref}' is recorded as replacing {_show(u.replaces)} but the audit trail's "
                            f"replacements say {_show(replaced_by.get(u.ref))}")
    return problems


T = TypeVar("T")


def _guarded(report: VerifyReport, where: str, run: Callable[[], T], fallback: T) -> T:
    """``run()``, or — when the file is too damaged or hand-edited for it (a dropped table, a value that
    is not JSON, a wrong type) — a finding saying what could not be checked, and verify goes on."""
    try:
        return run()
    except Exception as exc:  # noqa: BLE001 (a damaged file can fail in any way; each is a finding, never a crash)
        detail = str(exc).strip() or type(exc).__name__
        report.problems.append(f"{where}: cannot be checked, the file is damaged or was edited by hand ({detail})")
        return fallback


@dataclass
class _Replayed:
    """The review state the audit trail describes."""

    statuses: dict[int, str] = field(default_factory=dict)
    # (training, signed off by, changed after sign-off) per review
    marks: dict[int, tuple[bool, int | None, bool]] = field(default_factory=dict)
    profiles: dict[int, dict[str, Any]] = field(default_factory=dict)
    answers: dict[int, dict[str, Any]] = field(default_factory=dict)
    agreed: dict[str, dict[str, Any]] = field(default_factory=dict)  # file ref -> target -> value
    # the entries themselves, for who, why and when: file ref -> target -> its last agreement
    agreements: dict[str, dict[str, events.Event]] = field(default_factory=dict)
    starts: dict[int, events.Event] = field(default_factory=dict)  # review -> its review.start entry
    signed_at: dict[int, str | None] = field(default_factory=dict)  # review -> its current sign-off's time


_REPLAYED_ACTIONS = ["moderation.agree", "review.start", "review.status", "profile.set", "answer.set"]


def _replay(audit: Audit) -> _Replayed:
    state = _Replayed()
    for event in events.iterate(audit.db, actions=_REPLAYED_ACTIONS):
        detail = event.detail
        if event.action == "moderation.agree":
            state.agreed.setdefault(event.entity_id, {})[detail["target"]] = detail["new"]
            state.agreements.setdefault(event.entity_id, {})[detail["target"]] = event
            continue
        if event.entity != "review":
            continue
        review_id = int(event.entity_id)
        if event.action == "review.start":
            state.statuses[review_id] = detail["status"]
            state.starts[review_id] = event
            state.marks[review_id] = (bool(detail.get("training")), None, False)
        elif event.action == "review.status":
            state.statuses[review_id] = detail["new"]
            training, signer, changed = state.marks.get(review_id, (False, None, False))
            if detail["new"] == "signed_off":
                signer = detail.get("signed_off_by", 0)
                state.signed_at[review_id] = event.at
            elif detail["old"] == "signed_off":
                signer = None
                state.signed_at[review_id] = None
            state.marks[review_id] = (training, signer, changed or bool(detail.get("changed_after_sign_off")))
        elif event.action == "profile.set":
            _apply(state.profiles.setdefault(review_id, {}), detail["field"], detail["new"])
        elif event.action == "answer.set":
            _apply(state.answers.setdefault(review_id, {}), detail["item"], detail["new"])
    return state


def _apply(state: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        state.pop(key, None)
    else:
        state[key] = value


def _replay_differences(audit: Audit) -> list[str]:
    db = audit.db
    replayed = _replay(audit)
    reviews = {r.id: r for r in review_store.all_reviews(db)}
    current_profiles = review_store.all_profile_values(db)
    current_answers = {review_id: {item: answer.to_json(item) for item, answer in answers.items()}
                       for review_id, answers in review_store.all_answers(db).items()}
    problems = []
    for review_id in sorted(set(reviews) | set(replayed.statuses)):
        review = reviews.get(review_id)
        name = f"review {review_id} ({review.ref}, {review.role})" if review else f"review {review_id}"
        if review is None:
            problems.append(f"{name}: in the audit trail but missing from the reviews table")
            continue
        problems += _start_differences(name, review, replayed.starts.get(review_id))
        if review.signed_off_at is not None or replayed.signed_at.get(review_id) is not None:
            problems += _time_difference(f"{name}: its sign-off", review.signed_off_at, replayed.signed_at.get(review_id))
        if replayed.statuses.get(review_id) != review.status:
            problems.append(f"{name}: status is '{review.status}' but the audit trail says '{replayed.statuses.get(review_id)}'")
        marks = (review.training, review.signed_off_by.id if review.signed_off_by else None, review.changed_after_sign_off)
        if replayed.marks.get(review_id) != marks:
            problems.append(f"{name}: its training, sign-off or changed-after-sign-off marks {marks} differ from the "
                            f"audit trail's {replayed.marks.get(review_id)}")
        problems += _compare(name, "profile value", current_profiles.get(review_id, {}), replayed.profiles.get(review_id, {}))
        problems += _compare(name, "answer", current_answers.get(review_id, {}), replayed.answers.get(review_id, {}))
    refs = {unit_id: ref for unit_id, ref in ((r.unit_id, r.ref) for r in reviews.values())}
    stored_agreed = {refs.get(unit_id, str(unit_id)): decided for unit_id, decided in review_store.all_agreed(db).items()}
    current_agreed = {ref: {t: a.value for t, a in decided.items()} for ref, decided in stored_agreed.items()}
    for ref in sorted(set(current_agreed) | set(replayed.agreed)):
        problems += _compare(f"moderation of '{ref}'", "agreed", current_agreed.get(ref, {}), replayed.agreed.get(ref, {}))
        for target, agreed in sorted(stored_agreed.get(ref, {}).items()):
            entry = replayed.agreements.get(ref, {}).get(target)
            problems += _time_difference(f"moderation of '{ref}': the agreed {target}", agreed.decided_at,
                                         entry.at if entry else None)
            if entry is not None and (agreed.reason, agreed.decided_by.display) != (entry.reason, entry.actor):
                problems.append(f"moderation of '{ref}': the agreed {target} is recorded as decided by "
                                f"{agreed.decided_by.display} because {agreed.reason!r}, but the audit trail says "
                                f"{entry.actor} because {entry.reason!r}")
    return problems


# The tables keep their own copy of when a thing happened, taken in the same transaction as the
# trail's entry but not from the same clock reading: within this many seconds they agree.
SAME_MOMENT_SECONDS = 60.0


def _time_difference(what: str, kept: str | None, logged: str | None) -> list[str]:
    """A finding when a time kept in a table is not the time the trail recorded (a sign-off dated
    to another day, say); none when the trail has no such entry (another check reports that)."""
    if logged is None:
        return [f"{what} is dated {kept} but the audit trail has no such entry"] if kept else []
    if kept is None:
        return [f"{what} has no date but the audit trail recorded it at {logged}"]
    try:
        apart = abs((dt.datetime.fromisoformat(kept) - dt.datetime.fromisoformat(logged)).total_seconds())
    except (TypeError, ValueError):
        return [f"{what} is dated {kept!r}, which is not a time (the audit trail recorded {logged})"]
    if apart > SAME_MOMENT_SECONDS:
        return [f"{what} is dated {kept} but the audit trail recorded it at {logged}"]
    return []


def _start_differences(name: str, review: Review, started: events.Event | None) -> list[str]:
    """Whose review of which file in which role, and when, against its start in the trail: a review
    moved to another file, given to another reviewer (whose independence and agreement it then counts
    for) or turned from primary to second is found here. Starts written before the reviewer's id was
    recorded are compared by name."""
    if started is None:
        return []  # the status comparison reports a review the trail never started
    detail = started.detail
    ref, role, reviewer_name = detail.get("ref", ""), detail.get("role", ""), detail.get("reviewer", "")
    reviewer_id = detail.get("reviewer_id")
    problems = _time_difference(f"{name}: its start", review.created_at, started.at)
    if review.ref != ref:
        problems.append(f"{name}: is of the file '{review.ref}' but the audit trail started it for '{ref}'")
    if review.role != role:
        problems.append(f"{name}: is a {review.role} review but the audit trail started it as a {role} review")
    if (reviewer_id is not None and review.reviewer.id != reviewer_id) or review.reviewer.name != reviewer_name:
        problems.append(f"{name}: is by {review.reviewer.display} but the audit trail started it for {reviewer_name}"
                        + (f" (reviewer {reviewer_id})" if reviewer_id is not None else ""))
    return problems


def _settings_differences(audit: Audit) -> list[str]:
    stored = meta.settings(audit.db)
    replayed = settings_service.replay(events.iterate(audit.db, actions=[settings_service.ACTION]))
    return [f"audit settings: '{key}' is {stored.get(key)!r} but the audit trail says {replayed.get(key)!r}"
            for key in sorted(set(stored) | set(replayed)) if stored.get(key) != replayed.get(key)]


# The entries the people check reads: who was added and named what, and what only a lead may do.
_PEOPLE_ACTIONS = ["reviewer.add", "reviewer.role", "reviewer.account", settings_service.ACTION, "moderation.agree",
                   "review.status"]


def _people_differences(audit: Audit) -> list[str]:
    """Replay who was added, named a lead and claimed which computer account, and compare.

    Entries written before schema m003 (no computer account) declared roles themselves; they are
    replayed as they are. Since then a lead is the audit's creator (the first lead, added as its
    creator under the name the audit records) or is named by someone who was a lead at the time.
    """
    db = audit.db
    roles: dict[int, str] = {}
    accounts: dict[int, str] = {}
    names: dict[int, str] = {}
    staff: dict[int, str] = {}
    problems = []
    for event in events.iterate(db, actions=_PEOPLE_ACTIONS):
        detail, modern = event.detail, event.os_account is not None
        if event.entity == "reviewer":
            reviewer_id = int(event.entity_id)
            who = f"reviewer {reviewer_id} ({detail.get('name', names.get(reviewer_id, '?'))})"
            if event.action == "reviewer.add":
                display = _display(detail.get("name", ""), detail.get("staff_number", ""))
                creator = detail.get("creator") and "lead" not in roles.values() and (
                    display == audit.record.created_by
                    or audit.record.created_by == f"{detail.get('os_account')} (command line)")
                names[reviewer_id] = detail.get("name", "")
                staff[reviewer_id] = detail.get("staff_number", "")
                roles[reviewer_id] = detail.get("role", "reviewer")
                accounts[reviewer_id] = detail.get("os_account") or ""
                if modern and roles[reviewer_id] == "lead" and not creator:
                    problems.append(f"people: {who} was added as a lead auditor without being the audit's creator "
                                    "or being named by a lead")
                    roles[reviewer_id] = "reviewer"
            elif event.action == "reviewer.role":
                by = detail.get("by", 0)
                if modern and roles.get(by) != "lead":
                    problems.append(f"people: {who} was made a {detail.get('new')} in entry {event.seq} by someone who "
                                    "was not a lead auditor of the audit")
                    continue
                roles[reviewer_id] = detail.get("new", roles.get(reviewer_id, "reviewer"))
            elif event.action == "reviewer.account":
                accounts[reviewer_id] = detail.get("new") or ""
        elif event.action == settings_service.ACTION and modern:
            if roles.get(detail.get("by", 0)) != "lead":
                problems.append(f"people: the audit setting '{detail.get('key')}' was changed in entry {event.seq} by "
                                f"{event.actor}, who was not a lead auditor of the audit then")
        elif event.action == "moderation.agree" and modern:
            leads = {_display(names.get(i, ""), staff.get(i, "")) for i, role in roles.items() if role == "lead"}
            if event.actor not in leads:
                problems.append(f"people: the agreed answer to {detail.get('target')} of '{event.entity_id}' was recorded "
                                f"in entry {event.seq} by {event.actor}, who was not a lead auditor of the audit then")
        elif event.action == "review.status" and detail.get("new") == "signed_off" and modern:
            signer = detail.get("signed_off_by", 0)
            if roles.get(signer) != "lead":
                problems.append(f"people: review {event.entity_id} was signed off in entry {event.seq} by reviewer "
                                f"{signer}, who was not a lead auditor of the audit then")
    current = {r.id: r for r in review_store.reviewers(db)}
    stored_accounts = review_store.all_reviewer_accounts(db)
    for reviewer_id in sorted(set(current) | set(roles)):
        reviewer = current.get(reviewer_id)
        if reviewer is None:
            problems.append(f"people: reviewer {reviewer_id} ({names.get(reviewer_id)}) is in the audit trail but "
                            "missing from the reviewers table")
            continue
        name = f"reviewer {reviewer_id} ({reviewer.display})"
        if reviewer_id not in roles:
            problems.append(f"people: {name} is in the reviewers table but the audit trail never added them")
            continue
        if (reviewer.name, reviewer.staff_number) != (names.get(reviewer_id), staff.get(reviewer_id)):
            problems.append(f"people: {name} is recorded as {_display(reviewer.name, reviewer.staff_number)!r} but the "
                            f"audit trail added them as {_display(names.get(reviewer_id, ''), staff.get(reviewer_id, ''))!r}")
        if reviewer.role != roles[reviewer_id]:
            problems.append(f"people: {name} is a '{reviewer.role}' in the file but the audit trail's nominations "
                            f"make them a '{roles[reviewer_id]}'")
        account = stored_accounts.get(reviewer_id, ("", ""))[0]
        if account != accounts.get(reviewer_id, ""):
            problems.append(f"people: {name} works from the computer account '{account}' in the file but the audit "
                            f"trail says '{accounts.get(reviewer_id, '')}'")
    return problems


def _display(name: str, staff_number: str) -> str:
    """How a reviewer is named in the audit trail (as :attr:`Reviewer.display`)."""
    return f"{name} ({staff_number})" if staff_number else name


def _checklist_differences(audit: Audit, report: VerifyReport) -> list[str]:
    """The checklist document the audit opens with must be exactly what its checklist text gives."""
    record = audit.record
    if not record.checklist_document:
        return []
    report.checks.append("the checklist the audit opens with is the one its stored text defines")
    try:
        from_text = parse_checklist(record.checklist_text.encode("utf-8"), record.checklist_source)
    except ChecklistError as exc:
        return [f"checklist: the stored checklist text no longer loads ({exc})"]
    with_bom = hashlib.sha256(codecs.BOM_UTF8 + record.checklist_text.encode("utf-8")).hexdigest()
    if record.checklist_sha256 not in (from_text.sha256, with_bom):  # the file may have begun with a BOM
        return [f"checklist: the stored text's SHA-256 is {from_text.sha256[:12]}…, but the audit recorded "
                f"{record.checklist_sha256[:12]}…"]
    if from_text.document != record.checklist_document:
        return ["checklist: the stored checklist document differs from what the stored checklist text defines"]
    return []


def _compare(name: str, what: str, current: dict[str, Any], replayed: dict[str, Any]) -> list[str]:
    problems = []
    for key in sorted(set(current) | set(replayed)):
        now, then = current.get(key), replayed.get(key)
        if now != then:
            problems.append(f"{name}: {what} {key} is {_show(now)} in the file but the audit trail says {_show(then)}")
    return problems


def _show(value: Any) -> str:
    if value is None:
        return "absent"
    if isinstance(value, dict) and "code" in value:
        extras = {k: v for k, v in value.items() if k not in ("item", "code") and v not in ("", None, False)}
        return f"'{value['code']}'" + (f" {extras}" if extras else "")
    return repr(value)


def _sample_differences(audit: Audit, plan: Plan) -> list[str]:
    db = audit.db
    units, _, frame_hash = sample_service.frame(audit, plan.strata_fields)
    problems = []
    if frame_hash != plan.frame_sha256 or len(units) != plan.frame_size:
        problems.append(f"sample: the sampling frame has changed since the draw ({len(units)} files, SHA-256 "
                        f"{frame_hash[:12]}…; the plan recorded {plan.frame_size}, {plan.frame_sha256[:12]}…)")
        return problems
    stored = sampling_store.strata(db)
    allocation = sampling.Allocation(
        sizes={key: sample for key, _, sample in stored}, populations={key: population for key, population, _ in stored},
        method=plan.allocation, min_per_stratum=plan.min_per_stratum, disproportionate=plan.disproportionate,
    )
    selection = sampling.select(units, allocation, plan.seed, plan.reserve)
    expected = {}
    for stratum in allocation.sizes:
        chosen, spare = selection.selected.get(stratum, []), selection.reserve.get(stratum, [])
        for rank, (ref, _) in enumerate(chosen + spare, start=1):
            expected[ref] = (stratum, rank)
    sampled = sampling_store.sampled_units(db)
    recorded = {u.ref: (u.stratum, u.rank) for u in sampled}
    for ref in sorted(set(expected) | set(recorded)):
        if expected.get(ref) != recorded.get(ref):
            problems.append(f"sample: '{ref}' is recorded as {recorded.get(ref)} but the seed gives {expected.get(ref)}")
    problems += [f"sample: '{u.ref}' has the rank key {u.hash_key[:12]}… but its seed and reference give "
                 f"{sampling.unit_key(plan.seed, u.ref)[:12]}…" for u in sampled
                 if u.hash_key != sampling.unit_key(plan.seed, u.ref)]
    return problems
