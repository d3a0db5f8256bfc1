"""course_lib.testing: messages that teach, and checks that do not trust what they check."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import numpy as np
import pytest
from autograding import EXERCISES

from course_lib import testing as T
from course_lib.activations import LeakyReLU, ReLU, Tanh
from course_lib.autograd import Value
from course_lib.losses import CrossEntropyLoss
from course_lib.modules import Linear, Module, Parameter

E = np.arange(6.0).reshape(2, 3)


def _fails(match: str, func, *args, **kwargs) -> str:
    with pytest.raises(AssertionError, match=match) as info:
        func(*args, **kwargs)
    return str(info.value)


def test_assert_close_accepts_round_off() -> None:
    T.assert_close(E * (1 + 1e-12), E, name="y")
    T.assert_close(np.float32(1) * E.astype(np.float32), E, name="y", max_rel_error=1e-6)


def test_shape_message_with_hint() -> None:
    msg = _fails(
        r"db has shape \(1, 3\), expected \(3,\)",
        T.assert_close,
        np.ones((1, 3)),
        np.ones(3),
        name="db",
        hint="sum the upstream gradient over the batch axis",
    )
    assert "hint: sum the upstream gradient over the batch axis" in msg


def test_transposed_shape_is_pointed_out() -> None:
    _fails("a transpose or a reshape", T.assert_close, E.T, E, name="dW")


def test_worst_element_is_reported() -> None:
    actual = E.copy()
    actual[1, 2] = 7.5
    msg = _fails("wrong at 1 of 6", T.assert_close, actual, E, name="y")
    assert "worst at index (1, 2): expected 5, got 7.5" in msg


def test_uniform_factor_is_recognised() -> None:
    msg = _fails("wrong", T.assert_close, E * 4, E, name="grad")
    assert "expected / got = 0.25" in msg and "1/N" in msg


def test_types_dtypes_and_nan() -> None:
    _fails("forget a `return`", T.assert_close, None, E, name="y")
    _fails("must be a numpy array", T.assert_close, E.tolist(), E, name="y")
    _fails(
        "dtype float32, expected float64", T.assert_close, E.astype(np.float32), E, dtype=np.float64
    )
    bad = E.copy()
    bad[0, 1] = np.nan
    _fails(r"contains nan at index \(0, 1\)", T.assert_close, bad, E, name="y")
    _fails("must hold real numbers", T.assert_close, E.astype(complex), E)


def test_rtol_atol_mode() -> None:
    T.assert_close(E + 1e-3, E, rtol=0.0, atol=2e-3)
    _fails("atol", T.assert_close, E + 1e-2, E, rtol=0.0, atol=2e-3)


class _Liar(np.ndarray):
    """An ndarray whose comparisons always claim equality."""

    def __eq__(self, other):  # noqa: D105
        return np.ones(np.shape(self), dtype=bool)

    __ne__ = __eq__


class _Exploding:
    def __eq__(self, other):  # noqa: D105
        raise RuntimeError("__eq__ was called")

    __hash__ = None


def test_student_objects_are_not_trusted() -> None:
    liar = (E + 1).view(_Liar)
    _fails("wrong at 6 of 6", T.assert_close, liar, E, name="y")
    _fails("must be a numpy array", T.assert_close, _Exploding(), E, name="y")
    _fails("must be a number", T.assert_scalar_close, _Exploding(), 1.0, name="loss")
    _fails("must be a string", T.assert_choice, _Exploding(), "a", name="q01")


def test_rebinding_numpy_functions_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "abs", lambda x: np.zeros_like(x))
    monkeypatch.setattr(np, "array_equal", lambda *a, **k: True)
    monkeypatch.setattr(np, "isfinite", lambda x: np.ones_like(x, dtype=bool))
    _fails("wrong", T.assert_close, E + 1, E)
    x = np.ones(3)
    with pytest.raises(AssertionError, match="modified in place"), T.assert_not_mutated(x=x):
        x[0] = 2.0


def test_assert_not_mutated() -> None:
    x = np.ones((2, 2))
    with T.assert_not_mutated(x=x):
        _ = x * 2
    msg = _fails("modified in place", _mutate, x)
    assert "element (0, 1) was 1, now 5" in msg


def _mutate(x: np.ndarray) -> None:
    with T.assert_not_mutated(x=x):
        x[0, 1] = 5.0


def test_scalar_checks() -> None:
    T.assert_scalar_close(np.float64(0.5), 0.5, name="loss")
    T.assert_scalar_close(np.array(0.5), 0.5, name="loss")
    _fails("single number", T.assert_scalar_close, np.array([0.5]), 0.5, name="loss")
    _fails("is nan", T.assert_scalar_close, float("nan"), 0.5, name="loss")
    _fails(r"expected / got = 0.5", T.assert_scalar_close, 2.0, 1.0, name="loss")
    _fails("must be a number", T.assert_scalar_close, True, 1.0, name="loss")


def test_check_gradients_passes_and_fails() -> None:
    x = np.random.default_rng(0).standard_normal((4, 3))
    errors = T.check_gradients(lambda: Linear(3, 2, rng=0), x)
    assert set(errors) == {"input", "weight", "bias"} and max(errors.values()) < 1e-7

    class Broken(Linear):
        def backward(self, grad_output, input_grad=True):
            dx = super().backward(grad_output)
            self.bias.grad *= 2.0
            return dx

    _fails("bias.grad is wrong", T.check_gradients, lambda: Broken(3, 2, rng=0), x, name="Broken")


def test_assert_module_matches() -> None:
    rng = np.random.default_rng(1)
    x, g = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    T.assert_module_matches(Linear(3, 2, rng=0), Linear(3, 2, rng=1), x, g, name="Linear")

    class Overwrites(Linear):
        def backward(self, grad_output, input_grad=True):
            self.weight.grad[...] = 0.0
            return super().backward(grad_output)

    _fails(
        "after two backward calls",
        T.assert_module_matches,
        Overwrites(3, 2),
        Linear(3, 2),
        x,
        g,
        name="Linear",
    )
    _fails("has 0 parameters", T.assert_module_matches, ReLU(), Linear(3, 2), x, g, name="ReLU")


def test_assert_own_implementation() -> None:
    _fails(
        "is \\(or subclasses\\)",
        T.assert_own_implementation,
        Linear,
        name="Linear",
        reference=Linear,
    )

    class Sub(Linear):
        pass

    _fails("subclasses", T.assert_own_implementation, Sub, name="Linear", reference=Linear)

    class Mine(Module):
        def forward(self, x):
            return x

        def backward(self, g):
            return g

    _fails("comes from the module", T.assert_own_implementation, Mine, name="Mine")
    for obj in (Mine, Mine.forward, Mine.backward):
        obj.__module__ = "__main__"
    T.assert_own_implementation(Mine, name="Mine", reference=Linear)
    Mine.backward = Linear.backward
    _fails(
        "Mine.backward is defined in 'course_lib.modules'",
        T.assert_own_implementation,
        Mine,
        name="Mine",
    )
    _fails("must be a class", T.assert_own_implementation, Mine(), name="Mine")


def test_set_parameter_and_get_grad() -> None:
    p = Parameter(np.zeros((2, 3)))
    p.grad += 1.0
    T.set_parameter(p, E, name="W")
    assert np.array_equal(p.data, E) and not p.grad.any()
    _fails("must be a Parameter", T.set_parameter, np.zeros((2, 3)), E, name="W")
    _fails(
        r"has shape \(3, 2\), expected \(2, 3\)",
        T.set_parameter,
        Parameter(np.zeros((3, 2))),
        E,
        name="W",
    )
    p.grad = np.zeros(3)
    _fails(r"has shape \(3,\), expected \(2, 3\)", T.get_grad, p, name="W.grad")


def test_quiz_helpers() -> None:
    T.assert_choice(" B ", "b", name="q1")
    T.assert_choice_format("c", name="q1")
    _fails("not the right answer", T.assert_choice, "a", "b", name="q1")
    _fails("one of", T.assert_choice_format, "e", name="q1")
    _fails("no answer yet", T.assert_choice_format, None, name="q1")
    T.assert_choice("huber", "huber", name="x", options=("mse", "huber"))
    T.assert_number_close(0.1438, 0.14384103, name="q2")
    T.assert_number_close(203530, 203530, name="q3", rtol=1e-9)
    _fails("not the right value", T.assert_number_close, 0.15, 0.1438, name="q2")
    _fails("finite", T.assert_number_format, float("inf"), name="q2")


def test_away_from_keeps_a_margin() -> None:
    x = T.away_from(np.random.default_rng(0), (200,), kinks=(-1.0, 0.0, 1.0), margin=0.05)
    for k in (-1.0, 0.0, 1.0):
        assert np.min(np.abs(x - k)) >= 0.05 - 1e-15
    assert x.dtype == np.float64 and x.shape == (200,)


class _InPlaceTanh(Module):
    """tanh whose backward squares its cached output in place: right once, wrong twice."""

    def forward(self, x):
        self._y = np.tanh(x)
        return self._y

    def backward(self, grad_output):
        self._y **= 2
        return grad_output * (1.0 - self._y)


def test_a_second_backward_must_give_the_same_result() -> None:
    rng = np.random.default_rng(2)
    x, g = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    T.assert_module_matches(Tanh(), Tanh(), x, g, name="Tanh")
    msg = _fails("second backward", T.assert_module_matches, _InPlaceTanh(), Tanh(), x, g, name="T")
    assert "must not change what forward cached" in msg


def test_hidden_test_runs_at_once_and_keeps_no_function() -> None:
    seen = []

    @T.hidden_test
    def first():
        seen.append("first")

    @T.hidden_test(seed=3)
    def second(rng):
        seen.append(rng.standard_normal())

    assert first is None and second is None
    assert seen == ["first", np.random.default_rng(3).standard_normal()]
    with pytest.raises(AssertionError, match="boom"):

        @T.hidden_test
        def failing():
            raise AssertionError("boom")


def test_randomize_parameters_and_forward_matches() -> None:
    rng = np.random.default_rng(4)
    reference = T.randomize_parameters(Linear(3, 2), rng, scale=0.5)
    assert reference.bias.data.any() and not reference.weight.grad.any()
    T.assert_forward_matches(Linear(3, 2), reference, rng.standard_normal((5, 3)), name="L")

    class NoBias(Linear):
        def forward(self, x):
            return x @ self.weight.data.T

    _fails("forward", T.assert_forward_matches, NoBias(3, 2), reference, E, name="L")


class _ReLUOneAtZero(Module):
    """ReLU with the mask x >= 0: right everywhere but at the kink."""

    def forward(self, x):
        self._mask = x >= 0
        return np.maximum(x, 0.0)

    def backward(self, grad_output):
        return grad_output * self._mask


def test_elementwise_checks_and_the_convention_at_the_kink() -> None:
    rng = np.random.default_rng(5)
    T.check_elementwise(ReLU, ReLU, rng, name="ReLU", kinks=(0.0,))
    T.check_elementwise(_ReLUOneAtZero, ReLU, rng, name="ReLU", kinks=(0.0,))
    T.assert_kink_convention(ReLU(), ReLU(), 0.0, name="ReLU")
    T.assert_kink_convention(LeakyReLU(0.2), LeakyReLU(0.2), 0.0, name="LeakyReLU(0.2)")
    msg = _fails(
        "passes 1 times the upstream gradient",
        T.assert_kink_convention,
        _ReLUOneAtZero(),
        ReLU(),
        0.0,
        name="ReLU",
    )
    assert "this exercise takes ReLU'(0) = 0" in msg
    _fails(
        "LeakyReLU'\\(0\\) = 0.2",
        T.assert_kink_convention,
        ReLU(),
        LeakyReLU(0.2),
        name="LeakyReLU",
    )


class _CrossEntropy:
    """Cross-entropy whose backward can work on its cached probabilities in place."""

    def __init__(self, copy: bool = True) -> None:
        self.copy = copy

    def forward(self, logits, labels):
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        self._p, self._y = e / e.sum(axis=1, keepdims=True), labels
        return float(-np.log(self._p[np.arange(len(labels)), labels]).mean())

    def backward(self):
        grad = self._p.copy() if self.copy else self._p
        grad[np.arange(len(self._y)), self._y] -= 1.0
        return grad / len(self._y)


def test_assert_loss_matches() -> None:
    rng = np.random.default_rng(6)
    z, y = rng.standard_normal((4, 3)), np.array([0, 2, 1, 1])
    T.assert_loss_matches(_CrossEntropy(), CrossEntropyLoss(), z, y, name="CE")
    msg = _fails(
        "backward\\(\\) called a second time",
        T.assert_loss_matches,
        _CrossEntropy(copy=False),
        CrossEntropyLoss(),
        z,
        y,
        name="CE",
    )
    assert "copy" in msg
    doubled = _CrossEntropy()
    doubled.forward = lambda z, y: 2 * _CrossEntropy.forward(doubled, z, y)
    _fails("CE: forward is", T.assert_loss_matches, doubled, CrossEntropyLoss(), z, y, name="CE")


class _KinkOne(Value):
    """A Value whose relu'(0) is 1."""

    def relu(self):
        out = _KinkOne(max(self.data, 0.0), (self,), "relu")

        def _backward():
            self.grad += (1.0 if self.data >= 0 else 0.0) * out.grad

        out._backward = _backward
        return out


def test_autograd_checks() -> None:
    T.assert_local_backward(lambda a, b: a * b, Value, Value, (2.0, -3.0), upstream=2.0, name="ab")
    T.assert_local_backward(lambda a: a.relu(), _KinkOne, Value, (0.5,), name="relu at 0.5")
    _fails(
        "gradient of input 0",
        T.assert_local_backward,
        lambda a: a.relu(),
        _KinkOne,
        Value,
        (0.0,),
        name="relu at 0",
    )
    rng = np.random.default_rng(7)
    graphs = list(T.paired_graphs(Value, Value, rng, n_graphs=2, n_ops=12))
    assert len(graphs) == 2
    for _, nodes, ref_nodes in graphs:
        assert len(nodes) == len(ref_nodes) == 3 + 12 + 4
        nodes[-1].backward()
        ref_nodes[-1].backward()
        assert [v.grad for v in nodes] == [v.grad for v in ref_nodes]
        T.assert_backward(nodes[-1], nodes, name="a graph", truth=[v.grad for v in ref_nodes])


def test_every_name_is_importable_from_course_lib_testing() -> None:
    for name in T.__all__:
        assert getattr(T, name) is not None, name
    assert set(T.HIDDEN_CHECKS) <= set(dir(T))
    with pytest.raises(AttributeError):
        T.no_such_helper  # noqa: B018
    namespace: dict = {}
    exec("from course_lib.testing import *", namespace)
    assert {"hidden_test", "assert_close", "assert_module_matches"} <= set(namespace)


@pytest.mark.parametrize("exercise", EXERCISES)
def test_locked_cells_import_only_helpers_defined_in_testing_py(repo: Path, exercise: str) -> None:
    """While a submission is graded its process gets ``course_lib.testing`` as stubs made from
    the functions defined in ``course_lib/testing.py`` itself (the checks run in the judge), so
    a locked cell that also runs there may import only those."""
    defined = {
        node.name
        for node in ast.parse(Path(T.__file__).read_text()).body
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_")
    }
    nb = nbformat.read(repo / "solutions" / exercise / f"{exercise}.ipynb", as_version=4)
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("locked") or meta.get("grade"):
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.ImportFrom) and node.module == "course_lib.testing":
                names = {alias.name for alias in node.names}
                assert names <= defined, (meta["grade_id"], names - defined)


# -- calls into the student's code ---------------------------------------------------------------
def test_calling_records_warnings_and_keeps_a_right_result(capfd: pytest.CaptureFixture) -> None:
    z = np.array([[1000.0, 0.0, -1000.0]])
    with T.calling("softmax(z)", z=z) as call:
        p = 1.0 / np.exp(z[:, None, :] - z[:, :, None]).sum(axis=2)  # overflows on the way
        T.assert_close(p, [[1.0, 0.0, 0.0]], name="softmax(z)")
    assert any("overflow" in str(w.message) for w in call.warnings)
    assert capfd.readouterr().err == ""  # nbgrader would score a cell with stderr 0


def test_calling_adds_the_warnings_to_a_failed_check() -> None:
    z = np.array([[1000.0, 0.0]])
    with pytest.raises(AssertionError) as info, T.calling("softmax(z)", z=z):
        e = np.exp(z)
        T.assert_close(e / e.sum(), [[1.0, 0.0]], name="softmax(z)")
    assert "contains nan" in str(info.value)
    assert "numpy warned: RuntimeWarning: overflow encountered in exp" in str(info.value)


def test_calling_sets_numpy_error_state_whatever_the_notebook_set() -> None:
    with np.errstate(all="raise"), T.calling("1 / (1 + exp(1000))"):
        assert 1.0 / (1.0 + np.exp(np.array(1000.0))) == 0.0


def test_calling_explains_a_numpy_error_raised_by_the_student() -> None:
    namespace = {"__name__": "__main__", "np": np}
    exec("def backward(g):\n    b = np.zeros(2)\n    b += g\n    return b", namespace)
    g = np.ones((4, 2))
    msg = _fails(
        "raised ValueError",
        _call,
        "layer.backward(grad_output)",
        namespace["backward"],
        g,
        hint="sum over the batch",
    )
    lines = msg.splitlines()
    assert lines[1] == "  hint: sum over the batch"
    assert "gradient added into p.grad must have the shape of p itself" in lines[2]
    assert "grad_output (4, 2) float64" in msg
    assert "in your code in backward, line 3" in msg


def _call(what, func, g, hint=None):
    with T.calling(what, hint=hint, grad_output=g):
        func(g)


def test_calling_leaves_out_the_students_words_in_a_hidden_test() -> None:
    def student(_):
        raise ValueError("the hidden input is 42")

    with pytest.raises(AssertionError) as info:

        @T.hidden_test
        def _test():
            _call("f(x)", student, np.ones(3))

    assert "f(x) raised ValueError" in str(info.value) and "42" not in str(info.value)


def test_calling_guards_its_inputs() -> None:
    x = np.ones(3)
    with pytest.raises(AssertionError, match="modified in place"), T.calling("f(x)", x=x):
        x[0] = 2.0


def test_calling_lets_interrupts_through() -> None:
    with pytest.raises(KeyboardInterrupt), T.calling("f(x)"):
        raise KeyboardInterrupt


def test_mappings_and_sequences_are_checked_by_behaviour() -> None:
    import collections
    import types

    assert T.as_mapping(collections.OrderedDict(a=1), name="m", keys=["a"]) == {"a": 1}
    assert T.as_mapping(types.MappingProxyType({"a": 1}), name="m") == {"a": 1}
    _fails("must be a mapping such as a dict, got list", T.as_mapping, [1], name="m")
    _fails(r"missing \['b'\]", T.as_mapping, {"a": 1}, name="m", keys=["a", "b"])
    _fails(r"unexpected \['c'\]", T.as_mapping, {"a": 1, "c": 2}, name="m", keys=["a"])
    for seq in ([1, 2.5], (1, 2.5), np.array([1, 2.5]), [np.float64(1), np.int64(2)]):
        assert T.as_numbers(seq, name="h", length=2).tolist() in ([1.0, 2.5], [1.0, 2.0])
    _fails("got str", T.as_numbers, "12", name="h")
    _fails("array of shape", T.as_numbers, np.ones((2, 2)), name="h")
    _fails("has 2 entries, expected 3", T.as_numbers, [1, 2], name="h", length=3)


# -- training: train, gradient_check, settings -----------------------------------------------
def _train(model, loss, X, y, *, epochs, lr, batch_size=None, rng=None, mistake=None):
    gen = np.random.default_rng(rng)
    n = len(X)
    size = batch_size or n
    history = []
    for _ in range(epochs):
        if mistake == "rng":
            gen = np.random.default_rng(rng)
        order = gen.permutation(n)
        total = 0.0
        for start in range(0, n, size):
            idx = order[start : start + size]
            if mistake != "zero_grad":
                model.zero_grad()
            value = loss.forward(model.forward(X[idx]), y[idx])
            model.backward(loss.backward())
            for p in model.parameters():
                p.data -= lr * p.grad
            total += value * len(idx)
        history.append(total / n)
    return np.array(history) if mistake == "array" else history


def test_assert_train_matches_names_the_mistake() -> None:
    X = np.random.default_rng(0).standard_normal((7, 3))
    y = np.array([0, 1, 2, 1, 0, 2, 2])
    kw = {"epochs": 3, "lr": 0.3, "batch_size": 3, "rng": 0}
    T.assert_train_matches(_train, X, y, **kw)
    T.assert_train_matches(lambda *a, **k: _train(*a, **k, mistake="array"), X, y, **kw)
    msg = _fails(
        "off",
        T.assert_train_matches,
        lambda *a, **k: _train(*a, **k, mistake="zero_grad"),
        X,
        y,
        **kw,
    )
    assert "never reset" in msg and "train longer" not in msg
    msg = _fails(
        "off", T.assert_train_matches, lambda *a, **k: _train(*a, **k, mistake="rng"), X, y, **kw
    )
    assert "same order" in msg


def _numerical_gradient(f, x, eps=1e-6, factor=2.0):
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        fp = f(x)
        x[idx] = old - eps
        fm = f(x)
        x[idx] = old
        grad[idx] = (fp - fm) / (factor * eps)
    return grad


def _gradient_check(model, loss, X, y, eps=1e-6, numgrad=_numerical_gradient, reset=True):
    from course_lib.gradcheck import rel_error

    if reset:
        model.zero_grad()
    loss.forward(model.forward(X), y)
    model.backward(loss.backward())
    analytic = {n: p.grad.copy() for n, p in model.named_parameters()}
    return {
        n: rel_error(analytic[n], numgrad(lambda _: loss.forward(model.forward(X), y), p.data))
        for n, p in model.named_parameters()
    }


def test_assert_gradient_check_blames_the_right_function() -> None:
    errors = T.assert_gradient_check(_gradient_check, _numerical_gradient, 3)
    assert max(errors.values()) < 1e-6

    def half(f, x, eps=1e-6):
        return _numerical_gradient(f, x, eps, factor=1.0)

    def with_half(*a, **k):
        return _gradient_check(*a, **k, numgrad=half)

    msg = _fails("network whose backward is right", T.assert_gradient_check, with_half, half, 3)
    assert "numerical_gradient gives wrong values" in msg and "MLP.backward" not in msg
    stale = lambda *a, **k: _gradient_check(*a, **k, reset=False)  # noqa: E731
    _fails(r"model.zero_grad\(\)", T.assert_gradient_check, stale, _numerical_gradient, 3)


def test_assert_settings_reach() -> None:
    from course_lib.data import xor
    from course_lib.modules import Sequential

    X, y = xor()

    def fresh():
        return Sequential(
            Linear(2, 8, rng=0), ReLU(), Linear(8, 8, rng=1), ReLU(), Linear(8, 2, rng=2)
        )

    acc = T.assert_settings_reach(
        {"epochs": 300, "lr": 0.5}, fresh(), X, y, X, y, min_accuracy=1.0, name="XOR"
    )
    assert acc == 1.0
    _fails(
        "train longer",
        T.assert_settings_reach,
        {"epochs": 1, "lr": 0.01},
        fresh(),
        X,
        y,
        X,
        y,
        min_accuracy=1.0,
        name="XOR",
    )
    _fails(
        "no 'rng'",
        T.assert_settings_reach,
        {"epochs": 3, "lr": 0.1, "batch_size": 2},
        fresh(),
        X,
        y,
        X,
        y,
        min_accuracy=0.0,
        name="XOR",
    )
    _fails(
        "'epochs' and 'lr'",
        T.assert_settings_reach,
        {"lr": 0.1},
        fresh(),
        X,
        y,
        X,
        y,
        min_accuracy=0.0,
        name="XOR",
    )


# -- autograd: backward() judged on the student's own local rules ----------------------------
class _MulAssigns(Value):
    """A Value whose product overwrites its inputs' gradients."""

    def __mul__(self, other):
        other = other if isinstance(other, Value) else _MulAssigns(other)
        out = _MulAssigns(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad = other.data * out.grad
            other.grad = self.data * out.grad

        out._backward = _backward
        return out

    def __add__(self, other):
        other = other if isinstance(other, Value) else _MulAssigns(other)
        out = _MulAssigns(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out


def test_backward_is_judged_on_the_students_own_rules() -> None:
    assert "mul" not in T.accumulating_ops(_MulAssigns)
    assert set(T.accumulating_ops(Value)) == {"add", "mul", "pow", "tanh", "relu", "addc", "mulc"}
    a, b = _MulAssigns(2.0), _MulAssigns(-3.0)
    d = a * b
    e = d + a
    f = d * e
    T.assert_backward(f, [a, b, d, e, f], name="f", truth=[24.0, -20.0, -10.0, -6.0, 1.0])

    class NoReset(Value):
        def backward(self):
            order = [self]
            for node in order:
                order.extend(c for c in node._prev if c not in order)
            self.grad = 1.0
            for node in order:
                node._backward()

    x = NoReset(0.5)
    y = x * x
    y.__class__ = NoReset  # the reference's product makes a plain Value
    msg = _fails("second root.backward", T.assert_backward, y, [x, y], name="x * x")
    assert "reset every node's grad" in msg
