r"""The precomputed retrain panel (``backprop_lib.widgets.retrain_live``) without a browser:
the run keys Python writes and ``retrain.js`` builds agree (``String`` of the learning rate,
run by node), a grid without the runs is refused, and the weight pictures refuse complex or
non-finite weights without a numpy warning."""

from __future__ import annotations

import itertools
import json
import subprocess
import warnings

import ipywidgets as widgets
import numpy as np
import pytest

from backprop_lib.teaching.training_run import weight_mosaic
from backprop_lib.widgets.retrain_live import RetrainGridWidget, js_number, key, weights_png

LRS = [
    1e-5,
    1e-6,
    9.99e-7,
    1e-7,
    1.5e-7,
    3e-4,
    0.001,
    0.05,
    0.5,
    1,
    2,
    2.5,
    10,
    1e20,
    1e21,
    1.5e21,
    0.1 + 0.2,
]


@pytest.fixture(autouse=True)
def _close_widgets():
    yield
    widgets.Widget.close_all()


def test_keys_are_the_ones_javascript_builds(node, tmp_path):
    script = tmp_path / "keys.mjs"
    script.write_text(
        "const lrs = JSON.parse(process.argv[2]);\n"
        "console.log(JSON.stringify(lrs.map((lr) => `${lr}|64|16`)));\n"
    )
    result = subprocess.run(
        [node, str(script), json.dumps(LRS)], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == [key(lr, 64, 16) for lr in LRS]
    assert key(1e-5, 4, 1) == "0.00001|4|1"  # the grid that broke the panel ("1e-05|4|1")


def test_js_number_reads_back_as_the_same_float():
    for lr in LRS:
        assert float(js_number(lr)) == float(lr)


def fake_grid(lrs=(1e-5, 2.0), hidden=(4,), batches=(1,), epochs=(1,)):
    runs = {
        key(lr, n, b): {"error": "not trained"}
        for lr, n, b in itertools.product(lrs, hidden, batches)
    }
    return {
        "lrs": list(lrs),
        "hidden_units": list(hidden),
        "batch_sizes": list(batches),
        "epochs": list(epochs),
        "runs": runs,
    }


def test_a_grid_with_a_small_rate_is_accepted_and_finds_its_run():
    w = RetrainGridWidget(fake_grid(), lr=1e-5, n_hidden=4, batch_size=1, epochs=1)
    assert w.run() == {"error": "not trained"}


@pytest.mark.parametrize(
    "grid, error, words",
    [
        ({}, TypeError, ["grid must be the dict precompute_grid returns", "'runs'", "{}"]),
        ("grid", TypeError, ["grid must be the dict", "'grid'"]),
        (
            {**fake_grid(), "runs": {"1e-05|4|1": {}, "2|4|1": {}}},
            ValueError,
            ["grid['runs'] has no run for '0.00001|4|1'", "'1e-05|4|1'"],
        ),
    ],
)
def test_bad_grids_are_refused(grid, error, words):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(error) as err:
            RetrainGridWidget(grid, lr=1e-5, n_hidden=4, batch_size=1, epochs=1)
    for word in words:
        assert word in str(err.value), (word, str(err.value))


@pytest.mark.parametrize(
    "W, error, words",
    [
        (np.ones((4, 2)) * (1 + 1j), TypeError, ["weight_mosaic: W must hold real numbers"]),
        (np.full((4, 2), np.nan), ValueError, ["weight_mosaic: W must be finite", "nan"]),
        (np.array([[1.0, np.inf]] * 4), ValueError, ["W must be finite", "W[0, 1]"]),
    ],
)
def test_weight_pictures_refuse_complex_and_non_finite_weights(W, error, words):
    for draw in (lambda: weight_mosaic(W, (2, 2)), lambda: weights_png(W, (2, 2))):
        with warnings.catch_warnings(), np.errstate(all="raise"):
            warnings.simplefilter("error")
            with pytest.raises(error) as err:
                draw()
        for word in words:
            assert word in str(err.value), (word, str(err.value))


def test_weight_pictures_of_integer_and_zero_weights():
    mosaic = weight_mosaic(np.arange(8).reshape(4, 2), (2, 2))
    assert mosaic.dtype == np.float64
    np.testing.assert_array_equal(mosaic[:2, :2], [[0, 2], [4, 6]])  # unit 1: column 0
    assert weights_png(np.zeros((4, 2)), (2, 2)).startswith("data:image/png;base64,")
