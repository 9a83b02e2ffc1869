"""Reading a population export: a CSV or XLSX file in, accepted rows and rejections out.

The reader does every row-level decision of an import (which column is which field, parsing
dates, deriving the offence group, rejecting rows, marking rows outside the scope) and streams the
result, so a million-row export never sits in memory. It knows nothing of SQL or Qt: the store
inserts what it yields, and the GUI shows :meth:`PopulationSource.preview` before importing.

The package's rooms, in the order a read goes through them:

- ``fields``: the vocabulary (canonical fields, presets, header names, months, offence groups,
  the stored form of the extra columns);
- ``files``: the file itself (format, encoding, hash, delimiter) and its records as texts;
- ``mapping``: which column feeds which field, and the scope checks;
- ``rows``: parsing and deciding the rows, a batch at a time (the hot path of an import);
- ``worker``: insert-ready batches, read in this process or by a worker process;
- ``source``: :func:`open_population` and :class:`PopulationSource`, which tie them together.

Everything an importer, the GUI or a test uses is re-exported here, so
``from audit_app.core import population as pop; pop.open_population(...)`` is the way in. The
tuning constants (``rows.BATCH_ROWS``, ``worker.CHUNK_ROWS``, ``worker.WORKER_MIN_BYTES``, …) are
deliberately not: each is read where it is defined, so a copy here would change nothing when
set; set (or monkeypatch) it on its module, e.g. ``pop.rows.BATCH_ROWS``.
"""

from __future__ import annotations

from audit_app.core.population import fields, files, mapping, rows, source, worker
from audit_app.core.population.fields import (
    CANONICAL_FIELDS,
    EXTRA_SEPARATOR,
    ColumnsDigest,
    GROUP_LABELS,
    HEADER_NAMES,
    HOME_OFFICE_GROUPS,
    HOW_HEADER,
    HOW_MAP,
    HOW_PRESET,
    JSON_MARKER,
    MONTH_HINT,
    OFFENCE_GROUPS,
    POLICE_UK_GROUPS,
    PRESETS,
    ROW_COLUMNS,
    decode_extras,
    encode_extras,
    group_label,
    offence_group,
    parse_month,
    values_sha256,
)
from audit_app.core.population.files import cell_text
from audit_app.core.population.mapping import ColumnMapping, resolve_mapping
from audit_app.core.population.rows import ALREADY_IMPORTED, PopulationRow, Progress, Rejection, RowBatch
from audit_app.core.population.source import PopulationSource, open_population
from audit_app.core.population.worker import RowBatches
from audit_app.errors import PopulationError

__all__ = [
    "ALREADY_IMPORTED",
    "CANONICAL_FIELDS",
    "EXTRA_SEPARATOR",
    "GROUP_LABELS",
    "HEADER_NAMES",
    "HOME_OFFICE_GROUPS",
    "HOW_HEADER",
    "HOW_MAP",
    "HOW_PRESET",
    "JSON_MARKER",
    "MONTH_HINT",
    "OFFENCE_GROUPS",
    "POLICE_UK_GROUPS",
    "PRESETS",
    "ROW_COLUMNS",
    "ColumnsDigest",
    "values_sha256",
    "ColumnMapping",
    "PopulationError",
    "PopulationRow",
    "PopulationSource",
    "Progress",
    "Rejection",
    "RowBatch",
    "RowBatches",
    "cell_text",
    "decode_extras",
    "encode_extras",
    "fields",
    "files",
    "group_label",
    "mapping",
    "offence_group",
    "open_population",
    "parse_month",
    "resolve_mapping",
    "rows",
    "source",
    "worker",
]
