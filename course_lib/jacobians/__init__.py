"""Jacobians versus vector-Jacobian products: what backpropagation avoids, in numbers.

A network ``y = f_M(... f_2(f_1(x)))`` has the Jacobian ``J = J_M ... J_2 J_1`` (chain rule),
where ``J_m = d f_m / d(input of f_m)`` is evaluated at the module's input for that sample:

- :class:`~course_lib.modules.Linear`: ``J = W``, shape ``(D_out, D_in)``, equal for every sample.
- an elementwise activation ``f``: ``J = diag(f'(x))``. It is diagonal, so this module stores only
  the vector ``f'(x)`` (shape ``(D,)``), and multiplying by it scales rows or columns,
  ``D`` multiply-adds instead of ``D^2`` per column. Pass ``dense=True`` to get the matrix anyway.
- :class:`~course_lib.activations.Softmax`: ``J = diag(s) - s s^T``, dense, shape ``(C, C)``.

The full Jacobian can be accumulated in two orders. *Forward mode* multiplies left to right in
the order of the forward pass, ``J_2 J_1``, then ``J_3 (J_2 J_1)`` and so on; every partial
product has ``D_in`` columns. *Reverse mode* starts from the output. When the output is a scalar
loss it starts from a row vector ``g = dL/dy`` and only ever multiplies a vector by a matrix:
``((g J_M) J_{M-1}) ...``. That is a chain of vector-Jacobian products (VJPs), and a VJP never
needs the Jacobian itself: ``module.backward(g)`` computes ``g J`` directly from the forward
cache (``g @ W`` for Linear, ``g * f'(x)`` for an activation). That is backpropagation.
:func:`jacobian_cost` measures all of this for an MLP.

Shapes: ``N`` is the batch size, ``D_in`` / ``D_out`` the input / output width of the whole
model; a single sample may be given as ``(D_in,)`` or ``(1, D_in)``.
"""

from .cost import JacobianCostReport, MethodCost, jacobian_cost
from .products import (
    is_elementwise,
    jvp,
    module_jacobian,
    reverse_mode_jacobian,
    sequential_jacobian,
    vjp,
)

__all__ = [
    "is_elementwise",
    "module_jacobian",
    "sequential_jacobian",
    "reverse_mode_jacobian",
    "vjp",
    "jvp",
    "MethodCost",
    "JacobianCostReport",
    "jacobian_cost",
]
