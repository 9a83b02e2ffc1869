"""Writers respect each other (issue 12 §2, §5): two processes saving answers at the same moment lose
no acknowledged write and leave a trail that verifies. (The command line against an open GUI:
tests/ui/test_cli_respects_gui_lock.py.)"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT
from review_data import audit_with_reviews

from audit_app.services.audits import open_audit
from audit_app.services.verification import verify
from audit_app.store import reviews as review_store

SAVES = 600  # per writer: enough for the two to overlap (checked below)

WRITER = textwrap.dedent("""
    import sys, time
    from audit_app.core.records import Answer
    from audit_app.services.audits import open_audit
    from audit_app.services.reviews import set_answer
    path, review_id, saves, items = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].split(",")
    with open_audit(path) as audit:
        print("ready", flush=True)
        assert sys.stdin.readline().strip() == "go"  # both start together
        print(f"{time.monotonic()} start -1", flush=True)
        for n in range(saves):
            item = items[n % len(items)]
            set_answer(audit, review_id, item, Answer("MN"[n % 2], note=f"writer {review_id} save {n}"))
            print(f"{time.monotonic()} {item} {n}", flush=True)  # acknowledged: its transaction has returned
""")


@pytest.fixture
def two_reviews(tmp_path):
    return audit_with_reviews(tmp_path, [("Kim Reviewer", "K1"), ("Lou Reviewer", "L2")])


def test_two_writer_processes_lose_nothing_and_the_trail_verifies(two_reviews):
    path, review_ids, items = two_reviews
    children = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(review_id), str(SAVES), ",".join(items)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
                for review_id in review_ids]
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready", child.stderr
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    acknowledged: dict[int, dict[str, int]] = {}
    spans = []
    for review_id, child in zip(review_ids, children):
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err
        lines = [line.split() for line in out.splitlines()]
        assert len(lines) == SAVES + 1
        spans.append((float(lines[0][0]), float(lines[-1][0])))  # from its first attempt to its last save
        acknowledged[review_id] = {item: int(n) for _, item, n in lines[1:]}  # the last save of each item
    (start_a, end_a), (start_b, end_b) = spans
    # each tried to write while the other was writing (SQLite serialises them: one may wait its turn)
    assert start_a < end_b and start_b < end_a, "the writers did not overlap: the test proved nothing"

    with open_audit(path) as audit:
        report = verify(audit)
        assert report.ok, report.problems
        for review_id, wanted in acknowledged.items():
            stored = review_store.answers(audit.db, review_id)
            for item, n in wanted.items():
                assert stored[item].note == f"writer {review_id} save {n}", (review_id, item)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    logged = conn.execute("SELECT count(*) FROM event WHERE action = 'answer.set'").fetchone()[0]
    conn.close()
    assert logged == 2 * SAVES  # every acknowledged save is in the trail, once
