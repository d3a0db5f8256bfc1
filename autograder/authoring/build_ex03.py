"""Source notebook of exercise 3: an MLP, backprop, a gradient check and training.

Run ``python -m autograder.authoring ex03_backprop`` to rewrite ``solutions/ex03_backprop``.
"""

# Cell sources are embedded as the notebook shows them (markdown tables, test code).
# ruff: noqa: E501

from __future__ import annotations

from nbformat.notebooknode import NotebookNode

from .cells import hidden, markdown, notebook, readonly, solution, tests

EXERCISE = "ex03_backprop"


def build() -> NotebookNode:
    """Return the nbgrader source notebook of exercise 3 (about 20 points)."""
    cells = [
        markdown(
            r"""
            # Exercise 3: backpropagation through a network, checked and trained

            Backpropagation is the chain rule applied module by module, in reverse order. Here
            you assemble a multilayer perceptron from your own modules, back-propagate through
            it, **check** the gradients numerically, write the training loop, and train the
            network on XOR (which no linear model can solve) and on the two-moons data set.

            1. `MLP`: forward and backward through two hidden ReLU layers (5 points),
            2. `numerical_gradient`: central differences (3 points),
            3. `gradient_check`: backprop against numerical gradients (4 points),
            4. `train`: mini-batch stochastic gradient descent (3 points),
            5. XOR to 100% accuracy (2 points) and moons to at least 95% held-out accuracy
               (3 points).

            Grading works as in the earlier exercises: public tests here, stricter hidden tests
            at grading (random shapes, a batch of one, tolerance about $10^{-7}$, gradients
            accumulated, inputs not modified). Write your own `Linear`, `ReLU` and MLP: importing
            them (or `course_lib.modules`, `course_lib.activations`, or `numerical_gradient` /
            `check_module` from `course_lib.gradcheck`, or `course_lib.train.fit`) earns no
            points. The cross-entropy loss, the data sets and `rel_error` are given.
            """,
            id="intro",
        ),
        readonly(
            """
            import matplotlib.pyplot as plt
            import numpy as np

            from course_lib.data import moons, train_test_split, xor
            from course_lib.gradcheck import rel_error
            from course_lib.losses import CrossEntropyLoss
            from course_lib.modules import Module, Parameter
            from course_lib.plotting import plot_decision_boundary
            from course_lib.testing import assert_close, assert_not_mutated, assert_shape
            """,
            id="setup",
        ),
        markdown(
            r"""
            ## 0. Your modules

            Bring your `Linear` and `ReLU` from exercise 1 (the same contract: `forward` caches,
            `backward` returns $\partial L/\partial x$ and **adds** into `p.grad`). Reminder:
            $Y = XW^\top + b$, $\;\partial L/\partial W = G^\top X$,
            $\;\partial L/\partial b = \sum_n G_n$, $\;\partial L/\partial X = G W$, and
            $\mathrm{ReLU}'(x) = [x > 0]$.
            """,
            id="md-modules",
        ),
        solution(
            '''
            class Linear(Module):
                """y = x @ W.T + b; weight (out_features, in_features), bias (out_features,)."""

                def __init__(self, in_features, out_features, *, rng=None):
                    rng = np.random.default_rng(rng)
                    std = np.sqrt(2.0 / in_features)
                    self.weight = Parameter(
                        rng.normal(0.0, std, size=(out_features, in_features)), name="weight"
                    )
                    self.bias = Parameter(np.zeros(out_features), name="bias")
                    self._x = None

                def forward(self, x):
                    ### BEGIN SOLUTION
                    self._x = x
                    return x @ self.weight.data.T + self.bias.data
                    ### END SOLUTION

                def backward(self, grad_output):
                    ### BEGIN SOLUTION
                    self.weight.grad += grad_output.T @ self._x
                    self.bias.grad += grad_output.sum(axis=0)
                    return grad_output @ self.weight.data
                    ### END SOLUTION


            class ReLU(Module):
                """max(0, x) elementwise, ReLU'(0) = 0."""

                def forward(self, x):
                    ### BEGIN SOLUTION
                    self._mask = x > 0
                    return np.where(self._mask, x, 0.0)
                    ### END SOLUTION

                def backward(self, grad_output):
                    ### BEGIN SOLUTION
                    return grad_output * self._mask
                    ### END SOLUTION
            ''',
            id="modules",
        ),
        markdown(
            r"""
            ## 1. The MLP and its backward pass

            The network has two hidden ReLU layers and outputs logits:

            $$Z_1 = X W_1^\top + b_1,\quad H_1 = \mathrm{ReLU}(Z_1),\quad
            Z_2 = H_1 W_2^\top + b_2,\quad H_2 = \mathrm{ReLU}(Z_2),\quad
            S = H_2 W_3^\top + b_3 .$$

            Backpropagation starts from $G_S = \partial L / \partial S$ and walks back:

            $$\frac{\partial L}{\partial H_2} = G_S W_3,\quad
            \frac{\partial L}{\partial Z_2} = \frac{\partial L}{\partial H_2} \odot [Z_2 > 0],\quad
            \frac{\partial L}{\partial H_1} = \frac{\partial L}{\partial Z_2} W_2,\quad
            \frac{\partial L}{\partial Z_1} = \frac{\partial L}{\partial H_1} \odot [Z_1 > 0],
            \quad \frac{\partial L}{\partial X} = \frac{\partial L}{\partial Z_1} W_1,$$

            with each weight gradient $\partial L/\partial W_\ell = (\partial L/\partial
            Z_\ell)^\top H_{\ell-1}$ along the way. Each ReLU gates the gradient with **its own**
            mask: the mask of layer 2 comes from $Z_2$, not from $Z_1$. With your modules every
            line above is one `backward` call, in the reverse order of `forward`.
            """,
            id="md-mlp",
        ),
        solution(
            '''
            class MLP(Module):
                """Linear -> ReLU -> Linear -> ReLU -> Linear: (N, in_features) -> logits (N, out)."""

                def __init__(self, in_features, hidden1, hidden2, out_features, *, rng=None):
                    rng = np.random.default_rng(rng)
                    self.fc1 = Linear(in_features, hidden1, rng=rng)
                    self.act1 = ReLU()
                    self.fc2 = Linear(hidden1, hidden2, rng=rng)
                    self.act2 = ReLU()
                    self.fc3 = Linear(hidden2, out_features, rng=rng)

                def forward(self, x):
                    """x: (N, in_features) -> logits (N, out_features)."""
                    ### BEGIN SOLUTION
                    h = self.act1.forward(self.fc1.forward(x))
                    h = self.act2.forward(self.fc2.forward(h))
                    return self.fc3.forward(h)
                    ### END SOLUTION

                def backward(self, grad_output):
                    """grad_output: (N, out_features) -> dL/dx (N, in_features); fills p.grad."""
                    ### BEGIN SOLUTION
                    g = self.fc3.backward(grad_output)
                    g = self.act2.backward(g)
                    g = self.fc2.backward(g)
                    g = self.act1.backward(g)
                    return self.fc1.backward(g)
                    ### END SOLUTION
            ''',
            id="mlp",
        ),
        tests(
            """
            net = MLP(3, 5, 4, 2, rng=0)
            names = [name for name, _ in net.named_parameters()]
            assert names == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"], names
            x = np.random.default_rng(1).standard_normal((6, 3))
            with assert_not_mutated(x=x):
                logits = net.forward(x)
            assert_shape(logits, (6, 2), name="MLP(3, 5, 4, 2).forward(x)")
            manual = net.fc3.forward(np.maximum(net.fc2.forward(np.maximum(net.fc1.forward(x), 0)), 0))
            assert_close(logits, manual, name="MLP.forward(x)",
                         hint="fc1 -> act1 -> fc2 -> act2 -> fc3, each fed the previous output")
            g = np.random.default_rng(2).standard_normal((6, 2))
            net.forward(x)
            dx = net.backward(g)
            assert_shape(dx, (6, 3), name="MLP.backward(g)",
                         hint="return the gradient with respect to the network's input x")
            assert_shape(net.fc1.weight.grad, (5, 3), name="fc1.weight.grad")
            print("MLP: public tests passed (the gradient check below tests the values)")
            """,
            id="test_mlp",
            points=1,
        ),
        hidden(
            """
            def _hidden_test():
                import numpy as np

                import course_lib.activations as ref_act
                import course_lib.modules as ref
                from course_lib import testing as ct

                ct.assert_own_implementation(Linear, name="Linear", reference=ref.Linear)
                ct.assert_own_implementation(ReLU, name="ReLU", reference=ref_act.ReLU)
                ct.assert_own_implementation(MLP, name="MLP", reference=ref.Sequential)
                rng = np.random.default_rng(31)
                for n, d, h1, h2, c in [(1, 2, 4, 4, 2), (8, 3, 5, 5, 3), (6, 2, 7, 4, 2), (16, 5, 6, 6, 4)]:
                    reference = ref.Sequential(
                        ref.Linear(d, h1, rng=rng), ref_act.ReLU(), ref.Linear(h1, h2, rng=rng),
                        ref_act.ReLU(), ref.Linear(h2, c, rng=rng),
                    )
                    for p in reference.parameters():
                        p.data[...] = rng.standard_normal(p.data.shape)
                    x = rng.standard_normal((n, d))
                    ct.assert_module_matches(
                        MLP(d, h1, h2, c, rng=0), reference, x, rng.standard_normal((n, c)),
                        name=f"MLP({d}, {h1}, {h2}, {c}) with N = {n}",
                        hint_dx="call the modules' backward in the reverse order of forward; "
                        "each ReLU uses its own mask",
                    )


            _hidden_test()
            del _hidden_test
            """,
            id="hidden_mlp",
            points=4,
            visible="# MLP: forward, dL/dx and all six parameter gradients against the reference.",
        ),
        markdown(
            r"""
            ## 2. Numerical gradients

            For a scalar function $f$ of an array $x$, the central difference

            $$\frac{\partial f}{\partial x_i} \approx
            \frac{f(x + \varepsilon e_i) - f(x - \varepsilon e_i)}{2 \varepsilon}$$

            has error $O(\varepsilon^2)$ (the one-sided $(f(x + \varepsilon e_i) - f(x)) /
            \varepsilon$ only $O(\varepsilon)$). Write `numerical_gradient(f, x, eps)`: perturb one
            entry of `x` at a time (any shape; `x.flat` or `np.ndindex` help), and leave `x`
            exactly as you found it. It calls `f` $2 \times$ `x.size` times, which is why nobody
            trains with it, but it is the perfect referee for backprop.
            """,
            id="md-numgrad",
        ),
        solution(
            '''
            def numerical_gradient(f, x, eps=1e-6):
                """Central-difference gradient of the scalar function f at x (float64, any shape).

                Returns an array shaped like x. x may be modified during the call but must be
                restored before returning.
                """
                ### BEGIN SOLUTION
                grad = np.zeros_like(x)
                for idx in np.ndindex(x.shape):
                    old = x[idx]
                    x[idx] = old + eps
                    f_plus = f(x)
                    x[idx] = old - eps
                    f_minus = f(x)
                    x[idx] = old
                    grad[idx] = (f_plus - f_minus) / (2 * eps)
                return grad
                ### END SOLUTION
            ''',
            id="numerical_gradient",
        ),
        tests(
            """
            x = np.array([[1.0, -2.0], [0.5, 3.0]])
            before = x.copy()
            grad = numerical_gradient(lambda v: float(np.sum(v**3)), x)
            assert_close(x, before, name="x after numerical_gradient",
                         hint="restore every entry you perturbed: x[i] = old")
            assert_close(grad, 3 * before**2, name="numerical gradient of sum(x**3)", max_rel_error=1e-7,
                         atol=1e-8,
                         hint="(f(x + eps e_i) - f(x - eps e_i)) / (2 eps), one entry at a time")
            print("numerical_gradient: public tests passed")
            """,
            id="test_numerical_gradient",
            points=1,
        ),
        hidden(
            """
            def _hidden_test():
                import numpy as np

                from course_lib import testing as ct

                rng = np.random.default_rng(32)
                for shape in [(1,), (1, 1), (3, 4), (2, 3, 2)]:
                    x = rng.uniform(-1.0, 1.0, size=shape)
                    before = x.copy()
                    grad = numerical_gradient(lambda v: float(np.sum(np.exp(v) * np.sin(v))), x)
                    ct.assert_close(x, before, name=f"x of shape {shape} after numerical_gradient",
                                    hint="put every perturbed entry back")
                    exact = np.exp(before) * (np.sin(before) + np.cos(before))
                    ct.assert_close(grad, exact, name=f"numerical gradient, shape {shape}",
                                    max_rel_error=1e-7, atol=1e-8, dtype=np.float64,
                                    hint="use the CENTRAL difference (f(x+eps) - f(x-eps)) / (2 eps)")
                x = rng.standard_normal(5)
                grad = numerical_gradient(lambda v: float(v @ v), x, eps=1e-4)
                grad_big = numerical_gradient(lambda v: float(np.sum(v**3)), x, eps=1e-2)
                ct.assert_close(grad, 2 * x, name="numerical gradient of |x|^2 with eps=1e-4",
                                max_rel_error=1e-9, atol=1e-9)
                ct.assert_close(grad_big, 3 * x**2 + 1e-4, name="numerical gradient of sum(x**3), eps=1e-2",
                                max_rel_error=1e-9, atol=1e-9,
                                hint="use the eps argument: the central difference of x**3 is 3x^2 + eps^2")


            _hidden_test()
            del _hidden_test
            """,
            id="hidden_numerical_gradient",
            points=2,
        ),
        markdown(
            r"""
            ## 3. The gradient check

            `gradient_check(model, loss, X, y)` compares, for every parameter $p$ of any model
            that follows the module contract, the backprop gradient with the numerical one of
            $L(p) = \texttt{loss.forward(model.forward(X), y)}$:

            1. reset the gradients (`model.zero_grad()`: they may hold something already), run
               forward, loss, `loss.backward()` and `model.backward(...)`, and copy each
               `p.grad`;
            2. compute `numerical_gradient` with respect to `p.data` (perturbing it in place
               changes the model: exactly what we want);
            3. return `{name: rel_error(analytic, numeric)}` over `model.named_parameters()`.

            A correct backward gives errors around $10^{-7}$ or smaller; a bug gives something
            near $1$. One caveat: a ReLU input sitting exactly at its kink $0$ (for instance a zero
            bias behind an all-zero hidden layer) makes the *numerical* gradient meaningless there,
            so the check below uses random biases.
            """,
            id="md-gradcheck",
        ),
        solution(
            '''
            def gradient_check(model, loss, X, y, eps=1e-6):
                """{parameter name: relative error of backprop vs central differences}."""
                ### BEGIN SOLUTION
                model.zero_grad()
                loss.forward(model.forward(X), y)
                model.backward(loss.backward())
                analytic = {name: p.grad.copy() for name, p in model.named_parameters()}

                def loss_at(_):
                    return loss.forward(model.forward(X), y)

                errors = {}
                for name, p in model.named_parameters():
                    numeric = numerical_gradient(loss_at, p.data, eps)
                    errors[name] = rel_error(analytic[name], numeric)
                return errors
                ### END SOLUTION
            ''',
            id="gradient_check",
        ),
        tests(
            """
            rng = np.random.default_rng(3)
            X_check = rng.standard_normal((5, 3))
            y_check = rng.integers(0, 2, 5)
            net = MLP(3, 4, 4, 2, rng=1)
            for p in net.parameters():  # random biases too: no pre-activation sits exactly at a kink
                p.data[...] = rng.standard_normal(p.data.shape)
            errors = gradient_check(net, CrossEntropyLoss(), X_check, y_check)
            for name, err in errors.items():
                print(f"{name:>12}: {err:.2e}")
            assert sorted(errors) == sorted(n for n, _ in MLP(3, 4, 4, 2).named_parameters()), (
                "gradient_check must return one entry per named parameter")
            assert max(errors.values()) < 1e-6, "a relative error above 1e-6: check MLP.backward"
            print("gradient_check: public tests passed")
            """,
            id="test_gradient_check",
            points=1,
        ),
        hidden(
            """
            def _hidden_test():
                import numpy as np

                import course_lib.activations as ref_act
                import course_lib.losses as ref_loss
                import course_lib.modules as ref
                from course_lib import testing as ct

                class LeakyBias(ref.Linear):
                    # A deliberately wrong layer: its bias gradient is 1.5 times too large.
                    def backward(self, grad_output, input_grad=True):
                        dx = super().backward(grad_output)
                        self.bias.grad += 0.5 * grad_output.sum(axis=0)
                        return dx

                rng = np.random.default_rng(33)
                X = rng.standard_normal((6, 3))
                y = rng.integers(0, 3, 6)

                def model(last=ref.Linear):
                    m = ref.Sequential(ref.Linear(3, 4, rng=rng), ref_act.Tanh(), last(4, 3, rng=rng))
                    for p in m.parameters():
                        p.data[...] = rng.standard_normal(p.data.shape)
                    return m

                good = model()
                for p in good.parameters():  # stale gradients from an earlier step
                    p.grad[...] = rng.standard_normal(p.grad.shape)
                before = [p.data.copy() for p in good.parameters()]
                errors = gradient_check(good, ref_loss.CrossEntropyLoss(), X, y)
                if type(errors) is not dict or sorted(errors) != sorted(n for n, _ in good.named_parameters()):
                    raise AssertionError("gradient_check must return {parameter name: error} for every "
                                         "named parameter")
                for name in errors:
                    err = ct.as_number(errors[name], name=f"errors[{name!r}]")
                    if not err < 1e-6:
                        raise AssertionError(
                            f"gradient_check reports {err:.2e} for {name} of a CORRECT model (expected "
                            "below 1e-6): reset the gradients (model.zero_grad()) before the backward "
                            "pass, and use central differences that restore the parameters")
                for p, old in zip(good.parameters(), before):
                    ct.assert_close(p.data, old, name="parameters after gradient_check",
                                    hint="numerical_gradient must restore what it perturbs")
                bad = model(LeakyBias)
                errors = gradient_check(bad, ref_loss.CrossEntropyLoss(), X, y)
                if type(errors) is not dict:
                    raise AssertionError(f"gradient_check must return a dict, got {type(errors).__name__}")
                err_bias = ct.as_number(errors.get("2.bias"), name="errors['2.bias']")
                err_weight = ct.as_number(errors.get("2.weight"), name="errors['2.weight']")
                if not err_bias > 1e-2:
                    raise AssertionError(f"a bias gradient 1.5x too large must be detected, got {err_bias:.2e}")
                if not err_weight < 1e-6:
                    raise AssertionError(f"2.weight is correct in the broken model, got {err_weight:.2e}")


            _hidden_test()
            del _hidden_test
            """,
            id="hidden_gradient_check",
            points=3,
            visible="# gradient_check on other models: stale gradients, a deliberately broken layer.",
        ),
        markdown(
            r"""
            ## 4. Training: stochastic gradient descent

            One **epoch** is one pass over the shuffled training set in mini-batches of
            `batch_size` rows (`None`: the whole set, i.e. full-batch gradient descent). For each
            mini-batch $B$:

            1. `model.zero_grad()`,
            2. forward, loss, `loss.backward()`, `model.backward(...)`,
            3. update every parameter in place: $p \leftarrow p - \eta\, \partial L_B/\partial p$.

            Return the history: for each epoch, the mean of the mini-batch losses weighted by
            their sizes (each computed before its update). Shuffle with
            `np.random.default_rng(rng).permutation(N)`.
            """,
            id="md-train",
        ),
        solution(
            '''
            def train(model, loss, X, y, *, epochs, lr, batch_size=None, rng=None):
                """Mini-batch SGD. X: (N, D), y: (N,). Returns a list of `epochs` mean losses."""
                ### BEGIN SOLUTION
                rng = np.random.default_rng(rng)
                n = X.shape[0]
                size = n if batch_size is None else batch_size
                history = []
                for _ in range(epochs):
                    order = rng.permutation(n)
                    total = 0.0
                    for start in range(0, n, size):
                        idx = order[start : start + size]
                        model.zero_grad()
                        value = loss.forward(model.forward(X[idx]), y[idx])
                        model.backward(loss.backward())
                        for p in model.parameters():
                            p.data -= lr * p.grad
                        total += value * len(idx)
                    history.append(total / n)
                return history
                ### END SOLUTION
            ''',
            id="train",
        ),
        tests(
            """
            X_xor, y_xor = xor()
            net = MLP(2, 4, 4, 2, rng=0)
            start = CrossEntropyLoss().forward(net.forward(X_xor), y_xor)
            history = train(net, CrossEntropyLoss(), X_xor, y_xor, epochs=20, lr=0.1)
            assert len(history) == 20, f"train must return one loss per epoch, got {len(history)}"
            assert abs(history[0] - start) < 1e-9, (
                f"history[0] should be the loss before the first update ({start:.6f}), got {history[0]}")
            assert history[-1] < history[0], "the loss did not go down: check the sign of the update"
            print("train: public tests passed")
            """,
            id="test_train",
            points=1,
        ),
        hidden(
            """
            def _hidden_test():
                import copy

                import numpy as np

                import course_lib.activations as ref_act
                import course_lib.losses as ref_loss
                import course_lib.modules as ref
                from course_lib import testing as ct

                rng = np.random.default_rng(34)
                X = rng.standard_normal((10, 3))
                y = rng.integers(0, 3, 10)
                model = ref.Sequential(ref.Linear(3, 6, rng=rng), ref_act.Tanh(), ref.Linear(6, 3, rng=rng))
                expected = copy.deepcopy(model)
                ce = ref_loss.CrossEntropyLoss()
                losses = []
                for _ in range(4):
                    expected.zero_grad()
                    losses.append(ce.forward(expected.forward(X), y))
                    expected.backward(ce.backward())
                    for p in expected.parameters():
                        p.data -= 0.3 * p.grad
                with ct.assert_not_mutated(X=X, y=y):
                    history = train(model, ref_loss.CrossEntropyLoss(), X, y, epochs=4, lr=0.3, rng=5)
                if type(history) is not list or len(history) != 4:
                    raise AssertionError(f"train must return a list of 4 losses for 4 epochs, got {history!r:.80}")
                ct.assert_close(np.array([ct.as_number(v, name="a history entry") for v in history]),
                                losses, name="the history of full-batch training")
                for (name, p), q in zip(model.named_parameters(), expected.parameters()):
                    ct.assert_close(p.data, q.data, name=f"{name} after 4 full-batch SGD steps",
                                    hint="zero_grad before each backward, then p.data -= lr * p.grad")
                X = rng.standard_normal((7, 3))
                y = rng.integers(0, 3, 7)
                model = ref.Sequential(ref.Linear(3, 3, rng=rng))
                calls = []
                forward = model.forward
                model.forward = lambda x: calls.append(x.shape[0]) or forward(x)
                train(model, ref_loss.CrossEntropyLoss(), X, y, epochs=2, lr=0.1, batch_size=3, rng=0)
                if sorted(calls) != [1, 1, 3, 3, 3, 3]:
                    raise AssertionError(f"mini-batches of 3 out of 7 rows for 2 epochs should have sizes "
                                         f"[3, 3, 1] twice, got {calls}")


            _hidden_test()
            del _hidden_test
            """,
            id="hidden_train",
            points=2,
            visible="# train: exact full-batch SGD steps against the reference, mini-batch sizes.",
        ),
        markdown(
            r"""
            ## 5. XOR

            XOR is the lecture's example of a problem a linear model cannot solve but one hidden
            layer can: the network learns features in which the classes become linearly
            separable. Create `xor_model = MLP(2, 8, 8, 2, rng=0)` and train it with your `train`
            and `CrossEntropyLoss()` on the four XOR points (full batch; try `lr=0.5` for 300
            epochs) until it classifies all four correctly.
            """,
            id="md-xor",
        ),
        solution(
            """
            X_xor, y_xor = xor()
            ### BEGIN SOLUTION
            xor_model = MLP(2, 8, 8, 2, rng=0)
            xor_history = train(xor_model, CrossEntropyLoss(), X_xor, y_xor, epochs=300, lr=0.5)
            ### END SOLUTION
            print("predictions:", xor_model.forward(X_xor).argmax(axis=1), "labels:", y_xor)
            """,
            id="xor",
        ),
        tests(
            """
            predictions = xor_model.forward(X_xor).argmax(axis=1)
            assert (predictions == y_xor).all(), f"XOR predictions {predictions}, labels {y_xor}: train longer"
            print("XOR: public tests passed")
            """,
            id="test_xor",
            points=1,
        ),
        hidden(
            """
            def _hidden_test():
                import numpy as np

                from course_lib import testing as ct
                from course_lib.data import xor as make_xor

                if type(xor_model) is not MLP:
                    raise AssertionError(f"xor_model must be an MLP, got {type(xor_model).__name__}")
                X, y = make_xor()
                logits = ct.assert_array(xor_model.forward(X.copy()), name="xor_model.forward(X)")
                ct.assert_shape(logits, (4, 2), name="xor_model.forward(X)")
                correct = int(np.sum(np.argmax(logits, axis=1) == y))
                if correct != 4:
                    raise AssertionError(f"xor_model classifies {correct} of the 4 XOR points correctly")


            _hidden_test()
            del _hidden_test
            """,
            id="hidden_xor",
            points=1,
        ),
        markdown(
            r"""
            ## 6. Two moons, held-out accuracy

            The data below are split into a training set and a held-out test set. Train
            `moons_model = MLP(2, 32, 32, 2, rng=1)` on the training set only (for example
            80 epochs of mini-batches of 32 with `lr=0.1` and `rng=0`); it should reach at least
            95% accuracy on the test set. At grading the model is also evaluated on fresh points
            from the same distribution.
            """,
            id="md-moons",
        ),
        readonly(
            """
            X_moons, y_moons = moons(n=400, noise=0.15, rng=0)
            X_train, X_test, y_train, y_test = train_test_split(X_moons, y_moons, test_fraction=0.25, rng=1)
            print("train", X_train.shape, "test", X_test.shape)
            """,
            id="moons-data",
        ),
        solution(
            """
            ### BEGIN SOLUTION
            moons_model = MLP(2, 32, 32, 2, rng=1)
            moons_history = train(
                moons_model, CrossEntropyLoss(), X_train, y_train, epochs=80, lr=0.1, batch_size=32, rng=0
            )
            ### END SOLUTION
            test_accuracy = float(np.mean(moons_model.forward(X_test).argmax(axis=1) == y_test))
            print(f"held-out accuracy: {test_accuracy:.3f}")
            """,
            id="moons",
        ),
        readonly(
            """
            fig, (ax_loss, ax_boundary) = plt.subplots(1, 2, figsize=(10, 4))
            ax_loss.plot(moons_history)
            ax_loss.set_xlabel("epoch")
            ax_loss.set_ylabel("training loss")
            plot_decision_boundary(moons_model, X_test, y_test, ax=ax_boundary,
                                   title=f"held-out accuracy {test_accuracy:.1%}")
            plt.show()
            """,
            id="moons-plot",
        ),
        tests(
            """
            assert test_accuracy >= 0.95, f"held-out accuracy {test_accuracy:.3f} < 0.95"
            print("moons: public tests passed")
            """,
            id="test_moons",
            points=1,
        ),
        hidden(
            """
            def _hidden_test():
                import numpy as np

                from course_lib import testing as ct
                from course_lib.data import moons as make_moons

                if type(moons_model) is not MLP:
                    raise AssertionError(f"moons_model must be an MLP, got {type(moons_model).__name__}")
                X, y = make_moons(n=2000, noise=0.15, rng=2024)
                logits = ct.assert_array(moons_model.forward(X.copy()), name="moons_model.forward(X)")
                ct.assert_shape(logits, (2000, 2), name="moons_model.forward(X)")
                acc = float(np.mean(np.argmax(logits, axis=1) == y))
                if not acc >= 0.95:
                    raise AssertionError(f"accuracy on 2000 fresh moons points is {acc:.3f}, below 0.95")


            _hidden_test()
            del _hidden_test
            """,
            id="hidden_moons",
            points=2,
        ),
    ]
    return notebook(cells)
