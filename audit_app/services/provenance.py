"""Provenance you can check (issue 11): what a report was produced from, and whether it still holds.

:func:`manifest` gathers, in one read snapshot, what a report was produced from: the audit (the
hash of its first trail entry, its title and creation time), the trail head, the checklist, the
population imports and the sampling frame, and **source hashes**: the SHA-256 of a canonical
serialisation of every piece of data the report's figures derive from (the sample, the reviews,
their profiles and answers, the moderation agreements, the audit settings). A file report hashes
the files it shows; the audit report hashes the whole audit. The hashes take stored values only
(codes, ids, flags, timestamps as stored), never the app's wording, so a later version of the app
re-checks an older report. The report embeds the manifest in its PDF metadata, sealed with the
digest of the whole file (``reports.manifest``).

:func:`check_report` reads the manifest back and says whether the report was produced from the
audit as it stands now, or what changed since.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit_app import __version__
from audit_app.errors import AuditError
from audit_app.reports import manifest as manifest_pdf
from audit_app.services import verification
from audit_app.services.audits import Audit
from audit_app.store import events, meta
from audit_app.store import population as population_store
from audit_app.store import reviews as review_store
from audit_app.store import sampling as sampling_store

FORMAT = 1  # the manifest's format version
AUDIT_REPORT = "audit report"
FILE_REPORTS = "file reports"
KINDS = (AUDIT_REPORT, FILE_REPORTS)
# what each source hash covers, in words (for the findings)
SOURCE_LABELS = {"sample": "the sample", "reviews": "the reviews", "profiles": "the file profiles",
                 "answers": "the answers", "moderation": "the moderation agreements", "settings": "the audit settings"}
SHOWN_REFS = 5  # files named in a finding before "and N more"


# -- what a report was produced from


def manifest(audit: Audit, kind: str, refs: Sequence[str] | None = None) -> dict[str, Any]:
    """The provenance of a report of ``kind`` (``"audit report"`` or ``"file reports"`` of ``refs``),
    read as one state of the audit. The caller embeds it (``write_pdf(..., manifest=...)``).

    :raises ValueError: on an unknown kind, or file reports without refs (a bug in the caller).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown report kind {kind!r}")
    if kind == FILE_REPORTS and not refs:
        raise ValueError("file reports need the refs they show")
    chosen = list(refs) if kind == FILE_REPORTS and refs is not None else None
    with audit.snapshot():
        db = audit.db
        first = next(events.iterate(db), None)
        count, head = events.head(db)
        record = audit.record
        plan = sampling_store.load_plan(db)
        out: dict[str, Any] = {
            "format": FORMAT,
            "kind": kind,
            "refs": chosen,
            "audit": {"first_event": first.hash if first else "", "title": record.title,
                      "created_at": record.created_at},
            "trail": {"events": count, "head": head},
            "checklist": {"id": record.checklist_id, "version": record.checklist_version,
                          "sha256": record.checklist_sha256},
            "population": {"imports": [batch.sha256 for batch in population_store.batches(db)]},
            "sample": {"frame_sha256": plan.frame_sha256, "seed": plan.seed} if plan is not None else None,
            "sources": source_hashes(audit, chosen),
            "app_version": __version__,
            "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        }
    return out


def source_hashes(audit: Audit, refs: Sequence[str] | None = None) -> dict[str, str]:
    """SHA-256 of each part of the data a report's figures derive from (see :data:`SOURCE_LABELS`):
    of the files ``refs`` only, or of the whole audit when ``refs`` is None."""
    with audit.snapshot():
        return {key: _sha256(value) for key, value in _sources(audit, refs).items()}


def _sources(audit: Audit, refs: Sequence[str] | None) -> dict[str, Any]:
    db = audit.db
    wanted = set(refs) if refs is not None else None

    def kept(ref: str | None) -> bool:
        return wanted is None or ref in wanted

    units = [u for u in sampling_store.sampled_units(db) if kept(u.ref)]
    sample = [[u.ref, u.stratum, u.rank, u.status, u.replaces, u.replaced_reason] for u in units]
    reviews = [r for r in review_store.all_reviews(db) if kept(r.ref)]
    ids = [r.id for r in reviews]
    where = {r.id: f"{r.ref}\x1f{r.role}" for r in reviews}  # a review by its file and role, not its row id
    review_rows = [[r.ref, r.role, _person(r.reviewer), r.status, r.training, _person(r.signed_off_by), r.signed_off_at,
                    r.changed_after_sign_off] for r in reviews]
    profiles = review_store.profiles_of_reviews(db, ids)
    answers = review_store.answers_of_reviews(db, ids)
    unit_refs = {u.unit_id: u.ref for u in sampling_store.sampled_units(db)}
    agreed = review_store.all_agreed(db)
    moderation = {unit_refs.get(unit_id, str(unit_id)): {target: [a.value, a.reason, _person(a.decided_by), a.decided_at]
                                                         for target, a in by_target.items()}
                  for unit_id, by_target in agreed.items() if kept(unit_refs.get(unit_id))}
    return {
        "sample": sorted(sample, key=lambda row: (str(row[0]), str(row[1]))),
        "reviews": sorted(review_rows, key=lambda row: (str(row[0]), str(row[1]))),
        "profiles": {where[i]: values for i, values in profiles.items() if i in where},
        "answers": {where[i]: {item: a.to_json(item) for item, a in by_item.items()} for i, by_item in answers.items()},
        "moderation": moderation,
        "settings": meta.settings(db),
    }


def _person(person: Any) -> list[str] | None:
    return [person.name, person.staff_number] if person is not None else None


def _sha256(value: Any) -> str:
    return hashlib.sha256(events.canonical(value).encode("utf-8")).hexdigest()


# -- checking a report against the audit


@dataclass(frozen=True)
class ReportCheck:
    """Whether a report was produced from the audit as it stands (``matches``), and if not, why:
    ``findings``, each a sentence. The rest says what the report was produced from, and the
    audit's trail as it stands."""

    matches: bool
    findings: list[str] = field(default_factory=list)
    kind: str = ""
    refs: list[str] | None = None
    audit_title: str = ""
    generated_at: str = ""
    app_version: str = ""
    report_events: int = 0
    report_head: str = ""
    events: int = 0
    head: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"matches": self.matches, "findings": list(self.findings), "report": {
            "kind": self.kind, "refs": self.refs, "audit": self.audit_title, "generated_at": self.generated_at,
            "app_version": self.app_version, "trail": {"events": self.report_events, "head": self.report_head}},
            "audit": {"trail": {"events": self.events, "head": self.head}}}


def check_report(audit: Audit, pdf_path: str | Path) -> ReportCheck:
    """Was the report at ``pdf_path`` produced from ``audit`` as it stands now?

    :raises AuditError: when the file cannot be read, is not a PDF, or has no audit-app manifest.
    """
    try:
        embedded = manifest_pdf.read(pdf_path)
    except manifest_pdf.ReportFileError as exc:
        raise AuditError(str(exc)) from None
    findings: list[str] = []
    altered = manifest_pdf.digest_problem(pdf_path, embedded)
    if altered:
        findings.append(altered)
    trail, about = _dict(embedded.get("trail")), _dict(embedded.get("audit"))
    report_events, report_head = _int(trail.get("events")), str(trail.get("head") or "")
    kind = str(embedded.get("kind") or "")
    raw_refs = embedded.get("refs")
    refs = [str(ref) for ref in raw_refs] if isinstance(raw_refs, list) else None
    with audit.snapshot():
        db = audit.db
        count, head = events.head(db)

        def result() -> ReportCheck:
            return ReportCheck(
                matches=not findings, findings=findings, kind=kind, refs=refs, audit_title=str(about.get("title") or ""),
                generated_at=str(embedded.get("generated_at") or ""), app_version=str(embedded.get("app_version") or ""),
                report_events=report_events, report_head=report_head, events=count, head=head)

        first = next(events.iterate(db), None)
        if first is None or first.hash != about.get("first_event"):
            findings.append(
                f"The report was produced from another audit: '{about.get('title', '?')}', created "
                f"{about.get('created_at', '?')} (its first trail entry {_short(str(about.get('first_event') or ''))}); "
                f"this audit is '{audit.record.title}', created {audit.record.created_at}.")
            return result()
        findings.extend(_checklist_findings(audit, _dict(embedded.get("checklist"))))
        same_head = report_head == head and report_events == count
        if not same_head:
            at_count = next(events.iterate_from(db, report_events), None) if report_events else None
            if at_count is not None and at_count.seq == report_events and at_count.hash == report_head:
                findings.append(_changes_since(audit, report_events, report_head, refs))
            else:
                findings.append(
                    f"The audit trail no longer extends the report's trail head ({_short(report_head)}, entry "
                    f"{report_events}): it was rewritten or this is another copy of the audit.")
        elif kind in KINDS:
            then = _dict(embedded.get("sources"))
            now = source_hashes(audit, refs if kind == FILE_REPORTS else None)
            changed = [SOURCE_LABELS.get(key, key) for key in now if then.get(key) != now[key]]
            if changed:
                findings.append(
                    f"The audit's data were changed outside the audit trail since the report: the trail head is the "
                    f"same, but {_listed(changed)} differ from what the report was produced from; run "
                    "`audit-app verify AUDIT` to see what.")
        intact = verification.verify(audit)
        if not intact.ok:
            findings.append(f"The audit itself is not intact ({len(intact.problems)} finding(s) of `audit-app verify`, "
                            f"the first: {intact.problems[0]}).")
        return result()


def _checklist_findings(audit: Audit, then: dict[str, Any]) -> list[str]:
    record = audit.record
    if then.get("sha256") == record.checklist_sha256:
        return []
    return [f"The report was produced with a different checklist: {then.get('id', '?')} version "
            f"{then.get('version', '?')} (SHA-256 {_short(str(then.get('sha256') or ''))}); the audit's checklist is "
            f"{record.checklist_id} version {record.checklist_version} (SHA-256 {_short(record.checklist_sha256)})."]


def _changes_since(audit: Audit, seq: int, head: str, refs: list[str] | None) -> str:
    """The events after entry ``seq``, summarised as one sentence."""
    ref_of = {str(r.id): r.ref for r in review_store.all_reviews(audit.db)}
    answered: dict[str, None] = {}  # files whose answers or profile changed, in trail order
    touched: set[str] = set()
    kinds: Counter[str] = Counter()
    later = [event for event in events.iterate_from(audit.db, seq + 1)]
    for event in later:
        action, detail = event.action, event.detail
        if event.entity == "review":
            ref = ref_of.get(event.entity_id, f"review {event.entity_id}")
            touched.add(ref)
            if action in ("answer.set", "profile.set"):
                answered[ref] = None
            elif action == "review.status" and detail.get("new") == "signed_off":
                kinds["signed off"] += 1
            elif action == "review.status":
                kinds["status"] += 1
            elif action == "review.start":
                kinds["started"] += 1
            else:
                kinds[action] += 1
        elif action == "moderation.agree":
            touched.add(event.entity_id)
            kinds["moderation"] += 1
        elif action == "sample.replace":
            touched.update({event.entity_id, str(detail.get("replacement") or "")})
            kinds["replace"] += 1
        elif action == "audit.setting":
            kinds["settings"] += 1
        else:
            kinds[action] += 1
    parts = []
    if answered:
        parts.append(f"answers changed after the report on {_count(len(answered), 'file')} ({_refs(list(answered))})")
    words: dict[str, Callable[[int], str]] = {
        "signed off": lambda n: f"{_count(n, 'review')} signed off",
        "status": lambda n: f"{_count(n, 'other change')} of a review's status",
        "started": lambda n: f"{_count(n, 'review')} started",
        "moderation": lambda n: f"{_count(n, 'moderation decision')}",
        "replace": lambda n: f"{_count(n, 'sample replacement')}",
        "settings": lambda n: f"{_count(n, 'change')} to the audit settings",
    }
    for key, shown in words.items():
        if kinds.get(key):
            parts.append(shown(kinds.pop(key)))
    if kinds:
        parts.append("other entries (" + ", ".join(f"{action} ×{n}" for action, n in sorted(kinds.items())) + ")")
    text = (f"The audit changed after the report: {_count(len(later), 'event')} since its trail head "
            f"({_short(head)}, entry {seq})")
    if later:
        text += f", the latest {later[-1].at}"
    text += ": " + "; ".join(parts) + "."
    if refs is not None:
        mine = [ref for ref in refs if ref in touched]
        text += (f" Of the files in this report, {_refs(mine)} changed." if mine
                 else " None of the changes concern the files in this report.")
    return text


def _refs(refs: list[str]) -> str:
    shown = ", ".join(f"'{ref}'" for ref in refs[:SHOWN_REFS])
    return shown + (f" and {len(refs) - SHOWN_REFS} more" if len(refs) > SHOWN_REFS else "")


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _short(digest: str) -> str:
    return digest[:16] + "…" if len(digest) > 16 else (digest or "none")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
