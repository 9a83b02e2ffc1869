"""Benchmarks: each figure is printed beside a baseline measured in the same run, as a ratio.

Run with ``make bench`` (or ``python benchmarks/run.py [NAME ...]`` for some of them). Timings are
medians of several repeats unless the line says otherwise. Targets (issue 3): import ≤ 2.0× the
sqlite3 CLI's own ``.import`` of the same file, peak memory < 300 MB; stratified sampling of 400
from a 1,000,000-row frame < 2 s; saving one answer (transaction + event, synchronous=FULL)
median < 1 ms.

The import runs in two processes (a worker parses, the importer inserts), so it needs both cores
of a two-core machine: anything else running at the time slows it far more than it slows the
single-process floor. The import line says when other processes used the CPU meanwhile.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from audit_app.core.checklist import parse_checklist  # noqa: E402
from audit_app.core.records import Answer  # noqa: E402
from audit_app.core.scoring import score_review  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "audit-app-bench"
ROWS = 1_000_000
BOROUGHS = ["Barking", "Barnet", "Bexley", "Brent", "Bromley", "Camden", "Croydon", "Ealing", "Enfield", "Greenwich",
            "Hackney", "Hammersmith", "Haringey", "Harrow", "Havering", "Hillingdon", "Hounslow", "Islington",
            "Kensington", "Kingston", "Lambeth", "Lewisham", "Merton", "Newham", "Redbridge", "Richmond", "Southwark",
            "Sutton", "Tower Hamlets", "Waltham Forest", "Wandsworth", "Westminster"]
OFFENCES = [("Residential burglary", "Burglary"), ("Robbery of personal property", "Robbery"),
            ("Theft from the person", "Theft"), ("Theft of a motor vehicle", "Vehicle crime"),
            ("Theft from a motor vehicle", "Vehicle crime"), ("Vehicle interference", "Vehicle crime")]
OUTCOMES = ["18", "14", "16", "1", "15", "8", "3", "21", "20", "10"]


def median_seconds(action: Callable[[], object], repeats: int = 5) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def report(name: str, measured: float, baseline: float, baseline_name: str, unit: str = "ms") -> None:
    scale = 1000 if unit == "ms" else 1
    print(f"{name:<46} {measured * scale:10.2f} {unit}   {baseline_name:<42} {baseline * scale:10.2f} {unit}"
          f"   ratio {measured / baseline:7.2f}", flush=True)


def population_csv() -> Path:
    """A 1,000,000-row, 12-column CSV shaped like a force export (generated once, then cached)."""
    path = CACHE / "population-1m.csv"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    rng = random.Random(20261124)
    borough_weights = [1 / (i + 1) ** 0.6 for i in range(len(BOROUGHS))]
    outcome_weights = [30, 12, 10, 9, 8, 6, 5, 4, 3, 2]
    start = dt.date(2024, 4, 1)
    with (CACHE / "population.tmp").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["crime_ref", "offence", "offence_category", "occurred_date", "occurred_time", "borough", "ward",
                         "outcome_code", "officer_id", "latitude", "longitude", "reported_date"])
        for index in range(ROWS):
            offence, category = OFFENCES[rng.randrange(len(OFFENCES))]
            occurred = start + dt.timedelta(days=rng.randrange(365))
            reported = occurred + dt.timedelta(days=rng.randrange(3))
            writer.writerow([
                f"CR/{index:07d}/{occurred:%y}", offence, category, f"{occurred:%d/%m/%Y}",
                f"{rng.randrange(24):02d}:{rng.randrange(60):02d}", rng.choices(BOROUGHS, borough_weights)[0],
                f"Ward {rng.randrange(600):03d}", rng.choices(OUTCOMES, outcome_weights)[0], f"PC{rng.randrange(9000):04d}",
                f"{51.3 + rng.random() * 0.4:.6f}", f"{-0.5 + rng.random() * 0.7:.6f}", f"{reported:%d/%m/%Y}",
            ])
    (CACHE / "population.tmp").rename(path)
    return path


def bench_checklist_load() -> None:
    text = (ROOT / "checklists" / "neighbourhood-crime.yaml").read_bytes()
    baseline = median_seconds(lambda: YAML(typ="rt").load(text))
    measured = median_seconds(lambda: parse_checklist(text, "neighbourhood-crime.yaml"))
    report("load + validate + compile checklist", measured, baseline, "ruamel round-trip parse only")


def bench_scoring(reviews: int = 1000) -> None:
    checklist = parse_checklist((ROOT / "checklists" / "neighbourhood-crime.yaml").read_bytes())
    profile = {f.id: "yes" for f in checklist.spec.profile if f.type == "yesno"}
    profile.update(offence_group="burglary_residential", suspect_status="named", outcome_type=18,
                   occurred_to=dt.datetime(2025, 1, 1, 8), reported=dt.datetime(2025, 1, 1, 9), recorded=dt.date(2025, 1, 1))
    answers = {item_id: Answer("M", note="log 1") for item_id in checklist.items}
    weights = {item_id: item.weight for item_id, item in checklist.items.items()}

    def floor() -> None:  # the arithmetic alone, on plain dicts
        for _ in range(reviews):
            sum(weights[i] * 2 for i in answers) / sum(weights[i] * 2 for i in answers)

    baseline = median_seconds(floor)
    measured = median_seconds(lambda: [score_review(checklist, profile, answers) for _ in range(reviews)])
    report(f"score {reviews} reviews (47 items each)", measured, baseline, "weighted sum on plain dicts")


def _timed_run(command: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(command)}\n{result.stderr[-2000:]}")
    return elapsed, result.stdout


IMPORT_CODE = """
import os, resource, sys, threading, time
from audit_app.services import population
from audit_app.services.audits import create_audit

worker_peak_kb = 0


def watch_workers():
    # The worker's own high-water mark (VmHWM). Its ru_maxrss would also count the pages of this
    # process that it shared for a moment between fork and exec, before it was a worker.
    global worker_peak_kb
    me = str(os.getpid())
    while True:
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    if stat.read().rpartition(")")[2].split()[1] != me:
                        continue
                with open(f"/proc/{pid}/status") as status:
                    for line in status:
                        if line.startswith("VmHWM:"):
                            worker_peak_kb = max(worker_peak_kb, int(line.split()[1]))
            except (OSError, IndexError, ValueError):
                pass  # gone meanwhile
        time.sleep(0.02)


threading.Thread(target=watch_workers, daemon=True).start()
with create_audit(sys.argv[1], "neighbourhood-crime", "bench") as audit:
    start = time.perf_counter()
    result = population.import_population(audit, sys.argv[2])
    elapsed = time.perf_counter() - start
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, worker_peak_kb, result.imported)
"""


def _busy_seconds() -> float:
    """CPU time used by every process on the machine so far (Linux), to tell a loaded machine."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(v) for v in stat.readline().split()[1:]]
    except OSError:
        return 0.0
    return (ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7]) / os.sysconf("SC_CLK_TCK")


def _own_children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_import(repeats: int = 3) -> Path:
    """Import the 1M-row file; floor: the sqlite3 CLI's own .import of the same file, measured
    just before each import. Medians of ``repeats`` runs. Returns an imported audit."""
    source = population_csv()
    sqlite3_cli = shutil.which("sqlite3")
    if sqlite3_cli is None:
        raise SystemExit("the sqlite3 command-line shell is needed for the import floor: apt-get install sqlite3 (make system-deps)")
    floors, imports, ratios, peaks, worker_peaks = [], [], [], [], []
    work = CACHE / "run"
    busy, own = _busy_seconds(), _own_children_seconds()
    for _ in range(repeats):
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        floor, _ = _timed_run([sqlite3_cli, str(work / "floor.db"), ".import --csv " + str(source) + " t"])
        # the import is timed inside the process (the same work as `audit-app import`, without start-up)
        _, out = _timed_run([sys.executable, "-c", IMPORT_CODE, str(work / "bench.audit"), str(source)])
        elapsed, peak_kb, worker_kb, imported = out.split()
        assert int(imported) == ROWS, out
        floors.append(floor)
        imports.append(float(elapsed))
        ratios.append(float(elapsed) / floor)
        peaks.append(int(peak_kb) / 1024)
        worker_peaks.append(int(worker_kb) / 1024)
    others = (_busy_seconds() - busy) - (_own_children_seconds() - own)
    report(f"import 1,000,000 rows (audit-app, median of {repeats})", statistics.median(imports),
           statistics.median(floors), "sqlite3 CLI .import (floor), same runs", unit="s")
    print(f"{'  ratio per run (target <= 2.0)':<46} {'  '.join(f'{r:.2f}' for r in ratios)}"
          f"   median {statistics.median(ratios):.2f}", flush=True)
    print(f"{'  peak memory: import process / its worker':<46} {max(peaks):10.1f} MB / {max(worker_peaks):.1f} MB"
          f"   target < 300 MB", flush=True)
    if others > 1.0:
        print(f"  (other processes used {others:.1f} CPU-seconds meanwhile: the import's two processes share the "
              "cores with them, so its figures are inflated)", flush=True)
    return work / "bench.audit"


def bench_sampling(audit_path: Path, repeats: int = 3) -> None:
    from audit_app.services import sampling
    from audit_app.services.audits import open_audit
    from audit_app.services.sampling import SampleRequest
    from audit_app.store import population as population_store

    copy = audit_path.with_name("sample.audit")
    reads, draws = [], []
    for _ in range(repeats):  # a sample is drawn once per audit: each draw on a fresh copy
        shutil.copyfile(audit_path, copy)
        with open_audit(copy) as audit:
            start = time.perf_counter()
            population_store.frame_columns(audit.db, ["area"])
            reads.append(time.perf_counter() - start)
            start = time.perf_counter()
            result = sampling.draw_sample(audit, SampleRequest(size=400, strata=["area"], seed="bench", reserve=5))
            draws.append(time.perf_counter() - start)
        assert result.plan.size == 400
    report(f"draw stratified sample of 400 from 1M (median of {repeats})", statistics.median(draws),
           statistics.median(reads), "reading the frame's columns alone", unit="s")
    print(f"{'  target':<46} {'< 2.00 s':>13}", flush=True)


def bench_answer_save(saves: int = 1000) -> None:
    from audit_app.core.records import Answer
    from audit_app.services import population, sampling
    from audit_app.services.audits import create_audit
    from audit_app.services.reviews import ensure_reviewer, set_answer, start_review
    from audit_app.services.sampling import SampleRequest

    work = Path(tempfile.mkdtemp(prefix="audit-bench-"))
    source = work / "pop.csv"
    source.write_text("crime_ref,offence\n" + "".join(f"R{i},Burglary\n" for i in range(50)), encoding="utf-8")
    with create_audit(work / "a.audit", "neighbourhood-crime", "bench") as audit:
        population.import_population(audit, source)
        ref = sampling.draw_sample(audit, SampleRequest(size=5, seed="s")).selected[0]
        reviewer = ensure_reviewer(audit, "Bench Reviewer", "B1")
        review = start_review(audit, ref, reviewer)
        items = list(audit.checklist.items)
        timings = []
        conn = audit.db.conn
        for index in range(saves):
            code = "M" if index % 2 else "N"
            start = time.perf_counter()
            set_answer(audit, review.id, items[index % len(items)], Answer(code, note="log 12"))
            timings.append(time.perf_counter() - start)
        # floor: a bare single-row update and commit with the same settings (WAL, synchronous=FULL)
        conn.execute("CREATE TABLE floor (id INTEGER PRIMARY KEY, v TEXT)")
        conn.execute("INSERT INTO floor VALUES (1, 'x')")
        floors = []
        for index in range(saves):
            start = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE floor SET v = ? WHERE id = 1", [str(index)])
            conn.execute("COMMIT")
            floors.append(time.perf_counter() - start)
    shutil.rmtree(work, ignore_errors=True)
    report("save one answer + event (median)", statistics.median(timings), statistics.median(floors),
           "bare UPDATE + COMMIT, same pragmas")
    print(f"{'  p95 / target':<46} {sorted(timings)[int(0.95 * saves)] * 1000:10.2f} ms   median target < 1 ms", flush=True)


BENCHES = {"checklist": bench_checklist_load, "scoring": bench_scoring, "answer": bench_answer_save}


if __name__ == "__main__":
    wanted = sys.argv[1:] or ["checklist", "scoring", "answer", "import"]
    for name in wanted:
        if name == "import":
            bench_sampling(bench_import())
        else:
            BENCHES[name]()
