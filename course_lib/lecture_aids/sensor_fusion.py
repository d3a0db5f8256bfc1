"""A toy two-modality task: brake when the object ahead is red (camera) and close (LIDAR)."""

from __future__ import annotations

import numpy as np

__all__ = ["brake_data"]


def brake_data(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Objects in front of a car: colour and LIDAR reading, and whether to brake.

    Each object has an RGB colour, uniform in ``[0, 1]^3``, and a LIDAR reading (distance
    uniform in ``[0, 2]`` metres, height uniform in ``[0, 1]``). The car must brake exactly when
    the object is red (red channel above 0.5) *and* closer than 1 m, a quarter of the cases on
    average; neither modality decides this alone.

    Parameters
    ----------
    n : int
        Number of objects.
    rng : np.random.Generator
        Source of the random objects.

    Returns
    -------
    X : np.ndarray
        Shape ``(n, 5)``: columns 0-2 are the colour, 3-4 the LIDAR (distance, height).
    y : np.ndarray
        Shape ``(n, 1)``, 1.0 for "brake" and 0.0 otherwise.
    """
    if n < 1:
        raise ValueError(f"brake_data: n must be at least 1, got {n}")
    rgb = rng.uniform(0, 1, size=(n, 3))
    lidar = np.column_stack([rng.uniform(0, 2, size=n), rng.uniform(0, 1, size=n)])
    brake = (rgb[:, 0] > 0.5) & (lidar[:, 0] < 1.0)
    return np.hstack([rgb, lidar]), brake.astype(np.float64).reshape(-1, 1)
