"""How CSV text is decoded (population files and responses files alike): UTF-8, Windows-1252, a
byte-order mark — and never a file that mixes UTF-8 with Windows-1252, which no one encoding reads
without garbling ("Zürich" stored as "ZÃ¼rich")."""

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
