"""Fixtures of the exercise tests: one real nbgrader autograde run per session, kernels, scores.

The expensive fixtures (real nbgrader runs, whole classes graded by ``course grade``) are shared
by every pytest-xdist worker of a session (``autograding.shared_once``): the first worker to
need one computes it and stores the result in the session's shared temporary folder; the
others wait on a file lock and read it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from autograding import EXERCISES, autograde_all, shared_once  # noqa: E402
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
    return shared_once(
        tmp_path_factory, "exercises-autograde", lambda work: autograde_all(REPO, work, EXERCISES)
    )


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
