"""The ``course`` command line: help, errors with clear messages, export, report, feedback."""

from __future__ import annotations

import csv
import subprocess
import sys

import ag_cases
import pytest

from autograder.cli import build_parser, main

# One worker runs every autograder test, so the session fixtures (a whole class graded,
# the demo) are built once, and no other grading run's sandboxes overlap these checks.
pytestmark = pytest.mark.xdist_group("autograder")


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("release", "grade", "feedback", "export", "report", "demo", "build-html"):
        assert command in out


@pytest.mark.parametrize(
    "command", ["release", "grade", "feedback", "export", "report", "demo", "build-html"]
)
def test_each_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: course" in capsys.readouterr().out


def test_grade_options_are_documented():
    help_text = build_parser()._subparsers._group_actions[0].choices["grade"].format_help()
    for option in ("--jobs", "--timeout", "--memory", "--workspace", "--wall-clock", "--due"):
        assert option in help_text


def test_unknown_assignment_is_a_usage_error(tmp_path, capsys):
    code = main(
        [
            "--root",
            str(ag_cases.FIXTURE_ROOT),
            "grade",
            "ex99",
            str(tmp_path),
            "--workspace",
            str(tmp_path / "ws"),
            "--no-progress",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "unknown assignment 'ex99'" in err and "fx_basics" in err


def test_missing_submissions_is_a_usage_error(tmp_path, capsys):
    code = main(
        [
            "--root",
            str(ag_cases.FIXTURE_ROOT),
            "grade",
            "fx_basics",
            str(tmp_path / "nope"),
            "--workspace",
            str(tmp_path / "ws"),
            "--no-progress",
        ]
    )
    assert code == 2
    assert "does not exist" in capsys.readouterr().err


def test_workspace_inside_solutions_is_refused(tmp_path, capsys):
    workspace = ag_cases.FIXTURE_ROOT / "solutions" / "ws"
    code = main(["--root", str(ag_cases.FIXTURE_ROOT), "export", "--workspace", str(workspace)])
    assert code == 2
    assert "never writes there" in capsys.readouterr().err
    assert not workspace.exists()


def test_report_before_grading_says_what_to_do(tmp_path, capsys):
    code = main(
        [
            "--root",
            str(ag_cases.FIXTURE_ROOT),
            "report",
            "fx_basics",
            "--workspace",
            str(tmp_path / "empty"),
        ]
    )
    assert code == 2
    assert "run `course grade fx_basics" in capsys.readouterr().err


def test_export_report_feedback_on_a_graded_workspace(fx_graded, tmp_path, capsys):
    root = ["--root", str(ag_cases.FIXTURE_ROOT)]
    ws = ["--workspace", str(fx_graded.workspace.path)]
    out_csv = tmp_path / "book.csv"
    assert main([*root, "export", *ws, "-o", str(out_csv)]) == 0
    with open(out_csv, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["student_id"] for r in rows} == set(fx_graded.records)
    assert main([*root, "report", "fx_basics", *ws, "-o", str(tmp_path / "r.html")]) == 0
    assert (tmp_path / "r.html").read_text().count("data:image/png") == 3
    assert main([*root, "feedback", "fx_basics", *ws, "--student", "full"]) == 0
    assert "wrote 1 feedback page" in capsys.readouterr().out


def test_course_grade_end_to_end_in_a_subprocess(tmp_path):
    """The real command: a flat folder, exit status 0, a table and grades.csv."""
    folder = tmp_path / "flat"
    ag_cases.flat("alice", ag_cases.notebook())(folder)
    ag_cases.flat("bob", b"not json")(folder)
    workspace = tmp_path / "ws"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder.cli",
            "--root",
            str(ag_cases.FIXTURE_ROOT),
            "grade",
            "fx_basics",
            str(folder),
            "--workspace",
            str(workspace),
            "--jobs",
            "1",
            "--timeout",
            "5",
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "alice" in proc.stdout and "malformed notebook JSON" in proc.stdout
    with open(workspace / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert rows["alice"]["total"] == "10" and rows["bob"]["total"] == "0"
