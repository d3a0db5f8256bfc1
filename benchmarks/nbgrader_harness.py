"""Stock ``nbgrader autograde`` on the same submissions, to compare with ``course grade``.

Used by the parity tests and by ``benchmarks/bench_grading.py``: builds a throw-away nbgrader
course directory (``source/``, ``submitted/``, ``gradebook.db``) from the repository's
``solutions/<ex>`` and configuration, runs ``nbgrader generate_assignment`` and then the serial
``nbgrader autograde`` in subprocesses (with the Python environment's ``bin`` on ``PATH``,
which nbgrader needs for ``alembic``), and reads the scores back from its gradebook.

Configured like ``course grade``: the repository's ``nbgrader_config.py`` is loaded first, then
the course directory is pointed at the temporary folder and ``OverwriteCells.add_missing_cells``
is turned on (deleted grade cells restored). Pass ``timeout`` to use the same per-cell limit.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class NbgraderResult:
    """Scores from stock nbgrader.

    Attributes
    ----------
    scores : dict
        student -> {grade_id: points}.
    seconds : float
        Wall-clock time of ``nbgrader autograde`` alone.
    log : str
        Its output (for debugging failures).
    """

    scores: dict[str, dict[str, float]]
    seconds: float
    log: str


def nbgrader_env() -> dict[str, str]:
    """The current environment with this Python's ``bin`` first on ``PATH``.

    ``PYTHONPATH`` starts with the folder holding this ``autograder`` package, so nbgrader's
    kernels import the same ``course_lib`` as the grading workers do.
    """
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    package_parent = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH")) if p)
    return env


def make_course(root: Path, exercise: str, course: Path, timeout: float | None = None) -> Path:
    """Create an nbgrader course folder for one assignment and generate it.

    Parameters
    ----------
    root : Path
        The course repository (``solutions/``, ``nbgrader_config.py``).
    exercise : str
        Assignment name.
    course : Path
        An empty (or disposable) folder.
    timeout : float, optional
        ``Execute.timeout`` (default: the repository's configuration).

    Returns
    -------
    Path
        ``course``.
    """
    if course.exists():
        shutil.rmtree(course)
    (course / "source").mkdir(parents=True)
    shutil.copytree(root / "solutions" / exercise, course / "source" / exercise)
    repo_config = root / "nbgrader_config.py"
    lines = ["c = get_config()  # noqa: F821"]
    if repo_config.is_file():
        lines.append(f"load_subconfig({str(repo_config)!r})  # noqa: F821")
    lines += [
        f"c.CourseDirectory.root = {str(course)!r}",
        "c.CourseDirectory.course_id = 'comparison'",
        "c.CourseDirectory.source_directory = 'source'",
        "c.CourseDirectory.release_directory = 'release'",
        "c.CourseDirectory.submitted_directory = 'submitted'",
        "c.CourseDirectory.autograded_directory = 'autograded'",
        "c.CourseDirectory.feedback_directory = 'feedback'",
        "c.CourseDirectory.solution_directory = 'solution'",
        f"c.CourseDirectory.db_url = 'sqlite:///{course / 'gradebook.db'}'",
        f"c.Exchange.root = {str(course / 'exchange')!r}",
        "c.OverwriteCells.add_missing_cells = True",
    ]
    if timeout is not None:
        lines.append(f"c.Execute.timeout = {int(timeout)}")
    (course / "nbgrader_config.py").write_text("\n".join(lines) + "\n")
    _nbgrader(course, "generate_assignment", exercise, "--force")
    return course


def _nbgrader(course: Path, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=nbgrader_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"nbgrader {' '.join(args)} failed with exit code {proc.returncode}:\n"
            + proc.stdout[-3000:]
            + proc.stderr[-3000:]
        )
    return proc.stdout + proc.stderr


def read_scores(course: Path, exercise: str) -> dict[str, dict[str, float]]:
    """student -> {grade_id: auto score} from a course's gradebook (in a subprocess)."""
    code = (
        "import json, sys\n"
        "from nbgrader.api import Gradebook\n"
        "out = {}\n"
        f"with Gradebook('sqlite:///{course / 'gradebook.db'}') as gb:\n"
        f"    for sub in gb.assignment_submissions({exercise!r}):\n"
        "        grades = {}\n"
        "        for nb in sub.notebooks:\n"
        "            for g in nb.grades:\n"
        "                grades[g.name] = g.auto_score if g.auto_score is not None else g.score\n"
        "        out[sub.student_id] = grades\n"
        "json.dump(out, sys.stdout)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=course,
        env=nbgrader_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout)


def autograde(
    root: Path,
    exercise: str,
    submissions: dict[str, Path],
    course: Path,
    timeout: float | None = None,
) -> NbgraderResult:
    """Run stock ``nbgrader autograde`` (serial) on submissions and read the scores.

    Parameters
    ----------
    root : Path
        The course repository.
    exercise : str
        Assignment name.
    submissions : dict
        student id -> notebook file.
    course : Path
        Disposable working folder.
    timeout : float, optional
        Per-cell timeout.

    Returns
    -------
    NbgraderResult
        Scores and the time ``nbgrader autograde`` took.
    """
    make_course(root, exercise, course, timeout)
    for student, path in submissions.items():
        target = course / "submitted" / student / exercise
        target.mkdir(parents=True)
        shutil.copyfile(path, target / f"{exercise}.ipynb")
    start = time.perf_counter()
    log = _nbgrader(course, "autograde", exercise)
    seconds = time.perf_counter() - start
    return NbgraderResult(read_scores(course, exercise), seconds, log)
