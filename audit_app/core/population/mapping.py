"""Column mapping and scope: which column of a file feeds which field, and which rows are in scope.

:func:`resolve_mapping` settles the mapping from the preset, then the ``--map`` pairs, then the
header names (:data:`~audit_app.core.population.fields.HEADER_NAMES`); :func:`_scope_checks` turns
``--scope`` pairs into the checks the row parser applies. Both work on the header alone, so the
GUI can remap a previewed file without reading it again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from audit_app.core.population.fields import (
    CANONICAL_FIELDS,
    HEADER_NAMES,
    HOW_HEADER,
    HOW_MAP,
    HOW_PRESET,
    MONTH_HINT,
    PRESETS,
    parse_month,
)
from audit_app.errors import PopulationError


@dataclass(frozen=True)
class ColumnMapping:
    """Which column of the file feeds which field.

    :param fields: canonical field → source column header (unmapped fields are absent).
    :param extras: every other column header, in file order (kept as extra fields).
    :param how: canonical field → ``"preset"``, ``"--map"`` or ``"header match"``.
    """

    fields: dict[str, str]
    extras: tuple[str, ...]
    how: dict[str, str]



def _normalise_name(name: str) -> str:
    """A header or field name with case, spaces, underscores and punctuation removed."""
    return "".join(ch for ch in name.casefold() if ch.isalnum())

# ---------------------------------------------------------------------------------------------
# Mapping


def resolve_mapping(
    name: str,
    header: Sequence[str],
    preset: str | None = None,
    mapping: Mapping[str, str] | None = None,
    *,
    presets: Mapping[str, Mapping[str, str]] | None = None,
    require_ref: bool = True,
) -> ColumnMapping:
    """Which column feeds which field: the preset, then ``--map``, then header names.

    :param name: the file's name, for messages.
    :param mapping: canonical field → column header; an empty column leaves the field unmapped
        (so a wrong header match can be switched off).
    :param presets: the presets known by name (default :data:`PRESETS`; the services add the
        user's saved ones). A preset's empty column leaves that field unmapped, as in ``mapping``.
    :param require_ref: refuse a mapping with no ref column (``False``: a preview, which lets the
        auditor choose the column).
    :raises PopulationError: for an unknown preset or field, a column the file lacks, a column
        mapped twice, or no ref column at all.
    """
    fields: dict[str, str] = {}
    how: dict[str, str] = {}
    declined: set[str] = set()
    if preset is not None:
        declined = _apply_preset(name, header, preset, mapping or {}, fields, how, PRESETS if presets is None else presets)
    declined |= _apply_map(name, header, mapping or {}, fields, how)
    used = set(fields.values())
    by_name: dict[str, str] = {}
    for column in header:
        by_name.setdefault(_normalise_name(column), column)
    for field in CANONICAL_FIELDS:
        if field in fields or field in declined:
            continue
        for candidate in HEADER_NAMES[field]:
            found = by_name.get(candidate)
            if found is not None and found not in used:
                fields[field], how[field] = found, HOW_HEADER
                used.add(found)
                break
    if "ref" not in fields and require_ref:
        raise PopulationError(
            f"'{name}' has no crime reference column (such as 'Crime ID' or 'URN'): name it with "
            f"--map ref=COLUMN; its columns are {_list_columns(header)}."
        )
    ordered = {field: fields[field] for field in CANONICAL_FIELDS if field in fields}
    extras = tuple(column for column in header if column not in used)
    return ColumnMapping(ordered, extras, {field: how[field] for field in ordered})


def _apply_preset(
    name: str, header: Sequence[str], preset: str, mapping: Mapping[str, str], fields: dict[str, str],
    how: dict[str, str], presets: Mapping[str, Mapping[str, str]],
) -> set[str]:
    """Apply a preset; returns the fields it leaves unmapped on purpose (an empty column)."""
    if preset not in presets:
        raise PopulationError(f"Unknown preset '{preset}' (known: {', '.join(sorted(presets)) or 'none'}).")
    overridden = {_canonical_field(name, field) for field in mapping}
    declined: set[str] = set()
    for raw_field, column in presets[preset].items():
        field = _canonical_field(name, raw_field)
        if field in overridden:
            continue  # an explicit --map wins over the preset
        if not column:
            declined.add(field)
            continue
        if column not in header:
            raise PopulationError(
                f"'{name}' does not fit the '{preset}' preset: it has no '{column}' column "
                f"(its columns are {_list_columns(header)})."
            )
        fields[field], how[field] = column, HOW_PRESET
    return declined


def _apply_map(
    name: str, header: Sequence[str], mapping: Mapping[str, str], fields: dict[str, str], how: dict[str, str]
) -> set[str]:
    """Apply ``--map`` pairs; returns the fields deliberately left unmapped (``FIELD=``)."""
    declined: set[str] = set()
    mapped_by: dict[str, str] = {}
    for raw_field, raw_column in mapping.items():
        field = _canonical_field(name, raw_field)
        if not raw_column.strip():
            declined.add(field)
            fields.pop(field, None)
            how.pop(field, None)
            continue
        column = _find_column(name, header, raw_column, field)
        if column in mapped_by:
            raise PopulationError(
                f"'{name}': column '{column}' is mapped twice (--map {mapped_by[column]}= and --map {field}=)."
            )
        mapped_by[column] = field
        for other in [f for f, c in fields.items() if c == column]:
            del fields[other], how[other]  # the explicit map takes the column from the preset
        fields[field], how[field] = column, HOW_MAP
    return declined


def _canonical_field(name: str, field: str) -> str:
    wanted = _normalise_name(field)
    for canonical in CANONICAL_FIELDS:
        if _normalise_name(canonical) == wanted:
            return canonical
    raise PopulationError(
        f"'{name}': --map {field}=… names no field; the fields are {', '.join(CANONICAL_FIELDS)} "
        "(every other column is kept under its own name)."
    )


def _find_column(name: str, header: Sequence[str], column: str, field: str) -> str:
    """The header name meant by ``column``: exact first, then ignoring case and punctuation."""
    column = column.strip()
    if column in header:
        return column
    loose = [h for h in header if _normalise_name(h) == _normalise_name(column)]
    if len(loose) == 1:
        return loose[0]
    raise PopulationError(
        f"'{name}' has no column '{column}' (asked for by --map {field}={column}); "
        f"its columns are {_list_columns(header)}."
    )


def _list_columns(header: Sequence[str], limit: int = 40) -> str:
    shown = ", ".join(f"'{h}'" for h in header[:limit])
    more = f" and {len(header) - limit} more" if len(header) > limit else ""
    return (shown + more) if header else "none"


# ---------------------------------------------------------------------------------------------
# Scope


@dataclass(frozen=True)
class _ScopeCheck:
    """One ``--scope`` field: where its value comes from and the values allowed (case-folded)."""

    source: str | int  # "month", "offence_group", or the index of the cell in the row
    allowed: frozenset[str]


def _scope_checks(
    name: str, scope: Mapping[str, Sequence[str]], mapping: ColumnMapping, header: Sequence[str]
) -> tuple[_ScopeCheck, ...]:
    checks = []
    for raw_field, values in scope.items():
        field = _scope_field(name, raw_field, mapping)
        allowed = [v.strip() for v in values if v.strip()]
        if not allowed:
            raise PopulationError(f"'{name}': --scope {raw_field}= lists no values.")
        if field == "month":
            allowed = [_scope_month(name, v) for v in allowed]
        if field in ("month", "offence_group"):
            source: str | int = field
        else:
            source = header.index(mapping.fields.get(field, field))
        checks.append(_ScopeCheck(source, frozenset(v.casefold() for v in allowed)))
    return tuple(checks)


def _scope_field(name: str, raw: str, mapping: ColumnMapping) -> str:
    """The field a ``--scope`` name means: a canonical field, an extra column, or a mapped column."""
    wanted = _normalise_name(raw)
    for field in CANONICAL_FIELDS:
        if raw == field or _normalise_name(field) == wanted:
            return _mapped_field(name, field, mapping)
    if raw in mapping.extras:
        return raw
    for field, column in mapping.fields.items():
        if raw == column:
            return field
    loose = [c for c in mapping.extras if _normalise_name(c) == wanted]
    loose += [f for f, c in mapping.fields.items() if _normalise_name(c) == wanted]
    if len(loose) == 1:
        return loose[0]
    known = ", ".join(list(CANONICAL_FIELDS) + [f"'{c}'" for c in mapping.extras])
    raise PopulationError(f"'{name}': --scope {raw}=… names no field; the fields are {known}.")


def _mapped_field(name: str, field: str, mapping: ColumnMapping) -> str:
    has_source = field in mapping.fields or (field == "offence_group" and "offence" in mapping.fields)
    if not has_source:
        raise PopulationError(
            f"'{name}': --scope {field}=… cannot apply, as no column feeds '{field}' (name one with --map {field}=COLUMN)."
        )
    return field


def _scope_month(name: str, value: str) -> str:
    month = parse_month(value)
    if not month:
        raise PopulationError(f"'{name}': --scope month={value} is not a month ({MONTH_HINT}).")
    return month

