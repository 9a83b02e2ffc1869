"""Crashes lose nothing acknowledged (issue 12 §5): a process saving answers is killed (SIGKILL) at
random moments, again and again; after each kill the audit verifies clean and every answer whose save
returned is in it. A large population import killed part-way leaves no partial import behind.

The children print a line only after a save's transaction has returned, so "acknowledged" means
what a reviewer would have seen saved.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import ROOT
from review_data import audit_with_reviews

from audit_app.services.audits import open_audit
from audit_app.services.verification import verify
from audit_app.store import reviews as review_store

KILLS = 50
IMPORT_KILLS = 8

SAVER = textwrap.dedent("""
    import sys
    from audit_app.core.records import Answer
    from audit_app.services.audits import open_audit
    from audit_app.services.reviews import set_answer
    path, review_id, start = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    items = sys.argv[4].split(",")
    with open_audit(path) as audit:
        n = start
        while True:
            item = items[n % len(items)]
            code = "MN"[n % 2]  # on every scale
            set_answer(audit, review_id, item, Answer(code, note=f"save {n}"))
            print(f"{item} {code} save {n}", flush=True)  # acknowledged: the transaction has returned
            n += 1
""")


@pytest.fixture
def review(tmp_path):
    path, (review_id,), items = audit_with_reviews(tmp_path, [("Kim Reviewer", "K1")])
    return path, review_id, items


def test_fifty_kills_during_answer_saves_lose_nothing_acknowledged(review):
    path, review_id, items = review
    rng = random.Random(20261205)
    acknowledged: dict[str, tuple[str, str]] = {}  # item -> (code, note) of its last acknowledged save
    saves = 0
    for kill in range(KILLS):
        child = subprocess.Popen([sys.executable, "-c", SAVER, str(path), str(review_id), str(saves), ",".join(items)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        assert child.stdout is not None
        wanted = rng.randint(1, 12)  # saves to see acknowledged before the kill, then a random moment after
        for _ in range(wanted):
            line = child.stdout.readline()
            assert line, child.stderr.read() if child.stderr else ""
            item, code, note = line.rstrip("\n").split(" ", 2)
            acknowledged[item] = (code, note)
            saves += 1
        time.sleep(rng.random() * 0.01)  # not a wait for a condition: the kill lands at a random moment
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate()
        for line in rest.splitlines():  # printed (so acknowledged) before the kill landed
            item, code, note = line.split(" ", 2)
            acknowledged[item] = (code, note)
            saves += 1
        with open_audit(path) as audit:
            report = verify(audit)
            assert report.ok, (kill, report.problems)
            stored = review_store.answers(audit.db, review_id)
        for item, (code, note) in acknowledged.items():
            answer = stored.get(item)
            assert answer is not None, (kill, item)
            # the stored answer is the acknowledged one, or a later save of the same item that committed just
            # before the kill (its line was not printed yet): never an older one, never nothing
            assert int(answer.note.split()[1]) >= int(note.split()[1]), (kill, item, answer.note, note)
    assert saves >= KILLS
    print(f"\n{KILLS} kills during answer saves: {saves} saves acknowledged, {len(acknowledged)} answers checked "
          f"after every kill, none lost; verify clean each time")


IMPORTER = textwrap.dedent("""
    import sys
    from audit_app.services import population
    from audit_app.services.audits import open_audit
    with open_audit(sys.argv[1]) as audit:
        print("started", flush=True)
        population.import_population(audit, sys.argv[2], worker_min_bytes=0)
    print("done", flush=True)
""")


def test_kills_during_a_large_import_leave_no_partial_import(tmp_path):
    from audit_app.services.audits import create_audit

    source = tmp_path / "big.csv"
    rng = random.Random(7)
    with source.open("w", encoding="utf-8") as handle:
        handle.write("crime_ref,offence,area\n")
        for i in range(200_000):
            handle.write(f"{rng.getrandbits(128):032x},Burglary,Area {i % 97}\n")
    mid_import = attempts = 0
    path = tmp_path / "import-0.audit"
    create_audit(path, "neighbourhood-crime", "Import crash").close()
    while mid_import < IMPORT_KILLS:
        attempts += 1
        assert attempts <= 4 * IMPORT_KILLS, f"only {mid_import} kills landed during an import"
        child = subprocess.Popen([sys.executable, "-c", IMPORTER, str(path), str(source)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, cwd=ROOT, start_new_session=True)
        assert child.stdout is not None and child.stdout.readline() == "started\n"
        time.sleep(rng.random() * 0.6)  # a random moment of the import (not a wait for a condition)
        os.killpg(child.pid, signal.SIGKILL)  # the importer and its parsing worker
        out, _ = child.communicate()
        with open_audit(path) as audit:
            assert verify(audit).ok, attempts
            units = audit.db.execute("SELECT count(*) FROM unit").fetchone()[0]
        assert units in (0, 200_000), (attempts, units)  # all of it (it finished before the kill) or none of it
        if units:  # it finished first: go on with a new audit
            path = tmp_path / f"import-{attempts}.audit"
            create_audit(path, "neighbourhood-crime", "Import crash").close()
        else:
            mid_import += 1
    print(f"\n{mid_import} kills during a 200,000-row import ({attempts} attempts): never a partial import; verify "
          "clean each time")
