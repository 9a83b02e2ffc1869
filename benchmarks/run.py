"""Benchmarks: each figure is printed beside a baseline measured in the same run, as a ratio.

Run with ``make bench``. Timings are medians of several repeats (time.perf_counter).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from audit_app.core.checklist import parse_checklist  # noqa: E402
from audit_app.core.scoring import Answer, score_review  # noqa: E402


def median_seconds(action: Callable[[], object], repeats: int = 7) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def report(name: str, measured: float, baseline: float, baseline_name: str) -> None:
    print(f"{name:<44} {measured * 1000:9.2f} ms   {baseline_name:<40} {baseline * 1000:9.2f} ms   ratio {measured / baseline:6.2f}")


def bench_checklist_load() -> None:
    text = (ROOT / "checklists" / "neighbourhood-crime.yaml").read_bytes()
    baseline = median_seconds(lambda: YAML(typ="rt").load(text))
    measured = median_seconds(lambda: parse_checklist(text, "neighbourhood-crime.yaml"))
    report("load + validate + compile checklist", measured, baseline, "ruamel round-trip parse only")


def bench_scoring(reviews: int = 1000) -> None:
    checklist = parse_checklist((ROOT / "checklists" / "neighbourhood-crime.yaml").read_bytes())
    profile = {f.id: "yes" for f in checklist.spec.profile if f.type == "yesno"}
    profile.update(offence_group="burglary_residential", suspect_status="named", outcome_type=18)
    import datetime as dt

    profile.update(occurred_to=dt.datetime(2025, 1, 1, 8), reported=dt.datetime(2025, 1, 1, 9), recorded=dt.date(2025, 1, 1))
    answers = {item_id: Answer("M", note="log 1") for item_id in checklist.items}
    weights = {item_id: item.weight for item_id, item in checklist.items.items()}

    def floor() -> None:  # the arithmetic alone, on plain dicts
        for _ in range(reviews):
            sum(weights[i] * 2 for i in answers) / sum(weights[i] * 2 for i in answers)

    baseline = median_seconds(floor)
    measured = median_seconds(lambda: [score_review(checklist, profile, answers) for _ in range(reviews)])
    report(f"score {reviews} reviews (47 items each)", measured, baseline, "weighted sum on plain dicts")


if __name__ == "__main__":
    bench_checklist_load()
    bench_scoring()
