"""The checks that compare a student's code with the reference implementation.

Hidden tests use them all; the public tests of the training exercise use
:func:`assert_train_matches`, :func:`assert_gradient_check` and :func:`assert_settings_reach`
(through ``course_lib.testing``), which run the student's function on course_lib's networks.

A hidden-test cell imports the reference *inside* a function that runs at once, so neither the
reference nor the test's data ever become names of the notebook (where a student's code could
reach them), and compares with one call per idea::

    import course_lib.testing as ct


    @ct.hidden_test(seed=11)
    def _test(rng):
        from course_lib.activations import ReLU as RefReLU

        ct.assert_own_implementation(ReLU, reference=RefReLU)
        ct.check_elementwise(ReLU, RefReLU, rng, name="ReLU", kinks=(0.0,))
        ct.assert_kink_convention(ReLU(), RefReLU(), 0.0, name="ReLU")

Every expected value comes from ``course_lib`` at test time, never from a pasted number. The
checks only call, read and write what a student's object offers (``forward``, ``backward``,
``named_parameters``, ``.data``, ``.grad``...), so they work the same on objects of the
notebook's own kernel (plain ``nbgrader autograde``) and on the proxies of the grader's judge
process (``course grade``). All names here are importable from :mod:`course_lib.testing`.
"""

from .autograd import (
    accumulating_ops,
    assert_backward,
    assert_local_backward,
    chain_graph,
    paired_graphs,
    shared_graph,
)
from .core import assert_own_implementation, away_from, hidden_test, randomize_parameters
from .experiments import assert_settings_reach
from .losses import assert_loss_matches
from .modules import (
    ELEMENTWISE_SHAPES,
    assert_forward_matches,
    assert_kink_convention,
    assert_module_matches,
    check_elementwise,
    get_grad,
    set_parameter,
)
from .training import assert_gradient_check, assert_train_matches

__all__ = [
    "ELEMENTWISE_SHAPES",
    "hidden_test",
    "away_from",
    "randomize_parameters",
    "assert_own_implementation",
    "set_parameter",
    "get_grad",
    "assert_forward_matches",
    "assert_module_matches",
    "check_elementwise",
    "assert_kink_convention",
    "assert_loss_matches",
    "assert_local_backward",
    "assert_backward",
    "accumulating_ops",
    "paired_graphs",
    "chain_graph",
    "shared_graph",
    "assert_train_matches",
    "assert_gradient_check",
    "assert_settings_reach",
]
