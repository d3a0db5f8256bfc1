"""``course grade ex01_modules CLASS --dask local:2``, as an instructor types it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from autograder.workspace import Workspace

pytest.importorskip(
    "distributed", reason='the Dask extra is not installed (pip install -e ".[dask]")'
)

pytestmark = pytest.mark.xdist_group("dask")

ROOT = Path(__file__).resolve().parents[2]


def test_course_grade_on_a_local_dask_cluster(tmp_path):
    from autograder.assignments.master import load_assignment
    from autograder.demo import synthetic_class

    assignment = load_assignment(ROOT, "ex01_modules", Workspace(tmp_path / "prep", root=ROOT))
    source = json.loads(assignment.source_path.read_text(encoding="utf-8"))
    due = datetime.now(UTC) + timedelta(days=1)
    students = [
        s
        for s in synthetic_class.make_class(assignment, source, due)
        if s.student_id in ("ada", "grace", "bob")
    ]
    folder = synthetic_class.write_class(students, "ex01_modules", tmp_path / "class")
    workspace = tmp_path / "ws"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable, "-m", "autograder.cli", "--root", str(ROOT), "grade", "ex01_modules",
        str(folder), "--dask", "local:2", "--workspace", str(workspace), "--no-progress",
        "--timeout", "8", "--memory", "512",
    ]  # fmt: skip
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    sandbox = next(ln for ln in proc.stdout.splitlines() if ln.startswith("sandbox:"))
    assert "(on 2 Dask workers, 2 grading processes)" in sandbox
    records = {
        p.stem: json.loads(p.read_text())
        for p in Workspace(workspace).results_dir("ex01_modules").glob("*.json")
    }
    assert sorted(records) == ["ada", "bob", "grace"]
    top = records["ada"]["max_total"]
    assert records["ada"]["total"] == top > records["grace"]["total"] > records["bob"]["total"]
    mode = records["ada"]["run"]["sandbox"]
    assert sandbox.startswith(f"sandbox: {mode}:")
    assert all(r["run"]["sandbox"] == mode for r in records.values())
