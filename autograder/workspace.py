"""Where things live: the course repository and the grading workspace."""

from __future__ import annotations

import os
from pathlib import Path

#: Name of the default workspace folder (git-ignored), under the repository root.
DEFAULT_WORKSPACE = "grading"


class LayoutError(ValueError):
    """The repository or workspace is not where, or what, it should be."""


def find_root(start: Path | str | None = None) -> Path:
    """Find the course repository: the nearest folder holding ``solutions/``.

    Parameters
    ----------
    start : path, optional
        Where to start looking upwards (default: the current directory); the folder above
        the installed ``autograder`` package is tried last.

    Returns
    -------
    Path
        The repository root.

    Raises
    ------
    LayoutError
        If no ``solutions/`` folder is found.
    """
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "solutions").is_dir():
            return folder
    package_parent = Path(__file__).resolve().parents[1]
    if (package_parent / "solutions").is_dir():
        return package_parent
    raise LayoutError(
        f"no course repository found: expected a folder with solutions/ at or above {here} "
        "(pass --root)"
    )


class Workspace:
    """The grading workspace: everything ``course grade`` writes, and nothing else.

    It is laid out as an nbgrader course directory (the repository's ``nbgrader_config.py``
    points nbgrader's ``submitted/``, ``autograded/`` and ``feedback/`` here), plus the
    grader's own files::

        gradebook.db                                nbgrader's gradebook (formgrader reads it)
        grades.csv                                  every student graded here so far
        results/<ex>/<student>.json                 the results store (one file per student)
        submitted/<student>/<ex>/<ex>.ipynb         the submission graded (nbgrader layout)
        autograded/<student>/<ex>/<ex>.ipynb        executed notebook (instructor only)
        feedback/<student>/<ex>/<ex>.html           student feedback (no hidden tests)
        archive/<ex>/<student>/<sha256>.ipynb       every file ever received
        reports/<ex>.html                           the class report
        assignments/<ex>/                           the assignment as graded (master cells)
        intake/                                     extracted zip files
        logs/                                       worker logs

    Parameters
    ----------
    path : path
        The workspace folder (created if missing).
    root : path, optional
        The course repository; the workspace may not be inside its ``solutions/`` or
        ``exercises/``.
    """

    def __init__(self, path: Path | str, root: Path | str | None = None) -> None:
        self.path = Path(path).resolve()
        if root is not None:
            root = Path(root).resolve()
            for protected in ("solutions", "exercises"):
                folder = root / protected
                if self.path == folder or folder in self.path.parents:
                    raise LayoutError(
                        f"the workspace {self.path} is inside {folder}: grading never writes "
                        "there, choose another --workspace"
                    )

    def ensure(self) -> Workspace:
        """Create the folder (with a ``.gitignore`` keeping it out of version control)."""
        self.path.mkdir(parents=True, exist_ok=True)
        ignore = self.path / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# written by `course grade`: grades and submissions stay local\n*\n")
        return self

    @property
    def gradebook_url(self) -> str:
        """nbgrader's gradebook database (``gradebook.db``), as an SQLAlchemy URL."""
        return f"sqlite:///{self.path / 'gradebook.db'}"

    @property
    def grades_csv(self) -> Path:
        """``grades.csv``: every student graded here so far."""
        return self.path / "grades.csv"

    def results_dir(self, exercise: str) -> Path:
        """Folder of the JSON records of one assignment."""
        return self.path / "results" / exercise

    def submitted_path(self, exercise: str, student: str) -> Path:
        """The graded submission, in nbgrader's ``submitted/`` layout."""
        return self.path / "submitted" / student / exercise / f"{exercise}.ipynb"

    def archive_dir(self, exercise: str, student: str) -> Path:
        """Every file received from a student, by content hash."""
        return self.path / "archive" / exercise / student

    def autograded_path(self, exercise: str, student: str) -> Path:
        """The executed notebook (hidden tests included: instructor only)."""
        return self.path / "autograded" / student / exercise / f"{exercise}.ipynb"

    def feedback_path(self, exercise: str, student: str) -> Path:
        """The student's feedback page."""
        return self.path / "feedback" / student / exercise / f"{exercise}.html"

    def report_path(self, exercise: str) -> Path:
        """The class report of an assignment."""
        return self.path / "reports" / f"{exercise}.html"

    def assignment_dir(self, exercise: str) -> Path:
        """The cached master of an assignment."""
        return self.path / "assignments" / exercise

    @property
    def intake_dir(self) -> Path:
        """Where zip files are extracted."""
        return self.path / "intake"

    @property
    def logs_dir(self) -> Path:
        """Worker logs."""
        return self.path / "logs"

    def exercises(self) -> list[str]:
        """Assignments with results in this workspace."""
        results = self.path / "results"
        if not results.is_dir():
            return []
        return sorted(p.name for p in results.iterdir() if p.is_dir())


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write a file so that readers see the old or the new content, never a mix.

    Parameters
    ----------
    path : Path
        Destination.
    data : bytes or str
        Content (str is encoded as UTF-8).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
