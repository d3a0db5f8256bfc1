"""Mutation test of the hidden tests: every catalogued bug loses points on a hidden test, every
correct variant keeps full marks. The score is printed at the end of the run."""

from __future__ import annotations

import pytest
from autograding import EXERCISES
from mutations import BUGS, CATALOGUE, VARIANTS, Kernel, Mutant, apply, run_mutant, source_notebook

pytestmark = pytest.mark.slow


def test_catalogue_is_large_enough() -> None:
    assert len(BUGS) >= 25
    assert len(VARIANTS) >= 5
    assert len({m.id for m in CATALOGUE}) == len(CATALOGUE), "mutant ids must be unique"
    required = {
        "ce-grad-not-divided-by-batch",
        "linear-bias-grad-not-summed",
        "linear-assign-not-accumulate",
        "linear-weight-not-transposed",
        "softmax-no-max-subtraction",
        "mlp-relu-mask-from-wrong-layer",
        "relu-derivative-one-at-zero",
        "relu-inplace-input",
        "linear-returns-dW",
        "sigmoid-derivative-from-preactivation",
        "autograd-topological-sort-skipped",
        "autograd-grads-not-reset",
        "huber-delta-misuse-in-linear-piece",
        "ce-probabilities-instead-of-logits",
    }
    assert required <= {m.id for m in BUGS}
    assert {m.notebook for m in BUGS} == set(EXERCISES)


@pytest.mark.parametrize("mutant", CATALOGUE, ids=[m.id for m in CATALOGUE])
def test_edits_apply_cleanly(mutant: Mutant) -> None:
    nb = apply(mutant)
    assert nb.cells != source_notebook(mutant.notebook).cells


@pytest.mark.parametrize("exercise", EXERCISES)
def test_harness_gives_full_marks_to_solutions(grading_kernel: Kernel, exercise: str) -> None:
    result = grading_kernel.run_notebook(source_notebook(exercise))
    assert result.score == result.max_score, result.errors


@pytest.mark.parametrize("mutant", CATALOGUE, ids=[m.id for m in CATALOGUE])
def test_mutant(grading_kernel: Kernel, mutant: Mutant, record_property) -> None:
    result = run_mutant(grading_kernel, mutant)
    lost = sorted(result.hidden_lost)
    record_property(
        "mutation",
        {
            "id": mutant.id,
            "kind": mutant.kind,
            "notebook": mutant.notebook,
            "score": result.score,
            "max_score": result.max_score,
            "hidden_lost": lost,
        },
    )
    if mutant.kind == "bug":
        assert lost, (
            f"{mutant.id} ({mutant.description}) keeps every hidden-test point "
            f"({result.score}/{result.max_score}); public errors: {result.errors}"
        )
    else:
        assert result.score == result.max_score, (
            f"the correct variant {mutant.id} ({mutant.description}) lost points: {result.errors}"
        )
