"""Loading a checklist: YAML with positions, shape validation, cross-checks, compiled expressions.

``load_checklist(path)`` returns a ``Checklist`` or raises ``ChecklistError`` listing *every*
problem as ``FILE:LINE:COL: message``. Nothing else escapes for bad input: the YAML parser,
pydantic and the expression compiler are all caught here and turned into located problems.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import pydantic
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from audit_app.core import expressions as ex
from audit_app.core.checklist_format import Check, ChecklistFile, Item, ProfileField, Scale, ScaleAnswer, Section
from audit_app.errors import ChecklistError, Problem

MAX_NODES = 200_000  # guards against alias bombs ("billion laughs")
# Values a checklist file may hold before aliases are expanded: the bundled 47-item checklist has
# about 2,700, so this leaves room for about 200 items written as fully, and refuses a file of
# tens of thousands of entries after reading at most this many (the YAML reader is the slow part).
MAX_DOCUMENT_VALUES = 12_000

# The metrics a cap or moderation rule may use; see scoring.ReviewResult.
METRIC_SYMBOLS: dict[str, ex.ValueType] = {
    "score": ex.NUMBER_TYPE,
    "critical_failures": ex.NUMBER_TYPE,
    "mmo": ex.NUMBER_TYPE,
    "notable_practice": ex.NUMBER_TYPE,
    "max_weight_not_met": ex.NUMBER_TYPE,
    "not_recorded": ex.NUMBER_TYPE,
    "scored_items": ex.NUMBER_TYPE,
    "ungradable": ex.BOOL_TYPE,
}

# The digit that chooses an answer on the review page, by meaning: the same digit means the same
# answer on every scale (a scale without that meaning simply has no answer for the digit).
MEANING_KEYS: Mapping[str, str] = {"met": "1", "partly_met": "2", "not_met": "3", "not_recorded": "4", "not_applicable": "5"}

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
Path_ = tuple[str | int, ...]
_T = TypeVar("_T")


@dataclass(frozen=True)
class Checklist:
    """A validated checklist with its expressions compiled, plus fast look-ups."""

    spec: ChecklistFile
    source_name: str
    text: str
    sha256: str
    symbols: Mapping[str, ex.ValueType]
    derived: tuple[tuple[str, ex.Expression], ...]
    applies: Mapping[str, ex.Expression | None]
    critical_when: Mapping[str, ex.Expression | None]
    caps: tuple[ex.Expression, ...]
    moderation: ex.Expression | None
    items: Mapping[str, Item] = field(repr=False)
    section_of: Mapping[str, Section] = field(repr=False)
    scales: Mapping[str, Scale] = field(repr=False)
    fields: Mapping[str, ProfileField] = field(repr=False)
    document: str = field(default="", repr=False)  # the validated content as canonical JSON (see checklist_from_document)
    field_applies: Mapping[str, ex.Expression | None] = field(default_factory=dict, repr=False)  # profile applies_when
    checks: tuple[tuple[Check, ex.Expression], ...] = field(default=(), repr=False)
    # Look-up tables derived from the fields above, built on first use (see ``derived_table``).
    _tables: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def derived_table(self, key: str, build: Callable[[Checklist], _T]) -> _T:
        """``build(self)``, computed once per checklist and kept with it under ``key``: for the
        look-up tables other modules derive from a checklist (which is frozen, so they never go
        stale), such as the scoring engine's."""
        try:
            return self._tables[key]
        except KeyError:
            return self._tables.setdefault(key, build(self))

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def version(self) -> str:
        return self.spec.version

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def offence_groups(self) -> tuple[str, ...]:
        """The offence groups the checklist declares it is for (empty: it does not say)."""
        return tuple(self.spec.offence_groups)

    def scale_of(self, item_id: str) -> Scale:
        return self.scales[self.items[item_id].scale]

    def answer(self, item_id: str, code: str) -> ScaleAnswer | None:
        """The scale answer ``code`` of an item, or ``None`` when the code is not on its scale."""
        return self._answers_by_code[self.items[item_id].scale].get(code)

    @cached_property
    def _answers_by_code(self) -> dict[str, dict[str, ScaleAnswer]]:
        """Each scale's answers by code (the first of a code, as a search of the list finds it)."""
        by_scale: dict[str, dict[str, ScaleAnswer]] = {}
        for scale_id, scale in self.scales.items():
            codes = by_scale[scale_id] = {}
            for answer in scale.answers:
                codes.setdefault(answer.code, answer)
        return by_scale

    def answer_keys(self, answer: ScaleAnswer) -> tuple[str, ...]:
        """The keys that choose ``answer`` on the review page: its meaning's digit, then its letter."""
        return (MEANING_KEYS[answer.meaning], *([answer.shortcut.upper()] if answer.shortcut else []))

    def meaning_of_key(self, key: str) -> str | None:
        """The meaning a key stands for on every scale (a digit 1–5 or a scale letter), else ``None``."""
        wanted = key.upper()
        for scale in self.scales.values():
            for answer in scale.answers:
                if wanted in self.answer_keys(answer):
                    return answer.meaning
        return None

    def answer_for_key(self, item_id: str, key: str) -> ScaleAnswer | None:
        """The answer a key chooses on an item, or ``None`` when the key has no answer on the item's scale."""
        wanted = key.upper()
        return next((a for a in self.scale_of(item_id).answers if wanted in self.answer_keys(a)), None)

    def max_points(self, item_id: str) -> float:
        return max(a.points for a in self.scale_of(item_id).answers if a.points is not None)

    def note_required(self, item_id: str, code: str) -> bool:
        """Whether answering ``code`` on the item needs an evidence note."""
        item = self.items[item_id]
        if self.spec.critical_items_need_note and item.critical != "never":
            return True
        if item.note_required_for is not None:
            return code in item.note_required_for
        answer = self.answer(item_id, code)
        return bool(answer and answer.note_required)

    def mmo_allowed(self, item_id: str) -> bool:
        item = self.items[item_id]
        return item.mmo_allowed if item.mmo_allowed is not None else self.section_of[item_id].mmo_allowed

    @cached_property
    def max_weight(self) -> int:
        return max(item.weight for item in self.items.values())

    def parameter_values(self, overrides: Mapping[str, float] | None = None) -> dict[str, float]:
        values = {p.id: p.default for p in self.spec.parameters}
        values.update(overrides or {})
        return values

    def field_applicability(self, profile: Mapping[str, Any], parameters: Mapping[str, float] | None = None) -> dict[str, bool | None]:
        """Whether each profile question applies given the answers before it (``None``: not decided yet)."""
        return self._profile_environment(profile, parameters)[1]

    @cached_property
    def _parameter_defaults(self) -> dict[str, float]:
        return {p.id: p.default for p in self.spec.parameters}

    @cached_property
    def _profile_questions(self) -> tuple[tuple[str, ex.Expression | None, bool], ...]:
        """Each profile field in order: its id, its applies_when, whether it is a yes/no field."""
        return tuple((f.id, self.field_applies.get(f.id), f.type == "yesno") for f in self.spec.profile)

    def _profile_environment(self, profile: Mapping[str, Any], parameters: Mapping[str, float] | None) -> tuple[dict[str, Any], dict[str, bool | None]]:
        env: dict[str, Any] = dict(self._parameter_defaults)  # parameter_values(parameters), without a second copy
        env.update(parameters or {})
        applies: dict[str, bool | None] = {}
        for field_id, condition, yesno in self._profile_questions:
            if condition is None:
                applies[field_id] = True
                env[field_id] = profile.get(field_id)
            elif (applies_now := condition.evaluate(env)) is False:
                # A question that does not apply: its value is ignored (kept, not used); yes/no counts as "no".
                applies[field_id] = applies_now
                env[field_id] = "no" if yesno else None
            else:
                applies[field_id] = applies_now
                env[field_id] = profile.get(field_id)
        return env, applies

    def environment(self, profile: Mapping[str, Any], parameters: Mapping[str, float] | None = None) -> dict[str, Any]:
        """The names expressions see: recorded profile values (those of questions that do not apply are
        ignored, a yes/no one counting as "no"), parameters, then derived values in order."""
        return self.environment_and_applicability(profile, parameters)[0]

    def environment_and_applicability(
        self, profile: Mapping[str, Any], parameters: Mapping[str, float] | None = None
    ) -> tuple[dict[str, Any], dict[str, bool | None]]:
        """:meth:`environment` and :meth:`field_applicability` at once (they share the work)."""
        env, applies = self._profile_environment(profile, parameters)
        for derived_id, expression in self.derived:
            env[derived_id] = expression.evaluate(env)
        return env, applies

    def render(self, text: str, parameters: Mapping[str, float] | None = None) -> str:
        """Replace ``{parameter}`` placeholders in guidance text with the parameter values."""
        values = self.parameter_values(parameters)
        return _PLACEHOLDER.sub(lambda m: _format_number(values.get(m.group(1), m.group(0))), text)

    def to_json(self) -> dict[str, Any]:
        """The normalised form printed by ``audit-app checklist show --json``."""
        spec = self.spec
        return {
            "id": spec.id,
            "version": spec.version,
            "title": spec.title,
            "sha256": self.sha256,
            "description": spec.description,
            "offence_groups": list(spec.offence_groups),
            "policy": spec.policy.model_dump(mode="json"),
            "parameters": [p.model_dump(mode="json") for p in spec.parameters],
            "scales": [s.model_dump(mode="json") for s in spec.scales],
            "subscores": [s.model_dump(mode="json") for s in spec.subscores],
            "profile": [_profile_json(f) for f in spec.profile],
            "derived": [d.model_dump(mode="json") for d in spec.derived],
            "checks": [c.model_dump(mode="json") for c in spec.checks],
            "sections": [
                {
                    "id": section.id,
                    "title": section.title,
                    "items": [self._item_json(item) for item in section.items],
                }
                for section in spec.sections
            ],
            "grading": spec.grading.model_dump(mode="json"),
        }

    def _item_json(self, item: Item) -> dict[str, Any]:
        return {
            "id": item.id,
            "question": item.question,
            "kind": item.kind,
            "scale": item.scale,
            "answers": [a.code for a in self.scales[item.scale].answers],
            "weight": item.weight,
            "critical": item.critical,
            "critical_when": item.critical_when,
            "subscore": item.subscore,
            "applies_when": item.applies_when,
            "basis": list(item.basis),
        }


def _outside(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"outside the allowed range {_format_number(low)} to {_format_number(high)}"
    if low is not None:
        return f"below the minimum {_format_number(low)}"
    return f"above the maximum {_format_number(high)}"


def _format_number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _profile_json(profile_field: ProfileField) -> dict[str, Any]:
    out: dict[str, Any] = {"id": profile_field.id, "type": profile_field.type, "label": profile_field.label}
    if profile_field.applies_when is not None:
        out["applies_when"] = profile_field.applies_when
    if profile_field.type == "choice":
        out["values"] = [v.value for v in profile_field.values]
    elif profile_field.type == "yesno":
        out["values"] = list(ex.YESNO_VALUES)
    return out


def field_type(profile_field: ProfileField) -> ex.ValueType:
    """The expression type of a profile field."""
    if profile_field.type == "choice":
        return ex.choice_type(tuple(v.value for v in profile_field.values))
    return {
        "yesno": ex.YESNO_TYPE,
        "date": ex.ValueType(ex.DATE),
        "datetime": ex.ValueType(ex.DATETIME),
        "number": ex.NUMBER_TYPE,
        "text": ex.ValueType(ex.TEXT),
    }[profile_field.type]


def checklist_json_schema() -> dict[str, Any]:
    """The JSON Schema of the checklist format (draft 2020-12)."""
    schema = ChecklistFile.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def load_checklist(path: str | Path) -> Checklist:
    """Read and validate a checklist file.

    :raises ChecklistError: listing every problem, or the reason the file could not be read.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ChecklistError([Problem(str(path), 1, 1, f"cannot read the file: {exc.strerror or exc}")]) from None
    return parse_checklist(data, str(path))


# Refused before parsing, in well under a second: a multi-megabyte or deeply nested file would take
# the YAML parser and the validator minutes and gigabytes before being refused anyway.
MAX_CHECKLIST_BYTES = 1_000_000
MAX_NESTING = 40


def _too_deep(raw: bytes) -> tuple[int, int] | None:
    """(line, column) where flow brackets or block indentation go deeper than :data:`MAX_NESTING`, or None."""
    depth = 0
    for number, line in enumerate(raw.split(b"\n"), start=1):
        stripped = line.lstrip(b" ")
        if stripped and not stripped.startswith(b"#") and (len(line) - len(stripped)) // 2 > MAX_NESTING:
            return number, len(line) - len(stripped) + 1
        for column, byte in enumerate(line, start=1):
            if byte in b"[{":
                depth += 1
                if depth > MAX_NESTING:
                    return number, column
            elif byte in b"]}":
                depth = max(0, depth - 1)
    return None


def parse_checklist(data: bytes | str, source_name: str = "<checklist>") -> Checklist:
    """Validate checklist text (bytes are decoded as UTF-8) and compile it."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_CHECKLIST_BYTES:
        raise ChecklistError([Problem(source_name, 1, 1, f"the file is {len(raw):,} bytes; a checklist is at most "
                                                         f"{MAX_CHECKLIST_BYTES:,} (the bundled one is under 100 KB)")])
    if (deep := _too_deep(raw)) is not None:
        raise ChecklistError([Problem(source_name, deep[0], deep[1], f"nested more than {MAX_NESTING} levels deep; "
                                                                      "a checklist is never nested like that")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ChecklistError([Problem(source_name, line, column, "the file is not valid UTF-8 text")]) from None
    return _Loader(source_name, text, hashlib.sha256(raw).hexdigest()).load()


def checklist_from_document(document: str, text: str, source_name: str = "<checklist>") -> Checklist:
    """Rebuild a checklist from the canonical JSON (``Checklist.document``) kept beside its text.

    Reading YAML is nearly all of the cost of loading a checklist (about 0.3 s for the bundled one);
    an audit keeps the document of its checklist so that it opens without it. The text stays the
    authority: ``verify`` checks that the document is what the text gives.

    :raises ChecklistError: when the document is not a valid checklist (problem positions are
        those of the text's start: parse the text itself for exact ones).
    """
    loader = _Loader(source_name, text, hashlib.sha256(text.encode("utf-8")).hexdigest())
    try:
        loader.plain = json.loads(document)
    except ValueError as exc:
        raise ChecklistError([Problem(source_name, 1, 1, f"the stored checklist document is not JSON: {exc}")]) from None
    spec = loader._validate_shape()
    checklist = _CrossChecker(loader, spec).run() if spec is not None and not loader.problems else None
    if loader.problems or checklist is None:
        raise ChecklistError(loader.problems or [Problem(source_name, 1, 1, "the stored checklist document is not valid")])
    return checklist


# --------------------------------------------------------------------------------------------
# YAML → plain data with positions


class _Positions:
    """Where each node of the YAML document starts (0-based line/column, as ruamel reports)."""

    def __init__(self) -> None:
        self.value: dict[Path_, tuple[int, int]] = {(): (0, 0)}
        self.key: dict[Path_, tuple[int, int]] = {}

    def of(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """The position of ``path``, or of its nearest ancestor that has one."""
        if key and path in self.key:
            return self.key[path]
        for cut in range(len(path), -1, -1):
            if path[:cut] in self.value:
                return self.value[path[:cut]]
        return (0, 0)


class _Loader:
    def __init__(self, source_name: str, text: str, sha256: str):
        self.source_name = source_name
        self.text = text
        self.lines = text.splitlines()
        self.sha256 = sha256
        self.positions = _Positions()
        self.problems: list[Problem] = []
        self.nodes = 0
        self.plain: Any = None
        self._starts: list[int] | None = None
        self._reported_paths: set[Path_] = set()

    # -- reporting

    def problem(self, path: Path_, message: str, *, key: bool = False, offset: int | None = None) -> None:
        line, column = self.positions.of(path, key=key)
        if offset is not None:
            line, column = self._scalar_position(path, line, column, offset)
        self.problems.append(Problem(self.source_name, line + 1, column + 1, message))

    def _scalar_position(self, path: Path_, line: int, column: int, offset: int) -> tuple[int, int]:
        """Where character ``offset`` of the scalar value at ``path`` stands in the source.

        The value YAML hands over differs from the source text by quotes, escapes (``''``,
        backslashes), folded line breaks and block-scalar indentation: all deletions or a line
        break that became a space. So the value's characters are matched, in order, against the
        source from the scalar's start; the match of character ``offset`` is the position.
        """
        value = self._value_at(path)
        if not isinstance(value, str) or offset > len(value):
            return line, column
        cursor = self._offset_of(line, column)
        text = self.text
        if text[cursor : cursor + 1] in ("|", ">"):  # block scalar: content starts on the next line
            cursor = text.find("\n", cursor) + 1
        for index, wanted in enumerate(value):
            while cursor < len(text) and not self._matches(text, cursor, wanted):
                cursor += 1
            if cursor >= len(text):
                return line, column
            if index == offset:
                break
            cursor += 1
        return self._line_column(cursor)

    @staticmethod
    def _matches(text: str, cursor: int, wanted: str) -> bool:
        return text[cursor] == wanted or (wanted == " " and text[cursor] == "\n")

    def _value_at(self, path: Path_) -> Any:
        node = self.plain
        for part in path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return None
        return node

    def _offset_of(self, line: int, column: int) -> int:
        starts = self._line_starts()
        return (starts[line] if line < len(starts) else len(self.text)) + column

    def _line_column(self, offset: int) -> tuple[int, int]:
        starts = self._line_starts()
        line = bisect.bisect_right(starts, offset) - 1
        return line, offset - starts[line]

    def _line_starts(self) -> list[int]:
        if self._starts is None:
            self._starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        return self._starts

    def describe(self, path: Path_) -> str:
        """``sections[D].items[D4].weight``: a readable path, using ids where the data has them."""
        out = ""
        node = self.plain
        for part in path:
            if isinstance(part, int):
                element = node[part] if isinstance(node, list) and part < len(node) else None
                ident = element.get("id") if isinstance(element, dict) else None
                out += f"[{ident}]" if isinstance(ident, (str, int)) and not isinstance(ident, bool) else f"[{part}]"
                node = element
            else:
                out += ("." if out else "") + part
                node = node.get(part) if isinstance(node, dict) else None
        return out

    # -- stages

    def load(self) -> Checklist:
        tree = self._parse_yaml()
        if tree is None:
            raise ChecklistError(self.problems)
        if isinstance(tree, (CommentedMap, CommentedSeq)):
            self.positions.value[()] = (tree.lc.line or 0, tree.lc.col or 0)
        self.plain = self._plain(tree, (), set())
        if self.problems:
            raise ChecklistError(self.problems)
        if not isinstance(self.plain, dict):
            self.problem((), "a checklist must be a mapping of keys (id:, title:, sections: …), not a list or a value")
            raise ChecklistError(self.problems)
        spec = self._validate_shape()
        if spec is None:
            raise ChecklistError(self.problems)
        checklist = _CrossChecker(self, spec).run()
        if self.problems:
            raise ChecklistError(self.problems)
        assert checklist is not None
        return checklist

    def _parse_yaml(self) -> Any:
        yaml = YAML(typ="rt")
        yaml.Composer = _CountingComposer
        yaml.allow_duplicate_keys = False
        # Dates stay text: the format validates them, with a position, instead of the YAML loader
        # failing without one on a value like 2024-13-01.
        yaml.constructor.add_constructor("tag:yaml.org,2002:timestamp", _construct_text)
        try:
            tree = yaml.load(self.text)
        except _TooManyValues as exc:
            self.problems.append(Problem(self.source_name, exc.line + 1, exc.column + 1,
                                         f"the file holds more than {MAX_DOCUMENT_VALUES:,} values (keys, items and "
                                         "texts); a checklist is far smaller (the bundled one holds about 2,700)"))
            return None
        except MarkedYAMLError as exc:
            line, column, message = _yaml_problem(exc)
            self.problems.append(Problem(self.source_name, line + 1, column + 1, f"YAML syntax: {message}"))
            return None
        except (YAMLError, ValueError, TypeError, RecursionError, OverflowError) as exc:
            self.problems.append(Problem(self.source_name, 1, 1, f"YAML syntax: {' '.join(str(exc).split())}"))
            return None
        if tree is None:
            self.problems.append(Problem(self.source_name, 1, 1, "the file is empty"))
        return tree

    def _plain(self, node: Any, path: Path_, ancestors: set[int]) -> Any:
        """Convert ruamel's round-trip nodes to plain Python, recording positions."""
        self.nodes += 1
        if self.nodes > MAX_NODES:
            if self.nodes == MAX_NODES + 1:
                self.problem(path, f"the document is too large (more than {MAX_NODES} values; check for repeated aliases)")
            return None
        if isinstance(node, (CommentedMap, CommentedSeq)):
            if id(node) in ancestors:
                self.problem(path, "an alias refers to a mapping or list that contains it")
                return None
            ancestors = ancestors | {id(node)}
        if isinstance(node, CommentedMap):
            return self._plain_map(node, path, ancestors)
        if isinstance(node, CommentedSeq):
            out_list = []
            for index, element in enumerate(node):
                self._record(node, index, path + (index,), is_key=False)
                out_list.append(self._plain(element, path + (index,), ancestors))
            return out_list
        return _plain_scalar(node)

    def _plain_map(self, node: CommentedMap, path: Path_, ancestors: set[int]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in node:
            if not isinstance(key, str):
                self._record(node, key, path + ("?",), is_key=True)
                self.problem(path + ("?",), f"keys must be text, not {_plain_scalar(key)!r}", key=True)
                continue
            self._record(node, key, path + (key,), is_key=True)
            out[key] = self._plain(node[key], path + (key,), ancestors)
        return out

    def _record(self, node: CommentedMap | CommentedSeq, key: Any, path: Path_, *, is_key: bool) -> None:
        try:
            if is_key:
                self.positions.key[path] = tuple(node.lc.key(key))
                self.positions.value[path] = tuple(node.lc.value(key))
            else:
                self.positions.value[path] = tuple(node.lc.item(key))
        except (KeyError, TypeError, AttributeError, IndexError):
            # merged keys (<<) and some aliases carry no position: use the container's
            self.positions.value.setdefault(path, (node.lc.line or 0, node.lc.col or 0))

    def _validate_shape(self) -> ChecklistFile | None:
        try:
            return ChecklistFile.model_validate(self.plain)
        except pydantic.ValidationError as exc:
            for error in exc.errors(include_url=False):
                self._shape_problem(error)
            return None

    def _shape_problem(self, error: Mapping[str, Any]) -> None:
        path = _existing_path(self.plain, tuple(error["loc"]))
        kind = error["type"]
        if kind in ("union_tag_invalid", "union_tag_not_found"):
            tag = error.get("ctx", {}).get("discriminator", "'type'").strip("'")
            path = path + (tag,)
        if path in self._reported_paths:
            return  # a value that fails several alternatives (e.g. int | float) is one problem
        self._reported_paths.add(path)
        where = self.describe(path)
        if kind == "union_tag_invalid":
            expected = error.get("ctx", {}).get("expected_tags", "")
            self.problem(path, f"{where}: unknown type {error.get('ctx', {}).get('tag', '')!r} (use one of {expected})")
        elif kind == "missing":
            missing = error["loc"][-1]
            parent = self.describe(path[:-1]) if path and path[-1] == missing else where
            self.problem(path, f"{parent + ': ' if parent else ''}missing required key '{missing}'")
        elif kind == "extra_forbidden":
            self.problem(path, f"unknown key '{where.rsplit('.', 1)[-1]}'" + _where_suffix(where), key=True)
        else:
            message = error["msg"]
            if kind == "string_type" and isinstance(error.get("input"), (int, float, dt.date)):
                message += " (put the value in quotes)"
            self.problem(path, f"{where}: {message}" if where else message)


_YAML_WORDS = {
    "<block end>": "the end of the indented block",
    "<block mapping start>": "a new key",
    "<block sequence start>": "a new list item",
    "<stream end>": "the end of the file",
    "<document start>": "the start of a document",
}


def _yaml_problem(exc: MarkedYAMLError) -> tuple[int, int, str]:
    """Position and plain-words message of a YAML parse error (0-based line and column)."""
    problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
    context = " ".join(str(exc.context or "").split())
    mark = exc.problem_mark or exc.context_mark
    if "duplicate key" in problem:
        problem = problem.split(" with value")[0]
    if "flow" in context and "expected ','" in problem and exc.context_mark is not None:
        # an unclosed [ or {: the parser notices late; the opening bracket is what needs fixing
        mark = exc.context_mark
        bracket = "]" if "sequence" in context else "}"
        problem = f"this '{'[' if bracket == ']' else '{'}' is never closed with '{bracket}' ({problem})"
    for jargon, words in _YAML_WORDS.items():
        problem = problem.replace(f"'{jargon}'", words).replace(jargon, words)
    if "expected the end of the indented block" in problem:
        problem = f"bad indentation: {problem}"
    line, column = (mark.line, mark.column) if mark else (0, 0)
    return line, column, problem


def _construct_text(constructor: Any, node: Any) -> str:
    return str(constructor.construct_scalar(node))


def _where_suffix(where: str) -> str:
    parent = where.rsplit(".", 1)[0] if "." in where else ""
    return f" in {parent}" if parent else ""


def _existing_path(data: Any, loc: tuple[Any, ...]) -> Path_:
    """The part of a pydantic error location that exists in the data (union tags are dropped)."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and part == loc[-1]:
            path.append(part)  # a missing or unknown key: keep its name
            break
    return tuple(path)


def _plain_scalar(value: Any) -> Any:
    if isinstance(value, bool):
        return bool(value)
    if type(value).__name__ == "ScalarBoolean":
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dt.datetime):
        return dt.datetime.fromisoformat(value.isoformat())
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, value.day)
    return value


# --------------------------------------------------------------------------------------------
# Cross-checks and compilation


class _CrossChecker:
    """Checks what the shape cannot: references, duplicates, expressions and grading rules."""

    def __init__(self, loader: _Loader, spec: ChecklistFile):
        self.loader = loader
        self.spec = spec

    def problem(self, path: Path_, message: str, *, offset: int | None = None) -> None:
        self.loader.problem(path, message, offset=offset)

    def run(self) -> Checklist | None:
        spec = self.spec
        scales = self._unique("scales", spec.scales, "scale")
        subscores = self._unique("subscores", spec.subscores, "sub-score")
        self._check_scales()
        self._check_parameters()
        for index, group in enumerate(self.spec.offence_groups):
            if group in self.spec.offence_groups[:index]:
                self.problem(("offence_groups", index), f"offence group '{group}' is listed twice")
        symbols = self._profile_symbols()
        field_applies = self._compile_field_applies(symbols)
        derived = self._compile_derived(symbols)
        checks = self._compile_checks(symbols)
        items, section_of = self._check_sections(scales, subscores)
        applies, critical_when = self._compile_items(symbols)
        caps, moderation = self._check_grading()
        self._check_placeholders()
        if self.loader.problems:
            return None
        return Checklist(
            spec=spec,
            source_name=self.loader.source_name,
            text=self.loader.text,
            sha256=self.loader.sha256,
            symbols=symbols,
            derived=tuple(derived),
            applies=applies,
            critical_when=critical_when,
            caps=tuple(caps),
            moderation=moderation,
            items=items,
            section_of=section_of,
            scales=scales,
            fields={f.id: f for f in spec.profile},
            document=json.dumps(self.loader.plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
            field_applies=field_applies,
            checks=tuple(checks),
        )

    def _unique(self, where: str, things: Iterable[Any], noun: str, attribute: str = "id") -> dict[Any, Any]:
        seen: dict[Any, Any] = {}
        for index, thing in enumerate(things):
            key = getattr(thing, attribute)
            if key in seen:
                self.problem((*where.split("/"), index, attribute), f"duplicate {noun} id '{key}'")
            else:
                seen[key] = thing
        return seen

    def _check_scales(self) -> None:
        sound: list[int] = []  # the scales without a problem so far (their keys are checked next)
        ids: set[str] = set()
        for s_index, scale in enumerate(self.spec.scales):
            before = len(self.loader.problems)
            base = ("scales", s_index)
            codes: set[str] = set()
            shortcuts: set[str] = set()
            for a_index, answer in enumerate(scale.answers):
                path = (*base, "answers", a_index)
                if answer.code in codes:
                    self.problem((*path, "code"), f"duplicate answer code '{answer.code}' in scale '{scale.id}'")
                codes.add(answer.code)
                if answer.shortcut is not None:
                    if answer.shortcut.lower() in shortcuts:
                        self.problem((*path, "shortcut"), f"shortcut '{answer.shortcut}' is used twice in scale '{scale.id}'")
                    shortcuts.add(answer.shortcut.lower())
                if (answer.points is None) != (answer.meaning == "not_applicable"):
                    self.problem((*path, "points"), "points must be null for the not-applicable answer and a number for every other answer")
                elif answer.points is not None and answer.points < 0:
                    self.problem((*path, "points"), "points must not be negative")
            meanings = [a.meaning for a in scale.answers]
            for required in ("met", "not_met"):
                if required not in meanings:
                    self.problem((*base, "answers"), f"scale '{scale.id}' needs an answer whose meaning is '{required}'")
            if meanings.count("not_applicable") > 1:
                self.problem((*base, "answers"), f"scale '{scale.id}' has more than one not-applicable answer")
            points = [a.points for a in scale.answers if a.points is not None]
            if points and max(points) <= 0:
                self.problem((*base, "answers"), f"scale '{scale.id}' needs an answer worth more than 0 points")
            if len(self.loader.problems) == before and scale.id not in ids:
                sound.append(s_index)
            ids.add(scale.id)
        self._check_scale_keys(sound)

    def _check_scale_keys(self, sound: list[int]) -> None:
        """A key never means two things: answers are chosen by meaning (digits 1–5 and the scales'
        letters), so one meaning has one answer per scale and one letter on every scale, and no
        letter stands for two meanings."""
        letter_of: dict[str, tuple[str | None, str]] = {}  # meaning -> (its letter, the scale that set it)
        meaning_of: dict[str, tuple[str, str]] = {}  # letter -> (its meaning, the scale that set it)
        for s_index in sound:
            scale = self.spec.scales[s_index]
            seen: set[str] = set()
            for a_index, answer in enumerate(scale.answers):
                path = ("scales", s_index, "answers", a_index)
                if answer.meaning in seen:
                    self.problem((*path, "meaning"), f"scale '{scale.id}' has two answers whose meaning is "
                                 f"'{answer.meaning}' (key {MEANING_KEYS[answer.meaning]} would choose both)")
                    continue
                seen.add(answer.meaning)
                letter = answer.shortcut.upper() if answer.shortcut else None
                if letter is not None and not letter.isalpha():
                    self.problem((*path, "shortcut"), f"shortcut '{answer.shortcut}' must be a letter "
                                 "(digits choose answers by meaning: 1 met, 2 partly met, 3 not met, 4 not recorded, 5 n/a)")
                    continue
                if answer.meaning in letter_of and letter_of[answer.meaning][0] != letter:
                    had, where = letter_of[answer.meaning]
                    key = lambda letter: f"the shortcut '{letter}'" if letter else "no shortcut"  # noqa: E731
                    self.problem((*path, "shortcut") if letter else path, f"the '{answer.meaning}' answer has {key(letter)} in "
                                 f"scale '{scale.id}' but {key(had)} in scale '{where}': one meaning has one key on every scale")
                    continue
                letter_of.setdefault(answer.meaning, (letter, scale.id))
                if letter is not None and letter in meaning_of and meaning_of[letter][0] != answer.meaning \
                        and meaning_of[letter][1] != scale.id:  # twice in one scale: reported above
                    other, where = meaning_of[letter]
                    self.problem((*path, "shortcut"), f"shortcut '{answer.shortcut}' means '{other}' in scale '{where}' "
                                 f"and '{answer.meaning}' in scale '{scale.id}': a key never means two things")
                    continue
                if letter is not None:
                    meaning_of.setdefault(letter, (answer.meaning, scale.id))

    def _check_parameters(self) -> None:
        for index, parameter in enumerate(self.spec.parameters):
            low, high = parameter.minimum, parameter.maximum
            if (low is not None and parameter.default < low) or (high is not None and parameter.default > high):
                self.problem(("parameters", index, "default"), f"default {parameter.default} is {_outside(low, high)}")

    def _profile_symbols(self) -> dict[str, ex.ValueType]:
        symbols: dict[str, ex.ValueType] = {}
        reserved = set(ex.FUNCTIONS) | {"true", "false", "True", "False", "and", "or", "not", "in"}
        named = [("profile", i, f.id) for i, f in enumerate(self.spec.profile)]
        named += [("parameters", i, p.id) for i, p in enumerate(self.spec.parameters)]
        for where, index, name in named:
            if name in symbols or name in reserved:
                what = "a reserved word" if name in reserved else "already used by a field or parameter"
                self.problem((where, index, "id"), f"id '{name}' is {what}")
                continue
            if where == "profile":
                profile_field = self.spec.profile[index]
                self._check_field(index, profile_field)
                symbols[name] = field_type(profile_field)
            else:
                symbols[name] = ex.NUMBER_TYPE
        return symbols

    def _check_field(self, index: int, profile_field: ProfileField) -> None:
        path = ("profile", index)
        if profile_field.type == "choice":
            values = [v.value for v in profile_field.values]
            for v_index, value in enumerate(values):
                if values.index(value) != v_index:
                    self.problem((*path, "values", v_index, "value"), f"duplicate value {value!r} in '{profile_field.id}'")
            if len({type(v) for v in values}) > 1:
                self.problem((*path, "values"), f"the values of '{profile_field.id}' must be all text or all whole numbers")
        elif profile_field.type == "number":
            if profile_field.minimum is not None and profile_field.maximum is not None and profile_field.minimum > profile_field.maximum:
                self.problem((*path, "minimum"), "minimum is larger than maximum")

    def _compile(self, path: Path_, text: str, symbols: Mapping[str, ex.ValueType], *, expect_bool: bool = True) -> ex.Expression | None:
        try:
            return ex.compile_expression(text, symbols, expect_bool=expect_bool)
        except ex.ExpressionError as exc:
            self.problem(path, f"{self.loader.describe(path)}: {exc.message}", offset=exc.offset)
            return None

    def _compile_field_applies(self, symbols: Mapping[str, ex.ValueType]) -> dict[str, ex.Expression | None]:
        """Each profile field's ``applies_when``, over the parameters and the fields defined before it."""
        compiled: dict[str, ex.Expression | None] = {}
        parameters = {p.id for p in self.spec.parameters}
        before: dict[str, ex.ValueType] = {name: kind for name, kind in symbols.items() if name in parameters}
        for index, profile_field in enumerate(self.spec.profile):
            if profile_field.applies_when is not None:
                path: Path_ = ("profile", index, "applies_when")
                text = profile_field.applies_when
                later = self._later_name(text, before, symbols)
                if later is not None:
                    name, offset = later
                    self.problem(path, f"{self.loader.describe(path)}: '{name}' is not defined before this field "
                                       "(applies_when may use only the fields above it and parameters)", offset=offset)
                else:
                    compiled[profile_field.id] = self._compile(path, text, before)
            else:
                compiled[profile_field.id] = None
            if profile_field.id in symbols:
                before[profile_field.id] = symbols[profile_field.id]
        return compiled

    @staticmethod
    def _later_name(text: str, before: Mapping[str, ex.ValueType], symbols: Mapping[str, ex.ValueType]) -> tuple[str, int] | None:
        """A field that ``text`` uses that exists but is not defined before (with its offset), if any."""
        try:
            expression = ex.compile_expression(text, symbols)
        except ex.ExpressionError:
            return None  # reported by the real compilation, against the fields before
        for name in sorted(expression.names - set(before)):
            match = re.search(rf"\b{re.escape(name)}\b", text)
            return name, match.start() if match else 0
        return None

    def _compile_checks(self, symbols: Mapping[str, ex.ValueType]) -> list[tuple[Check, ex.Expression]]:
        compiled = []
        self._unique("checks", self.spec.checks, "check")
        for index, check in enumerate(self.spec.checks):
            expression = self._compile(("checks", index, "expression"), check.expression, symbols)
            if expression is not None:
                compiled.append((check, expression))
        return compiled

    def _compile_derived(self, symbols: dict[str, ex.ValueType]) -> list[tuple[str, ex.Expression]]:
        compiled = []
        for index, derived in enumerate(self.spec.derived):
            if derived.id in symbols:
                self.problem(("derived", index, "id"), f"id '{derived.id}' is already used by a field or parameter")
                continue
            expression = self._compile(("derived", index, "expression"), derived.expression, symbols, expect_bool=False)
            if expression is not None:
                compiled.append((derived.id, expression))
                symbols[derived.id] = expression.type
        return compiled

    def _check_sections(self, scales: Mapping[str, Scale], subscores: Mapping[str, Any]) -> tuple[dict[str, Item], dict[str, Section]]:
        items: dict[str, Item] = {}
        section_of: dict[str, Section] = {}
        section_ids: set[str] = set()
        for s_index, section in enumerate(self.spec.sections):
            if section.id in section_ids:
                self.problem(("sections", s_index, "id"), f"duplicate section id '{section.id}'")
            section_ids.add(section.id)
            for i_index, item in enumerate(section.items):
                path = ("sections", s_index, "items", i_index)
                if item.id in items:
                    self.problem((*path, "id"), f"duplicate item id '{item.id}'")
                    continue
                items[item.id] = item
                section_of[item.id] = section
                self._check_item(path, item, scales, subscores)
        return items, section_of

    def _check_item(self, path: Path_, item: Item, scales: Mapping[str, Scale], subscores: Mapping[str, Any]) -> None:
        if item.scale not in scales:
            self.problem((*path, "scale"), f"item {item.id}: unknown scale '{item.scale}' (known: {', '.join(scales) or 'none'})")
        else:
            codes = [a.code for a in scales[item.scale].answers]
            for c_index, code in enumerate(item.note_required_for or []):
                if code not in codes:
                    self.problem((*path, "note_required_for", c_index), f"item {item.id}: answer '{code}' is not on scale '{item.scale}'")
        if item.subscore not in subscores:
            self.problem((*path, "subscore"), f"item {item.id}: unknown sub-score '{item.subscore}' (known: {', '.join(subscores)})")
        if item.critical != "on_known_opportunity":
            if item.critical_when is not None:
                self.problem((*path, "critical_when"), f"item {item.id}: critical_when is only for items with critical: on_known_opportunity")
            if item.opportunity_prompt is not None:
                self.problem((*path, "opportunity_prompt"), f"item {item.id}: opportunity_prompt is only for items with critical: on_known_opportunity")

    def _compile_items(self, symbols: Mapping[str, ex.ValueType]) -> tuple[dict[str, ex.Expression | None], dict[str, ex.Expression | None]]:
        applies: dict[str, ex.Expression | None] = {}
        critical_when: dict[str, ex.Expression | None] = {}
        for path, item in self._items_with_paths():
            applies[item.id] = None if item.applies_when is None else self._compile((*path, "applies_when"), item.applies_when, symbols)
            critical_when[item.id] = None
            if item.critical_when is not None and item.critical == "on_known_opportunity":
                critical_when[item.id] = self._compile((*path, "critical_when"), item.critical_when, symbols)
        return applies, critical_when

    def _items_with_paths(self) -> Iterator[tuple[Path_, Item]]:
        for s_index, section in enumerate(self.spec.sections):
            for i_index, item in enumerate(section.items):
                yield ("sections", s_index, "items", i_index), item

    def _check_grading(self) -> tuple[list[ex.Expression], ex.Expression | None]:
        grading = self.spec.grading
        band_ids = self._unique("grading/bands", grading.bands, "band")
        self._check_bands()
        caps = []
        for index, cap in enumerate(grading.caps):
            path = ("grading", "caps", index)
            if cap.at_most not in band_ids:
                self.problem((*path, "at_most"), f"unknown grade '{cap.at_most}' (known: {', '.join(band_ids)})")
            expression = self._compile((*path, "when"), cap.when, METRIC_SYMBOLS)
            if expression is not None:
                caps.append(expression)
        moderation = None
        if grading.moderation_when is not None:
            moderation = self._compile(("grading", "moderation_when"), grading.moderation_when, METRIC_SYMBOLS)
        return caps, moderation

    def _check_bands(self) -> None:
        bands = self.spec.grading.bands
        order = sorted(range(len(bands)), key=lambda i: (bands[i].min, bands[i].max))
        for index in order:
            if bands[index].min >= bands[index].max:
                self.problem(("grading", "bands", index, "max"), f"band '{bands[index].id}': max must be greater than min")
        first, last = bands[order[0]], bands[order[-1]]
        if first.min != 0:
            self.problem(("grading", "bands", order[0], "min"), f"bands leave a gap: no band covers scores from 0 to {first.min}")
        if last.max != 100:
            self.problem(("grading", "bands", order[-1], "max"), f"bands leave a gap: no band covers scores from {last.max} to 100")
        for lower, upper in zip(order, order[1:]):
            low, high = bands[lower], bands[upper]
            if low.max > high.min:
                self.problem(("grading", "bands", upper, "min"), f"band '{high.id}' overlaps band '{low.id}' ({high.min} < {low.max})")
            elif low.max < high.min:
                self.problem(("grading", "bands", upper, "min"), f"bands leave a gap between {low.max} ('{low.id}') and {high.min} ('{high.id}')")

    def _check_placeholders(self) -> None:
        known = {p.id for p in self.spec.parameters}
        for path, item in self._items_with_paths():
            texts: list[tuple[Path_, str]] = [(("question",), item.question)]
            texts += [(("guidance", name), text) for name, text in item.guidance.model_dump().items()]
            texts += [(("basis", index), text) for index, text in enumerate(item.basis)]
            for where, text in texts:
                for match in _PLACEHOLDER.finditer(text):
                    if match.group(1) not in known:
                        self.problem((*path, *where), f"item {item.id}: unknown parameter '{{{match.group(1)}}}' in {'.'.join(map(str, where))}",
                                     offset=match.start())


def dump_json(data: Any) -> str:
    """JSON as the CLI prints it: UTF-8, indented, stable key order."""
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


class _TooManyValues(Exception):
    def __init__(self, line: int, column: int):
        super().__init__(line, column)
        self.line, self.column = line, column


class _CountingComposer(Composer):
    """ruamel's composer, stopping once the document holds more than :data:`MAX_DOCUMENT_VALUES`
    values: reading stops there, so a huge file is refused in a bounded time."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self.values = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.values += 1
        if self.values > MAX_DOCUMENT_VALUES:
            mark = self.parser.peek_event().start_mark
            raise _TooManyValues(mark.line, mark.column)
        return super().compose_node(parent, index)
