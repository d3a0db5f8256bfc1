"""Real nbgrader autograding: solutions earn full marks, untouched releases earn nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from autograding import EXERCISES, POINTS

#: Budget of one notebook's autograde (kernel start, execution, nbgrader bookkeeping) on two
#: dedicated cores. On a machine busier than that the budget grows with the load average.
SECONDS_PER_NOTEBOOK = 20.0


def _budget() -> float:
    cores = min(os.cpu_count() or 2, 2)
    return SECONDS_PER_NOTEBOOK * max(1.0, os.getloadavg()[0] / cores)


@pytest.mark.parametrize("exercise", EXERCISES)
def test_solution_gets_full_marks(autograde_results: dict, exercise: str) -> None:
    grades = autograde_results["grades"][exercise]["solution"]
    # an answer graded by hand has no score until someone grades it (nbgrader: None)
    lost = {cell: s for cell, s in grades.items() if s[0] is not None and s[0] != s[1]}
    assert not lost, f"the solution of {exercise} loses points in {lost}"
    assert sum(score[1] for score in grades.values()) == POINTS[exercise]


@pytest.mark.parametrize("exercise", EXERCISES)
def test_untouched_release_scores_zero(autograde_results: dict, exercise: str) -> None:
    grades = autograde_results["grades"][exercise]["release"]
    assert grades, f"no graded cells recorded for the release of {exercise}"
    scored = {cell: score for cell, score in grades.items() if score[0] not in (0, None)}
    assert not scored, f"an unanswered {exercise} earns points in {scored}"


@pytest.mark.parametrize("exercise", EXERCISES)
def test_autograde_time(autograde_results: dict, exercise: str) -> None:
    budget = _budget()
    for student, seconds in autograde_results["seconds"][exercise].items():
        assert seconds < budget, (
            f"autograding the {student} notebook of {exercise} took {seconds:.1f} s "
            f"(budget {budget:.0f} s at load {os.getloadavg()[0]:.1f})"
        )


def test_record_autograde_times(autograde_results: dict, repo: Path) -> None:
    """Keep the measured times in tests/artifacts/autograde_times.json for the record."""
    out = repo / "tests" / "artifacts"
    out.mkdir(parents=True, exist_ok=True)
    record = {"seconds": autograde_results["seconds"], "load_average": os.getloadavg()[0]}
    (out / "autograde_times.json").write_text(json.dumps(record, indent=1))


def test_points_total_about_100() -> None:
    assert 95 <= sum(POINTS.values()) <= 110
