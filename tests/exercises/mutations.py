"""Mutation testing of the exercises' hidden tests: a catalogue of student bugs and a runner.

Each :class:`Mutant` is a list of text replacements ``(notebook, cell grade_id, old, new)``
applied to a solution notebook. A **bug** must lose points on at least one hidden-test cell; a
**variant** (a different but correct implementation) must keep full marks.

The runner follows nbgrader's rule: a graded cell earns its points if and only if executing it
raises no error, with every cell of the notebook executed in order in a real IPython kernel
(errors do not stop the run, as in ``nbgrader autograde``). For speed, kernels are reused from a
small pool: before each notebook the user namespace is wiped (like ``%reset -f``); a kernel that
times out or dies is restarted. Set ``MUTATION_FRESH_KERNEL=1`` to start one kernel per mutant.

    python tests/exercises/mutations.py            # run the whole catalogue, print the score
"""

from __future__ import annotations

import os
import queue
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbformat.notebooknode import NotebookNode

REPO = Path(__file__).resolve().parents[2]
HIDDEN_MARK = "### BEGIN HIDDEN TESTS"


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` (which must occur exactly once) by ``new`` in one cell of a notebook."""

    notebook: str
    cell: str
    old: str
    new: str


@dataclass(frozen=True)
class Mutant:
    """Named edits; ``kind`` is ``"bug"`` (must lose points) or ``"variant"`` (must not)."""

    id: str
    kind: str
    description: str
    edits: tuple[Edit, ...]

    @property
    def notebook(self) -> str:
        return self.edits[0].notebook


def bug(id: str, notebook: str, cell: str, old: str, new: str, description: str) -> Mutant:
    return Mutant(id, "bug", description, (Edit(notebook, cell, old, new),))


def variant(id: str, description: str, *edits: tuple[str, str, str, str]) -> Mutant:
    return Mutant(id, "variant", description, tuple(Edit(*e) for e in edits))


E1, E2, E3, E4, E5 = "ex01_modules", "ex02_losses", "ex03_backprop", "ex04_autograd", "ex05_quiz"

BUGS: tuple[Mutant, ...] = (
    # --- ex01: Linear ---------------------------------------------------------------------------
    bug(
        "linear-weight-not-transposed",
        E1,
        "linear",
        "y = x @ self.weight.data.T",
        "y = x @ self.weight.data",
        "forward multiplies by W instead of W.T",
    ),
    bug(
        "linear-bias-grad-not-summed",
        E1,
        "linear",
        "self.bias.grad += grad_output.sum(axis=0)",
        "self.bias.grad = self.bias.grad + grad_output",
        "bias gradient not summed over the batch",
    ),
    bug(
        "linear-bias-grad-mean",
        E1,
        "linear",
        "grad_output.sum(axis=0)",
        "grad_output.mean(axis=0)",
        "bias gradient averaged instead of summed over the batch",
    ),
    bug(
        "linear-assign-not-accumulate",
        E1,
        "linear",
        "self.weight.grad += grad_output.T @ x",
        "self.weight.grad = grad_output.T @ x",
        "`=` instead of `+=` for the weight gradient",
    ),
    bug(
        "linear-returns-dW",
        E1,
        "linear",
        "return grad_output @ self.weight.data",
        "return grad_output.T @ x",
        "backward returns dW instead of dx",
    ),
    bug(
        "linear-dW-transposed",
        E1,
        "linear",
        "self.weight.grad += grad_output.T @ x",
        "self.weight.grad += x.T @ grad_output",
        "weight gradient computed as x.T @ g (transposed)",
    ),
    bug(
        "linear-float32-output",
        E1,
        "linear",
        "return y\n        ### END SOLUTION",
        "return y.astype(np.float32)\n        ### END SOLUTION",
        "forward returns float32 (precision lost)",
    ),
    # --- ex01: activations and Sequential -------------------------------------------------------
    bug(
        "relu-inplace-input",
        E1,
        "relu",
        "self._mask = x > 0\n        return np.maximum(x, 0.0)",
        "x[x < 0] = 0.0\n        self._mask = x > 0\n        return x",
        "ReLU edits its input in place",
    ),
    bug(
        "relu-derivative-one-at-zero",
        E1,
        "relu",
        "self._mask = x > 0",
        "self._mask = x >= 0",
        "dReLU(0) = 1",
    ),
    bug(
        "leaky-relu-zero-slope-backward",
        E1,
        "leaky_relu",
        "np.where(self._x > 0, 1.0, self.negative_slope)",
        "np.where(self._x > 0, 1.0, 0.0)",
        "LeakyReLU backward copied from ReLU (slope 0 for x <= 0)",
    ),
    bug(
        "leaky-relu-slope-one-at-zero",
        E1,
        "leaky_relu",
        "np.where(self._x > 0, 1.0, self.negative_slope)",
        "np.where(self._x >= 0, 1.0, self.negative_slope)",
        "LeakyReLU'(0) = 1 instead of its negative slope (the convention at the kink)",
    ),
    bug(
        "leaky-relu-hardcoded-slope",
        E1,
        "leaky_relu",
        "self.negative_slope * x",
        "0.01 * x",
        "LeakyReLU ignores its negative_slope argument",
    ),
    bug(
        "sigmoid-derivative-from-preactivation",
        E1,
        "sigmoid",
        "self._y = 1.0 / (1.0 + np.exp(-x))\n        return self._y\n        ### END SOLUTION\n\n"
        "    def backward(self, grad_output):\n        ### BEGIN SOLUTION\n        y = self._y",
        "self._x = x\n        self._y = 1.0 / (1.0 + np.exp(-x))\n        return self._y\n"
        "        ### END SOLUTION\n\n    def backward(self, grad_output):\n"
        "        ### BEGIN SOLUTION\n        y = self._x",
        "sigmoid derivative x(1 - x) from the pre-activation instead of the output",
    ),
    bug(
        "sigmoid-backward-overwrites-cache",
        E1,
        "sigmoid",
        "y = self._y\n        return grad_output * y * (1.0 - y)",
        "y = self._y\n        y *= 1.0 - y\n        return grad_output * y",
        "Sigmoid.backward multiplies the cached output in place: a second backward differs",
    ),
    bug(
        "tanh-derivative-wrong",
        E1,
        "tanh",
        "(1.0 - self._y**2)",
        "(1.0 - self._y) ** 2",
        "tanh derivative (1 - y)^2 instead of 1 - y^2",
    ),
    bug(
        "sequential-backward-not-reversed",
        E1,
        "sequential",
        "for layer in reversed(self.layers):",
        "for layer in self.layers:",
        "Sequential.backward walks the layers in forward order",
    ),
    bug(
        "sequential-backward-not-chained",
        E1,
        "sequential",
        "g = layer.backward(g)",
        "layer.backward(g)",
        "Sequential.backward does not pass the returned gradient on",
    ),
    bug(
        "linear-is-course-lib-reference",
        E1,
        "linear",
        "return grad_output @ self.weight.data\n        ### END SOLUTION",
        "return grad_output @ self.weight.data\n        ### END SOLUTION\n\n\n"
        "from course_lib.modules import Linear  # noqa: E402",
        "the graded Linear is course_lib's reference implementation (integrity)",
    ),
    # --- ex02: softmax and cross-entropy --------------------------------------------------------
    bug(
        "softmax-no-max-subtraction",
        E2,
        "softmax",
        "shifted = z - z.max(axis=1, keepdims=True)",
        "shifted = z",
        "softmax without subtracting the row maximum (overflows at logits of 1e4)",
    ),
    bug(
        "softmax-wrong-axis",
        E2,
        "softmax",
        "return e / e.sum(axis=1, keepdims=True)",
        "return e / e.sum(axis=0, keepdims=True)",
        "softmax normalises columns instead of rows",
    ),
    bug(
        "ce-grad-not-divided-by-batch",
        E2,
        "cross_entropy",
        "return grad / n",
        "return grad",
        "cross-entropy gradient not divided by the batch size",
    ),
    bug(
        "ce-log-of-naive-softmax",
        E2,
        "cross_entropy",
        "log_sum = np.log(np.exp(shifted).sum(axis=1, keepdims=True))\n"
        "        log_probs = shifted - log_sum",
        "probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)\n"
        "        log_probs = np.log(probs)",
        "cross-entropy as log(softmax) without the log-sum-exp trick",
    ),
    bug(
        "ce-probabilities-instead-of-logits",
        E2,
        "cross_entropy",
        "return float(-log_probs[rows, labels].mean())",
        "return float(-np.log(logits[rows, labels]).mean())",
        "cross-entropy treats the logits as probabilities",
    ),
    bug(
        "ce-backward-modifies-cached-probs",
        E2,
        "cross_entropy",
        "grad = self._probs.copy()",
        "grad = self._probs",
        "CrossEntropyLoss.backward subtracts the labels from its cached probabilities in place",
    ),
    bug(
        "ce-onehot-not-subtracted",
        E2,
        "cross_entropy",
        "grad[np.arange(n), self._labels] -= 1.0",
        "pass",
        "cross-entropy gradient softmax / N without subtracting the one-hot labels",
    ),
    # --- ex02: regression losses and KL ---------------------------------------------------------
    bug(
        "mse-divides-by-batch-not-size",
        E2,
        "mse",
        "return 2.0 * self._diff / self._diff.size",
        "return 2.0 * self._diff / self._diff.shape[0]",
        "MSE gradient divided by the batch size N instead of all N*K elements",
    ),
    bug(
        "mse-missing-factor-two",
        E2,
        "mse",
        "return 2.0 * self._diff / self._diff.size",
        "return self._diff / self._diff.size",
        "MSE gradient without the factor 2",
    ),
    bug(
        "huber-delta-misuse-in-linear-piece",
        E2,
        "huber",
        "d * (a - 0.5 * d)",
        "d * (a - 0.5)",
        "Huber linear piece delta(|r| - 1/2) instead of delta(|r| - delta/2)",
    ),
    bug(
        "huber-gradient-clipped-at-one",
        E2,
        "huber",
        "np.clip(self._r, -self.delta, self.delta)",
        "np.clip(self._r, -1.0, 1.0)",
        "Huber gradient clipped at 1 instead of delta",
    ),
    bug(
        "huber-quadratic-without-half",
        E2,
        "huber",
        "0.5 * r**2",
        "r**2",
        "Huber quadratic piece r^2 instead of r^2 / 2",
    ),
    bug(
        "kl-zero-target-gives-nan",
        E2,
        "kl_div",
        "log_t = np.log(np.where(positive, target, 1.0))\n"
        "        terms = np.where(positive, target * (log_t - log_q), 0.0)",
        "terms = target * (np.log(target) - log_q)",
        "KL divergence computes 0 * log 0 = nan",
    ),
    bug(
        "kl-summed-not-averaged",
        E2,
        "kl_div",
        "return float(terms.sum() / n)",
        "return float(terms.sum())",
        "KL divergence summed over the batch instead of averaged",
    ),
    bug(
        "kl-gradient-sign",
        E2,
        "kl_div",
        "(self._q - self._target)",
        "(self._target - self._q)",
        "KL gradient with the wrong sign",
    ),
    bug(
        "experiment-wrong-conclusion",
        E2,
        "experiment",
        'more_robust = "huber"',
        'more_robust = "mse"',
        "the outlier experiment's conclusion is wrong",
    ),
    # --- ex03 -----------------------------------------------------------------------------------
    bug(
        "mlp-relu-mask-from-wrong-layer",
        E3,
        "mlp",
        "g = self.act2.backward(g)",
        "g = self.act1.backward(g)",
        "the second ReLU's backward uses the first ReLU's mask",
    ),
    bug(
        "mlp-linear-bias-assign",
        E3,
        "modules",
        "self.bias.grad += grad_output.sum(axis=0)",
        "self.bias.grad = grad_output.sum(axis=0)",
        "`=` instead of `+=` for the bias gradient in the pasted Linear",
    ),
    bug(
        "mlp-backward-skips-first-relu",
        E3,
        "mlp",
        "g = self.act1.backward(g)\n        return",
        "return",
        "MLP.backward forgets the first ReLU (its gradient is not gated)",
    ),
    bug(
        "numgrad-forward-difference",
        E3,
        "numerical_gradient",
        "x[idx] = old - eps\n        f_minus = f(x)\n        x[idx] = old\n"
        "        grad[idx] = (f_plus - f_minus) / (2 * eps)",
        "x[idx] = old\n        f_minus = f(x)\n        grad[idx] = (f_plus - f_minus) / eps",
        "one-sided instead of central differences",
    ),
    bug(
        "numgrad-not-restored",
        E3,
        "numerical_gradient",
        "x[idx] = old\n        grad[idx]",
        "grad[idx]",
        "numerical_gradient leaves x perturbed",
    ),
    bug(
        "gradcheck-without-zero-grad",
        E3,
        "gradient_check",
        "model.zero_grad()\n    loss.forward",
        "loss.forward",
        "gradient_check keeps stale gradients",
    ),
    bug(
        "train-without-zero-grad",
        E3,
        "train",
        "model.zero_grad()\n            value",
        "value",
        "the training loop never resets the gradients",
    ),
    bug(
        "train-gradient-ascent",
        E3,
        "train",
        "p.data -= lr * p.grad",
        "p.data += lr * p.grad",
        "the update goes up the gradient",
    ),
    bug(
        "train-epoch-loss-last-batch",
        E3,
        "train",
        "history.append(total / n)",
        "history.append(value)",
        "the epoch loss reported is the last mini-batch's loss",
    ),
    Mutant(
        "train-epoch-loss-unweighted-mean",
        "bug",
        "the epoch loss is the plain mean of the mini-batch losses (a smaller last batch "
        "counts as much as a full one)",
        (
            Edit(E3, "train", "total += value * len(idx)", "total += value"),
            Edit(
                E3,
                "train",
                "history.append(total / n)",
                "history.append(total / len(range(0, n, size)))",
            ),
        ),
    ),
    # --- ex04 -----------------------------------------------------------------------------------
    bug(
        "autograd-topological-sort-skipped",
        E4,
        "value",
        "order, visited = [], set()\n        stack = [(self, False)]\n"
        "        while stack:  # iterative depth-first search, post-order\n"
        "            node, expanded = stack.pop()\n            if expanded:\n"
        "                order.append(node)\n            elif node not in visited:\n"
        "                visited.add(node)\n                stack.append((node, True))\n"
        "                stack.extend((child, False) for child in node._prev)\n"
        "        for node in order:\n            node.grad = 0.0\n        self.grad = 1.0\n"
        "        for node in reversed(order):\n            node._backward()",
        "order, seen = [self], {self}\n"
        "        for node in order:  # breadth-first, no topological sort\n"
        "            for child in node._prev:\n                if child not in seen:\n"
        "                    seen.add(child)\n                    order.append(child)\n"
        "        for node in order:\n            node.grad = 0.0\n        self.grad = 1.0\n"
        "        for node in order:\n            node._backward()",
        "backward visits the nodes breadth-first instead of in reverse topological order",
    ),
    bug(
        "autograd-grads-not-reset",
        E4,
        "value",
        "for node in order:\n            node.grad = 0.0\n",
        "",
        "a second backward() doubles the gradients",
    ),
    bug(
        "autograd-root-not-seeded",
        E4,
        "value",
        "self.grad = 1.0\n        for node in reversed(order)",
        "for node in reversed(order)",
        "backward() never sets the root's gradient to 1",
    ),
    bug(
        "autograd-add-assign",
        E4,
        "value",
        "self.grad += out.grad\n            other.grad += out.grad",
        "self.grad = out.grad\n            other.grad = out.grad",
        "`=` instead of `+=` in the addition's backward",
    ),
    bug(
        "autograd-mul-wrong-operand",
        E4,
        "value",
        "self.grad += other.data * out.grad",
        "self.grad += self.data * out.grad",
        "d(ab)/da = a instead of b",
    ),
    bug(
        "autograd-pow-wrong-exponent",
        E4,
        "value",
        "n * self.data ** (n - 1)",
        "n * self.data**n",
        "d(a^n)/da = n a^n",
    ),
    bug(
        "autograd-tanh-from-input",
        E4,
        "value",
        "(1.0 - out.data**2)",
        "(1.0 - self.data**2)",
        "tanh derivative from the pre-activation instead of the output",
    ),
    bug(
        "autograd-relu-kink",
        E4,
        "value",
        "(1.0 if self.data > 0 else 0.0)",
        "(1.0 if self.data >= 0 else 0.0)",
        "relu'(0) = 1",
    ),
    bug(
        "autograd-value-is-reference",
        E4,
        "value",
        'return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"',
        'return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"\n\n\n'
        "from course_lib.autograd import Value  # noqa: E402",
        "the graded Value is course_lib's reference engine (integrity)",
    ),
    bug(
        "jacobian-cost-forgets-gradient",
        E4,
        "jacobian",
        "cost_jacobian_first = 2 * n**3 + n**2",
        "cost_jacobian_first = 2 * n**3",
        "the Jacobian-first count forgets the final g^T J product",
    ),
    # --- ex05 -----------------------------------------------------------------------------------
    bug("quiz-wrong-choice", E5, "q03", "q03 = 'b'", "q03 = 'a'", "a wrong multiple-choice answer"),
    bug(
        "quiz-numeric-missing-chain-factor",
        E5,
        "q12",
        "q12 = 2 * (2 * 3 - 1 - 4) * 3",
        "q12 = 2 * (2 * 3 - 1 - 4)",
        "a numeric answer that forgets the inner derivative",
    ),
)

VARIANTS: tuple[Mutant, ...] = (
    variant(
        "linear-einsum",
        "Linear forward and dW with np.einsum",
        (
            E1,
            "linear",
            "y = x @ self.weight.data.T",
            'y = np.einsum("nd,md->nm", x, self.weight.data)',
        ),
        (
            E1,
            "linear",
            "self.weight.grad += grad_output.T @ x",
            'self.weight.grad += np.einsum("nm,nd->md", grad_output, x)',
        ),
    ),
    variant(
        "linear-loop-over-features",
        "dW accumulated with a loop over output features",
        (
            E1,
            "linear",
            "self.weight.grad += grad_output.T @ x",
            "for j in range(self.out_features):\n"
            "            self.weight.grad[j] += grad_output[:, j] @ x",
        ),
    ),
    variant(
        "relu-float32-mask",
        "ReLU caches a float32 mask (exact 0/1)",
        (E1, "relu", "self._mask = x > 0", "self._mask = (x > 0).astype(np.float32)"),
    ),
    variant(
        "sigmoid-via-tanh",
        "sigmoid(x) = (1 + tanh(x/2)) / 2",
        (
            E1,
            "sigmoid",
            "self._y = 1.0 / (1.0 + np.exp(-x))",
            "self._y = 0.5 * (1.0 + np.tanh(0.5 * x))",
        ),
    ),
    variant(
        "tanh-via-exp",
        "tanh from exponentials",
        (
            E1,
            "tanh",
            "self._y = np.tanh(x)",
            "e = np.exp(2.0 * x)\n        self._y = (e - 1.0) / (e + 1.0)",
        ),
    ),
    variant(
        "sequential-reduce",
        "Sequential.forward with functools.reduce",
        (
            E1,
            "sequential",
            "for layer in self.layers:\n            x = layer.forward(x)\n        return x",
            "import functools\n\n"
            "        return functools.reduce(lambda h, layer: layer.forward(h), self.layers, x)",
        ),
    ),
    variant(
        "ce-logaddexp",
        "cross-entropy with np.logaddexp.reduce",
        (
            E2,
            "cross_entropy",
            "log_sum = np.log(np.exp(shifted).sum(axis=1, keepdims=True))",
            "log_sum = np.logaddexp.reduce(shifted, axis=1, keepdims=True)",
        ),
    ),
    variant(
        "softmax-via-logsumexp",
        "softmax as exp(z - logsumexp(z))",
        (
            E2,
            "softmax",
            "e = np.exp(shifted)\n    return e / e.sum(axis=1, keepdims=True)",
            "return np.exp(shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)))",
        ),
    ),
    variant(
        "huber-min-trick",
        "Huber as q^2/2 + delta(|r| - q) with q = min(|r|, delta)",
        (
            E2,
            "huber",
            "per_element = np.where(a <= d, 0.5 * r**2, d * (a - 0.5 * d))",
            "q = np.minimum(a, d)\n        per_element = 0.5 * q**2 + d * (a - q)",
        ),
    ),
    variant(
        "mse-einsum-float32-free",
        "MSE value via einsum",
        (
            E2,
            "mse",
            "return float(np.mean(diff**2))",
            'return float(np.einsum("ij,ij->", diff, diff) / diff.size)',
        ),
    ),
    variant(
        "mlp-layer-loop",
        "MLP forward/backward as loops over its layers",
        (
            E3,
            "mlp",
            "h = self.act1.forward(self.fc1.forward(x))\n"
            "        h = self.act2.forward(self.fc2.forward(h))\n"
            "        return self.fc3.forward(h)",
            "for layer in (self.fc1, self.act1, self.fc2, self.act2, self.fc3):\n"
            "            x = layer.forward(x)\n        return x",
        ),
        (
            E3,
            "mlp",
            "g = self.fc3.backward(grad_output)\n        g = self.act2.backward(g)\n"
            "        g = self.fc2.backward(g)\n        g = self.act1.backward(g)\n"
            "        return self.fc1.backward(g)",
            "g = grad_output\n"
            "        for layer in (self.fc3, self.act2, self.fc2, self.act1, self.fc1):\n"
            "            g = layer.backward(g)\n        return g",
        ),
    ),
    variant(
        "numgrad-flat-index",
        "numerical_gradient over x.flat",
        (
            E3,
            "numerical_gradient",
            "grad = np.zeros_like(x)\n    for idx in np.ndindex(x.shape):\n        old = x[idx]\n"
            "        x[idx] = old + eps\n        f_plus = f(x)\n        x[idx] = old - eps\n"
            "        f_minus = f(x)\n        x[idx] = old\n"
            "        grad[idx] = (f_plus - f_minus) / (2 * eps)",
            "grad = np.empty(x.shape)\n    for i in range(x.size):\n        old = x.flat[i]\n"
            "        x.flat[i] = old + eps\n        f_plus = f(x)\n        x.flat[i] = old - eps\n"
            "        f_minus = f(x)\n        x.flat[i] = old\n"
            "        grad.flat[i] = (f_plus - f_minus) / (2 * eps)",
        ),
    ),
    variant(
        "train-epoch-loss-np-average",
        "the epoch loss as np.average of the mini-batch losses weighted by their sizes",
        (E3, "train", "total = 0.0", "losses, sizes = [], []"),
        (
            E3,
            "train",
            "total += value * len(idx)",
            "losses.append(value)\n            sizes.append(len(idx))",
        ),
        (
            E3,
            "train",
            "history.append(total / n)",
            "history.append(float(np.average(losses, weights=sizes)))",
        ),
    ),
    variant(
        "autograd-recursive-topo",
        "micrograd's recursive topological sort",
        (
            E4,
            "value",
            "order, visited = [], set()\n        stack = [(self, False)]\n"
            "        while stack:  # iterative depth-first search, post-order\n"
            "            node, expanded = stack.pop()\n            if expanded:\n"
            "                order.append(node)\n            elif node not in visited:\n"
            "                visited.add(node)\n                stack.append((node, True))\n"
            "                stack.extend((child, False) for child in node._prev)",
            "order, visited = [], set()\n\n        def build(v):\n"
            "            if v not in visited:\n"
            "                visited.add(v)\n                for child in v._prev:\n"
            "                    build(child)\n                order.append(v)\n\n"
            "        build(self)",
        ),
    ),
    variant(
        "autograd-tanh-recomputed",
        "tanh derivative recomputed from the input",
        (E4, "value", "(1.0 - out.data**2)", "(1.0 - math.tanh(self.data) ** 2)"),
    ),
    variant(
        "quiz-answer-formats",
        "upper case letter with spaces, a rounded number",
        (E5, "q03", "q03 = 'b'", 'q03 = " B "'),
        (
            E5,
            "q14",
            "q14 = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)",
            "q14 = 0.1438",
        ),
    ),
)

CATALOGUE: tuple[Mutant, ...] = BUGS + VARIANTS


# ------------------------------------------------------------------------------------------------
# applying mutants
# ------------------------------------------------------------------------------------------------
def source_notebook(exercise: str, root: Path = REPO) -> NotebookNode:
    """The nbgrader source notebook ``solutions/<exercise>/<exercise>.ipynb``."""
    return nbformat.read(root / "solutions" / exercise / f"{exercise}.ipynb", as_version=4)


def _cell(nb: NotebookNode, grade_id: str) -> NotebookNode:
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return cell
    raise KeyError(f"no cell with grade_id {grade_id!r}")


def apply(mutant: Mutant, root: Path = REPO) -> NotebookNode:
    """The mutated source notebook; each ``old`` must occur exactly once in its cell."""
    nb = source_notebook(mutant.notebook, root)
    for edit in mutant.edits:
        if edit.notebook != mutant.notebook:
            raise ValueError(f"{mutant.id}: all edits must target {mutant.notebook}")
        cell = _cell(nb, edit.cell)
        count = cell.source.count(edit.old)
        if count != 1:
            raise ValueError(
                f"{mutant.id}: {edit.old!r} occurs {count} times in cell {edit.cell!r}, expected 1"
            )
        cell.source = cell.source.replace(edit.old, edit.new)
    return nb


def graded_cells(nb: NotebookNode) -> dict[str, tuple[float, bool]]:
    """``{grade_id: (points, is_hidden)}`` of the graded cells, in notebook order."""
    out = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and cell.cell_type == "code":
            out[meta["grade_id"]] = (float(meta.get("points", 0)), HIDDEN_MARK in cell.source)
    return out


# ------------------------------------------------------------------------------------------------
# executing notebooks
# ------------------------------------------------------------------------------------------------
@dataclass
class Result:
    """Outcome of executing one notebook: errors per graded cell and the resulting scores."""

    errors: dict[str, str] = field(default_factory=dict)  # grade_id -> "Name: message"
    scores: dict[str, float] = field(default_factory=dict)
    max_scores: dict[str, float] = field(default_factory=dict)
    hidden: set[str] = field(default_factory=set)
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(self.scores.values())

    @property
    def max_score(self) -> float:
        return sum(self.max_scores.values())

    @property
    def hidden_lost(self) -> list[str]:
        """Hidden-test cells that lost their points."""
        return [g for g in self.hidden if self.scores[g] < self.max_scores[g]]


# What ``%reset -f`` does to the user namespace, without its slow history and gc work.
_RESET = (
    "(lambda ip: [ip.user_ns.pop(k) for k in list(ip.user_ns)"
    " if k not in ip.user_ns_hidden and not k.startswith('__')])(get_ipython())"
)


class Kernel:
    """One IPython kernel executing notebooks cell by cell, like ``nbgrader autograde``."""

    def __init__(self, cwd: Path, timeout: float = 120.0) -> None:
        self.cwd = Path(cwd)
        self.timeout = timeout
        self.km: KernelManager | None = None
        self.kc = None
        self.used = False

    def start(self) -> None:
        self.km = KernelManager(kernel_name="python3")
        # The kernel must import the course_lib of this checkout, whatever is installed.
        path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
        env = dict(
            os.environ, MPLBACKEND="Agg", PYTHONPATH=path, PYDEVD_DISABLE_FILE_VALIDATION="1"
        )
        self.km.start_kernel(
            cwd=str(self.cwd), env=env, extra_arguments=["--HistoryManager.enabled=False"]
        )
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)
        self.used = False

    def stop(self) -> None:
        if self.kc is not None:
            self.kc.stop_channels()
        if self.km is not None and self.km.has_kernel:
            self.km.shutdown_kernel(now=True)
        self.km = self.kc = None

    def _run(self, code: str, timeout: float) -> tuple[str, str | None]:
        """Execute ``code``; return (status, "EName: value" or None). Raises TimeoutError."""
        assert self.kc is not None
        msg_id = self.kc.execute(code, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + timeout
        error = None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            try:
                msg = self.kc.get_iopub_msg(timeout=remaining)
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "error":
                error = f"{msg['content']['ename']}: {msg['content']['evalue']}"
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                break
        reply = self.kc.get_shell_msg(timeout=max(1.0, deadline - time.monotonic()))
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.kc.get_shell_msg(timeout=max(1.0, deadline - time.monotonic()))
        status = reply["content"]["status"]
        if status == "error" and error is None:
            error = f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}"
        return status, error

    def run_notebook(self, nb: NotebookNode) -> Result:
        """Execute every code cell in order (errors do not stop the run); score graded cells."""
        if self.km is None or not self.km.is_alive():
            self.stop()
            self.start()
        if self.used:
            self._run(_RESET, 60)
        self.used = True
        result = Result()
        for gid, (points, is_hidden) in graded_cells(nb).items():
            result.max_scores[gid] = points
            if is_hidden:
                result.hidden.add(gid)
        start = time.monotonic()
        timed_out = False
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if timed_out:
                error = "TimeoutError: an earlier cell timed out"
            else:
                try:
                    _, error = self._run(cell.source, self.timeout)
                except TimeoutError:
                    error = f"TimeoutError: cell ran longer than {self.timeout} s"
                    timed_out = True
            if gid in result.max_scores:
                result.scores[gid] = 0.0 if error else result.max_scores[gid]
                if error:
                    result.errors[gid] = error
        result.seconds = time.monotonic() - start
        if timed_out:
            self.stop()
        return result


@contextmanager
def kernel(cwd: Path, timeout: float = 120.0) -> Iterator[Kernel]:
    """A started :class:`Kernel`, stopped on exit."""
    k = Kernel(cwd, timeout)
    k.start()
    try:
        yield k
    finally:
        k.stop()


def run_mutant(k: Kernel, mutant: Mutant, root: Path = REPO) -> Result:
    """Apply ``mutant`` to its solution notebook and execute it in ``k``."""
    nb = apply(mutant, root)
    if os.environ.get("MUTATION_FRESH_KERNEL"):
        k.stop()
        k.start()
    return k.run_notebook(nb)


def main() -> int:
    """Run the whole catalogue in one kernel and print the mutation score."""
    import tempfile

    killed, kept, failures = 0, 0, []
    with tempfile.TemporaryDirectory() as tmp, kernel(Path(tmp)) as k:
        for m in CATALOGUE:
            r = run_mutant(k, m)
            lost = r.hidden_lost
            ok = bool(lost) if m.kind == "bug" else r.score == r.max_score
            status = "killed" if m.kind == "bug" and ok else "kept" if ok else "FAILED"
            killed += m.kind == "bug" and ok
            kept += m.kind == "variant" and ok
            if not ok:
                failures.append(m.id)
            print(
                f"{status:>6} {m.kind:7} {m.id:42} {r.score:5.1f}/{r.max_score:<5.1f} "
                f"{r.seconds:5.1f}s {', '.join(lost)}"
            )
    print(
        f"mutation score: {killed}/{len(BUGS)} bugs killed; "
        f"{kept}/{len(VARIANTS)} correct variants kept full marks"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
