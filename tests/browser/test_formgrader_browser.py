"""Formgrader shows the grades ``course grade`` recorded, and keeps what an instructor types.

A copy of the fixture course gains a written answer graded by hand (``explain_relu``, 2 points)
and an ``nbgrader_config.py`` of the repository's layout (``grading/`` holds the gradebook and
nbgrader's ``submitted/`` and ``autograded/`` folders); ``course grade`` grades a class of three.
``jupyter lab`` (nbgrader's formgrader enabled) then serves the course on 127.0.0.1, and Debian's
Chromium, every request not to 127.0.0.1 aborted, reads formgrader's own pages:

- JupyterLab's Nbgrader > Formgrader menu opens formgrader on the course;
- Manage Assignments lists ``fx_basics`` with its three submissions; Manage Submissions, Manual
  Grading and Manage Students list every student with the total of ``course``'s table, and the
  written answer waiting for a hand grade;
- a score and a comment typed into the grading view reach nbgrader's gradebook, and are still
  there, in the view and in the totals, after ``course grade --force``.

Formgrader's grading view loads MathJax from a CDN (nbgrader's template, not configurable): that
blocked request and the "MathJax is not defined" error it causes are the only ones allowed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "autograder"))

import ag_cases  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

EXERCISE = ag_cases.EXERCISE
MANUAL = "explain_relu"
ANSWER = "ReLU keeps positive inputs unchanged and sets negative inputs to zero."
#: The class: student -> (the functions they filled in, their written answer, timestamp.txt).
CLASS = {
    "full": ({"relu": ag_cases.RELU_OK, "softmax": ag_cases.SOFTMAX_OK}, ANSWER,
             "2025-03-03 09:30:00 UTC"),
    "relu_only": ({"relu": ag_cases.RELU_OK}, None, "2025-03-03 10:05:00 UTC"),
    "blank": ({}, None, "2025-03-03 11:45:00 UTC"),
}  # fmt: skip
FORMGRADER = {"ServerApp": {"jpserver_extensions": {"nbgrader.server_extensions.formgrader": True}}}
TIMEOUT_MS = 120_000  # a page of formgrader on a busy 2-core machine
ARTIFACTS = REPO / "tests" / "artifacts" / "browser"
#: What formgrader's grading view cannot help doing offline (its template's MathJax CDN).
ALLOWED = re.compile(
    r"^(failed: https://cdnjs\.cloudflare\.com/ajax/libs/mathjax/.*"
    r"|console: Failed to load resource: net::ERR_FAILED"
    r"|pageerror: MathJax is not defined)$"
)

NBGRADER_CONFIG = """\
c = get_config()  # noqa: F821

c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "fixture-course"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = "grading/submitted"
c.CourseDirectory.autograded_directory = "grading/autograded"
c.CourseDirectory.feedback_directory = "grading/feedback"
c.CourseDirectory.solution_directory = "grading/solution"
c.CourseDirectory.db_url = "sqlite:///{root}/grading/gradebook.db"
c.Exchange.root = "{root}/grading/exchange"
"""


@dataclass
class Course:
    """The course folder and its class."""

    root: Path
    submissions: Path

    def grade(self, *options: str) -> str:
        """Run ``course grade`` on the class, as an instructor does; return its table."""
        args = ["--root", str(self.root), "grade", EXERCISE, str(self.submissions),
                "--workspace", str(self.root / "grading"), "--jobs", "1", "--no-progress",
                *options]  # fmt: skip
        env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent),
                                                     os.environ.get("PATH", "")]))  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-m", "autograder.cli", *args],
            capture_output=True, text=True, env=env, timeout=600, check=False, cwd=REPO,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout

    def records(self) -> dict[str, dict]:
        """``course``'s own records of the class: student -> record."""
        folder = self.root / "grading" / "results" / EXERCISE
        records = [json.loads(p.read_text()) for p in folder.glob("*.json")]
        return {r["student_id"]: r for r in records}

    def manual_grade(self, student: str) -> tuple[float | None, str | None, float]:
        """(manual score, manual comment, total) of the written answer, read through nbgrader."""
        from nbgrader.api import Gradebook

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Gradebook(f"sqlite:///{self.root / 'grading' / 'gradebook.db'}") as gb:
                grade = gb.find_grade(MANUAL, EXERCISE, EXERCISE, student)
                comment = gb.find_comment(MANUAL, EXERCISE, EXERCISE, student)
                total = gb.find_submission(EXERCISE, student).score
                return grade.manual_score, comment.manual_comment, total


def _shown(x: float) -> str:
    """A score as formgrader prints it (``roundToPrecision(x, 2)`` in JavaScript)."""
    return f"{round(x, 2):g}"


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    """The fixture course with a written answer, released, and its class graded once."""
    import nbformat

    from autograder.assignments.master import compute_master, load_nbgrader_config
    from autograder.demo.synthetic_class import fill_release

    base = tmp_path_factory.mktemp("formgrader")
    root = base / "course"
    shutil.copytree(ag_cases.FIXTURE_ROOT, root)
    (root / "nbgrader_config.py").write_text(NBGRADER_CONFIG.format(root=str(root)))
    source = root / "solutions" / EXERCISE / f"{EXERCISE}.ipynb"
    nb = nbformat.read(source, as_version=4)
    meta = {"grade": True, "grade_id": MANUAL, "locked": False, "points": 2,
            "schema_version": 3, "solution": True, "task": False}  # fmt: skip
    nb.cells.append(nbformat.v4.new_markdown_cell(ANSWER, metadata={"nbgrader": meta}))
    nbformat.write(nb, source)
    _, release = compute_master(source, EXERCISE, load_nbgrader_config(root))
    released = root / "exercises" / EXERCISE / f"{EXERCISE}.ipynb"
    released.parent.mkdir(parents=True)
    released.write_text(json.dumps(release, indent=1))
    for student, (code, answer, stamp) in CLASS.items():
        fills = {**code, **({MANUAL: answer} if answer else {})}
        ag_cases.tree(student, fill_release(release, fills), stamp=stamp)(base / "class")
    graded = Course(root, base / "class")
    graded.grade()
    return graded


@pytest.fixture(scope="module")
def lab(lab_in, course: Course):
    """``jupyter lab`` serving the course, formgrader enabled."""
    return lab_in(course.root, FORMGRADER)


@pytest.fixture(scope="module")
def fg(offline_page, lab):
    """The offline Chromium page, signed in to the server; ``fg.problems`` collects errors."""
    pg = offline_page
    pg.set_default_timeout(TIMEOUT_MS)
    pg.set_extra_http_headers({"Authorization": f"token {lab.token}"})
    pg.base = lab.url  # type: ignore[attr-defined]
    pg.problems = []  # type: ignore[attr-defined]
    pg.on("pageerror", lambda err: pg.problems.append(f"pageerror: {err}"))
    pg.on(
        "console",
        lambda msg: pg.problems.append(f"console: {msg.text}") if msg.type == "error" else None,
    )
    pg.on("requestfailed", lambda request: _request_failed(pg, request))
    return pg


def _request_failed(pg, request) -> None:
    """Note a failed request, except those a navigation cancels (JupyterLab's polls)."""
    if request.failure != "net::ERR_ABORTED":
        pg.problems.append(f"failed: {request.url}")


@pytest.fixture
def clean(fg, lab):
    """After the test: no unexpected browser error, no server error."""
    fg.problems.clear()
    start = len(lab.log_text())
    yield
    unexpected = [p for p in fg.problems if not ALLOWED.match(p)]
    assert not unexpected, unexpected
    log = lab.log_text()[start:]
    assert not re.search(r"Traceback|\b50\d (GET|PUT|POST)\b", log), log[-4000:]


def _open_list(pg, path: str) -> list[dict[str, str]]:
    """Open a formgrader list page; its table's rows as {cell class: text}, once loaded."""
    pg.goto(f"{pg.base}{path}")
    pg.wait_for_function("() => window.models && models.loaded === true")
    return _rows(pg)


def _rows(pg) -> list[dict[str, str]]:
    """The rows of the page's table as {cell class: text} (DataTables' sorting classes dropped)."""
    return pg.evaluate(
        """() => [...document.querySelectorAll('#main-table tr')].map(tr => Object.fromEntries(
            [...tr.querySelectorAll('td')].map(td => [
                [...td.classList].filter(c => c !== 'text-center' && !c.startsWith('sorting'))
                    .join(' '),
                td.innerText.trim()])))"""
    )


def _open_grading_view(pg, student: str) -> None:
    """From Manual Grading's list of submissions, open the student's in the grading view."""
    _open_list(pg, f"/formgrader/gradebook/{EXERCISE}/{EXERCISE}")
    pg.locator("#toggle_names").click()
    pg.locator("#main-table td.name a.name-shown", has_text=re.compile(f"^{student}$")).click()
    pg.wait_for_url(re.compile(r"/formgrader/submissions/[0-9a-f]+/"))
    _wait_grades_loaded(pg)


def _wait_grades_loaded(pg) -> None:
    """Wait until the grading view has fetched its grades and comments into its score boxes."""
    pg.wait_for_function(
        "() => window.formgrader && formgrader.grades && formgrader.grades.loaded === true "
        "&& formgrader.comments && formgrader.comments.loaded === true"
    )


def test_jupyterlab_menu_opens_formgrader_on_the_course(fg, clean):
    fg.goto(f"{fg.base}/lab?reset")
    fg.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    fg.locator(".lm-Menu-itemLabel").filter(has_text=re.compile(r"^Formgrader$")).click()
    frame = fg.frame_locator("iframe[src*='formgrader']")
    row = frame.locator("#main-table tr", has=frame.locator("td.name", has_text=EXERCISE))
    row.locator("td.num-submissions", has_text=re.compile(rf"^{len(CLASS)}$")).wait_for()
    fg.screenshot(path=str(ARTIFACTS / "formgrader_in_lab.png"))


def test_formgrader_lists_the_assignment_the_students_and_their_scores(fg, clean, course):
    records = course.records()
    assert set(records) == set(CLASS)
    totals = {s: f"{_shown(r['total'])} / {_shown(r['max_total'])}" for s, r in records.items()}
    assert totals == {"full": "10 / 12", "relu_only": "5 / 12", "blank": "0 / 12"}

    assignments = _open_list(fg, "/formgrader")  # redirects to Manage Assignments
    assert fg.url.endswith("/formgrader/manage_assignments")
    (row,) = [r for r in assignments if r["name"] == EXERCISE]
    assert row["num-submissions"] == str(len(CLASS))

    submissions = _open_list(fg, f"/formgrader/manage_submissions/{EXERCISE}")
    by_id = {r["student-id"]: r for r in submissions}
    assert {s: r["score"] for s, r in by_id.items()} == totals
    assert {s: r["timestamp"] for s, r in by_id.items()} == {s: c[2] for s, c in CLASS.items()}
    assert by_id["full"]["status"] == "needs manual grading"  # its written answer
    assert by_id["relu_only"]["status"] == by_id["blank"]["status"] == "graded"  # no answer

    students = _open_list(fg, "/formgrader/manage_students")
    assert {r["id"]: r["score"] for r in students} == totals

    _open_list(fg, f"/formgrader/gradebook/{EXERCISE}/{EXERCISE}")  # Manual Grading
    fg.locator("#toggle_names").click()
    rows = {r["name"]: r for r in _rows(fg)}
    assert {s: r["score"] for s, r in rows.items()} == totals
    assert {s: r["written-score"] for s, r in rows.items()} == dict.fromkeys(CLASS, "0 / 2")
    waiting = fg.locator("#main-table tr", has=fg.locator(".needs-manual-grade .glyphicon-ok"))
    assert waiting.locator("td.name").all_inner_texts() == ["full"]
    fg.screenshot(path=str(ARTIFACTS / "formgrader_gradebook.png"), full_page=True)


def test_manual_grade_typed_in_formgrader_survives_course_grade_force(fg, clean, course):
    _open_grading_view(fg, "full")
    cell = fg.locator(".nbgrader_cell", has=fg.locator(f"#{MANUAL}"))
    assert ANSWER in cell.locator(".text_cell_render").inner_text()  # the autograded notebook
    score, comment = fg.locator(f"#{MANUAL}"), fg.locator(f"#{MANUAL}-comment")
    assert score.input_value() == ""

    def put(kind: str):
        return fg.expect_response(
            lambda r: f"/formgrader/api/{kind}/" in r.url and r.request.method == "PUT"
        )

    with put("grade") as saved:  # formgrader saves a score when its box changes (on blur)
        score.fill("1.5")
        score.press("Tab")
    assert saved.value.status == 200 and saved.value.json()["manual_score"] == 1.5
    remark = "Right, but say why the zero region matters for training."
    with put("comment") as saved:
        comment.fill(remark)
        comment.press("Tab")
    assert saved.value.status == 200 and saved.value.json()["manual_comment"] == remark
    assert course.manual_grade("full") == (1.5, remark, pytest.approx(11.5))

    before = course.records()
    course.grade("--force")
    after = course.records()
    assert all(after[s]["graded_at"] > before[s]["graded_at"] for s in CLASS)  # all re-graded
    assert after["full"]["total"] == 10  # course's own record: the auto scores

    assert course.manual_grade("full") == (1.5, remark, pytest.approx(11.5))
    fg.reload()
    _wait_grades_loaded(fg)
    assert score.input_value() == "1.5"
    assert comment.input_value() == remark
    fg.screenshot(path=str(ARTIFACTS / "formgrader_manual_grade.png"))

    submissions = _open_list(fg, f"/formgrader/manage_submissions/{EXERCISE}")
    assert {r["student-id"]: r["score"] for r in submissions}["full"] == "11.5 / 12"
    _open_list(fg, f"/formgrader/gradebook/{EXERCISE}/{EXERCISE}")
    fg.locator("#toggle_names").click()
    rows = {r["name"]: r for r in _rows(fg)}
    assert (rows["full"]["score"], rows["full"]["written-score"]) == ("11.5 / 12", "1.5 / 2")
    assert rows["relu_only"]["score"] == "5 / 12" and rows["blank"]["score"] == "0 / 12"
