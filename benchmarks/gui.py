"""GUI speed (issue 4): open an audit of 2,000 sampled files and show its workspace (target 0.5 s);
move between items and between files (target 50 ms each); save an answer from the review page.

Each figure is printed beside a baseline measured in the same run, as a ratio, and beside its
target. Runs offscreen (``make bench`` sets QT_QPA_PLATFORM=offscreen).
"""

from __future__ import annotations

import csv
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication, QTableWidget, QTableWidgetItem  # noqa: E402
from review_data import APPLICABLE, NOTE, PROFILE  # noqa: E402

from audit_app.core.records import Answer  # noqa: E402
from audit_app.services import population, sampling  # noqa: E402
from audit_app.services.audits import create_audit, open_audit  # noqa: E402
from audit_app.services.reviews import ensure_reviewer, set_answer, set_profile_value, start_review  # noqa: E402
from audit_app.services.sampling import SampleRequest  # noqa: E402
from audit_app.store.database import open_read_only  # noqa: E402
from audit_app.ui.main_window import MainWindow  # noqa: E402
from audit_app.ui.ui_settings import Identity, UiSettings  # noqa: E402
from audit_app.ui.workers import wait_for_tasks  # noqa: E402

SAMPLED = 2_000
REVIEWED = 300
REVIEWED_REFS: list[str] = []
ME = Identity("Bench Reviewer", "B1", "reviewer")


def report(name: str, measured: float, baseline: float, baseline_name: str, target: str) -> None:
    print(f"{name:<46} {measured * 1000:9.1f} ms   {baseline_name:<36} {baseline * 1000:8.1f} ms"
          f"   ratio {measured / baseline:7.2f}   target {target}", flush=True)


def build_audit(work: Path) -> Path:
    """An audit of 2,000 sampled files (from a 20,000-file population), 300 of them reviewed."""
    source = work / "population.csv"
    rng = random.Random(4)
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["crime_ref", "offence", "borough", "outcome_code", "recorded_date"])
        for index in range(SAMPLED * 10):
            writer.writerow([f"CR/{index:07d}/25", rng.choice(["Residential burglary", "Personal robbery", "Theft from the person",
                                                                "Theft from a motor vehicle"]),
                             f"Borough {rng.randrange(12):02d}", rng.choice(["18", "14", "1"]), f"{rng.randrange(1, 29):02d}/01/2025"])
    path = work / "bench.audit"
    with create_audit(path, "neighbourhood-crime", "GUI benchmark") as audit:
        population.import_population(audit, source)
        sample = sampling.draw_sample(audit, SampleRequest(size=SAMPLED, strata=["offence_group"], seed="gui-bench"))
        reviewer = ensure_reviewer(audit, ME.name, ME.staff_number)
        REVIEWED_REFS[:] = sample.selected[:REVIEWED]
        with audit.transaction():
            for ref in sample.selected[:REVIEWED]:
                review = start_review(audit, ref, reviewer)
                for field, value in PROFILE.items():
                    set_profile_value(audit, review.id, field, value)
                for item in APPLICABLE:
                    set_answer(audit, review.id, item, Answer("M", note=NOTE))
    return path


def bench_open(app: QApplication, path: Path, settings: UiSettings) -> MainWindow:
    # baseline: read the sampled files' rows with a bare query and show them in a plain table widget
    start = time.perf_counter()
    database = open_read_only(path)
    rows = database.db.execute("SELECT u.ref, s.stratum, u.offence, u.area, u.month FROM sample_unit s JOIN unit u ON u.id = s.unit_id").fetchall()
    database.close()
    table = QTableWidget(len(rows), 5)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(value))
    table.show()
    app.processEvents()
    baseline = time.perf_counter() - start
    table.close()

    window = MainWindow(settings)
    window.resize(1400, 900)
    window.show()
    app.processEvents()
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        window.open_audit_file(str(path))
        app.processEvents()  # the workspace painted
        timings.append(time.perf_counter() - start)
        assert window.workspace_page.model.rowCount() == SAMPLED
        wait_for_tasks()
        app.processEvents()
    report(f"open an audit of {SAMPLED:,} files + workspace", statistics.median(timings), baseline,
           "bare query + plain table of the rows", "< 500 ms")
    start = time.perf_counter()
    window._regrade()
    wait_for_tasks()
    app.processEvents()
    print(f"{'  grades of ' + str(REVIEWED) + ' reviews (background task)':<46} {(time.perf_counter() - start) * 1000:9.1f} ms"
          "   (off the GUI thread; the table shows before them)", flush=True)
    return window


def bench_moves(app: QApplication, window: MainWindow) -> None:
    ref = window.workspace_page.current_ref()
    window.open_review(ref)
    page = window.review_page
    app.processEvents()
    targets = ["profile", *page._shown]
    item_times = []
    for _ in range(3):
        for target in targets:
            start = time.perf_counter()
            page.select(target)
            app.processEvents()
            item_times.append(time.perf_counter() - start)
    # baseline: changing the text of one label and repainting
    label = page.item_panel.question_label
    base = []
    for index in range(len(item_times)):
        start = time.perf_counter()
        label.setText(f"Question {index}")
        app.processEvents()
        base.append(time.perf_counter() - start)
    report("move to the next item (median)", statistics.median(item_times), statistics.median(base),
           "set one label's text and repaint", "< 50 ms")
    print(f"{'  slowest item move':<46} {max(item_times) * 1000:9.1f} ms", flush=True)

    file_times = []
    for _ in range(20):
        start = time.perf_counter()
        window._step_file(1)
        app.processEvents()
        file_times.append(time.perf_counter() - start)
    report("move to the next file (median)", statistics.median(file_times), statistics.median(base),
           "set one label's text and repaint", "< 50 ms")
    print(f"{'  slowest file move':<46} {max(file_times) * 1000:9.1f} ms", flush=True)

    window.open_review(REVIEWED_REFS[0])  # a reviewed file: change its answers
    page = window.review_page
    controller = page.controller
    failures: list[str] = []
    controller.failed.connect(lambda message: failures.append(message))
    saves = []
    items = [i for i in page._shown if controller.answer(i) is not None][:20]
    for index in range(60):
        item = items[index % len(items)]
        code = "N" if controller.answer(item).code == "M" else "M"  # N is on both scales (and needs the note it has)
        start = time.perf_counter()
        controller.set_code(item, code)
        app.processEvents()
        saves.append(time.perf_counter() - start)
        assert controller.answer(item).code == code, failures
    report("answer an item: save, rescore, refresh (median)", statistics.median(saves), statistics.median(base),
           "set one label's text and repaint", "never blocks typing")


def main() -> None:
    app = QApplication.instance() or QApplication([])
    work = Path(tempfile.mkdtemp(prefix="audit-gui-bench-"))
    print(f"building an audit of {SAMPLED:,} sampled files with {REVIEWED} reviews…", file=sys.stderr, flush=True)
    path = build_audit(work)
    settings = UiSettings(QSettings(str(work / "ui.ini"), QSettings.Format.IniFormat))
    settings.set_identity(ME)
    window = bench_open(app, path, settings)
    bench_moves(app, window)
    window.close()
    with open_audit(path):
        pass


if __name__ == "__main__":
    main()
