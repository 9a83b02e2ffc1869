"""File-profile values: checking, parsing from text (UK forms), and their stored JSON form.

Python values used by the scoring engine: choice → its value (text or int); yesno → 'yes' | 'no' |
'unknown'; date → ``datetime.date``; datetime → ``datetime.datetime``; number → int or float;
text → str. Stored as JSON: dates as ISO text.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
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


def check_value(field: ProfileField, value: Any) -> Any:
    """Return ``value`` if it is a valid value of ``field`` (``None`` clears it).

    :raises ValueError: with a sentence naming the field and what is allowed.
    """
    if value is None:
        return None
    if isinstance(field, ChoiceField):
        allowed = [v.value for v in field.values]
        if value not in allowed or isinstance(value, bool):
            raise ValueError(f"'{value}' is not allowed for {field.id} (allowed: {', '.join(map(str, allowed))})")
    elif isinstance(field, YesNoField):
        if value not in YESNO_VALUES:
            raise ValueError(f"'{value}' is not allowed for {field.id} (allowed: yes, no, unknown)")
    elif isinstance(field, DateField):
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise ValueError(f"{field.id} needs a date")
    elif isinstance(field, DateTimeField):
        if not isinstance(value, dt.datetime):
            raise ValueError(f"{field.id} needs a date and time")
    elif isinstance(field, NumberField):
        _check_number(field, value)
    elif isinstance(field, TextField):
        if not isinstance(value, str):
            raise ValueError(f"{field.id} needs text")
        if field.max_length is not None and len(value) > field.max_length:
            raise ValueError(f"{field.id} is longer than {field.max_length} characters")
    return value


def _check_number(field: NumberField, value: Any) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or (isinstance(value, float) and not math.isfinite(value)):
        raise ValueError(f"{field.id} needs a number")
    if field.integer and not float(value).is_integer():
        raise ValueError(f"{field.id} needs a whole number")
    if field.minimum is not None and value < field.minimum:
        raise ValueError(f"{field.id} must be at least {field.minimum}")
    if field.maximum is not None and value > field.maximum:
        raise ValueError(f"{field.id} must be at most {field.maximum}")


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
        value = parse_date(text, field.id)
    elif isinstance(field, DateTimeField):
        value = parse_datetime(text, field.id)
    elif isinstance(field, NumberField):
        try:
            value = int(text) if text.lstrip("-").isdigit() else float(text)
        except ValueError:
            raise ValueError(f"'{text}' is not a number ({field.id})") from None
    else:
        value = text
    return check_value(field, value)


def parse_date(text: str, name: str = "date") -> dt.date:
    for form in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, form).date()
        except ValueError:
            continue
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
