"""course_lib.lecture_aids.gradient_checking: finite differences in any precision."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import numerical_gradient
from course_lib.lecture_aids import gradient_checking as gc


def cubic(x: np.ndarray) -> float:
    return float(np.sum(x**3))


def test_two_point_error_is_eps_squared_and_four_point_is_exact_for_a_cubic() -> None:
    x = np.array([[0.3, -1.2], [2.0, 0.5]])
    exact = 3 * x**2
    two = gc.central_difference(cubic, x, eps=1e-2, order=2)
    four = gc.central_difference(cubic, x, eps=1e-2, order=4)
    np.testing.assert_allclose(two - exact, 1e-4, rtol=1e-6)  # (x+h)^3 - (x-h)^3 = 6x^2h + 2h^3
    np.testing.assert_allclose(four, exact, atol=1e-10)


def test_central_difference_matches_the_library_in_float64() -> None:
    x = np.random.default_rng(0).normal(size=(3, 4))
    f = lambda z: float(np.sum(np.tanh(z) * z))  # noqa: E731
    np.testing.assert_allclose(
        gc.central_difference(f, x.copy(), 1e-6), numerical_gradient(f, x.copy()), atol=1e-12
    )


def test_central_difference_keeps_the_dtype_and_restores_x() -> None:
    x = np.linspace(-1, 1, 6, dtype=np.float32)
    before = x.copy()
    g = gc.central_difference(lambda z: np.sum(z**2), x, eps=1e-2)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(g, 2 * before, atol=1e-3)


def test_central_difference_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="order must be 2 or 4"):
        gc.central_difference(cubic, np.zeros(2), 1e-3, order=3)
    with pytest.raises(TypeError, match="floating point"):
        gc.central_difference(cubic, np.zeros(2, dtype=np.int64), 1e-3)


def test_eps_sweep_has_the_v_shape_of_truncation_against_round_off() -> None:
    x = np.random.default_rng(1).normal(size=(3, 3))
    exact = 1 - np.tanh(x) ** 2
    eps = np.logspace(-1, -12, 12)
    errors = gc.eps_sweep(lambda z: np.sum(np.tanh(z)), exact, x, eps, order=2)
    assert errors.shape == (12,)
    best = int(np.argmin(errors))
    assert 0 < best < 11 and errors[best] < 1e-9 < min(errors[0], errors[-1])
    errors32 = gc.eps_sweep(lambda z: np.sum(np.tanh(z)), exact, x.astype(np.float32), eps)
    assert errors32.min() > 1e-7  # float32 cannot pass a 1e-7 check


def test_eps_sweep_plot_draws_one_line_per_curve() -> None:
    eps = np.logspace(-1, -4, 4)
    ax = gc.plot_eps_sweep(eps, {"a": np.full(4, 1e-3), "b": np.full(4, 1e-9)})
    assert len(ax.get_lines()) == 2
    with pytest.raises(ValueError, match=r"expected \(4,\)"):
        gc.plot_eps_sweep(eps, {"a": np.ones(3)})
