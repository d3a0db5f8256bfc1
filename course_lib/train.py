"""A small, honest training loop: ``fit(model, loss, X, y) -> History``.

One epoch = one pass over the shuffled training set in mini-batches:
``forward -> loss -> backward -> optimizer.step() -> zero_grad``. Training metrics are the
means over the epoch's mini-batches (as Keras reports them); validation metrics are computed
on the whole validation set after the epoch. A tqdm progress bar shows the epochs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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

    def record(self, train: tuple[float, float], val: tuple[float, float] | None = None) -> None:
        """Append one epoch's ``(loss, accuracy)`` on the training and the validation set."""
        self.loss.append(train[0])
        self.accuracy.append(train[1])
        if val is not None:
            self.val_loss.append(val[0])
            self.val_accuracy.append(val[1])

    def postfix(self) -> dict[str, str]:
        """The latest metrics, for a progress bar (accuracies only for a classifier)."""
        post = {"loss": f"{self.loss[-1]:.4f}"}
        if np.isfinite(self.accuracy[-1]):
            post["acc"] = f"{self.accuracy[-1]:.3f}"
            if self.val_accuracy:
                post["val_acc"] = f"{self.val_accuracy[-1]:.3f}"
        return post


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
    X, y : np.ndarray
        Inputs, shape ``(N, D)``; targets, shape ``(N,)`` (labels) or ``(N, K)``.
    epochs : int
        Passes over the data.
    optimizer : Optimizer, optional
        Defaults to ``SGD(model.parameters(), lr)``, with learning rate ``lr : float``.
    batch_size : int, optional
        Mini-batch size; ``None`` uses the whole set (full-batch gradient descent).
    rng : Generator or int, optional
        Shuffling of the mini-batches.
    X_val, y_val : np.ndarray, optional
        Held-out data, shapes ``(M, D)`` and ``(M,)`` or ``(M, K)``, evaluated after each epoch.
    progress : bool
        Show a tqdm progress bar over epochs.
    callback : callable, optional
        ``callback(epoch, history)`` after each epoch; returning ``True`` stops training.

    Returns
    -------
    History
        Per-epoch loss and accuracy (training and validation).
    """
    X, y, batch_size = _checked_inputs(X, y, epochs, batch_size)
    optimizer = SGD(model.parameters(), lr=lr) if optimizer is None else optimizer
    g, classify = as_rng(rng), _is_classification(loss, y)
    history = History()
    model.zero_grad()
    with tqdm(range(epochs), desc="fit", unit="epoch", disable=not progress, leave=False) as bar:
        for epoch in bar:
            train = _train_epoch(model, loss, optimizer, X, y, batch_size, g, classify)
            _stop_if_diverged(train[0], epoch, getattr(optimizer, "lr", lr))
            history.record(train, _evaluate(model, loss, X_val, y_val, classify))
            bar.set_postfix(history.postfix(), refresh=False)
            if callback is not None and callback(epoch, history):
                break
    return history


def _checked_inputs(
    X: np.ndarray, y: np.ndarray, epochs: int, batch_size: int | None
) -> tuple[np.ndarray, np.ndarray, int]:
    """``X (N, D)`` as floats, ``y (N,)`` or ``(N, K)`` and the mini-batch size.

    Raises a ``ValueError`` that names what is wrong: X not 2-D, X and y of different lengths,
    ``epochs`` or ``batch_size`` not positive.
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
    bs = X.shape[0] if batch_size is None else int(batch_size)
    if bs < 1:
        raise ValueError(f"fit: batch_size must be >= 1, got {batch_size!r}")
    return X, y, bs


def _minibatches(
    X: np.ndarray, y: np.ndarray, batch_size: int, g: np.random.Generator
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``(xb, yb)`` of ``batch_size`` rows (the last may be smaller) in a shuffled order.

    ``X (N, D)`` and ``y (N,)`` or ``(N, K)`` are yielded whole, unshuffled, when one batch
    holds them all (full-batch gradient descent).
    """
    n = X.shape[0]
    if batch_size >= n:
        yield X, y
        return
    order = g.permutation(n)
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]


def _train_epoch(
    model: Module,
    loss: Loss,
    optimizer: Optimizer,
    X: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    g: np.random.Generator,
    classify: bool,
) -> tuple[float, float]:
    """One pass over the shuffled ``X (N, D)``, ``y (N,)`` or ``(N, K)`` in mini-batches.

    Each mini-batch: ``forward -> loss -> backward -> optimizer.step() -> zero_grad``.

    Returns
    -------
    tuple of float
        The mean loss and mean accuracy (NaN unless ``classify``) over the mini-batches; or, as
        soon as a mini-batch's loss is not finite, that loss (and NaN), before any update.
    """
    total_loss = 0.0
    total_correct = 0.0
    for xb, yb in _minibatches(X, y, batch_size, g):
        with np.errstate(over="ignore", invalid="ignore"):  # fit reports it, clearly
            out = model.forward(xb)
            value = loss.forward(out, yb)
        if not np.isfinite(value):
            return value, float("nan")
        total_loss += value * xb.shape[0]
        if classify:
            total_correct += _batch_accuracy(out, yb) * xb.shape[0]
        _backward(model, loss.backward())
        optimizer.step()
        optimizer.zero_grad()
    n = X.shape[0]
    return total_loss / n, (total_correct / n if classify else float("nan"))


def _stop_if_diverged(value: float, epoch: int, lr: float) -> None:
    """Raise a ``FloatingPointError`` that says what to do when the loss is not finite."""
    if not np.isfinite(value):
        raise FloatingPointError(
            f"fit: the loss became {value} at epoch {epoch + 1}; lower the learning "
            f"rate (lr={lr}) or check the data"
        )


def _evaluate(
    model: Module, loss: Loss, X: np.ndarray | None, y: np.ndarray | None, classify: bool
) -> tuple[float, float] | None:
    """Loss and accuracy (NaN unless ``classify``) on ``X (M, D)``, ``y (M,)`` or ``(M, K)``.

    ``None`` without validation data (either array ``None``).
    """
    if X is None or y is None:
        return None
    out = model.forward(X)
    return loss.forward(out, y), (_batch_accuracy(out, y) if classify else float("nan"))


def _backward(model: Module, grad: np.ndarray) -> None:
    """Back-propagate, skipping ``dL/dx`` of the data when the model supports it."""
    if isinstance(model, Sequential | Linear):
        model.backward(grad, input_grad=False)
    else:
        model.backward(grad)
