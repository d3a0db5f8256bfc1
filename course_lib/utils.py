"""Small helpers shared by the course library: random generators and input validation."""

from __future__ import annotations

import numpy as np

__all__ = ["as_rng", "as_float_array", "check_batch", "check_finite", "erf", "normal_cdf"]


def as_rng(rng: np.random.Generator | int | None = None) -> np.random.Generator:
    """Return a ``np.random.Generator`` for ``rng``.

    Parameters
    ----------
    rng : np.random.Generator, int or None
        A generator (returned as is), an integer seed, or ``None`` for fresh OS entropy.

    Returns
    -------
    np.random.Generator
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, int | np.integer):
        return np.random.default_rng(rng)
    raise TypeError(
        f"rng: expected a numpy Generator, an int seed or None, got {type(rng).__name__}"
    )


def as_float_array(x: object, who: str, name: str = "input") -> np.ndarray:
    """Return ``x`` as a floating-point ndarray without copying when it already is one.

    Integer and boolean arrays are converted to float64; anything that is not array-like raises
    a ``TypeError`` naming ``who``.
    """
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return x
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - numpy raises many kinds
        raise TypeError(f"{who}: {name} must be array-like, got {type(x).__name__}") from exc
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64)
    if arr.dtype.kind != "f":
        raise TypeError(
            f"{who}: {name} must be a float array, got dtype {arr.dtype} (type {type(x).__name__})"
        )
    return arr


def check_batch(x: np.ndarray, who: str, features: int | None = None) -> None:
    """Raise a ``ValueError`` unless ``x`` is a 2-D batch ``(N, features)``.

    Parameters
    ----------
    x : np.ndarray
        The batch to check, expected shape ``(N, features)`` with ``N >= 1``.
    who : str
        The module's name for the message, e.g. ``"Linear(3 -> 4)"``.
    features : int, optional
        The required number of columns.
    """
    if x.ndim != 2:
        hint = (
            f" (a single sample? use x.reshape(1, -1) to make a batch of one, shape (1, {x.size}))"
            if x.ndim == 1
            else ""
        )
        want = f"(N, {features})" if features is not None else "(N, D)"
        raise ValueError(f"{who}: expected a 2-D batch of shape {want}, got shape {x.shape}{hint}")
    if features is not None and x.shape[1] != features:
        raise ValueError(
            f"{who}: expected input with {features} features, shape (N, {features}), "
            f"got shape {x.shape} ({x.shape[1]} features)"
        )


def check_finite(a: np.ndarray, who: str, name: str) -> None:
    """Raise a ``ValueError`` if ``a`` holds NaN or infinity, saying where the first one is."""
    if not np.isfinite(a).all():
        bad = np.argwhere(~np.isfinite(a))[0]
        where = tuple(int(i) for i in bad)
        raise ValueError(
            f"{who}: {name} must be finite, got {a[where] if a.ndim else a} at index {where}"
        )


_TWO_OVER_SQRT_PI = 2.0 / np.sqrt(np.pi)
_SERIES_END = 1.5  # series below, continued fraction from here on
_SERIES_TERMS = 28  # error < 1e-15 on [0, 1.5)
_CF_TERMS = 90  # relative error < 4e-15 on [1.5, inf)


def _erf_series(z: np.ndarray) -> np.ndarray:
    """``erf(z)`` for ``0 <= z < 1.5``: ``2/sqrt(pi) exp(-z^2) sum_n 2^n z^(2n+1) / (2n+1)!!``.

    All terms are positive, so nothing cancels.
    """
    z2 = z * z
    term = z.copy()
    total = z.copy()
    for n in range(1, _SERIES_TERMS):
        term *= 2.0 * z2 / (2 * n + 1)
        total += term
    return _TWO_OVER_SQRT_PI * np.exp(-z2) * total


def _erfc_tail(z: np.ndarray) -> np.ndarray:
    """``erfc(z)`` for ``z >= 1.5`` with full relative accuracy (Laplace continued fraction).

    ``erfc(z) = exp(-z^2)/sqrt(pi) / (z + (1/2)/(z + 1/(z + (3/2)/(z + ...))))``,
    evaluated bottom-up.
    """
    frac = z.copy()
    for k in range(_CF_TERMS, 0, -1):
        frac = z + (k / 2.0) / frac
    return np.exp(-z * z) / (np.sqrt(np.pi) * frac)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, vectorized, accurate to about 1e-15 in float64 (numpy has none).

    A positive-term power series for ``|x| < 1.5`` and ``1 - erfc`` by a continued fraction
    beyond, each a fixed number of vectorized steps.

    Parameters
    ----------
    x : np.ndarray
        Any shape.

    Returns
    -------
    np.ndarray
        Same shape and floating dtype as ``x``.
    """
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.float64
    z = np.abs(x.astype(np.float64, copy=False))
    out = np.empty_like(z)
    small = z < _SERIES_END
    out[small] = _erf_series(z[small])
    large = ~small
    out[large] = 1.0 - _erfc_tail(z[large])
    return (np.sign(x) * out).astype(dtype, copy=False)


def normal_cdf(x: np.ndarray) -> np.ndarray:
    """The standard normal CDF ``Phi(x) = (1 + erf(x / sqrt(2))) / 2``, accurate in both tails.

    Parameters
    ----------
    x : np.ndarray
        Any shape, float.

    Returns
    -------
    np.ndarray
        Same shape and dtype as ``x``, with a relative error of a few ulp everywhere: the
        left tail (x < -2.12) uses the continued fraction for erfc, so no cancellation.
    """
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.float64
    z = x.astype(np.float64, copy=False) / np.sqrt(2.0)
    out = np.empty_like(z)
    left = z <= -_SERIES_END  # where 1 - erf would cancel: use erfc directly
    out[left] = 0.5 * _erfc_tail(-z[left])
    rest = ~left
    out[rest] = 0.5 * (1.0 + erf(z[rest]))
    return out.astype(dtype, copy=False)
