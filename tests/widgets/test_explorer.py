r"""The weight-update explorer's model, formulas and pictures (``backprop_lib.widgets.explorer``),
driven in plain Python. (``ExplorerWidget``, the explorer of the book, is tested in
``tests/widgets/test_explorer_live.py``.)

Expected values come from computations independent of the explorer: a fresh library
``Network`` rebuilt from the explorer's weights (``Network.backward`` on a copy), networks
drawn directly with ``Network.from_sizes`` and the same seed, sympy's fully symbolic forward
pass, central differences (``numerical_gradient``) and the library's own error messages.
"""

from __future__ import annotations

import base64
import io
import re
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")  # the explorer draws without pyplot; this keeps any plotting headless

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import sympy as sp  # noqa: E402
from PIL import Image  # noqa: E402

from backprop_lib import Dense, Network, check_pair, numerical_gradient  # noqa: E402
from backprop_lib.symbolic import symbolic_network  # noqa: E402
from backprop_lib.widgets.explorer import (  # noqa: E402
    ExplorerModel,
    NetworkView,
    Parameter,
    Unit,
    formula_scrubber,
    formulas,
    training_animation_html,
)
from backprop_lib.widgets.explorer.view import encode_png  # noqa: E402

CONFIGS = [
    # sizes, activations, loss, x, t
    ((2, 2, 2), ("sigmoid", "sigmoid"), "squared_error", (1.0, 0.5), (1.0, 0.0)),
    ((2, 3, 1), ("tanh", "sigmoid"), "binary_cross_entropy", (0.3, -1.2), (1.0,)),
    ((2, 2, 2), ("sigmoid", "softmax"), "cross_entropy", (-0.4, 0.9), (0.0, 1.0)),
    ((3, 2, 2), ("relu", "linear"), "sum_squared_error", (0.5, 1.5, -0.2), (0.3, -0.7)),
    ((2, 3, 2, 2), ("tanh", "softmax", "sigmoid"), "squared_error", (0.7, -0.1), (0.2, 0.9)),
]


@pytest.fixture(autouse=True)
def _close_widgets():
    """Close every widget a test made; no matplotlib figure may be left open."""
    yield
    widgets.Widget.close_all()
    assert plt.get_fignums() == [], "the explorer must not open pyplot figures"


def _model(config, lr=0.5, seed=3) -> ExplorerModel:
    sizes, activations, loss, x, t = config
    return ExplorerModel(sizes, activations, loss, x, t, lr=lr, seed=seed)


def _fresh_network(model: ExplorerModel) -> Network:
    """A new library Network with the model's current weights (no shared arrays)."""
    layers = [
        Dense.from_arrays(layer.W.copy(), layer.b.copy(), layer.activation.name)
        for layer in model.net.layers
    ]
    return Network(layers, model.loss_name)


def _sympy_outputs(model: ExplorerModel) -> list[np.ndarray]:
    r""":math:`o^1, \dots, o^L` from sympy's fully symbolic forward pass, compiled with
    ``lambdify`` and evaluated at the model's input and weights."""
    sym = symbolic_network(list(model.sizes), list(model.activations))
    symbols = list(sym.x) + sym.parameters()  # W^1 row by row, b^1, W^2, ...
    values = list(model.X[0]) + [v for W, b in model.net.parameters() for v in (*W.ravel(), *b)]
    return [np.array(sp.lambdify(symbols, list(o))(*values), dtype=float) for o in sym.o]


def _parameters(model: ExplorerModel) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(W.copy(), b.copy()) for W, b in model.net.parameters()]


def _assert_parameters_equal(actual, expected, message: str) -> None:
    for k, ((W, b), (W0, b0)) in enumerate(zip(actual, expected, strict=True)):
        np.testing.assert_array_equal(W, W0, err_msg=f"{message}: W of layer {k + 1}")
        np.testing.assert_array_equal(b, b0, err_msg=f"{message}: b of layer {k + 1}")


# -- Step --------------------------------------------------------------------------------


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(map(str, c[0])) + c[2])
@pytest.mark.parametrize("lr", [0.05, 0.5, 2.0])
def test_step_changes_every_parameter_by_minus_lr_times_the_gradient(config, lr):
    model = _model(config, lr=lr)
    for _ in range(3):  # from a few different points along the run
        fresh = _fresh_network(model)
        gradients = fresh.backward(model.X, model.T)
        before = _parameters(model)
        model.step()
        expected = [
            (W0 - lr * dW, b0 - lr * db)
            for (W0, b0), (dW, db) in zip(before, gradients, strict=True)
        ]
        _assert_parameters_equal(_parameters(model), expected, "after Step")
        last = model.snapshot().last_update
        for (dW_step, db_step), (dW, db) in zip(last, gradients, strict=True):
            np.testing.assert_array_equal(dW_step, -(lr * dW))
            np.testing.assert_array_equal(db_step, -(lr * db))
    assert model.steps == 3
    assert [step for step, _ in model.curve] == [0, 1, 2, 3]


def test_a_step_lowers_the_loss_for_a_small_rate():
    model = _model(CONFIGS[0], lr=0.1)
    losses = [model.loss]
    for _ in range(20):
        model.step()
        losses.append(model.loss)
    assert all(b < a for a, b in zip(losses[:-1], losses[1:], strict=True))
    assert [loss for _, loss in model.curve] == losses


def test_the_gradient_agrees_with_central_differences():
    """The explorer's Step uses the true gradient: compared with numerical_gradient."""
    for config in CONFIGS[:3]:
        model = _model(config)
        snapshot = model.snapshot()
        for k in range(model.n_layers):
            for name, exact in (("W", snapshot.dW[k]), ("b", snapshot.db[k])):
                numeric = numerical_gradient(model.net, model.X, model.T, k, name)
                np.testing.assert_allclose(exact, numeric, rtol=1e-6, atol=1e-9)


# -- Reset -------------------------------------------------------------------------------


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(map(str, c[0])) + c[2])
def test_reset_restores_the_seeded_start_exactly(config):
    sizes, activations, loss, _, _ = config
    seed = 11
    independent = Network.from_sizes(
        list(sizes), list(activations), loss, np.random.default_rng(seed)
    )
    start = [(W.copy(), b.copy()) for W, b in independent.parameters()]
    model = _model(config, seed=seed)
    _assert_parameters_equal(_parameters(model), start, "at construction")
    model.step(4)
    model.set_parameter(model.parameters()[0], 1.25)
    model.step(2)
    assert model.steps == 6
    model.reset()
    _assert_parameters_equal(_parameters(model), start, "after Reset")
    assert model.steps == 0
    assert model.curve == [(0, model.loss)]
    assert model.snapshot().last_update is None


def test_reset_keeps_data_rate_and_activations():
    model = _model(CONFIGS[0])
    model.set_lr(1.5)
    model.set_inputs([0.25, -0.5])
    model.set_activation(1, "tanh")
    model.step(3)
    model.reset()
    assert model.lr == 1.5
    np.testing.assert_array_equal(model.X, [[0.25, -0.5]])
    assert model.activations == ("tanh", "sigmoid")


# -- refused changes ----------------------------------------------------------------------


def _library_message(activation, loss) -> str:
    with pytest.raises(ValueError) as caught:
        check_pair(activation, loss)
    return str(caught.value)


def test_an_invalid_pair_is_refused_with_the_library_message_and_changes_nothing():
    model = _model(CONFIGS[0])
    model.set_activation(2, "tanh")  # valid with squared_error
    model.step()
    parameters, snapshot = _parameters(model), model.snapshot()
    with pytest.raises(ValueError) as refused:
        model.set_loss("cross_entropy")
    assert str(refused.value).endswith(_library_message("tanh", "cross_entropy"))
    assert model.loss_name == "squared_error"
    _assert_parameters_equal(_parameters(model), parameters, "after refusal")
    np.testing.assert_array_equal(model.snapshot().o[-1], snapshot.o[-1])


def test_a_single_softmax_output_is_refused():
    model = _model(CONFIGS[1])  # one output unit
    with pytest.raises(ValueError, match="softmax over n_out = 1"):
        model.set_activation(2, "softmax")
    assert model.activations == ("tanh", "sigmoid")


def test_the_value_of_a_parameter_is_set_exactly():
    model = _model(CONFIGS[4])
    for k, p in enumerate(model.parameters()):
        before = _parameters(model)
        new_value = -1.5 + 0.1 * k
        model.set_parameter(p, new_value)
        W, b = before[p.layer - 1]
        if p.is_weight:
            W[p.j - 1, p.i - 1] = new_value
        else:
            b[p.i - 1] = new_value
        _assert_parameters_equal(_parameters(model), before, f"setting {p.latex}")
        assert model.value(p) == new_value
        # the forward pass was redone: compare with a fresh network at the new weights
        fresh = _fresh_network(model)
        np.testing.assert_allclose(model.snapshot().o[-1], fresh.forward(model.X)[0], rtol=1e-14)


# -- the formula panel -----------------------------------------------------------------------


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(map(str, c[0])) + c[2])
def test_formula_numbers_are_the_librarys_delta_and_o(config):
    model = _model(config)
    model.step(2)
    snapshot = model.snapshot()
    sizes = model.sizes
    # independent: sympy's forward pass and central differences of E in the biases
    outputs = _sympy_outputs(model)
    deltas = [
        numerical_gradient(model.net, model.X, model.T, k, "b") for k in range(model.n_layers)
    ]  # dE/db^l = delta^l for one sample
    for p in model.parameters():
        terms = snapshot.update_terms(p)
        k = p.layer - 1
        np.testing.assert_allclose(terms.delta, deltas[k][p.i - 1], rtol=1e-6, atol=1e-10)
        if p.is_weight:
            sender = model.X[0] if p.layer == 1 else outputs[k - 1]
            np.testing.assert_allclose(terms.o_prev, sender[p.j - 1], rtol=1e-12)
        assert terms.update == -(model.lr * terms.gradient)
        latex = formulas.update_latex(snapshot, p)
        for value in (terms.delta, terms.update, model.lr):
            assert formulas.number(value) in latex, f"{p.latex}: {value} not in {latex}"
        if p.is_weight:
            assert formulas.number(terms.o_prev) in latex
    for unit in snapshot.hidden_units():
        d = snapshot.delta_terms(unit)
        k = unit.layer - 1
        np.testing.assert_allclose(d.delta, deltas[k][unit.i - 1], rtol=1e-6, atol=1e-10)
        # the recursion's factors reproduce the delta
        if d.derivative is not None:
            np.testing.assert_allclose(d.derivative * d.grad_o, d.delta, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(
                d.grad_o,
                sum(w * dn for w, dn in zip(d.weights, d.deltas_next, strict=True)),
                rtol=1e-12,
                atol=1e-15,
            )
        else:
            np.testing.assert_allclose(
                sum(e * J for e, J in zip(d.grad_o_row, d.jacobian_column, strict=True)),
                d.delta,
                rtol=1e-12,
                atol=1e-15,
            )
        latex = formulas.hidden_delta_latex(snapshot, unit)
        assert formulas.number(d.delta) in latex
    for i in range(1, sizes[-1] + 1):
        out = snapshot.output_delta_terms(Unit(model.n_layers, i))
        np.testing.assert_allclose(out.o, outputs[-1][i - 1], rtol=1e-12)
        np.testing.assert_allclose(out.delta, deltas[-1][i - 1], rtol=1e-6, atol=1e-10)
        assert formulas.number(out.delta) in formulas.output_delta_latex(
            snapshot, Unit(model.n_layers, i)
        )


def test_the_panel_shows_the_chosen_parameter_and_unit():
    model = _model(CONFIGS[0])
    p, unit = Parameter("b", 1, 2), Unit(1, 2)
    snapshot = model.snapshot()
    panel = formulas.panel_html(snapshot, p, unit)
    assert rf"\Delta {p.latex}" in panel
    assert formulas.number(snapshot.update_terms(p).update) in panel
    assert formulas.number(snapshot.delta_terms(unit).delta) in panel
    model.step()
    panel = formulas.panel_html(model.snapshot(), p, unit)
    assert f"changed \\({p.latex}\\)" in panel
    assert formulas.number(model.snapshot().applied(p)) in panel


def test_the_panel_uses_maths_delimiters_the_static_site_typesets():
    model = _model(CONFIGS[0])
    panel = formulas.panel_html(model.snapshot(), Parameter("w", 1, 2, 1), Unit(1, 2))
    without_display = re.sub(r"\$\$.*?\$\$", "", panel, flags=re.S)
    assert "$" not in without_display, "single dollars are not typeset on the static site"


# -- the model on its own ---------------------------------------------------------------------


def test_importing_backprop_lib_or_the_model_stays_light():
    code = (
        "import sys, backprop_lib, backprop_lib.widgets.explorer;"
        "from backprop_lib.widgets.explorer import ExplorerModel;"
        "heavy = [m for m in ('ipywidgets', 'matplotlib', 'PIL') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_run_returns_one_snapshot_per_step():
    model = _model(CONFIGS[0])
    run = model.run(6, every=2)
    assert [s.step for s in run] == [0, 2, 4, 6]
    assert run[0].last_update is None and run[1].last_update is not None


def test_a_refused_edit_leaves_the_model_unchanged():
    model = _model(CONFIGS[2])
    state = model.snapshot()
    with pytest.raises(ValueError, match="probability vectors"):
        model.set_targets([0.5, 0.7])
    with pytest.raises(ValueError, match="cannot be followed"):
        model.set_activation(2, "tanh")
    assert model.snapshot() is state


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"sizes": (2, 6, 2)}, ValueError, "at most 5 units"),
        ({"sizes": (2, 2)}, ValueError, "3 to 5 layer sizes"),
        ({"sizes": "2-2-2"}, TypeError, "sizes must be a list"),
        ({"x": (1.0,)}, ValueError, "x must hold 2 numbers"),
        ({"t": (1.0, np.nan)}, ValueError, "t must be finite"),
        ({"lr": -0.1}, ValueError, "lr must be a positive finite number"),
        ({"seed": -1}, TypeError, "seed must be a non-negative int"),
        ({"activations": ("sigmoid", "sigmod")}, ValueError, "Did you mean 'sigmoid'"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(kwargs, error, match):
    with pytest.raises(error, match=match):
        ExplorerModel(**kwargs)


def test_bad_parameters_and_units_are_refused():
    model = _model(CONFIGS[0])
    with pytest.raises(ValueError, match="does not exist"):
        model.set_parameter(Parameter("w", 3, 1, 1), 1.0)
    with pytest.raises(TypeError, match="finite real number"):
        model.set_parameter(Parameter("w", 1, 1, 1), "1")
    with pytest.raises(ValueError, match="hidden unit"):
        model.snapshot().delta_terms(Unit(2, 1))
    with pytest.raises(ValueError, match="weight needs its sending unit"):
        Parameter("w", 1, 1)
    with pytest.raises(FloatingPointError, match="overflowed"):
        overflow = _model(
            ((2, 2, 2), ("sigmoid", "linear"), "squared_error", (1.0, 0.5), (0.8, 0.2)),
            lr=5.0,
            seed=0,
        )
        overflow.step(400)


# -- pictures ---------------------------------------------------------------------------------


def _decode(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    image.load()
    return np.asarray(image.convert("RGB"))


def test_encode_png_round_trips(rng):
    pixels = rng.integers(0, 256, size=(7, 5, 3), dtype=np.uint8)
    np.testing.assert_array_equal(_decode(encode_png(pixels)), pixels)
    with pytest.raises(ValueError, match="shape"):
        encode_png(np.zeros((4, 4)))
    info = Image.open(io.BytesIO(encode_png(pixels, {"smallest-text-px": "11.00"}))).info
    assert info == {"smallest-text-px": "11.00"}


@pytest.mark.parametrize("dpi", [80, 40])
def test_the_picture_records_its_smallest_text(dpi):
    r"""``png()`` records its smallest text as book/figure_text.py does for the book's
    figures; at the default dpi 80 the 720 px picture, shown 672 px wide in the book's
    column, has every text at least 10 px tall (tests/book/test_site_layout.py)."""
    model = _model(CONFIGS[4])
    view = NetworkView(model.sizes, dpi=dpi)
    view.draw(model.snapshot())
    info = Image.open(io.BytesIO(view.png())).info
    px, pt = float(info["smallest-text-px"]), float(info["smallest-text-pt"])
    assert px == pytest.approx(pt * dpi / 72, abs=0.01)
    # no larger than the texts matplotlib draws: axis labels, tick labels, layer titles
    drawn = [view.ax_loss.xaxis.label, *view.ax_loss.get_yticklabels(), *view.ax_net.texts]
    sizes = [t.get_fontsize() * dpi / 72 for t in drawn if t.get_text().strip()]
    assert sizes and px <= min(sizes) + 0.01  # recorded to 2 decimals
    if dpi == 80:
        assert px * 672 / 720 >= 10.0
    else:
        assert px < 10.0 * 720 / 672 / 2 + 1  # half the pixels: about half the size


def test_the_picture_is_redrawn_after_a_step():
    model = _model(CONFIGS[4])
    view = NetworkView(model.sizes, figsize=(6.0, 3.0), dpi=50)
    view.draw(model.snapshot())
    first = _decode(view.png())
    assert first.shape == (150, 300, 3)
    model.step()
    view.draw(model.snapshot())
    second = _decode(view.png())
    assert (first != second).any()
    # redrawing the same snapshot gives the same picture (the cached background is reused)
    view.draw(model.snapshot())
    np.testing.assert_array_equal(_decode(view.png()), second)
    with pytest.raises(ValueError, match="sizes"):
        view.draw(_model(CONFIGS[0]).snapshot())


def test_the_animation_embeds_one_frame_per_snapshot():
    model = _model(CONFIGS[0])
    run = model.run(3)
    page = training_animation_html(run, figsize=(6.0, 3.0), dpi=40)
    # base64 lines joined by JavaScript line continuations (a backslash, then a newline)
    frames = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=\\\n]+)", page)
    assert len(frames) == 4
    view = NetworkView(model.sizes, figsize=(6.0, 3.0), dpi=40)
    view.draw(run[2])
    expected = view.render()
    frame = _decode(base64.b64decode(re.sub(r"[\\\n]", "", frames[2])))
    assert frame.shape == expected.shape
    # a 64-colour palette: close to the picture, pixel by pixel
    assert np.abs(frame.astype(int) - expected.astype(int)).mean() < 3.0
    assert "font-awesome" in page  # the player's icons (localised by the book's extension)
    with pytest.raises(TypeError, match="non-empty list"):
        training_animation_html([])


def test_the_formula_scrubber_links_a_slider_to_one_panel_per_snapshot():
    model = _model(CONFIGS[0])
    run = model.run(4, every=2)
    p, unit = Parameter("w", 2, 1, 1), Unit(1, 1)
    scrubber = formula_scrubber(run, p, unit)
    slider, stack = scrubber.children
    assert isinstance(stack, widgets.Stack) and len(stack.children) == len(run)
    assert scrubber.link.source == (slider, "index")
    assert scrubber.link.target == (stack, "selected_index")
    assert slider.index == 0 and slider.options == tuple(
        (str(s.step), k) for k, s in enumerate(run)
    )
    for panel, snapshot in zip(stack.children, run, strict=True):
        assert f"After step {snapshot.step}</b>" in panel.value
        assert formulas.number(snapshot.update_terms(p).update) in panel.value


#: A letter of the book's notation that needs a layer: s, o, w, b or delta, then a subscript.
_NEEDS_LAYER = re.compile(r"(?:\\delta|(?<![A-Za-z\\])[sowb])(\^\{\d+\})?_")


def _maths(panel: str) -> list[str]:
    return re.findall(r"\$\$(.*?)\$\$|\\\((.*?)\\\)", panel, flags=re.S)


def test_the_formula_scrubber_numbers_the_run_one_way_in_the_books_notation():
    """Issue 21: the scrubber showed a 0-based slider value, "Snapshot k of N" and "step k"
    on one line. Now the slider reads the step its panel is after, every number in the text
    is a step (the one the panel is after, the next, the last) or a unit's own index, and
    every s, o, w, b and delta in the maths carries its layer superscript (no e_k, no J)."""
    cases = [
        (ExplorerModel(sizes=(2, 3, 3, 2), activations=("tanh", "softmax", "sigmoid")), 3),
        (ExplorerModel(activations=("sigmoid", "softmax"), loss="cross_entropy", t=(1, 0)), 2),
        (ExplorerModel(), 2),
    ]
    for model, L in cases:
        run = model.run(4, every=2)
        units = [Unit(layer, i) for layer in range(1, L + 1) for i in (1, 2)]
        for unit in units:
            p = Parameter("w", L, 1, 2)
            slider, stack = formula_scrubber(run, p, unit).children
            assert slider.description == "after step"
            for k, (panel, snapshot) in enumerate(zip(stack.children, run, strict=True)):
                assert slider.options[k] == (str(snapshot.step), k)
                text = re.sub(r"\$\$.*?\$\$|\\\(.*?\\\)", "", panel.value, flags=re.S)
                text = re.sub(r"<[^>]+>", "", text)
                assert "napshot" not in text
                steps = [int(k) for k in re.findall(r"[Ss]tep (\d+)", text)]
                want = [snapshot.step, snapshot.step + 1]
                assert steps == want + ([snapshot.step] if snapshot.step else []), text
                assert f"the delta of unit {unit.i} of layer {unit.layer}" in text
                others = re.sub(r"[Ss]tep \d+|unit \d+ of layer \d+", "", text)
                assert not re.search(r"\d", others), others
                for display, inline in _maths(panel.value):
                    maths = display or inline
                    bare = [m for m in _NEEDS_LAYER.finditer(maths) if m.group(1) is None]
                    assert not bare, (maths, [m.group(0) for m in bare])
                    assert not re.search(r"\be_k|J_", maths), maths
