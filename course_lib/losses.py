"""Loss functions with PyTorch's default definitions (mean reduction).

Every loss has one shape: ``loss.forward(prediction, target) -> float`` (also ``loss(...)``),
then ``loss.backward() -> dL/d(prediction)`` with the prediction's shape. Inputs are never
mutated. Bad input (mismatched shapes, labels out of range, NaN targets, ``backward`` before
``forward``) raises an error naming the loss, what was expected and what came.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .activations import sigmoid
from .utils import as_float_array, check_finite

__all__ = [
    "Loss",
    "MSELoss",
    "HuberLoss",
    "CrossEntropyLoss",
    "BCEWithLogitsLoss",
    "KLDivLoss",
    "WeightedLoss",
    "log_softmax",
    "LOSSES",
]


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Stable ``log softmax(z)`` along ``axis``: ``z - max - log(sum(exp(z - max)))``.

    Parameters
    ----------
    z : np.ndarray
        Logits, e.g. ``(N, C)``.

    Returns
    -------
    np.ndarray
        Same shape; finite for logits of any finite size.
    """
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


class Loss:
    """Base class: ``forward(prediction, target) -> float``, ``backward() -> dL/dprediction``."""

    _grad: np.ndarray | None = None

    def forward(self, prediction: np.ndarray, target: np.ndarray) -> float:
        """Return the scalar loss and cache what ``backward`` needs."""
        raise NotImplementedError

    def __call__(self, prediction: np.ndarray, target: np.ndarray) -> float:
        return self.forward(prediction, target)

    def backward(self) -> np.ndarray:
        """Return ``dL/d(prediction)`` for the last ``forward``, shape of the prediction."""
        if self._grad is None:
            raise RuntimeError(f"{type(self).__name__}: backward() called before forward()")
        return self._grad

    def _pair(self, prediction: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        who = type(self).__name__
        p = as_float_array(prediction, who, "prediction")
        t = as_float_array(target, who, "target")
        if p.shape != t.shape:
            raise ValueError(
                f"{who}: prediction and target must have the same shape, got prediction "
                f"{p.shape} and target {t.shape}"
            )
        check_finite(t, who, "target")
        return p, t

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MSELoss(Loss):
    """Mean squared error ``mean((p - t)^2)`` over all elements (the Euclidean loss).

    The Gaussian maximum-likelihood cost: fine for regression, but an outlier's squared
    residual dominates the mean.

    Shapes: ``prediction (N, ...)``, ``target`` the same; ``backward``: ``2 (p - t) / p.size``.
    """

    def forward(self, prediction: np.ndarray, target: np.ndarray) -> float:
        """Mean of squared residuals over every element."""
        p, t = self._pair(prediction, target)
        d = p - t
        self._grad = d * (2.0 / d.size)
        return float(np.mean(d * d))


class HuberLoss(Loss):
    """Huber loss: quadratic ``0.5 d^2`` for ``|d| <= delta``, linear beyond; mean.

    ``delta (|d| - delta / 2)`` outside, so an outlier pulls with a bounded force ``delta``.
    Inside ``delta`` it equals half the squared error.

    Parameters
    ----------
    delta : float
        Where the quadratic part ends (PyTorch's default 1.0).

    Shapes: ``prediction (N, ...)``, ``target`` the same; ``backward``: ``clip(d, -delta,
    delta) / p.size``.
    """

    def __init__(self, delta: float = 1.0) -> None:
        if not delta > 0:
            raise ValueError(f"HuberLoss: delta must be positive, got {delta!r}")
        self.delta = float(delta)

    def forward(self, prediction: np.ndarray, target: np.ndarray) -> float:
        """Mean Huber loss of the residuals ``prediction - target``."""
        p, t = self._pair(prediction, target)
        d = p - t
        a = np.abs(d)
        inside = a <= self.delta
        per = np.where(inside, 0.5 * d * d, self.delta * (a - 0.5 * self.delta))
        self._grad = np.clip(d, -self.delta, self.delta) / d.size
        return float(np.mean(per))

    def __repr__(self) -> str:
        return f"HuberLoss(delta={self.delta})"


class CrossEntropyLoss(Loss):
    """Cross-entropy on logits, i.e. ``log_softmax`` + negative log-likelihood, batch mean.

    ``L = -(1/N) sum_n log softmax(z_n)[y_n]``. Targets are integer class labels ``(N,)`` in
    ``[0, C)`` or probability rows ``(N, C)`` (then ``L = -(1/N) sum_n sum_c t_nc log p_nc``).
    Stable for logits of any size (the log-sum-exp is taken after subtracting the row max).

    Shapes
    ------
    prediction: logits ``(N, C)``; target: ``(N,)`` int or ``(N, C)`` float.
    backward: ``(softmax(z) - onehot(y)) / N``; probability targets: ``(softmax * sum(t) - t) / N``.
    """

    def forward(self, prediction: np.ndarray, target: np.ndarray) -> float:
        """Mean negative log-likelihood of the targets under ``softmax(prediction)``."""
        z = as_float_array(prediction, "CrossEntropyLoss", "logits")
        if z.ndim != 2:
            raise ValueError(
                f"CrossEntropyLoss: expected logits of shape (N, C), got shape {z.shape}"
                + (" (a single sample? use logits.reshape(1, -1))" if z.ndim == 1 else "")
            )
        t = np.asarray(target)
        if t.ndim == 1:
            return self._forward_labels(z, t)
        return self._forward_probabilities(z, t)

    def _forward_labels(self, z: np.ndarray, y: np.ndarray) -> float:
        """Labels ``y (N,)``: loss ``mean(-log p[n, y_n])``, gradient ``(p - onehot(y)) / N``."""
        n = z.shape[0]
        _check_labels(y, z.shape)
        log_p = log_softmax(z, axis=1)  # (N, C)
        rows = np.arange(n)
        loss = -log_p[rows, y].sum() / n  # mean of -log p_y
        grad = np.exp(log_p)  # softmax p
        grad[rows, y] -= 1.0  # p - onehot(y)
        grad /= n
        self._grad = grad
        return float(loss)

    def _forward_probabilities(self, z: np.ndarray, t: np.ndarray) -> float:
        """Rows ``t (N, C)``: loss ``-sum(t log p) / N``, gradient ``(p sum(t) - t) / N``."""
        n = z.shape[0]
        if t.shape != z.shape:
            raise ValueError(
                f"CrossEntropyLoss: target must be labels of shape ({n},) or probabilities "
                f"of shape {z.shape}, got shape {t.shape}"
            )
        t = as_float_array(t, "CrossEntropyLoss", "target")
        check_finite(t, "CrossEntropyLoss", "target")
        log_p = log_softmax(z, axis=1)
        loss = -np.sum(t * log_p) / n
        self._grad = (np.exp(log_p) * t.sum(axis=1, keepdims=True) - t) / n
        return float(loss)


def _check_labels(y: np.ndarray, logits_shape: tuple[int, ...]) -> None:
    """Raise unless ``y`` holds ``N`` integer labels in ``[0, C)`` for logits ``(N, C)``."""
    n, c = logits_shape
    if y.dtype.kind not in "iu":
        if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
            hint = " (they look like whole numbers: use target.astype(int))"
        else:
            hint = ""
        raise TypeError(
            f"CrossEntropyLoss: class labels must be integers, got dtype {y.dtype}{hint}"
        )
    if y.shape[0] != n:
        raise ValueError(
            f"CrossEntropyLoss: expected {n} labels for logits of shape {logits_shape}, "
            f"got target shape {y.shape}"
        )
    if n and (y.min() < 0 or y.max() >= c):
        bad = int(np.flatnonzero((y < 0) | (y >= c))[0])
        raise ValueError(
            f"CrossEntropyLoss: labels must be in [0, {c}) for {c} classes, got "
            f"{int(y[bad])} at index {bad}"
        )


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy on logits: ``mean(max(z, 0) - z t + log(1 + exp(-|z|)))``.

    The stable form of ``-[t log sigma(z) + (1 - t) log(1 - sigma(z))]``; targets in [0, 1].

    Shapes: logits and targets of the same shape ``(N, ...)``; ``backward``:
    ``(sigma(z) - t) / z.size``.
    """

    def forward(self, prediction: np.ndarray, target: np.ndarray) -> float:
        """Mean binary cross-entropy of ``sigmoid(prediction)`` against ``target``."""
        z, t = self._pair(prediction, target)
        if t.size and (t.min() < 0 or t.max() > 1):
            raise ValueError(
                f"BCEWithLogitsLoss: targets must lie in [0, 1], got values in "
                f"[{t.min():g}, {t.max():g}]"
            )
        per = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
        self._grad = (sigmoid(z) - t) / z.size
        return float(np.mean(per))


class KLDivLoss(Loss):
    """KL divergence ``KL(t || softmax(z))`` summed over classes, averaged over the batch.

    ``sum_c t_c (log t_c - log_softmax(z)_c) / N`` with ``0 log 0 = 0``; this is PyTorch's
    ``KLDivLoss(reduction="batchmean")`` applied to ``log_softmax(z)``.

    Shapes: logits ``(N, C)`` and target probabilities ``(N, C)`` (rows summing to 1);
    ``backward``: ``(softmax(z) * sum(t) - t) / N``.
    """

    def forward(self, prediction: np.ndarray, target: np.ndarray) -> float:
        """Batch-mean KL divergence from the target distribution to the model's."""
        z, t = self._pair(prediction, target)
        if z.ndim != 2:
            raise ValueError(f"KLDivLoss: expected logits of shape (N, C), got shape {z.shape}")
        if t.size and t.min() < 0:
            raise ValueError(f"KLDivLoss: target probabilities must be >= 0, got {t.min():g}")
        n = z.shape[0]
        logp = log_softmax(z, axis=1)
        pos = t > 0
        logt = np.log(np.where(pos, t, 1.0))
        loss = np.sum(np.where(pos, t * (logt - logp), 0.0)) / n
        probs = np.exp(logp)
        self._grad = (probs * t.sum(axis=1, keepdims=True) - t) / n
        return float(loss)


class WeightedLoss(Loss):
    """A blend ``sum_i w_i L_i(prediction, target)`` of losses on the same prediction.

    Parameters
    ----------
    terms : sequence of (float, Loss)
        Weights and losses, e.g. ``[(1.0, CrossEntropyLoss()), (0.1, KLDivLoss())]``. Each
        loss receives the same prediction and target, so their target formats must agree.

    Shapes: as the component losses; ``backward`` is the weighted sum of their gradients.
    """

    def __init__(self, terms: Sequence[tuple[float, Loss]]) -> None:
        terms = list(terms)
        if not terms:
            raise ValueError("WeightedLoss: expected at least one (weight, loss) pair, got none")
        for i, item in enumerate(terms):
            if (
                not isinstance(item, tuple | list)
                or len(item) != 2
                or not isinstance(item[1], Loss)
                or not np.isfinite(item[0])
            ):
                raise TypeError(
                    f"WeightedLoss: term {i} must be a (finite weight, Loss) pair, got {item!r}"
                )
        self.terms = [(float(w), loss) for w, loss in terms]

    def forward(self, prediction: np.ndarray, target: np.ndarray) -> float:
        """Weighted sum of the component losses."""
        total = 0.0
        for w, loss in self.terms:
            total += w * loss.forward(prediction, target)
        self._grad = None
        return total

    def backward(self) -> np.ndarray:
        """Weighted sum of the components' gradients, shape of the prediction."""
        grads = [w * loss.backward() for w, loss in self.terms]
        return np.sum(grads, axis=0)

    def __repr__(self) -> str:
        return "WeightedLoss([" + ", ".join(f"({w:g}, {loss!r})" for w, loss in self.terms) + "])"


LOSSES: dict[str, type[Loss]] = {
    "mse": MSELoss,
    "huber": HuberLoss,
    "cross_entropy": CrossEntropyLoss,
    "bce_with_logits": BCEWithLogitsLoss,
    "kl_div": KLDivLoss,
}
