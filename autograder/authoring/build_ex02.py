"""Source notebook of exercise 2: softmax, cross-entropy, MSE, Huber, KL and an outlier test.

Run ``python -m autograder.authoring ex02_losses`` to rewrite ``solutions/ex02_losses``.
"""

# Cell sources are embedded as the notebook shows them (markdown tables, test code).
# ruff: noqa: E501

from __future__ import annotations

import math

from nbformat.notebooknode import NotebookNode

from .cells import hidden, markdown, notebook, readonly, solution, tests

EXERCISE = "ex02_losses"


def _softmax(row: list[float]) -> list[float]:
    m = max(row)
    e = [math.exp(v - m) for v in row]
    s = sum(e)
    return [v / s for v in e]


def _r(v: float) -> str:
    return repr(float(v))


def build() -> NotebookNode:
    """Return the nbgrader source notebook of exercise 2 (about 24 points)."""
    z = [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]
    sm = [_softmax(r) for r in z]
    labels = [2, 0]
    ce = -sum(math.log(sm[i][labels[i]]) for i in range(2)) / 2
    ce_grad = [
        [(sm[i][c] - (1.0 if c == labels[i] else 0.0)) / 2 for c in range(3)] for i in range(2)
    ]
    kl_t = [[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]]
    kl = (
        sum(
            kl_t[i][c] * (math.log(kl_t[i][c]) - math.log(sm[i][c]))
            for i in range(2)
            for c in range(3)
            if kl_t[i][c] > 0
        )
        / 2
    )
    kl_grad = [[(sm[i][c] - kl_t[i][c]) / 2 for c in range(3)] for i in range(2)]

    def mat(rows: list[list[float]]) -> str:
        return "[" + ", ".join("[" + ", ".join(_r(v) for v in r) + "]" for r in rows) + "]"

    cells = [
        markdown(
            r"""
            # Exercise 2: cost functions

            A cost function turns the network's output and the target into one number to
            minimise, and its gradient is where backpropagation starts. In this exercise you
            implement, with numpy only:

            1. a numerically stable `softmax` (3 points),
            2. `CrossEntropyLoss` on logits, forward and backward (7 points),
            3. `MSELoss`, the Euclidean loss (3 points),
            4. `HuberLoss`, robust to outliers (4 points),
            5. `KLDivLoss` (4 points),
            6. a small experiment: fitting a line through data with outliers (3 points).

            ### The loss contract

            `loss.forward(prediction, target)` returns the loss as a Python `float` and caches
            what the gradient needs; `loss.backward()` (no argument) returns
            $\partial L / \partial \text{prediction}$ for the last `forward`, with the
            prediction's shape. Every loss **averages**: over the batch, or over all elements
            for the regression losses, like PyTorch's defaults. Never modify the inputs.

            ### How you are graded

            Public tests run here; hidden tests at grading add random shapes including a batch of
            one, float64 results within a relative error of about $10^{-7}$, inputs left
            unmodified, and **extreme logits** such as $\pm 10^4$, where a naive `np.exp`
            overflows. Your code must be your own: do not import losses or softmax from
            `course_lib` (`course_lib.losses`, `course_lib.activations`), which are the reference
            the graders compare you with.
            """,
            id="intro",
        ),
        readonly(
            """
            import matplotlib.pyplot as plt
            import numpy as np

            from course_lib.data import regression_with_outliers
            from course_lib.testing import assert_close, assert_not_mutated, assert_scalar_close
            """,
            id="setup",
        ),
        markdown(
            r"""
            ## 1. A stable softmax

            For logits $z \in \mathbb{R}^{C}$ (one row of a batch `(N, C)`),

            $$\mathrm{softmax}(z)_c = \frac{e^{z_c}}{\sum_{k} e^{z_k}}
            = \frac{e^{z_c - m}}{\sum_{k} e^{z_k - m}}, \qquad m = \max_k z_k .$$

            Both forms are equal (multiply top and bottom by $e^{-m}$), but only the second is
            safe: $e^{1000}$ overflows to `inf` in float64 and `inf / inf` is `nan`, while after
            the shift every exponent is $\le 0$ and the largest term is exactly $1$.
            Write `softmax(z)` for a batch `z` of shape `(N, C)`, normalising each **row**.
            """,
            id="md-softmax",
        ),
        solution(
            '''
            def softmax(z):
                """Row-wise softmax. z: (N, C) logits -> (N, C) probabilities, rows sum to 1."""
                ### BEGIN SOLUTION
                shifted = z - z.max(axis=1, keepdims=True)
                e = np.exp(shifted)
                return e / e.sum(axis=1, keepdims=True)
                ### END SOLUTION
            ''',
            id="softmax",
        ),
        tests(
            f"""
            z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
            with assert_not_mutated(z=z):
                p = softmax(z)
            assert_close(p, {mat(sm)}, name="softmax(z)",
                         hint="normalise each row: divide by the sum over axis=1 (keepdims=True)")
            big = np.array([[1000.0, 0.0, -1000.0]])
            assert_close(softmax(big), [[1.0, 0.0, 0.0]], name="softmax([[1000, 0, -1000]])",
                         hint="subtract the row maximum before np.exp to avoid overflow")
            print("softmax: public tests passed")
            """,
            id="test_softmax",
            points=1,
        ),
        hidden(
            """
            def _hidden_test():
                import numpy as np

                from course_lib import testing as ct
                from course_lib.activations import Softmax

                rng = np.random.default_rng(21)
                cases = [rng.standard_normal((1, 1)), rng.standard_normal((1, 5)),
                         3 * rng.standard_normal((7, 4)), rng.standard_normal((20, 10)),
                         np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [5e3, 5e3 + 1.0, -2.0]])]
                for z in cases:
                    with ct.assert_not_mutated(z=z):
                        p = softmax(z)
                    ct.assert_close(p, Softmax().forward(z.copy()), name=f"softmax of shape {z.shape}",
                                    dtype=np.float64,
                                    hint="shift each row by its maximum, exponentiate, normalise rows")
                z = rng.standard_normal((4, 6))
                ct.assert_close(softmax(z + 1e3), Softmax().forward(z),
                                name="softmax(z + 1000) (must equal softmax(z))")


            _hidden_test()
            del _hidden_test
            """,
            id="hidden_softmax",
            points=2,
            visible="# softmax: random shapes, N = 1, logits of +-1e4 (no overflow), input unchanged.",
        ),
        markdown(
            r"""
            ## 2. Cross-entropy on logits

            A classifier outputs logits $z_n \in \mathbb{R}^C$; the model's probability of
            class $c$ is $\mathrm{softmax}(z_n)_c$. Maximum likelihood of the labels $y_n$ means
            minimising the mean negative log-likelihood, the **cross-entropy**

            $$L = -\frac{1}{N} \sum_{n=1}^{N} \log \mathrm{softmax}(z_n)_{y_n},
            \qquad \log \mathrm{softmax}(z)_c = z_c - m - \log \sum_k e^{z_k - m}.$$

            Compute it from the **logits** with the log-sum-exp form on the right: taking
            `np.log(softmax(z))` fails when a probability underflows to 0 (then $\log 0 = -\infty$).
            The gradient is remarkably simple:

            $$\frac{\partial L}{\partial z_{nc}} = \frac{1}{N}\Big(\mathrm{softmax}(z_n)_c
            - [c = y_n]\Big), \qquad \text{i.e.}\quad
            \frac{\partial L}{\partial Z} = \frac{P - \mathrm{onehot}(y)}{N}.$$

            `forward(logits, labels)` takes logits `(N, C)` and integer labels `(N,)`.
            """,
            id="md-ce",
        ),
        solution(
            '''
            class CrossEntropyLoss:
                """Mean cross-entropy of integer labels (N,) under softmax(logits (N, C))."""

                def __call__(self, logits, labels):
                    return self.forward(logits, labels)

                def forward(self, logits, labels):
                    """Return the loss (a float); cache what backward needs."""
                    ### BEGIN SOLUTION
                    n = logits.shape[0]
                    shifted = logits - logits.max(axis=1, keepdims=True)
                    log_sum = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
                    log_probs = shifted - log_sum
                    rows = np.arange(n)
                    self._probs = np.exp(log_probs)
                    self._labels = labels
                    return float(-log_probs[rows, labels].mean())
                    ### END SOLUTION

                def backward(self):
                    """Return dL/dlogits, shape (N, C)."""
                    ### BEGIN SOLUTION
                    n = self._probs.shape[0]
                    grad = self._probs.copy()
                    grad[np.arange(n), self._labels] -= 1.0
                    return grad / n
                    ### END SOLUTION
            ''',
            id="cross_entropy",
        ),
        tests(
            f"""
            logits = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
            labels = np.array([2, 0])
            ce = CrossEntropyLoss()
            with assert_not_mutated(logits=logits, labels=labels):
                value = ce.forward(logits, labels)
                grad = ce.backward()
            assert_scalar_close(value, {_r(ce)}, name="CrossEntropyLoss.forward",
                                hint="mean over the batch of -log softmax(z_n)[y_n]")
            assert_close(grad, {mat(ce_grad)}, name="CrossEntropyLoss.backward()",
                         hint="(softmax(z) - onehot(y)) / N: subtract 1 at the label, divide by N")
            extreme = CrossEntropyLoss().forward(np.array([[1e4, -1e4]]), np.array([1]))
            assert_scalar_close(extreme, 2e4, name="cross-entropy of logits [1e4, -1e4], label 1",
                                hint="use the log-sum-exp form; np.log(softmax) gives log(0) = -inf")
            print("CrossEntropyLoss: public tests passed")
            """,
            id="test_cross_entropy",
            points=2,
        ),
        hidden(
            """
            def _hidden_test():
                import numpy as np

                import course_lib.losses as ref
                from course_lib import testing as ct

                ct.assert_own_implementation(CrossEntropyLoss, name="CrossEntropyLoss",
                                             reference=ref.CrossEntropyLoss)
                rng = np.random.default_rng(22)
                cases = []
                for n, c in [(1, 2), (1, 5), (6, 3), (17, 10)]:
                    cases.append((3 * rng.standard_normal((n, c)), rng.integers(0, c, n)))
                cases.append((np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0], [0.5, -1e4, 1e4]]),
                              np.array([1, 0, 2])))
                cases.append((rng.standard_normal((5, 4)) + 2e3, rng.integers(0, 4, 5)))
                for z, y in cases:
                    name = f"CrossEntropyLoss on logits of shape {z.shape}"
                    loss = CrossEntropyLoss()
                    with ct.assert_not_mutated(logits=z, labels=y):
                        value = loss.forward(z, y)
                        grad = loss.backward()
                    reference = ref.CrossEntropyLoss()
                    expected = reference.forward(z.copy(), y.copy())
                    ct.assert_scalar_close(value, expected, name=f"{name}: forward",
                                           hint="mean over the batch; use log-sum-exp on logits")
                    ct.assert_close(grad, reference.backward(), name=f"{name}: backward",
                                    dtype=np.float64, hint="(softmax(z) - onehot(y)) / N")
                z = rng.standard_normal((3, 4))
                loss = CrossEntropyLoss()
                loss.forward(z, np.array([0, 1, 2]))
                loss.forward(z[:2], np.array([3, 3]))
                reference = ref.CrossEntropyLoss()
                reference.forward(z[:2].copy(), np.array([3, 3]))
                ct.assert_close(loss.backward(), reference.backward(),
                                name="backward after two forwards (must use the last one)")


            _hidden_test()
            del _hidden_test
            """,
            id="hidden_cross_entropy",
            points=5,
            visible="# CrossEntropyLoss: random shapes, N = 1, logits of +-1e4 and of 2e3, inputs unchanged.",
        ),
        markdown(
            r"""
            ## 3. Mean squared error (the Euclidean loss)

            For a prediction $P$ and a target $T$ of the same shape with $S$ elements in all
            (e.g. $S = N K$ for a batch `(N, K)`),

            $$L = \frac{1}{S} \sum_{i} (P_i - T_i)^2, \qquad
            \frac{\partial L}{\partial P} = \frac{2}{S}(P - T).$$

            It is the negative log-likelihood of a Gaussian model, and it squares every residual:
            one point far off dominates the mean.
            """,
            id="md-mse",
        ),
        solution(
            '''
            class MSELoss:
                """Mean of squared residuals over all elements; prediction and target (N, K)."""

                def __call__(self, prediction, target):
                    return self.forward(prediction, target)

                def forward(self, prediction, target):
                    ### BEGIN SOLUTION
                    diff = prediction - target
                    self._diff = diff
                    return float(np.mean(diff**2))
                    ### END SOLUTION

                def backward(self):
                    ### BEGIN SOLUTION
                    return 2.0 * self._diff / self._diff.size
                    ### END SOLUTION
            ''',
            id="mse",
        ),
        tests(
            """
            mse = MSELoss()
            p = np.array([[1.0, 2.0], [3.0, 4.0]])
            t = np.array([[1.0, 0.0], [0.0, 4.0]])
            with assert_not_mutated(prediction=p, target=t):
                value = mse.forward(p, t)
                grad = mse.backward()
            assert_scalar_close(value, 13 / 4, name="MSELoss.forward", hint="the mean over ALL elements")
            assert_close(grad, [[0.0, 1.0], [1.5, 0.0]], name="MSELoss.backward()",
                         hint="2 (P - T) / S where S = prediction.size (all elements, not just N)")
            print("MSELoss: public tests passed")
            """,
            id="test_mse",
            points=1,
        ),
        hidden(
            """
            def _hidden_test():
                import numpy as np

                import course_lib.losses as ref
                from course_lib import testing as ct

                ct.assert_own_implementation(MSELoss, name="MSELoss", reference=ref.MSELoss)
                rng = np.random.default_rng(23)
                for shape in [(1, 1), (1, 4), (5, 3), (12, 1), (8, 6)]:
                    p = rng.standard_normal(shape)
                    t = rng.standard_normal(shape)
                    loss = MSELoss()
                    with ct.assert_not_mutated(prediction=p, target=t):
                        value = loss.forward(p, t)
                        grad = loss.backward()
                    reference = ref.MSELoss()
                    ct.assert_scalar_close(value, reference.forward(p.copy(), t.copy()),
                                           name=f"MSELoss on {shape}: forward")
                    ct.assert_close(grad, reference.backward(), name=f"MSELoss on {shape}: backward",
                                    dtype=np.float64, hint="2 (P - T) / prediction.size")


            _hidden_test()
            del _hidden_test
            """,
            id="hidden_mse",
            points=2,
        ),
        markdown(
            r"""
            ## 4. Huber loss

            The Huber loss is quadratic for small residuals $r = P - T$ and linear for large
            ones, so an outlier pulls with a bounded force. With a threshold $\delta > 0$:

            $$\ell_\delta(r) = \begin{cases} \tfrac12 r^2 & |r| \le \delta \\
            \delta\,\big(|r| - \tfrac12 \delta\big) & |r| > \delta \end{cases},
            \qquad \ell_\delta'(r) = \mathrm{clip}(r, -\delta, \delta),$$

            and $L = \frac{1}{S}\sum_i \ell_\delta(r_i)$ over all $S$ elements, so
            $\partial L / \partial P = \mathrm{clip}(P - T, -\delta, \delta) / S$.
            Both pieces meet with the same value and slope at $|r| = \delta$.
            """,
            id="md-huber",
        ),
        solution(
            '''
            class HuberLoss:
                """Mean Huber loss of the residuals prediction - target (any shape (N, K))."""

                def __init__(self, delta=1.0):
                    self.delta = delta

                def __call__(self, prediction, target):
                    return self.forward(prediction, target)

                def forward(self, prediction, target):
                    ### BEGIN SOLUTION
                    r = prediction - target
                    self._r = r
                    a = np.abs(r)
                    d = self.delta
                    per_element = np.where(a <= d, 0.5 * r**2, d * (a - 0.5 * d))
                    return float(per_element.mean())
                    ### END SOLUTION

                def backward(self):
                    ### BEGIN SOLUTION
                    return np.clip(self._r, -self.delta, self.delta) / self._r.size
                    ### END SOLUTION
            ''',
            id="huber",
        ),
        tests(
            """
            huber = HuberLoss(delta=1.0)
            p = np.array([[0.5, 3.0, -2.0]])
            t = np.zeros((1, 3))
            with assert_not_mutated(prediction=p, target=t):
                value = huber.forward(p, t)
                grad = huber.backward()
            # 0.5 * 0.5**2 = 0.125;  1 * (3 - 0.5) = 2.5;  1 * (2 - 0.5) = 1.5
            assert_scalar_close(value, (0.125 + 2.5 + 1.5) / 3, name="HuberLoss(1.0).forward")
            assert_close(grad, [[0.5 / 3, 1.0 / 3, -1.0 / 3]], name="HuberLoss(1.0).backward()",
                         hint="clip(r, -delta, delta) / S")
            value2 = HuberLoss(delta=2.0).forward(np.array([[3.0]]), np.array([[0.0]]))
            assert_scalar_close(value2, 2.0 * (3.0 - 1.0), name="HuberLoss(2.0) at r = 3",
                                hint="the linear piece is delta * (|r| - delta / 2)")
            print("HuberLoss: public tests passed")
            """,
            id="test_huber",
            points=1,
        ),
        hidden(
            """
            def _hidden_test():
                import numpy as np

                import course_lib.losses as ref
                from course_lib import testing as ct

                ct.assert_own_implementation(HuberLoss, name="HuberLoss", reference=ref.HuberLoss)
                rng = np.random.default_rng(24)
                for delta in (1.0, 0.3, 2.5):
                    for shape in [(1, 1), (1, 5), (9, 3)]:
                        r = ct.away_from(rng, shape, kinks=(-delta, delta), margin=1e-3,
                                         scale=2 * delta)
                        t = rng.standard_normal(shape)
                        p = t + r
                        loss = HuberLoss(delta) if delta != 1.0 else HuberLoss()
                        with ct.assert_not_mutated(prediction=p, target=t):
                            value = loss.forward(p, t)
                            grad = loss.backward()
                        reference = ref.HuberLoss(delta)
                        name = f"HuberLoss(delta={delta}) on {shape}"
                        ct.assert_scalar_close(value, reference.forward(p.copy(), t.copy()),
                                               name=f"{name}: forward",
                                               hint="0.5 r^2 inside delta, delta (|r| - delta/2) outside")
                        ct.assert_close(grad, reference.backward(), name=f"{name}: backward",
                                        dtype=np.float64, hint="clip(r, -delta, delta) / S")


            _hidden_test()
            del _hidden_test
            """,
            id="hidden_huber",
            points=3,
            visible="# HuberLoss: several deltas (not only 1), residuals on both sides of +-delta.",
        ),
        markdown(
            r"""
            ## 5. KL divergence

            When the target is itself a distribution $t_n$ over the $C$ classes (soft labels,
            distillation), we measure how far the model's $q_n = \mathrm{softmax}(z_n)$ is from it
            with the Kullback-Leibler divergence, averaged over the batch:

            $$L = \frac{1}{N}\sum_{n}\sum_{c} t_{nc}\big(\log t_{nc} - \log q_{nc}\big),
            \qquad 0 \log 0 := 0,$$

            $$\frac{\partial L}{\partial z_{n}} = \frac{1}{N}\,(q_n - t_n)
            \quad(\text{each row of } t \text{ sums to } 1).$$

            Targets may contain zeros; a term with $t_{nc} = 0$ contributes nothing (and must
            not become `nan`). Use the stable log-softmax of section 2 for $\log q$.
            """,
            id="md-kl",
        ),
        solution(
            '''
            class KLDivLoss:
                """Batch-mean KL(target || softmax(logits)); logits and target (N, C)."""

                def __call__(self, logits, target):
                    return self.forward(logits, target)

                def forward(self, logits, target):
                    ### BEGIN SOLUTION
                    n = logits.shape[0]
                    shifted = logits - logits.max(axis=1, keepdims=True)
                    log_q = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
                    positive = target > 0
                    log_t = np.log(np.where(positive, target, 1.0))
                    terms = np.where(positive, target * (log_t - log_q), 0.0)
                    self._q = np.exp(log_q)
                    self._target = target
                    return float(terms.sum() / n)
                    ### END SOLUTION

                def backward(self):
                    ### BEGIN SOLUTION
                    return (self._q - self._target) / self._q.shape[0]
                    ### END SOLUTION
            ''',
            id="kl_div",
        ),
        tests(
            f"""
            kl = KLDivLoss()
            z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
            t = np.array({mat(kl_t)})
            with assert_not_mutated(logits=z, target=t):
                value = kl.forward(z, t)
                grad = kl.backward()
            assert_scalar_close(value, {_r(kl)}, name="KLDivLoss.forward",
                                hint="sum over classes, mean over the batch; skip terms with t = 0")
            assert_close(grad, {mat(kl_grad)}, name="KLDivLoss.backward()",
                         hint="(softmax(z) - t) / N")
            print("KLDivLoss: public tests passed")
            """,
            id="test_kl_div",
            points=1,
        ),
        hidden(
            """
            def _hidden_test():
                import numpy as np

                import course_lib.losses as ref
                from course_lib import testing as ct

                ct.assert_own_implementation(KLDivLoss, name="KLDivLoss", reference=ref.KLDivLoss)
                rng = np.random.default_rng(25)
                cases = []
                for n, c in [(1, 2), (1, 6), (7, 4), (16, 10)]:
                    t = rng.dirichlet(np.ones(c), size=n)
                    t[rng.random((n, c)) < 0.3] = 0.0
                    t[:, 0] += 1e-3
                    cases.append((2 * rng.standard_normal((n, c)), t / t.sum(axis=1, keepdims=True)))
                cases.append((np.array([[1e4, -1e4, 0.0], [0.0, 0.0, -1e4]]),
                              np.array([[0.5, 0.0, 0.5], [0.25, 0.75, 0.0]])))
                for z, t in cases:
                    name = f"KLDivLoss on {z.shape}"
                    loss = KLDivLoss()
                    with ct.assert_not_mutated(logits=z, target=t):
                        value = loss.forward(z, t)
                        grad = loss.backward()
                    reference = ref.KLDivLoss()
                    ct.assert_scalar_close(value, reference.forward(z.copy(), t.copy()),
                                           name=f"{name}: forward",
                                           hint="0 log 0 = 0; use log-softmax for log q")
                    ct.assert_close(grad, reference.backward(), name=f"{name}: backward",
                                    dtype=np.float64, hint="(softmax(z) - t) / N")


            _hidden_test()
            del _hidden_test
            """,
            id="hidden_kl_div",
            points=3,
            visible="# KLDivLoss: targets with zeros, N = 1, logits of +-1e4, inputs unchanged.",
        ),
        markdown(
            r"""
            ## 6. Experiment: a line through data with outliers

            `regression_with_outliers` draws 50 points near the line $t = 2x + 1$, the last 5
            of them shifted far up. `fit_line` (given below) fits $t \approx w x + b$ by
            gradient descent, using **your** loss's `forward` and `backward`:

            $$\frac{\partial L}{\partial w} = \sum_n \frac{\partial L}{\partial p_n} x_n, \qquad
            \frac{\partial L}{\partial b} = \sum_n \frac{\partial L}{\partial p_n}.$$

            Fit the line once with `MSELoss()` and once with `HuberLoss(delta=1.0)`, store the
            results in `w_mse, b_mse` and `w_huber, b_huber`, and set `more_robust` to `"mse"` or
            `"huber"`: the loss whose line stays closer to the true one.
            """,
            id="md-experiment",
        ),
        readonly(
            '''
            x_out, t_out = regression_with_outliers(n=50, n_outliers=5, rng=0)  # (50, 1) each


            def fit_line(loss, x, t, *, lr=0.1, steps=1000):
                """Gradient descent on loss(w * x + b, t); x, t: (N, 1). Returns (w, b) as floats."""
                w, b = 0.0, 0.0
                for _ in range(steps):
                    loss.forward(w * x + b, t)
                    g = loss.backward()  # dL/dprediction, (N, 1)
                    w -= lr * float(np.sum(g * x))
                    b -= lr * float(np.sum(g))
                return w, b
            ''',
            id="experiment-setup",
        ),
        solution(
            """
            ### BEGIN SOLUTION
            w_mse, b_mse = fit_line(MSELoss(), x_out, t_out)
            w_huber, b_huber = fit_line(HuberLoss(delta=1.0), x_out, t_out)
            more_robust = "huber"
            ### END SOLUTION
            print(f"MSE:   w = {w_mse:.3f}, b = {b_mse:.3f}")
            print(f"Huber: w = {w_huber:.3f}, b = {b_huber:.3f}   (true line: w = 2, b = 1)")
            """,
            id="experiment",
        ),
        readonly(
            """
            fig, ax = plt.subplots(figsize=(6, 4))
            ax.scatter(x_out[:, 0], t_out[:, 0], s=15, color="0.4", label="data (5 outliers on top)")
            grid = np.linspace(-2, 2, 50)
            ax.plot(grid, 2 * grid + 1, "k--", label="true line")
            ax.plot(grid, w_mse * grid + b_mse, label="MSE fit")
            ax.plot(grid, w_huber * grid + b_huber, label="Huber fit")
            ax.set_xlabel("x")
            ax.set_ylabel("t")
            ax.legend()
            plt.show()
            """,
            id="experiment-plot",
        ),
        tests(
            """
            for name in ("w_mse", "b_mse", "w_huber", "b_huber"):
                assert isinstance(globals()[name], float), f"{name} must be a float from fit_line"
            assert more_robust in ("mse", "huber"), f"more_robust must be 'mse' or 'huber', got {more_robust!r}"
            print("experiment: answers have the right form")
            """,
            id="test_experiment",
            points=1,
        ),
        hidden(
            """
            def _hidden_test():
                import numpy as np

                import course_lib.losses as ref
                from course_lib import testing as ct

                x, t = x_out.copy(), t_out.copy()
                for loss_name, ref_loss, w, b in [("MSELoss", ref.MSELoss(), w_mse, b_mse),
                                                  ("HuberLoss", ref.HuberLoss(1.0), w_huber, b_huber)]:
                    ew, eb = fit_line(ref_loss, x, t)
                    ct.assert_scalar_close(w, ew, name=f"w of the {loss_name} fit", max_rel_error=1e-6)
                    ct.assert_scalar_close(b, eb, name=f"b of the {loss_name} fit", max_rel_error=1e-6)
                ct.assert_choice(more_robust, "huber", name="more_robust", options=("mse", "huber"))


            _hidden_test()
            del _hidden_test
            """,
            id="hidden_experiment",
            points=2,
        ),
    ]
    return notebook(cells)
