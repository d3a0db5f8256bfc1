"""Correct solutions written in other styles, and typical mistakes with the hint each must get.

A **variant** is a correct solution in a style different from the reference (``np.einsum``,
``np.where`` with a branch that warns, a piecewise-stable sigmoid, ``take_along_axis``,
iterative and recursive topological sorts, an ``OrderedDict``, arrays instead of lists...): it
must get full marks. A **mistake** is one a student typically makes: it must lose the points
of the cells it names, and each of those cells' messages must contain the given phrases (the
hint that points at the mistake); every other cell keeps its points, so a mistake costs its
own points once.

Cases are packed into as few student notebooks as possible (:func:`pack`): cases that touch
different solution regions go in one notebook, mistakes only with mistakes whose failing
cells are different. ``test_fairness.py`` grades the packed class with ``course grade`` and
with plain ``nbgrader autograde``.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

REPO = Path(__file__).resolve().parents[2]
E1, E2, E3, E4 = "ex01_modules", "ex02_losses", "ex03_backprop", "ex04_autograd"


@dataclass(frozen=True)
class Sol:
    """Replace the body of solution region ``region`` (0-based) of cell ``cell`` by ``code``."""

    cell: str
    code: str
    region: int = 0


@dataclass(frozen=True)
class Case:
    """A variant (``fails`` empty) or a mistake (the cells it must fail, with phrases).

    Attributes
    ----------
    fails : dict
        ``{grade_id: phrases}``: the cell loses its points and its message contains each
        phrase, under both graders.
    nbgrader_phrases : dict
        Phrases seen only under plain ``nbgrader autograde``, where the student's code runs in
        the test's own process (numpy's warnings, the line of the notebook).
    judge_gap : str, optional
        Why ``course grade`` cannot grade this case right yet (a fix it needs in
        ``autograder/``); such a case is packed alone, and expected to fail there.
    """

    id: str
    exercise: str
    description: str
    edits: tuple[Sol, ...]
    fails: dict[str, tuple[str, ...]] = field(default_factory=dict)
    nbgrader_phrases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    judge_gap: str | None = None

    @property
    def kind(self) -> str:
        return "mistake" if self.fails else "variant"

    @property
    def regions(self) -> set[tuple[str, int]]:
        return {(e.cell, e.region) for e in self.edits}


def v(id: str, exercise: str, description: str, *edits: Sol, judge_gap: str | None = None) -> Case:
    return Case(id, exercise, description, tuple(edits), judge_gap=judge_gap)


#: ``course grade`` sends a numpy scalar (``np.float64(2.5)``, ``np.int64(7)``) from the
#: student's process to the judge as an array of shape (1,) (``np.ascontiguousarray`` makes
#: 0-d arrays 1-d in ``autograder/isolation/wire.array_meta``), which the judge rejects: the
#: whole lookup of the cell's names, or the call, fails.


def m(
    id: str,
    exercise: str,
    description: str,
    edits: Sol | tuple[Sol, ...],
    fails: dict[str, tuple[str, ...]],
    nbgrader_phrases: dict[str, tuple[str, ...]] | None = None,
) -> Case:
    edits = edits if isinstance(edits, tuple) else (edits,)
    return Case(id, exercise, description, edits, fails, nbgrader_phrases or {})


# ------------------------------------------------------------------------------------------------
# ex01: Linear, activations, Sequential
# ------------------------------------------------------------------------------------------------
VARIANTS_EX01 = (
    v(
        "linear-einsum",
        E1,
        "Linear with np.einsum everywhere",
        Sol(
            "linear",
            """
            self._x = x
            y = np.einsum("nd,md->nm", x, self.weight.data)
            if self.bias is not None:
                y = y + self.bias.data
            return y
            """,
        ),
        Sol(
            "linear",
            """
            g = grad_output
            self.weight.grad += np.einsum("nm,nd->md", g, self._x)
            if self.bias is not None:
                self.bias.grad += np.einsum("nm->m", g)
            return np.einsum("nm,md->nd", g, self.weight.data)
            """,
            1,
        ),
    ),
    v(
        "linear-tensordot-ufunc-out",
        E1,
        "Linear with np.tensordot, np.dot and ufuncs writing into the gradients (out=)",
        Sol(
            "linear",
            """
            self._x = x
            y = np.tensordot(x, self.weight.data, axes=([1], [1]))
            if self.bias is not None:
                np.add(y, self.bias.data, out=y)
            return y
            """,
        ),
        Sol(
            "linear",
            """
            np.add(self.weight.grad, grad_output.T.dot(self._x), out=self.weight.grad)
            if self.bias is not None:
                ones = np.ones(grad_output.shape[0])
                np.add(self.bias.grad, ones @ grad_output, out=self.bias.grad)
            return np.dot(grad_output, self.weight.data)
            """,
            1,
        ),
    ),
    v(
        "linear-outer-products-loop",
        E1,
        "Linear.backward as a loop of outer products over the samples; forward caches a copy",
        Sol(
            "linear",
            """
            self._x = x.copy()
            y = np.matmul(x, self.weight.data.T)
            if self.bias is not None:
                y += self.bias.data
            return y
            """,
        ),
        Sol(
            "linear",
            """
            for x_n, g_n in zip(self._x, grad_output):
                self.weight.grad += np.outer(g_n, x_n)
                if self.bias is not None:
                    self.bias.grad += g_n
            return grad_output @ self.weight.data
            """,
            1,
        ),
    ),
    v(
        "relu-where-cached-input",
        E1,
        "ReLU with np.where on a cached input",
        Sol("relu", "self._x = x\nreturn np.where(x > 0, x, 0.0)"),
        Sol("relu", "return np.where(self._x > 0, grad_output, 0.0)", 1),
    ),
    v(
        "relu-clip-heaviside",
        E1,
        "ReLU with np.clip and np.heaviside(x, 0)",
        Sol("relu", "self._x = x.copy()\nreturn np.clip(x, 0.0, None)"),
        Sol("relu", "return grad_output * np.heaviside(self._x, 0.0)", 1),
    ),
    v(
        "leaky-relu-maximum",
        E1,
        "LeakyReLU as max(x, a x), slopes written into an array",
        Sol("leaky_relu", "self._x = x\nreturn np.maximum(x, self.negative_slope * x)"),
        Sol(
            "leaky_relu",
            """
            slope = np.full(self._x.shape, self.negative_slope)
            slope[self._x > 0] = 1.0
            return grad_output * slope
            """,
            1,
        ),
    ),
    v(
        "leaky-relu-mask-arithmetic",
        E1,
        "LeakyReLU with boolean-mask arithmetic",
        Sol(
            "leaky_relu",
            "self._pos = x > 0\nreturn x * (self._pos + self.negative_slope * ~self._pos)",
        ),
        Sol("leaky_relu", "return grad_output * (self._pos + self.negative_slope * ~self._pos)", 1),
    ),
    v(
        "sigmoid-where-both-branches",
        E1,
        "piecewise sigmoid with np.where: the branch not taken overflows (warnings, right result)",
        Sol(
            "sigmoid",
            """
            ex = np.exp(x)
            self._y = np.where(x >= 0, 1.0 / (1.0 + np.exp(-x)), ex / (1.0 + ex))
            return self._y
            """,
        ),
    ),
    v(
        "sigmoid-exp-of-minus-abs",
        E1,
        "stable sigmoid from exp(-|x|), no warning; derivative as s - s**2",
        Sol(
            "sigmoid",
            """
            e = np.exp(-np.abs(x))
            self._y = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
            return self._y
            """,
        ),
        Sol("sigmoid", "s = self._y\nreturn grad_output * (s - s * s)", 1),
    ),
    v(
        "sigmoid-logaddexp",
        E1,
        "sigmoid as exp(-logaddexp(0, -x))",
        Sol("sigmoid", "self._y = np.exp(-np.logaddexp(0.0, -x))\nreturn self._y"),
    ),
    v(
        "tanh-via-sigmoid",
        E1,
        "tanh(x) = 2 sigmoid(2x) - 1",
        Sol("tanh", "self._y = 2.0 / (1.0 + np.exp(-2.0 * x)) - 1.0\nreturn self._y"),
        Sol("tanh", "return grad_output * (1.0 - self._y * self._y)", 1),
    ),
    v(
        "sequential-index-loops",
        E1,
        "Sequential with index loops, backward counting down",
        Sol(
            "sequential",
            "for i in range(len(self.layers)):\n    x = self.layers[i].forward(x)\nreturn x",
        ),
        Sol(
            "sequential",
            """
            for i in range(len(self.layers) - 1, -1, -1):
                grad_output = self.layers[i].backward(grad_output)
            return grad_output
            """,
            1,
        ),
    ),
    v(
        "sequential-recursive-reduce",
        E1,
        "Sequential.forward recursive, backward with functools.reduce over the reversed layers",
        Sol(
            "sequential",
            """
            def run(i, h):
                return h if i == len(self.layers) else run(i + 1, self.layers[i].forward(h))

            return run(0, x)
            """,
        ),
        Sol(
            "sequential",
            """
            import functools

            return functools.reduce(lambda g, layer: layer.backward(g), self.layers[::-1],
                                    grad_output)
            """,
            1,
        ),
    ),
)

MISTAKES_EX01 = (
    m(
        "linear-bias-grad-not-summed",
        E1,
        "bias.grad += grad_output: the shapes do not fit, numpy raises inside backward",
        Sol(
            "linear",
            """
            self.weight.grad += grad_output.T @ self._x
            if self.bias is not None:
                self.bias.grad += grad_output
            return grad_output @ self.weight.data
            """,
            1,
        ),
        {
            "test_linear_backward": (
                "raised ValueError",
                "(out_features,) into bias.grad",
                "must have the shape of p itself",
            ),
            "hidden_linear_backward": ("raised ValueError", "must have the shape of p itself"),
        },
        {"test_linear_backward": ("self.bias.grad += grad_output",)},
    ),
    m(
        "linear-dW-transposed",
        E1,
        "dL/dW computed as x.T @ grad_output, the transpose of the weight's shape",
        Sol(
            "linear",
            """
            self.weight.grad += self._x.T @ grad_output
            if self.bias is not None:
                self.bias.grad += grad_output.sum(axis=0)
            return grad_output @ self.weight.data
            """,
            1,
        ),
        {
            "test_linear_backward": ("raised ValueError", "(out_features, in_features)"),
            "hidden_linear_backward": ("raised ValueError", "transpose"),
        },
    ),
    m(
        "linear-returns-dW",
        E1,
        "backward returns dL/dW instead of dL/dx (told apart by shape: N != M)",
        Sol(
            "linear",
            """
            self.weight.grad += grad_output.T @ self._x
            if self.bias is not None:
                self.bias.grad += grad_output.sum(axis=0)
            return grad_output.T @ self._x
            """,
            1,
        ),
        {
            "test_linear_backward": ("has shape (2, 3), expected (4, 3)", "dL/dW is not returned"),
            "hidden_linear_backward": ("shaped like x",),
        },
    ),
    m(
        "linear-weight-grad-assigned",
        E1,
        "weight.grad = ... instead of += (gradients do not accumulate)",
        Sol(
            "linear",
            """
            self.weight.grad = grad_output.T @ self._x
            if self.bias is not None:
                self.bias.grad += grad_output.sum(axis=0)
            return grad_output @ self.weight.data
            """,
            1,
        ),
        {
            "test_linear_backward": ("after two backward calls", "gradients accumulate"),
            "hidden_linear_backward": ("after two backward calls", "accumulate until zero_grad"),
        },
    ),
    m(
        "relu-derivative-one-at-zero",
        E1,
        "ReLU'(0) = 1 (mask x >= 0)",
        Sol("relu", "self._mask = x >= 0\nreturn np.maximum(x, 0.0)"),
        {"test_relu": ("ReLU'(0) = 0",), "hidden_relu": ("ReLU'(0) = 0",)},
    ),
    m(
        "sigmoid-derivative-from-input",
        E1,
        "sigmoid derivative x (1 - x) from the input instead of the output",
        (
            Sol("sigmoid", "self._x = x\nself._y = 1.0 / (1.0 + np.exp(-x))\nreturn self._y"),
            Sol("sigmoid", "return grad_output * self._x * (1.0 - self._x)", 1),
        ),
        {"test_sigmoid": ("cached OUTPUT",), "hidden_sigmoid": ("the output y",)},
    ),
    m(
        "sigmoid-nan-at-extremes",
        E1,
        "sigmoid as exp(x) / (1 + exp(x)): inf / inf = nan at x = 1000",
        Sol("sigmoid", "self._y = np.exp(x) / (1.0 + np.exp(x))\nreturn self._y"),
        {"test_sigmoid": ("contains nan",), "hidden_sigmoid": ("never nan",)},
        {"test_sigmoid": ("numpy warned", "overflow encountered in exp")},
    ),
    m(
        "sequential-backward-not-reversed",
        E1,
        "Sequential.backward walks the layers in forward order",
        Sol(
            "sequential",
            "g = grad_output\nfor layer in self.layers:\n    g = layer.backward(g)\nreturn g",
            1,
        ),
        {"test_sequential": ("reverse order",), "hidden_sequential": ("reverse order",)},
    ),
)

# ------------------------------------------------------------------------------------------------
# ex02: softmax and losses
# ------------------------------------------------------------------------------------------------
VARIANTS_EX02 = (
    v(
        "softmax-all-pairs-overflow",
        E2,
        "softmax_i = 1 / sum_j exp(z_j - z_i): exp overflows to inf on the way to the right 0",
        Sol("softmax", "return 1.0 / np.exp(z[:, None, :] - z[:, :, None]).sum(axis=2)"),
    ),
    v(
        "softmax-logsumexp-last-axis",
        E2,
        "softmax as exp(z - logsumexp(z)) along axis=-1",
        Sol(
            "softmax",
            """
            m = np.max(z, axis=-1, keepdims=True)
            lse = m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))
            return np.exp(z - lse)
            """,
        ),
    ),
    v(
        "softmax-transposed",
        E2,
        "softmax computed on the transpose (columns), returned transposed back",
        Sol("softmax", "e = np.exp(z.T - z.max(axis=1))\nreturn (e / e.sum(axis=0)).T"),
    ),
    v(
        "ce-take-along-axis-eye",
        E2,
        "cross-entropy with np.take_along_axis; one-hot labels from np.eye",
        Sol(
            "cross_entropy",
            """
            shifted = logits - logits.max(axis=1, keepdims=True)
            log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            picked = np.take_along_axis(log_probs, labels[:, None], axis=1)
            self._log_probs, self._labels = log_probs, labels
            return float(-picked.mean())
            """,
        ),
        Sol(
            "cross_entropy",
            """
            n, c = self._log_probs.shape
            return (np.exp(self._log_probs) - np.eye(c)[self._labels]) / n
            """,
            1,
        ),
    ),
    v(
        "ce-reuses-softmax",
        E2,
        "cross-entropy whose gradient reuses the notebook's softmax()",
        Sol(
            "cross_entropy",
            """
            z = logits - logits.max(axis=1, keepdims=True)
            lse = np.log(np.exp(z).sum(axis=1))
            self._p, self._y = softmax(logits), labels
            return float(np.mean(lse - z[np.arange(len(labels)), labels]))
            """,
        ),
        Sol(
            "cross_entropy",
            """
            grad = self._p.copy()
            grad[np.arange(len(self._y)), self._y] -= 1.0
            return grad / len(self._y)
            """,
            1,
        ),
    ),
    v(
        "ce-logaddexp-boolean-onehot",
        E2,
        "cross-entropy with np.logaddexp.reduce and a boolean one-hot mask",
        Sol(
            "cross_entropy",
            """
            lse = np.logaddexp.reduce(logits, axis=1)
            self._onehot = np.arange(logits.shape[1]) == labels[:, None]
            self._probs = np.exp(logits - lse[:, None])
            return float(np.mean(lse - logits[self._onehot]))
            """,
        ),
        Sol("cross_entropy", "return (self._probs - self._onehot) / len(self._probs)", 1),
    ),
    v(
        "mse-vdot",
        E2,
        "MSE with np.vdot; the gradient divided by np.prod(shape)",
        Sol(
            "mse",
            """
            self._d = prediction - target
            flat = self._d.ravel()
            return float(np.vdot(flat, flat) / flat.size)
            """,
        ),
        Sol("mse", "return 2.0 * self._d / np.prod(self._d.shape)", 1),
    ),
    v(
        "mse-keeps-copies",
        E2,
        "MSE that keeps copies of its inputs",
        Sol(
            "mse",
            """
            self._p, self._t = prediction.copy(), target.copy()
            return float(((prediction - target) ** 2).sum() / prediction.size)
            """,
        ),
        Sol("mse", "return (self._p - self._t) * (2.0 / self._p.size)", 1),
    ),
    v(
        "huber-where-sign",
        E2,
        "Huber with np.where; the gradient delta * sign(r) outside",
        Sol(
            "huber",
            """
            r = prediction - target
            self._r = r
            d = self.delta
            small = np.abs(r) <= d
            return float(np.mean(np.where(small, 0.5 * r * r, d * np.abs(r) - 0.5 * d * d)))
            """,
        ),
        Sol(
            "huber",
            """
            r, d = self._r, self.delta
            return np.where(np.abs(r) <= d, r, d * np.sign(r)) / r.size
            """,
            1,
        ),
    ),
    v(
        "huber-mask-arithmetic",
        E2,
        "Huber with boolean-mask arithmetic; the gradient clipped with maximum/minimum",
        Sol(
            "huber",
            """
            r = prediction - target
            self._r = r
            a, d = np.abs(r), self.delta
            q = a <= d
            return float(np.sum(q * (0.5 * r**2) + ~q * (d * a - 0.5 * d * d)) / r.size)
            """,
        ),
        Sol(
            "huber",
            "d = self.delta\nreturn np.maximum(-d, np.minimum(d, self._r)) / self._r.size",
            1,
        ),
    ),
    v(
        "kl-where-log-warns",
        E2,
        "KL with np.where(t > 0, t log t, 0): log(0) warns in the branch not taken",
        Sol(
            "kl_div",
            """
            n = logits.shape[0]
            shifted = logits - logits.max(axis=1, keepdims=True)
            log_q = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            plogp = np.where(target > 0, target * np.log(target), 0.0)
            self._q, self._target = np.exp(log_q), target
            return float((plogp - target * log_q).sum() / n)
            """,
        ),
    ),
    v(
        "kl-log-where-out",
        E2,
        "KL with np.log(t, out=zeros, where=t > 0)",
        Sol(
            "kl_div",
            """
            n = logits.shape[0]
            shifted = logits - logits.max(axis=1, keepdims=True)
            log_q = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            log_t = np.log(target, out=np.zeros_like(target), where=target > 0)
            self._q, self._target = np.exp(log_q), target
            return float(np.sum(target * (log_t - log_q)) / n)
            """,
        ),
    ),
    v(
        "kl-masked-indexing",
        E2,
        "KL summed over the entries selected by a mask t > 0",
        Sol(
            "kl_div",
            """
            shifted = logits - logits.max(axis=1, keepdims=True)
            log_q = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            mask = target > 0
            value = np.sum(target[mask] * (np.log(target[mask]) - log_q[mask]))
            self._q, self._target = np.exp(log_q), target
            return float(value / logits.shape[0])
            """,
        ),
    ),
    v(
        "experiment-dict-of-fits",
        E2,
        "the experiment as a dict of fits; the answer as ' Huber ' (case and spaces)",
        Sol(
            "experiment",
            """
            fits = {name: fit_line(loss, x_out, t_out)
                    for name, loss in [("mse", MSELoss()), ("huber", HuberLoss(delta=1.0))]}
            (w_mse, b_mse), (w_huber, b_huber) = fits["mse"], fits["huber"]
            more_robust = " Huber "
            """,
        ),
    ),
    v(
        "mse-returns-numpy-scalar",
        E2,
        "MSELoss.forward returns np.mean(...) itself, a numpy float64, not a Python float",
        Sol("mse", "self._diff = prediction - target\nreturn np.mean(self._diff**2)"),
    ),
)

MISTAKES_EX02 = (
    m(
        "softmax-global-max",
        E2,
        "softmax shifted by the maximum of the whole batch, not of each row",
        Sol(
            "softmax",
            "shifted = z - z.max()\ne = np.exp(shifted)\nreturn e / e.sum(axis=1, keepdims=True)",
        ),
        {"test_softmax": ("contains nan", "its own maximum"), "hidden_softmax": ("own maximum",)},
    ),
    m(
        "softmax-not-shifted",
        E2,
        "softmax without any shift: exp overflows, inf / inf = nan",
        Sol("softmax", "e = np.exp(z)\nreturn e / e.sum(axis=1, keepdims=True)"),
        {"test_softmax": ("contains nan", "its own maximum"), "hidden_softmax": ("own maximum",)},
        {"test_softmax": ("numpy warned", "overflow encountered in exp")},
    ),
    m(
        "ce-grad-not-divided-by-n",
        E2,
        "cross-entropy gradient not divided by the batch size",
        Sol(
            "cross_entropy",
            """
            n = self._probs.shape[0]
            grad = self._probs.copy()
            grad[np.arange(n), self._labels] -= 1.0
            return grad
            """,
            1,
        ),
        {
            "test_cross_entropy": ("1/N", "divided by the batch size"),
            "hidden_cross_entropy": ("1/N",),
        },
    ),
    m(
        "ce-log-of-softmax",
        E2,
        "cross-entropy as log(softmax): log(0) = -inf at extreme logits",
        Sol(
            "cross_entropy",
            """
            n = logits.shape[0]
            e = np.exp(logits - logits.max(axis=1, keepdims=True))
            self._probs = e / e.sum(axis=1, keepdims=True)
            self._labels = labels
            return float(-np.log(self._probs[np.arange(n), labels]).mean())
            """,
        ),
        {"test_cross_entropy": ("log-sum-exp",), "hidden_cross_entropy": ("log-sum-exp",)},
        {"test_cross_entropy": ("divide by zero encountered in log",)},
    ),
    m(
        "mse-divided-by-batch",
        E2,
        "MSE gradient divided by N instead of all the elements",
        Sol("mse", "return 2.0 * self._diff / self._diff.shape[0]", 1),
        {"test_mse": ("counts all the elements",), "hidden_mse": ("all the elements",)},
    ),
    m(
        "kl-zero-target-nan",
        E2,
        "KL computes 0 * log 0 = nan for zero targets",
        Sol(
            "kl_div",
            """
            n = logits.shape[0]
            shifted = logits - logits.max(axis=1, keepdims=True)
            log_q = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            self._q, self._target = np.exp(log_q), target
            return float(np.sum(target * (np.log(target) - log_q)) / n)
            """,
        ),
        {"test_kl_div": ("is nan", "t = 0 is 0"), "hidden_kl_div": ("0 log 0 = 0",)},
        {"test_kl_div": ("divide by zero encountered in log",)},
    ),
)

# ------------------------------------------------------------------------------------------------
# ex03: MLP, numerical gradients, gradient check, training, experiments
# ------------------------------------------------------------------------------------------------
VARIANTS_EX03 = (
    v(
        "mlp-call-syntax",
        E3,
        "MLP.forward with module calls, backward as a loop over the reversed layers",
        Sol("mlp", "return self.fc3(self.act2(self.fc2(self.act1(self.fc1(x)))))"),
        Sol(
            "mlp",
            """
            g = grad_output
            for layer in [self.fc1, self.act1, self.fc2, self.act2, self.fc3][::-1]:
                g = layer.backward(g)
            return g
            """,
            1,
        ),
    ),
    v(
        "modules-einsum-where",
        E3,
        "the pasted Linear with einsum and ReLU with np.where",
        Sol(
            "modules",
            "self._x = x\nreturn np.einsum('nd,md->nm', x, self.weight.data) + self.bias.data",
        ),
        Sol(
            "modules",
            """
            self.weight.grad += np.einsum("nm,nd->md", grad_output, self._x)
            self.bias.grad += grad_output.sum(axis=0)
            return np.einsum("nm,md->nd", grad_output, self.weight.data)
            """,
            1,
        ),
        Sol("modules", "self._x = x\nreturn np.where(x > 0, x, 0.0)", 2),
        Sol("modules", "return np.where(self._x > 0, grad_output, 0.0)", 3),
    ),
    v(
        "numgrad-nditer",
        E3,
        "numerical_gradient with np.nditer and a multi-index",
        Sol(
            "numerical_gradient",
            """
            grad = np.zeros(x.shape)
            it = np.nditer(x, flags=["multi_index"])
            while not it.finished:
                i = it.multi_index
                keep = x[i]
                x[i] = keep + eps
                hi = f(x)
                x[i] = keep - eps
                lo = f(x)
                x[i] = keep
                grad[i] = (hi - lo) / (2.0 * eps)
                it.iternext()
            return grad
            """,
        ),
    ),
    v(
        "numgrad-unravel-index",
        E3,
        "numerical_gradient over flat positions with np.unravel_index",
        Sol(
            "numerical_gradient",
            """
            grad = np.empty_like(x)
            for k in range(x.size):
                i = np.unravel_index(k, x.shape)
                saved = x[i].copy()
                x[i] = saved + eps
                up = f(x)
                x[i] = saved - eps
                down = f(x)
                x[i] = saved
                grad[i] = (up - down) / eps / 2
            return grad
            """,
        ),
    ),
    v(
        "gradcheck-ordereddict",
        E3,
        "gradient_check returning an OrderedDict",
        Sol(
            "gradient_check",
            """
            from collections import OrderedDict

            model.zero_grad()
            loss.forward(model.forward(X), y)
            model.backward(loss.backward())
            params = model.named_parameters()
            backprop = [p.grad.copy() for _, p in params]
            result = OrderedDict()
            for (name, p), analytic in zip(params, backprop):
                numeric = numerical_gradient(lambda _: loss.forward(model.forward(X), y), p.data,
                                             eps=eps)
                result[name] = rel_error(analytic, numeric)
            return result
            """,
        ),
    ),
    v(
        "gradcheck-own-rel-error-zip",
        E3,
        "gradient_check resetting p.grad by hand, its own relative error, dict(zip(...))",
        Sol(
            "gradient_check",
            """
            for p in model.parameters():
                p.grad[...] = 0.0
            out = model.forward(X)
            loss.forward(out, y)
            model.backward(loss.backward())
            names = [name for name, _ in model.named_parameters()]
            errs = []
            for _, p in model.named_parameters():
                a = p.grad.copy()
                n = numerical_gradient(lambda v: loss.forward(model.forward(X), y), p.data, eps)
                errs.append(float(np.max(np.abs(a - n) / np.maximum(1e-8, np.abs(a) + np.abs(n)))))
            return dict(zip(names, errs))
            """,
        ),
    ),
    v(
        "train-returns-array",
        E3,
        "train with a while loop over the mini-batches, returning a numpy array",
        Sol(
            "train",
            """
            gen = np.random.default_rng(rng)
            n = len(X)
            step = batch_size or n
            losses = np.zeros(epochs)
            for epoch in range(epochs):
                perm = gen.permutation(n)
                start = 0
                while start < n:
                    rows = perm[start : start + step]
                    model.zero_grad()
                    value = loss.forward(model.forward(X[rows]), y[rows])
                    model.backward(loss.backward())
                    for p in model.parameters():
                        p.data -= lr * p.grad
                    losses[epoch] += value * len(rows) / n
                    start += step
            return losses
            """,
        ),
    ),
    v(
        "train-tuple-zero-after-step",
        E3,
        "train resetting the gradients after each step, np.average, returning a tuple",
        Sol(
            "train",
            """
            gen = np.random.default_rng(rng)
            size = X.shape[0] if batch_size is None else batch_size
            model.zero_grad()
            history = []
            for _ in range(epochs):
                order = gen.permutation(X.shape[0])
                batches = [order[i : i + size] for i in range(0, X.shape[0], size)]
                values = []
                for idx in batches:
                    values.append(loss.forward(model.forward(X[idx]), y[idx]))
                    model.backward(loss.backward())
                    for p in model.parameters():
                        p.data = p.data - lr * p.grad
                    model.zero_grad()
                history.append(float(np.average(values, weights=[len(b) for b in batches])))
            return tuple(history)
            """,
        ),
    ),
    v(
        "train-history-of-numpy-floats",
        E3,
        "train whose history holds numpy floats (np.dot of the losses and the batch sizes)",
        Sol(
            "train",
            """
            gen = np.random.default_rng(rng)
            n = X.shape[0]
            size = n if batch_size is None else batch_size
            history = []
            for _ in range(epochs):
                order = gen.permutation(n)
                losses, sizes = [], []
                for start in range(0, n, size):
                    idx = order[start : start + size]
                    model.zero_grad()
                    losses.append(loss.forward(model.forward(X[idx]), y[idx]))
                    model.backward(loss.backward())
                    for p in model.parameters():
                        p.data -= lr * p.grad
                    sizes.append(len(idx))
                history.append(np.dot(losses, sizes) / n)
            return history
            """,
        ),
    ),
    v(
        "xor-other-settings",
        E3,
        "XOR settings in another order, more epochs at a lower rate",
        Sol("xor", 'xor_settings = {"lr": 0.3, "epochs": 500}'),
    ),
    v(
        "moons-other-settings",
        E3,
        "moons settings as dict(...): smaller mini-batches, another seed",
        Sol("moons", "moons_settings = dict(epochs=60, lr=0.2, batch_size=16, rng=3)"),
    ),
)

MISTAKES_EX03 = (
    m(
        "mlp-relu-mask-of-wrong-layer",
        E3,
        "MLP.backward gates with the first ReLU's mask where the second's belongs",
        Sol(
            "mlp",
            """
            g = self.fc3.backward(grad_output)
            g = self.act1.backward(g)
            g = self.fc2.backward(g)
            g = self.act1.backward(g)
            return self.fc1.backward(g)
            """,
            1,
        ),
        {"test_mlp": ("raised ValueError",), "hidden_mlp": ("its own mask",)},
    ),
    m(
        "numgrad-missing-factor-two",
        E3,
        "numerical_gradient divides by eps instead of 2 eps: reported as numerical_gradient's "
        "fault in gradient_check, not as MLP.backward's",
        Sol(
            "numerical_gradient",
            """
            grad = np.zeros_like(x)
            for idx in np.ndindex(x.shape):
                old = x[idx]
                x[idx] = old + eps
                f_plus = f(x)
                x[idx] = old - eps
                f_minus = f(x)
                x[idx] = old
                grad[idx] = (f_plus - f_minus) / eps
            return grad
            """,
        ),
        {
            "test_numerical_gradient": ("central difference",),
            "hidden_numerical_gradient": ("CENTRAL difference",),
            "test_gradient_check": ("numerical_gradient gives wrong values", "fix numerical_grad"),
            "hidden_gradient_check": ("numerical_gradient gives wrong values",),
        },
    ),
    m(
        "gradcheck-without-zero-grad",
        E3,
        "gradient_check keeps the gradients a model already holds",
        Sol(
            "gradient_check",
            """
            loss.forward(model.forward(X), y)
            model.backward(loss.backward())
            analytic = {name: p.grad.copy() for name, p in model.named_parameters()}
            errors = {}
            for name, p in model.named_parameters():
                numeric = numerical_gradient(lambda _: loss.forward(model.forward(X), y), p.data,
                                             eps)
                errors[name] = rel_error(analytic[name], numeric)
            return errors
            """,
        ),
        {
            "test_gradient_check": ("model.zero_grad()",),
            "hidden_gradient_check": ("model.zero_grad()",),
        },
    ),
    m(
        "train-without-zero-grad",
        E3,
        "train never resets the gradients (not a 'train longer' hint; XOR and moons keep points)",
        Sol(
            "train",
            """
            rng = np.random.default_rng(rng)
            n = X.shape[0]
            size = n if batch_size is None else batch_size
            history = []
            for _ in range(epochs):
                order = rng.permutation(n)
                total = 0.0
                for start in range(0, n, size):
                    idx = order[start : start + size]
                    value = loss.forward(model.forward(X[idx]), y[idx])
                    model.backward(loss.backward())
                    for p in model.parameters():
                        p.data -= lr * p.grad
                    total += value * len(idx)
                history.append(total / n)
            return history
            """,
        ),
        {"test_train": ("never reset",), "hidden_train": ("never reset",)},
    ),
    m(
        "train-new-generator-every-epoch",
        E3,
        "train makes a new random generator every epoch (every epoch has the same order)",
        Sol(
            "train",
            """
            n = X.shape[0]
            size = n if batch_size is None else batch_size
            history = []
            for _ in range(epochs):
                order = np.random.default_rng(rng).permutation(n)
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
            """,
        ),
        {"test_train": ("same order",), "hidden_train": ("same order",)},
    ),
)

# ------------------------------------------------------------------------------------------------
# ex04: the autograd engine
# ------------------------------------------------------------------------------------------------
VARIANTS_EX04 = (
    v(
        "autograd-rules-rewritten",
        E4,
        "local rules in other words: a loop for +, grad = grad + ..., math.pow, tanh recomputed",
        Sol("value", "for node in (self, other):\n    node.grad += out.grad", 0),
        Sol(
            "value",
            "self.grad = self.grad + other.data * out.grad\n"
            "other.grad = other.grad + self.data * out.grad",
            1,
        ),
        Sol("value", "self.grad += n * math.pow(self.data, n - 1) * out.grad", 2),
        Sol("value", "self.grad += (1.0 - math.tanh(self.data) ** 2) * out.grad", 3),
        Sol("value", "self.grad += float(self.data > 0) * out.grad", 4),
    ),
    v(
        "autograd-recursive-two-frames",
        E4,
        "recursive topological sort with two nested calls per node (the depth stays below the "
        "recursion limit)",
        Sol(
            "value",
            """
            order, seen = [], set()

            def visit(node):
                if node not in seen:
                    seen.add(node)
                    for child in node._prev:
                        build(child)
                    order.append(node)

            def build(node):
                visit(node)

            build(self)
            for node in order:
                node.grad = 0.0
            self.grad = 1.0
            for node in reversed(order):
                node._backward()
            """,
            5,
        ),
    ),
    v(
        "autograd-kahn",
        E4,
        "Kahn's algorithm: a node runs once all its users have run (counts by id)",
        Sol(
            "value",
            """
            nodes, stack, seen = [], [self], {id(self)}
            while stack:
                node = stack.pop()
                nodes.append(node)
                for child in node._prev:
                    if id(child) not in seen:
                        seen.add(id(child))
                        stack.append(child)
            users = {id(node): 0 for node in nodes}
            for node in nodes:
                for child in node._prev:
                    users[id(child)] += 1
            for node in nodes:
                node.grad = 0.0
            self.grad = 1.0
            ready = [self]
            while ready:
                node = ready.pop()
                node._backward()
                for child in node._prev:
                    users[id(child)] -= 1
                    if users[id(child)] == 0:
                        ready.append(child)
            """,
            5,
        ),
    ),
    v(
        "autograd-recursive-ids",
        E4,
        "recursive post-order over ids, reversed with a slice",
        Sol(
            "value",
            """
            order, visited = [], set()

            def dfs(node):
                if id(node) in visited:
                    return
                visited.add(id(node))
                for child in node._prev:
                    dfs(child)
                order.append(node)

            dfs(self)
            for node in order:
                node.grad = 0.0
            self.grad = 1.0
            for node in order[::-1]:
                node._backward()
            """,
            5,
        ),
    ),
    v(
        "expressions-ordereddict",
        E4,
        "the gradients stored in an OrderedDict, the expression built step by step",
        Sol(
            "expressions",
            """
            import collections

            x1, x2 = Value(1.5), Value(-0.5)
            w1, w2, b = Value(0.8), Value(-1.2), Value(0.1)
            z = w1 * x1 + w2 * x2 + b
            L = (z.tanh() - 0.5) ** 2
            L.backward()
            grads_neuron = collections.OrderedDict(w1=w1.grad, w2=w2.grad, b=b.grad)
            u, v = Value(-1.5), Value(2.0)
            g = (u * v + v**3).relu() + (u + v) * u
            g.backward()
            grads_g = dict(u=u.grad, v=v.grad)
            """,
        ),
    ),
    v(
        "jacobian-as-floats",
        E4,
        "the counts as floats",
        Sol("jacobian", "cost_jacobian_first = 2.0 * n**3 + n**2\ncost_vjp = 3.0 * n * n"),
    ),
    v(
        "answers-as-numpy-scalars",
        E4,
        "answers stored as numpy scalars: np.float64 gradients, an np.int64 count",
        Sol(
            "expressions",
            """
            x1, x2, w1, w2, b = Value(1.5), Value(-0.5), Value(0.8), Value(-1.2), Value(0.1)
            L = ((w1 * x1 + w2 * x2 + b).tanh() - 0.5) ** 2
            L.backward()
            grads_neuron = {k: np.float64(p.grad) for k, p in [("w1", w1), ("w2", w2), ("b", b)]}
            u, v = Value(-1.5), Value(2.0)
            g = (u * v + v**3).relu() + (u + v) * u
            g.backward()
            grads_g = {"u": np.float64(u.grad), "v": np.float64(v.grad)}
            """,
        ),
        Sol("jacobian", "cost_jacobian_first = 2 * n**3 + n**2\ncost_vjp = np.int64(3 * n**2)"),
    ),
)

MISTAKES_EX04 = (
    m(
        "autograd-mul-assigns",
        E4,
        "a * b's backward assigns instead of accumulating: blamed on *, not on backward()'s "
        "order (backward() and the expressions keep their points)",
        Sol("value", "self.grad = other.data * out.grad\nother.grad = self.data * out.grad", 1),
        {"test_add_mul": ("collects both shares",), "hidden_add_mul": ("never overwritten",)},
    ),
    m(
        "autograd-grads-not-reset",
        E4,
        "backward() does not reset the gradients: a second call adds to the first",
        Sol(
            "value",
            """
            order, visited = [], set()

            def build(node):
                if node not in visited:
                    visited.add(node)
                    for child in node._prev:
                        build(child)
                    order.append(node)

            build(self)
            self.grad = 1.0
            for node in reversed(order):
                node._backward()
            """,
            5,
        ),
        {"test_backward": ("reset every node's grad",), "hidden_backward": ("reset every node",)},
    ),
    m(
        "autograd-breadth-first",
        E4,
        "backward() visits the nodes breadth-first instead of in reverse topological order",
        Sol(
            "value",
            """
            order, seen = [self], {self}
            for node in order:
                for child in node._prev:
                    if child not in seen:
                        seen.add(child)
                        order.append(child)
            for node in order:
                node.grad = 0.0
            self.grad = 1.0
            for node in order:
                node._backward()
            """,
            5,
        ),
        {
            "test_backward": ("reverse topological order",),
            "hidden_backward": ("reverse topological order",),
        },
    ),
)

VARIANTS = VARIANTS_EX01 + VARIANTS_EX02 + VARIANTS_EX03 + VARIANTS_EX04
MISTAKES = MISTAKES_EX01 + MISTAKES_EX02 + MISTAKES_EX03 + MISTAKES_EX04
CASES = VARIANTS + MISTAKES
EXERCISES = (E1, E2, E3, E4)


# ------------------------------------------------------------------------------------------------
# building the class
# ------------------------------------------------------------------------------------------------
def source_notebook(exercise: str) -> NotebookNode:
    return nbformat.read(REPO / "solutions" / exercise / f"{exercise}.ipynb", as_version=4)


def _replace_region(source: str, region: int, code: str, where: str) -> str:
    lines = source.split("\n")
    begins = [i for i, ln in enumerate(lines) if ln.strip() == "### BEGIN SOLUTION"]
    ends = [i for i, ln in enumerate(lines) if ln.strip() == "### END SOLUTION"]
    if region >= len(begins):
        raise ValueError(f"{where}: no solution region {region}")
    start, end = begins[region], ends[region]
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    body = [indent + ln if ln.strip() else "" for ln in textwrap.dedent(code).strip().split("\n")]
    return "\n".join(lines[: start + 1] + body + lines[end:])


def apply(cases: list[Case], exercise: str) -> NotebookNode:
    """The source notebook of ``exercise`` with every case's edits applied."""
    nb = source_notebook(exercise)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    for case in cases:
        assert case.exercise == exercise, case.id
        for edit in case.edits:
            cell = cells[edit.cell]
            cell.source = _replace_region(cell.source, edit.region, edit.code, case.id)
    return nb


def pack(cases: tuple[Case, ...]) -> dict[str, list[Case]]:
    """Students of one exercise: ``{student id: cases}``, greedily, cases that touch different
    solution regions together; a mistake only with mistakes in other cells that fail other
    cells (two mistakes in one cell may interact: an autograd rule that assigns instead of
    adding hides a ``backward()`` that does not reset the gradients)."""
    students: list[list[Case]] = []
    for case in cases:
        for group in [] if case.judge_gap else students:
            if group[0].kind != case.kind or group[0].judge_gap:
                continue
            if any(c.regions & case.regions for c in group):
                continue
            cells = {e.cell for e in case.edits}
            if case.kind == "mistake" and any(
                set(c.fails) & set(case.fails) or {e.cell for e in c.edits} & cells for c in group
            ):
                continue
            group.append(case)
            break
        else:
            students.append([case])
    return {f"{group[0].kind}{i:02d}": group for i, group in enumerate(students)}


def classes() -> dict[str, dict[str, list[Case]]]:
    """``{exercise: {student id: cases}}`` for every exercise of the suite."""
    return {ex: pack(tuple(c for c in CASES if c.exercise == ex)) for ex in EXERCISES}
