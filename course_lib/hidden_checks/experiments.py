"""Experiments graded on their settings: a known-correct path trains the student's network.

The point of the XOR and two-moons experiments is the choice of settings (epochs, learning
rate, mini-batches): :func:`assert_settings_reach` trains course_lib's copy of the student's
untrained network with them, by ``course_lib.train.fit``, so that a bug in the student's
``train`` or ``MLP`` costs their own points, not the experiment's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._trusted import _fail, _float, _float64, _int, _len, _list, _np_array, _zip
from ..testing import _quiet, as_mapping, as_number, assert_array, calling

__all__ = ["assert_settings_reach", "SETTINGS_KEYS", "MAX_EPOCHS"]


def _str_of(failure: BaseException) -> str:
    return "    " + "\n    ".join(str(failure).splitlines())


#: Keys a settings mapping may have, and the largest number of epochs the tests run.
SETTINGS_KEYS = ("epochs", "lr", "batch_size", "rng")
MAX_EPOCHS = 3000


def _as_settings(settings: object, name: str, n_rows: int) -> dict[str, Any]:
    found = as_mapping(settings, name=name)
    unknown = [k for k in found if k not in SETTINGS_KEYS]
    if unknown or "epochs" not in found or "lr" not in found:
        _fail(
            f"{name} must map train's keyword arguments to values: 'epochs' and 'lr', "
            f"optionally 'batch_size' and 'rng'; got the keys {_list(found)}"
        )
    epochs = as_number(found["epochs"], name=f"{name}['epochs']")
    if epochs != _int(epochs) or not 1 <= epochs <= MAX_EPOCHS:
        _fail(f"{name}['epochs'] must be a whole number from 1 to {MAX_EPOCHS}, got {epochs!r}")
    lr = as_number(found["lr"], name=f"{name}['lr']")
    if not 0 < lr < 1e3:
        _fail(f"{name}['lr'] must be a positive learning rate, got {lr!r}")
    out: dict[str, Any] = {"epochs": _int(epochs), "lr": lr, "batch_size": None, "rng": None}
    if found.get("batch_size") is not None:
        size = as_number(found["batch_size"], name=f"{name}['batch_size']")
        if size != _int(size) or size < 1:
            _fail(f"{name}['batch_size'] must be a positive whole number or None, got {size!r}")
        out["batch_size"] = _int(size)
    if found.get("rng") is not None:
        seed = as_number(found["rng"], name=f"{name}['rng']")
        if seed != _int(seed) or seed < 0:
            _fail(f"{name}['rng'] must be a seed (a whole number >= 0), got {seed!r}")
        out["rng"] = _int(seed)
    elif out["batch_size"] is not None and out["batch_size"] < n_rows:
        _fail(
            f"{name} has mini-batches but no 'rng': give a seed (an int), so that the grader, "
            "which trains with your settings again, shuffles the same way"
        )
    return out


def _reference_copy(model: Any, name: str) -> Any:
    """course_lib's ``Linear -> ReLU -> ... -> Linear`` with the weights of ``model``."""
    from ..activations import ReLU
    from ..modules import Linear, Sequential

    with calling(f"{name}.named_parameters()"):
        pairs = [(n, assert_array(p.data, name=n)) for n, p in model.named_parameters()]
    if _len(pairs) % 2 or not pairs:
        _fail(f"{name} must have (weight, bias) pairs of parameters, got {[n for n, _ in pairs]}")
    layers: list[Any] = []
    for (wn, w), (bn, b) in _zip(pairs[::2], pairs[1::2], strict=True):
        if w.ndim != 2 or b.shape != (w.shape[0],):
            _fail(f"{name}: {wn} {w.shape} and {bn} {b.shape} are not a Linear's weight and bias")
        layer = Linear(w.shape[1], w.shape[0])
        layer.weight.data[...] = w
        layer.bias.data[...] = b
        layers += [layer, ReLU()]
    return Sequential(*layers[:-1])


def _accuracy(logits: np.ndarray, y: np.ndarray) -> float:
    return _float(np.mean(np.argmax(logits, axis=1) == y))


@_quiet
def assert_settings_reach(
    settings: object,
    fresh_model: Any,
    X: np.ndarray,
    y: np.ndarray,
    X_eval: np.ndarray,
    y_eval: np.ndarray,
    *,
    min_accuracy: float,
    name: str,
    settings_name: str = "settings",
    own_model: Any = None,
) -> float:
    """Train with the student's settings, by a known-correct path, and check the accuracy.

    The experiment's point is its settings: course_lib's network with the initial weights of
    ``fresh_model`` (an untrained network of the student's class) is trained by
    ``course_lib.train.fit`` with ``settings`` on ``(X, y)``; its accuracy on
    ``(X_eval, y_eval)`` must reach ``min_accuracy``. A bug in the student's ``train`` or
    ``MLP`` therefore costs their own points, not the experiment's; when ``own_model`` (the
    student's own trained network) falls short while the settings are right, a note says so.

    Parameters
    ----------
    settings : mapping
        ``{"epochs": int, "lr": float}``, optionally ``"batch_size"`` and ``"rng"``.
    fresh_model : Module
        Linear/ReLU layers, untrained: ``MLP(2, 8, 8, 2, rng=0)``.
    X, y, X_eval, y_eval : np.ndarray
        Training and evaluation data, ``(N, D)`` and ``(N,)``.
    min_accuracy : float
    name : str
        The experiment in messages, e.g. ``"XOR"``.
    settings_name : str
        The variable holding the settings, e.g. ``"xor_settings"``.
    own_model : Module, optional

    Returns
    -------
    float
        The accuracy the settings reach.
    """
    from ..losses import CrossEntropyLoss
    from ..train import fit

    s = _as_settings(settings, settings_name, X.shape[0])
    net = _reference_copy(fresh_model, f"the fresh model of {name}")
    try:
        fit(
            net, CrossEntropyLoss(), _np_array(X, dtype=_float64), _np_array(y), progress=False, **s
        )
    except FloatingPointError:
        _fail(
            f"{name}: with {settings_name} = {s}, the training loss diverged (became inf or nan)",
            "lower the learning rate",
        )
    acc = _accuracy(net.forward(_np_array(X_eval, dtype=_float64)), _np_array(y_eval))
    if acc < min_accuracy:
        _fail(
            f"{name}: with {settings_name} = {s}, a correct train reaches an accuracy of "
            f"{acc:.3f} on the {_len(y_eval)} evaluation points, below {min_accuracy:g}",
            "train longer (more epochs) or with another learning rate; watch the loss curve",
        )
    if own_model is not None:
        _note_own_model(own_model, X_eval, y_eval, min_accuracy, name)
    return acc


def _note_own_model(
    model: Any, X: np.ndarray, y: np.ndarray, min_accuracy: float, name: str
) -> None:
    """Print (never fail) when the student's own trained model falls short of the settings."""
    try:
        with calling(f"your {name} model's forward(X)"):
            logits = assert_array(model.forward(_np_array(X, dtype=_float64)), name="logits")
        own = (
            _accuracy(logits, _np_array(y)) if logits.shape == (_len(y), logits.shape[-1]) else 0.0
        )
    except AssertionError as failure:
        print(f"note: your own {name} model could not be evaluated:\n{_str_of(failure)}")
        return
    if own < min_accuracy:
        print(
            f"note: your settings are right, but your own {name} model reaches only {own:.3f}: "
            "look for the bug in train or in MLP (their tests say where)"
        )
