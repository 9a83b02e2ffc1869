"""File-profile values: checking, parsing from text (UK forms), and their stored JSON form.

Python values used by the scoring engine: choice → its value (text or int); yesno → 'yes' | 'no' |
'unknown'; date → ``datetime.date``; datetime → ``datetime.datetime``; number → int or float;
text → str. Stored as JSON: dates as ISO text.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from audit_app.core.checklist_format import (
    ChoiceField,
    DateField,
    DateTimeField,
    NumberField,
    ProfileField,
    TextField,
    YesNoField,
)
from audit_app.core.expressions import YESNO_VALUES

_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%d %b %Y", "%d %B %Y")
_TIME_FORMATS = ("%H:%M", "%H:%M:%S")
_YES_NO = {"yes": "yes", "y": "yes", "no": "no", "n": "no", "unknown": "unknown", "u": "unknown", "not known": "unknown"}


def _name(field: ProfileField) -> str:
    """How a message names a field: by the label the reviewer sees, never its internal id."""
    return f"'{field.label}'"


def check_value(field: ProfileField, value: Any) -> Any:
    """Return ``value`` if it is a valid value of ``field`` (``None`` clears it).

    :raises ValueError: with a sentence naming the field (by its label) and what is allowed.
    """
    if value is None:
        return None
    name = _name(field)
    if isinstance(field, ChoiceField):
        allowed = [v.value for v in field.values]
        if value not in allowed or isinstance(value, bool):
            raise ValueError(f"'{value}' is not allowed for {name} (allowed: {', '.join(map(str, allowed))})")
    elif isinstance(field, YesNoField):
        if value not in YESNO_VALUES:
            raise ValueError(f"'{value}' is not allowed for {name} (allowed: yes, no, unknown)")
    elif isinstance(field, DateField):
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise ValueError(f"{name} needs a date")
    elif isinstance(field, DateTimeField):
        if not isinstance(value, dt.datetime):
            raise ValueError(f"{name} needs a date and time")
    elif isinstance(field, NumberField):
        _check_number(field, value)
    elif isinstance(field, TextField):
        if not isinstance(value, str):
            raise ValueError(f"{name} needs text")
        if field.max_length is not None and len(value) > field.max_length:
            raise ValueError(f"{name} is longer than {field.max_length} characters")
    return value


def _check_number(field: NumberField, value: Any) -> None:
    name = _name(field)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or (isinstance(value, float) and not math.isfinite(value)):
        raise ValueError(f"{name} needs a number")
    if field.integer and not float(value).is_integer():
        raise ValueError(f"{name} needs a whole number")
    if field.minimum is not None and value < field.minimum:
        raise ValueError(f"{name} must be at least {field.minimum}")
    if field.maximum is not None and value > field.maximum:
        raise ValueError(f"{name} must be at most {field.maximum}")


def parse_value(field: ProfileField, text: str) -> Any:
    """Parse a value typed or imported as text (dates day-first, as written in the UK).

    :raises ValueError: when the text is not a valid value of the field.
    """
    text = text.strip()
    if text == "":
        return None
    value: Any
    if isinstance(field, ChoiceField):
        allowed = {str(v.value).lower(): v.value for v in field.values}
        value = allowed.get(text.lower(), text)
    elif isinstance(field, YesNoField):
        value = _YES_NO.get(text.lower(), text)
    elif isinstance(field, DateField):
        value = parse_date(text, _name(field))
    elif isinstance(field, DateTimeField):
        value = parse_datetime(text, _name(field))
    elif isinstance(field, NumberField):
        try:
            value = int(text) if text.lstrip("-").isdigit() else float(text)
        except ValueError:
            raise ValueError(f"'{text}' is not a number for {_name(field)}") from None
    else:
        value = text
    return check_value(field, value)


def parse_date(text: str, name: str = "date") -> dt.date:
    for form in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, form).date()
        except ValueError:
            continue
    if (match := _UK_DATE.fullmatch(text.strip())) and 1 <= int(match[2]) <= 12:
        day, month, year = int(match[1]), int(match[2]), int(match[3])
        month_name = dt.date(2000, month, 1).strftime("%B")
        raise ValueError(f"'{text}' is not a date for {name}: {month_name} {year} has no day {day}")
    raise ValueError(f"'{text}' is not a date for {name} (use e.g. 15/01/2025 or 2025-01-15)")


def parse_datetime(text: str, name: str = "date and time") -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        pass
    date_part, _, time_part = text.replace("T", " ").partition(" ")
    date = parse_date(date_part, name)
    for form in _TIME_FORMATS:
        try:
            return dt.datetime.combine(date, dt.datetime.strptime(time_part.strip() or "00:00", form).time())
        except ValueError:
            continue
    raise ValueError(f"'{text}' is not a date and time for {name} (use e.g. 15/01/2025 10:22)")


def to_text(value: Any) -> str:
    """A value as the reviewer types it (dates day first): what :func:`parse_value` reads back."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return f"{value:%d/%m/%Y %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _words(text: str) -> str:
    """Text compared as words in lower case: "Burglary - Residential" → "burglary residential"."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?")
_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T].*)?")


def _full_date(text: str) -> dt.date | None:
    """A full date written unambiguously (2025-01-15 or 15/01/2025, a time after it ignored); else ``None``."""
    text = text.strip()
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _UK_DATE.fullmatch(text):
        day, month, year = (int(g) for g in match.groups())
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def prefill(fields: Sequence[ProfileField], population: Mapping[str, str]) -> dict[str, Any]:
    """The profile values a sampled unit's population record settles unambiguously, by field id.

    ``population`` holds the unit's population values by column (canonical fields such as
    ``offence`` and ``offence_group``, and extra columns by their header). Columns are compared as
    words in lower case. A choice field takes the one value whose ``population`` list names the
    column's value (several matching values, e.g. a police.uk "Burglary" that is residential or
    business, prefill nothing); a date field takes a full date (a month alone is not a date).
    """
    columns = {_words(name): value for name, value in population.items() if isinstance(value, str) and value.strip()}
    values: dict[str, Any] = {}
    for field in fields:
        for column in getattr(field, "population", ()):
            text = columns.get(_words(column))
            if text is None:
                continue
            value = _prefill_one(field, text)
            if value is not None:
                values[field.id] = value
                break
    return values


def _prefill_one(field: ProfileField, text: str) -> Any:
    if isinstance(field, ChoiceField):
        matches = [v.value for v in field.values if _words(text) in {_words(p) for p in v.population}]
        return matches[0] if len(matches) == 1 else None
    if isinstance(field, DateField):
        return _full_date(text)
    return None


def to_json(field: ProfileField, value: Any) -> Any:
    """The stored (JSON) form of a checked value."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat(timespec="minutes") if isinstance(value, dt.datetime) else value.isoformat()
    return value


def values_from_json(fields: Mapping[str, ProfileField], stored: Mapping[str, Any]) -> dict[str, Any]:
    """The Python values of a review's stored (JSON) profile; fields the checklist lacks are left out."""
    return {name: from_json(fields[name], value) for name, value in stored.items() if name in fields}


def from_json(field: ProfileField, value: Any) -> Any:
    """The Python value of a stored (JSON) value."""
    if value is None:
        return None
    if field.type == "date":
        return dt.date.fromisoformat(value)
    if field.type == "datetime":
        return dt.datetime.fromisoformat(value)
    return value
