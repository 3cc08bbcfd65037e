r"""The pair explorer (backprop_lib/widgets/pair_explorer.py), driven in plain Python.

ipywidgets 8 works without a frontend: setting ``.value`` fires the observers. The numbers the
explorer displays are read back from its HTML and compared with an independent computation:
the loss written out with plain sympy and differentiated with ``sympy.diff``, and central
differences of the loss written out with numpy (``tests/helpers.py``: ``sympy_delta``,
``finite_difference_delta``). Neither uses ``backprop_lib``.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys

import numpy as np
import pytest
from helpers import finite_difference_delta, sympy_delta

from backprop_lib import ACTIVATION_NAMES, FUSED_PAIRS, LOSS_NAMES, VALID_PAIRS, check_pair
from backprop_lib.symbolic.derivation import catalogue
from backprop_lib.widgets.pair_explorer import (
    N_UNITS,
    PAIR_ADVICE,
    PairExplorer,
    catalogue_tabs,
    pair_agreement,
    pair_verdict,
    probe_network,
    scaled_error,
)

# -- reading the explorer's display ----------------------------------------------------------

_CELL = re.compile(r'data-quantity="(\w+)" data-unit="(\d+)">([^<]+)<')
_ERROR = re.compile(r'<span data-quantity="(error_\w+)">([^<]+)</span>')


def displayed(explorer: PairExplorer) -> dict[str, np.ndarray]:
    """Every per-unit number shown in the numbers panel, as arrays over the units."""
    table: dict[str, dict[int, float]] = {}
    for key, unit, text in _CELL.findall(explorer.numbers_panel.value):
        table.setdefault(key, {})[int(unit)] = float(text)
    return {key: np.array([row[u] for u in sorted(row)]) for key, row in table.items()}


def displayed_errors(explorer: PairExplorer) -> dict[str, float]:
    return {key: float(text) for key, text in _ERROR.findall(explorer.numbers_panel.value)}


def set_point(explorer: PairExplorer, s, t) -> None:
    for slider, value in zip(explorer.s_sliders, s, strict=True):
        slider.value = value
    for slider, value in zip(explorer.t_sliders, t, strict=True):
        slider.value = value


def _point(loss: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Slider values away from 0 (relu's kink); targets valid for the loss."""
    s = np.round(rng.choice([-1.0, 1.0], N_UNITS) * rng.uniform(0.3, 3.0, N_UNITS), 1)
    if loss in ("squared_error", "sum_squared_error"):
        t = np.round(rng.uniform(-2.0, 2.0, N_UNITS), 2)
    else:
        t = np.round(rng.uniform(0.05, 1.0, N_UNITS) / 0.05) * 0.05
    return s, t


@pytest.fixture
def rng():
    return np.random.default_rng(20240501)


# -- the widget ------------------------------------------------------------------------------


@pytest.mark.parametrize("activation, loss", sorted(VALID_PAIRS))
def test_displayed_delta_equals_independent_computation(activation, loss, rng):
    explorer = PairExplorer()
    explorer.activation_menu.value = activation
    explorer.loss_menu.value = loss
    s, t = _point(loss, rng)
    set_point(explorer, s, t)

    shown = displayed(explorer)
    np.testing.assert_allclose(shown["s"], s, err_msg="the s shown are not the sliders'")
    t_used = t / t.sum() if loss == "cross_entropy" else t
    np.testing.assert_allclose(
        shown["t"], t_used, rtol=1e-9, err_msg="the t shown are not the targets used"
    )
    expected = sympy_delta(activation, loss, s, t_used)
    for key in ("delta_sympy", "delta_textbook", "delta_library"):
        np.testing.assert_allclose(
            shown[key],
            expected,
            rtol=1e-9,
            atol=1e-12,
            err_msg=f"{activation} + {loss}: displayed {key}",
        )
    expected_fd = finite_difference_delta(activation, loss, s, t_used)
    np.testing.assert_allclose(
        shown["delta_numerical"],
        expected_fd,
        rtol=1e-6,
        atol=1e-8,
        err_msg=f"{activation} + {loss}: displayed finite differences",
    )
    errors = displayed_errors(explorer)
    assert errors["error_library"] < 1e-12 and errors["error_textbook"] < 1e-12, errors
    assert errors["error_numerical"] < 1e-7, errors
    assert "DISAGREE" not in explorer.numbers_panel.value


@pytest.mark.parametrize(
    "activation, loss",
    sorted(
        (a, loss) for a in ACTIVATION_NAMES for loss in LOSS_NAMES if (a, loss) not in VALID_PAIRS
    ),
)
def test_undefined_pair_shows_the_library_reason(activation, loss):
    explorer = PairExplorer()
    explorer.activation_menu.value = activation
    explorer.loss_menu.value = loss
    with pytest.raises(ValueError) as refusal:
        check_pair(activation, loss)
    assert explorer.agreement is None
    assert explorer.message == str(refusal.value)
    # the panel shows the message, HTML-escaped, and no numbers
    assert html.escape(str(refusal.value)) in explorer.numbers_panel.value
    assert "data-quantity" not in explorer.numbers_panel.value
    assert "undefined" in explorer.derivation_panel.value


def test_switching_back_to_a_valid_pair_recovers():
    explorer = PairExplorer(activation="tanh", loss="squared_error")
    explorer.loss_menu.value = "cross_entropy"
    assert explorer.agreement is None
    explorer.activation_menu.value = "softmax"
    assert explorer.agreement is not None
    assert explorer.agreement.activation == "softmax"
    assert explorer.agreement.loss == "cross_entropy"


def test_changing_the_loss_sets_the_target_range_and_clamps():
    explorer = PairExplorer(activation="linear", loss="squared_error", t=(-1.5, 0.5, 2.0))
    assert [slider.min for slider in explorer.t_sliders] == [-2.0] * N_UNITS
    explorer.activation_menu.value = "sigmoid"
    explorer.loss_menu.value = "binary_cross_entropy"
    assert [(slider.min, slider.max) for slider in explorer.t_sliders] == [(0.0, 1.0)] * 3
    assert [slider.value for slider in explorer.t_sliders] == [0.0, 0.5, 1.0]
    np.testing.assert_allclose(explorer.agreement.t, [[0.0, 0.5, 1.0]])


def test_cross_entropy_targets_are_normalised_and_zero_sum_is_explained():
    explorer = PairExplorer(activation="softmax", loss="cross_entropy", t=(1.0, 1.0, 0.0))
    np.testing.assert_allclose(explorer.agreement.t, [[0.5, 0.5, 0.0]])
    np.testing.assert_allclose(explorer.agreement.t.sum(), 1.0)
    set_point(explorer, [0.2, 0.3, -0.4], [0.0, 0.0, 0.0])
    assert explorer.agreement is None
    assert "sums to 1" in explorer.message
    assert "data-quantity" not in explorer.numbers_panel.value


def test_relu_kink_is_flagged():
    explorer = PairExplorer(
        activation="relu", loss="squared_error", s=(0.0, 1.0, -1.0), t=(1.0, 1.0, 1.0)
    )
    assert "kink" in explorer.numbers_panel.value
    shown = displayed(explorer)
    assert shown["delta_library"][0] == 0.0  # the library's f'(0) = 0
    np.testing.assert_allclose(shown["delta_numerical"][0], -0.5, rtol=1e-6)  # average slope


def test_chain_rule_panel_shows_library_numbers():
    explorer = PairExplorer(
        activation="sigmoid", loss="squared_error", s=(1.0, -2.0, 0.5), t=(0.0, 1.0, 0.5)
    )
    # dE/do = o - t with o = sigmoid(1) etc.; the panel rounds to 4 significant digits
    o = 1.0 / (1.0 + np.exp(-np.array([1.0, -2.0, 0.5])))
    for value in o - np.array([0.0, 1.0, 0.5]):
        assert f"{value:.4g}" in explorer.derivation_panel.value


def test_constructor_refuses_wrong_lengths_and_names():
    with pytest.raises(ValueError, match="s must hold 3 numbers"):
        PairExplorer(s=(1.0, 2.0))
    with pytest.raises(ValueError, match="unknown"):
        PairExplorer(activation="sigmod")


def test_import_backprop_lib_does_not_import_ipywidgets():
    code = (
        "import sys, backprop_lib, backprop_lib.symbolic; "
        "assert 'ipywidgets' not in sys.modules, 'ipywidgets imported'"
    )
    subprocess.run([sys.executable, "-W", "error", "-c", code], check=True)


# -- the functions behind it -----------------------------------------------------------------


@pytest.mark.parametrize("activation, loss", sorted(VALID_PAIRS))
def test_pair_agreement_on_a_batch(activation, loss, rng):
    B = 4
    S = rng.choice([-1.0, 1.0], (B, 3)) * rng.uniform(0.2, 2.5, (B, 3))
    if loss == "cross_entropy":
        T = rng.dirichlet(np.ones(3), size=B)
    elif loss == "binary_cross_entropy":
        T = rng.uniform(0.0, 1.0, (B, 3))
    else:
        T = rng.normal(size=(B, 3))
    g = pair_agreement(activation, loss, S, T)
    expected = (
        np.array([sympy_delta(activation, loss, s, t) for s, t in zip(S, T, strict=True)]) / B
    )  # the batch mean's 1/B
    for name in ("delta_sympy", "delta_textbook", "delta_library"):
        np.testing.assert_allclose(getattr(g, name), expected, rtol=1e-9, atol=1e-14, err_msg=name)
    np.testing.assert_allclose(g.delta_numerical, expected, rtol=1e-5, atol=1e-9)


def test_pair_agreement_refuses_undefined_pairs_and_bad_shapes():
    with pytest.raises(ValueError, match="cannot be followed by the loss"):
        pair_agreement("tanh", "cross_entropy", [[0.1, 0.2, 0.3]], [[1.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match="same shape"):
        pair_agreement("sigmoid", "squared_error", [[0.1, 0.2]], [[1.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match="probability vectors"):
        pair_agreement("softmax", "cross_entropy", [[0.1, 0.2, 0.3]], [[1.0, 1.0, 0.0]])


def test_probe_network_has_the_given_pre_activations(rng):
    S = rng.normal(size=(5, 3))
    net, X = probe_network("tanh", "squared_error", S)
    net.forward(X)
    np.testing.assert_array_equal(net.layers[0].s, S)
    with pytest.raises(ValueError, match="finite 2-D array"):
        probe_network("tanh", "squared_error", [1.0, np.nan])


def test_scaled_error():
    assert scaled_error([0.0, 2.0], [1e-12, 2.0]) == pytest.approx(5e-13)
    assert scaled_error([1.0, -4.0], [1.0, -2.0]) == pytest.approx(0.5)
    assert scaled_error(np.zeros(3), np.zeros(3)) == 0.0
    with pytest.raises(ValueError, match="same shape"):
        scaled_error([1.0], [1.0, 2.0])


def test_every_pair_has_exactly_one_verdict():
    kinds = {}
    for a in ACTIVATION_NAMES:
        for loss in LOSS_NAMES:
            verdict = pair_verdict(a, loss)
            kinds.setdefault(verdict.kind, set()).add((a, loss))
            assert verdict.reason
    assert kinds["fused"] == FUSED_PAIRS
    assert kinds["undefined"] == {
        (a, loss) for a in ACTIVATION_NAMES for loss in LOSS_NAMES if (a, loss) not in VALID_PAIRS
    }
    assert set(PAIR_ADVICE) == VALID_PAIRS - FUSED_PAIRS
    assert kinds["good"] == {("linear", "squared_error"), ("linear", "sum_squared_error")}


def test_catalogue_tabs_lists_every_pair_with_library_reasons():
    text = catalogue_tabs(catalogue(3))
    assert text.count(":::{tab-item}") == len(LOSS_NAMES)
    assert text.startswith("::::{tab-set}") and text.endswith("::::")
    for loss in LOSS_NAMES:
        tab = text.split(f":::{{tab-item}} {loss}\n", 1)[1].split("\n:::", 1)[0]
        for a in ACTIVATION_NAMES:
            assert f"\n| {a} | $" in tab, f"{a} row missing in the {loss} tab"
            verdict = pair_verdict(a, loss)
            if verdict.kind == "undefined":
                assert verdict.reason in tab


# -- issue 12, item 8: saturation, and a NaN slider value ---------------------------------------


def _targets(loss):
    return {"cross_entropy": [0.2, 0.5, 0.3], "binary_cross_entropy": [1.0, 0.0, 0.5]}.get(
        loss, [1.0, 0.0, 0.5]
    )


@pytest.mark.parametrize("pair", sorted(VALID_PAIRS))
def test_central_differences_agree_even_in_saturation(pair):
    import dataclasses

    from backprop_lib.widgets.pair_explorer import NUMERICAL_TOLERANCE, pair_agreement

    activation, loss = pair
    for s in ([6.0, 6.0, 6.0], [-6.0, -6.0, -6.0], [6.0, -6.0, 0.5], [0.1, -0.2, 0.3]):
        g = pair_agreement(activation, loss, [s], [_targets(loss)])
        assert g.error_numerical <= NUMERICAL_TOLERANCE, (pair, s, g.error_numerical)
        # a wrong delta still shows, even where delta is tiny: double it
        wrong = dataclasses.replace(g, delta_numerical=2 * g.delta_sympy + 1e-3)
        assert wrong.error_numerical > 1e3 * NUMERICAL_TOLERANCE, (pair, s)


def test_tanh_squared_error_at_six_agrees_in_the_widget():
    explorer = PairExplorer("tanh", "squared_error", s=(6.0, -6.0, 6.0), t=(1.0, 0.0, 0.5))
    assert "DISAGREE" not in explorer.numbers_panel.value


def test_nan_slider_is_refused_and_the_widget_stays_usable():
    explorer = PairExplorer()
    before = explorer.s_sliders[0].value
    explorer.s_sliders[0].value = float("nan")  # no exception reaches the caller
    assert explorer.s_sliders[0].value == before  # set back
    assert "finite" in explorer.message and "Refused" in explorer.numbers_panel.value
    explorer.s_sliders[0].value = 2.0
    assert explorer.agreement is not None and explorer.agreement.s[0, 0] == 2.0
    assert explorer.message == ""
