"""A small, honest training loop: ``fit(model, loss, X, y) -> History``.

One epoch = one pass over the shuffled training set in mini-batches:
``forward -> loss -> backward -> optimizer.step() -> zero_grad``. Training metrics are the
means over the epoch's mini-batches (as Keras reports them); validation metrics are computed
on the whole validation set after the epoch. A tqdm progress bar shows the epochs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from .losses import BCEWithLogitsLoss, Loss
from .modules import Linear, Module, Sequential
from .optim import SGD, Optimizer
from .utils import as_rng

__all__ = ["History", "fit", "predict", "accuracy"]


@dataclass
class History:
    """Per-epoch metrics of a :func:`fit` run.

    Attributes
    ----------
    loss, accuracy : list of float
        Mean training loss and accuracy over each epoch's mini-batches (accuracy is NaN for
        regression targets).
    val_loss, val_accuracy : list of float
        On the validation set after each epoch (empty without one).
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        """Number of completed epochs."""
        return len(self.loss)

    def __repr__(self) -> str:
        if not self.loss:
            return "History(epochs=0)"
        parts = [f"epochs={self.epochs}", f"loss={self.loss[-1]:.4g}"]
        if self.accuracy and np.isfinite(self.accuracy[-1]):
            parts.append(f"accuracy={self.accuracy[-1]:.3f}")
        if self.val_accuracy:
            parts.append(f"val_accuracy={self.val_accuracy[-1]:.3f}")
        return "History(" + ", ".join(parts) + ")"


def predict(model: Module, X: np.ndarray) -> np.ndarray:
    """Class predictions of a classifier.

    Parameters
    ----------
    model : Module
        Maps ``(N, D)`` to logits ``(N, C)``; with ``C == 1`` the logit's sign decides.
    X : np.ndarray
        Shape ``(N, D)``.

    Returns
    -------
    np.ndarray
        Integer labels, shape ``(N,)``.
    """
    out = model.forward(np.asarray(X, dtype=np.float64) if np.asarray(X).dtype.kind != "f" else X)
    return _labels_from_output(out)


def _labels_from_output(out: np.ndarray) -> np.ndarray:
    if out.ndim == 2 and out.shape[1] > 1:
        return out.argmax(axis=1)
    return (out.reshape(out.shape[0], -1)[:, 0] > 0).astype(np.int64)


def _batch_accuracy(out: np.ndarray, target: np.ndarray) -> float:
    t = np.asarray(target)
    if t.ndim == 2 and t.shape[1] > 1:  # probability / one-hot targets
        return float(np.mean(out.argmax(axis=1) == t.argmax(axis=1)))
    return float(np.mean(_labels_from_output(out) == t.reshape(-1)))


def accuracy(model: Module, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of correctly classified rows. ``X (N, D)``, ``y (N,)`` labels; returns a float."""
    return _batch_accuracy(model.forward(X), y)


def _is_classification(loss: Loss, y: np.ndarray) -> bool:
    return (y.ndim == 1 and y.dtype.kind in "iu") or isinstance(loss, BCEWithLogitsLoss)


def fit(
    model: Module,
    loss: Loss,
    X: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int = 100,
    optimizer: Optimizer | None = None,
    lr: float = 0.1,
    batch_size: int | None = None,
    rng: np.random.Generator | int | None = None,
    X_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    progress: bool = True,
    callback: Callable[[int, History], bool | None] | None = None,
) -> History:
    """Train ``model`` on ``(X, y)`` with mini-batch gradient descent.

    Parameters
    ----------
    model : Module
        Maps ``(B, D)`` to predictions ``(B, K)``.
    loss : Loss
        E.g. ``CrossEntropyLoss()`` with integer labels, ``MSELoss()`` with ``(N, K)`` targets.
    X : np.ndarray
        Inputs, shape ``(N, D)``.
    y : np.ndarray
        Targets, shape ``(N,)`` (labels) or ``(N, K)``.
    epochs : int
        Passes over the data.
    optimizer : Optimizer, optional
        Defaults to ``SGD(model.parameters(), lr)``.
    lr : float
        Learning rate of the default optimizer.
    batch_size : int, optional
        Mini-batch size; ``None`` uses the whole set (full-batch gradient descent).
    rng : Generator or int, optional
        Shuffling of the mini-batches.
    X_val, y_val : np.ndarray, optional
        Held-out data evaluated after each epoch.
    progress : bool
        Show a tqdm progress bar over epochs.
    callback : callable, optional
        ``callback(epoch, history)`` after each epoch; returning ``True`` stops training.

    Returns
    -------
    History
        Per-epoch loss and accuracy (training and validation).
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if X.dtype.kind != "f":
        X = X.astype(np.float64)
    if X.ndim != 2:
        raise ValueError(f"fit: expected X of shape (N, D), got shape {X.shape}")
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"fit: X and y need the same number of rows, got X {X.shape} and y {y.shape}"
        )
    if not isinstance(epochs, int | np.integer) or epochs < 1:
        raise ValueError(f"fit: epochs must be a positive int, got {epochs!r}")
    n = X.shape[0]
    bs = n if batch_size is None else int(batch_size)
    if bs < 1:
        raise ValueError(f"fit: batch_size must be >= 1, got {batch_size!r}")
    if optimizer is None:
        optimizer = SGD(model.parameters(), lr=lr)
    g = as_rng(rng)
    classify = _is_classification(loss, y)
    has_val = X_val is not None and y_val is not None
    history = History()
    model.zero_grad()
    bar = tqdm(range(epochs), desc="fit", unit="epoch", disable=not progress, leave=False)
    for epoch in bar:
        order = g.permutation(n) if bs < n else None
        total_loss = 0.0
        total_correct = 0.0
        for start in range(0, n, bs):
            if order is None:
                xb, yb = X, y
            else:
                idx = order[start : start + bs]
                xb, yb = X[idx], y[idx]
            with np.errstate(over="ignore", invalid="ignore"):  # reported below, clearly
                out = model.forward(xb)
                value = loss.forward(out, yb)
            if not np.isfinite(value):
                bar.close()
                raise FloatingPointError(
                    f"fit: the loss became {value} at epoch {epoch + 1}; lower the learning "
                    f"rate (lr={getattr(optimizer, 'lr', lr)}) or check the data"
                )
            total_loss += value * xb.shape[0]
            if classify:
                total_correct += _batch_accuracy(out, yb) * xb.shape[0]
            grad = loss.backward()
            _backward(model, grad)
            optimizer.step()
            optimizer.zero_grad()
        history.loss.append(total_loss / n)
        history.accuracy.append(total_correct / n if classify else float("nan"))
        if has_val:
            out_val = model.forward(X_val)
            history.val_loss.append(loss.forward(out_val, y_val))
            history.val_accuracy.append(
                _batch_accuracy(out_val, y_val) if classify else float("nan")
            )
        if progress:
            post = {"loss": f"{history.loss[-1]:.4f}"}
            if classify:
                post["acc"] = f"{history.accuracy[-1]:.3f}"
            if has_val and classify:
                post["val_acc"] = f"{history.val_accuracy[-1]:.3f}"
            bar.set_postfix(post, refresh=False)
        if callback is not None and callback(epoch, history):
            break
    bar.close()
    return history


def _backward(model: Module, grad: np.ndarray) -> None:
    """Back-propagate, skipping ``dL/dx`` of the data when the model supports it."""
    if isinstance(model, Sequential | Linear):
        model.backward(grad, input_grad=False)
    else:
        model.backward(grad)
