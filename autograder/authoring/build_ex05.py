"""Source notebook of exercise 5: a graded quiz of 16 new questions (answer key in hidden tests).

Run ``python -m autograder.authoring ex05_quiz`` to rewrite ``solutions/ex05_quiz``.

None of these questions is one of the lecture's 46 (whose answers are public in the quiz bank).
Multiple-choice answers are a letter; numeric answers are checked with a tolerance.
"""

# Cell sources are embedded as the notebook shows them (markdown tables, test code).
# ruff: noqa: E501

from __future__ import annotations

from dataclasses import dataclass

from nbformat.notebooknode import NotebookNode

from .cells import hidden, markdown, notebook, readonly, solution

EXERCISE = "ex05_quiz"


@dataclass(frozen=True)
class Choice:
    """A multiple-choice question: four options, the key is a letter."""

    text: str
    options: tuple[str, str, str, str]
    key: str


@dataclass(frozen=True)
class Numeric:
    """A numeric question; ``answer`` is checked with ``|a - e| <= rtol |e| (+ 1e-9)``."""

    text: str
    answer: float
    rtol: float = 1e-3
    solution: str = ""


QUESTIONS: tuple[Choice | Numeric, ...] = (
    Choice(
        r"A `Linear` layer maps a batch of shape `(N, 128)` to `(N, 64)` and stores its weight "
        r"as in PyTorch. What is the shape of `weight.grad` after a backward pass?",
        ("`(128, 64)`", "`(N, 64)`", "`(64, 128)`", "`(64,)`"),
        "c",
    ),
    Choice(
        r"In this course a ReLU unit whose input is **exactly** $0$ receives an upstream gradient "
        r"$g$. What does its `backward` pass on?",
        (
            "$g$, the full upstream gradient",
            "$g / 2$, the average of the two one-sided slopes",
            "nothing: it raises an error, the derivative is undefined",
            "$0$, as for an inactive unit",
        ),
        "d",
    ),
    Choice(
        r"A softmax written as `np.exp(z) / np.exp(z).sum()` receives the float64 logits "
        r"`z = [1000.0, 0.0]`. What does it return?",
        ("`[1.0, 0.0]`", "`[nan, 0.0]`", "`[0.5, 0.5]`", "it raises `OverflowError`"),
        "b",
    ),
    Choice(
        r"Every logit of a classifier is multiplied by $2$ before the softmax. Which statement "
        r"is true for every input?",
        (
            "the most likely class is unchanged and the distribution becomes sharper",
            "the most likely class is unchanged and the distribution becomes flatter",
            "the most likely class may change",
            "the probabilities do not change, softmax is scale invariant",
        ),
        "a",
    ),
    Choice(
        r"For the cross-entropy averaged over a batch of $N$ samples, what is "
        r"$\partial L / \partial z_n$, the gradient with respect to the logits of sample $n$ "
        r"($p_n = \mathrm{softmax}(z_n)$)?",
        (
            r"$p_n - \mathrm{onehot}(y_n)$",
            r"$-1 / p_{n, y_n}$",
            r"$\mathrm{onehot}(y_n) - p_n$",
            r"$(p_n - \mathrm{onehot}(y_n)) / N$",
        ),
        "d",
    ),
    Choice(
        r"In reverse-mode automatic differentiation, a variable feeds two different nodes. Its "
        r"gradient is",
        (
            "the gradient coming from the node processed last",
            "the product of the two incoming gradients",
            "the sum of the two incoming gradients",
            "the mean of the two incoming gradients",
        ),
        "c",
    ),
    Choice(
        r"Why does `backward()` visit the nodes of a computational graph in **reverse "
        r"topological** order?",
        (
            "to use less memory than the forward pass",
            "so that a node's gradient is complete before it is passed on to its inputs",
            "because the forward order of a graph is not defined",
            "to avoid dividing by zero in the local derivatives",
        ),
        "b",
    ),
    Choice(
        r"For the Huber loss with $\delta = 1$, a single residual $r = p - t = 10$ contributes "
        r"$\partial \ell / \partial p$ equal to",
        ("$10$", "$20$", "$1$", "$0$"),
        "c",
    ),
    Numeric(
        r"How many trainable parameters (weights **and** biases) does an MLP "
        r"$784 \to 256 \to 10$ have?",
        203530,
        rtol=1e-9,
        solution="784 * 256 + 256 + 256 * 10 + 10",
    ),
    Numeric(
        r"The logits $z = (2, 0, 0)$ belong to a sample of class $0$. What is its cross-entropy "
        r"loss (natural logarithm)?",
        0.23954476622188453,
        solution="math.log(math.exp(2) + 2) - 2",
    ),
    Numeric(
        r"What is the derivative of $f(x) = \tanh(2x)$ at $x = 0.5$?",
        0.8399486832280523,
        solution="2 * (1 - math.tanh(1.0) ** 2)",
    ),
    Numeric(
        r"For $L = (w x + b - t)^2$ with $w = 2$, $x = 3$, $b = -1$, $t = 4$: what is "
        r"$\partial L / \partial w$?",
        6.0,
        solution="2 * (2 * 3 - 1 - 4) * 3",
    ),
    Numeric(
        r"With $a = 2$ and $b = -3$, the graph computes $c = a b + a$ ($a$ is used twice). "
        r"What is $\partial c / \partial a$?",
        -2.0,
        solution="-3 + 1",
    ),
    Numeric(
        r"What is the KL divergence $\mathrm{KL}(t \,\|\, q)$ in nats from "
        r"$t = (0.5, 0.5)$ to $q = (0.25, 0.75)$?",
        0.14384103622589042,
        solution="0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)",
    ),
    Numeric(
        r"An elementwise ReLU maps $\mathbb{R}^{1000} \to \mathbb{R}^{1000}$. At most how many "
        r"entries of its $1000 \times 1000$ Jacobian are non-zero?",
        1000,
        rtol=1e-9,
        solution="1000",
    ),
    Numeric(
        r"What is the mean squared error (mean over all elements) between the prediction "
        r"$(1, 2, 3)$ and the target $(1, 0, 0)$?",
        13 / 3,
        solution="(0**2 + 2**2 + 3**2) / 3",
    ),
)


def _question_md(i: int, q: Choice | Numeric) -> str:
    kind = "multiple choice" if isinstance(q, Choice) else "numeric"
    lines = [f"### Question {i} ({kind}, 1 point)", "", q.text]
    if isinstance(q, Choice):
        lines.append("")
        lines += [f"* **{letter})** {opt}" for letter, opt in zip("abcd", q.options, strict=True)]
        lines += ["", f'Answer with a letter, e.g. `q{i:02d} = "a"`.']
    else:
        lines += ["", f"Answer with a number (a Python expression is fine), e.g. `q{i:02d} = 0.5`."]
    return "\n".join(lines)


def build() -> NotebookNode:
    """Return the nbgrader source notebook of exercise 5 (16 points, 1 per question)."""
    cells = [
        markdown(
            r"""
            # Exercise 5: quiz

            Sixteen questions on modules, activations, cost functions, the chain rule and
            backpropagation, 1 point each. They are new: none of them is in the lecture's
            question bank. Some ask for a **letter** (multiple choice), others for a **number**
            (a gradient, a loss value, a count...). For numbers a relative error of $10^{-3}$ is
            accepted (exact counts must be exact); you may write a Python expression, such as
            `q10 = math.log(3)`. Work them out on paper or in a scratch cell, then store your
            answer in the variable of the question.

            The cell after each answer only checks the **form** of your answer here; whether it
            is right is decided at grading.
            """,
            id="intro",
        ),
        readonly(
            """
            import math

            from course_lib.testing import assert_choice_format, assert_number_format
            """,
            id="setup",
        ),
    ]
    for i, q in enumerate(QUESTIONS, start=1):
        var = f"q{i:02d}"
        cells.append(markdown(_question_md(i, q), id=f"md-{var}"))
        if isinstance(q, Choice):
            answer = repr(q.key)
            visible = f'assert_choice_format({var}, name="{var}")'
            check = f'ct.assert_choice({var}, {q.key!r}, name="{var}")'
        else:
            answer = q.solution or repr(q.answer)
            visible = f'assert_number_format({var}, name="{var}")'
            check = f'ct.assert_number_close({var}, {q.answer!r}, name="{var}", rtol={q.rtol!r})'
        cells.append(
            solution(
                f"""
                ### BEGIN SOLUTION
                {var} = {answer}
                ### END SOLUTION
                """,
                id=var,
            )
        )
        cells.append(
            hidden(
                f"""
                def _hidden_test():
                    from course_lib import testing as ct

                    {check}


                _hidden_test()
                del _hidden_test
                """,
                id=f"check_{var}",
                points=1,
                visible=visible,
            )
        )
    return notebook(cells)
