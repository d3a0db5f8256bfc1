"""Session fixtures for the autograder tests: expensive grading runs happen once.

``fx_graded`` grades the whole fixture class (ordinary, bad and malicious submissions of
``fx_basics``) with two workers; most tests only read its results.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "benchmarks"))  # the nbgrader harness

#: The sandbox mode of the fixture run, for the summary line that tests/conftest.py prints.
SANDBOX_NOTE = Path(tempfile.gettempdir()) / f"course-autograder-sandbox-{os.getuid()}.txt"

import ag_cases  # noqa: E402
from ag_cases import SECRET_ENV, SECRET_VALUE, fixture_options  # noqa: E402

from autograder.limits import Limits  # noqa: E402
from autograder.pipeline.grading import GradeRun, grade  # noqa: E402
from autograder.workspace import Workspace  # noqa: E402


@dataclass
class Graded:
    """A graded class."""

    workspace: Workspace
    run: GradeRun
    records: dict[str, dict]
    cases: dict[str, ag_cases.Case]
    folder: Path
    base: Path
    secret_file: Path


@pytest.fixture(scope="session")
def fx_graded(tmp_path_factory: pytest.TempPathFactory) -> Graded:
    base = tmp_path_factory.mktemp("fx_class")
    workspace = Workspace(base / "workspace", root=ag_cases.FIXTURE_ROOT)
    secret_file = base / "secret.txt"
    secret_file.write_text("SECRET_FILE_CONTENT_91c2")
    # A loopback listener in the grader's network namespace: a sandboxed submission must not
    # reach it (the snoop case connects to it; nothing ever leaves 127.0.0.1).
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    # A file left by an earlier, unsandboxed run would make the snoop test fail spuriously.
    (ag_cases.FIXTURE_ROOT / "hacked.txt").unlink(missing_ok=True)
    cases = ag_cases.cases(workspace.path, secret_file, port)
    folder = ag_cases.write_class(base / "class", cases)
    old = os.environ.get(SECRET_ENV)
    os.environ[SECRET_ENV] = SECRET_VALUE  # the grader's environment must not reach students
    try:
        run = grade(
            ag_cases.EXERCISE,
            folder,
            root=ag_cases.FIXTURE_ROOT,
            workspace=workspace,
            options=fixture_options(jobs=2),
        )
    finally:
        listener.close()
        if old is None:
            os.environ.pop(SECRET_ENV, None)
        else:
            os.environ[SECRET_ENV] = old
    records = {r["student_id"]: r for r in run.records}
    SANDBOX_NOTE.write_text(f"{run.sandbox} (uid {os.getuid()})\n")
    return Graded(workspace, run, records, cases, folder, base, secret_file)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory):
    """``course demo`` on the real ex01_modules, in a temporary workspace."""
    from autograder.demo.run import run_demo

    root = HERE.parents[1]
    if not (root / "solutions" / "ex01_modules" / "ex01_modules.ipynb").is_file():
        pytest.skip("solutions/ex01_modules is not there yet")
    workspace = Workspace(tmp_path_factory.mktemp("demo") / "workspace", root=root)
    limits = Limits(cell_timeout=8, wall_clock=90, memory_mb=512)
    result = run_demo(root, workspace, jobs=2, limits=limits, progress=False, echo=lambda _: None)
    return workspace, result
