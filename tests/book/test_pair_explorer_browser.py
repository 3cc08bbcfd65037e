r"""The pair explorer on the static site (``book/pairs.html``), in chromium with no network.

The test chooses pairs and moves the sliders through the DOM (``data-control``), reads what
the page computed from ``window.backpropPairExplorers[0].state()`` and from the table
(``data-quantity``), and compares with ``backprop_lib``: ``pair_agreement(...)``'s
``delta_library`` (``Network.backward``) to the exact tolerance of the pair explorer
(``EXACT_TOLERANCE``, scaled error), its outputs to ``rtol=1e-12``; the page's own central
differences must agree with its delta within ``NUMERICAL_TOLERANCE``; every undefined
pair shows the library's reason.
"""

from __future__ import annotations

import numpy as np
import pytest
from book_paths import open_widget_page

from backprop_lib import VALID_PAIRS, check_pair
from backprop_lib.activations import ACTIVATION_NAMES
from backprop_lib.losses import LOSS_NAMES
from backprop_lib.teaching.pair_catalogue import (
    EXACT_TOLERANCE,
    NUMERICAL_TOLERANCE,
    pair_agreement,
    scaled_error,
)

pytestmark = [pytest.mark.book, pytest.mark.browser]

PAGE = "book/pairs.html"


STATE = "() => window.backpropPairExplorers[0].state()"

SET = """([name, value]) => {
    const el = window.backpropPairExplorers[0].el.querySelector(`[data-control="${name}"]`);
    if (el === null) throw new Error("no control " + name);
    el.value = String(value);
    el.dispatchEvent(new Event(el.tagName === "SELECT" ? "change" : "input", {bubbles: true}));
    return el.value;
}"""

TABLE = """() => Array.from(window.backpropPairExplorers[0].el.querySelectorAll(
    "[data-quantity]")).map(e => [e.dataset.quantity, e.dataset.unit || null, e.textContent])"""


# The explorer's controls and their values, in the page's order (the menus first).
CONTROLS = """() => Array.from(window.backpropPairExplorers[0].el.querySelectorAll(
    "[data-control]")).map(e => [e.dataset.control, e.value])"""


@pytest.fixture(scope="module")
def opened_pairs_page(site_server, module_offline_page):
    r"""The page, opened once for the module's tests; its controls and state as opened."""
    page = open_widget_page(
        module_offline_page, site_server + PAGE, "backpropPairExplorers", "pair explorer"
    )
    return page, page.page.evaluate(CONTROLS), page.page.evaluate(STATE)


@pytest.fixture
def pairs_page(opened_pairs_page):
    r"""The shared page, its controls set back to the values it opened with: the state of a
    fresh load (checked)."""
    page, controls, state = opened_pairs_page
    for name, value in controls:
        page.page.evaluate(SET, [name, value])
    assert page.page.evaluate(CONTROLS) == controls
    assert page.page.evaluate(STATE) == state
    return page


def _targets(loss, rng):
    if loss in ("cross_entropy", "binary_cross_entropy"):
        return [round(float(v) * 0.05, 2) for v in rng.integers(1, 21, 3)]
    return [round(float(v) * 0.05, 2) for v in rng.integers(-40, 41, 3)]


def test_delta_equals_the_library_for_every_valid_pair(pairs_page):
    page = pairs_page.page
    rng = np.random.default_rng(4)
    checked = 0
    for a, loss in sorted(VALID_PAIRS):
        page.evaluate(SET, ["activation", a])
        page.evaluate(SET, ["loss", loss])
        for k in range(4):
            # away from relu's kink at 0, where central differences see the mean slope
            s = (
                [
                    round(float(v) * 0.1, 1) * (1 if v else 0) + (0.0 if v else 0.5)
                    for v in rng.integers(-60, 61, 3)
                ]
                if k < 3
                else [6.0, -6.0, 6.0]
            )  # saturation
            for u, v in enumerate(s, start=1):
                page.evaluate(SET, [f"s{u}", v])
            for u, v in enumerate(_targets(loss, rng), start=1):
                page.evaluate(SET, [f"t{u}", v])
            state = page.evaluate(STATE)
            where = f"{a} + {loss} at s = {state['s']}, t = {state['t']}"
            assert state["s"] == s, where
            g = pair_agreement(a, loss, [state["s"]], [state["t"]])
            assert scaled_error(state["delta"], g.delta_library[0]) <= EXACT_TOLERANCE, where
            np.testing.assert_allclose(state["o"], g.o[0], rtol=1e-12, atol=1e-15, err_msg=where)
            assert state["error"] <= NUMERICAL_TOLERANCE and state["agree"], where
            shown = page.evaluate(TABLE)
            assert ["agreement", None] in [row[:2] for row in shown], where
            assert any(q == "delta" for q, _, _ in shown), where
            checked += 1
    assert checked == 4 * len(VALID_PAIRS)
    assert pairs_page.problems() == []


def test_relu_kink_is_explained(pairs_page):
    page = pairs_page.page
    page.evaluate(SET, ["activation", "relu"])
    page.evaluate(SET, ["loss", "squared_error"])
    page.evaluate(SET, ["s1", 0])
    state = page.evaluate(STATE)
    assert state["s"][0] == 0 and not state["agree"]  # the kink: the mean of both slopes
    text = page.evaluate(
        "() => window.backpropPairExplorers[0].el.querySelector('.bp-numbers').textContent"
    )
    assert "kink" in text


def test_undefined_pairs_show_the_librarys_reason(pairs_page):
    page = pairs_page.page
    for a in ACTIVATION_NAMES:
        for loss in LOSS_NAMES:
            if (a, loss) in VALID_PAIRS:
                continue
            page.evaluate(SET, ["activation", a])
            page.evaluate(SET, ["loss", loss])
            state = page.evaluate(STATE)
            with pytest.raises(ValueError) as err:
                check_pair(a, loss)
            assert state["problem"] == str(err.value), (a, loss)
            assert "delta" not in state, (a, loss)
            text = page.evaluate(
                "() => window.backpropPairExplorers[0].el.querySelector('.bp-numbers').textContent"
            )
            assert str(err.value) in text, (a, loss)
    assert pairs_page.problems() == []


def test_nan_is_refused_and_the_explorer_stays_usable(pairs_page):
    page = pairs_page.page
    page.evaluate(SET, ["activation", "tanh"])
    page.evaluate(SET, ["loss", "squared_error"])
    before = page.evaluate(STATE)
    # a range input sanitises what it is given: "NaN" becomes its default, never NaN
    page.evaluate(SET, ["s1", "NaN"])
    after = page.evaluate(STATE)
    assert all(np.isfinite(after["s"])) and all(np.isfinite(after["delta"]))
    page.evaluate(SET, ["s1", 6.0])
    state = page.evaluate(STATE)
    assert state["s"][0] == 6.0 and state["agree"], (before, state)
    assert pairs_page.problems() == []


PHONE = {"width": 390, "height": 844}

# The derivation and the table of the pair explorer: how far their content is wider than
# their box (they were cut off on the right at 390 px).
OVERFLOW = """() => Array.from(window.backpropPairExplorers[0].el.querySelectorAll(
    ".bp-tex, .bp-pair-table")).map(e => ({
        what: e.classList.contains("bp-tex") ? "derivation" : "table",
        excess: e.scrollWidth - e.clientWidth}))"""

TYPESET = """() => {
    const tex = window.backpropPairExplorers[0].el.querySelector(".bp-tex");
    return tex !== null && tex.querySelector("mjx-container") !== null;
}"""


def test_the_derivation_and_the_table_fit_a_phone(site_server, offline_page, screenshot_dir):
    r"""At 390 x 844 the derivation ("(with Σ t_k = 1)" of softmax + cross_entropy) and the
    table of every valid pair fit the column: nothing is cut off on the right."""
    offline_page.page.set_viewport_size(PHONE)
    page = open_widget_page(
        offline_page, site_server + PAGE, "backpropPairExplorers", "pair explorer"
    ).page
    problems = []
    for a, loss in sorted(VALID_PAIRS):
        page.evaluate(SET, ["activation", a])
        page.evaluate(SET, ["loss", loss])
        page.wait_for_function(TYPESET, timeout=20_000)
        page.wait_for_timeout(100)
        problems += [
            f"{a} + {loss}: the {o['what']} is {o['excess']} px wider than the explorer"
            for o in page.evaluate(OVERFLOW)
            if o["excess"] > 1
        ]
    page.evaluate(SET, ["activation", "softmax"])
    page.evaluate(SET, ["loss", "cross_entropy"])
    page.wait_for_function(TYPESET, timeout=20_000)
    page.evaluate(
        "() => window.backpropPairExplorers[0].el.querySelector('.bp-tex')"
        ".scrollIntoView({block: 'start'})"
    )
    page.screenshot(path=screenshot_dir / "pair-explorer--phone-390.png")
    assert not problems, "\n".join(problems)
