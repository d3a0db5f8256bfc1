"""Bad input raises a clear error naming the module, what was expected and what came."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import (
    SGD,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    Linear,
    MSELoss,
    ReLU,
    Sequential,
    Softmax,
    Tanh,
    WeightedLoss,
    fit,
)


def test_wrong_feature_count() -> None:
    with pytest.raises(ValueError, match=r"Linear\(3 -> 2\).*3 features.*\(5, 4\)"):
        Linear(3, 2, rng=0).forward(np.zeros((5, 4)))


def test_one_dimensional_batch_gets_a_reshape_hint() -> None:
    with pytest.raises(ValueError, match=r"Linear\(3 -> 2\).*2-D batch.*got shape \(3,\).*reshape"):
        Linear(3, 2, rng=0).forward(np.zeros(3))


def test_sequential_reports_the_failing_layer() -> None:
    model = Sequential(Linear(2, 4, rng=0), ReLU(), Linear(5, 1, rng=0))
    with pytest.raises(ValueError, match=r"Linear\(5 -> 1\).*5 features.*\(3, 4\)"):
        model.forward(np.zeros((3, 2)))


def test_non_numeric_input() -> None:
    with pytest.raises(TypeError, match="Linear.*float"):
        Linear(2, 2, rng=0).forward(np.array([["a", "b"]]))


@pytest.mark.parametrize("module", [Linear(2, 2, rng=0), ReLU(), Tanh(), Softmax()], ids=repr)
def test_backward_before_forward(module) -> None:
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        module.backward(np.ones((1, 2)))


@pytest.mark.parametrize(
    "loss", [MSELoss(), HuberLoss(), CrossEntropyLoss(), BCEWithLogitsLoss(), KLDivLoss()], ids=repr
)
def test_loss_backward_before_forward(loss) -> None:
    with pytest.raises(RuntimeError, match=rf"{type(loss).__name__}: backward\(\) called before"):
        loss.backward()


def test_backward_with_the_wrong_gradient_shape() -> None:
    lin = Linear(3, 2, rng=0)
    lin.forward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"grad_output of shape \(4, 2\).*got \(2, 4\)"):
        lin.backward(np.zeros((2, 4)))


def test_labels_out_of_range() -> None:
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\).*got 3 at index 1"):
        CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"got -1 at index 0"):
        CrossEntropyLoss()(np.zeros((2, 3)), np.array([-1, 0]))


def test_labels_not_integers() -> None:
    with pytest.raises(TypeError, match=r"integers, got dtype float64.*astype\(int\)"):
        CrossEntropyLoss()(np.zeros((2, 3)), np.array([0.0, 1.0]))


def test_label_count_mismatch() -> None:
    with pytest.raises(ValueError, match=r"expected 2 labels.*\(2, 3\).*\(3,\)"):
        CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 1, 2]))


def test_cross_entropy_needs_a_batch_of_logits() -> None:
    with pytest.raises(ValueError, match=r"logits of shape \(N, C\), got shape \(3,\)"):
        CrossEntropyLoss()(np.zeros(3), np.array([0]))


@pytest.mark.parametrize("loss", [MSELoss(), HuberLoss(), BCEWithLogitsLoss()], ids=repr)
def test_mismatched_prediction_and_target(loss) -> None:
    with pytest.raises(ValueError, match=r"same shape.*\(4, 1\).*\(4,\)"):
        loss(np.zeros((4, 1)), np.zeros(4))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("loss", [MSELoss(), HuberLoss(), KLDivLoss()], ids=repr)
def test_nan_or_inf_targets(loss, bad) -> None:
    t = np.full((2, 3), 1 / 3)
    t[1, 2] = bad
    with pytest.raises(ValueError, match=r"target must be finite.*index \(1, 2\)"):
        loss(np.zeros((2, 3)), t)


def test_nan_probability_target_for_cross_entropy() -> None:
    t = np.full((2, 3), 1 / 3)
    t[0, 0] = np.nan
    with pytest.raises(ValueError, match="CrossEntropyLoss: target must be finite"):
        CrossEntropyLoss()(np.zeros((2, 3)), t)


def test_bce_targets_outside_unit_interval() -> None:
    with pytest.raises(ValueError, match=r"BCEWithLogitsLoss: targets must lie in \[0, 1\]"):
        BCEWithLogitsLoss()(np.zeros((1, 2)), np.array([[0.0, 2.0]]))


def test_constructor_errors() -> None:
    with pytest.raises(ValueError, match="in_features must be a positive int"):
        Linear(0, 3)
    with pytest.raises(ValueError, match="unknown initialiser 'bogus'"):
        Linear(2, 3, init="bogus")
    with pytest.raises(TypeError, match="item 1 must be a Module"):
        Sequential(Linear(2, 2), np.tanh)
    with pytest.raises(ValueError, match="delta must be positive"):
        HuberLoss(0.0)
    with pytest.raises(TypeError, match=r"term 0 must be a \(finite weight, Loss\) pair"):
        WeightedLoss([(1.0, "mse")])


def test_optimizer_and_fit_errors() -> None:
    with pytest.raises(TypeError, match="must be a Parameter.*model.parameters"):
        SGD([np.zeros(3)], lr=0.1)
    with pytest.raises(ValueError, match="lr must be a positive number"):
        SGD(Linear(2, 2).parameters(), lr=-1)
    with pytest.raises(ValueError, match=r"fit: X and y need the same number of rows"):
        fit(Linear(2, 2), CrossEntropyLoss(), np.zeros((4, 2)), np.zeros(3, int), progress=False)


def test_diverging_training_says_what_to_do() -> None:
    x = np.linspace(-1, 1, 20).reshape(-1, 1) * 100
    with pytest.raises(FloatingPointError, match="lower the learning rate"):
        fit(Linear(1, 1, rng=0), MSELoss(), x, 3 * x, lr=10.0, epochs=50, progress=False)
