"""Attacks on the grader: none may gain points, read the solutions or reach outside the sandbox."""

from __future__ import annotations

import ast
import json
import os

import ag_cases
import pytest
from ag_cases import SECRET_VALUE

# One worker runs every autograder test, so the session fixtures (a whole class graded,
# the demo) are built once, and no other grading run's sandboxes overlap these checks.
pytestmark = pytest.mark.xdist_group("autograder")

ATTACKS = ["monkey", "monkey_in_call", "eq", "silencer", "forge"]


def _outputs(fx_graded, student: str) -> str:
    import nbformat

    path = fx_graded.workspace.autograded_path("fx_basics", student)
    nb = nbformat.read(path, as_version=4)
    texts = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", ""))
            texts.append(output.get("evalue", ""))
            texts += output.get("traceback", [])
            texts.append(str(output.get("data", {}).get("text/plain", "")))
    return "\n".join(texts)


@pytest.mark.parametrize("student", ATTACKS)
def test_attack_gains_nothing(fx_graded, student):
    honest_wrong = fx_graded.records["wrong"]["total"]
    assert honest_wrong == 0
    assert fx_graded.records[student]["total"] <= honest_wrong


def test_patching_the_students_own_process_changes_nothing(fx_graded):
    """numpy, builtins and the test helpers patched in the student's process (from a cell
    and from inside a tested call): the tests run in the judge, whose numpy is untouched."""
    for student in ("monkey", "monkey_in_call"):
        cells = {c["grade_id"]: c for c in fx_graded.records[student]["cells"]}
        assert cells["test_relu"]["ename"] == "AssertionError"
        assert "relu(x) gave" in cells["test_relu"]["evalue"]


def test_silenced_errors_still_count(fx_graded):
    record = fx_graded.records["silencer"]
    assert record["total"] == 0
    failed = [c for c in record["cells"] if c["outcome"] in ("failed", "error")]
    assert len(failed) == 4
    assert all(c["ename"] == "AssertionError" for c in failed)


def test_snooping_reads_and_writes_nothing(fx_graded):
    if fx_graded.run.sandbox.startswith("none"):
        pytest.skip("no sandbox on this machine (neither root namespaces nor user namespaces)")
    output = _outputs(fx_graded, "snoop")
    line = next(ln for ln in output.splitlines() if ln.startswith("{"))
    report = ast.literal_eval(line)
    reads = {k: v for k, v in report.items() if isinstance(v, str) and k.startswith(("/", "."))}
    assert reads, report
    # /proc/1 is the sandbox's own first process (its own PID namespace): its environment, that
    # of the zygote it was forked from, may be readable; it holds no secret (checked below)
    own = {k: v for k, v in reads.items() if k != "/proc/1/environ"}
    assert not any(v.startswith(("READ", "WROTE")) for v in own.values()), own
    assert SECRET_VALUE not in reads.get("/proc/1/environ", "")
    assert report["network"] != "CONNECTED"
    if os.geteuid() == 0:
        assert report["uid"] != 0
        assert len(report["pids"]) < 10  # its own PID namespace
    assert SECRET_VALUE not in output
    assert not any("SECRET" in k or "TOKEN" in k for k in report["env"])
    assert ag_cases.HIDDEN_CANARY not in output
    assert "SECRET_FILE_CONTENT" not in output
    assert not (ag_cases.FIXTURE_ROOT / "hacked.txt").exists()
    assert not (fx_graded.workspace.path / "hacked.txt").exists()
    assert fx_graded.records["snoop"]["total"] == 10


def test_reference_import_is_flagged(fx_graded):
    status = fx_graded.records["reference"]["status"]
    assert "imports the reference implementation" in status
    assert "course_lib.activations" in status


def test_suspicious_code_is_flagged(fx_graded):
    assert "ctypes" in fx_graded.records["segfault"]["status"]
    assert "suspicious code" in fx_graded.records["silencer"]["status"]


def test_feedback_has_no_hidden_tests(fx_graded):
    from autograder.outputs.feedback import hidden_lines, write_feedback

    pages = write_feedback(fx_graded.workspace, "fx_basics")
    assert len(pages) == len(fx_graded.records)
    master = json.loads(
        (fx_graded.workspace.assignment_dir("fx_basics") / "master.json").read_text()
    )["master"]
    secret = hidden_lines(master)
    assert len(secret) >= 5
    import html

    for page in pages:
        text = page.read_text()
        assert ag_cases.HIDDEN_CANARY not in text, page
        for line in secret:
            assert html.escape(line, quote=False) not in text, (page, line)
    full = fx_graded.workspace.feedback_path("fx_basics", "full").read_text()
    assert "test test_relu" in full  # each test is named, with its verdict
    assert "out = np.asarray(relu(x)" not in full  # never its source
    assert "10 / 10" in full
    broken = fx_graded.workspace.feedback_path("fx_basics", "malformed").read_text()
    assert "malformed notebook JSON" in broken


def test_instructor_feedback_can_show_hidden_tests(fx_graded, tmp_path):
    from autograder.outputs.feedback import write_feedback

    (page,) = write_feedback(fx_graded.workspace, "fx_basics", students=["full"], show_hidden=True)
    assert ag_cases.HIDDEN_CANARY in page.read_text()
    write_feedback(fx_graded.workspace, "fx_basics", students=["full"])  # student view again
    assert ag_cases.HIDDEN_CANARY not in page.read_text()


def test_report_has_plots_and_reasons(fx_graded):
    from autograder.outputs.report import build_report

    path = build_report(fx_graded.workspace, "fx_basics")
    text = path.read_text()
    assert text.count("data:image/png;base64,") == 3
    assert "segmentation fault" in text
    assert "wrong assignment" in text
    assert "Hardest:" in text
    assert "<h2>Flagged submissions</h2>" in text
