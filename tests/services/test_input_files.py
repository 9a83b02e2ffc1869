"""Population files that would otherwise lose or garble data without a word: CSV text is decoded as
UTF-8, Windows-1252 or by its byte-order mark, never a file that mixes UTF-8 with Windows-1252 (which
no one encoding reads without garbling "Zürich" into "ZÃ¼rich"); rows run together by a stray quote
are rejected with their numbers or refused; a cell too long is named as such."""

from __future__ import annotations

import pytest

from audit_app.core.population.files import decode_text_file
from audit_app.errors import PopulationError

ROWS = "ref,area\nR1,Zürich\nR2,Café\n"


def test_utf8_is_read_as_utf8():
    assert decode_text_file("a.csv", ROWS.encode("utf-8")) == (ROWS, "utf-8")


def test_windows_1252_is_read_as_windows_1252():
    # bytes written by Excel's "CSV" on an English Windows: ü is 0xFC, é is 0xE9
    assert decode_text_file("a.csv", ROWS.encode("cp1252")) == (ROWS, "cp1252")


def test_a_byte_order_mark_decides():
    assert decode_text_file("a.csv", ROWS.encode("utf-16"))[0] == ROWS  # Python writes the byte-order mark
    assert decode_text_file("a.csv", b"\xef\xbb\xbf" + ROWS.encode("utf-8"))[0] == ROWS


@pytest.mark.parametrize("order", ["utf8 first", "cp1252 first"])
def test_a_file_mixing_utf8_and_windows_1252_is_refused_naming_both_bytes(order):
    utf8, cp1252 = "R1,Zürich\n".encode("utf-8"), "R2,Café\n".encode("cp1252")
    data = b"ref,area\n" + (utf8 + cp1252 if order == "utf8 first" else cp1252 + utf8)
    with pytest.raises(PopulationError, match=r"mixes UTF-8 text \(at byte \d+\) with text that is not UTF-8"):
        decode_text_file("mixed.csv", data)


def test_binary_data_and_nul_bytes_are_refused():
    with pytest.raises(PopulationError, match="binary data"):
        decode_text_file("x.csv", bytes(range(256)) * 4)
    with pytest.raises(PopulationError, match="NUL byte"):
        decode_text_file("x.csv", b"ref,area\n" + b"R1,abc\n" * 20_000 + b"R2,a\x00b\n")  # past the first 64 KB


def test_a_population_import_of_a_mixed_file_is_refused_and_imports_nothing(tmp_path):
    from audit_app.services import population
    from audit_app.services.audits import create_audit

    source = tmp_path / "mixed.csv"
    source.write_bytes("Crime ID,Crime type,LSOA name\nA1,Burglary,Zürich\n".encode("utf-8")
                       + "A2,Burglary,Café\n".encode("cp1252"))
    with create_audit(tmp_path / "a.audit", "neighbourhood-crime", "Mixed") as audit:
        with pytest.raises(PopulationError, match="mixes UTF-8"):
            population.import_population(audit, source, preset="police-uk")
        assert audit.db.execute("SELECT count(*) FROM unit").fetchone()[0] == 0


# -- rows run together, and cells too long (issue 12 §4)


def _import(tmp_path, text):
    from audit_app.services import population
    from audit_app.services.audits import create_audit

    source = tmp_path / "p.csv"
    source.write_text(text, encoding="utf-8")
    with create_audit(tmp_path / "p.audit", "neighbourhood-crime", "Rows") as audit:
        return population.import_population(audit, source, preset="police-uk")


HEAD = "Crime ID,Month,Crime type,LSOA name,Last outcome category\n"


def test_a_quote_closed_rows_later_rejects_the_run_on_row_with_its_number(tmp_path):
    result = _import(tmp_path, HEAD + 'A1,2025-01,Burglary,X,o\nA2,2025-01,"Burglary,Y,o\nA3,2025-01,Robbery,Z,o\n'
                     'A4,2025-01,Robbery",W,o\nA5,2025-01,Robbery,V,o\n')
    assert result.imported == 2  # A1 and A5; A3 and A4 were read into A2's cell and are not silently imported
    ((row, ref, reason),) = result.rejections
    assert row == 3 and ref == "A2" and "2 line break(s)" in reason


def test_a_quote_never_closed_is_refused_in_a_sentence(tmp_path):
    with pytest.raises(PopulationError, match=r"ends \(line \d+\) inside a quoted cell"):
        _import(tmp_path, HEAD + 'A1,2025-01,Burglary,X,o\nA2,2025-01,"Burglary,Y,o\nA3,2025-01,Robbery,Z,o\n')


def test_a_ten_megabyte_cell_without_quotes_is_named_as_too_long_not_as_a_quote(tmp_path):
    with pytest.raises(PopulationError) as raised:
        _import(tmp_path, HEAD + "A1,2025-01,Burglary," + "x" * 10_000_000 + ",o\n")
    assert "longer than 131,072 characters" in str(raised.value) and "quote" not in str(raised.value)


def test_a_reference_longer_than_any_reference_is_rejected(tmp_path):
    result = _import(tmp_path, HEAD + "A1,2025-01,Burglary,X,o\n" + "R" * 1005 + ",2025-01,Robbery,Y,o\n")
    assert result.imported == 1
    ((row, _, reason),) = result.rejections
    assert row == 3 and "1,005 characters is not a reference" in reason
