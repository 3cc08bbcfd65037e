r"""The sympy side of ``backprop_lib``: the library's activations and losses as sympy
expressions, registered under the same names; derivations of $\partial E/\partial o$,
$\partial o/\partial s$ and $\delta$ for every pair; small fully symbolic networks; and helpers
that compare all of it with the library.

Notation (CONTRIBUTING.md): rows are samples; $s^l = o^{l-1} W^l + b^l$, $o^l = f^l(s^l)$;
$w^l_{ji}$ joins unit $j$ of layer $l-1$ to unit $i$ of layer $l$; the loss is a per-sample sum
over the output units, and the library takes its mean over the batch. Everything here is per
sample; :mod:`~backprop_lib.symbolic.numeric` accounts for the library's $1/B$.

Extra: ``pip install 'backprop_lib[symbolic]'`` (sympy). ``import backprop_lib`` does not
import this subpackage; without sympy, importing it raises an ``ImportError`` naming the extra.

Modules
-------
``notation``
    Symbol factories (``x_{j}``, ``w^{(l)}_{ji}``, ``b^{(l)}_{i}``, ``t_{i}``, ``s_{i}``,
    ``o_{i}``), all ``real=True``.
``functions``
    ``ACTIVATIONS``, ``LOSSES`` (the library's names), ``get_activation``, ``get_loss``,
    ``pair_problem``, ``latex``.
``derivation``
    ``derive(activation, loss, n) -> Derivation`` (cached), ``catalogue``,
    ``catalogue_markdown``.
``numeric``
    ``lambdify_matrix``, ``sample_points``, ``random_targets``, ``relative_error``,
    ``compare_with_library``, ``check_against_library``, ``assert_matches_library``.
``network``
    ``symbolic_network(sizes, activations) -> SymbolicNetwork``.
``recursion``
    ``brute_force_gradients``, ``recursive_gradients``, ``gradients_agree``.
``identity``
    ``is_identically_zero``: exact zero tests faster than ``simplify``.
``javascript``
    ``activation_javascript``, ``loss_javascript``, ``javascript``: the sympy side printed as
    JavaScript functions (sympy's ``JavascriptCodePrinter``), for the browser engine.

Example
-------
>>> from backprop_lib import symbolic
>>> d = symbolic.derive("sigmoid", "binary_cross_entropy", n=2)
>>> d.latex_delta()
'o_{i} - t_{i}'
"""

from . import _requires  # noqa: F401  (first: without sympy, an ImportError naming the extra)
from .derivation import (
    FUSED_PAIRS,
    Derivation,
    catalogue,
    catalogue_markdown,
    derive,
    generic_symbols,
)
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
from .identity import atomize, is_identically_zero
from .network import SymbolicNetwork, symbolic_network
from .notation import (
    bias_symbols,
    input_symbols,
    output_symbols,
    pre_activation_symbols,
    target_symbols,
    weight_symbols,
)
from .numeric import (
    assert_matches_library,
    check_against_library,
    compare_with_library,
    lambdify_matrix,
    random_targets,
    relative_error,
    sample_points,
)
from .recursion import (
    brute_force_gradients,
    gradient_difference,
    gradients_agree,
    recursive_deltas,
    recursive_gradients,
)

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_NAMES",
    "FUSED_PAIRS",
    "LOSSES",
    "LOSS_NAMES",
    "Derivation",
    "SymbolicActivation",
    "SymbolicLoss",
    "SymbolicNetwork",
    "assert_matches_library",
    "atomize",
    "bias_symbols",
    "brute_force_gradients",
    "catalogue",
    "catalogue_markdown",
    "check_against_library",
    "compare_with_library",
    "derive",
    "generic_symbols",
    "get_activation",
    "get_loss",
    "gradient_difference",
    "gradients_agree",
    "input_symbols",
    "interval_text",
    "is_identically_zero",
    "lambdify_matrix",
    "latex",
    "output_symbols",
    "pair_problem",
    "pre_activation_symbols",
    "random_targets",
    "recursive_deltas",
    "recursive_gradients",
    "relative_error",
    "sample_points",
    "symbolic_network",
    "target_symbols",
    "weight_symbols",
]
