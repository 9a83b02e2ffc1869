"""A corpus of bad inputs (issue 12 §5): population files, responses files and checklists that a
careful tester would try, each as (name, bytes). Built by code so the corpus is reviewable and
grows by adding a line; ``python tests/bad_inputs.py FOLDER`` writes it out to look at.

Every input must end in exit 0 (read as intended) or exit 1 with one clear sentence, never a
traceback, and a refusal must leave the audit exactly as it was (tests/test_bad_input_corpus.py).
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

HEADER = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context"
REF = "a" * 64


def _row(ref: str, crime: str = "Burglary", lsoa: str = "City of London 001A", outcome: str = "Under investigation") -> str:
    return f"{ref},2025-01,City of London Police,City of London Police,-0.09,51.51,On or near X,E01000001,{lsoa},{crime},{outcome},"


def _ref(n: int) -> str:
    return f"{n:064x}"


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<not really an xlsx/>")
    return buffer.getvalue()


def populations() -> list[tuple[str, bytes]]:
    good = [_row(_ref(n)) for n in range(1, 6)]
    text = {
        "empty file": "",
        "header only": HEADER + "\n",
        "a byte-order mark only": "\ufeff",
        "no Crime ID column": HEADER.replace("Crime ID", "Crime") + "\n" + "\n".join(good) + "\n",
        "every reference empty": HEADER + "\n" + "\n".join(_row("") for _ in range(5)) + "\n",
        "duplicate references": HEADER + "\n" + "\n".join([good[0]] * 5) + "\n",
        "an unclosed quote": HEADER + "\n" + good[0] + "\n" + _row('"unclosed') + "\n" + "\n".join(good[1:]) + "\n",
        "a reference of 1,005 characters": HEADER + "\n" + _row("r" * 1005) + "\n" + "\n".join(good) + "\n",
        "short rows": HEADER + "\n" + "\n".join(g.rsplit(",", 4)[0] for g in good) + "\n",
        "long rows": HEADER + "\n" + "\n".join(g + ",surplus,cells" for g in good) + "\n",
        "semicolons": (HEADER + "\n" + "\n".join(good) + "\n").replace(",", ";"),
        "tabs": (HEADER + "\n" + "\n".join(good) + "\n").replace(",", "\t"),
        "old Mac line ends": (HEADER + "\n" + "\n".join(good) + "\n").replace("\n", "\r"),
        "formulas in cells": HEADER + "\n" + "\n".join(_row(_ref(n), crime="=cmd|' /C calc'!A0") for n in range(3)) + "\n",
        "control characters in cells": HEADER + "\n" + _row(_ref(9), lsoa="City\x1b[31m red\x07") + "\n",
        "right-to-left and emoji": HEADER + "\n" + _row(_ref(10), lsoa="\u202eﻻ 🚓 ŵŷ") + "\n",
        "two thousand columns": ",".join(f"c{n}" for n in range(2000)) + "\n" + ",".join("x" for _ in range(2000)) + "\n",
        "a row of 10,000 cells": HEADER + "\n" + good[0] + "," * 10_000 + "\n",
        "a month that is not a month": HEADER + "\n" + good[0].replace("2025-01", "January-ish") + "\n",
        "escape sequences in the column names": HEADER.replace("Crime ID", "Crime\x1b[2J ID").replace("Month", "Mo\x00nth")
        + "\n" + "\n".join(good) + "\n",
        "a C1 control in a reference": HEADER + "\n" + _row(_ref(11)[:-1] + "\x9b") + "\n",
    }
    out = [(name, value.encode("utf-8")) for name, value in text.items()]
    out += [
        ("a UTF-16 file holding one NUL", "\x00".encode("utf-16")),  # found by hypothesis: its column echoed raw
        ("binary junk", bytes(range(256)) * 40),
        ("NUL bytes", (HEADER + "\n" + good[0] + "\x00\x00\n").encode()),
        ("UTF-8 and cp1252 mixed", (HEADER + "\n" + _row(_ref(11), lsoa="Zürich")).encode("utf-8") + b"\n"
         + _row(_ref(12), lsoa="Z\xfcrich").encode("latin-1") + b"\n"),
        ("UTF-16 with a byte-order mark", (HEADER + "\n" + "\n".join(good) + "\n").encode("utf-16")),
        ("a ZIP that is not a workbook", _zip_bytes()),
        ("a 10 MB field without quotes", (HEADER + "\n" + _row("x" * 10_000_000) + "\n").encode()),
    ]
    return out


RESPONSES_HEADER = "file_ref,item_id,answer,note,reviewer,role"


def responses(ref: str) -> list[tuple[str, bytes]]:
    """Bad responses files for an audit with ``ref`` in its sample."""
    line = f"{ref},A1,M,,Ria Reviewer,primary"
    text = {
        "empty file": "",
        "header only": RESPONSES_HEADER + "\n",
        "missing columns": "file_ref,item_id\n" + f"{ref},A1\n",
        "a file not in the sample": RESPONSES_HEADER + "\n" + "zzz,A1,M,,Ria Reviewer,primary\n",
        "an unknown item": RESPONSES_HEADER + "\n" + f"{ref},Z99,M,,Ria Reviewer,primary\n",
        "an unknown answer": RESPONSES_HEADER + "\n" + f"{ref},A1,MAYBE,,Ria Reviewer,primary\n",
        "an unknown role": RESPONSES_HEADER + "\n" + f"{ref},A1,M,,Ria Reviewer,third\n",
        "no reviewer": RESPONSES_HEADER + "\n" + f"{ref},A1,M,,,primary\n",
        "a profile field that does not exist": RESPONSES_HEADER + "\n" + f"{ref},profile.nothing,yes,,Ria Reviewer,primary\n",
        "a profile value of the wrong type": RESPONSES_HEADER + "\n" + f"{ref},profile.reported,yesterday,,Ria Reviewer,primary\n",
        "conflicting duplicates": RESPONSES_HEADER + "\n" + line + "\n" + f"{ref},A1,N,why,Ria Reviewer,primary\n",
        "an unclosed quote": RESPONSES_HEADER + "\n" + f'{ref},A1,M,"never closed,Ria Reviewer,primary\n' + line + "\n",
        "a NUL in a note": RESPONSES_HEADER + "\n" + f"{ref},A1,N,bad\x00note,Ria Reviewer,primary\n",
        "an escape sequence in a note": RESPONSES_HEADER + "\n" + f"{ref},A1,N,\x1b[2Jcleared,Ria Reviewer,primary\n",
        "a note over the limit": RESPONSES_HEADER + "\n" + f"{ref},A1,N," + "n" * 1_100_000 + ",Ria Reviewer,primary\n",
        "long rows": RESPONSES_HEADER + "\n" + line + ",surplus\n",
        "short rows": RESPONSES_HEADER + "\n" + f"{ref},A1,M\n",
    }
    out = [(name, value.encode("utf-8")) for name, value in text.items()]
    out += [("binary junk", bytes(range(256)) * 10),
            ("UTF-8 and cp1252 mixed", (RESPONSES_HEADER + "\n" + f"{ref},A1,N,Zürich,Ria Reviewer,primary\n").encode()
             + f"{ref},A2,N,Z\xfcrich,Ria Reviewer,primary\n".encode("latin-1"))]
    return out


def checklists(minimal: str) -> list[tuple[str, bytes]]:
    """Bad checklist files, from the tests' minimal checklist."""
    text = {
        "empty file": "",
        "not YAML": "{[}: :\n\t- -",
        "a list, not a mapping": "- 1\n- 2\n",
        "a NaN weight": minimal.replace("weight: 1", "weight: .nan", 1),
        "an infinite default": minimal.replace("default: 2", "default: .inf", 1),
        "a look-alike identifier": minimal.replace("id: video", "id: ｖideo", 1),
        "an escape sequence in an id": minimal.replace("id: A1", "id: \"A\\e[31m1\"", 1),
        "nesting 100 deep": "a: " + "[" * 100 + "]" * 100 + "\n",
        "an alias bomb": "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
            f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8)),
        "a Python object tag": "!!python/object/apply:os.system ['echo hacked']\n",
        "an expression calling a function": minimal.replace("applies_when: video", "applies_when: __import__('os')", 1),
        "five megabytes": minimal + "#" + "x" * 5_000_000 + "\n",
        "tens of thousands of entries under the size limit": minimal + "padding:\n" + "".join(
            f"  - {{id: Q{i}, w: 1}}\n" for i in range(30_000)),
    }
    out = [(name, value.encode("utf-8")) for name, value in text.items()]
    out += [("binary junk", bytes(range(256)) * 10), ("UTF-16", minimal.encode("utf-16"))]
    return out


if __name__ == "__main__":  # python tests/bad_inputs.py FOLDER: write the corpus out to look at
    folder = Path(sys.argv[1])
    minimal_text = (Path(__file__).parent / "checklists" / "minimal.yaml").read_text(encoding="utf-8")
    for kind, corpus in (("population", populations()), ("responses", responses(REF)),
                         ("checklist", checklists(minimal_text))):
        (folder / kind).mkdir(parents=True, exist_ok=True)
        for name, data in corpus:
            (folder / kind / (name.replace(" ", "-").replace(",", "") + ".txt")).write_bytes(data)
