r"""Refusals of the weight-update explorer's model and widget, found by trying to break them:
each refused value raises the named error with a message naming the argument, what was
given and what is valid, changes nothing, and warns nothing (warnings are errors here and
numpy is set to raise, as a caller may have done)."""

from __future__ import annotations

from fractions import Fraction

import ipywidgets as widgets
import numpy as np
import pytest
import traitlets
from refusal import strictly

from backprop_lib.widgets.explorer import ExplorerModel, ExplorerWidget, Parameter


@pytest.fixture(autouse=True)
def _close_widgets():
    yield
    widgets.Widget.close_all()


def state(model):
    return [(W.copy(), b.copy()) for W, b in model.net.parameters()], model.steps, model.loss


def same(a, b):
    (pa, sa, la), (pb, sb, lb) = a, b
    for (Wa, ba), (Wb, bb) in zip(pa, pb, strict=True):
        np.testing.assert_array_equal(Wa, Wb)
        np.testing.assert_array_equal(ba, bb)
    assert (sa, la) == (sb, lb)


@pytest.mark.parametrize("value", [np.longdouble(10) ** 400, 10**400, -(10**400), float("nan")])
def test_set_parameter_beyond_float64_is_refused_and_kept(value):
    model = ExplorerModel()
    before = state(model)
    with pytest.raises(ValueError) as err:
        strictly(lambda: model.set_parameter(Parameter("w", 1, 1, 1), value))
    message = str(err.value)
    assert "ExplorerModel.set_parameter: value must be a finite real number" in message
    assert "nothing was changed" in message
    same(state(model), before)
    strictly(model.step)  # still usable
    assert model.steps == 1


def test_set_parameter_takes_a_fraction():
    model = ExplorerModel()
    strictly(lambda: model.set_parameter(Parameter("b", 2, 1), Fraction(1, 3)))
    assert model.value(Parameter("b", 2, 1)) == 1 / 3


@pytest.mark.parametrize("activations", [5, None, "sigmoid", ["sigmoid"]])
def test_configure_refuses_what_is_not_one_name_per_layer(activations):
    model = ExplorerModel()
    before = state(model)
    with pytest.raises(ValueError) as err:
        strictly(lambda: model.configure(activations, "squared_error"))
    assert "ExplorerModel.configure: activations must be one name per layer (2)" in str(err.value)
    same(state(model), before)


def test_snapshot_of_saturated_units_under_seterr_raise():
    model = ExplorerModel(x=(800, -800))
    snap = strictly(model.snapshot)
    assert np.isfinite(snap.loss) and all(np.isfinite(d).all() for d in snap.delta)


NAN_W = [[[np.nan, 1.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, 1.0]]]


@pytest.mark.parametrize(
    "name, value, words",
    [
        ("W", NAN_W, ["W must be one finite real array per layer", "(2, 2)", "nan"]),
        ("W", [[[1.0]]], ["W must be one finite real array per layer", "[[[1.0]]]"]),
        ("W", [[["a", "b"], ["c", "d"]], [[1.0, 1.0], [1.0, 1.0]]], ["W must be"]),
        ("b", [[0.0, 0.0]], ["b must be one finite real array per layer", "(2,)"]),
        ("interval", 0, ["interval must be a positive integer", "got 0"]),
        ("max_steps", -5, ["max_steps must be a positive integer", "got -5"]),
        ("unit", "9,9", ["unit must be one of", "'1,1'", "got '9,9'"]),
        ("parameter", "w,9,1,1", ["parameter must be one of", "got 'w,9,1,1'"]),
    ],
)
def test_widget_values_from_python_are_refused_and_kept(name, value, words):
    w = ExplorerWidget()
    before = w.get_state()
    with pytest.raises(traitlets.TraitError) as err:
        strictly(lambda: setattr(w, name, value))
    for word in words:
        assert word in str(err.value), (word, str(err.value))
    assert w.get_state() == before


def test_widget_weights_from_python_are_used():
    w = ExplorerWidget()
    W = [[[1.0, 2.0], [3.0, 4.0]], [[1.0, -1.0], [0.5, 0.25]]]
    strictly(lambda: setattr(w, "W", W))
    assert w.W == W and w.verify() == 0


def test_widget_weights_that_overflow_the_network_are_refused_and_kept():
    w = ExplorerWidget(activations=("linear", "linear"))
    before = w.get_state()
    huge = [[[1e200, 1e200], [1e200, 1e200]], [[1e200, 1e200], [1e200, 1e200]]]
    with pytest.raises(traitlets.TraitError) as err:
        strictly(lambda: setattr(w, "W", huge))
    assert "ExplorerWidget: W refused" in str(err.value)
    assert "kept the old W" in str(err.value)
    assert w.get_state() == before
