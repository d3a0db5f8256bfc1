"""Training code against course_lib: ``train`` and ``gradient_check``.

Each check runs the student's function on networks made of course_lib's modules (known to be
right), so that it tests that function alone: a bug in the student's ``Linear`` or ``MLP``
costs their own points, not these. When a result is wrong the check looks for the typical
mistake that explains it (gradients never reset, a new random generator every epoch, the
last mini-batch's loss reported as the epoch's, ``numerical_gradient`` off...) and names it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from .._trusted import (
    _default_rng,
    _fail,
    _float,
    _float64,
    _int,
    _len,
    _np_array,
    _zip,
)
from ..testing import (
    _quiet,
    as_mapping,
    as_number,
    as_numbers,
    assert_array,
    assert_close,
    calling,
    max_rel_error,
)
from .core import randomize_parameters

__all__ = ["assert_train_matches", "assert_gradient_check"]

#: The typical mistakes of a training loop: (name, what it means).
TRAIN_MISTAKES = (
    (
        "no_zero_grad",
        "the gradients are never reset: without model.zero_grad() before each backward, every "
        "step adds the new gradient to all the earlier ones",
    ),
    (
        "rng_each_epoch",
        "every epoch shuffles the rows in the same order: make the random generator once, "
        "before the loop over epochs, and draw a new permutation from it each epoch",
    ),
    (
        "no_shuffle",
        "the rows are not shuffled: each epoch visits them in the order of a new permutation",
    ),
    (
        "last_batch",
        "the epoch's loss is the last mini-batch's: report the mean over all N rows, each "
        "mini-batch's loss weighted by its number of rows",
    ),
    (
        "unweighted",
        "the epoch's loss is the plain mean of the mini-batch losses: weight each by its number "
        "of rows (a smaller last mini-batch counts less)",
    ),
    ("ascent", "the parameters moved up the gradient: a descent step subtracts lr * gradient"),
)


def _reference_net(rng: np.random.Generator, d: int, h: int, c: int) -> Any:
    from ..activations import Tanh
    from ..modules import Linear, Sequential

    return randomize_parameters(Sequential(Linear(d, h), Tanh(), Linear(h, c)), rng, scale=0.5)


def _simulate(
    model: Any,
    X: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    lr: float,
    batch_size: int | None,
    rng: int | None,
    mistake: str,
) -> tuple[list[float], list[np.ndarray]]:
    """Train a copy of ``model`` (course_lib's) the way a loop with ``mistake`` would."""
    from ..losses import CrossEntropyLoss

    model, loss = copy.deepcopy(model), CrossEntropyLoss()
    n = X.shape[0]
    size = n if batch_size is None else batch_size
    gen = _default_rng(rng)
    history = []
    for _ in range(epochs):
        if mistake == "rng_each_epoch":
            gen = _default_rng(rng)
        order = np.arange(n) if mistake == "no_shuffle" else gen.permutation(n)
        values, sizes = [], []
        for start in range(0, n, size):
            idx = order[start : start + size]
            if mistake != "no_zero_grad":
                model.zero_grad()
            values.append(loss.forward(model.forward(X[idx]), y[idx]))
            sizes.append(_len(idx))
            model.backward(loss.backward())
            step = lr if mistake != "ascent" else -lr
            for p in model.parameters():
                p.data -= step * p.grad
        if mistake == "last_batch":
            history.append(values[-1])
        elif mistake == "unweighted":
            history.append(_float(np.mean(values)))
        else:
            history.append(_float(np.dot(values, sizes) / n))
    return history, [p.data.copy() for p in model.parameters()]


def _matches(history: np.ndarray, params: list[np.ndarray], sim: tuple[list, list]) -> bool:
    if max_rel_error(history, _np_array(sim[0])) > 1e-7:
        return False
    return all(max_rel_error(p, q) <= 1e-7 for p, q in _zip(params, sim[1], strict=True))


@_quiet
def assert_train_matches(
    train: Callable[..., Any],
    X: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    lr: float,
    batch_size: int | None = None,
    rng: int | None = None,
    seed: int = 0,
    classes: int | None = None,
    name: str = "train",
) -> None:
    """Run the student's ``train`` on a small course_lib network and compare with a correct loop.

    The network is ``Linear(D, 6) -> Tanh -> Linear(6, C)`` with random weights from ``seed``;
    the loss ``course_lib``'s ``CrossEntropyLoss``. The history ``train`` returns (any sequence
    of ``epochs`` numbers) and the trained weights must be those of ``course_lib.train.fit``
    with the same settings; otherwise the message names the typical mistake that explains them.

    Parameters
    ----------
    train : callable
        ``train(model, loss, X, y, *, epochs, lr, batch_size=None, rng=None) -> history``.
    X : np.ndarray
        Shape ``(N, D)``, float64.
    y : np.ndarray
        Integer labels ``(N,)``.
    epochs, lr, batch_size, rng
        Handed to ``train``.
    seed : int
        Seed of the network's weights.
    classes : int, optional
        ``C``, the network's outputs (default: the largest label plus one).
    name : str
        The case in messages.
    """
    from ..losses import CrossEntropyLoss

    X, y = _np_array(X, dtype=_float64, copy=True), _np_array(y, copy=True)
    setting = {"epochs": epochs, "lr": lr, "batch_size": batch_size, "rng": rng}
    classes = _int(y.max()) + 1 if classes is None else classes
    model = _reference_net(_default_rng(seed), X.shape[1], 6, classes)
    start = copy.deepcopy(model)
    expected = _fitted(start, X, y, setting)
    sizes: list[int] = []
    forward = model.forward
    model.forward = lambda x: sizes.append(_len(x)) or forward(x)
    args = ", ".join(f"{k}={v}" for k, v in setting.items())
    with calling(f"{name}: train(model, loss, X, y, {args})", X=X, y=y):
        history = train(model, CrossEntropyLoss(), X, y, **setting)
        history = as_numbers(
            history, name=f"{name}: the history train returned", length=epochs,
            hint="train returns one number per epoch, that epoch's mean loss",
        )  # fmt: skip
    params = [assert_array(p.data, name=f"{name}: {n}") for n, p in model.named_parameters()]
    if not _matches(history, params, expected):
        how = "full batch" if batch_size is None else f"{len(X)} rows in batches of {batch_size}"
        _diagnose_training(history, params, start, X, y, setting, sizes, f"{name} ({how})")
        _compare_training(history, model, expected, f"{name} ({how})", epochs)


def _fitted(
    model: Any, X: np.ndarray, y: np.ndarray, setting: dict[str, Any]
) -> tuple[list[float], list[np.ndarray]]:
    """The history and the weights ``course_lib.train.fit`` gives a copy of ``model``."""
    from ..losses import CrossEntropyLoss
    from ..train import fit

    model = copy.deepcopy(model)
    history = fit(model, CrossEntropyLoss(), X, y, progress=False, **setting).loss
    return history, [p.data.copy() for p in model.parameters()]


def _diagnose_training(
    history: np.ndarray,
    params: list[np.ndarray],
    start: Any,
    X: np.ndarray,
    y: np.ndarray,
    setting: dict[str, Any],
    sizes: list[int],
    who: str,
) -> None:
    """Fail naming the typical mistake that explains a wrong training, if one does."""
    for mistake, meaning in TRAIN_MISTAKES:
        if _matches(history, params, _simulate(start, X, y, **setting, mistake=mistake)):
            _fail(f"{who}, {setting['epochs']} epochs: the history or the weights are off", meaning)
    n, size = X.shape[0], setting["batch_size"] or X.shape[0]
    want = [min(size, n - s) for s in range(0, n, size)]
    if sorted(sizes) != sorted(want * setting["epochs"]):
        _fail(
            f"{who}: the mini-batches had {_len(sizes)} forward passes of sizes {sizes[:12]}, "
            f"expected sizes {want} in each of the {setting['epochs']} epochs",
            "cut the shuffled rows into consecutive slices of batch_size rows (the last may be "
            "smaller); batch_size=None means one batch of all N rows",
        )


def _compare_training(
    history: np.ndarray, model: Any, expected: tuple[list, list], who: str, epochs: int
) -> None:
    """Fail on the first difference from a correct loop: the history, then each weight."""
    assert_close(
        history,
        expected[0],
        name=f"{who}: the history of losses",
        hint="an epoch's loss is the mean over its mini-batches weighted by their sizes, each "
        "computed before that mini-batch's update",
    )
    for (n, p), q in _zip(model.named_parameters(), expected[1], strict=True):
        assert_close(
            p.data,
            q,
            name=f"{who}: {n} after {epochs} epochs",
            hint="each step: reset the gradients, forward, loss, backward, then move every "
            "parameter in place by -lr times its gradient",
        )


class _LeakyBias:
    """Makes a course_lib ``Linear`` whose bias gradient is 1.5 times too large."""

    @staticmethod
    def make(d: int, m: int) -> Any:
        from ..modules import Linear

        class LeakyBias(Linear):
            def backward(self, grad_output: np.ndarray, input_grad: bool = True) -> Any:
                dx = super().backward(grad_output)
                self.bias.grad += 0.5 * grad_output.sum(axis=0)
                return dx

        return LeakyBias(d, m)


def _errors_of(
    gradient_check: Callable[..., Any], model: Any, X: np.ndarray, y: np.ndarray, what: str
) -> dict[str, float]:
    from ..losses import CrossEntropyLoss

    names = [n for n, _ in model.named_parameters()]
    with calling(what, X=X, y=y):
        errors = gradient_check(model, CrossEntropyLoss(), X, y)
        errors = as_mapping(
            errors,
            name=f"the result of {what}",
            keys=names,
            hint="one entry per name of model.named_parameters(): {name: relative error}",
        )
        return {k: as_number(v, name=f"{what}[{k!r}]") for k, v in errors.items()}


def _numerical_gradient_is_off(
    numerical_gradient: Callable[..., Any], model: Any, X: np.ndarray, y: np.ndarray
) -> str | None:
    """The failure message of the student's ``numerical_gradient`` on this model, or None."""
    from ..gradcheck import numerical_gradient as reference
    from ..losses import CrossEntropyLoss

    loss = CrossEntropyLoss()

    def loss_at(_: object) -> float:
        return loss.forward(model.forward(X), y)

    for pname, p in model.named_parameters():
        expected = reference(loss_at, p.data)
        try:
            with calling(f"numerical_gradient(loss of the model, {pname})"):
                got = numerical_gradient(loss_at, p.data)
                assert_close(got, expected, name=f"numerical_gradient for {pname}", atol=1e-9)
        except AssertionError as failure:
            return _str_of(failure)
    return None


def _str_of(failure: BaseException) -> str:
    return "    " + "\n    ".join(str(failure).splitlines())


@_quiet
def assert_gradient_check(
    gradient_check: Callable[..., Any],
    numerical_gradient: Callable[..., Any],
    rng: np.random.Generator | int,
) -> dict[str, float]:
    """Check the student's ``gradient_check`` on course_lib networks: a right and a broken one.

    The right network (``Linear(3, 4) -> Tanh -> Linear(4, 3)``, random weights and stale
    gradients) must get errors below ``1e-6`` for every named parameter, with its weights left
    unchanged; the same network with a bias gradient 1.5 times too large must get an error above
    ``1e-2`` for that bias and below ``1e-6`` for the weight next to it. The result may be any
    mapping. When a right network gets a large error, the message says whether the student's
    ``numerical_gradient`` or stale gradients explain it.

    Returns
    -------
    dict
        The errors reported for the right network.
    """
    rng = _default_rng(rng)
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 3, 6)
    errors = _check_right_network(gradient_check, numerical_gradient, rng, X, y)
    _check_broken_network(gradient_check, rng, X, y)
    return errors


def _check_right_network(
    gradient_check: Callable[..., Any],
    numerical_gradient: Callable[..., Any],
    rng: np.random.Generator,
    X: np.ndarray,
    y: np.ndarray,
) -> dict[str, float]:
    good = _reference_net(rng, 3, 4, 3)
    for p in good.parameters():  # stale gradients from an earlier step
        p.grad[...] = rng.standard_normal(p.grad.shape)
    fresh = copy.deepcopy(good)
    before = [p.data.copy() for p in good.parameters()]
    errors = _errors_of(gradient_check, good, X, y, "gradient_check(model, loss, X, y)")
    for (pname, p), old in _zip(good.named_parameters(), before, strict=True):
        assert_close(
            p.data,
            old,
            name=f"{pname} after gradient_check",
            hint="numerical_gradient must put back every entry it perturbs",
        )
    worst = max(errors, key=lambda k: errors[k])
    if errors[worst] < 1e-6:
        return errors
    head = (
        f"gradient_check reports {errors[worst]:.2e} for {worst} of a network whose backward "
        "is right (expected below 1e-6)"
    )
    off = _numerical_gradient_is_off(numerical_gradient, fresh, X, y)
    if off is not None:
        _fail(
            f"{head}, because numerical_gradient gives wrong values on it:\n{off}",
            "fix numerical_gradient first (its own tests say how); gradient_check passes once "
            "it is right",
        )
    for p in fresh.parameters():
        p.grad[...] = 0.0
    clean = _errors_of(gradient_check, fresh, X, y, "gradient_check(model, loss, X, y)")
    if max(clean.values()) < 1e-6:
        _fail(
            f"{head}. With gradients that start at zero it is right",
            "the model's gradients may hold something from an earlier step: reset them "
            "(model.zero_grad()) before your backward pass",
        )
    _fail(
        head,
        "compare, for each named parameter p, backprop's p.grad (copied right after the "
        "backward pass) with numerical_gradient of the loss with respect to p.data",
    )


def _check_broken_network(
    gradient_check: Callable[..., Any], rng: np.random.Generator, X: np.ndarray, y: np.ndarray
) -> None:
    broken = _reference_net(rng, 3, 4, 3)
    leaky = _LeakyBias.make(4, 3)
    leaky.weight.data[...] = broken.layers[2].weight.data
    leaky.bias.data[...] = broken.layers[2].bias.data
    broken.layers[2] = leaky
    found = _errors_of(gradient_check, broken, X, y, "gradient_check(broken model, loss, X, y)")
    if not found["2.bias"] > 1e-2:
        _fail(
            f"a bias gradient 1.5 times too large (2.bias) must be detected: gradient_check "
            f"reports {found['2.bias']:.2e}",
            "compare backprop's gradient with the numerical one, parameter by parameter",
        )
    if not found["2.weight"] < 1e-6:
        _fail(
            f"in the broken network 2.weight is right, but gradient_check reports "
            f"{found['2.weight']:.2e} for it"
        )
