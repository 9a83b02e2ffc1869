"""The demo audit: the real police.uk file with labelled synthetic enrichment, a stratified sample,
and example reviews (all marked as training examples) so that a new user has results, moderation
and a sign-off to look at.

Everything is recorded through the services, as a reviewer would record it, so the demo's audit
trail is genuine and ``verify`` passes on it. Apart from timestamps the build is deterministic:
the same enrichment, the same sample and the same answers every time.

No Qt here: the GUI calls :func:`ensure_demo` off its thread; the CLI calls it directly.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from audit_app.core.records import Answer, Reviewer
from audit_app.errors import AuditError, AuditFileError
from audit_app.paths import resources_dir, user_data_dir
from audit_app.services import moderation, population, sampling, workspace
from audit_app.services.audits import Audit, create_audit, open_audit
from audit_app.services.reviews import (
    ensure_reviewer,
    name_lead,
    review_result,
    reviewers,
    set_answer,
    set_profile_value,
    set_review_status,
    sign_off,
    start_review,
)

Progress = Callable[[int, int], None]

SOURCE_FILE = "2025-01-city-of-london-street.csv"
ENRICHED_FILE = "2025-01-city-of-london-street-with-synthetic-fields.csv"
CHECKLIST = "neighbourhood-crime"
SEED = "audit-app demo 2025-01"
DEMO_FILE_NAME = "demo.audit"

TITLE = "Demonstration audit (training): neighbourhood crime, City of London Police, January 2025"
SCOPE = (
    "DEMONSTRATION AND TRAINING ONLY. Residential burglary, personal robbery, theft from the person and vehicle "
    "offences in the real police.uk street-level crime data for City of London Police, January 2025 (Open Government "
    "Licence v3.0). Crime references, dates and officer codes are synthetic (generated, labelled as such in the "
    "imported file); the reviewers and every review are invented training examples, not findings about real "
    "investigations."
)
PERIOD = (dt.date(2025, 1, 1), dt.date(2025, 1, 31))
SCOPE_FILTER = {"offence_group": ["burglary", "robbery", "theft_from_person", "vehicle"]}
SAMPLE = sampling.SampleRequest(size=24, strata=["offence_group"], min_per_stratum=3, seed=SEED, reserve=1)

# Extra columns added to the police.uk file; each header says the values are synthetic.
CRIME_REFERENCE = "Crime reference (synthetic)"
REPORTED = "Reported date (synthetic)"
RECORDED = "Recorded date (synthetic)"
OFFICER = "Officer code (synthetic)"
SYNTHETIC_COLUMNS = (CRIME_REFERENCE, REPORTED, RECORDED, OFFICER)

# The demo's people: invented, and named so that nobody mistakes them for real staff.
LEAD = ("Demo Lead Auditor", "DEMO-1", "lead")
REVIEWER_A = ("Demo Reviewer A", "DEMO-2", "reviewer")
REVIEWER_B = ("Demo Reviewer B", "DEMO-3", "reviewer")
DEMO_ACTOR = f"{LEAD[0]} ({LEAD[1]})"

# The example reviews, by name (resources/demo/examples.yaml says what each one shows).
WORKED_EXAMPLE = "worked_example"
CHARGED_BURGLARY = "charged_burglary"
ROBBERY = "robbery"
THEFT_NAMED_SUSPECT = "theft_named_suspect"
VEHICLE = "vehicle"
IN_PROGRESS = "in_progress"


# -- where the demo lives -------------------------------------------------------------------------


def default_demo_path() -> Path:
    """Where ``audit-app demo`` keeps the demo audit unless told otherwise."""
    return user_data_dir() / DEMO_FILE_NAME


def demo_source() -> Path:
    """The bundled police.uk file the demo is built from (its licence notice is next to it)."""
    return resources_dir() / "demo" / SOURCE_FILE


# -- reuse or build -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoOutcome:
    """What :func:`ensure_demo` did: built a new demo or reused one, and where an old one was put."""

    path: Path
    built: bool
    set_aside: Path | None = None


def ensure_demo(path: str | Path, *, fresh: bool = False, progress: Progress | None = None) -> DemoOutcome:
    """The demo audit at ``path``: an existing demo is reused (practice work in it is kept).

    :param fresh: build a new demo; an existing file is renamed aside with a timestamp, never deleted.
    :raises AuditError: when ``path`` holds an audit that is not a demo (it is left untouched), or a
        file that cannot be opened (unless ``fresh``).
    """
    path = Path(path)
    if not path.exists():
        return DemoOutcome(build_demo(path, progress), built=True)
    if path.is_dir():
        raise AuditError(f"{path} is a folder: give the path of the demo audit file.")
    try:
        demo = is_demo(path)
    except AuditFileError as exc:
        if not fresh:
            raise AuditError(f"{exc} Build a fresh demo (audit-app demo --fresh) to set it aside and start again.") from None
        demo = True  # unreadable: cannot be someone's audit in use; it is renamed, not deleted
    if not demo:
        raise AuditError(f"{path} is an audit but not the demo audit; it was left untouched (choose another path).")
    if not fresh:
        return DemoOutcome(path, built=False)
    aside = set_aside(path)
    try:
        return DemoOutcome(build_demo(path, progress), built=True, set_aside=aside)
    except BaseException:
        if not path.exists():
            aside.rename(path)  # the build failed: put the old file back where it was
        raise


def is_demo(path: str | Path) -> bool:
    """Whether the audit file at ``path`` is a demo built by :func:`build_demo`.

    :raises AuditFileError: when the file cannot be opened as an audit.
    """
    with open_audit(path) as audit:
        return audit.record.created_by == DEMO_ACTOR and audit.record.title == TITLE


def welcome(audit: Audit, person: Reviewer) -> Reviewer:
    """In the demo audit, whoever works in it is named a lead auditor by the demo's lead (logged like
    any nomination), so that sign-off and moderation can be tried. Any other audit: ``person`` as is."""
    if person.role == "lead" or not (audit.record.created_by == DEMO_ACTOR and audit.record.title == TITLE):
        return person
    lead = next((r for r in reviewers(audit) if (r.name, r.staff_number, r.role) == LEAD), None)
    return person if lead is None else name_lead(audit, person.id, lead)


def set_aside(path: Path) -> Path:
    """Rename a file (and any SQLite side files) to ``<stem>.<timestamp><suffix>`` next to it."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.{stamp}{path.suffix}")
    number = 1
    while target.exists():
        number += 1
        target = path.with_name(f"{path.stem}.{stamp}-{number}{path.suffix}")
    path.rename(target)
    for side in ("-wal", "-shm"):
        extra = path.with_name(path.name + side)
        if extra.exists():
            extra.rename(target.with_name(target.name + side))
    return target


def build_demo(path: str | Path, progress: Progress | None = None) -> Path:
    """Build the demo audit at ``path`` (which must not exist) and return the path.

    The audit is built under a temporary name in the same folder and renamed into place at the
    end, so an interrupted build never leaves a half-made demo where a finished one is expected.

    :param progress: called with (steps done, total steps).
    """
    path = Path(path)
    if path.exists():
        raise AuditError(f"{path} already exists: an audit file is never overwritten.")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.building")
    try:
        with tempfile.TemporaryDirectory(prefix="audit-app-demo-") as folder:
            enriched = Path(folder) / ENRICHED_FILE
            facts = enrich(demo_source(), enriched)
            with create_audit(partial, CHECKLIST, TITLE, DEMO_ACTOR, scope=SCOPE,
                              period_start=PERIOD[0], period_end=PERIOD[1]) as audit:
                _Builder(audit, facts, progress).run(enriched)
        if path.exists():
            raise AuditError(f"{path} appeared while the demo was being built; it was left untouched.")
        partial.rename(path)
    finally:
        for leftover in (partial, partial.with_name(partial.name + "-wal"), partial.with_name(partial.name + "-shm")):
            leftover.unlink(missing_ok=True)
    return path


# -- synthetic enrichment -------------------------------------------------------------------------


@dataclass(frozen=True)
class FileFacts:
    """The synthetic facts of one crime (the same for every row with its Crime ID)."""

    crime_reference: str
    reported: dt.date
    recorded: dt.date
    officer: str


def _digest(key: str) -> bytes:
    return hashlib.sha256(f"{SEED}|{key}".encode()).digest()


def _synthetic_dates(key: str) -> tuple[dt.date, dt.date]:
    """A reported date in January 2025 and a recorded date the same day or the next (within the month)."""
    digest = _digest(key)
    reported = dt.date(2025, 1, 1 + digest[0] % 31)
    late = digest[1] % 4 == 0 and reported.day < 31
    return reported, reported + dt.timedelta(days=1 if late else 0)


def _synthetic_facts(keys: Sequence[str]) -> dict[str, FileFacts]:
    """Facts for each distinct key; crime references rise with the recorded date, as a force's do."""
    dates = {key: _synthetic_dates(key) for key in dict.fromkeys(keys)}
    order = sorted(dates, key=lambda k: (dates[k][1], dates[k][0], _digest(k)))
    facts, serial = {}, 100
    for key in order:
        digest = _digest(key)
        serial += 1 + digest[3] % 3
        facts[key] = FileFacts(f"CL/25/{serial:06d}", dates[key][0], dates[key][1], f"DEMO-PC-{100 + digest[2] % 300}")
    return facts


def enrich(source: Path, target: Path) -> dict[str, FileFacts]:
    """Copy the police.uk file to ``target`` with the synthetic columns added; the facts by Crime ID.

    Every original value is kept as it is. Rows without a Crime ID get facts too (as a force's
    export would), keyed by their row number.
    """
    with source.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    column = header.index("Crime ID")
    keys = [row[column].strip() or f"row {number}" for number, row in enumerate(body, start=2)]
    facts = _synthetic_facts(keys)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header + list(SYNTHETIC_COLUMNS))
        for key, row in zip(keys, body):
            f = facts[key]
            writer.writerow(row + [f.crime_reference, f.reported.isoformat(), f.recorded.isoformat(), f.officer])
    return {key: value for key, value in facts.items() if not key.startswith("row ")}


# -- the example reviews: data in resources/demo/examples.yaml ------------------------------------
#
# Each example is one invented investigation told through its log; its dates are placeholders
# filled in from the facts of the file it takes (the data file's header gives the notation).

EXAMPLES_FILE = "examples.yaml"
REVIEWER_NAMES = (REVIEWER_A[0], REVIEWER_B[0])
ANSWER_KEYS = ("code", "note", "evidence", "opportunity_known", "mmo", "notable")
PLACEHOLDER_FORMS = "{NAME}, {NAME+N}, {NAME-N}, {NAME HH:MM}, {NAME+N HH:MM} or {working_days(NAME, NAME)}"

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_DAY = re.compile(r"(\w+)\s*(?:([+-])\s*(\d+))?(?:\s+([01]\d|2[0-3]):([0-5]\d))?")
_WORKING_DAYS = re.compile(r"working_days\(\s*(\w+)\s*,\s*(\w+)\s*\)")


class DemoDataError(ValueError):
    """The example data is wrong: a bug in the bundled file, not something a user can fix."""


@dataclass(frozen=True)
class Design:
    """One review as designed for one file: its file profile and its answers.

    A complete design answers Met (with no note) on every applicable item it does not list; an
    incomplete one records only the answers it lists. ``agreed`` (a second review only): the
    differences agreed at moderation, by item, with the agreed answer and the reason.
    """

    profile: dict[str, Any]
    answers: dict[str, Answer]
    complete: bool = True
    agreed: dict[str, tuple[Answer, str]] = field(default_factory=dict)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days (Monday to Friday) after ``start`` up to and including ``end``."""
    return sum(1 for n in range(1, (end - start).days + 1) if (start + dt.timedelta(days=n)).weekday() < 5)


@dataclass
class _Placeholders:
    """Fills in one example's placeholders from the dates they may name."""

    where: str
    names: dict[str, dt.date]

    def text(self, text: str) -> str:
        """``text`` with each placeholder written out: dd/mm/YYYY, dd/mm/YYYY HH:MM, or a count."""
        filled = _PLACEHOLDER.sub(lambda match: _as_text(self.evaluate(match[1], text)), text)
        if "{" in filled or "}" in filled:
            raise DemoDataError(f"{self.where}: a brace that is not a placeholder in {text!r}")
        return filled

    def value(self, value: Any) -> Any:
        """A profile value: a placeholder alone is its date, date and time, or count."""
        if not isinstance(value, str):
            return value
        alone = _PLACEHOLDER.fullmatch(value)
        return self.evaluate(alone[1], value) if alone else self.text(value)

    def evaluate(self, expression: str, text: str) -> dt.date | int:
        """The value of one placeholder (given without its braces) found in ``text``."""
        if match := _WORKING_DAYS.fullmatch(expression.strip()):
            return working_days_between(self.day(match[1], expression, text), self.day(match[2], expression, text))
        if not (match := _DAY.fullmatch(expression.strip())):
            raise self.unknown(expression, text, f"the forms are {PLACEHOLDER_FORMS}")
        name, sign, days, hour, minute = match.groups()
        day = self.day(name, expression, text) + dt.timedelta(days=int(sign + days) if sign else 0)
        return dt.datetime.combine(day, dt.time(int(hour), int(minute))) if hour else day

    def day(self, name: str, expression: str, text: str) -> dt.date:
        if name not in self.names:
            raise self.unknown(expression, text, f"no date is called '{name}' (the dates are {', '.join(self.names)})")
        return self.names[name]

    def unknown(self, expression: str, text: str, why: str) -> DemoDataError:
        return DemoDataError(f"{self.where}: unknown placeholder {{{expression}}} in {text!r}: {why}")


def _as_text(value: dt.date | int) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y") if isinstance(value, dt.date) else str(value)


def _answer(code: str, note: str = "", evidence: str = "", **flags: Any) -> Answer:
    """An answer: the one place in the demo that makes one."""
    return Answer(code, note, evidence, **flags)


@dataclass(frozen=True)
class Example:
    """An example review as the data file gives it: which file it takes (offence group, preferred
    police.uk outcomes), by whom, and its design, placeholders not yet filled in."""

    name: str
    group: str
    outcomes: tuple[str, ...]
    reviewer: str
    where: str  # names the example in error messages
    dates: dict[str, str]
    profile: dict[str, Any]
    answers: dict[str, Any]
    complete: bool = True
    agreed: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    about: str = ""

    def design(self, facts: FileFacts) -> Design:
        """The review as designed for the file with these facts."""
        fill = self.placeholders(facts)
        profile = {key: fill.value(value) for key, value in self.profile.items()}
        answers = {item: self.answer(raw, fill) for item, raw in self.answers.items()}
        agreed = {item: (self.answer(raw["answer"], fill), fill.text(raw["reason"])) for item, raw in self.agreed.items()}
        return Design(profile, answers, self.complete, agreed)

    def placeholders(self, facts: FileFacts) -> _Placeholders:
        """The dates a placeholder may name: the file's reported and recorded dates, then the example's."""
        fill = _Placeholders(self.where, {"reported": facts.reported, "recorded": facts.recorded})
        for name, offset in self.dates.items():
            day = fill.evaluate(offset, f"{name}: {offset}")
            if name in fill.names or type(day) is not dt.date:
                raise DemoDataError(f"{self.where}: the date '{name}: {offset}' must be a new name and a day offset")
            fill.names[name] = day
        return fill

    def answer(self, raw: str | dict[str, Any], fill: _Placeholders) -> Answer:
        """An answer as the data gives it: a code alone, or a code with a note, evidence and flags."""
        given = {"code": raw} if isinstance(raw, str) else dict(raw)
        if "code" not in given or not set(given) <= set(ANSWER_KEYS):
            raise DemoDataError(f"{self.where}: {raw!r} is not an answer (a code alone, or a code with any of "
                                f"{', '.join(ANSWER_KEYS[1:])})")
        note, evidence = fill.text(given.pop("note", "")), fill.text(given.pop("evidence", ""))
        return _answer(given.pop("code"), note, evidence, **given)


def load_examples(path: Path | None = None) -> tuple[tuple[Example, ...], Example]:
    """The example reviews of the data file, and the second review of one of them.

    Every example is tried on made-up facts here, so that a mistake in the data shows when the
    file is loaded, not halfway through a build.

    :raises DemoDataError: naming the example, and the text when a placeholder is wrong.
    """
    path = path or resources_dir() / "demo" / EXAMPLES_FILE
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    examples = tuple(_example(raw, data["profile_defaults"], path.name) for raw in data["examples"])
    second = _second_review(data["second_review"], examples, path.name)
    for example in (*examples, second):
        example.design(FileFacts("trial", dt.date(2025, 1, 1), dt.date(2025, 1, 2), "trial"))
    return examples, second


def _example(raw: dict[str, Any], profile_defaults: dict[str, Any], source: str) -> Example:
    where = f"{source}: example '{raw['name']}'"
    return Example(raw["name"], raw["group"], tuple(raw["outcomes"]), _reviewer(raw, where), where,
                   raw.get("dates", {}), profile_defaults | raw["profile"], raw["answers"], raw.get("complete", True),
                   description=raw["description"], about=raw["about"])


def _second_review(raw: dict[str, Any], examples: Sequence[Example], source: str) -> Example:
    """The example the second review is of, with its reviewer, its changed answers and what is agreed."""
    where = f"{source}: the second review of '{raw['of']}'"
    first = next((example for example in examples if example.name == raw["of"]), None)
    if first is None:
        raise DemoDataError(f"{where}: there is no example called '{raw['of']}'")
    return replace(first, reviewer=_reviewer(raw, where), where=where, answers=first.answers | raw["answers"],
                   agreed=raw.get("agreed", {}), description="", about=raw["about"])


def _reviewer(raw: dict[str, Any], where: str) -> str:
    if raw["reviewer"] not in REVIEWER_NAMES:
        raise DemoDataError(f"{where}: the reviewer is one of {', '.join(REVIEWER_NAMES)}, not {raw['reviewer']!r}")
    return str(raw["reviewer"])


EXAMPLES, SECOND_REVIEW = load_examples()


def example_files(files: Sequence[workspace.FileSummary]) -> dict[str, str]:
    """Which sampled file each example review takes: the first unused selected file of its offence
    group with a preferred police.uk outcome, else the first unused one of the group.

    :param files: the sample as :func:`workspace.overview` lists it (by stratum, then rank).
    """
    chosen: dict[str, str] = {}
    for example in EXAMPLES:
        free = [f for f in files if f.offence_group == example.group and f.status != workspace.REPLACED
                and f.ref not in chosen.values()]
        preferred = [f for f in free if f.outcome in example.outcomes]
        if not (preferred or free):
            raise AuditError(f"The demo sample has no {example.group} file left for the example '{example.name}'.")
        chosen[example.name] = (preferred or free)[0].ref
    return chosen


# -- building -------------------------------------------------------------------------------------


@dataclass
class _Builder:
    """Builds the demo inside an open, new audit, step by step, reporting progress."""

    audit: Audit
    facts: dict[str, FileFacts]
    progress: Progress | None
    done: int = 0
    people: dict[str, Reviewer] = field(default_factory=dict)

    # created, imported, sampled, reviewers added, each example, second review, moderation, sign-off
    STEPS = 4 + len(EXAMPLES) + 3

    def step(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.STEPS)

    def run(self, enriched: Path) -> None:
        self.step()  # the enriched copy is written and the audit created
        population.import_population(self.audit, enriched, preset="police-uk", scope=SCOPE_FILTER, actor=DEMO_ACTOR)
        self.step()
        sampling.draw_sample(self.audit, SAMPLE, actor=DEMO_ACTOR)
        self.step()
        for name, staff, role in (LEAD, REVIEWER_A, REVIEWER_B):
            self.people[name] = ensure_reviewer(self.audit, name, staff, role, actor=DEMO_ACTOR)
        self.step()
        chosen = example_files(workspace.overview(self.audit))
        reviews = {}
        for example in EXAMPLES:
            ref = chosen[example.name]
            reviews[example.name] = self.record(ref, self.people[example.reviewer], "primary", example.design(self.facts[ref]))
            self.step()
        self._double_review(chosen[SECOND_REVIEW.name])
        sign_off(self.audit, reviews[CHARGED_BURGLARY], self.people[LEAD[0]], LEAD[1])
        self.step()

    def record(self, ref: str, reviewer: Reviewer, role: str, design: Design, actor: str | None = None) -> int:
        """Record one designed review (one transaction): profile, answers, and completion."""
        audit = self.audit
        with audit.transaction():
            review = start_review(audit, ref, reviewer, role, training=True, actor=actor)
            for field_id, value in design.profile.items():
                set_profile_value(audit, review.id, field_id, value)
            applicable = {item for item, applies in review_result(audit, review.id).applicability.items() if applies}
            stray = sorted(set(design.answers) - applicable)
            if stray:  # a design error: an answer to an item the profile makes not applicable
                raise AssertionError(f"demo design for {ref}: {', '.join(stray)} do not apply")
            for item_id in audit.checklist.items:
                answer = design.answers.get(item_id, _answer("M") if design.complete and item_id in applicable else None)
                if answer is not None:
                    set_answer(audit, review.id, item_id, answer)
            if design.complete:
                set_review_status(audit, review.id, "complete")
        return review.id

    def _double_review(self, ref: str) -> None:
        """The second review of one example's file, and the differences agreed at moderation."""
        lead = self.people[LEAD[0]]
        design = SECOND_REVIEW.design(self.facts[ref])
        self.record(ref, self.people[SECOND_REVIEW.reviewer], "second", design, actor=lead.display)
        self.step()
        for item_id, (agreed, reason) in design.agreed.items():
            moderation.record_agreed(self.audit, ref, item_id, agreed, reason, lead)
        self.step()
