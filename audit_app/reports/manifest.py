"""The provenance manifest a report carries in its PDF metadata, and the seal over the whole file.

Writing: the manifest (what the report was produced from: the audit, its trail head, its checklist,
the hashes of the data its figures derive from) goes into the PDF's document information
dictionary under :data:`KEY`, as ASCII JSON with sorted keys. Its ``report_sha256`` is first a
placeholder of 64 zeros; once the file is written, :func:`seal` hashes the whole file as written
(placeholder in place) and puts that digest where the placeholder was.

Checking: :func:`read` finds the manifest through a PDF parser (pypdf), so it is found wherever the
dictionary sits; :func:`digest_problem` puts the zeros back in place of the digest in the file's
bytes and hashes them again. Any change to the file after audit-app wrote it (a byte changed, an
incremental update appended, a rewrite by another program) gives another digest.

No SQL and no Qt: the services gather the manifest; this module only embeds, seals and reads it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from reportlab.pdfbase.pdfdoc import PDFDictionary, PDFInfo, PDFString

KEY = "AuditAppManifest"  # the custom key of the PDF information dictionary
DIGEST_FIELD = "report_sha256"
PLACEHOLDER = "0" * 64


class ReportFileError(Exception):
    """A file that cannot be checked as a report: not a PDF, unreadable, or without a manifest.
    The message is one sentence for the user."""


def encode(manifest: dict[str, Any]) -> str:
    """The manifest as it is embedded: ASCII JSON, sorted keys, no spaces, digest as the placeholder."""
    body = dict(manifest)
    body[DIGEST_FIELD] = PLACEHOLDER
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


def _field(digest: str) -> bytes:
    """The digest's field as it appears in the file's bytes (JSON quotes are not escaped in a PDF string)."""
    return f'"{DIGEST_FIELD}":"{digest}"'.encode("ascii")


class ManifestInfo(PDFInfo):
    """reportlab's document information dictionary (title, author, subject, keywords, creator,
    dates) with the manifest added under :data:`KEY`. PDFInfo.format writes a fixed list of keys,
    so this formats the same dictionary and adds one."""

    manifest = ""

    def format(self, document: Any) -> bytes:
        if not self.manifest:
            formatted: bytes = super().format(document)
            return formatted
        # the same entries as PDFInfo.format, and the manifest
        entries = _info_entries(self, document)
        entries[KEY] = PDFString(self.manifest)
        result: bytes = PDFDictionary(entries).format(document)
        return result


def _info_entries(info: PDFInfo, document: Any) -> dict[str, Any]:
    from reportlab.pdfbase.pdfdoc import PDFDate, PDFName

    entries: dict[str, Any] = {
        "Title": PDFString(info.title), "Author": PDFString(info.author),
        "Producer": PDFString(info.producer), "Creator": PDFString(info.creator),
        "Subject": PDFString(info.subject), "Keywords": PDFString(info.keywords),
        "Trapped": PDFName(info.trapped),
    }
    entries["ModDate"] = entries["CreationDate"] = PDFDate(ts=document._timeStamp, dateFormatter=info._dateFormatter)
    return entries


def install(canvas: Any, manifest_text: str) -> None:
    """Put the manifest into ``canvas``'s document information (call before the canvas is saved)."""
    current = canvas._doc.info
    info = ManifestInfo()
    info.__dict__.update(current.__dict__)
    info.manifest = manifest_text
    canvas._doc.info = info


def seal(path: str | Path) -> str:
    """Replace the placeholder digest in the written PDF at ``path`` with the SHA-256 of the file's
    bytes as written (placeholder in place). Returns the digest.

    :raises ValueError: when the placeholder is not in the file exactly once (a bug).
    """
    target = Path(path)
    data = target.read_bytes()
    needle = _field(PLACEHOLDER)
    found = data.count(needle)
    if found != 1:
        raise ValueError(f"the report's digest placeholder occurs {found} times in the PDF, not once")
    digest = hashlib.sha256(data).hexdigest()
    at = data.index(needle)
    with target.open("r+b") as handle:
        handle.seek(at)
        handle.write(_field(digest))
    return digest


def read(path: str | Path) -> dict[str, Any]:
    """The manifest embedded in the PDF at ``path``.

    :raises ReportFileError: when the file cannot be read, is not a PDF, or has no manifest.
    """
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    source = Path(path)
    try:
        with source.open("rb") as handle:
            start = handle.read(1024)
    except OSError as exc:
        raise ReportFileError(f"Cannot read {source}: {exc.strerror or exc}.") from None
    if b"%PDF-" not in start:
        raise ReportFileError(f"{source} is not a PDF file.")
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged file is reported below, in one sentence
    try:
        reader = PdfReader(str(source))
        info = reader.metadata
        raw = info.get("/" + KEY) if info is not None else None
    except (PdfReadError, OSError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise ReportFileError(f"{source} is not a readable PDF file ({str(exc).strip() or type(exc).__name__}).") from None
    if raw is None:
        if f"/{KEY}".encode("ascii") in source.read_bytes():  # a manifest hidden by a later revision
            raise ReportFileError(f"{source} was altered after audit-app wrote it: its manifest is no longer in force.")
        raise ReportFileError(f"{source} is not a report written by audit-app (no manifest).")
    try:
        manifest = json.loads(str(raw))
    except ValueError:
        raise ReportFileError(f"{source} has an audit-app manifest that is not valid JSON: it was altered.") from None
    if not isinstance(manifest, dict):
        raise ReportFileError(f"{source} has an audit-app manifest that is not a JSON object: it was altered.")
    return manifest


def digest_problem(path: str | Path, manifest: dict[str, Any]) -> str | None:
    """Why the file's bytes are not those audit-app sealed (None when they are)."""
    digest = str(manifest.get(DIGEST_FIELD, ""))
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest) or digest == PLACEHOLDER:
        return "The PDF was altered after audit-app wrote it: its manifest carries no valid content digest."
    data = Path(path).read_bytes()
    needle = _field(digest)
    if data.count(needle) != 1:
        return ("The PDF was altered after audit-app wrote it: it was saved again by another program "
                "(its content digest is no longer where audit-app put it).")
    if hashlib.sha256(data.replace(needle, _field(PLACEHOLDER))).hexdigest() != digest:
        return "The PDF was altered after audit-app wrote it: its content no longer matches its content digest."
    return None
