"""verify --head: a trail head written down earlier anchors the trail, so an attacker who edits the
file and re-hashes the whole chain (the algorithm is public) is caught; verify --json keeps the keys of
the command-line contract."""

from __future__ import annotations

import json
import sqlite3

import pytest
from synthetic_audit import build

from audit_app.cli import main
from audit_app.store.events import entry_hash, GENESIS


@pytest.fixture
def audit_path(tmp_path):
    return build(tmp_path / "h.audit", files=8, double=0, seed=4).path


def _verify_json(capsys, *argv):
    capsys.readouterr()
    code = main(["verify", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def _rehash(path, seq, change):
    """Change entry ``seq`` and re-hash it and every later entry, as an attacker with the file could."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    rows = conn.execute("SELECT seq, at, actor, action, entity, entity_id, detail, reason, os_account, host"
                        " FROM event ORDER BY seq").fetchall()
    prev = GENESIS
    conn.execute("BEGIN")
    conn.execute("DROP TRIGGER event_no_update")  # the append-only guard is in the file too: an attacker drops it
    for row in rows:
        row = list(row)
        if row[0] == seq:
            row = change(row)
        digest = entry_hash(prev, *row[:8], row[8], row[9])
        conn.execute("UPDATE event SET actor = ?, reason = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                     [row[2], row[7], prev, digest, row[0]])
        prev = digest
    conn.execute("CREATE TRIGGER event_no_update BEFORE UPDATE ON event"
                 " BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: events cannot be changed'); END")
    conn.execute("COMMIT")
    conn.close()


def test_json_has_the_contract_keys_and_a_head_that_verifies(audit_path, capsys):
    code, data = _verify_json(capsys, str(audit_path))
    assert code == 0 and data["intact"] is True and data["findings"] == []
    assert len(data["head"]) == 64 and data["events"] > 0
    code, again = _verify_json(capsys, str(audit_path), "--head", data["head"])
    assert code == 0 and again["intact"]


def test_a_rehashed_trail_passes_the_chain_but_not_the_recorded_head(audit_path, capsys):
    _, before = _verify_json(capsys, str(audit_path))

    def blame_someone_else(row):
        row[2] = "Somebody Else"
        return row

    _rehash(audit_path, 3, blame_someone_else)
    code, chain_only = _verify_json(capsys, str(audit_path))
    assert not any(f["where"] == "event log" for f in chain_only["findings"])  # the chain itself is consistent again
    code, anchored = _verify_json(capsys, str(audit_path), "--head", before["head"])
    assert code == 1 and not anchored["intact"]
    assert any(f["where"] == "head" and before["head"] in f["what"] for f in anchored["findings"])


def test_a_head_that_is_not_a_hash_is_a_finding_not_a_crash(audit_path, capsys):
    code, data = _verify_json(capsys, str(audit_path), "--head", "not-a-hash")
    assert code == 1 and data["findings"][0]["where"] == "head"


@pytest.mark.parametrize("content, says", [
    (b"", "is empty"),
    (b"\x00\x17garbage" * 400, "truncated or not an audit file"),
    (None, "No audit file"),
], ids=["empty", "garbage", "missing"])
def test_a_file_that_cannot_be_opened_still_answers_in_the_contracts_keys(tmp_path, capsys, content, says):
    path = tmp_path / "x.audit"
    if content is not None:
        path.write_bytes(content)
    code, report = _verify_json(capsys, str(path))
    assert code == 1
    assert report["intact"] is False and report["events"] == 0 and report["head"] == ""
    assert [f["where"] for f in report["findings"]] == ["file"] and says in report["findings"][0]["what"]
    if content is not None:
        assert path.read_bytes() == content and sorted(p.name for p in tmp_path.iterdir()) == ["x.audit"]
