r"""The sympy side of ``backprop_lib``: the same activations and losses as sympy expressions,
registered under the same names, and small fully symbolic networks in the book's notation.

Notation (CONTRIBUTING.md): rows are samples; $s^l = o^{l-1} W^l + b^l$, $o^l = f^l(s^l)$;
$w^l_{ji}$ joins unit $j$ of layer $l-1$ to unit $i$ of layer $l$; the loss is a per-sample sum
over the output units, and the library takes its mean over the batch.

Modules
-------
``notation``
    Symbol factories (``x_{j}``, ``w^{(l)}_{ji}``, ``b^{(l)}_{i}``, ``t_{i}``, ``s_{i}``,
    ``o_{i}``), all ``real=True``.
``functions``
    ``ACTIVATIONS``, ``LOSSES`` (same names as the library), ``pair_problem``.
``network``
    ``symbolic_network(sizes, activations) -> SymbolicNetwork``.
"""

from .functions import (
    ACTIVATION_NAMES,
    ACTIVATIONS,
    LOSS_NAMES,
    LOSSES,
    SymbolicActivation,
    SymbolicLoss,
    get_activation,
    get_loss,
    interval_text,
    latex,
    pair_problem,
)
from .network import SymbolicNetwork, symbolic_network
from .notation import (
    bias_symbols,
    input_symbols,
    output_symbols,
    pre_activation_symbols,
    target_symbols,
    weight_symbols,
)

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_NAMES",
    "LOSSES",
    "LOSS_NAMES",
    "SymbolicActivation",
    "SymbolicLoss",
    "SymbolicNetwork",
    "bias_symbols",
    "get_activation",
    "get_loss",
    "input_symbols",
    "interval_text",
    "latex",
    "output_symbols",
    "pair_problem",
    "pre_activation_symbols",
    "symbolic_network",
    "target_symbols",
    "weight_symbols",
]
