"""The ``course`` command: release, grade, give feedback, export, report, demo.

    course demo                              the whole job on a synthetic class
    course release [EX ...]                  solutions/ -> exercises/ (nbgrader)
    course grade EX SUBMISSIONS [options]    grade a class in parallel, sandboxed
    course feedback EX                       one HTML page per student, hidden tests removed
    course export                            the CSV gradebook
    course report EX                         HTML report with plots
    course site [--out DIR] [--base-url URL] the course site (Sphinx + MyST-NB, offline maths)
    course podcast [PART ...]                synthesise the lecture podcast

Exit status: 0 when everything asked for was done (for ``grade``: every submission got a
grade; a zero with a reason is a grade), 1 when some submission could not be graded because
the grader itself failed (earlier grades are kept), 2 for usage or set-up errors (unknown
assignment, missing submissions folder...).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from autograder.limits import Limits
from autograder.workspace import DEFAULT_WORKSPACE, LayoutError, Workspace, find_root

EXIT_OK, EXIT_UNGRADED, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """A user-facing error: printed as ``course: error: ...`` with exit status 2."""


def _positive(kind: type, what: str):
    """An argparse type: a positive ``kind`` (``int`` or ``float``), else a clear message."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
        return value

    return parse


_positive_float = _positive(float, "a number of seconds")
_positive_int = _positive(int, "a whole number")


def _datetime(text: str) -> datetime:
    try:
        from dateutil import parser

        value = parser.parse(text)
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(
            f"expected a date and time such as 2025-03-01T23:59, got {text!r}"
        ) from None
    return value if value.tzinfo else value.astimezone()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``course`` (one subparser per command)."""
    parser = argparse.ArgumentParser(
        prog="course",
        description=(
            "Instructor tools for the Deep Feedforward Networks course: release the exercises, "
            "grade a class in parallel in a sandbox, give feedback, export grades, report."
        ),
        epilog="Start with `course demo`. Exit status: 0 done, 1 some submission ungraded, "
        "2 usage error.",
    )
    parser.add_argument(
        "--root", type=Path, help="course repository (default: found from the current folder)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in (_add_release, _add_grade, _add_feedback, _add_export, _add_report, _add_demo):
        add(sub)

    from course_site.cli import add_podcast_arguments, add_site_arguments

    add_site_arguments(
        sub.add_parser(
            "site", help="the course site: lectures, exercises, glossary, podcast (offline maths)"
        )
    )
    add_podcast_arguments(
        sub.add_parser("podcast", help="synthesise the lecture podcast (only changed episodes)")
    )
    add_site_arguments(sub.add_parser("build-html", help="old name of `course site`"))
    return parser


def workspace_option(p: argparse.ArgumentParser) -> None:
    """Add ``--workspace`` to a subcommand."""
    p.add_argument(
        "--workspace",
        type=Path,
        help=f"grading workspace (default: ROOT/{DEFAULT_WORKSPACE}, git-ignored)",
    )


def _add_release(sub: argparse._SubParsersAction) -> None:
    """``course release``."""
    p = sub.add_parser(
        "release",
        help="generate exercises/ from solutions/ with nbgrader",
        description="Generate the student release exercises/<ex>/ from solutions/<ex>/.",
    )
    p.add_argument("exercises", nargs="*", metavar="EX", help="assignments (default: all)")
    p.add_argument("--check", action="store_true", help="list what is out of date, write nothing")


def _add_limit_options(p: argparse.ArgumentParser) -> None:
    """The per-submission limits and the sandbox mode of ``course grade``."""
    p.add_argument(
        "--timeout",
        type=_positive_float,
        help="seconds per cell (default: Execute.timeout of nbgrader_config.py, else 30)",
    )
    p.add_argument(
        "--wall-clock",
        type=_positive_float,
        default=600.0,
        help="seconds per submission (default: 600)",
    )
    p.add_argument(
        "--memory", type=_positive_int, default=1024, help="MB a submission may allocate (1024)"
    )
    p.add_argument(
        "--max-output",
        type=_positive_int,
        default=1_000_000,
        help="characters of output kept per cell (default: 1000000)",
    )
    p.add_argument(
        "--sandbox",
        choices=["auto", "root", "userns", "bwrap", "none"],
        default="auto",
        help="isolation (default: the strongest available; see autograder/SECURITY.md)",
    )


def _add_grade(sub: argparse._SubParsersAction) -> None:
    """``course grade``."""
    p = sub.add_parser(
        "grade",
        help="grade every submission of an assignment",
        description=(
            "Grade a class: intake, release check, sanitize (nbgrader rules), execute in "
            "parallel sandboxed workers, score (nbgrader rule), store, export grades.csv."
        ),
        epilog=(
            "SUBMISSIONS may be an nbgrader tree (<student>/<ex>/<ex>.ipynb), a flat folder of "
            "<student>.ipynb, or an LMS .zip (Canvas, Moodle). Re-running is idempotent: "
            "unchanged submissions are not re-run, and a grade already recorded is never lost."
        ),
    )
    p.add_argument("exercise", metavar="EX", help="assignment, e.g. ex01_modules")
    p.add_argument("submissions", metavar="SUBMISSIONS", type=Path, help="folder or .zip")
    p.add_argument(
        "--jobs", "-j", type=_positive_int, help="parallel workers (default: number of CPUs)"
    )
    _add_limit_options(p)
    p.add_argument("--due", type=_datetime, help="deadline; later submissions are flagged late")
    p.add_argument(
        "--roster", type=Path, help="file of student ids; missing ones get 'no submission'"
    )
    p.add_argument(
        "--force", action="store_true", help="re-run submissions that are already graded"
    )
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="grade on a Dask cluster: tcp://host:port, or local:N for a local test cluster "
        "(needs the extra course[dask])",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    workspace_option(p)


def _add_feedback(sub: argparse._SubParsersAction) -> None:
    """``course feedback``."""
    p = sub.add_parser(
        "feedback",
        help="write HTML feedback for each student",
        description="Write feedback/<student>/<ex>/<ex>.html; hidden tests are not shown.",
    )
    p.add_argument("exercise", metavar="EX")
    p.add_argument("--student", action="append", help="only this student (repeatable)")
    p.add_argument(
        "--show-hidden",
        action="store_true",
        help="include hidden tests (instructor view; never give these pages to students)",
    )
    workspace_option(p)


def _add_export(sub: argparse._SubParsersAction) -> None:
    """``course export``."""
    p = sub.add_parser(
        "export",
        help="export grades: CSV, or Canvas / Moodle import files",
        description=(
            "Export the grades nbgrader's gradebook holds (manual grades from formgrader "
            "included): a CSV with one row per student, one column per graded cell, the total, "
            "the maximum and the status; or the file Canvas's gradebook import or Moodle's "
            "grading worksheet accepts."
        ),
    )
    p.add_argument("--assignment", metavar="EX", help="only this assignment")
    p.add_argument(
        "--format",
        choices=["csv", "canvas", "moodle"],
        default="csv",
        help="csv (default), canvas (gradebook import) or moodle (grading worksheet)",
    )
    p.add_argument(
        "--lms-column",
        metavar="NAME",
        help='Canvas: the assignment column, e.g. "Exercise 1 (123456)" (default: EX)',
    )
    p.add_argument("-o", "--output", type=Path, help="CSV file (default: WORKSPACE/grades.csv)")
    workspace_option(p)


def _add_report(sub: argparse._SubParsersAction) -> None:
    """``course report``."""
    p = sub.add_parser(
        "report",
        help="write the HTML class report",
        description=(
            "Write an HTML report: score histogram, pass rate per test cell, time per "
            "submission, flagged submissions with their reasons."
        ),
    )
    p.add_argument("exercise", metavar="EX")
    p.add_argument("-o", "--output", type=Path, help="HTML file (default: WORKSPACE/reports/)")
    workspace_option(p)


def _add_demo(sub: argparse._SubParsersAction) -> None:
    """``course demo``."""
    p = sub.add_parser(
        "demo",
        help="release, grade a synthetic class, report (start here)",
        description=(
            "The main job on an embedded example: release the exercise, generate 12 synthetic "
            "students (full marks, bugs, blank, late, infinite loop, crash, memory hog, tamper "
            "attempt, broken file), grade them, print the table and where the report is."
        ),
    )
    p.add_argument("--exercise", default="ex01_modules", metavar="EX", help="(ex01_modules)")
    p.add_argument("--jobs", "-j", type=_positive_int, help="parallel workers (default: CPUs)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--workspace",
        type=Path,
        help=f"default: ROOT/{DEFAULT_WORKSPACE}, the nbgrader course folder formgrader reads",
    )


def _root(args: argparse.Namespace) -> Path:
    try:
        return find_root(args.root) if args.root else find_root()
    except LayoutError as exc:
        raise CommandError(str(exc)) from None


def _workspace(args: argparse.Namespace, root: Path, default: str = DEFAULT_WORKSPACE):
    path = args.workspace or (root / default)
    return Workspace(path, root=root)


def cmd_release(args: argparse.Namespace) -> int:
    """``course release``: run :func:`autograder.assignments.release.release`."""
    from autograder.assignments.release import ReleaseError, release

    root = _root(args)
    try:
        paths = release(args.exercises or None, root=root, check=args.check)
    except ReleaseError as exc:
        raise CommandError(str(exc)) from None
    if args.check:
        for path in paths:
            print(f"out of date: {path}")
        print("release is up to date" if not paths else f"{len(paths)} file(s) out of date")
        return EXIT_UNGRADED if paths else EXIT_OK
    for path in paths:
        print(f"wrote {path}")
    return EXIT_OK


def _default_timeout(root: Path) -> float:
    from autograder.assignments.master import load_nbgrader_config

    try:
        value = load_nbgrader_config(root).Execute.timeout
    except Exception:
        return 30.0
    return float(value) if isinstance(value, (int, float)) and value > 0 else 30.0


def cmd_grade(args: argparse.Namespace) -> int:
    """``course grade``: grade a class, print the table, exit 1 if a submission went ungraded."""
    from autograder.isolation.pool import default_jobs
    from autograder.outputs.summary import summary_table
    from autograder.pipeline.grading import GradeOptions, grade
    from autograder.pipeline.intake import roster_ids

    root = _root(args)
    workspace = _workspace(args, root)
    limits = Limits(
        cell_timeout=args.timeout or _default_timeout(root),
        wall_clock=args.wall_clock,
        memory_mb=args.memory,
        output_cap=args.max_output,
        sandbox=args.sandbox,
    )
    options = GradeOptions(
        jobs=args.jobs or default_jobs(),
        limits=limits,
        due=args.due,
        force=args.force,
        roster=roster_ids(args.roster) if args.roster else None,
        progress=not args.no_progress,
        dask=args.dask,
    )
    run = grade(args.exercise, args.submissions, root=root, workspace=workspace, options=options)
    for warning in run.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print()
    print(summary_table(run))
    print(f"sandbox: {run.sandbox}")
    print(f"grades:  {run.csv_path}")
    print(f"next:    course feedback {args.exercise}; course report {args.exercise}")
    if run.grader_errors:
        print(f"\n{len(run.grader_errors)} submission(s) could not be graded:", file=sys.stderr)
        for error in run.grader_errors:
            print(f"  {error}", file=sys.stderr)
        return EXIT_UNGRADED
    return EXIT_OK


def cmd_feedback(args: argparse.Namespace) -> int:
    """``course feedback``: one HTML page per student."""
    from autograder.outputs.feedback import write_feedback

    root = _root(args)
    workspace = _workspace(args, root)
    paths = write_feedback(
        workspace,
        args.exercise,
        students=args.student,
        show_hidden=args.show_hidden,
        progress=True,
    )
    note = " (WITH hidden tests: instructor only)" if args.show_hidden else ""
    print(f"wrote {len(paths)} feedback page(s){note} under {workspace.path / 'feedback'}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """``course export``: the gradebook as CSV, or as a Canvas / Moodle import file."""
    from autograder.outputs.lms_export import export
    from autograder.pipeline.store import ResultStore

    root = _root(args)
    workspace = _workspace(args, root)
    records = ResultStore(workspace).records(args.assignment)
    if not records:
        what = f"for {args.assignment!r} " if args.assignment else ""
        raise CommandError(f"no results {what}in {workspace.path}: run `course grade` first")
    try:
        path, skipped = export(workspace, records, args.format, args.output, args.lms_column)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    students = len({r["student_id"] for r in records}) - len(skipped)
    print(f"wrote {path} ({students} students)")
    if skipped:
        shown = ", ".join(skipped[:5]) + (" ..." if len(skipped) > 5 else "")
        print(f"skipped {len(skipped)} not submitted through {args.format}: {shown}")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """``course report``: the HTML class report."""
    from autograder.outputs.report import build_report

    root = _root(args)
    workspace = _workspace(args, root)
    path = build_report(workspace, args.exercise, args.output)
    print(f"wrote {path}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    """``course demo``: the whole job on a synthetic class."""
    from autograder.demo.run import DemoError, describe, run_demo

    root = _root(args)
    workspace = _workspace(args, root)
    try:
        result = run_demo(
            root, workspace, exercise=args.exercise, jobs=args.jobs, progress=not args.no_progress
        )
    except DemoError as exc:
        raise CommandError(str(exc)) from None
    print(describe(result))
    return EXIT_OK if result.ok else EXIT_UNGRADED


def cmd_site(args: argparse.Namespace) -> int:
    """``course site`` (old name ``build-html``): :func:`course_site.cli.run_site`."""
    from course_site.cli import run_site

    return run_site(args, root=_root(args), prog="course")


def cmd_podcast(args: argparse.Namespace) -> int:
    """``course podcast``: :func:`course_site.cli.run_podcast`."""
    from course_site.cli import run_podcast

    return run_podcast(args, root=_root(args), prog="course")


COMMANDS = {
    "release": cmd_release,
    "grade": cmd_grade,
    "feedback": cmd_feedback,
    "export": cmd_export,
    "report": cmd_report,
    "demo": cmd_demo,
    "site": cmd_site,
    "podcast": cmd_podcast,
    "build-html": cmd_site,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``course`` console script.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status.
    """
    from autograder.assignments.master import AssignmentError
    from autograder.isolation.pool import PoolError
    from autograder.pipeline.intake import IntakeError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (CommandError, AssignmentError, IntakeError, LayoutError, PoolError) as exc:
        print(f"course {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as exc:  # e.g. report/feedback before grading
        print(f"course {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\ninterrupted: grades recorded so far are kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
