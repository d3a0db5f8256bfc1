"""Source notebook of exercise 4: a scalar autograd engine (``Value``) and the cost of Jacobians.

Run ``python -m autograder.authoring ex04_autograd`` to rewrite ``solutions/ex04_autograd``.
"""

# Cell sources are embedded as the notebook shows them (markdown tables, test code).
# ruff: noqa: E501

from __future__ import annotations

from nbformat.notebooknode import NotebookNode

from .cells import hidden, markdown, notebook, readonly, solution, tests

EXERCISE = "ex04_autograd"

# A random expression DAG built in lockstep from the student's Value and the reference Value.
_RANDOM_GRAPHS = """
def random_graphs(V, R, seed, n_graphs=6, n_ops=40):
    # Yield (name, student leaves, reference leaves, student root, reference root).
    import numpy as np

    rng = np.random.default_rng(seed)
    for k in range(n_graphs):
        start = rng.uniform(-1.5, 1.5, size=3)
        s_nodes = [V(float(v)) for v in start]
        r_nodes = [R(float(v)) for v in start]
        leaves = (list(s_nodes), list(r_nodes))
        for _ in range(n_ops):
            i, j = rng.integers(0, len(s_nodes), size=2)
            a, b = s_nodes[i], s_nodes[j]
            ra, rb = r_nodes[i], r_nodes[j]
            op = rng.choice(["add", "mul", "pow", "tanh", "relu", "addc", "mulc"])
            if op == "mul" and abs(ra.data * rb.data) > 4:
                op = "tanh"
            if op == "pow" and abs(ra.data) > 1.5:
                op = "tanh"
            if op == "relu" and abs(ra.data) < 1e-3:
                op = "tanh"
            if op == "add":
                s, r = a + b, ra + rb
            elif op == "mul":
                s, r = a * b, ra * rb
            elif op == "pow":
                n = int(rng.choice([2, 3]))
                s, r = a**n, ra**n
            elif op == "tanh":
                s, r = a.tanh(), ra.tanh()
            elif op == "relu":
                s, r = a.relu(), ra.relu()
            elif op == "addc":
                c = float(rng.uniform(-1, 1))
                s, r = a + c, ra + c
            else:
                c = float(rng.uniform(-1, 1))
                s, r = a * c, ra * c
            s_nodes.append(s)
            r_nodes.append(r)
        # The root sums a few late nodes so that many paths meet (shared subexpressions).
        s_root, r_root = s_nodes[-1], r_nodes[-1]
        for idx in rng.integers(3, len(s_nodes), size=4):
            s_root, r_root = s_root + s_nodes[idx], r_root + r_nodes[idx]
        yield f"random graph #{k} (seed {seed})", leaves[0], leaves[1], s_root, r_root
"""


def build() -> NotebookNode:
    """Return the nbgrader source notebook of exercise 4 (about 15 points)."""
    cells = [
        markdown(
            r"""
            # Exercise 4: an autograd engine for scalars

            Backpropagation is not tied to layers: any computation made of simple operations can
            be differentiated automatically. You now write a tiny **reverse-mode automatic
            differentiation** engine (in the spirit of micrograd). A `Value` wraps one number;
            arithmetic on values records a computational graph, and `backward()` applies the
            chain rule node by node from the output back to the inputs.

            1. the local backward rules of `+` and `*` (3 points),
            2. the local backward rules of `**`, `tanh` and `relu` (4 points),
            3. `backward()`: a topological order, then the chain rule (4 points),
            4. gradients of two given expressions (2 points),
            5. a question on the cost of Jacobians versus vector-Jacobian products (2 points).

            Hidden tests compare your gradients with the reference engine on random graphs with
            shared subexpressions and call `backward()` twice. Do not import
            `course_lib.autograd` (the reference): graded code must be your own.
            """,
            id="intro",
        ),
        readonly(
            """
            import math

            import numpy as np

            from course_lib.testing import assert_scalar_close
            """,
            id="setup",
        ),
        markdown(
            r"""
            ## 1. Local derivatives

            Every operation creates a new node `out` that remembers its inputs (`_prev`) and a
            closure `_backward`. After `out.grad` $= \partial L / \partial\, \mathrm{out}$ is
            known, `out._backward()` **adds** each input's share:

            $$\texttt{a.grad} \mathrel{+}= \frac{\partial\, \mathrm{out}}{\partial a}\cdot
            \texttt{out.grad} .$$

            | operation | $\partial\,\mathrm{out} / \partial a$ | $\partial\,\mathrm{out} / \partial b$ |
            |---|---|---|
            | $a + b$ | $1$ | $1$ |
            | $a \cdot b$ | $b$ | $a$ |
            | $a^n$ ($n$ a constant) | $n\,a^{n-1}$ | |
            | $\tanh(a)$ | $1 - \tanh^2(a) = 1 - \mathrm{out}^2$ | |
            | $\mathrm{relu}(a)$ | $1$ if $a > 0$ else $0$ | |

            Why `+=` and not `=`? A value used twice (in `a * a`, or `a + a`, or by two later
            nodes) must receive the **sum** of the gradients from every use: that is the
            multivariate chain rule. Subtraction, negation and division are given; they are
            built from the graded operations.
            """,
            id="md-local",
        ),
        solution(
            '''
            class Value:
                """A scalar node of a computational graph: .data (float) and .grad (float)."""

                def __init__(self, data, _children=(), _op=""):
                    self.data = float(data)
                    self.grad = 0.0
                    self._backward = lambda: None  # a leaf has nothing to pass on
                    self._prev = tuple(_children)
                    self._op = _op

                def __add__(self, other):
                    other = other if isinstance(other, Value) else Value(other)
                    out = Value(self.data + other.data, (self, other), "+")

                    def _backward():
                        ### BEGIN SOLUTION
                        self.grad += out.grad
                        other.grad += out.grad
                        ### END SOLUTION

                    out._backward = _backward
                    return out

                def __mul__(self, other):
                    other = other if isinstance(other, Value) else Value(other)
                    out = Value(self.data * other.data, (self, other), "*")

                    def _backward():
                        ### BEGIN SOLUTION
                        self.grad += other.data * out.grad
                        other.grad += self.data * out.grad
                        ### END SOLUTION

                    out._backward = _backward
                    return out

                def __pow__(self, n):
                    assert isinstance(n, (int, float)), "only constant exponents"
                    out = Value(self.data**n, (self,), f"**{n}")

                    def _backward():
                        ### BEGIN SOLUTION
                        self.grad += n * self.data ** (n - 1) * out.grad
                        ### END SOLUTION

                    out._backward = _backward
                    return out

                def tanh(self):
                    out = Value(math.tanh(self.data), (self,), "tanh")

                    def _backward():
                        ### BEGIN SOLUTION
                        self.grad += (1.0 - out.data**2) * out.grad
                        ### END SOLUTION

                    out._backward = _backward
                    return out

                def relu(self):
                    out = Value(self.data if self.data > 0 else 0.0, (self,), "relu")

                    def _backward():
                        ### BEGIN SOLUTION
                        self.grad += (1.0 if self.data > 0 else 0.0) * out.grad
                        ### END SOLUTION

                    out._backward = _backward
                    return out

                def backward(self):
                    """Set .grad of every node of the graph to d(self)/d(node)."""
                    ### BEGIN SOLUTION
                    order, visited = [], set()
                    stack = [(self, False)]
                    while stack:  # iterative depth-first search, post-order
                        node, expanded = stack.pop()
                        if expanded:
                            order.append(node)
                        elif node not in visited:
                            visited.add(node)
                            stack.append((node, True))
                            stack.extend((child, False) for child in node._prev)
                    for node in order:
                        node.grad = 0.0
                    self.grad = 1.0
                    for node in reversed(order):
                        node._backward()
                    ### END SOLUTION

                # Given: operations built from the ones above.
                def __neg__(self):
                    return self * -1.0

                def __sub__(self, other):
                    return self + (-other)

                def __truediv__(self, other):
                    return self * other**-1

                def __radd__(self, other):
                    return self + other

                def __rmul__(self, other):
                    return self * other

                def __rsub__(self, other):
                    return (-self) + other

                def __rtruediv__(self, other):
                    return Value(other) * self**-1

                def __repr__(self):
                    return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"
            ''',
            id="value",
        ),
        tests(
            """
            a, b = Value(2.0), Value(-3.0)
            c = a * b
            c.grad = 1.0
            c._backward()
            assert_scalar_close(a.grad, -3.0, name="d(a*b)/da", hint="d(a*b)/da = b.data")
            assert_scalar_close(b.grad, 2.0, name="d(a*b)/db", hint="d(a*b)/db = a.data")
            s = a + b
            s.grad = 2.0
            s._backward()
            assert_scalar_close(a.grad, -1.0, name="a.grad after a*b then a+b (upstream 2)",
                                hint="add (+=) into a.grad: the gradients of both uses are summed")
            print("+ and *: public tests passed")
            """,
            id="test_add_mul",
            points=1,
        ),
        hidden(
            """
def _hidden_test():
    from course_lib import testing as ct
    from course_lib.autograd import Value as R

    ct.assert_own_implementation(Value, name="Value", reference=R,
                                 methods=("__add__", "__mul__", "backward"))
    for x, y, up in [(2.0, -3.0, 1.0), (0.5, 4.0, -2.5), (-1.25, -0.75, 3.0)]:
        for op in ("+", "*"):
            a, b = Value(x), Value(y)
            out = a + b if op == "+" else a * b
            if not isinstance(out, Value):
                raise AssertionError(f"Value {op} Value must return a Value, got {type(out).__name__}")
            ct.assert_scalar_close(out.data, x + y if op == "+" else x * y, name=f"({x}) {op} ({y})")
            out.grad = up
            out._backward()
            da, db = (up, up) if op == "+" else (y * up, x * up)
            ct.assert_scalar_close(a.grad, da, name=f"a.grad of a {op} b, upstream {up}")
            ct.assert_scalar_close(b.grad, db, name=f"b.grad of a {op} b, upstream {up}")
            out._backward()
            ct.assert_scalar_close(a.grad, 2 * da, name=f"a.grad after two calls of _backward ({op})",
                                   hint="accumulate with +=")
    a = Value(1.5)
    sq = a * a
    sq.grad = 1.0
    sq._backward()
    ct.assert_scalar_close(a.grad, 3.0, name="a.grad of a * a", hint="both inputs are a: add twice")
    a = Value(1.5)
    out = a + 2.0
    out.grad = 1.0
    out._backward()
    ct.assert_scalar_close(a.grad, 1.0, name="a.grad of a + 2.0")


_hidden_test()
del _hidden_test
""",
            id="hidden_add_mul",
            points=2,
        ),
        tests(
            """
            a = Value(0.5)
            for make, expected, name, hint in [
                (lambda v: v**3, 3 * 0.5**2, "d(a**3)/da", "n * a**(n - 1) * out.grad"),
                (lambda v: v.tanh(), 1 - math.tanh(0.5) ** 2, "d tanh(a)/da",
                 "(1 - out.data**2) * out.grad: from the OUTPUT tanh(a)"),
                (lambda v: v.relu(), 1.0, "d relu(a)/da at a = 0.5", "1 where a > 0, else 0"),
            ]:
                a.grad = 0.0
                out = make(a)
                out.grad = 1.0
                out._backward()
                assert_scalar_close(a.grad, expected, name=name, hint=hint)
            b = Value(-0.5)
            out = b.relu()
            out.grad = 1.0
            out._backward()
            assert_scalar_close(b.grad, 0.0, name="d relu(b)/db at b = -0.5")
            print("**, tanh, relu: public tests passed")
            """,
            id="test_pow_tanh_relu",
            points=1,
        ),
        hidden(
            """
def _hidden_test():
    import math

    from course_lib import testing as ct
    from course_lib.autograd import Value as R

    ct.assert_own_implementation(Value, name="Value", reference=R,
                                 methods=("__pow__", "tanh", "relu"))
    for x in (-1.7, -0.3, 0.4, 1.1, 2.5):
        for n in (2, 3, -1, 0.5, 1.5):
            if x < 0 and n in (0.5, 1.5):
                continue
            for up in (1.0, -2.0):
                a = Value(x)
                out = a**n
                ct.assert_scalar_close(out.data, x**n, name=f"({x}) ** {n}")
                out.grad = up
                out._backward()
                ct.assert_scalar_close(a.grad, n * x ** (n - 1) * up,
                                       name=f"d(a**{n})/da at a = {x}, upstream {up}",
                                       hint="n * a**(n - 1) * out.grad")
        for up in (1.0, 0.5):
            a = Value(x)
            out = a.tanh()
            out.grad = up
            out._backward()
            ct.assert_scalar_close(a.grad, (1 - math.tanh(x) ** 2) * up,
                                   name=f"d tanh(a)/da at a = {x}",
                                   hint="1 - out.data**2, the derivative from the OUTPUT")
            a = Value(x)
            out = a.relu()
            ct.assert_scalar_close(out.data, max(x, 0.0), name=f"relu({x})")
            out.grad = up
            out._backward()
            ct.assert_scalar_close(a.grad, up if x > 0 else 0.0, name=f"d relu(a)/da at a = {x}")
    a = Value(0.0)
    out = a.relu()
    out.grad = 1.0
    out._backward()
    ct.assert_scalar_close(a.grad, 0.0, name="d relu(a)/da at a = 0", hint="relu'(0) = 0: use a > 0")


_hidden_test()
del _hidden_test
""",
            id="hidden_pow_tanh_relu",
            points=3,
        ),
        markdown(
            r"""
            ## 2. `backward()`: the whole graph in topological order

            `root.backward()` must fill every node's `.grad` with
            $\partial\,\mathrm{root}/\partial\,\mathrm{node}$:

            1. collect all nodes reachable from `root` in a **topological order**: every node
               after all the nodes it was computed from (a depth-first search that appends a
               node once all of its `_prev` are done);
            2. reset every node's `.grad` to 0 (so calling `backward()` twice gives the same
               result instead of doubling), then set `root.grad = 1`;
            3. call `_backward()` on the nodes in **reverse** topological order.

            Why the order matters: a node may pass its gradient on only after **every** node
            that uses it has added its share. In
            $d = a \cdot b,\; e = d + a,\; f = d \cdot e$ the node $d$ is used twice; processing
            it before $e$ has contributed would lose part of $\partial f / \partial d$.
            A recursive depth-first search is fine here (the tests stay well below Python's
            recursion limit of about 1000 nested calls); very deep graphs need an explicit stack.
            """,
            id="md-backward",
        ),
        tests(
            """
            a, b = Value(2.0), Value(-3.0)
            d = a * b      # -6
            e = d + a      # -4
            f = d * e      # 24
            f.backward()
            # df/dd = e + d = -10,  df/da = df/dd * b + df/de * 1 = 30 - 6 = 24,  df/db = df/dd * a = -20
            assert_scalar_close(f.grad, 1.0, name="f.grad (the root)", hint="seed the root with grad 1")
            assert_scalar_close(d.grad, -10.0, name="d.grad",
                                hint="d is used by e and by f: wait for both (topological order)")
            order_hint = "call _backward() on the nodes in REVERSE topological order"
            assert_scalar_close(a.grad, 24.0, name="a.grad", hint=order_hint)
            assert_scalar_close(b.grad, -20.0, name="b.grad", hint=order_hint)
            f.backward()
            assert_scalar_close(a.grad, 24.0, name="a.grad after calling f.backward() twice",
                                hint="reset every node's grad to 0 before back-propagating")
            print("backward: public tests passed")
            """,
            id="test_backward",
            points=1,
        ),
        hidden(
            _RANDOM_GRAPHS
            + """

def _hidden_test():
    from course_lib import testing as ct
    from course_lib.autograd import Value as R

    ct.assert_own_implementation(Value, name="Value", reference=R, methods=("backward",))
    for name, s_leaves, r_leaves, s_root, r_root in random_graphs(Value, R, seed=41):
        for attempt in ("first", "second"):
            s_root.backward()
            r_root.backward()
            ct.assert_scalar_close(s_root.data, r_root.data, name=f"{name}: value of the root")
            for i, (s, r) in enumerate(zip(s_leaves, r_leaves)):
                ct.assert_scalar_close(
                    s.grad, r.grad, name=f"{name}: gradient of input {i} ({attempt} backward)",
                    max_rel_error=1e-9, atol=1e-12,
                    hint="reverse topological order; reset grads first; += in every _backward",
                )
    # a long chain (150 steps, depth 450) and a wide diamond
    x, rx = Value(0.3), R(0.3)
    y, ry = x, rx
    for _ in range(150):
        y, ry = (y * 0.999 + x * 0.001).tanh(), (ry * 0.999 + rx * 0.001).tanh()
    y.backward()
    ry.backward()
    ct.assert_scalar_close(x.grad, rx.grad, name="gradient through a chain of 150 steps",
                           max_rel_error=1e-9)
    x, rx = Value(0.7), R(0.7)
    parts = [x * float(k) for k in range(1, 30)]
    rparts = [rx * float(k) for k in range(1, 30)]
    root, rroot = parts[0], rparts[0]
    for p, rp in zip(parts[1:], rparts[1:]):
        root, rroot = root * 0.5 + p.tanh() * root, rroot * 0.5 + rp.tanh() * rroot
    root.backward()
    rroot.backward()
    ct.assert_scalar_close(x.grad, rx.grad, name="gradient of a graph with many shared nodes",
                           max_rel_error=1e-9, atol=1e-12)


_hidden_test()
del _hidden_test, random_graphs
""",
            id="hidden_backward",
            points=3,
            visible="# backward() on random graphs with shared nodes, called twice; deep chains.",
        ),
        markdown(
            r"""
            ## 3. Gradients of given expressions

            Use your engine to compute the gradients below (build each expression from `Value`s
            and call `backward()`); store plain floats.

            **(a)** A neuron with a squared error: with $x_1 = 1.5$, $x_2 = -0.5$, $w_1 = 0.8$,
            $w_2 = -1.2$, $b = 0.1$ and target $t = 0.5$,

            $$L = \big(\tanh(w_1 x_1 + w_2 x_2 + b) - t\big)^2 .$$

            Store `grads_neuron = {"w1": ..., "w2": ..., "b": ...}` (the partial derivatives of $L$).

            **(b)** With $u = -1.5$ and $v = 2$,

            $$g(u, v) = \mathrm{relu}(u v + v^3) + (u + v)\,u .$$

            Store `grads_g = {"u": ..., "v": ...}`.
            """,
            id="md-expressions",
        ),
        solution(
            """
            ### BEGIN SOLUTION
            x1, x2, w1, w2, b = Value(1.5), Value(-0.5), Value(0.8), Value(-1.2), Value(0.1)
            L = ((w1 * x1 + w2 * x2 + b).tanh() - 0.5) ** 2
            L.backward()
            grads_neuron = {"w1": w1.grad, "w2": w2.grad, "b": b.grad}

            u, v = Value(-1.5), Value(2.0)
            g = (u * v + v**3).relu() + (u + v) * u
            g.backward()
            grads_g = {"u": u.grad, "v": v.grad}
            ### END SOLUTION
            print("neuron:", grads_neuron)
            print("g:", grads_g)
            """,
            id="expressions",
        ),
        hidden(
            """
def _hidden_test():
    from course_lib import testing as ct
    from course_lib.autograd import Value as R

    x1, x2, w1, w2, b = R(1.5), R(-0.5), R(0.8), R(-1.2), R(0.1)
    loss = ((w1 * x1 + w2 * x2 + b).tanh() - 0.5) ** 2
    loss.backward()
    u, v = R(-1.5), R(2.0)
    g = (u * v + v**3).relu() + (u + v) * u
    g.backward()
    for name, answer, expected in [("grads_neuron", grads_neuron, {"w1": w1, "w2": w2, "b": b}),
                                   ("grads_g", grads_g, {"u": u, "v": v})]:
        for key, node in expected.items():
            value = ct.as_number(answer[key], name=f"{name}[{key!r}]")
            ct.assert_scalar_close(value, node.grad, name=f"{name}[{key!r}]", max_rel_error=1e-7)


_hidden_test()
del _hidden_test
""",
            id="hidden_expressions",
            points=2,
            visible="""
                for name, answer, keys in [("grads_neuron", grads_neuron, ("w1", "w2", "b")),
                                           ("grads_g", grads_g, ("u", "v"))]:
                    assert isinstance(answer, dict) and sorted(answer) == sorted(keys), (
                        f"{name} must be a dict with the keys {keys}")
                    for key in keys:
                        assert isinstance(answer[key], float), f"{name}[{key!r}] must be a float"
                """,
        ),
        markdown(
            r"""
            ## 4. Why reverse mode? Jacobians versus vector-Jacobian products

            Take $L = \ell(f_3(f_2(f_1(x))))$ with $x \in \mathbb{R}^n$, each
            $f_i : \mathbb{R}^n \to \mathbb{R}^n$ with a dense Jacobian $J_i$ ($n \times n$),
            and a scalar loss $\ell$ whose gradient is the row vector $g^\top$ ($1 \times n$).
            By the chain rule $\partial L / \partial x = g^\top J_3 J_2 J_1$. Count
            multiplications, with a $(p \times q)$ by $(q \times r)$ product costing $pqr$:

            * **Jacobian first:** form $J = J_3 (J_2 J_1)$ as a matrix, then $g^\top J$;
            * **reverse mode (backprop):** vector-Jacobian products from the left,
              $((g^\top J_3) J_2) J_1$.

            For $n = 1000$, store the two counts as integers in `cost_jacobian_first` and
            `cost_vjp`, and `speedup = cost_jacobian_first / cost_vjp`.
            """,
            id="md-jacobian",
        ),
        solution(
            """
            n = 1000
            ### BEGIN SOLUTION
            cost_jacobian_first = 2 * n**3 + n**2
            cost_vjp = 3 * n**2
            ### END SOLUTION
            speedup = cost_jacobian_first / cost_vjp
            print(f"Jacobian first: {cost_jacobian_first:,}   VJPs: {cost_vjp:,}   speed-up: {speedup:.0f}x")
            """,
            id="jacobian",
        ),
        hidden(
            """
def _hidden_test():
    from course_lib import testing as ct

    ct.assert_number_close(cost_jacobian_first, 2 * 1000**3 + 1000**2, name="cost_jacobian_first",
                           rtol=1e-9)
    ct.assert_number_close(cost_vjp, 3 * 1000**2, name="cost_vjp", rtol=1e-9)


_hidden_test()
del _hidden_test
""",
            id="hidden_jacobian",
            points=2,
            visible="""
                for name in ("cost_jacobian_first", "cost_vjp"):
                    assert isinstance(globals()[name], int), f"{name} must be an int"
                """,
        ),
    ]
    return notebook(cells)
