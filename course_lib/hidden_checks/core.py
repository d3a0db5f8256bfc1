"""Running a hidden test, and the inputs and classes it starts from."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._trusted import (
    IN_HIDDEN_TEST,
    _abs,
    _default_rng,
    _fail,
    _getattr,
    _isinstance,
    _issubclass,
    _tuple,
    _type,
    _type_name,
    _where,
    _zeros_like,
)

__all__ = ["hidden_test", "away_from", "randomize_parameters", "assert_own_implementation"]


def hidden_test(
    func: Callable[..., object] | None = None, *, seed: int | None = None
) -> Callable[[Callable[..., object]], None] | None:
    """Decorator: run a hidden test at once, in a function so that its names stay local.

    The decorated name is bound to ``None``: the test function itself is not kept. The test runs
    under :class:`course_lib.testing.calling`: warnings are recorded, never printed (a test
    cell is judged on results), and an error raised by the student's code outside the checks'
    own calls becomes an ``AssertionError`` that says where and why.

    Parameters
    ----------
    func : callable
        ``() -> None``, or ``(rng) -> None`` when ``seed`` is given.
    seed : int, optional
        Seed of the ``np.random.Generator`` handed to ``func`` as its only argument.

    Examples
    --------
    >>> @hidden_test(seed=7)
    ... def _test(rng):
    ...     x = rng.standard_normal((4, 3))
    ...     assert_close(np.maximum(x, 0.0) - np.maximum(-x, 0.0), x)
    """

    def run(test: Callable[..., object]) -> None:
        from ..testing import calling

        token = IN_HIDDEN_TEST.set(True)
        try:
            with calling("your code, called by a hidden test"):
                if seed is None:
                    test()
                else:
                    test(_default_rng(seed))
        finally:
            IN_HIDDEN_TEST.reset(token)

    if func is None:
        return run
    run(func)
    return None


def away_from(
    rng: np.random.Generator,
    shape: Sequence[int],
    kinks: Sequence[float] = (0.0,),
    *,
    margin: float = 1e-2,
    scale: float = 1.0,
) -> np.ndarray:
    """Random normal values ``scale * N(0, 1)`` that keep a distance ``margin`` from each kink.

    Values that fall within ``margin`` of a kink are pushed out to ``kink +- margin``, so
    numerical derivatives never straddle a non-differentiable point.

    Parameters
    ----------
    rng : np.random.Generator
    shape : tuple of int
    kinks : sequence of float
        The points to avoid (0 for ReLU; ``+-delta`` for Huber residuals).
    margin : float
    scale : float

    Returns
    -------
    np.ndarray
        float64, shape ``shape``.
    """
    x = scale * rng.standard_normal(_tuple(shape))
    for k in kinks:
        close = _abs(x - k) < margin
        x = _where(close, k + _where(x >= k, margin, -margin), x)
    return x


def randomize_parameters(module: Any, rng: np.random.Generator, *, scale: float = 1.0) -> Any:
    """Set every parameter of a (reference) module to ``scale * N(0, 1)``; zero its gradients.

    Random biases too: no pre-activation then sits exactly at a kink by construction.

    Parameters
    ----------
    module : Module
        Trusted, e.g. ``RefLinear(3, 4)``; each ``p.data`` keeps its shape.
    rng : np.random.Generator
    scale : float

    Returns
    -------
    Module
        ``module`` itself, for chaining.
    """
    for p in module.parameters():
        p.data[...] = scale * rng.standard_normal(p.data.shape)
        p.grad = _zeros_like(p.data)
    return module


def assert_own_implementation(
    cls: object,
    *,
    reference: type | Sequence[type] | None = None,
    name: str | None = None,
    methods: Sequence[str] = ("forward", "backward"),
) -> None:
    """Check that a graded class was written in the notebook, not taken from ``course_lib``.

    The class must be defined in the notebook (``__module__ == "__main__"``), must not be or
    subclass the reference implementation, and each listed method must be defined in the
    notebook too (not borrowed from a ``course_lib`` class).

    Parameters
    ----------
    cls : object
        What the notebook calls ``name`` (should be a class).
    reference : type or sequence of types, optional
        course_lib's implementation(s) of the same thing.
    name : str, optional
        The class name in messages (default: the first reference's name).
    methods : sequence of str
        Method names that must be the student's own.
    """
    refs: tuple[type, ...] = ()
    if reference is not None:
        refs = (reference,) if _isinstance(reference, _type) else _tuple(reference)
    name = name or (refs[0].__name__ if refs else "the class")
    msg_tail = (
        "graded code must be your own implementation; do not import it from course_lib "
        "(the reference solution), write it in this notebook"
    )
    if _getattr(_type(cls), "__remote__", False):
        # a class of the graded notebook's own process, seen through the grader's judge:
        # course_lib's reference implementation does not exist in that process at all
        return
    if not _isinstance(cls, _type):
        _fail(f"{name} must be a class defined in this notebook, got {_type_name(cls)}")
    for ref in refs:
        if cls is ref or _issubclass(cls, ref):
            _fail(f"{name} is (or subclasses) {ref.__module__}.{ref.__qualname__}: {msg_tail}")
    module = _getattr(cls, "__module__", None)
    if module != "__main__":
        _fail(f"{name} comes from the module {module!r}, not from this notebook: {msg_tail}")
    for meth in methods:
        func = _getattr(cls, meth, None)
        if func is None:
            _fail(f"{name} has no method {meth}()")
        func = _getattr(func, "__func__", func)
        fmod = _getattr(func, "__module__", None)
        if fmod != "__main__":
            _fail(f"{name}.{meth} is defined in {fmod!r}, not in this notebook: {msg_tail}")
