r"""The retrain panel on the static site (``book/training-digits.html``), with no network.

The test chooses settings through the panel's menus (``data-control``) and reads the
figures the page shows (``data-quantity`` spans, and ``window.backpropRetrainPanels[0]
.state()``). Expected values come from training the same network again here with
``train_digits`` (not from the page's data): the shown training loss, validation loss and
accuracies must be that run's ``History`` after the chosen number of epochs, and the page
must say that its runs are precomputed.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from book_paths import open_widget_page

from backprop_lib.teaching.datasets import load_digits
from backprop_lib.teaching.training_run import train_digits, validation_split

pytestmark = [pytest.mark.book, pytest.mark.browser]

PAGE = "book/training-digits.html"
# The grid of the chapter's cell: book/training-digits.md, section td-retrain.
LRS, HIDDEN, EPOCHS = (0.5, 2.0, 10.0), (16, 64), (5, 10, 20)


SET = """([name, value]) => {
    const el = window.backpropRetrainPanels[0].el.querySelector(`[data-control="${name}"]`);
    el.value = String(value);
    el.dispatchEvent(new Event("change", {bubbles: true}));
}"""

SHOWN = """() => Object.fromEntries(Array.from(window.backpropRetrainPanels[0].el
    .querySelectorAll("[data-quantity]")).map(e => [e.dataset.quantity, e.textContent]))"""


@pytest.fixture(scope="module")
def data():
    d = load_digits(test_size=0.25, rng=0)
    return validation_split(d.X_train, d.T_train, fraction=0.2, rng=0)


def test_shown_figures_are_the_runs(site_server, offline_page, data):
    (X_fit, T_fit), (X_val, T_val) = data
    page = open_widget_page(
        offline_page, site_server + PAGE, "backpropRetrainPanels", "retrain panel"
    ).page
    note = page.evaluate("() => window.backpropRetrainPanels[0].el.textContent")
    assert "precomputed" in note and "12 runs" in note
    batches = (16, len(X_fit))
    # three settings retrained here (each a few seconds), every setting compared to its run
    # on the page for consistency of the shown text with the page's numbers
    retrained = {(2.0, 64, 16), (0.5, 16, len(X_fit)), (10.0, 16, 16)}
    checked = 0
    for lr, hidden, batch in itertools.product(LRS, HIDDEN, batches):
        page.evaluate(SET, ["lr", f"{lr:g}"])
        page.evaluate(SET, ["n_hidden", hidden])
        page.evaluate(SET, ["batch_size", batch])
        run = None
        if (lr, hidden, batch) in retrained:
            run = train_digits(
                X_fit,
                T_fit,
                X_val,
                T_val,
                n_hidden=hidden,
                lr=lr,
                batch_size=batch,
                epochs=max(EPOCHS),
                seed=0,
            ).history
        for epochs in EPOCHS:
            page.evaluate(SET, ["epochs", epochs])
            state = page.evaluate("() => window.backpropRetrainPanels[0].state()")
            assert state["key"] == f"{lr:g}|{hidden}|{batch}" and state["epochs"] == epochs
            figures, text = state["shown"], page.evaluate(SHOWN)
            assert text["val_accuracy"] == f"{100 * figures['val_accuracy']:.1f} %"
            assert text["train_loss"] == f"{figures['train_loss']:.4f}"
            if run is not None:
                np.testing.assert_allclose(
                    [
                        figures[k]
                        for k in ("train_loss", "val_loss", "train_accuracy", "val_accuracy")
                    ],
                    [
                        run.loss[epochs],
                        run.val_loss[epochs],
                        run.accuracy[epochs],
                        run.val_accuracy[epochs],
                    ],
                    rtol=1e-12,
                )
                checked += 1
            image = page.evaluate(
                "() => window.backpropRetrainPanels[0].el.querySelector('img.bp-weights').src"
            )
            assert image.startswith("data:image/png;base64,")
    assert checked == 3 * len(EPOCHS)
    assert offline_page.problems() == []
