"""Learning without backpropagation: finite differences and feedback alignment, against backprop.

The lecture's "why backprop?" slide makes two points, and this module turns both into training
methods that really work on the XOR family of data sets (:func:`course_lib.data.xor`,
:func:`course_lib.data.noisy_xor`):

1. *"A 3x3x3 MLP can be trained without backpropagation magic"*: :func:`finite_difference_train`
   estimates every partial derivative ``dL/dtheta_i`` by perturbing that one weight,
   ``(L(theta + eps e_i) - L(theta - eps e_i)) / 2 eps`` (weight perturbation). It needs only
   forward passes, but ``2 P`` of them per step for ``P`` parameters, where backprop needs one
   forward and one backward pass whatever ``P`` is. Our "3x3x3" network is
   :func:`mlp_333`: 2 inputs (the XOR coordinates), two hidden layers of 3 tanh units and one
   output logit, ``Sequential(Linear(2, 3), Tanh(), Linear(3, 3), Tanh(), Linear(3, 1))``,
   25 parameters. (Three 3-unit layers would need a third input that XOR does not have.)
2. *"The brain uses random synaptic weights to propagate errors"*: :class:`FeedbackAlignment`
   runs the backward pass with a fixed random matrix ``B_l`` where backprop uses ``W_l^T``
   (Lillicrap et al., 2016), so no neuron needs to know the weights downstream of it. The
   forward weights then come to align with ``B_l``, and the network learns.

:func:`compare_training` trains the same initial network with all three and reports the cost:
forward and backward passes and wall time.
"""

from .comparison import TrainingComparison, compare_training
from .feedback_alignment import FeedbackAlignment, feedback_alignment_train
from .finite_differences import finite_difference_gradients, finite_difference_train
from .training import TrainingRun, backprop_train, mlp_333

__all__ = [
    "mlp_333",
    "TrainingRun",
    "finite_difference_gradients",
    "finite_difference_train",
    "FeedbackAlignment",
    "feedback_alignment_train",
    "backprop_train",
    "TrainingComparison",
    "compare_training",
]
