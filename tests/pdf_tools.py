"""Reading PDFs back in tests with the poppler and qpdf command-line tools (skipped without them)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

BASE_14 = ("Helvetica", "Times", "Courier", "Symbol", "ZapfDingbats")


def need(*tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (Debian: poppler-utils, qpdf)")


def _run(*argv: str) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


def pages(path: Path) -> int:
    need("pdfinfo")
    line = next(line for line in _run("pdfinfo", str(path)).splitlines() if line.startswith("Pages:"))
    return int(line.split()[1])


def text(path: Path, page: int | None = None) -> str:
    need("pdftotext")
    span = ["-f", str(page), "-l", str(page)] if page else []
    return _run("pdftotext", "-enc", "UTF-8", *span, str(path), "-")


def page_texts(path: Path) -> list[str]:
    """The text of every page (pdftotext separates pages with a form feed)."""
    return text(path).split("\f")[: pages(path)]


def fonts(path: Path) -> list[dict[str, str]]:
    """pdffonts' table: name, type and whether each font is embedded."""
    need("pdffonts")
    rows = _run("pdffonts", str(path)).splitlines()[2:]
    out = []
    for row in rows:
        parts = row.split()
        # name type... encoding emb sub uni object ID: the last five columns are fixed
        out.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4], "uni": parts[-3]})
    return out


def qpdf_check(path: Path) -> subprocess.CompletedProcess[str]:
    need("qpdf")
    return subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)


def outline(path: Path) -> list[dict[str, Any]]:
    """The top level of the PDF outline: title and 1-based destination page of each entry."""
    need("qpdf")
    data = json.loads(_run("qpdf", "--json", "--json-key=outlines", str(path)))
    return [{"title": entry["title"], "page": entry["destpageposfrom1"], "kids": entry["kids"]}
            for entry in data["outlines"]]


def info(path: Path) -> dict[str, str]:
    need("pdfinfo")
    out = {}
    for line in _run("pdfinfo", str(path)).splitlines():
        key, _, value = line.partition(":")
        out[key.strip()] = value.strip()
    return out
