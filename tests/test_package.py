"""The package is pure: importing it seeds nothing, silences nothing, plots nothing; and it
exports the API of CONTRIBUTING.md."""

from __future__ import annotations

import subprocess
import sys

import backprop_lib

IMPORT_CHECK = r"""
import sys, warnings
import numpy as np
state = np.random.get_state()
filters = list(warnings.filters)
errors = np.geterr()
printing = np.get_printoptions()
import backprop_lib
import backprop_lib.gradcheck, backprop_lib.pairs
after = np.random.get_state()
assert after[0] == state[0] and (after[1] == state[1]).all() and after[2:] == state[2:], "seeded"
assert warnings.filters == filters, "changed the warning filters"
assert np.geterr() == errors, "changed numpy's floating-point error handling"
assert np.get_printoptions() == printing, "changed numpy's print options"
assert "matplotlib" not in sys.modules, "imported matplotlib"
print("pure")
"""


def test_importing_the_package_changes_no_global_state():
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", IMPORT_CHECK],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "pure" and result.stderr == ""


def test_public_api():
    names = {
        "Dense",
        "Network",
        "History",
        "gradient_check",
        "numerical_gradient",
        "ACTIVATIONS",
        "ACTIVATION_NAMES",
        "get_activation",
        "Sigmoid",
        "Tanh",
        "ReLU",
        "Linear",
        "Softmax",
        "LOSSES",
        "LOSS_NAMES",
        "get_loss",
        "SquaredError",
        "SumSquaredError",
        "BinaryCrossEntropy",
        "CrossEntropy",
        "pair_problem",
        "check_pair",
        "VALID_PAIRS",
        "FUSED_PAIRS",
    }
    assert names <= set(backprop_lib.__all__)
    for name in backprop_lib.__all__:
        assert hasattr(backprop_lib, name), name
