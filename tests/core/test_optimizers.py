r"""The optimizers of ``backprop_lib.optimizers`` against a reference written here.

The reference (:func:`reference_run`) trains a two-layer tanh/linear network with the
half squared error from the update rules as ``torch.optim`` documents them, with its own
forward pass and hand-derived gradients (:func:`reference_gradients`), the shuffling that
``fit`` documents (``rng.permutation`` once per epoch) and clipping by the global norm. It
imports nothing from ``backprop_lib``'s optimizers or network code.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from helpers import assert_layer_state, layer_state

from backprop_lib import SGD, Adam, Dense, Network, RMSProp

N_SAMPLES, SIZES = 8, (3, 4, 2)


def problem(seed=0):
    """A float64 regression problem and a [3, 4, 2] tanh/linear network."""
    data = np.random.default_rng(seed)
    X = data.normal(size=(N_SAMPLES, SIZES[0]))
    T = data.normal(size=(N_SAMPLES, SIZES[2]))
    net = Network.from_sizes(SIZES, ["tanh", "linear"], "squared_error", rng=seed + 1)
    return X, T, net


def reference_gradients(params, X, T):
    r"""``[dW1, db1, dW2, db2]`` of :math:`E = \frac1B \sum_n \frac12 \lVert o_n -
    t_n\rVert^2` with :math:`h = \tanh(X W_1 + b_1)`, :math:`o = h W_2 + b_2`, by hand."""
    W1, b1, W2, b2 = params
    h = np.tanh(X @ W1 + b1)
    o = h @ W2 + b2
    d2 = (o - T) / len(X)
    d1 = (d2 @ W2.T) * (1 - h**2)
    return [X.T @ d1, d1.sum(0), h.T @ d2, d2.sum(0)]


def reference_step(kind, settings, params, grads, state, t):
    """One step of ``kind`` written from torch.optim's documented algorithms; returns the
    new params and state (lists)."""
    lr = settings["lr"]
    new_params, new_state = [], []
    for P, g, s in zip(params, grads, state, strict=True):
        if kind == "sgd":
            mu = settings.get("momentum", 0.0)
            if mu:
                buf = g.copy() if t == 1 else mu * s + g  # torch: buf = g at the first step
                d = g + mu * buf if settings.get("nesterov") else buf
            else:
                buf, d = s, g
            new_params.append(P - lr * d)
            new_state.append(buf)
        elif kind == "rmsprop":
            alpha, eps = settings.get("alpha", 0.99), settings.get("eps", 1e-8)
            sq = alpha * s + (1 - alpha) * g * g
            new_params.append(P - lr * g / (np.sqrt(sq) + eps))
            new_state.append(sq)
        else:
            (b1, b2), eps = settings.get("betas", (0.9, 0.999)), settings.get("eps", 1e-8)
            m, v = s
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            bias1, bias2 = 1 - b1**t, 1 - b2**t
            step_size = lr / bias1  # torch's arrangement of the same formula
            denom = np.sqrt(v) / math.sqrt(bias2) + eps
            new_params.append(P - step_size * m / denom)
            new_state.append((m, v))
    return new_params, new_state


def reference_clip(grads, clip_norm):
    total = math.sqrt(sum(float((g**2).sum()) for g in grads))
    if clip_norm is None or total <= clip_norm:
        return grads, False
    return [g * (clip_norm / total) for g in grads], True


def reference_run(kind, settings, params, X, T, epochs, batch_size, seed, clip_norm=None):
    """The parameters, the state, the step count and how many steps were clipped."""
    shuffle = np.random.default_rng(seed)
    zeros = [np.zeros_like(P) for P in params]
    state = [(z, z) for z in zeros] if kind == "adam" else zeros
    t = clipped = 0
    for _ in range(epochs):
        order = shuffle.permutation(len(X))
        for start in range(0, len(X), batch_size):
            rows = order[start : start + batch_size]
            grads, was = reference_clip(reference_gradients(params, X[rows], T[rows]), clip_norm)
            clipped += was
            t += 1
            params, state = reference_step(kind, settings, params, grads, state, t)
    return params, state, t, clipped


CONFIGS = [
    ("sgd", {"lr": 0.1}),
    ("sgd", {"lr": 0.1, "momentum": 0.9}),
    ("sgd", {"lr": 0.05, "momentum": 0.5, "nesterov": True}),
    ("rmsprop", {"lr": 0.01}),
    ("rmsprop", {"lr": 0.02, "alpha": 0.9, "eps": 1e-3}),
    ("adam", {"lr": 0.01}),
    ("adam", {"lr": 0.05, "betas": (0.5, 0.9), "eps": 1e-4}),
]
CLASSES = {"sgd": SGD, "rmsprop": RMSProp, "adam": Adam}


def make(kind, settings):
    return CLASSES[kind](**settings)


def params_of(net):
    return [P.copy() for layer in net.layers for P in (layer.W, layer.b)]


def state_arrays(kind, opt):
    """The optimizer's state in the reference's layout."""
    if kind == "adam":
        return [(s["m"], s["v"]) for s in opt.state]
    if kind == "sgd" and not opt.momentum:
        return None
    return [s[opt.STATE[0]] for s in opt.state]


@pytest.mark.parametrize("clip_norm", [None, 0.05], ids=["no-clip", "clip"])
@pytest.mark.parametrize("batch_size", [3, N_SAMPLES], ids=["minibatch", "fullbatch"])
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c[0]}-{len(c[1])}")
def test_fit_with_an_optimizer_takes_the_reference_steps(config, batch_size, clip_norm):
    kind, settings = config
    X, T, net = problem()
    start = params_of(net)
    epochs = 5
    expected, state, t, clipped = reference_run(
        kind, settings, start, X, T, epochs, batch_size, seed=3, clip_norm=clip_norm
    )
    opt = make(kind, settings)
    net.fit(X, T, epochs=epochs, batch_size=batch_size, optimizer=opt, rng=3, clip_norm=clip_norm)
    assert opt.t == t == epochs * -(-N_SAMPLES // batch_size)
    if clip_norm is not None:
        assert clipped > 0  # the clipping case really clips
    for P, P_ref, P0 in zip(params_of(net), expected, start, strict=True):
        np.testing.assert_allclose(P, P_ref, rtol=1e-12, atol=1e-15)
        assert np.abs(P - P0).max() > 1e-4  # the steps moved the weights
    held = state_arrays(kind, opt)
    if held is not None:
        flat = lambda s: [a for x in s for a in (x if isinstance(x, tuple) else (x,))]  # noqa: E731
        for a, b in zip(flat(held), flat(state), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_plain_lr_with_clipping_takes_the_reference_steps():
    X, T, net = problem()
    expected, _, _, clipped = reference_run(
        "sgd", {"lr": 0.3}, params_of(net), X, T, 4, 3, seed=1, clip_norm=0.05
    )
    net.fit(X, T, epochs=4, lr=0.3, batch_size=3, rng=1, clip_norm=0.05)
    assert clipped > 0
    for P, P_ref in zip(params_of(net), expected, strict=True):
        np.testing.assert_allclose(P, P_ref, rtol=1e-12, atol=1e-15)


def test_a_schedule_set_in_a_callback_takes_effect_from_the_next_epoch():
    X, T, net = problem()
    params, state = params_of(net), [np.zeros_like(P) for P in params_of(net)]
    shuffle, t = np.random.default_rng(2), 0
    for epoch in range(3):  # reference: lr 0.1, 0.05, 0.025, full batch
        shuffle.permutation(N_SAMPLES)
        t += 1
        grads = reference_gradients(params, X, T)
        lr = 0.1 * 0.5**epoch
        params, state = reference_step("sgd", {"lr": lr, "momentum": 0.9}, params, grads, state, t)
    opt = SGD(0.1, momentum=0.9)

    def halve(net, history):
        opt.lr = opt.lr / 2

    net.fit(X, T, epochs=3, batch_size=N_SAMPLES, optimizer=opt, rng=2, callback=halve)
    for P, P_ref in zip(params_of(net), params, strict=True):
        np.testing.assert_allclose(P, P_ref, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("config", CONFIGS[1:], ids=lambda c: f"{c[0]}-{len(c[1])}")
def test_two_fit_calls_equal_one(config):
    kind, settings = config
    X, T, once = problem()
    twice = once.copy()
    once.fit(X, T, epochs=6, batch_size=3, optimizer=make(kind, settings), rng=7)
    shuffle, opt = np.random.default_rng(7), make(kind, settings)
    twice.fit(X, T, epochs=2, batch_size=3, optimizer=opt, rng=shuffle)
    twice.fit(X, T, epochs=4, batch_size=3, optimizer=opt, rng=shuffle)
    assert opt.t == once.optimizer.t == 18
    for P, Q in zip(params_of(once), params_of(twice), strict=True):
        np.testing.assert_array_equal(P, Q)
    # and a fresh optimizer in the second call would not (the state matters)
    fresh = problem()[2]
    shuffle = np.random.default_rng(7)
    fresh.fit(X, T, epochs=2, batch_size=3, optimizer=make(kind, settings), rng=shuffle)
    fresh.fit(X, T, epochs=4, batch_size=3, optimizer=make(kind, settings), rng=shuffle)
    assert not np.array_equal(params_of(fresh)[0], params_of(once)[0])


@pytest.mark.parametrize("copier", [copy.deepcopy, Network.copy], ids=["deepcopy", "copy"])
def test_a_copied_network_carries_a_copy_of_its_optimizer(copier):
    X, T, net = problem()
    opt = Adam(0.01)
    net.fit(X, T, epochs=2, batch_size=3, optimizer=opt, rng=0)
    clone = copier(net)
    assert clone.optimizer is not opt and clone.optimizer.network is clone
    assert opt.network is net and net.optimizer is opt
    saved = copy.deepcopy((opt.t, [dict(s) for s in opt.state]))
    # the copy trains on with its own state, exactly as the original does
    clone.fit(X, T, epochs=3, batch_size=3, optimizer=clone.optimizer, rng=1)
    assert (opt.t, opt.state[0]["m"].tolist()) == (saved[0], saved[1][0]["m"].tolist())
    net.fit(X, T, epochs=3, batch_size=3, optimizer=opt, rng=1)
    for P, Q in zip(params_of(net), params_of(clone), strict=True):
        np.testing.assert_array_equal(P, Q)
    # the original's optimizer refuses the copy
    with pytest.raises(ValueError, match="already bound to another network"):
        clone.fit(X, T, epochs=1, batch_size=3, optimizer=opt, rng=1)


def test_astype_drops_the_optimizer():
    X, T, net = problem()
    net.fit(X, T, epochs=1, batch_size=3, optimizer=Adam(0.01), rng=0)
    net32 = net.astype(np.float32)
    assert net32.optimizer is None
    opt = Adam(0.01)
    net32.fit(X, T, epochs=2, batch_size=3, optimizer=opt, rng=0)
    assert all(a.dtype == np.float32 for s in opt.state for a in s.values())
    assert all(P.dtype == np.float32 for P in params_of(net32))


# -- refusals --------------------------------------------------------------------------------

NAN, INF = float("nan"), float("inf")
BAD_CONSTRUCTORS = [
    (SGD, {"lr": -0.1}, ValueError, r"SGD: lr must be a positive finite number; got -0\.1\."),
    (SGD, {"lr": 0}, ValueError, r"SGD: lr must be a positive finite number; got 0\.0\."),
    (SGD, {"lr": NAN}, ValueError, r"SGD: lr must be a positive finite number; got nan\."),
    (Adam, {"lr": INF}, ValueError, r"Adam: lr must be a positive finite number; got inf\."),
    (RMSProp, {"lr": "0.1"}, TypeError, r"RMSProp: lr must be a positive finite number"),
    (
        SGD,
        {"lr": 0.1, "momentum": -0.5},
        ValueError,
        r"SGD: momentum must be a number in \[0, 1\); got -0\.5\.",
    ),
    (
        SGD,
        {"lr": 0.1, "momentum": 1.0},
        ValueError,
        r"momentum must be a number in \[0, 1\); got 1\.0",
    ),
    (SGD, {"lr": 0.1, "nesterov": True}, ValueError, r"SGD: nesterov=True needs a momentum > 0"),
    (
        SGD,
        {"lr": 0.1, "momentum": 0.9, "nesterov": 1},
        TypeError,
        r"SGD: nesterov must be True or False",
    ),
    (
        RMSProp,
        {"lr": 0.1, "alpha": 1.0},
        ValueError,
        r"RMSProp: alpha must be a number in \[0, 1\); got 1\.0",
    ),
    (
        RMSProp,
        {"lr": 0.1, "alpha": NAN},
        ValueError,
        r"alpha must be a number in \[0, 1\); got nan",
    ),
    (
        RMSProp,
        {"lr": 0.1, "eps": 0.0},
        ValueError,
        r"RMSProp: eps must be a positive finite number; got 0\.0",
    ),
    (Adam, {"lr": 0.1, "eps": -1e-8}, ValueError, r"Adam: eps must be a positive finite number"),
    (
        Adam,
        {"lr": 0.1, "betas": (0.9, 1.0)},
        ValueError,
        r"Adam: betas\[1\] must be a number in \[0, 1\); got 1\.0",
    ),
    (
        Adam,
        {"lr": 0.1, "betas": (-0.1, 0.9)},
        ValueError,
        r"Adam: betas\[0\] must be a number in \[0, 1\)",
    ),
    (Adam, {"lr": 0.1, "betas": 0.9}, TypeError, r"Adam: betas must be a pair \(beta1, beta2\)"),
]


@pytest.mark.parametrize("cls, kwargs, error, message", BAD_CONSTRUCTORS)
def test_bad_settings_are_refused(cls, kwargs, error, message):
    with pytest.raises(error, match=message):  # warnings are errors here (pyproject)
        cls(**kwargs)


@pytest.mark.parametrize("value", [-1.0, 0.0, NAN, INF, "0.1", None])
def test_a_bad_lr_assignment_changes_nothing(value):
    opt = Adam(0.01)
    with pytest.raises((ValueError, TypeError), match=r"Adam\.lr: lr must be a positive finite"):
        opt.lr = value
    assert opt.lr == 0.01


def snapshot(opt):
    return opt.t, copy.deepcopy(opt.state), opt.lr, opt.network


def assert_unchanged(opt, before):
    t, state, lr, network = before
    assert (opt.t, opt.lr) == (t, lr) and opt.network is network
    assert len(opt.state) == len(state)
    for s, s0 in zip(opt.state, state, strict=True):
        for key in s0:
            np.testing.assert_array_equal(s[key], s0[key])


BAD_FIT = [
    (
        {"lr": 0.1, "optimizer": "used"},
        TypeError,
        r"Network\.fit: give either lr or optimizer, not both",
    ),
    ({}, TypeError, r"Network\.fit: give either lr \(plain gradient descent\) or optimizer"),
    (
        {"optimizer": "adam"},
        TypeError,
        r"Network\.fit: optimizer must be an SGD, RMSProp or Adam object",
    ),
    (
        {"optimizer": "used", "clip_norm": 0},
        ValueError,
        r"Network\.fit: clip_norm must be a positive finite number; got 0\.0",
    ),
    (
        {"optimizer": "used", "clip_norm": -1.0},
        ValueError,
        r"clip_norm must be a positive finite number; got -1\.0",
    ),
    (
        {"lr": 0.1, "clip_norm": NAN},
        ValueError,
        r"clip_norm must be a positive finite number; got nan",
    ),
    ({"lr": 0.1, "clip_norm": "1"}, TypeError, r"clip_norm must be a positive finite number"),
    (
        {"optimizer": "other"},
        ValueError,
        r"Network\.fit: optimizer is a Adam already bound to another network",
    ),
    ({"lr": -0.1}, ValueError, r"Network\.fit: lr must be a positive finite number; got -0\.1"),
]


@pytest.mark.parametrize("kwargs, error, message", BAD_FIT)
def test_a_refused_fit_changes_nothing(kwargs, error, message):
    X, T, net = problem()
    used = Adam(0.01)
    net.fit(X, T, epochs=1, batch_size=3, optimizer=used, rng=0)  # state to keep
    other = Adam(0.01)
    other.bind(problem(5)[2])
    kwargs = dict(kwargs)
    if kwargs.get("optimizer") in ("used", "other"):
        kwargs["optimizer"] = {"used": used, "other": other}[kwargs["optimizer"]]
    before, opts = layer_state(net), {o: snapshot(o) for o in (used, other)}
    shuffle = np.random.default_rng(4)
    rng_state = shuffle.bit_generator.state
    with pytest.raises(error, match=message):
        net.fit(X, T, epochs=2, batch_size=3, rng=shuffle, **kwargs)
    assert_layer_state(before, net)
    for o, saved in opts.items():
        assert_unchanged(o, saved)
    assert net.optimizer is used and shuffle.bit_generator.state == rng_state


def test_divergence_restores_the_optimizer_state_of_the_last_finite_epoch():
    data = np.random.default_rng(0)
    X, T = data.normal(size=(40, 3)) * 3, data.normal(size=(40, 1))
    net = Network.from_sizes([3, 8, 1], ["tanh", "linear"], "squared_error", rng=0)
    opt = SGD(1.0, momentum=0.9)
    seen = []

    def record(net, history):
        seen.append((params_of(net), snapshot(opt)))

    with pytest.raises(
        FloatingPointError, match=r"training diverged.*keeps the weights of epoch (\d+)"
    ):
        net.fit(X, T, epochs=50, batch_size=10, optimizer=opt, rng=0, callback=record)
    assert len(seen) >= 2  # it diverged after some recorded epochs with state to restore
    params, saved = seen[-1]
    for P, Q in zip(params_of(net), params, strict=True):
        np.testing.assert_array_equal(P, Q)
    assert_unchanged(opt, saved)
    assert opt.t == 4 * len(seen)


def test_a_refused_initial_loss_leaves_the_optimizer_unbound():
    X = np.array([[0.0, 1.0], [1.0, 0.0]])
    T = np.array([[1.0], [0.0]])
    net = Network(
        [Dense.from_arrays(np.full((2, 1), 1e300), np.zeros(1), "linear")], "squared_error"
    )
    opt = Adam(0.01)
    with pytest.raises(FloatingPointError, match="loss at the initial weights"):
        net.fit(X, T, epochs=2, batch_size=2, optimizer=opt, rng=0)
    assert opt.network is None and net.optimizer is None and opt.t == 0 and not opt.state


# -- torch, if it happens to be installed (it is not a dependency) ---------------------------


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c[0]}-{len(c[1])}")
def test_the_steps_equal_torch_optim(config):
    torch = pytest.importorskip("torch")
    kind, settings = config
    X, T, net = problem()
    tensors = [torch.tensor(P, requires_grad=True) for P in params_of(net)]
    torch_cls = {"sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam}
    topt = torch_cls[kind](tensors, **settings)
    Xt, Tt = torch.tensor(X), torch.tensor(T)
    for _ in range(6):
        topt.zero_grad()
        W1, b1, W2, b2 = tensors
        o = torch.tanh(Xt @ W1 + b1) @ W2 + b2
        (0.5 * ((o - Tt) ** 2).sum(1).mean()).backward()
        topt.step()
    net.fit(X, T, epochs=6, batch_size=N_SAMPLES, optimizer=make(kind, settings), rng=0)
    for P, Q in zip(params_of(net), tensors, strict=True):
        np.testing.assert_allclose(P, Q.detach().numpy(), rtol=1e-10, atol=1e-12)
