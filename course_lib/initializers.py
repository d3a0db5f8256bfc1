"""Weight initialisers: He (Kaiming) and Xavier (Glorot), normal and uniform.

Each takes ``shape = (fan_out, fan_in)`` (the ``Linear.weight`` layout), a
``np.random.Generator`` and a dtype, and returns an array of that shape.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "he_normal",
    "he_uniform",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
    "initialize",
    "INITIALIZERS",
]


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) != 2:
        raise ValueError(f"init: expected a weight shape (fan_out, fan_in), got {shape}")
    return shape[1], shape[0]


def he_normal(
    shape: tuple[int, int], rng: np.random.Generator, dtype: np.dtype | type = np.float64
) -> np.ndarray:
    """He/Kaiming normal: ``N(0, 2 / fan_in)``, for ReLU layers. Returns ``shape``."""
    fan_in, _ = _fans(shape)
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)


def he_uniform(
    shape: tuple[int, int], rng: np.random.Generator, dtype: np.dtype | type = np.float64
) -> np.ndarray:
    """He/Kaiming uniform: ``U(-a, a)`` with ``a = sqrt(6 / fan_in)``. Returns ``shape``."""
    fan_in, _ = _fans(shape)
    a = np.sqrt(6.0 / fan_in)
    return rng.uniform(-a, a, size=shape).astype(dtype)


def xavier_normal(
    shape: tuple[int, int], rng: np.random.Generator, dtype: np.dtype | type = np.float64
) -> np.ndarray:
    """Xavier/Glorot normal: ``N(0, 2 / (fan_in + fan_out))``, for tanh/sigmoid layers."""
    fan_in, fan_out = _fans(shape)
    return (rng.standard_normal(shape) * np.sqrt(2.0 / (fan_in + fan_out))).astype(dtype)


def xavier_uniform(
    shape: tuple[int, int], rng: np.random.Generator, dtype: np.dtype | type = np.float64
) -> np.ndarray:
    """Xavier/Glorot uniform: ``U(-a, a)`` with ``a = sqrt(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = _fans(shape)
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=shape).astype(dtype)


def zeros(
    shape: tuple[int, int], rng: np.random.Generator, dtype: np.dtype | type = np.float64
) -> np.ndarray:
    """All zeros (a bad idea for hidden layers: every unit stays identical)."""
    return np.zeros(shape, dtype=dtype)


INITIALIZERS: dict[str, Callable[..., np.ndarray]] = {
    "he": he_normal,
    "he_normal": he_normal,
    "kaiming": he_normal,
    "he_uniform": he_uniform,
    "xavier": xavier_uniform,
    "glorot": xavier_uniform,
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "zeros": zeros,
}


def initialize(
    init: str | Callable[..., np.ndarray],
    shape: tuple[int, int],
    rng: np.random.Generator,
    dtype: np.dtype | type = np.float64,
) -> np.ndarray:
    """Dispatch ``init`` (a name in :data:`INITIALIZERS` or a callable) for ``shape``."""
    if callable(init):
        out = np.asarray(init(shape, rng, dtype), dtype=dtype)
    elif isinstance(init, str) and init.lower() in INITIALIZERS:
        out = INITIALIZERS[init.lower()](shape, rng, dtype)
    else:
        raise ValueError(
            f"init: unknown initialiser {init!r}; expected one of {sorted(INITIALIZERS)} "
            "or a callable (shape, rng, dtype) -> array"
        )
    if out.shape != tuple(shape):
        raise ValueError(f"init: initialiser returned shape {out.shape}, expected {tuple(shape)}")
    return out
