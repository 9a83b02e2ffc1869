"""The JSON Schema of the JSON export, published as ``checklists/export.schema.json``.

Written by hand as a dict (the export is assembled from several services' JSON, not from one
model): ``make schema`` writes it (``python -m audit_app.services.export_schema > FILE``), and a
test checks that the published file equals this and that exports validate against it. The audit,
design, files, reviews and moderation decisions are described key by key; the checklist and the results point to their
own definitions (``audit-app checklist show --json`` and ``stats --json``) and fix only their
contract keys.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from audit_app.paths import checklists_dir

SCHEMA_ID = "https://audit-app.invalid/schemas/export.schema.json"
SCHEMA_PATH = checklists_dir() / "export.schema.json"


def _nullable(kind: str | list[str]) -> dict[str, Any]:
    kinds = [kind] if isinstance(kind, str) else list(kind)
    return {"type": [*kinds, "null"]}


def _object(properties: dict[str, Any], *, required: list[str] | None = None, extra: bool = False,
            description: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object"}
    if description:
        out["description"] = description
    out["properties"] = properties
    out["required"] = sorted(properties) if required is None else required
    out["additionalProperties"] = extra
    return out


STRING, INTEGER, NUMBER, BOOLEAN = ({"type": t} for t in ("string", "integer", "number", "boolean"))
YES_NO = {"enum": ["yes", "no", ""]}

AUDIT = _object({
    "title": STRING, "scope": STRING, "period_start": _nullable("string"), "period_end": _nullable("string"),
    "created_at": STRING, "created_by": STRING, "app_version": STRING, "checklist_id": STRING,
    "checklist_version": STRING, "checklist_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}, "file": STRING,
    "trail": _object({"events": {"type": "integer", "minimum": 0},
                      "head": {"type": "string", "pattern": "^([0-9a-f]{64})?$"}},
                     description="The audit trail's entries and head hash as the export read them: "
                                 "`audit-app verify AUDIT --head HEAD` proves the audit still extends them."),
}, description="The audit's own record (created_by is a pseudonym when names are left out).")

DESIGN = {
    "description": "The sampling plan and the drawn sample (null before the draw); the keys of `sample` JSON, then "
                   "more of the plan.",
    "anyOf": [{"type": "null"}, _object({
        "method": STRING, "confidence": _nullable("number"), "size": INTEGER, "seed": STRING, "frame_size": INTEGER,
        "frame_sha256": STRING,
        "strata": {"type": "object", "additionalProperties": _object({"population": INTEGER, "sample": INTEGER})},
        "selected": {"type": "array", "items": STRING}, "reserve": {"type": "array", "items": STRING},
        "acceptance_number": _nullable("integer"), "allocation": STRING,
        "strata_fields": {"type": "array", "items": STRING}, "min_per_stratum": _nullable("integer"),
        "disproportionate": BOOLEAN, "statement": STRING, "created_at": STRING, "created_by": STRING,
        "size_method": STRING, "tolerable": _nullable("number"), "expected": _nullable("number"),
        "margin": _nullable("number"), "reserve_per_stratum": INTEGER,
    })],
}

CHECKLIST = {
    "type": "object",
    "description": "The checklist as `audit-app checklist show --json` prints it (its format: checklist.schema.json).",
    "required": ["id", "version", "title", "sha256", "profile", "sections"],
    "properties": {
        "id": STRING, "version": STRING, "title": STRING, "sha256": STRING,
        "profile": {"type": "array", "items": {"type": "object", "required": ["id", "type"]}},
        "sections": {"type": "array", "items": {
            "type": "object", "required": ["id", "title", "items"],
            "properties": {"items": {"type": "array", "items": {
                "type": "object", "required": ["id", "question", "kind", "scale", "answers", "weight", "critical",
                                               "applies_when"]}}}}},
    },
}

FILE = _object({
    "file_ref": STRING, "position": _nullable("integer"), "stratum": STRING,
    "sample_status": {"enum": ["selected", "replaced"]}, "replaced_reason": _nullable("string"),
    "offence": STRING, "offence_group": STRING, "area": STRING, "month": STRING, "outcome": STRING,
    "status": {"enum": ["not_started", "in_progress", "complete", "signed_off"]},
    "reviewer": STRING, "staff_number": STRING, "second_status": _nullable("string"),
    "second_reviewer": _nullable("string"), "second_staff_number": _nullable("string"),
    "moderation": _nullable("string"), "grade": _nullable("string"), "grade_label": _nullable("string"),
    "score": _nullable("number"), "points": _nullable("number"), "max_points": _nullable("number"),
    "critical_failures": _nullable("integer"), "mmo": _nullable("integer"), "notable_practice": _nullable("integer"),
    "answers": {"type": "object", "description": "item id → the final answer code (agreed in moderation, else the "
                                                  "primary review's; \"\" unanswered)",
                "additionalProperties": STRING},
}, description="One sampled file: its population fields, state, final grade and final answers.")

ANSWER = _object({
    "item": STRING, "code": STRING, "label": STRING, "meaning": STRING, "applies": _nullable("boolean"),
    "note": {"type": "string", "description": "\"\" when free text is left out"},
    "evidence": {"type": "string", "description": "\"\" when free text is left out"},
    "opportunity_known": _nullable("boolean"), "mmo": BOOLEAN, "notable_practice": BOOLEAN,
    "answered_at": {"type": ["string", "null"], "description": "when the answer was last set (the audit trail)"},
    "answered_by": {"type": ["string", "null"], "description": "who last set it (a pseudonym when names are left out)"},
    "change_reason": {"type": "string", "description": "the reason given for the last change (after sign-off); "
                                                        "\"\" when none, or when free text is left out"},
})

REVIEW = _object({
    "file_ref": STRING, "role": {"enum": ["primary", "second"]},
    "status": {"enum": ["in_progress", "complete", "signed_off"]},
    "reviewer": STRING, "staff_number": {"type": "string", "description": "\"\" when names are left out"},
    "started_at": STRING, "updated_at": STRING, "signed_off_by": _nullable("string"),
    "signed_off_at": _nullable("string"), "changed_after_sign_off": BOOLEAN, "training": BOOLEAN,
    "score": _nullable("number"), "grade": _nullable("string"),
    "profile": {"type": "object", "description": "profile field id → stored value (text fields left out without notes)"},
    "answers": {"type": "array", "items": {"$ref": "#/$defs/answer"}},
}, description="One review of a file, with every answer it recorded.")

DECISION = _object({
    "file_ref": STRING, "target": {"type": "string", "description": "an item id, or profile.<field>"},
    "value": {"description": "the agreed answer (an answer object: code, note, evidence, flags) or profile value; "
                             "null: left unanswered"},
    "reason": {"type": "string", "description": "\"\" when free text is left out"}, "decided_by": STRING,
    "decided_at": STRING,
}, description="An answer or profile value agreed in moderation where the two reviews of a file differ.")

ITEM_RESULT_KEYS = ["applicable", "met", "partly", "not_met", "not_recorded", "na", "compliance", "ci_low", "ci_high",
                    "upper_deviation_limit", "assured", "weighted"]
RESULTS = {
    "type": "object",
    "description": "The results as `audit-app stats --json` prints them (cli.md, Results).",
    "required": ["files_reviewed", "provisional", "design", "grades", "items", "method"],
    "properties": {
        "files_reviewed": INTEGER, "provisional": INTEGER,
        "design": {"enum": ["equal_probability", "disproportionate"]},
        "grades": {"type": "object", "additionalProperties": INTEGER},
        "items": {"type": "object", "additionalProperties": {"type": "object", "required": ITEM_RESULT_KEYS}},
        "method": STRING,
    },
}


def export_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``audit-app export --format json``."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "audit-app data export",
        "description": "One audit's reviews and results: `audit-app export AUDIT --format json`.",
        **_object({
            "format": {"const": "audit-app export"},
            "version": {"const": 1},
            "marking": {"type": ["string", "null"], "description": "The protective marking; null when none was given."},
            "options": _object({"notes": BOOLEAN, "names": BOOLEAN},
                               description="Whether free text and reviewer identities are included."),
            "audit": {"$ref": "#/$defs/audit"},
            "design": {"$ref": "#/$defs/design"},
            "checklist": {"$ref": "#/$defs/checklist"},
            "files": {"type": "array", "items": {"$ref": "#/$defs/file"}},
            "reviews": {"type": "array", "items": {"$ref": "#/$defs/review"}},
            "moderation": {"type": "array", "items": {"$ref": "#/$defs/decision"}},
            "results": {"$ref": "#/$defs/results"},
        }),
        "$defs": {"audit": AUDIT, "design": DESIGN, "checklist": CHECKLIST, "file": FILE, "review": REVIEW,
                  "answer": ANSWER, "decision": DECISION, "results": RESULTS},
    }


def schema_text() -> str:
    """The published file's text."""
    return json.dumps(export_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema(path: str | Path = SCHEMA_PATH) -> None:
    Path(path).write_text(schema_text(), encoding="utf-8")


if __name__ == "__main__":  # make schema
    print(schema_text(), end="")
