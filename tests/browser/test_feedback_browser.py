"""Feedback pages and the class report render their maths with no network.

One ex01 submission is graded, its feedback page and the class report are written, and
Debian's Chromium (every request not to 127.0.0.1 aborted) opens them from a local server:
MathJax, copied from an installed package beside the pages, must typeset the notebook's
formulas, no request may fail and every image must load.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from mathcheck import check_page

from autograder.limits import Limits
from autograder.outputs.feedback import write_feedback
from autograder.outputs.report import build_report
from autograder.pipeline.grading import GradeOptions, grade
from autograder.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
EXERCISE = "ex01_modules"

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def graded_workspace(tmp_path_factory) -> Workspace:
    base = tmp_path_factory.mktemp("feedback_browser")
    target = base / "class" / "ada" / EXERCISE
    target.mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / EXERCISE / f"{EXERCISE}.ipynb", target)
    workspace = Workspace(base / "ws", root=ROOT)
    options = GradeOptions(jobs=1, limits=Limits(cell_timeout=60), progress=False)
    run = grade(EXERCISE, base / "class", root=ROOT, workspace=workspace, options=options)
    assert run.records[0]["total"] == run.records[0]["max_total"]
    write_feedback(workspace, EXERCISE)
    build_report(workspace, EXERCISE)
    return workspace


def test_feedback_page_typesets_its_maths_offline(graded_workspace, serve_folder, offline_page):
    base = serve_folder(graded_workspace.path)
    report = check_page(offline_page, f"{base}feedback/ada/{EXERCISE}/{EXERCISE}.html")
    assert report.ok, report.describe()
    offline_page.screenshot(path="tests/artifacts/browser/feedback.png", full_page=False)


def test_class_report_loads_offline(graded_workspace, serve_folder, offline_page):
    base = serve_folder(graded_workspace.path)
    report = check_page(offline_page, f"{base}reports/{EXERCISE}.html", min_formulas=0)
    assert report.ok, report.describe()
