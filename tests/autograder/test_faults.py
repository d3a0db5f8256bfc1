"""No submission can stop the batch: malformed input becomes that submission's reason.

One class of bad submissions (deeply nested JSON, malformed nbgrader metadata, an expression
too large for the static scan, a 30 MB exception name in every cell) and a zip with a corrupt
member are graded beside a correct notebook: the run reports no grader error, the correct
notebook keeps its full score, each bad one says why, and the grading process's own memory
stays bounded.
"""

from __future__ import annotations

import json
import resource
import zipfile

import ag_cases
import pytest
from ag_cases import fixture_options

from autograder.pipeline.grading import grade
from autograder.workspace import Workspace

pytestmark = pytest.mark.xdist_group("autograder")

HUGE_EXPRESSION = "def relu(x):\n    return x\n\nbig = " + "+".join(["1"] * 200_000)
LONG_NAME = """\
Boom = type("B" * 30_000_000, (Exception,), {})
for _ in range(3):
    try:
        raise Boom("x")
    except Exception as exc:
        print(type(exc).__name__[:10])
raise Boom("y" * 30_000_000)
"""


#: Eight children of 150 MB each: every process is under its own limit, the whole is not.
FORK_HOG = """\
import os, time
import numpy as np
for _ in range(8):
    if os.fork() == 0:
        block = np.ones(150 * 2**20 // 8)
        time.sleep(30)
        os._exit(0)
time.sleep(10)
"""


def _deep_json() -> bytes:
    nb = ag_cases.notebook()
    text = json.dumps(nb)
    deep = "[" * 200_000 + "]" * 200_000
    return (text[:-1] + ', "deep": ' + deep + "}").encode()


def _bad_metadata() -> dict:
    nb = ag_cases.notebook()
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade_id") == "test_relu":
            meta["points"] = "ten"
        elif meta.get("grade_id") == "softmax":
            cell["metadata"]["nbgrader"] = "oops"
    return nb


@pytest.fixture(scope="module")
def faults(tmp_path_factory):
    base = tmp_path_factory.mktemp("faults")
    folder = base / "class"
    ag_cases.tree("ok", ag_cases.notebook())(folder)
    ag_cases.tree("deep_json", _deep_json())(folder)
    ag_cases.tree("bad_meta", _bad_metadata())(folder)
    ag_cases.tree("huge_expr", ag_cases.notebook(relu=HUGE_EXPRESSION))(folder)
    ag_cases.tree("long_ename", ag_cases.with_cell(ag_cases.notebook(), "relu", LONG_NAME))(folder)
    hog = ag_cases.with_cell(ag_cases.notebook(), "relu", FORK_HOG)
    ag_cases.tree("fork_hog", hog)(folder)
    workspace = Workspace(base / "ws", root=ag_cases.FIXTURE_ROOT)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run = grade(
        "fx_basics",
        folder,
        root=ag_cases.FIXTURE_ROOT,
        workspace=workspace,
        options=fixture_options(jobs=2),
    )
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    return run, {r["student_id"]: r for r in run.records}, grown_mb


def test_no_bad_submission_stops_the_batch(faults):
    run, records, _ = faults
    assert run.ok, run.grader_errors
    assert set(records) == {"ok", "deep_json", "bad_meta", "huge_expr", "long_ename", "fork_hog"}
    assert records["ok"]["total"] == 10


def test_each_bad_submission_says_why(faults):
    _, records, _ = faults
    assert "nested too deeply" in records["deep_json"]["status"]
    assert records["bad_meta"]["total"] == 10  # the instructor's metadata is restored
    assert "is not a number" in records["bad_meta"]["status"]
    assert "not a mapping" in records["bad_meta"]["status"]
    assert records["huge_expr"]["graded"] and records["huge_expr"]["total"] == 5
    assert records["long_ename"]["total"] == 10


def test_memory_is_limited_for_the_submission_as_a_whole(faults):
    _, records, _ = faults
    record = records["fork_hog"]
    assert "memory limit of the submission reached" in record["status"]
    # killed while its cell runs (then the tests after it are not run) or, on a slow machine,
    # while the tests run: either way none of them passes
    assert record["total"] == 0
    assert "watchdog" in record["run"]["limits"]
    assert 300 < record["run"]["peak"]["memory_mb"] < 2000


def test_huge_exception_names_are_capped(faults):
    run, records, grown_mb = faults
    import nbformat

    path = run.csv_path.parent / "autograded" / "long_ename" / "fx_basics" / "fx_basics.ipynb"
    nb = nbformat.read(path, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors and all(len(o.ename) <= 200 for o in errors)
    assert path.stat().st_size < 5 * 2**20
    assert grown_mb < 300, f"the grading process grew by {grown_mb:.0f} MB"


def test_a_corrupt_zip_member_costs_only_its_student(tmp_path):
    good = json.dumps(ag_cases.notebook()).encode()
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("alice_111_1_fx_basics.ipynb", good)
        zf.writestr("bob_222_2_fx_basics.ipynb", good)
    raw = bytearray(archive.read_bytes())
    start = raw.index(b"bob_222_2_fx_basics.ipynb") + len("bob_222_2_fx_basics.ipynb")
    for i in range(start + 40, start + 80):  # inside bob's compressed data
        raw[i] ^= 0xFF
    archive.write_bytes(bytes(raw))
    workspace = Workspace(tmp_path / "ws", root=ag_cases.FIXTURE_ROOT)
    run = grade(
        "fx_basics",
        archive,
        root=ag_cases.FIXTURE_ROOT,
        workspace=workspace,
        options=fixture_options(jobs=1),
    )
    records = {r["student_id"]: r for r in run.records}
    assert records["alice_111"]["total"] == 10
    assert not records["bob_222"]["graded"]
    assert "corrupt-in-zip" in records["bob_222"]["status"]
