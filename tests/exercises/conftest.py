"""Fixtures of the exercise tests: one real nbgrader autograde run per session, kernels, scores.

The autograde fixture is shared by every pytest-xdist worker of a session: the first worker to
need it runs nbgrader and stores the result in the session's shared temporary folder; the others
wait on a file lock and read it.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from autograding import EXERCISES, autograde_all  # noqa: E402
from mutations import Kernel  # noqa: E402

ARTIFACTS = REPO / "tests" / "artifacts"

# exercise -> total points (about 100 in all)


@pytest.fixture(scope="session")
def repo() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture(scope="session")
def autograde_results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Real ``nbgrader autograde`` of every solution and every untouched release (once)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return autograde_all(REPO, tmp_path_factory.mktemp("course"), EXERCISES)
    shared = tmp_path_factory.getbasetemp().parent  # one folder per session, shared by workers
    cache = shared / "exercises-autograde.json"
    with open(shared / "exercises-autograde.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if cache.exists():
                return json.loads(cache.read_text())
            result = autograde_all(REPO, shared / "exercises-course", EXERCISES)
            cache.write_text(json.dumps(result))
            return result
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def grading_kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    """A kernel (one per worker) that executes notebooks the way nbgrader does."""
    k = Kernel(tmp_path_factory.mktemp("kernel-cwd"))
    k.start()
    yield k
    k.stop()


# -- mutation score summary ----------------------------------------------------------------------
_MUTATIONS: list[dict] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect the outcome each mutation test recorded (works across xdist workers)."""
    if report.when != "call":
        return
    for key, value in report.user_properties:
        if key == "mutation":
            _MUTATIONS.append(dict(value, passed=report.passed))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001
    """Print the mutation score and write it to tests/artifacts/mutation_score.json."""
    if not _MUTATIONS:
        return
    bugs = [m for m in _MUTATIONS if m["kind"] == "bug"]
    variants = [m for m in _MUTATIONS if m["kind"] == "variant"]
    killed = sum(m["passed"] for m in bugs)
    kept = sum(m["passed"] for m in variants)
    terminalreporter.write_sep("-", "mutation score of the hidden tests")
    terminalreporter.write_line(f"bugs killed by a hidden test: {killed}/{len(bugs)}")
    terminalreporter.write_line(f"correct variants with full marks: {kept}/{len(variants)}")
    for m in sorted(variants, key=lambda m: m["id"]):
        terminalreporter.write_line(
            f"  variant {m['id']}: {'full marks' if m['passed'] else 'LOST'}"
        )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    summary = {
        "bugs_killed": killed,
        "bugs": len(bugs),
        "variants_kept": kept,
        "variants": len(variants),
        "mutants": sorted(_MUTATIONS, key=lambda m: m["id"]),
    }
    (ARTIFACTS / "mutation_score.json").write_text(json.dumps(summary, indent=1))
