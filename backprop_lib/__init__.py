r"""backprop_lib: the exact, small numpy backpropagation library of *Backprop, executed*.

Conventions (the book's notation, CONTRIBUTING.md):

- **Rows are samples.** A batch ``X`` has shape ``(B, n_0)``; targets ``T`` ``(B, n_L)``.
- Layer :math:`l = 1, \dots, L` is ``net.layers[l - 1]``, a :class:`Dense` with weights ``W``
  of shape ``(n_{l-1}, n_l)`` (``W[j, i]`` joins unit :math:`j` of layer :math:`l-1` to unit
  :math:`i` of layer :math:`l`) and biases ``b`` of shape ``(n_l,)``.
- Forward: :math:`s^l = o^{l-1} W^l + b^l`, :math:`o^l = f^l(s^l)`, :math:`o^0 = x`.
- The loss :math:`E` is the **mean over the batch of a per-sample sum over the output
  units**; gradients are of that mean (the :math:`1/B` lives in the output delta):

  - ``squared_error``: :math:`\tfrac12 \sum_k (o_k - t_k)^2`
  - ``sum_squared_error``: :math:`\sum_k (t_k - o_k)^2`
  - ``binary_cross_entropy``: :math:`-\sum_k [t_k \ln o_k + (1 - t_k) \ln(1 - o_k)]`
  - ``cross_entropy``: :math:`-\sum_k t_k \ln o_k`

- Activations: ``sigmoid``, ``tanh``, ``relu``, ``linear``, ``softmax`` (per row).
- Backward (:meth:`Dense.backward`, beside :meth:`Dense.forward`):
  :math:`\delta^l = \partial E/\partial s^l`,
  :math:`\delta^l = (\delta^{l+1} (W^{l+1})^\top) \odot f'(s^l)` (a vector-Jacobian
  product for softmax), :math:`\partial E/\partial W^l = (o^{l-1})^\top \delta^l`,
  :math:`\partial E/\partial b^l = \sum_n \delta^l_n`.
- The output pair (:class:`Pair`, chosen once per network as ``net.pair``) gives
  :math:`\delta^L`: softmax + cross_entropy and sigmoid + binary_cross_entropy use the fused
  :math:`(o - t)/B`, with the loss computed stably from :math:`s^L`; a loss that is
  undefined after the output activation is refused when the network is built.
- The layers of a modern network (``Conv2D``, ``MaxPool2D``, ``Flatten``, ``BatchNorm``,
  ``LayerNorm``, ``Dropout``, ``Embedding``, ``Residual``, ``ActivationLayer``) follow one
  protocol, ``forward(x) -> y``, ``backward(grad_y) -> grad_x``, parameter ``P``'s gradient
  in ``dP``; a Network trains any stack of them that ends with a Dense.
- Subpackages, imported by their path: ``symbolic`` (sympy), ``widgets`` (the explorers),
  ``teaching`` (``bugs``, ``datasets``). ``backprop_lib/README.md`` maps every equation of
  the book to its function.
- A network computes in float64 (default) or float32; data are converted to its dtype.

The package is pure: importing it seeds nothing, silences no warnings, plots nothing. Every
random draw comes from a Generator you pass (``rng=np.random.default_rng(seed)``).

Example::

    import numpy as np
    from backprop_lib import Network

    rng = np.random.default_rng(0)
    net = Network.from_sizes([2, 3, 1], ["tanh", "sigmoid"], "binary_cross_entropy", rng)
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    T = np.array([[0], [1], [1], [0]])
    history = net.fit(X, T, epochs=2000, lr=1.0, batch_size=4, rng=rng)
"""

from .activations import (
    ACTIVATION_NAMES,
    ACTIVATIONS,
    Activation,
    Interval,
    Linear,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    get_activation,
)
from .base_layer import Layer
from .conv import Conv2D, Flatten, MaxPool2D
from .gradcheck import gradient_check, numerical_gradient
from .layers import Dense
from .losses import (
    LOSS_NAMES,
    LOSSES,
    BinaryCrossEntropy,
    CrossEntropy,
    Loss,
    SquaredError,
    SumSquaredError,
    get_loss,
)
from .misc_layers import ActivationLayer, Dropout, Embedding, Residual, set_training
from .network import History, Network
from .normalization import BatchNorm, LayerNorm
from .pairs import (
    FUSED_PAIRS,
    VALID_PAIRS,
    Pair,
    SigmoidBinaryCrossEntropy,
    SigmoidCrossEntropy,
    SoftmaxBinaryCrossEntropy,
    SoftmaxCrossEntropy,
    check_pair,
    is_fused,
    output_delta,
    output_loss,
    pair_of,
    pair_problem,
)

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_NAMES",
    "Activation",
    "ActivationLayer",
    "BatchNorm",
    "Conv2D",
    "Dropout",
    "Embedding",
    "Flatten",
    "Layer",
    "LayerNorm",
    "MaxPool2D",
    "Residual",
    "set_training",
    "BinaryCrossEntropy",
    "CrossEntropy",
    "Dense",
    "FUSED_PAIRS",
    "History",
    "Interval",
    "LOSSES",
    "LOSS_NAMES",
    "Linear",
    "Loss",
    "Network",
    "Pair",
    "ReLU",
    "Sigmoid",
    "SigmoidBinaryCrossEntropy",
    "SigmoidCrossEntropy",
    "Softmax",
    "SoftmaxBinaryCrossEntropy",
    "SoftmaxCrossEntropy",
    "SquaredError",
    "SumSquaredError",
    "Tanh",
    "VALID_PAIRS",
    "check_pair",
    "get_activation",
    "get_loss",
    "gradient_check",
    "is_fused",
    "numerical_gradient",
    "output_delta",
    "output_loss",
    "pair_of",
    "pair_problem",
]
