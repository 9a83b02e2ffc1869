"""Provenance you can check (issue 11): a report's manifest, its content digest, and
``audit-app report verify REPORT.pdf AUDIT`` against the audit as it stands.

Expected values come from outside the code under test: the trail head and the first entry's hash
read with sqlite3, the digest recomputed here from the file's bytes, the manifest read with pypdf.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
from dataclasses import replace
from pathlib import Path

import pdf_tools
import pytest
from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph
from synthetic_audit import build

from audit_app.cli import main
from audit_app.errors import AuditError
from audit_app.reports.document import DocumentInfo, make_styles, write_pdf
from audit_app.services import moderation, provenance, reports, settings, workspace
from audit_app.services.audits import backup, create_audit, open_audit
from audit_app.services.reviews import reviewers, review_state, set_answer, sign_off


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("provenance") / "p.audit", files=8, double=4, seed=11).path


@pytest.fixture
def audit_path(built: Path, tmp_path: Path) -> Path:
    """A fresh copy of the audit for each test (each test changes it its own way)."""
    copy = tmp_path / "a.audit"
    backup(built, copy)
    return copy


def _head(path: Path) -> tuple[int, str]:
    with sqlite3.connect(path) as connection:
        seq, digest = connection.execute("SELECT seq, hash FROM event ORDER BY seq DESC LIMIT 1").fetchone()
    return seq, digest


def _single_refs(path: Path) -> list[str]:
    with open_audit(path) as audit:
        return [f.ref for f in workspace.overview(audit) if f.primary_id and f.second_id is None]


def _file_report(path: Path, refs: list[str], out: Path) -> Path:
    with open_audit(path) as audit:
        return reports.write_file_reports(audit, refs, out, marking="OFFICIAL")


def _audit_wide(path: Path, out: Path) -> Path:
    """A PDF carrying the whole-audit manifest (the audit report itself is written elsewhere)."""
    with open_audit(path) as audit:
        manifest = provenance.manifest(audit, provenance.AUDIT_REPORT)
    return write_pdf(out, DocumentInfo("Audit report", "Lee Lead", "An audit"),
                     [Paragraph("The audit report", make_styles().body)], manifest=manifest)


def _verify(pdf: Path, audit: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    code = main(["report", "verify", str(pdf), str(audit), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def _manifest(pdf: Path) -> dict:
    return json.loads(str(PdfReader(str(pdf)).metadata["/AuditAppManifest"]))


# -- the manifest and the digest


def test_the_manifest_records_what_the_report_was_produced_from(audit_path: Path, tmp_path: Path) -> None:
    refs = _single_refs(audit_path)[:2]
    pdf = _file_report(audit_path, refs, tmp_path / "r.pdf")
    manifest = _manifest(pdf)
    with sqlite3.connect(audit_path) as connection:
        first = connection.execute("SELECT hash FROM event WHERE seq = 1").fetchone()[0]
        title, sha = connection.execute("SELECT title, checklist_sha256 FROM audit").fetchone()
        batch = connection.execute("SELECT sha256 FROM import_batch").fetchall()
        frame, seed = connection.execute("SELECT frame_sha256, seed FROM sampling_plan").fetchone()
    count, head = _head(audit_path)
    assert manifest["kind"] == "file reports" and manifest["refs"] == refs
    assert manifest["audit"]["first_event"] == first and manifest["audit"]["title"] == title
    assert manifest["trail"] == {"events": count, "head": head}
    assert manifest["checklist"]["sha256"] == sha
    assert manifest["population"]["imports"] == [row[0] for row in batch]
    assert manifest["sample"] == {"frame_sha256": frame, "seed": seed}
    assert set(manifest["sources"]) == {"sample", "reviews", "profiles", "answers", "moderation", "settings"}
    # the metadata tests of the foundation still hold beside the manifest
    info = pdf_tools.info(pdf)
    assert info["Title"].startswith("File review reports: 2 files") and info["Author"] and info["Keywords"]


def test_the_digest_is_the_sha256_of_the_file_with_zeros_in_its_place(audit_path: Path, tmp_path: Path) -> None:
    pdf = _file_report(audit_path, _single_refs(audit_path)[:1], tmp_path / "r.pdf")
    data = pdf.read_bytes()
    digest = _manifest(pdf)["report_sha256"]
    assert re.fullmatch(r"[0-9a-f]{64}", digest) and data.count(digest.encode()) == 1
    assert hashlib.sha256(data.replace(digest.encode(), b"0" * 64)).hexdigest() == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.audit", "r.pdf"]  # sealed before the move: no temporary left


def test_file_reports_of_other_files_hash_other_sources(audit_path: Path, tmp_path: Path) -> None:
    refs = _single_refs(audit_path)
    one = _manifest(_file_report(audit_path, refs[:1], tmp_path / "one.pdf"))["sources"]
    two = _manifest(_file_report(audit_path, refs[1:2], tmp_path / "two.pdf"))["sources"]
    assert one["answers"] != two["answers"] and one["settings"] == two["settings"]


# -- report verify


def test_an_unchanged_audit_matches(audit_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pdf = _file_report(audit_path, _single_refs(audit_path)[:2], tmp_path / "r.pdf")
    count, head = _head(audit_path)
    code, out, err = _verify(pdf, audit_path, capsys)
    assert code == 0, out + err
    assert out.splitlines()[0] == f"The report matches the audit as it stands: trail head {head} ({count} events)."
    code, out, _ = _verify(pdf, audit_path, capsys, "--json")
    result = json.loads(out)
    assert code == 0 and result["matches"] is True and result["findings"] == []
    assert result["report"]["trail"] == {"events": count, "head": head}


def test_the_whole_audit_manifest_matches_then_not_after_an_answer(audit_path: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    pdf = _audit_wide(audit_path, tmp_path / "audit.pdf")
    assert _verify(pdf, audit_path, capsys)[0] == 0
    ref = _change_an_answer(audit_path)
    code, out, _ = _verify(pdf, audit_path, capsys)
    assert code == 1 and "answers changed after the report on 1 file" in out and ref in out


def _change_an_answer(path: Path, ref: str | None = None) -> str:
    with open_audit(path) as audit:
        file = next(f for f in workspace.overview(audit) if f.primary_id and f.second_id is None
                    and (ref is None or f.ref == ref))
        assert file.primary_id is not None
        answers = review_state(audit, file.primary_id).answers
        item = sorted(answers)[0]
        set_answer(audit, file.primary_id, item, replace(answers[item], note="Changed after the report."))
    return file.ref


def test_an_answer_changed_after_the_report_is_named(audit_path: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    refs = _single_refs(audit_path)
    pdf = _file_report(audit_path, refs[:2], tmp_path / "r.pdf")
    count, _ = _head(audit_path)
    _change_an_answer(audit_path, refs[0])
    code, out, err = _verify(pdf, audit_path, capsys)
    assert code == 1 and "Traceback" not in err
    assert out.splitlines()[0] == "The report does not match the audit: 1 finding(s)."
    assert f"The audit changed after the report: 1 event since its trail head" in out
    assert f"entry {count}" in out and f"answers changed after the report on 1 file ('{refs[0]}')" in out
    assert f"Of the files in this report, '{refs[0]}' changed." in out


def test_a_change_to_another_file_is_said_not_to_concern_the_report(audit_path: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    refs = _single_refs(audit_path)
    pdf = _file_report(audit_path, refs[:1], tmp_path / "r.pdf")
    _change_an_answer(audit_path, refs[1])
    code, out, _ = _verify(pdf, audit_path, capsys)
    assert code == 1 and "None of the changes concern the files in this report." in out


def test_a_sign_off_after_the_report(audit_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ref = _single_refs(audit_path)[0]
    pdf = _file_report(audit_path, [ref], tmp_path / "r.pdf")
    with open_audit(audit_path) as audit:
        lead = next(r for r in reviewers(audit) if r.name == "Lee Lead")
        file = next(f for f in workspace.overview(audit) if f.ref == ref)
        assert file.primary_id is not None
        sign_off(audit, file.primary_id, lead, "L1")
    code, out, _ = _verify(pdf, audit_path, capsys)
    assert code == 1 and "1 review signed off" in out and f"'{ref}' changed" in out


def test_another_audit(audit_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pdf = _file_report(audit_path, _single_refs(audit_path)[:1], tmp_path / "r.pdf")
    other = tmp_path / "other.audit"
    create_audit(other, "neighbourhood-crime", "Another audit").close()
    code, out, _ = _verify(pdf, other, capsys)
    assert code == 1 and "The report was produced from another audit: 'Synthetic disproportionate audit" in out
    assert "this audit is 'Another audit'" in out


def test_a_different_checklist_is_found_and_so_is_the_tampering(audit_path: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    pdf = _file_report(audit_path, _single_refs(audit_path)[:1], tmp_path / "r.pdf")
    with sqlite3.connect(audit_path) as connection:
        connection.execute("UPDATE audit SET checklist_sha256 = ?", ["ab" * 32])
    code, out, _ = _verify(pdf, audit_path, capsys)
    assert code == 1 and "different checklist" in out and "SHA-256 abababababababab…" in out
    assert "The audit itself is not intact" in out  # the record no longer equals what its creation recorded


def _altered(pdf: Path, capsys: pytest.CaptureFixture[str], audit_path: Path) -> str:
    code, out, err = _verify(pdf, audit_path, capsys)
    assert code == 1 and "Traceback" not in err, out + err
    assert "The PDF was altered after audit-app wrote it" in out + err
    return out + err


def test_a_byte_changed_in_a_page_is_found(audit_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pdf = _file_report(audit_path, _single_refs(audit_path)[:1], tmp_path / "r.pdf")
    data = bytearray(pdf.read_bytes())
    at = data.index(b"stream", data.index(b"/Contents")) + 20  # inside a page's content stream
    data[at] ^= 0x01
    pdf.write_bytes(bytes(data))
    _altered(pdf, capsys, audit_path)


def test_an_appended_update_is_found(audit_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pdf = _file_report(audit_path, _single_refs(audit_path)[:1], tmp_path / "r.pdf")
    with pdf.open("ab") as handle:
        handle.write(b"\n% an incremental update\n")
    _altered(pdf, capsys, audit_path)


def test_a_pdf_saved_again_by_qpdf_is_found(audit_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pdf_tools.need("qpdf")
    pdf = _file_report(audit_path, _single_refs(audit_path)[:1], tmp_path / "r.pdf")
    again = tmp_path / "again.pdf"
    subprocess.run(["qpdf", str(pdf), str(again)], check=True)
    assert _manifest(again) == _manifest(pdf)  # the manifest survives the rewrite; the digest does not
    _altered(again, capsys, audit_path)


def test_a_pdf_without_a_manifest(audit_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = tmp_path / "plain.pdf"
    canvas = Canvas(str(plain))
    canvas.drawString(100, 700, "Not from audit-app")
    canvas.save()
    code, out, err = _verify(plain, audit_path, capsys)
    assert code == 1 and out == ""
    assert err.strip() == f"audit-app: {plain} is not a report written by audit-app (no manifest)."
    with open_audit(audit_path) as audit, pytest.raises(AuditError, match="no manifest"):
        provenance.check_report(audit, plain)


@pytest.mark.parametrize("content", [b"Just some text\n", b"", b"%PDF-1.4\n garbage with no objects"])
def test_not_a_pdf(audit_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(content)
    code, _, err = _verify(bad, audit_path, capsys)
    assert code == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert str(bad) in err


def test_a_missing_report(audit_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _verify(tmp_path / "none.pdf", audit_path, capsys)
    assert code == 1 and "Cannot read" in err and "Traceback" not in err


def test_a_trail_rewritten_behind_the_report(audit_path: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    pdf = _file_report(audit_path, _single_refs(audit_path)[:1], tmp_path / "r.pdf")
    count, head = _head(audit_path)
    with sqlite3.connect(audit_path) as connection:
        connection.execute("DROP TRIGGER event_no_delete")
        connection.execute("DELETE FROM event WHERE seq = ?", [count])
    code, out, _ = _verify(pdf, audit_path, capsys)
    assert code == 1
    assert f"The audit trail no longer extends the report's trail head ({head[:16]}…, entry {count})" in out


def test_data_changed_outside_the_trail(audit_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ref = _single_refs(audit_path)[0]
    pdf = _file_report(audit_path, [ref], tmp_path / "r.pdf")
    with sqlite3.connect(audit_path) as connection:
        connection.execute(
            "UPDATE answer SET note = 'edited by hand' WHERE (review_id, item) = (SELECT a.review_id, a.item FROM answer a"
            " JOIN review r ON r.id = a.review_id JOIN unit u ON u.id = r.unit_id WHERE u.ref = ? LIMIT 1)", [ref])
    assert _head(audit_path)[1] == _manifest(pdf)["trail"]["head"]
    code, out, _ = _verify(pdf, audit_path, capsys)
    assert code == 1 and "changed outside the audit trail" in out and "the answers differ" in out
    assert "audit-app verify" in out and "The audit itself is not intact" in out


def test_verify_reads_while_the_gui_holds_the_audit(audit_path: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    pdf = _file_report(audit_path, _single_refs(audit_path)[:1], tmp_path / "r.pdf")
    lock = audit_path.with_name(audit_path.name + ".lock")
    lock.write_text(f"{os.getpid()}\naudit-app\n{socket.gethostname()}\n", encoding="utf-8")  # QLockFile's format
    assert _verify(pdf, audit_path, capsys)[0] == 0


@pytest.mark.parametrize("argv", [
    ["report", "verify", "r.pdf"],
    ["report", "verify", "r.pdf", "a.audit", "extra"],
    ["report", "verify", "r.pdf", "a.audit", "--out", "x.pdf"],
    ["report", "a.audit"],  # writing needs --out
    ["report", "a.audit", "b.audit", "--out", "x.pdf"],
])
def test_report_usage_errors_are_exit_2(argv: list[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2


def test_an_audit_file_named_verify_can_still_be_reported(audit_path: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(audit_path, tmp_path / "verify")
    ref = _single_refs(audit_path)[0]
    assert main(["report", "verify", "--out", "r.pdf", "--file", ref]) == 0
    assert main(["report", "verify", "r.pdf", "verify"]) == 0


def test_settings_and_moderation_after_the_report_are_summarised(audit_path: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    pdf = _audit_wide(audit_path, tmp_path / "audit.pdf")
    with open_audit(audit_path) as audit:
        lead = next(r for r in reviewers(audit) if r.name == "Lee Lead")
        settings.change_settings(audit, lead, marking="OFFICIAL", reason="test")
        pending = [f.ref for f in workspace.overview(audit) if f.second_id is not None
                   and moderation.compare(audit, f.ref).open_differences]
        assert pending, "the synthetic audit (seed 11) leaves differences open on some double-reviewed files"
        difference = moderation.compare(audit, pending[0]).open_differences[0]
        moderation.record_agreed(audit, pending[0], difference.target, difference.primary, "Agreed.", lead)
    code, out, _ = _verify(pdf, audit_path, capsys)
    assert code == 1 and "1 change to the audit settings" in out
    assert "1 moderation decision" in out
