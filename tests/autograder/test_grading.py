"""End-to-end grading of the fixture class: ordinary submissions, bad input, limits."""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import ag_cases
import pytest

# One worker runs every autograder test, so the session fixtures (a whole class graded,
# the demo) are built once, and no other grading run's sandboxes overlap these checks.
pytestmark = pytest.mark.xdist_group("autograder")

CASES = ag_cases.CASE_NAMES


def test_every_submission_got_a_record(fx_graded):
    assert set(fx_graded.cases) == set(CASES)
    assert set(fx_graded.records) == set(CASES)
    assert fx_graded.run.grader_errors == []
    assert fx_graded.run.ok


@pytest.mark.parametrize("student", CASES)
def test_total_and_reason(fx_graded, student):
    case = fx_graded.cases[student]
    record = fx_graded.records[student]
    if case.total is not None:
        assert record["total"] == case.total, (student, record["status"], record["cells"])
    assert record["max_total"] == 10
    if case.reason:
        assert case.reason in record["status"], (student, record["status"])
    else:
        assert record["status"] == "graded", (student, record["status"])


@pytest.mark.parametrize("student", ag_cases.CELL_CASE_NAMES)
def test_cell_scores(fx_graded, student):
    case = fx_graded.cases[student]
    assert case.cells is not None
    got = {c["grade_id"]: c["points"] for c in fx_graded.records[student]["cells"]}
    assert got == case.cells


def test_sandbox_mode_is_reported(fx_graded):
    from ag_cases import namespaces_available

    sandbox = fx_graded.run.sandbox
    requested = os.environ.get("COURSE_TEST_SANDBOX", "auto")
    if requested != "auto":
        assert sandbox.startswith(requested + ":"), sandbox
    elif namespaces_available():
        assert sandbox.startswith("root:"), sandbox
    else:
        assert sandbox.split(":")[0] in ("userns", "bwrap", "none"), sandbox
    modes = {r["run"].get("sandbox") for r in fx_graded.records.values() if r.get("run")}
    assert modes == {sandbox.split(":")[0]}  # every record says which mode it got


def test_dead_kernel_keeps_earlier_points_and_says_why(fx_graded):
    for student, why in [
        ("segfault", "SIGSEGV"),
        ("exiter", "exited with code 3"),
        ("stubborn", "ignored its 3 s time limit"),
    ]:
        record = fx_graded.records[student]
        cells = {c["grade_id"]: c for c in record["cells"]}
        assert cells["test_relu"]["points"] == 2 and cells["test_relu_hidden"]["points"] == 3
        assert cells["test_softmax"]["outcome"] == "not run"
        assert why in record["status"]
        assert record["run"]["status"] in ("died", "killed")


def test_timeouts_are_per_cell(fx_graded):
    record = fx_graded.records["looper"]
    cells = {c["grade_id"]: c for c in record["cells"]}
    assert cells["test_relu"]["ename"] == "CellTimeoutError"
    assert cells["test_relu"]["duration"] == pytest.approx(ag_cases_timeout(), abs=1.5)
    assert cells["test_softmax"]["points"] == 2  # execution went on after the timeouts


def ag_cases_timeout() -> float:
    from ag_cases import TIMEOUT

    return float(TIMEOUT)


def test_memory_hog_gets_memory_error_not_the_machine(fx_graded):
    record = fx_graded.records["hog"]
    executed = fx_graded.workspace.autograded_path("fx_basics", "hog").read_text()
    assert "MemoryError" in executed
    assert record["total"] == 10


def test_huge_output_is_capped(fx_graded):
    path = fx_graded.workspace.autograded_path("fx_basics", "printer")
    assert path.stat().st_size < 5_000_000  # 100 MB printed
    assert "output truncated" in path.read_text()


def test_fork_bomb_is_contained_and_cleaned_up(fx_graded):
    executed = fx_graded.workspace.autograded_path("fx_basics", "forker").read_text()
    assert "fork refused after" in executed

    def sandbox_processes() -> list[tuple[str, int]]:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    status = (entry / "status").read_text()
                except OSError:
                    continue
                line = next(ln for ln in status.splitlines() if ln.startswith("Uid:"))
                uid = int(line.split()[1])
                if 1_800_000 <= uid < 1_900_000:
                    found.append((entry.name, uid))
        return found

    deadline = time.monotonic() + 10  # killed processes can take a moment to be reaped
    while (left := sandbox_processes()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert left == []


def test_wrong_assignment_is_not_executed(fx_graded):
    record = fx_graded.records["wrong_ex"]
    assert "fx_other" in record["status"]
    assert record["graded"] is False
    assert not fx_graded.workspace.autograded_path("fx_basics", "wrong_ex").exists()


def test_duplicate_keeps_the_newest(fx_graded):
    record = fx_graded.records["dupe"]
    assert record["submission"]["origin"] == "dupe.ipynb"
    assert "ignored Dupe/fx_basics/fx_basics.ipynb" in record["status"]


def test_deleted_and_edited_cells_are_restored(fx_graded):
    executed = fx_graded.workspace.autograded_path("fx_basics", "deleted").read_text()
    assert "was missing from the submission" in executed
    notes = fx_graded.records["edited_test"]["notes"]
    assert any("test_relu" in n and "restored" in n for n in notes)


def test_grades_csv_columns_and_rows(fx_graded):
    with open(fx_graded.workspace.grades_csv, newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["student_id", *ag_cases.CELLS, "total", "max_total", "status"]
    by_id = {row[0]: row for row in rows[1:]}
    assert set(by_id) == set(CASES)
    assert by_id["full"][1:] == ["2", "3", "2", "3", "10", "10", "graded"]
    assert by_id["malformed"][5] == "0" and "malformed" in by_id["malformed"][7]


def test_every_received_file_is_archived(fx_graded):
    archived = list((fx_graded.workspace.path / "archive" / "fx_basics").rglob("*.ipynb"))
    with_files = [s for s in CASES if s not in ("ghost",)]
    assert len(archived) >= len(with_files)
    submitted = fx_graded.workspace.submitted_path("fx_basics", "full")
    assert submitted.is_file()  # nbgrader's layout, so nbgrader tools work on the workspace
