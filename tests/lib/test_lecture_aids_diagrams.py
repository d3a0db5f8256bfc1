"""course_lib.lecture_aids.diagrams: block cascades, point clouds, matrix-product shapes."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.patches import Rectangle

from course_lib import Linear, ReLU, Sequential, Tanh
from course_lib.lecture_aids import diagrams


def _mlp() -> Sequential:
    layers = [Linear(2, 16, rng=0), ReLU(), Linear(16, 8, rng=1), Tanh(), Linear(8, 1, rng=2)]
    return Sequential(*layers)


def test_block_names_and_widths_follow_the_layers() -> None:
    model = _mlp()
    assert diagrams.block_names(model) == [
        "input",
        "Linear",
        "ReLU",
        "Linear",
        "Tanh",
        "Linear",
        "output",
    ]
    assert diagrams.block_widths(model, in_dim=2) == [2, 16, 16, 8, 8, 1]


def test_draw_blocks_draws_one_box_per_block_and_brackets_hidden_layers() -> None:
    ax = diagrams.draw_blocks(_mlp(), in_dim=2)
    boxes = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(boxes) == 7
    texts = [t.get_text() for t in ax.texts]
    assert "hidden layer 1" in texts and "hidden layer 2" in texts and "hidden layer 3" not in texts
    assert texts.count("16") == 2 and texts.count("1") == 1  # widths on the arrows


def test_draw_blocks_rejects_a_non_sequential() -> None:
    with pytest.raises(TypeError, match="expected a Sequential"):
        diagrams.draw_blocks(Linear(2, 3, rng=0), in_dim=2)


def test_point_sets_are_scattered_panel_by_panel() -> None:
    pts = np.random.default_rng(0).normal(size=(10, 2))
    fig = diagrams.plot_point_sets([pts, 2 * pts], ["a", "b"], colour=np.arange(10))
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
    np.testing.assert_allclose(fig.axes[1].collections[0].get_offsets(), 2 * pts)
    with pytest.raises(ValueError, match="2 point sets but 1 titles"):
        diagrams.plot_point_sets([pts, pts], ["a"], colour=np.arange(10))
    with pytest.raises(ValueError, match=r"expected points of shape \(10, 2\)"):
        diagrams.plot_point_sets([pts[:5]], ["a"], colour=np.arange(10))


def test_shape_product_checks_that_the_shapes_fit() -> None:
    ax = diagrams.draw_shape_product([("G", (6, 3)), ("A", (3, 4))], ("dX", (6, 4)))
    assert len([p for p in ax.patches if isinstance(p, Rectangle)]) == 3
    assert {"6×3", "3×4", "6×4"} <= {t.get_text() for t in ax.texts}
    with pytest.raises(ValueError, match="G has 3 columns but A has 4 rows"):
        diagrams.draw_shape_product([("G", (6, 3)), ("A", (4, 4))], ("dX", (6, 4)))
    with pytest.raises(ValueError, match=r"the product has shape \(6, 4\)"):
        diagrams.draw_shape_product([("G", (6, 3)), ("A", (3, 4))], ("dX", (4, 6)))
