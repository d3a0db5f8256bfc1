"""nbgrader configuration for this repository (read by plain ``nbgrader ...`` and formgrader).

Layout: the instructor's source notebooks live in ``solutions/<ex>/<ex>.ipynb`` and the student
release that ``nbgrader generate_assignment <ex>`` writes goes to ``exercises/<ex>/<ex>.ipynb``
(committed). Everything else nbgrader creates (the gradebook database, submissions, autograded
notebooks, feedback, the exchange) stays under ``grading/``, which git ignores.

nbgrader runs ``alembic`` as a subprocess: keep the Python environment's ``bin`` on ``PATH``.
"""

from pathlib import Path

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

ROOT = Path(__file__).resolve().parent
WORKSPACE = ROOT / "grading"
WORKSPACE.mkdir(exist_ok=True)

c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.course_id = "deep-feedforward-networks"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = "grading/submitted"
c.CourseDirectory.autograded_directory = "grading/autograded"
c.CourseDirectory.feedback_directory = "grading/feedback"
c.CourseDirectory.solution_directory = "grading/solution"
c.CourseDirectory.db_url = f"sqlite:///{WORKSPACE / 'gradebook.db'}"
c.Exchange.root = str(WORKSPACE / "exchange")

# Hidden tests import course_lib; a cell gets at most this many seconds when autograding.
c.Execute.timeout = 120
