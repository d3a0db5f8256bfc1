"""course_lib.lecture_aids.linear_regions: activation regions, the tent map, linear pieces."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import Linear, Sequential
from course_lib.lecture_aids import linear_regions


def test_activation_patterns_label_the_quadrants_of_two_units() -> None:
    layer = Linear(2, 2, rng=0)
    layer.weight.data[:] = np.eye(2)
    layer.bias.data[:] = 0.0
    pts = np.array([[1.0, 1.0], [2.0, 3.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -2.0]])
    codes = linear_regions.activation_patterns([layer], pts)
    assert codes.shape == (5,)
    assert codes[0] == codes[1]  # same quadrant, same pattern
    assert len(set(codes[[0, 2, 3, 4]])) == 4


def test_activation_patterns_cover_every_layer() -> None:
    g = np.random.default_rng(3)
    layers = [linear_regions.random_affine_layer(n, m, g) for n, m in [(2, 3), (3, 2)]]
    pts = g.normal(size=(200, 2))
    codes = linear_regions.activation_patterns(layers, pts)
    first_only = linear_regions.activation_patterns(layers[:1], pts)
    assert len(np.unique(codes)) >= len(np.unique(first_only))  # the second layer refines
    with pytest.raises(ValueError, match=r"shape \(M, D\)"):
        linear_regions.activation_patterns(layers, np.zeros(3))


def test_random_affine_layer_is_reproducible_and_has_biases() -> None:
    a = linear_regions.random_affine_layer(2, 8, np.random.default_rng(5))
    b = linear_regions.random_affine_layer(2, 8, np.random.default_rng(5))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)
    assert np.all(a.bias.data != 0)


def test_region_plot_counts_at_most_the_regions_of_n_lines() -> None:
    layer = linear_regions.random_affine_layer(2, 8, np.random.default_rng(10))
    n = linear_regions.plot_activation_regions([layer], resolution=101)
    assert 2 <= n <= 1 + 8 + 8 * 7 // 2  # n lines in general position: 1 + n + n(n-1)/2


def test_tent_block_folds_the_interval() -> None:
    t = linear_regions.tent_block()
    np.testing.assert_allclose(
        t(np.array([[0.0], [0.25], [0.5], [0.75], [1.0]]))[:, 0], [0, 0.5, 1, 0.5, 0]
    )


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_k_tent_maps_have_two_to_the_k_pieces(k: int) -> None:
    x = np.linspace(0, 1, 2**10 + 1).reshape(-1, 1)
    net = Sequential(*[linear_regions.tent_block() for _ in range(k)])
    assert linear_regions.count_pieces(x[:, 0], net(x)[:, 0]) == 2**k


def test_count_pieces_of_simple_curves() -> None:
    x = np.linspace(-1, 1, 21)
    assert linear_regions.count_pieces(x, 3 * x + 1) == 1
    assert linear_regions.count_pieces(x, np.abs(x)) == 2
    with pytest.raises(ValueError, match="same shape"):
        linear_regions.count_pieces(x, x[:-1])
