"""The checklist file format: pydantic models that validate the YAML and publish the JSON Schema.

These models check the *shape* of a checklist (keys, types, ranges). Cross-references (a scale
that does not exist, duplicate ids, expressions, grading bands that overlap) are checked by
``checklist.py`` once the shape is right, because they need the whole file.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

FORMAT_VERSION = 1

# A number written in the checklist: finite (YAML's .nan and .inf are refused: a NaN default compares
# false with everything, so a rule using it would silently never, or always, hold).
Number = Annotated[float, Field(allow_inf_nan=False)] | int

Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=64),
    Field(description="Letters, digits and underscores, starting with a letter; usable in expressions."),
]
ItemId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=32),
    Field(description="Item id such as A1 or D12; unique across the checklist."),
]
AnswerCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z][A-Z0-9]{0,3}$"),
    Field(description="Short upper-case answer code such as M, P, N, NR or NA."),
]
Text = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
Expr = Annotated[str, StringConstraints(min_length=1, max_length=2_000), Field(description="An expression (see the README).")]

AnswerMeaning = Literal["met", "partly_met", "not_met", "not_recorded", "not_applicable"]
ItemKind = Literal["line_of_inquiry", "decision_point", "victim_service", "supervision", "recording"]
Criticality = Literal["always", "on_known_opportunity", "never"]
OffenceGroup = Literal["burglary", "robbery", "theft_from_person", "vehicle", "other"]  # core.population's groups


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ScaleAnswer(_Model):
    """One answer of a scale, with its points (null = excluded from the score)."""

    code: AnswerCode
    label: Text
    meaning: AnswerMeaning = Field(description="What the answer means for scoring and statistics.")
    points: Number | None = Field(description="Points scored; null only for the not-applicable answer.")
    note_required: bool = Field(False, description="An evidence note is required when this answer is given.")
    shortcut: Annotated[str, StringConstraints(min_length=1, max_length=1)] | None = Field(
        None, description="A letter that chooses this answer on the review page (as does the digit of its meaning: "
        "1 met, 2 partly met, 3 not met, 4 not recorded, 5 not applicable). One meaning has the same letter on every "
        "scale of a checklist, and no letter stands for two meanings."
    )
    description: str = ""


class Scale(_Model):
    """A set of answers an item can take, e.g. Met / Partly met / Not met / Not recorded / N/A."""

    id: Identifier
    label: Text
    answers: list[ScaleAnswer] = Field(min_length=2)


class _FieldBase(_Model):
    id: Identifier
    label: Text
    group: str = Field("", description="Heading under which the review page shows the field.")
    help: str = ""
    required: bool = Field(True, description="The review is incomplete until this field is recorded.")
    applies_when: Expr | None = Field(
        None,
        description="The question is asked only when this is true (an expression over the fields defined before it and "
        "the parameters); null = always. A field that does not apply is not required and its value is ignored "
        "(a yes/no field counts as 'no').",
    )


class ChoiceValue(_Model):
    value: Annotated[str, StringConstraints(min_length=1, max_length=200)] | int
    label: Text
    population: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] = Field(
        [], description="Population values (an offence name or group, compared in lower case) that mean this value; "
        "a review's profile is prefilled with it when exactly one value of the field matches."
    )


PopulationColumn = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ChoiceField(_FieldBase):
    """One value from a fixed list (all text values or all whole numbers)."""

    type: Literal["choice"]
    values: list[ChoiceValue] = Field(min_length=1)
    population: list[PopulationColumn] = Field(
        [], description="Population columns (offence, offence_group, or an extra column's name) whose value, matched "
        "against the values' `population` lists, prefills the field when a review starts."
    )


class YesNoField(_FieldBase):
    """yes / no / unknown. In an expression the field is true only when it is 'yes'."""

    type: Literal["yesno"]


class DateField(_FieldBase):
    type: Literal["date"]
    population: list[PopulationColumn] = Field(
        [], description="Population columns (e.g. an extra column 'Recorded date') holding a full date that prefills "
        "the field when a review starts; a month alone is not a date and is never used."
    )


class DateTimeField(_FieldBase):
    type: Literal["datetime"]


class NumberField(_FieldBase):
    type: Literal["number"]
    integer: bool = False
    minimum: Number | None = None
    maximum: Number | None = None


class TextField(_FieldBase):
    type: Literal["text"]
    max_length: int | None = Field(None, ge=1)


ProfileField = Annotated[
    Union[ChoiceField, YesNoField, DateField, DateTimeField, NumberField, TextField],
    Field(discriminator="type"),
]


class DerivedField(_Model):
    """A profile value computed from other fields by an expression (read-only for the reviewer)."""

    id: Identifier
    label: Text
    expression: Expr
    help: str = ""


class Parameter(_Model):
    """A force-specific threshold with its default; usable in expressions and as {id} in guidance."""

    id: Identifier
    label: Text
    default: Number
    unit: str = ""
    minimum: Number | None = None
    maximum: Number | None = None
    help: str = ""


class Check(_Model):
    """A cross-field rule over the profile: ``expression`` must hold once every field it uses is recorded."""

    id: Identifier
    expression: Expr = Field(description="What must be true, e.g. reported >= occurred_to; it does not fire while "
                             "any field it uses is unrecorded.")
    message: Text = Field(description="What the reviewer reads when it is broken.")
    severity: Literal["error", "warning"] = Field(
        "error", description="error: the review cannot be completed while it is broken; warning: shown, not blocking."
    )


class Guidance(_Model):
    """What the reviewer reads before answering."""

    good: Text = Field(description="What good looks like (Met).")
    partly_met: str = Field("", description="What Partly met looks like.")
    not_met: str = Field("", description="What Not met looks like.")
    evidence: str = Field("", description="Where in the file to look.")
    notes: str = Field("", description="Proportionality and other remarks.")


class Item(_Model):
    """One question of the checklist."""

    id: ItemId
    question: Text
    kind: ItemKind
    scale: Identifier
    weight: int = Field(ge=1, le=100)
    critical: Criticality = "never"
    critical_when: Expr | None = Field(
        None, description="For on_known_opportunity items: the item is critical only when this is true."
    )
    opportunity_prompt: str | None = Field(
        None, description="For on_known_opportunity items: the question the reviewer confirms when answering Not met."
    )
    subscore: Identifier
    applies_when: Expr | None = Field(None, description="The item applies only when this is true; null = always.")
    note_required_for: list[AnswerCode] | None = Field(
        None, description="Answers that need an evidence note; default: those the scale marks."
    )
    mmo_allowed: bool | None = Field(None, description="A material missed opportunity may be raised; default: the section's.")
    basis: list[Text] = Field(min_length=1, description="APP, Victims' Code right, HOCR rule or other basis.")
    guidance: Guidance


class Section(_Model):
    id: Identifier
    title: Text
    description: str = ""
    mmo_allowed: bool = False
    items: list[Item] = Field(min_length=1)


class Subscore(_Model):
    id: Identifier
    label: Text


class PolicyBasis(_Model):
    """The versions of the Victims' Code and rules that the checklist reflects."""

    victims_code: Text
    counting_rules: str = ""
    other: list[Text] = []


class Band(_Model):
    """A grade for scores from ``min`` (inclusive) to ``max`` (exclusive; the top band includes 100)."""

    id: Identifier
    label: Text
    min: Number = Field(ge=0, le=100)
    max: Number = Field(ge=0, le=100)


class Gradability(_Model):
    """When a file cannot be graded because the record is insufficient."""

    min_applicable: int = Field(ge=0, description="Fewer scored items than this makes the file ungradable.")
    max_not_recorded_share: Number = Field(ge=0, le=1, description="A larger share of Not recorded answers makes it ungradable.")
    label: Text


class Cap(_Model):
    """Limit the grade to ``at_most`` when ``when`` (an expression over the review's metrics) holds."""

    when: Expr
    at_most: Identifier
    reason: Text


class Grading(_Model):
    score_decimals: int = Field(1, ge=0, le=3, description="The score is rounded (half up) to this many decimals before banding.")
    bands: list[Band] = Field(min_length=1)
    gradability: Gradability
    caps: list[Cap] = []
    subgrade_gap: int = Field(2, ge=1, description="Show sub-grades beside the grade when they are this many bands apart.")
    moderation_when: Expr | None = Field(None, description="A file goes to moderation when this holds.")


class ChecklistFile(_Model):
    """A checklist: metadata, answer scales, the file profile, sections of items, and grading rules."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        title="audit-app checklist",
        json_schema_extra={"$id": "https://audit-app.invalid/checklist.schema.json"},
    )

    format: Literal[1] = Field(description="The checklist format version.")
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
    version: Annotated[str, StringConstraints(min_length=1, max_length=32)] = Field(description="Quote it: \"1.0\".")
    title: Text
    description: str = ""
    effective_from: Annotated[dt.date | None, Field(strict=False, description="ISO date, e.g. 2025-04-01.")] = None
    offence_groups: list[OffenceGroup] = Field(
        [],
        description="The offence groups the checklist is for: a new audit's scope defaults to them (empty: every group).",
        json_schema_extra={"uniqueItems": True},
    )
    policy: PolicyBasis
    parameters: list[Parameter] = []
    scales: list[Scale] = Field(min_length=1)
    subscores: list[Subscore] = Field(min_length=1)
    profile: list[ProfileField] = []
    derived: list[DerivedField] = []
    checks: list[Check] = Field([], description="Cross-field rules over the profile, shown on the form and in what is missing.")
    critical_items_need_note: bool = Field(
        False, description="Every answer on a critical item needs an evidence note, whatever it is."
    )
    sections: list[Section] = Field(min_length=1)
    grading: Grading
