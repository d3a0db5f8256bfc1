"""course_lib.testing: messages that teach, and checks that do not trust what they check."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import testing as T
from course_lib.activations import ReLU
from course_lib.modules import Linear, Module, Parameter

E = np.arange(6.0).reshape(2, 3)


def _fails(match: str, func, *args, **kwargs) -> str:
    with pytest.raises(AssertionError, match=match) as info:
        func(*args, **kwargs)
    return str(info.value)


def test_assert_close_accepts_round_off() -> None:
    T.assert_close(E * (1 + 1e-12), E, name="y")
    T.assert_close(np.float32(1) * E.astype(np.float32), E, name="y", max_rel_error=1e-6)


def test_shape_message_with_hint() -> None:
    msg = _fails(
        r"db has shape \(1, 3\), expected \(3,\)",
        T.assert_close,
        np.ones((1, 3)),
        np.ones(3),
        name="db",
        hint="sum the upstream gradient over the batch axis",
    )
    assert "hint: sum the upstream gradient over the batch axis" in msg


def test_transposed_shape_is_pointed_out() -> None:
    _fails("a transpose or a reshape", T.assert_close, E.T, E, name="dW")


def test_worst_element_is_reported() -> None:
    actual = E.copy()
    actual[1, 2] = 7.5
    msg = _fails("wrong at 1 of 6", T.assert_close, actual, E, name="y")
    assert "worst at index (1, 2): expected 5, got 7.5" in msg


def test_uniform_factor_is_recognised() -> None:
    msg = _fails("wrong", T.assert_close, E * 4, E, name="grad")
    assert "expected / got = 0.25" in msg and "1/N" in msg


def test_types_dtypes_and_nan() -> None:
    _fails("forget a `return`", T.assert_close, None, E, name="y")
    _fails("must be a numpy array", T.assert_close, E.tolist(), E, name="y")
    _fails(
        "dtype float32, expected float64", T.assert_close, E.astype(np.float32), E, dtype=np.float64
    )
    bad = E.copy()
    bad[0, 1] = np.nan
    _fails(r"contains nan at index \(0, 1\)", T.assert_close, bad, E, name="y")
    _fails("must hold real numbers", T.assert_close, E.astype(complex), E)


def test_rtol_atol_mode() -> None:
    T.assert_close(E + 1e-3, E, rtol=0.0, atol=2e-3)
    _fails("atol", T.assert_close, E + 1e-2, E, rtol=0.0, atol=2e-3)


class _Liar(np.ndarray):
    """An ndarray whose comparisons always claim equality."""

    def __eq__(self, other):  # noqa: D105
        return np.ones(np.shape(self), dtype=bool)

    __ne__ = __eq__


class _Exploding:
    def __eq__(self, other):  # noqa: D105
        raise RuntimeError("__eq__ was called")

    __hash__ = None


def test_student_objects_are_not_trusted() -> None:
    liar = (E + 1).view(_Liar)
    _fails("wrong at 6 of 6", T.assert_close, liar, E, name="y")
    _fails("must be a numpy array", T.assert_close, _Exploding(), E, name="y")
    _fails("must be a number", T.assert_scalar_close, _Exploding(), 1.0, name="loss")
    _fails("must be a string", T.assert_choice, _Exploding(), "a", name="q01")


def test_rebinding_numpy_functions_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "abs", lambda x: np.zeros_like(x))
    monkeypatch.setattr(np, "array_equal", lambda *a, **k: True)
    monkeypatch.setattr(np, "isfinite", lambda x: np.ones_like(x, dtype=bool))
    _fails("wrong", T.assert_close, E + 1, E)
    x = np.ones(3)
    with pytest.raises(AssertionError, match="modified in place"), T.assert_not_mutated(x=x):
        x[0] = 2.0


def test_assert_not_mutated() -> None:
    x = np.ones((2, 2))
    with T.assert_not_mutated(x=x):
        _ = x * 2
    msg = _fails("modified in place", _mutate, x)
    assert "element (0, 1) was 1, now 5" in msg


def _mutate(x: np.ndarray) -> None:
    with T.assert_not_mutated(x=x):
        x[0, 1] = 5.0


def test_scalar_checks() -> None:
    T.assert_scalar_close(np.float64(0.5), 0.5, name="loss")
    T.assert_scalar_close(np.array(0.5), 0.5, name="loss")
    _fails("single number", T.assert_scalar_close, np.array([0.5]), 0.5, name="loss")
    _fails("is nan", T.assert_scalar_close, float("nan"), 0.5, name="loss")
    _fails(r"expected / got = 0.5", T.assert_scalar_close, 2.0, 1.0, name="loss")
    _fails("must be a number", T.assert_scalar_close, True, 1.0, name="loss")


def test_check_gradients_passes_and_fails() -> None:
    x = np.random.default_rng(0).standard_normal((4, 3))
    errors = T.check_gradients(lambda: Linear(3, 2, rng=0), x)
    assert set(errors) == {"input", "weight", "bias"} and max(errors.values()) < 1e-7

    class Broken(Linear):
        def backward(self, grad_output, input_grad=True):
            dx = super().backward(grad_output)
            self.bias.grad *= 2.0
            return dx

    _fails("bias.grad is wrong", T.check_gradients, lambda: Broken(3, 2, rng=0), x, name="Broken")


def test_assert_module_matches() -> None:
    rng = np.random.default_rng(1)
    x, g = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    T.assert_module_matches(Linear(3, 2, rng=0), Linear(3, 2, rng=1), x, g, name="Linear")

    class Overwrites(Linear):
        def backward(self, grad_output, input_grad=True):
            self.weight.grad[...] = 0.0
            return super().backward(grad_output)

    _fails(
        "after two forward/backward",
        T.assert_module_matches,
        Overwrites(3, 2),
        Linear(3, 2),
        x,
        g,
        name="Linear",
    )
    _fails("has 0 parameters", T.assert_module_matches, ReLU(), Linear(3, 2), x, g, name="ReLU")


def test_assert_own_implementation() -> None:
    _fails(
        "is \\(or subclasses\\)",
        T.assert_own_implementation,
        Linear,
        name="Linear",
        reference=Linear,
    )

    class Sub(Linear):
        pass

    _fails("subclasses", T.assert_own_implementation, Sub, name="Linear", reference=Linear)

    class Mine(Module):
        def forward(self, x):
            return x

        def backward(self, g):
            return g

    _fails("comes from the module", T.assert_own_implementation, Mine, name="Mine")
    for obj in (Mine, Mine.forward, Mine.backward):
        obj.__module__ = "__main__"
    T.assert_own_implementation(Mine, name="Mine", reference=Linear)
    Mine.backward = Linear.backward
    _fails(
        "Mine.backward is defined in 'course_lib.modules'",
        T.assert_own_implementation,
        Mine,
        name="Mine",
    )
    _fails("must be a class", T.assert_own_implementation, Mine(), name="Mine")


def test_set_parameter_and_get_grad() -> None:
    p = Parameter(np.zeros((2, 3)))
    p.grad += 1.0
    T.set_parameter(p, E, name="W")
    assert np.array_equal(p.data, E) and not p.grad.any()
    _fails("must be a Parameter", T.set_parameter, np.zeros((2, 3)), E, name="W")
    _fails(
        r"has shape \(3, 2\), expected \(2, 3\)",
        T.set_parameter,
        Parameter(np.zeros((3, 2))),
        E,
        name="W",
    )
    p.grad = np.zeros(3)
    _fails(r"has shape \(3,\), expected \(2, 3\)", T.get_grad, p, name="W.grad")


def test_quiz_helpers() -> None:
    T.assert_choice(" B ", "b", name="q1")
    T.assert_choice_format("c", name="q1")
    _fails("not the right answer", T.assert_choice, "a", "b", name="q1")
    _fails("one of", T.assert_choice_format, "e", name="q1")
    _fails("no answer yet", T.assert_choice_format, None, name="q1")
    T.assert_choice("huber", "huber", name="x", options=("mse", "huber"))
    T.assert_number_close(0.1438, 0.14384103, name="q2")
    T.assert_number_close(203530, 203530, name="q3", rtol=1e-9)
    _fails("not the right value", T.assert_number_close, 0.15, 0.1438, name="q2")
    _fails("finite", T.assert_number_format, float("inf"), name="q2")


def test_away_from_keeps_a_margin() -> None:
    x = T.away_from(np.random.default_rng(0), (200,), kinks=(-1.0, 0.0, 1.0), margin=0.05)
    for k in (-1.0, 0.0, 1.0):
        assert np.min(np.abs(x - k)) >= 0.05 - 1e-15
    assert x.dtype == np.float64 and x.shape == (200,)
