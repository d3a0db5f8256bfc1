"""``course demo`` on the real ex01_modules: the synthetic class gets the expected grades."""

from __future__ import annotations

import pytest

from autograder.demo.synthetic_class import EXPECTATIONS

# One worker runs every autograder test, so the session fixtures (a whole class graded,
# the demo) are built once, and no other grading run's sandboxes overlap these checks.
pytestmark = pytest.mark.xdist_group("autograder")


@pytest.mark.slow
def test_demo_class_gets_expected_scores(demo_run):
    workspace, result = demo_run
    checks = {student: (ok, detail) for student, ok, detail in result.checks}
    assert set(checks) == set(EXPECTATIONS)
    bad = {s: d for s, (ok, d) in checks.items() if not ok}
    assert bad == {}
    assert result.run.ok
    totals = {r["student_id"]: r["total"] for r in result.run.records}
    assert totals["ada"] == totals["alan"] == totals["lucy"] == result.run.assignment.max_total
    assert totals["tom"] == totals["bob"] == 0


@pytest.mark.slow
def test_demo_writes_report_and_feedback(demo_run):
    workspace, result = demo_run
    assert result.report.is_file()
    assert result.report.read_text().count("data:image/png;base64,") == 3
    assert len(result.feedback) == 12
    assert workspace.grades_csv.is_file()
    text = "\n".join(p.read_text() for p in result.feedback)
    assert "BEGIN HIDDEN TESTS" not in text
    assert "_hidden_test" not in text


@pytest.mark.slow
def test_demo_output_names_the_report(demo_run):
    from autograder.demo.run import describe

    _, result = demo_run
    text = describe(result)
    assert str(result.report) in text
    assert "expected outcomes" in text and "BAD" not in text
