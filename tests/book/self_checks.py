r"""The self-checks of the static site (``site_assets/js/self_check.js``), driven in a browser.

:func:`exercise_self_checks` runs on the load of ``test_browser_pages.py::test_page_in_use``
(each numbered chapter at 1280 x 900, after its screenshots, before its controls are used).
For every self-check on every numbered chapter (at least three a chapter), with no kernel
and no network:

- before checking, the element has no verdict and its answer is not readable on the page;
- a typical mistake (the answer that a transposed W, f' taken at o, a missing 1/B or a
  sign gives, computed here) gives ``data-verdict="incorrect"``, ``data-hint`` naming that
  mistake and a hint in text; an answer off by a constant gives "incorrect" too;
- the right answer gives ``data-verdict="correct"``;
- for the computed kinds, the same again after "New numbers", over several draws, with the
  inputs read back from ``data-self-check``;
- no JavaScript error on the page.

The right answers come from ``backprop_lib`` (layers, networks, pairs, losses, the
central difference of ``gradcheck``; for the chapters beyond dense layers the autodiff
engine's ``Tensor``, ``BatchNorm``, ``Conv2D``, ``MaxPool2D``, and the update rules of
``SGD`` and ``Adam`` and ``clip_by_global_norm``), not from the page's script; the choices'
answers from the table ``CHOICES`` below, written from the chapters. The numbered chapters
are read from ``_toc.yml``, so a new chapter without three self-checks fails.
"""

from __future__ import annotations

import json
import re

import numpy as np
import yaml
from book_paths import REPO_ROOT

from backprop_lib import BatchNorm, Conv2D, Dense, MaxPool2D, Network
from backprop_lib.activations import get_activation
from backprop_lib.autodiff import Tensor
from backprop_lib.gradcheck import numerical_gradient
from backprop_lib.losses import CrossEntropy, get_loss
from backprop_lib.optimizers import SGD, Adam, clip_by_global_norm
from backprop_lib.pairs import output_delta

DRAWS = 3  # "New numbers" presses per computed self-check


def numbered_chapters() -> list[str]:
    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [
        chapter["file"]
        for part in toc["parts"]
        if part.get("numbered")
        for chapter in part["chapters"]
    ]


# The right option (counted from 0) of every multiple-choice self-check, by its id.
CHOICES = {
    "ff-shape-w2": 1,
    "ll-which-s": 2,
    "rd-transpose": 0,
    "pairs-fused": 1,
    "gc-eps": 1,
    "bl-sum-mean": 2,
    "wu-lr-batch": 0,
    "td-accuracy-vs-loss": 1,
    "ve-sigmoid-bound": 2,
    "ve-deeper": 0,
}


def _a(x) -> np.ndarray:
    return np.atleast_2d(np.asarray(x, dtype=np.float64))


def _layer(x, W: str = "W", b: str = "b", activation: str = "linear") -> Dense:
    W_ = _a(x[W])
    b_ = np.asarray(x[b], dtype=np.float64) if b in x else np.zeros(W_.shape[1])
    return Dense.from_arrays(W_, b_, activation)


def _by_hand(x) -> tuple[Network, np.ndarray, np.ndarray]:
    net = Network(
        [
            Dense.from_arrays(_a(x["W1"]), np.asarray(x["b1"], float), "sigmoid"),
            Dense.from_arrays(_a(x["W2"]), np.asarray(x["b2"], float), "sigmoid"),
        ],
        loss="squared_error",
    )
    X, T = _a(x["x"]), _a(x["t"])
    net.backward(X, T)
    return net, X, T


def _chain(x) -> Network:
    layers = [Dense.from_arrays([[w]], [0.0], "sigmoid") for w in x["w"]]
    net = Network(layers, loss="squared_error")
    net.backward([[x["x"]]], [[x["t"]]])
    return net


def expected(x: dict) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    r"""The right answer of a computed self-check, and the answers of some typical mistakes,
    from its inputs (the JSON of ``data-self-check``), by ``backprop_lib``."""
    kind = x["kind"]
    sigma = get_activation("sigmoid")
    if kind == "pre-activation":
        layer = _layer(x)
        s = layer.forward(_a(x["o_prev"]))
        return s, {"transposed-W": _a(x["o_prev"]) @ _a(x["W"]).T + x["b"]}
    if kind == "layer-output":
        layer = _layer(x, activation=x.get("activation", "sigmoid"))
        o = layer.forward(_a(x["o_prev"]))
        return o, {"no-activation": layer.s}
    if kind == "output-delta":
        f = get_activation(x.get("activation", "sigmoid"))
        s, t = _a(x["s"]), _a(x["t"])
        o = f.forward(s)
        delta = output_delta(f, get_loss("squared_error"), s, o, t)
        return delta, {"derivative-at-o": (o - t) * f.derivative(o) / len(s)}
    if kind == "fused-delta":
        f = get_activation("softmax")
        s, t = _a(x["s"]), _a(x["t"])
        p = f.forward(s)
        return output_delta(f, CrossEntropy(), s, p, t), {"missing-1/B": p - t}
    if kind == "softmax-jacobian":
        p = get_activation("softmax").forward(_a(x["s"]))[0]
        return (
            get_activation("softmax").jacobian(_a(x["s"]))[0],
            {"diagonal-only": np.diag(p * (1 - p))},
        )
    if kind == "hidden-delta":
        f = get_activation(x.get("activation", "sigmoid"))
        above = _layer(x, W="W_next", b="none")
        s = _a(x["s"])
        above.forward(f.forward(s))
        grad_o = above.backward_delta(_a(x["delta_next"]))  # delta^{l+1} (W^{l+1})^T
        delta = f.backward(s, f.forward(s), grad_o)
        return delta, {"derivative-at-o": grad_o * f.derivative(f.forward(s))}
    if kind in ("weight-gradient", "bias-gradient"):
        delta = _a(x["delta"])
        o_prev = _a(x.get("o_prev", np.ones((len(delta), 2))))
        layer = Dense.from_arrays(
            np.zeros((o_prev.shape[1], delta.shape[1])), np.zeros(2), "linear"
        )
        layer.forward(o_prev)
        layer.backward_delta(delta)
        if kind == "weight-gradient":
            return layer.dW, {"transposed": layer.dW.T}
        return _a(layer.db), {"divided-again": _a(layer.db) / len(delta)}
    if kind == "weight-update":
        layer = _layer(x)
        net = Network([layer], loss="squared_error")
        layer.forward(np.zeros((1, layer.n_in)))
        layer.backward_delta(np.zeros((1, layer.n_out)))
        layer.dW = _a(x["dW"])  # the gradient the page gives
        net.step(x["lr"])
        return layer.W, {"sign": _a(x["W"]) + x["lr"] * _a(x["dW"])}
    if kind == "by-hand":
        net, X, T = _by_hand(x)
        hidden, output = net.layers
        ask = x.get("ask", "dW1")
        if ask == "o2":
            wrong = sigma.forward(sigma.forward(X @ hidden.W.T + hidden.b) @ output.W + output.b)
            return output.o, {"transposed-W": wrong}
        if ask == "delta2":
            d_at_o = (output.o - T) * sigma.derivative(output.o)
            return output.delta, {"derivative-at-o": d_at_o}
        return hidden.dW, {"transposed": hidden.dW.T}
    if kind == "central-difference":
        net = Network([Dense.from_arrays([[x["w"]]], [x["b"]], "sigmoid")], "squared_error")
        g = numerical_gradient(net, [[x["x"]]], [[x["t"]]], 0, "W", eps=x["eps"])
        return _a(g), {"missing-2": 2 * _a(g)}
    if kind == "relative-error":
        a, n = x["a"], x["n"]
        return _a(abs(a - n) / max(abs(a), abs(n))), {"absolute-error": _a(abs(a - n))}
    if kind == "chain":
        net = _chain(x)
        dW1 = net.layers[0].dW
        o, s = [layer.o[0, 0] for layer in net.layers], [layer.s[0, 0] for layer in net.layers]
        d = sigma.derivative(np.array(s))
        no_w = x["x"] * d[0] * d[1] * d[2] * (o[2] - x["t"])
        return dW1, {"missing-weights": _a(no_w)}
    if kind == "cross-entropy":
        p = _a(x["p"])
        T = np.eye(p.shape[1])[x["y"]]
        E = CrossEntropy().value(p, T)
        return _a(E), {"missing-1/B": _a(E * len(p))}
    if kind == "accuracy":
        o = _a(x["o"])
        right = int(np.sum(np.argmax(o, axis=1) == np.asarray(x["y"])))
        return _a(right / len(o)), {"count": _a(right)}
    if kind in NEWER_KINDS:
        return NEWER_KINDS[kind](x)
    raise AssertionError(f"no reference for self-check kind {kind!r}")


# -- the kinds of the chapters beyond dense layers: answers from the engine, the layers and
# -- the optimizers of backprop_lib; each mistake written out here from its description


def _broadcast_product(x):
    X, w, G = _a(x["x"]), np.asarray(x["w"], float), _a(x["g"])
    tw = Tensor(w)
    (Tensor(X) * tw).backward(G)
    return _a(tw.grad), {"not-summed": _a(G[0] * X[0]), "no-x": _a(G.sum(axis=0))}


def _used_twice(x):
    X, w, G = _a(x["x"]), _a(x["w"]), _a(x["g"])
    tx = Tensor(X)
    (tx * Tensor(w) + tx.tanh()).backward(G)
    return tx.grad, {"only-tanh-path": G / np.cosh(X) ** 2, "only-product-path": G * w}


def _matmul_vjp(x):
    A, B, G = _a(x["A"]), _a(x["B"]), _a(x["g"])
    ta, tb = Tensor(A), Tensor(B)
    (ta @ tb).backward(G)
    return ta.grad, {"not-transposed": G @ B, "other-factor": tb.grad}


def _batchnorm_backward(x):
    X, G = _a(x["x"]), _a(x["g"])
    bn = BatchNorm(1, eps=x["eps"])
    bn.gamma = np.array([float(x["gamma"])])
    bn.forward(X)
    grad = bn.backward(G)
    # mu and sigma taken as constants (evaluation mode's rule): the direct path alone
    constants = G * x["gamma"] / np.sqrt(X.var() + x["eps"])
    return grad, {"constants": constants}


def _conv(x):
    W = _a(x["W"])
    conv = Conv2D(1, 1, len(W), rng=0)
    conv.W = W.reshape(1, 1, *W.shape)
    conv.b = np.array([float(x.get("b", 0.0))])
    return conv


def _conv_input_grad(x):
    conv = _conv(x)
    conv.forward(np.zeros((1, 1, 3, 3)))
    grad = conv.backward(_a(x["g"])[None, None])[0, 0]
    # the kernel as it stands, slid over the gradient padded by 1 (not flipped)
    padded, W = np.pad(_a(x["g"]), 1), _a(x["W"])
    not_flipped = np.array(
        [[np.sum(padded[m : m + 2, n : n + 2] * W) for n in range(3)] for m in range(3)]
    )
    return grad, {"not-flipped": not_flipped}


def _maxpool_backward(x):
    X, G = _a(x["x"]), _a(x["g"])
    pool = MaxPool2D(2)
    pool.forward(X[None, None])
    grad = pool.backward(G[None, None])[0, 0]
    return grad, {"spread": np.repeat(G, 2, axis=1).repeat(2, axis=0) / 4}


def _conv_forward(x):
    conv = _conv(x)
    X, W = _a(x["x"]), _a(x["W"])
    y = conv.forward(X[None, None])[0, 0]
    flipped = np.array(
        [[np.sum(X[i : i + 2, j : j + 2] * W[::-1, ::-1]) for j in range(2)] for i in range(2)]
    )
    return y, {"flipped-kernel": flipped + x["b"], "no-bias": y - x["b"]}


def _conv_output_size(x):
    conv = Conv2D(1, 1, x["k"], stride=x["s"], padding=x["p"], rng=0)
    H_out = conv.forward(np.zeros((1, 1, x["H"], x["H"]))).shape[2]
    no_padding = Conv2D(1, 1, x["k"], stride=x["s"], rng=0)
    wrong = no_padding.forward(np.zeros((1, 1, x["H"], x["H"]))).shape[2]
    return _a(H_out), {"no-plus-one": _a(H_out - 1), "no-padding": _a(wrong)}


def _conv_parameters(x):
    conv = Conv2D(x["C"], x["O"], x["k"], rng=0)
    return _a(conv.n_parameters), {"no-bias": _a(conv.W.size)}


def _momentum_step(x):
    theta, v, g = _a(x["theta"]), _a(x["v"]), _a(x["g"])
    sgd = SGD(x["lr"], momentum=x["mu"])
    sgd.state, sgd.t = [{"velocity": v}], 1
    _, steps = sgd.updates([theta], [g])
    plain = SGD(x["lr"])
    _, plain_steps = plain.updates([theta], [g])
    return theta - steps[0], {
        "no-momentum": theta - plain_steps[0],
        "old-velocity": theta - x["lr"] * v,
    }


def _adam_step(x):
    theta, g = _a(x["theta"]), _a(x["g"])
    adam = Adam(x["lr"], betas=tuple(x["betas"]), eps=x["eps"])
    adam.state, adam.t = [{"m": _a(x["m"]), "v": _a(x["v"])}], x["t"] - 1
    _, steps = adam.updates([theta], [g])
    (b1, b2), m, v = x["betas"], _a(x["m"]), _a(x["v"])
    m_new, v_new = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2
    uncorrected = theta - x["lr"] * m_new / (np.sqrt(v_new) + x["eps"])
    return theta - steps[0], {"no-bias-correction": uncorrected, "sign": theta + steps[0]}


def _clip_norm(x):
    dW, db = _a(x["dW"]), np.asarray(x["db"], float)
    clipped = clip_by_global_norm([dW, db], x["c"])[0]
    own = clip_by_global_norm([dW], x["c"])[0]
    return clipped, {"per-array": own, "no-clip": dW}


NEWER_KINDS = {
    "broadcast-product": _broadcast_product,
    "used-twice": _used_twice,
    "matmul-vjp": _matmul_vjp,
    "batchnorm-backward": _batchnorm_backward,
    "conv-input-grad": _conv_input_grad,
    "maxpool-backward": _maxpool_backward,
    "conv-forward": _conv_forward,
    "conv-output-size": _conv_output_size,
    "conv-parameters": _conv_parameters,
    "momentum-step": _momentum_step,
    "adam-step": _adam_step,
    "clip-norm": _clip_norm,
}


# -- driving the page ------------------------------------------------------------------------

FILL = """([k, values]) => {
    const el = document.querySelectorAll("[data-self-check]")[k];
    const fields = el.querySelectorAll(".self-check-field");
    if (fields.length !== values.length) return fields.length;
    fields.forEach((f, i) => { f.value = values[i]; });
    el.querySelector(".self-check-check").click();
    return -1;
}"""

STATE = """(k) => {
    const el = document.querySelectorAll("[data-self-check]")[k];
    const verdict = el.querySelector(".self-check-verdict");
    return {spec: el.getAttribute("data-self-check"), verdict: el.getAttribute("data-verdict"),
            hint: el.getAttribute("data-hint"), mistakes: el.getAttribute("data-mistakes"),
            text: verdict ? verdict.innerText : "", ready: el.getAttribute("data-self-check-ready"),
            hasNew: el.querySelector(".self-check-new") !== null};
}"""


def _fill(page, k: int, values: np.ndarray) -> dict:
    entries = [f"{v:.8g}" for v in np.ravel(values)]
    n_fields = page.evaluate(FILL, [k, entries])
    assert n_fields == -1, f"self-check #{k}: {n_fields} fields for {len(entries)} entries"
    return page.evaluate(STATE, k)


def _shown(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text.replace("-", "−")


def _numbers(spec) -> list[float]:
    if isinstance(spec, dict):
        return [v for value in spec.values() for v in _numbers(value)]
    if isinstance(spec, list):
        return [v for value in spec for v in _numbers(value)]
    return [float(spec)] if isinstance(spec, int | float) else []


def _answer_hidden(page, k: int, spec: dict, answer: np.ndarray, where: str) -> list[str]:
    r"""A problem if every entry of the answer can be read in the self-check's text (entries
    that are whole numbers or equal to one of its inputs are not counted)."""
    text = page.locator("[data-self-check]").nth(k).inner_text()
    inputs = _numbers(spec)
    entries = [
        v
        for v in np.ravel(answer)
        if abs(v - round(v)) > 1e-9 and not any(abs(v - u) < 1e-9 for u in inputs)
    ]
    if not entries:
        return []
    found = [
        v
        for v in entries
        if re.search(rf"(?<![\d.]){re.escape(_shown(v))}(?!\d)", text)
        or re.search(rf"(?<![\d.]){re.escape(f'{v:.3f}'.replace('-', '−'))}(?!\d)", text)
    ]
    if len(found) == len(entries):
        return [f"{where}: every entry of the answer {np.ravel(answer)} is on the page"]
    return []


def _exercise_computed(page, k: int, where: str) -> list[str]:
    problems = []
    state = page.evaluate(STATE, k)
    spec = json.loads(state["spec"])
    answer, mistakes = expected(spec)
    where = f"{where} ({spec['kind']}, inputs {state['spec']})"
    if state["verdict"] is not None:
        problems.append(f"{where}: a verdict before checking")
    problems += _answer_hidden(page, k, spec, answer, where)
    live = (state["mistakes"] or "").split()
    for mistake, value in mistakes.items():
        if mistake not in live:
            continue  # this instance does not tell it apart (the page says so)
        got = _fill(page, k, value)
        if got["verdict"] != "incorrect" or got["hint"] != mistake or len(got["text"]) < 40:
            problems.append(f"{where}: the mistake {mistake} gave {got}")
    tested = [m for m in mistakes if m in live]
    if not tested:
        problems.append(f"{where}: none of the mistakes {list(mistakes)} is told apart ({live})")
    got = _fill(page, k, np.asarray(answer) + 0.37)
    if got["verdict"] != "incorrect" or "Incorrect" not in got["text"]:
        problems.append(f"{where}: an answer off by 0.37 gave {got}")
    got = _fill(page, k, answer)
    if got["verdict"] != "correct" or "Correct" not in got["text"]:
        problems.append(f"{where}: the right answer {np.ravel(answer)} gave {got}")
    return problems


def _exercise_choice(page, k: int, where: str) -> list[str]:
    problems = []
    state = page.evaluate(STATE, k)
    spec = json.loads(state["spec"])
    where = f"{where} (choice {spec.get('id')})"
    right = CHOICES.get(spec.get("id"))
    if right is None:
        return [f"{where}: not in this test's table CHOICES"]
    if spec["answer"] != right:
        problems.append(f"{where}: the page's answer {spec['answer']} is not {right}")
    radios = page.locator("[data-self-check]").nth(k).locator("input[type=radio]")
    check = page.locator("[data-self-check]").nth(k).locator(".self-check-check")
    wrong_with_hint = [int(m.removeprefix("option-")) for m in (state["mistakes"] or "").split()]
    if not wrong_with_hint:
        problems.append(f"{where}: no wrong option carries a hint")
    for option in wrong_with_hint:
        radios.nth(option).check()
        check.click()
        got = page.evaluate(STATE, k)
        if (
            got["verdict"] != "incorrect"
            or got["hint"] != f"option-{option}"
            or len(got["text"]) < 30
        ):
            problems.append(f"{where}: option {option} gave {got}")
    radios.nth(right).check()
    check.click()
    got = page.evaluate(STATE, k)
    if got["verdict"] != "correct":
        problems.append(f"{where}: the right option {right} gave {got}")
    return problems


def exercise_self_checks(page, name: str) -> tuple[int, list[str]]:
    r"""Drive every self-check of the open page; return their count and the problems."""
    count = page.evaluate("() => document.querySelectorAll('[data-self-check]').length")
    problems = []
    for k in range(count):
        state = page.evaluate(STATE, k)
        where = f"{name}, self-check #{k}"
        if state["ready"] != "true":
            problems.append(f"{where}: the script did not set it up")
            continue
        if json.loads(state["spec"])["kind"] == "choice":
            problems += _exercise_choice(page, k, where)
            continue
        problems += _exercise_computed(page, k, where)
        if not state["hasNew"]:
            continue
        for draw in range(DRAWS):
            before = page.evaluate(STATE, k)["spec"]
            page.locator("[data-self-check]").nth(k).locator(".self-check-new").click()
            if page.evaluate(STATE, k)["spec"] == before:
                problems.append(f"{where}: New numbers kept the same numbers")
            problems += _exercise_computed(page, k, f"{where}, draw {draw + 1}")
    return count, problems
