"""The lecture experiments' training run: :func:`~course_lib.train.fit` with Adam, quietly."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..losses import Loss
from ..modules import Module
from ..optim import Adam
from ..train import History, fit

__all__ = ["fit_adam"]


def fit_adam(
    model: Module,
    loss: Loss,
    X: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    lr: float,
    **options: Any,
) -> History:
    """Train ``model`` with ``Adam(model.parameters(), lr)`` and no progress bar.

    ``X (N, D)``, targets ``y (N,)`` or ``(N, K)``; ``options`` go to :func:`fit` (e.g. ``X_val``,
    ``y_val``, ``batch_size``). Returns the :class:`~course_lib.train.History`.
    """
    optimizer = Adam(model.parameters(), lr=lr)
    return fit(model, loss, X, y, epochs=epochs, optimizer=optimizer, progress=False, **options)
