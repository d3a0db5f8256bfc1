"""Grading on a Dask cluster gives what local grading gives, whatever happens to the workers.

One ``LocalCluster`` of two single-threaded worker processes, bound to 127.0.0.1, serves the
module (the cluster ``course grade --dask local:2`` starts). Each class is graded twice, with
``--jobs 2`` and on the cluster, and the records compared; then Dask workers are killed
(SIGKILL, only the processes of this cluster) while they grade a slow submission.
"""

from __future__ import annotations

import ast
import json
import os
import signal
import socket
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import ag_cases
import pytest
from ag_cases import fixture_options

from autograder.limits import Limits
from autograder.pipeline.grading import GradeOptions, grade
from autograder.workspace import Workspace

distributed = pytest.importorskip(
    "distributed", reason='the Dask extra is not installed (pip install -e ".[dask]")'
)

from autograder.cluster.dask_pool import WORKER_KILLS, local_cluster  # noqa: E402

pytestmark = pytest.mark.xdist_group("dask")

ROOT = Path(__file__).resolve().parents[2]
#: Ordinary, crashing and attacking submissions of the fixture assignment.
FX_STUDENTS = [
    "full", "blank", "wrong", "segfault", "monkey", "eq", "forge", "borrow", "exfil",
    "mem_snoop", "aa_victim", "snoop",
]  # fmt: skip
#: The demo class of ex01_modules, without the infinite loop (it only costs time).
DEMO_STUDENTS = ["ada", "grace", "bob", "carl", "hannah", "tom", "bea"]
#: A cell that keeps a submission busy long enough to kill its worker.
SLOW_CELL = "import time\ntime.sleep(4.0)"


@pytest.fixture(scope="module")
def cluster():
    cluster = local_cluster(2)
    yield cluster
    cluster.close(timeout=30)


def _compare(local, dask) -> None:
    """Same students, statuses, totals and per-cell points in both runs."""
    ours = {r["student_id"]: r for r in dask.records}
    theirs = {r["student_id"]: r for r in local.records}
    assert sorted(ours) == sorted(theirs)
    for student, record in theirs.items():
        other = ours[student]
        assert other["total"] == record["total"], student
        assert other["status"] == record["status"], student
        cells = {c["grade_id"]: c["points"] for c in record["cells"]}
        assert {c["grade_id"]: c["points"] for c in other["cells"]} == cells, student
    assert not local.grader_errors and not dask.grader_errors


@pytest.fixture(scope="module")
def fx_runs(cluster, tmp_path_factory):
    """The fixture class graded with ``--jobs 2`` and on the cluster."""
    base = tmp_path_factory.mktemp("dask_fx")
    secret = base / "secret.txt"
    secret.write_text("SECRET_FILE_CONTENT_91c2")
    listener = socket.create_server(("127.0.0.1", 0))  # the snoop case must not reach it
    try:
        cases = ag_cases.cases(base / "dask", secret, listener.getsockname()[1])
        selected = {name: cases[name] for name in FX_STUDENTS}
        folder = ag_cases.write_class(base / "class", selected)
        runs = {}
        for name, options in [
            ("local", fixture_options(jobs=2)),
            ("dask", fixture_options(jobs=2, dask=cluster.scheduler_address)),
        ]:
            workspace = Workspace(base / name, root=ag_cases.FIXTURE_ROOT)
            root = ag_cases.FIXTURE_ROOT
            runs[name] = grade("fx_basics", folder, root=root, workspace=workspace, options=options)
    finally:
        listener.close()
    return runs, selected, base


def test_fixture_class_scores_equal_local_grading(fx_runs):
    runs, cases, _ = fx_runs
    _compare(runs["local"], runs["dask"])
    for record in runs["dask"].records:
        case = cases[record["student_id"]]
        assert record["total"] == case.total, record["student_id"]
        if case.reason:
            assert case.reason in record["status"], record["student_id"]


def test_each_record_says_which_sandbox_graded_it(fx_runs):
    runs, _, _ = fx_runs
    local = {r["student_id"]: r["run"].get("sandbox") for r in runs["local"].records}
    dask = {r["student_id"]: r["run"].get("sandbox") for r in runs["dask"].records}
    assert dask == local
    assert dask["full"] in ("root", "userns", "bwrap", "none")
    assert runs["dask"].sandbox.startswith(dask["full"] + ":")
    assert "(on 2 Dask workers, 2 grading processes)" in runs["dask"].sandbox


def _outputs(workspace: Path, student: str) -> str:
    nb = json.loads(Workspace(workspace).autograded_path("fx_basics", student).read_text())
    texts = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            text = output.get("text", "")  # stored as a list of lines on disk
            texts += ["".join(text) if isinstance(text, list) else text, output.get("evalue", "")]
            texts.append(json.dumps(output.get("data", {})))
    return "\n".join(texts)


def test_a_dask_worker_hides_what_a_local_worker_hides(fx_runs):
    """The snoop reads nothing on the Dask worker; the memory snoop finds no other student."""
    runs, _, base = fx_runs
    if runs["dask"].sandbox.startswith("none"):
        pytest.skip("no sandbox on this machine")
    output = _outputs(base / "dask", "snoop")
    report = ast.literal_eval(next(ln for ln in output.splitlines() if ln.startswith("{")))
    reads = {k: v for k, v in report.items() if isinstance(v, str) and k.startswith(("/", "."))}
    own = {k: v for k, v in reads.items() if k != "/proc/1/environ"}
    assert own and not any(v.startswith(("READ", "WROTE")) for v in own.values()), own
    assert report["network"] != "CONNECTED"
    assert ag_cases.HIDDEN_CANARY not in output and "SECRET_FILE_CONTENT" not in output
    assert not (ag_cases.FIXTURE_ROOT / "hacked.txt").exists()
    assert ag_cases.VICTIM_CANARY not in _outputs(base / "dask", "mem_snoop")


def test_demo_class_scores_equal_local_grading(cluster, tmp_path):
    from autograder.assignments.master import load_assignment
    from autograder.demo import synthetic_class

    assignment = load_assignment(ROOT, "ex01_modules", Workspace(tmp_path / "prep", root=ROOT))
    source = json.loads(assignment.source_path.read_text(encoding="utf-8"))
    due = datetime.now(UTC) + timedelta(days=1)
    students = [
        s
        for s in synthetic_class.make_class(assignment, source, due)
        if s.student_id in DEMO_STUDENTS
    ]
    folder = synthetic_class.write_class(students, "ex01_modules", tmp_path / "class")
    limits = Limits(cell_timeout=8, wall_clock=90, memory_mb=512)
    runs = {}
    for name, dask in [("local", None), ("dask", cluster.scheduler_address)]:
        options = GradeOptions(jobs=2, limits=limits, progress=False, dask=dask)
        workspace = Workspace(tmp_path / name, root=ROOT)
        runs[name] = grade("ex01_modules", folder, root=ROOT, workspace=workspace, options=options)
    _compare(runs["local"], runs["dask"])
    totals = {r["student_id"]: r["total"] for r in runs["dask"].records}
    assert totals["ada"] == runs["dask"].assignment.max_total > totals["grace"] > 0
    assert totals["bob"] == totals["bea"] == 0


# -- faults ---------------------------------------------------------------------------------
def _processing_on(prefix: str, dask_scheduler=None) -> list[tuple[str, int]]:
    """Address and PID of the worker running the task whose key starts with ``prefix``
    (asked of the scheduler only: a worker that was just killed never holds the question up)."""
    return [
        (ts.processing_on.address, ts.processing_on.pid)
        for key, ts in dask_scheduler.tasks.items()
        if str(key).startswith(prefix) and ts.processing_on is not None
    ]


class WorkerKiller(threading.Thread):
    """Kill (SIGKILL) the Dask worker process that is grading ``student``, ``times`` times.

    Only the process of a worker of this cluster, running ``student``'s task for a second
    (at most one task per worker thread is in flight: it is grading it), is ever signalled.
    """

    def __init__(self, address: str, student: str, times: int) -> None:
        super().__init__(daemon=True)
        self.address, self.student, self.times = address, student, times
        self.killed: list[int] = []
        self.errors: list[str] = []  # for the failure message
        self.stop = threading.Event()

    def run(self) -> None:
        client = distributed.Client(self.address, timeout=10, set_as_default=False)
        try:
            seen: dict[int, float] = {}  # worker PID -> when the task was first seen there
            while len(self.killed) < self.times and not self.stop.is_set():
                try:
                    where = client.run_on_scheduler(_processing_on, f"grade-{self.student}-")
                except Exception as exc:
                    self.errors.append(f"{type(exc).__name__}: {exc}"[:200])
                    where = []
                for _, pid in where:
                    if pid in self.killed:
                        continue
                    if time.monotonic() - seen.setdefault(pid, time.monotonic()) > 1.0:
                        os.kill(pid, signal.SIGKILL)
                        self.killed.append(pid)
                time.sleep(0.1)
        finally:
            client.close()


def _grade_while_killing(cluster, base: Path, victim: str, kills: int, others: list[str]):
    """Grade ``others`` and a slow ``victim`` while killing the workers grading the victim."""
    cases = ag_cases.cases(base / "ws", base / "secret.txt", 9)
    selected = {name: cases[name] for name in others}
    nb = ag_cases.with_cell(ag_cases.notebook(), "relu", SLOW_CELL)
    selected[victim] = ag_cases.Case(ag_cases.tree(victim, nb), 10)
    folder = ag_cases.write_class(base / "class", selected)
    options = fixture_options(jobs=2, dask=cluster.scheduler_address)
    options.limits = replace(options.limits, cell_timeout=10)  # for SLOW_CELL
    killer = WorkerKiller(cluster.scheduler_address, victim, kills)
    killer.start()
    workspace = Workspace(base / "ws", root=ag_cases.FIXTURE_ROOT)
    try:
        root = ag_cases.FIXTURE_ROOT
        run = grade("fx_basics", folder, root=root, workspace=workspace, options=options)
    finally:
        killer.stop.set()
        killer.join(timeout=30)
    return run, killer, workspace


def test_a_killed_worker_loses_no_grade_and_grades_none_twice(cluster, tmp_path):
    others = ["full", "blank", "wrong"]
    run, killer, workspace = _grade_while_killing(cluster, tmp_path, "slow", 1, others)
    assert len(killer.killed) == 1, killer.errors  # a worker died while grading "slow"
    students = [r["student_id"] for r in run.records]
    assert sorted(students) == ["blank", "full", "slow", "wrong"]  # each exactly once
    totals = {r["student_id"]: r["total"] for r in run.records}
    assert totals == {"blank": 0, "full": 10, "slow": 10, "wrong": 0}  # re-run elsewhere
    stored = sorted(p.stem for p in workspace.results_dir("fx_basics").glob("*.json"))
    assert stored == ["blank", "full", "slow", "wrong"]
    assert run.grader_errors == []


def test_a_submission_that_keeps_killing_workers_is_recorded_with_the_reason(cluster, tmp_path):
    run, killer, _ = _grade_while_killing(cluster, tmp_path, "killer", WORKER_KILLS, ["full"])
    records = {r["student_id"]: r for r in run.records}
    assert len(killer.killed) == WORKER_KILLS, (records["killer"]["status"], killer.errors)
    assert f"died {WORKER_KILLS} times" in records["killer"]["status"]
    assert records["killer"]["total"] == 0 and records["killer"]["graded"]
    assert records["full"]["total"] == 10  # the other submission is graded as usual
    assert run.grader_errors == []
