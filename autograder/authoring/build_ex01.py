"""Source notebook of exercise 1: ``Linear``, activations and ``Sequential`` with backward.

Run ``python -m autograder.authoring ex01_modules`` to rewrite ``solutions/ex01_modules``.
"""

# Cell sources are embedded as the notebook shows them (markdown tables, test code).
# ruff: noqa: E501

from __future__ import annotations

import math

from nbformat.notebooknode import NotebookNode

from .cells import hidden, markdown, notebook, readonly, solution, tests

EXERCISE = "ex01_modules"


def _sig(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


def _fmt(values: list[float]) -> str:
    return "[" + ", ".join(repr(round(v, 15)) for v in values) + "]"


def build() -> NotebookNode:
    """Return the nbgrader source notebook of exercise 1 (about 28 points)."""
    xs = [-2.0, 0.0, 2.0]
    sig_y = [_sig(v) for v in xs]
    sig_d = [s * (1 - s) for s in sig_y]
    tanh_y = [math.tanh(v) for v in xs]
    tanh_d = [1 - t * t for t in tanh_y]
    cells = [
        markdown(
            r"""
            # Exercise 1: modules, a layer and its activations, forward and backward

            A feedforward network is a composition of **modules**: blocks that turn an input
            batch into an output batch and know how to pass gradients back. In this exercise you
            write the modules of the lecture yourself, with numpy only:

            1. `Linear`, the affine layer $y = xW^\top + b$ (4 + 7 points),
            2. the activations `ReLU`, `LeakyReLU`, `Sigmoid` and `Tanh` (3 points each),
            3. the container `Sequential` (5 points).

            ### The module contract

            Every module follows the contract of `course_lib` (and of PyTorch's `nn.Module`):

            | method | receives | returns | side effect |
            |---|---|---|---|
            | `forward(x)` | a batch `x` of shape `(N, D_in)` | the output, `(N, D_out)` | caches what `backward` needs |
            | `backward(grad_output)` | $\partial L / \partial y$, shape `(N, D_out)` | $\partial L / \partial x$, shape `(N, D_in)` | **adds** $\partial L / \partial p$ into `p.grad` of each parameter |

            Parameters are `Parameter` objects with `.data` and `.grad` (same shape; the gradient
            starts at zero). Gradients *accumulate* (`p.grad += ...`) until someone calls
            `zero_grad()`, exactly like in PyTorch. Your classes subclass `Module`, which already
            provides `__call__`, `parameters()`, `named_parameters()` and `zero_grad()`.
            Arrays are float64 and batch-first; never modify an input array in place.

            ### How you are graded

            * Cells marked *public tests* run the checks you can see. A failing test tells you
              what was expected, what came out, where, and gives a hint.
            * Cells marked *hidden tests* are empty here; at grading they check more: random
              shapes including a batch of one sample (`N = 1`), float64 results within a relative
              error of about $10^{-7}$, inputs left unmodified, gradients accumulated over two
              backward calls.
            * A test cell earns its points when it runs without an error.
            * The work must be your own: `course_lib` holds the reference implementation the
              graders compare you against, so **do not import `Linear`, `ReLU`, ... from
              `course_lib`** (nor `course_lib.modules` / `course_lib.activations`). A class taken
              from there earns no points. `Module` and `Parameter` are imported for you below.

            Run the next cell first.
            """,
            id="intro",
        ),
        readonly(
            """
            import numpy as np

            from course_lib.modules import Module, Parameter
            from course_lib.testing import (
                assert_close,
                assert_not_mutated,
                assert_shape,
                check_gradients,
            )
            """,
            id="setup",
        ),
        markdown(
            r"""
            ## 1. The `Linear` layer

            For a batch $X \in \mathbb{R}^{N \times D}$ (one sample per row), a weight
            $W \in \mathbb{R}^{M \times D}$ (PyTorch's layout: `(out_features, in_features)`) and a
            bias $b \in \mathbb{R}^{M}$, the layer computes

            $$Y = X W^\top + \mathbf{1} b^\top, \qquad Y_{nm} = \sum_{d} X_{nd} W_{md} + b_m .$$

            In the lecture's notation $f = Ax$ for a single column vector $x$: $A$ is $W$.

            Given the upstream gradient $G = \partial L / \partial Y \in \mathbb{R}^{N \times M}$,
            the chain rule gives

            $$\frac{\partial L}{\partial W} = G^\top X \;(M \times D), \qquad
            \frac{\partial L}{\partial b} = \sum_{n=1}^{N} G_{n,:} \;(M,), \qquad
            \frac{\partial L}{\partial X} = G\, W \;(N \times D).$$

            The bias is added to every row, so its gradient **sums over the batch**. `backward`
            adds the first two into `self.weight.grad` and `self.bias.grad` (when there is a
            bias) and returns the third.

            Complete `forward` and `backward` (the constructor is given: He initialisation,
            $W_{md} \sim \mathcal{N}(0, 2/D)$, and a zero bias).
            """,
            id="md-linear",
        ),
        solution(
            '''
            class Linear(Module):
                """Affine layer ``y = x @ W.T + b``.

                Parameters
                ----------
                in_features, out_features : int
                    ``D`` and ``M``.
                bias : bool
                    Whether the layer has a bias.
                rng : np.random.Generator, int or None
                    Randomness of the initial weights.

                Attributes
                ----------
                weight : Parameter, shape (out_features, in_features)
                bias : Parameter of shape (out_features,), or None
                """

                def __init__(self, in_features, out_features, bias=True, *, rng=None):
                    rng = np.random.default_rng(rng)
                    self.in_features = in_features
                    self.out_features = out_features
                    std = np.sqrt(2.0 / in_features)
                    self.weight = Parameter(
                        rng.normal(0.0, std, size=(out_features, in_features)), name="weight"
                    )
                    self.bias = Parameter(np.zeros(out_features), name="bias") if bias else None
                    self._x = None  # the input of the last forward, for backward

                def forward(self, x):
                    """x: (N, in_features) -> y: (N, out_features). Caches x."""
                    ### BEGIN SOLUTION
                    self._x = x
                    y = x @ self.weight.data.T
                    if self.bias is not None:
                        y = y + self.bias.data
                    return y
                    ### END SOLUTION

                def backward(self, grad_output):
                    """grad_output: (N, out_features) -> dL/dx: (N, in_features).

                    Adds dL/dW (out_features, in_features) into self.weight.grad and
                    dL/db (out_features,) into self.bias.grad.
                    """
                    ### BEGIN SOLUTION
                    x = self._x
                    self.weight.grad += grad_output.T @ x
                    if self.bias is not None:
                        self.bias.grad += grad_output.sum(axis=0)
                    return grad_output @ self.weight.data
                    ### END SOLUTION
            ''',
            id="linear",
        ),
        tests(
            """
            # Public tests for Linear.forward: a small example you can check by hand.
            layer = Linear(3, 2, rng=0)
            layer.weight.data[...] = [[1.0, 0.0, -1.0], [0.5, 2.0, 0.0]]
            layer.bias.data[...] = [0.1, -0.2]
            x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 1.0]])
            with assert_not_mutated(x=x):
                y = layer.forward(x)
            assert_shape(
                y, (2, 2), name="Linear(3, 2).forward(x)",
                hint="one row per sample, one column per output feature: x @ W.T has shape (N, M)",
            )
            assert_close(
                y, [[-1.9, 4.3], [-1.9, -0.7]], name="Linear(3, 2).forward(x)",
                hint="y = x @ W.T + b, where W has shape (out_features, in_features)",
            )
            print("Linear.forward: public tests passed")
            """,
            id="test_linear_forward",
            points=1,
        ),
        hidden(
            """
            def _hidden_test():
                import numpy as np

                import course_lib.modules as ref
                from course_lib import testing as ct

                ct.assert_own_implementation(Linear, name="Linear", reference=ref.Linear)
                rng = np.random.default_rng(20240101)
                for n, d, m in [(1, 1, 1), (1, 5, 3), (4, 3, 7), (6, 4, 4), (16, 9, 5)]:
                    x = rng.standard_normal((n, d))
                    w = rng.standard_normal((m, d))
                    b = rng.standard_normal(m)
                    layer = Linear(d, m, rng=1)
                    name = f"Linear({d}, {m})"
                    ct.set_parameter(layer.weight, w, name=f"{name}.weight")
                    ct.set_parameter(layer.bias, b, name=f"{name}.bias")
                    with ct.assert_not_mutated(x=x):
                        y = layer.forward(x)
                    ct.assert_close(
                        y, x @ w.T + b, name=f"{name}.forward(x) with N = {n}", dtype=np.float64,
                        hint="y = x @ W.T + b",
                    )
                    plain = Linear(d, m, bias=False, rng=1)
                    if plain.bias is not None:
                        raise AssertionError("Linear(..., bias=False).bias must be None")
                    ct.set_parameter(plain.weight, w, name=f"{name}.weight")
                    expected = x @ w.T  # computed before the call: x must not change under it
                    with ct.assert_not_mutated(x=x):
                        out = plain.forward(x)
                    ct.assert_close(
                        out, expected, name=f"Linear({d}, {m}, bias=False).forward(x)",
                        dtype=np.float64,
                    )
                fresh = Linear(300, 200, rng=3)
                std = float(np.std(ct.assert_array(fresh.weight.data, name="weight")))
                if not 0.9 * np.sqrt(2 / 300) < std < 1.1 * np.sqrt(2 / 300):
                    raise AssertionError(f"the initial weights' std is {std:.4f}, expected sqrt(2/300)")


            _hidden_test()
            del _hidden_test
            """,
            id="hidden_linear_forward",
            points=3,
            visible="# Linear.forward: random shapes (N = 1 included), no bias, float64, x unchanged.",
        ),
        tests(
            """
            # Public tests for Linear.backward.
            layer = Linear(3, 2, rng=0)
            layer.weight.data[...] = [[1.0, 0.0, -1.0], [0.5, 2.0, 0.0]]
            x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 1.0]])
            g = np.array([[1.0, -1.0], [0.5, 2.0]])  # dL/dy, shape (N, out_features)
            layer.forward(x)
            with assert_not_mutated(x=x, grad_output=g):
                dx = layer.backward(g)
            assert_shape(
                dx, (2, 3), name="the value returned by Linear.backward",
                hint="backward returns dL/dx, shaped like x (N, in_features); "
                "dL/dW is not returned, it goes into self.weight.grad",
            )
            assert_shape(
                layer.weight.grad, (2, 3), name="weight.grad",
                hint="dL/dW = grad_output.T @ x has the weight's shape (out_features, in_features)",
            )
            assert_shape(
                layer.bias.grad, (2,), name="bias.grad",
                hint="sum the upstream gradient over the batch axis: grad_output.sum(axis=0)",
            )
            assert_close(dx, [[0.5, -2.0, -1.0], [1.5, 4.0, -0.5]], name="dL/dx",
                         hint="dL/dx = grad_output @ W")
            assert_close(layer.weight.grad, [[0.5, 2.0, 3.5], [-3.0, -2.0, -1.0]], name="weight.grad",
                         hint="dL/dW = grad_output.T @ x")
            assert_close(layer.bias.grad, [1.5, 1.0], name="bias.grad",
                         hint="dL/db = grad_output.sum(axis=0): the bias is shared by all N rows")

            # A second backward adds to the gradients (they accumulate until zero_grad()).
            layer.forward(x)
            layer.backward(g)
            assert_close(layer.bias.grad, [3.0, 2.0], name="bias.grad after two backward calls",
                         hint="accumulate: self.bias.grad += ..., not self.bias.grad = ...")
            layer.zero_grad()

            # A numerical gradient check on random data.
            errors = check_gradients(lambda: Linear(4, 3, rng=1),
                                     np.random.default_rng(0).standard_normal((5, 4)))
            print("gradient check, largest relative errors:", {k: f"{v:.1e}" for k, v in errors.items()})
            print("Linear.backward: public tests passed")
            """,
            id="test_linear_backward",
            points=2,
        ),
        hidden(
            """
            def _hidden_test():
                import numpy as np

                import course_lib.modules as ref
                from course_lib import testing as ct

                ct.assert_own_implementation(Linear, name="Linear", reference=ref.Linear)
                rng = np.random.default_rng(7)
                hints = {
                    "weight": "weight.grad += grad_output.T @ x, shape (out_features, in_features)",
                    "bias": "bias.grad += grad_output.sum(axis=0): sum over the batch axis",
                }
                for n, d, m in [(1, 4, 3), (1, 1, 1), (5, 3, 3), (7, 2, 6), (12, 6, 4)]:
                    for bias in (True, False):
                        x = rng.standard_normal((n, d))
                        g = rng.standard_normal((n, m))
                        reference = ref.Linear(d, m, bias=bias, rng=rng)
                        if bias:
                            reference.bias.data[...] = rng.standard_normal(m)
                        ct.assert_module_matches(
                            Linear(d, m, bias=bias, rng=0), reference, x, g,
                            name=f"Linear({d}, {m}, bias={bias}) with N = {n}",
                            hint_dx="return dL/dx = grad_output @ W (shape (N, in_features))",
                            param_hints=hints,
                        )
                ct.check_gradients(lambda: Linear(3, 5, rng=2), rng.standard_normal((4, 3)),
                                   name="Linear(3, 5)")


            _hidden_test()
            del _hidden_test
            """,
            id="hidden_linear_backward",
            points=5,
            visible=(
                "# Linear.backward against the reference: dL/dx, weight.grad, bias.grad (summed\n"
                "# over the batch), accumulation over two backward calls, N = 1, bias=False."
            ),
        ),
        markdown(
            r"""
            ## 2. Activations

            Elementwise activations have no parameters: $y = f(x)$ for every entry, so
            $\partial L / \partial x = \partial L / \partial y \odot f'(x)$ (an elementwise
            product; the Jacobian is diagonal and is never built).

            | module | $f(x)$ | $f'(x)$ |
            |---|---|---|
            | `ReLU` | $\max(0, x)$ | $1$ if $x > 0$, else $0$ (we take $f'(0) = 0$) |
            | `LeakyReLU(a)` | $x$ if $x > 0$, else $a x$ | $1$ if $x > 0$, else $a$ |
            | `Sigmoid` | $\sigma(x) = 1 / (1 + e^{-x})$ | $\sigma(x)\,(1 - \sigma(x)) = y (1 - y)$ |
            | `Tanh` | $\tanh(x)$ | $1 - \tanh^2(x) = 1 - y^2$ |

            For `Sigmoid` and `Tanh` the derivative is cheapest from the **output** $y$, so cache
            $y$ in `forward`. Do not modify `x` in place (`x[x < 0] = 0` would change the
            caller's array).
            """,
            id="md-activations",
        ),
        solution(
            '''
            class ReLU(Module):
                """max(0, x) elementwise; ReLU'(0) = 0. Any shape (N, ...)."""

                def forward(self, x):
                    ### BEGIN SOLUTION
                    self._mask = x > 0
                    return np.maximum(x, 0.0)
                    ### END SOLUTION

                def backward(self, grad_output):
                    ### BEGIN SOLUTION
                    return grad_output * self._mask
                    ### END SOLUTION
            ''',
            id="relu",
        ),
        tests(
            """
            relu = ReLU()
            x = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]])
            with assert_not_mutated(x=x):
                y = relu.forward(x)
            assert_close(y, [[0.0, 0.0, 0.0, 0.5, 3.0]], name="ReLU.forward(x)")
            g = np.array([[1.0, 2.0, 3.0, 4.0, 5.0]])
            assert_close(relu.backward(g), [[0.0, 0.0, 0.0, 4.0, 5.0]], name="ReLU.backward(g)",
                         hint="pass the gradient where x > 0 and block it elsewhere, "
                         "including x == 0 (ReLU'(0) = 0)")
            print("ReLU: public tests passed")
            """,
            id="test_relu",
            points=1,
        ),
        hidden(
            """
            def _hidden_test():
                import numpy as np

                import course_lib.activations as ref
                from course_lib import testing as ct

                ct.assert_own_implementation(ReLU, name="ReLU", reference=ref.ReLU)
                rng = np.random.default_rng(11)
                for shape in [(1, 1), (1, 7), (6, 4), (32, 10)]:
                    x = ct.away_from(rng, shape, kinks=(0.0,), margin=1e-3, scale=2.0)
                    g = rng.standard_normal(shape)
                    ct.assert_module_matches(ReLU(), ref.ReLU(), x, g, name=f"ReLU on {shape}",
                                             hint_dx="dx = grad_output * (x > 0)")
                x = np.array([[0.0, -0.0, 1e-300, -1e-300, 2.0]])
                ct.assert_module_matches(
                    ReLU(), ref.ReLU(), x, np.ones_like(x), name="ReLU at the kink",
                    hint_dx="ReLU'(0) = 0: use the mask x > 0 (not x >= 0)",
                )


            _hidden_test()
            del _hidden_test
            """,
            id="hidden_relu",
            points=2,
        ),
        solution(
            '''
            class LeakyReLU(Module):
                """x if x > 0 else negative_slope * x, elementwise. Any shape (N, ...)."""

                def __init__(self, negative_slope=0.01):
                    self.negative_slope = negative_slope

                def forward(self, x):
                    ### BEGIN SOLUTION
                    self._x = x
                    return np.where(x > 0, x, self.negative_slope * x)
                    ### END SOLUTION

                def backward(self, grad_output):
                    ### BEGIN SOLUTION
                    return grad_output * np.where(self._x > 0, 1.0, self.negative_slope)
                    ### END SOLUTION
            ''',
            id="leaky_relu",
        ),
        tests(
            """
            leaky = LeakyReLU(negative_slope=0.1)
            x = np.array([[-2.0, -0.5, 0.5, 3.0]])
            with assert_not_mutated(x=x):
                y = leaky.forward(x)
            assert_close(y, [[-0.2, -0.05, 0.5, 3.0]], name="LeakyReLU(0.1).forward(x)")
            g = np.array([[1.0, 2.0, 3.0, 4.0]])
            assert_close(leaky.backward(g), [[0.1, 0.2, 3.0, 4.0]], name="LeakyReLU(0.1).backward(g)",
                         hint="the slope is 1 where x > 0 and negative_slope elsewhere")
            assert_close(LeakyReLU().forward(np.array([[-1.0]])), [[-0.01]],
                         name="LeakyReLU().forward(-1)", hint="the default negative_slope is 0.01")
            print("LeakyReLU: public tests passed")
            """,
            id="test_leaky_relu",
            points=1,
        ),
        hidden(
            """
            def _hidden_test():
                import numpy as np

                import course_lib.activations as ref
                from course_lib import testing as ct

                ct.assert_own_implementation(LeakyReLU, name="LeakyReLU", reference=ref.LeakyReLU)
                rng = np.random.default_rng(12)
                for slope in (0.01, 0.2, 0.5):
                    for shape in [(1, 1), (1, 5), (8, 3)]:
                        x = ct.away_from(rng, shape, kinks=(0.0,), margin=1e-3, scale=2.0)
                        g = rng.standard_normal(shape)
                        student = LeakyReLU(slope) if slope != 0.01 else LeakyReLU()
                        ct.assert_module_matches(
                            student, ref.LeakyReLU(slope), x, g,
                            name=f"LeakyReLU({slope}) on {shape}",
                            hint_dx="dx = grad_output * (1 where x > 0, negative_slope elsewhere)",
                        )


            _hidden_test()
            del _hidden_test
            """,
            id="hidden_leaky_relu",
            points=2,
        ),
        solution(
            '''
            class Sigmoid(Module):
                """The logistic function 1 / (1 + exp(-x)) elementwise. Any shape (N, ...)."""

                def forward(self, x):
                    ### BEGIN SOLUTION
                    self._y = 1.0 / (1.0 + np.exp(-x))
                    return self._y
                    ### END SOLUTION

                def backward(self, grad_output):
                    ### BEGIN SOLUTION
                    y = self._y
                    return grad_output * y * (1.0 - y)
                    ### END SOLUTION
            ''',
            id="sigmoid",
        ),
        tests(
            f"""
            sig = Sigmoid()
            x = np.array([[-2.0, 0.0, 2.0]])
            with assert_not_mutated(x=x):
                y = sig.forward(x)
            assert_close(y, [{_fmt(sig_y)}], name="Sigmoid.forward(x)")
            g = np.ones((1, 3))
            assert_close(sig.backward(g), [{_fmt(sig_d)}], name="Sigmoid.backward(ones)",
                         hint="sigma'(x) = y * (1 - y) with y = sigma(x), the cached OUTPUT")
            print("Sigmoid: public tests passed")
            """,
            id="test_sigmoid",
            points=1,
        ),
        hidden(
            """
            def _hidden_test():
                import numpy as np

                import course_lib.activations as ref
                from course_lib import testing as ct

                ct.assert_own_implementation(Sigmoid, name="Sigmoid", reference=ref.Sigmoid)
                rng = np.random.default_rng(13)
                for shape in [(1, 1), (1, 6), (9, 4)]:
                    x = 3.0 * rng.standard_normal(shape)
                    g = rng.standard_normal(shape)
                    ct.assert_module_matches(
                        Sigmoid(), ref.Sigmoid(), x, g, name=f"Sigmoid on {shape}",
                        hint_dx="dx = grad_output * y * (1 - y) with y the output of forward",
                    )


            _hidden_test()
            del _hidden_test
            """,
            id="hidden_sigmoid",
            points=2,
        ),
        solution(
            '''
            class Tanh(Module):
                """tanh(x) elementwise. Any shape (N, ...)."""

                def forward(self, x):
                    ### BEGIN SOLUTION
                    self._y = np.tanh(x)
                    return self._y
                    ### END SOLUTION

                def backward(self, grad_output):
                    ### BEGIN SOLUTION
                    return grad_output * (1.0 - self._y**2)
                    ### END SOLUTION
            ''',
            id="tanh",
        ),
        tests(
            f"""
            th = Tanh()
            x = np.array([[-2.0, 0.0, 2.0]])
            with assert_not_mutated(x=x):
                y = th.forward(x)
            assert_close(y, [{_fmt(tanh_y)}], name="Tanh.forward(x)")
            assert_close(th.backward(np.ones((1, 3))), [{_fmt(tanh_d)}], name="Tanh.backward(ones)",
                         hint="tanh'(x) = 1 - y**2 with y = tanh(x), the cached OUTPUT")
            print("Tanh: public tests passed")
            """,
            id="test_tanh",
            points=1,
        ),
        hidden(
            """
            def _hidden_test():
                import numpy as np

                import course_lib.activations as ref
                from course_lib import testing as ct

                ct.assert_own_implementation(Tanh, name="Tanh", reference=ref.Tanh)
                rng = np.random.default_rng(14)
                for shape in [(1, 1), (1, 6), (9, 4)]:
                    x = 2.0 * rng.standard_normal(shape)
                    g = rng.standard_normal(shape)
                    ct.assert_module_matches(
                        Tanh(), ref.Tanh(), x, g, name=f"Tanh on {shape}",
                        hint_dx="dx = grad_output * (1 - y**2) with y the output of forward",
                    )


            _hidden_test()
            del _hidden_test
            """,
            id="hidden_tanh",
            points=2,
        ),
        markdown(
            r"""
            ## 3. `Sequential`

            A network $f = h_L \circ \dots \circ h_2 \circ h_1$ is a chain of modules.
            `Sequential(m1, m2, ...)` calls their `forward` **in order**; `backward` walks the
            chain **in reverse**, handing each module the gradient returned by the one after it
            (the chain rule, one module at a time):

            $$\frac{\partial L}{\partial x} = \Big(\cdots\big(G\, J_{h_L}\big) \cdots\Big) J_{h_1}
            \quad\text{computed as}\quad g \leftarrow h_\ell.\mathrm{backward}(g),\;
            \ell = L, \dots, 1 .$$

            The constructor stores the modules in the list `self.layers`; the `Module` base class
            finds their parameters from there, so `parameters()` already works.
            """,
            id="md-sequential",
        ),
        solution(
            '''
            class Sequential(Module):
                """A chain of modules: forward in order, backward in reverse."""

                def __init__(self, *modules):
                    self.layers = list(modules)

                def forward(self, x):
                    """x: (N, D_0) -> (N, D_L)."""
                    ### BEGIN SOLUTION
                    for layer in self.layers:
                        x = layer.forward(x)
                    return x
                    ### END SOLUTION

                def backward(self, grad_output):
                    """grad_output: (N, D_L) -> dL/dx: (N, D_0)."""
                    ### BEGIN SOLUTION
                    g = grad_output
                    for layer in reversed(self.layers):
                        g = layer.backward(g)
                    return g
                    ### END SOLUTION
            ''',
            id="sequential",
        ),
        tests(
            """
            net = Sequential(Linear(3, 4, rng=0), ReLU(), Linear(4, 2, rng=1))
            assert len(net.parameters()) == 4, (
                f"net.parameters() has {len(net.parameters())} entries, expected 4 "
                "(keep the modules in self.layers)"
            )
            x = np.random.default_rng(0).standard_normal((5, 3))
            with assert_not_mutated(x=x):
                out = net.forward(x)
            manual = net.layers[2].forward(net.layers[1].forward(net.layers[0].forward(x)))
            assert_close(out, manual, name="Sequential.forward(x)",
                         hint="apply the layers in order, feeding each one the previous output")
            errors = check_gradients(
                lambda: Sequential(Linear(3, 4, rng=0), Tanh(), Linear(4, 2, rng=1)), x,
                hint="backward walks self.layers in reverse, passing along the returned gradient",
            )
            print("gradient check, largest relative errors:", {k: f"{v:.1e}" for k, v in errors.items()})
            print("Sequential: public tests passed")
            """,
            id="test_sequential",
            points=1,
        ),
        hidden(
            """
            def _hidden_test():
                import numpy as np

                import course_lib.activations as ref_act
                import course_lib.modules as ref
                from course_lib import testing as ct

                ct.assert_own_implementation(Sequential, name="Sequential", reference=ref.Sequential)
                rng = np.random.default_rng(15)
                for n in (1, 6):
                    student = Sequential(
                        Linear(4, 5, rng=0), ReLU(), Linear(5, 3, rng=1), Tanh(),
                        Linear(3, 2, rng=2), Sigmoid(),
                    )
                    reference = ref.Sequential(
                        ref.Linear(4, 5, rng=rng), ref_act.ReLU(), ref.Linear(5, 3, rng=rng),
                        ref_act.Tanh(), ref.Linear(3, 2, rng=rng), ref_act.Sigmoid(),
                    )
                    for p in reference.parameters():
                        p.data[...] = rng.standard_normal(p.data.shape)
                    x = ct.away_from(rng, (n, 4), margin=1e-3)
                    ct.assert_module_matches(
                        student, reference, x, rng.standard_normal((n, 2)),
                        name=f"Sequential(Linear, ReLU, Linear, Tanh, Linear, Sigmoid), N = {n}",
                        hint_dx="backward: for layer in reversed(self.layers): g = layer.backward(g)",
                    )
                    ps = student.parameters()
                    layers = [student.layers[i] for i in (0, 2, 4)]
                    expected = [p for layer in layers for p in (layer.weight, layer.bias)]
                    if len(ps) != 6 or any(a is not b for a, b in zip(ps, expected)):
                        raise AssertionError("Sequential.parameters() must list each layer's "
                                             "weight and bias, in order")
                inner = Sequential(Linear(3, 3, rng=0), LeakyReLU(0.1))
                student = Sequential(inner, Linear(3, 2, rng=1))
                reference = ref.Sequential(
                    ref.Sequential(ref.Linear(3, 3, rng=rng), ref_act.LeakyReLU(0.1)),
                    ref.Linear(3, 2, rng=rng),
                )
                ct.assert_module_matches(
                    student, reference, ct.away_from(rng, (5, 3), margin=1e-3),
                    rng.standard_normal((5, 2)), name="a Sequential inside a Sequential",
                )
                single = Sequential(Tanh())
                x = rng.standard_normal((2, 3))
                ct.assert_module_matches(single, ref.Sequential(ref_act.Tanh()), x,
                                         rng.standard_normal((2, 3)), name="Sequential(Tanh())")


            _hidden_test()
            del _hidden_test
            """,
            id="hidden_sequential",
            points=4,
            visible="# Sequential: a deep stack against the reference, nested Sequentials, N = 1.",
        ),
        markdown(
            r"""
            ## 4. Try it

            Your modules compose like PyTorch's. The cell below builds a small network from them
            and checks all of its gradients numerically at once (central differences,
            $\frac{f(x + \varepsilon) - f(x - \varepsilon)}{2\varepsilon}$). Relative errors
            around $10^{-9}$ or smaller mean your backward passes are right.
            """,
            id="md-try",
        ),
        readonly(
            """
            def make_net():
                return Sequential(
                    Linear(2, 8, rng=0), LeakyReLU(0.1), Linear(8, 8, rng=1), Tanh(),
                    Linear(8, 3, rng=2), Sigmoid(),
                )


            errors = check_gradients(make_net, np.random.default_rng(1).standard_normal((4, 2)))
            for name, err in errors.items():
                print(f"{name:>10}: {err:.2e}")
            """,
            id="try-it",
        ),
    ]
    return notebook(cells)
