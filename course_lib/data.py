"""Small synthetic data sets, generated from a seed (no downloads).

Classification sets return ``X`` float64 of shape ``(N, 2)`` and integer labels ``y`` of shape
``(N,)``; :func:`regression_with_outliers` returns ``x, t`` of shape ``(N, 1)`` each.
"""

from __future__ import annotations

import numpy as np

from .utils import as_rng

__all__ = [
    "xor",
    "noisy_xor",
    "moons",
    "spirals",
    "circles",
    "regression_with_outliers",
    "train_test_split",
    "DATASETS",
]


def _check_n(n: int, who: str, minimum: int = 1) -> int:
    if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < minimum:
        raise ValueError(f"{who}: n must be an int >= {minimum}, got {n!r}")
    return int(n)


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR points of ``{0, 1}^2`` and their labels ``x1 XOR x2``.

    Returns
    -------
    X : np.ndarray
        ``[[0, 0], [0, 1], [1, 0], [1, 1]]``, shape ``(4, 2)``, float64.
    y : np.ndarray
        ``[0, 1, 1, 0]``, shape ``(4,)``, int64.
    """
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return X, y


def noisy_xor(
    n: int = 200, noise: float = 0.2, rng: np.random.Generator | int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """XOR clusters: ``n`` points around the four corners of ``{0, 1}^2`` with Gaussian noise.

    Parameters
    ----------
    n : int
        Number of points (spread evenly over the corners).
    noise : float
        Standard deviation of the Gaussian jitter (0.2 leaves the classes separable).
    rng : Generator or int, optional

    Returns
    -------
    X : (n, 2) float64
    y : (n,) int64, the XOR label of the corner each point came from.
    """
    n = _check_n(n, "noisy_xor")
    g = as_rng(rng)
    corners, labels = xor()
    idx = np.arange(n) % 4
    g.shuffle(idx)
    X = corners[idx] + noise * g.standard_normal((n, 2))
    return X, labels[idx].copy()


def moons(
    n: int = 200, noise: float = 0.1, rng: np.random.Generator | int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (like scikit-learn's ``make_moons``).

    Returns
    -------
    X : (n, 2) float64
    y : (n,) int64, 0 for the upper moon, 1 for the lower one.
    """
    n = _check_n(n, "moons", 2)
    g = as_rng(rng)
    n0 = n // 2
    n1 = n - n0
    a0 = np.linspace(0, np.pi, n0)
    a1 = np.linspace(0, np.pi, n1)
    upper = np.stack([np.cos(a0), np.sin(a0)], axis=1)
    lower = np.stack([1 - np.cos(a1), 0.5 - np.sin(a1)], axis=1)
    return _two_classes(upper, lower, noise, g)


def spirals(
    n: int = 300,
    classes: int = 3,
    noise: float = 0.1,
    rng: np.random.Generator | int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``classes`` interleaved spiral arms (the CS231n toy set), ``n`` points in all.

    Parameters
    ----------
    noise : float
        Standard deviation of the angular jitter, in radians.

    Returns
    -------
    X : (n, 2) float64, inside the unit disc.
    y : (n,) int64 in ``[0, classes)``.
    """
    n = _check_n(n, "spirals", classes)
    if classes < 2:
        raise ValueError(f"spirals: classes must be >= 2, got {classes!r}")
    g = as_rng(rng)
    y = np.arange(n) % classes
    per_class_pos = np.arange(n) // classes
    count = np.bincount(y, minlength=classes)[y]
    r = (per_class_pos + 1) / count  # radius in (0, 1]
    theta = 4.0 * r + y * (2 * np.pi / classes) + noise * g.standard_normal(n)
    X = np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1)
    perm = g.permutation(n)
    return X[perm], y[perm].astype(np.int64)


def circles(
    n: int = 200,
    noise: float = 0.05,
    factor: float = 0.5,
    rng: np.random.Generator | int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A small circle inside a large one (radius ``factor`` vs 1), not linearly separable.

    Returns
    -------
    X : (n, 2) float64
    y : (n,) int64, 1 for the inner circle.
    """
    n = _check_n(n, "circles", 2)
    if not 0 < factor < 1:
        raise ValueError(f"circles: factor must be in (0, 1), got {factor!r}")
    g = as_rng(rng)
    n_out = n // 2
    n_in = n - n_out
    a_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    a_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    outer = np.stack([np.cos(a_out), np.sin(a_out)], axis=1)
    inner = factor * np.stack([np.cos(a_in), np.sin(a_in)], axis=1)
    return _two_classes(outer, inner, noise, g)


def _two_classes(
    first: np.ndarray, second: np.ndarray, noise: float, g: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Class 0 at the points ``first`` ``(n0, 2)``, class 1 at ``second`` ``(n1, 2)``.

    Adds Gaussian noise of standard deviation ``noise`` and shuffles: ``X`` ``(n0 + n1, 2)``
    float64 and ``y`` ``(n0 + n1,)`` int64.
    """
    n = len(first) + len(second)
    X = np.concatenate([first, second]) + noise * g.standard_normal((n, 2))
    y = np.concatenate([np.zeros(len(first), np.int64), np.ones(len(second), np.int64)])
    perm = g.permutation(n)
    return X[perm], y[perm]


def regression_with_outliers(
    n: int = 50,
    n_outliers: int = 5,
    slope: float = 2.0,
    intercept: float = 1.0,
    noise: float = 0.3,
    outlier_shift: float = 15.0,
    rng: np.random.Generator | int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A noisy line ``t = slope * x + intercept`` with ``n_outliers`` points shifted far up.

    The last ``n_outliers`` rows are the outliers, so they are easy to find and move.

    Returns
    -------
    x : (n, 1) float64, uniform in [-2, 2].
    t : (n, 1) float64.
    """
    n = _check_n(n, "regression_with_outliers", 2)
    if not 0 <= n_outliers < n:
        raise ValueError(
            f"regression_with_outliers: n_outliers must be in [0, {n}), got {n_outliers!r}"
        )
    g = as_rng(rng)
    x = g.uniform(-2, 2, size=(n, 1))
    t = slope * x + intercept + noise * g.standard_normal((n, 1))
    if n_outliers:
        t[-n_outliers:] += outlier_shift * (1 + 0.1 * g.standard_normal((n_outliers, 1)))
    return x, t


def train_test_split(
    X: np.ndarray,
    y: np.ndarray,
    test_fraction: float = 0.25,
    rng: np.random.Generator | int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split a data set.

    Parameters
    ----------
    X : (N, D)
    y : (N,) or (N, K)
    test_fraction : float in (0, 1)

    Returns
    -------
    X_train, X_test, y_train, y_test
        Row subsets; the test part has ``round(test_fraction * N)`` rows (at least 1).
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"train_test_split: X and y need the same number of rows, got {X.shape[0]} "
            f"and {y.shape[0]}"
        )
    if not 0 < test_fraction < 1:
        raise ValueError(
            f"train_test_split: test_fraction must be in (0, 1), got {test_fraction!r}"
        )
    n = X.shape[0]
    n_test = min(n - 1, max(1, round(test_fraction * n)))
    perm = as_rng(rng).permutation(n)
    te, tr = perm[:n_test], perm[n_test:]
    return X[tr], X[te], y[tr], y[te]


DATASETS = {
    "xor": xor,
    "noisy_xor": noisy_xor,
    "moons": moons,
    "spirals": spirals,
    "circles": circles,
}
