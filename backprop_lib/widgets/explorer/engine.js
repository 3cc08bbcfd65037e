// The weight-update explorer's engine: backprop_lib's maths for one sample, in float64.
//
// A faithful port of the library, with its names: the pre-activation s = o_prev W + b, the
// output o = f(s), the deltas delta, the gradients dW = o_prev^T delta and db = delta, and
// the step W <- W - lr dW, b <- b - lr db. The stable forms are the library's: sigma' and
// tanh' from e = exp(-|s|), the softmax after subtracting max(s), softplus as numpy's
// logaddexp, and the cross-entropy pairs computed from s (log-sum-exp), as backprop_lib/pairs.py.
// One sample, so the batch size B is 1; it is kept in the formulas to mirror the library.
//
// Each activation and loss is defined once, on the sympy side: the tables ELEMENTWISE and
// UNIT_LOSSES are printed from it (sympy's JavascriptCodePrinter) and put before this file
// when a widget is built (engine_source() in tables.py), so this file is not a module alone.
//
// Shapes (rows are samples, one row here): W[l][j][i] is w^l_ji (n_{l-1} x n_l, the book's
// W^l is W[l - 1]); b[l][i], s[l][i], o[l][i], delta[l][i] are vectors of n_l numbers.

const B = 1;

function sum(values) {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

function max(values) {
  // Unlike Math.max, the comparison skips a NaN (a NaN in s still gives NaN through the sum).
  // biome-ignore lint/complexity/useMathMinMax: keeps the NaN behaviour the engine was tested with
  return values.reduce((a, v) => (v > a ? v : a), -Infinity);
}

/** softplus(x) = ln(1 + e^x), exactly as numpy's logaddexp(0, x) computes it. */
export function softplus(x) {
  if (x === 0) return Math.LN2;
  const tmp = -x; // logaddexp(0, x): "x - y" with x = 0, y = x
  if (tmp > 0) return Math.log1p(Math.exp(-tmp));
  if (tmp <= 0) return x + Math.log1p(Math.exp(tmp));
  return tmp; // NaN
}

/** ln sum_k e^{s_k} = m + ln sum_k e^{s_k - m}, m = max_k s_k: no term overflows. */
export function logSumExp(s) {
  const m = max(s);
  return m + Math.log(sum(s.map((v) => Math.exp(v - m))));
}

/** L_k = ln sum_{j != k} e^{s_j} for every k. */
function logSumExpOthers(s) {
  return s.map((_, k) => logSumExp(s.map((v, j) => (j === k ? -Infinity : v))));
}

/** sigma(s) = 1 / (1 + e^{-s}), printed from the sympy side (e^{-s} = inf gives 0). */
function sigmoid(v) {
  return ELEMENTWISE.sigmoid.value(v);
}

// -- activations: forward o = f(s), derivative f'(s), backward delta = dE/do . J_f(s) ------
//
// The elementwise ones come from ELEMENTWISE, printed from the sympy side before this file
// (backprop_lib/widgets/explorer/tables.py); the functions below are the stable forms that
// table names where sympy's expression, printed as it is, is wrong in float64 (HAND_WRITTEN
// in tables.py gives each one's reason and a point where it is).

/** sigma'(s) = e / (1 + e)^2, e = e^{-|s|}: exact where o(1 - o) loses every digit. */
export function sigmoidPrime(v) {
  const e = Math.exp(-Math.abs(v));
  return e / (1.0 + e) ** 2;
}

/** tanh'(s) = sech^2(s) = (2e / (1 + e^2))^2, e = e^{-|s|}: exact where 1 - o^2 is not. */
export function tanhPrime(v) {
  const e = Math.exp(-Math.abs(v));
  return ((2.0 * e) / (1.0 + e * e)) ** 2;
}

/** An elementwise activation from its f and f': delta_i = g_i f'(s_i) (eq:pairs-elementwise). */
function elementwise({ value, derivative }) {
  return {
    forward: (s) => s.map(value),
    derivative: (s) => s.map(derivative),
    backward: (s, o, g) => g.map((gi, i) => gi * derivative(s[i])),
  };
}

// The activations of a whole row, hand-written: the library's stable forms.
const ROW_ACTIVATIONS = {
  softmax: {
    forward: (s) => {
      const m = max(s);
      const e = s.map((v) => Math.exp(v - m));
      const total = sum(e);
      return e.map((v) => v / total);
    },
    derivative: null, // not elementwise: J_ij = o_i ([i = j] - o_j)
    jacobian: (o) => o.map((oi, i) => o.map((oj, j) => oi * ((i === j ? 1 : 0) - oj))),
    // delta_j = o_j (g_j - sum_i g_i o_i), as (g_j - g_m) - r with m the largest output and
    // r = sum_{i != m} o_i (g_i - g_m): exact where the softmax saturates (the library's form)
    backward: (s, o, g) => {
      const m = o.indexOf(max(o));
      const spread = g.map((gi) => gi - g[m]);
      const r = sum(spread.map((v, i) => o[i] * v));
      return o.map((oj, j) => oj * (spread[j] - r));
    },
  },
};

export const ACTIVATIONS = {
  ...Object.fromEntries(Object.entries(ELEMENTWISE).map(([name, f]) => [name, elementwise(f)])),
  ...ROW_ACTIVATIONS,
};

// -- losses: E (mean over the batch of a per-sample sum) and dE/do (includes the 1/B) ------
//
// From UNIT_LOSSES, printed from the sympy side: E = sum_k term(o_k, t_k) / B and
// dE/do_k = gradient(o_k, t_k) / B.

export const LOSSES = Object.fromEntries(
  Object.entries(UNIT_LOSSES).map(([name, { term, gradient }]) => [
    name,
    {
      value: (o, t) => sum(o.map((v, k) => term(v, t[k]))) / B,
      gradient: (o, t) => o.map((v, k) => gradient(v, t[k]) / B),
    },
  ]),
);

// -- the cross-entropy pairs computed from s (backprop_lib/pairs.py) -----------------------

/**
 * [ln softplus(v), sigma(v) / softplus(v)], as backprop_lib/pairs.py: below v = -30, with
 * x = e^v, softplus(v) = x (1 - x/2 + ...), so the two are v + ln(1 - x/2) and
 * 1 / ((1 + x)(1 - x/2)), finite where softplus(v) underflows to 0.
 */
function logSoftplusAndRatio(v) {
  if (v < -30) {
    const x = Math.exp(v);
    return [v + Math.log1p(-x / 2), 1 / ((1 + x) * (1 - x / 2))];
  }
  const sp = softplus(v);
  return [Math.log(sp), sigmoid(v) / sp];
}

/** delta_i of a fused pair, FUSED_DELTAS[key](o_i, t_i) / B: printed from sympy's derivation. */
const fusedDelta = (key) => (s, o, t) => o.map((v, k) => FUSED_DELTAS[key](v, t[k]) / B);

export const CLOSED_FORMS = {
  // E = sum_k t_k (lse(s) - s_k) / B; delta = (o - t)/B
  "softmax|cross_entropy": {
    fused: "softmax|cross_entropy" in FUSED_DELTAS,
    loss: (s, o, t) => {
      const lse = logSumExp(s);
      return sum(s.map((v, k) => t[k] * (lse - v))) / B;
    },
    delta: fusedDelta("softmax|cross_entropy"),
  },
  // E = sum [t softplus(-s) + (1 - t) softplus(s)] / B; delta = (o - t)/B
  "sigmoid|binary_cross_entropy": {
    fused: "sigmoid|binary_cross_entropy" in FUSED_DELTAS,
    loss: (s, o, t) => sum(s.map((v, k) => t[k] * softplus(-v) + (1.0 - t[k]) * softplus(v))) / B,
    delta: fusedDelta("sigmoid|binary_cross_entropy"),
  },
  // E = sum t softplus(-s) / B; delta = -t sigma(-s) / B
  "sigmoid|cross_entropy": {
    fused: false,
    loss: (s, o, t) => sum(s.map((v, k) => t[k] * softplus(-v))) / B,
    delta: (s, o, t) => s.map((v, k) => (-t[k] * sigmoid(-v)) / B),
  },
  // E = -sum t ln softplus(s) / B; delta = -t sigma(s) / (B softplus(s))
  "softplus|cross_entropy": {
    fused: false,
    loss: (s, o, t) => -sum(s.map((v, k) => t[k] * logSoftplusAndRatio(v)[0])) / B,
    delta: (s, o, t) => s.map((v, k) => (-t[k] * logSoftplusAndRatio(v)[1]) / B),
  },
  // ln o_k = s_k - lse(s), ln(1 - o_k) = L_k - lse(s);
  // B delta_i = o_i (1 - t_i + sum_k t_k) - t_i - sum_{k != i} (1 - t_k) o_k e^{s_i - L_k}
  "softmax|binary_cross_entropy": {
    fused: false,
    loss: (s, o, t) => {
      const lse = logSumExp(s);
      const others = logSumExpOthers(s);
      return -sum(s.map((v, k) => t[k] * (v - lse) + (1.0 - t[k]) * (others[k] - lse))) / B;
    },
    delta: (s, o, t) => {
      const others = logSumExpOthers(s);
      const tSum = sum(t);
      return s.map((si, i) => {
        let rest = 0;
        for (let k = 0; k < s.length; k++) {
          if (k !== i) rest += Math.exp(si - others[k]) * ((1.0 - t[k]) * o[k]);
        }
        return (o[i] * (1.0 - t[i] + tSum) - t[i] - rest) / B;
      });
    },
  },
};

/** E of the output layer: the closed form of a cross-entropy pair, else loss.value(o, t). */
export function outputLoss(activation, loss, s, o, t) {
  const closed = CLOSED_FORMS[`${activation}|${loss}`];
  return closed ? closed.loss(s, o, t) : LOSSES[loss].value(o, t);
}

/** delta^L = dE/ds^L: a closed form, else the chain rule activation.backward(s, o, dE/do). */
export function outputDelta(activation, loss, s, o, t) {
  const closed = CLOSED_FORMS[`${activation}|${loss}`];
  if (closed) return closed.delta(s, o, t);
  return ACTIVATIONS[activation].backward(s, o, LOSSES[loss].gradient(o, t));
}

/**
 * Forward and backward for one sample: what Network.backward stores on its layers.
 * net = {W, b, activations, loss}; returns {s, o, delta, dW, db, grad_o, loss}, where
 * grad_o[l] = dE/do^l = delta^{l+1} (W^{l+1})^T (the library's name; null for L).
 */
export function backward(net, x, t) {
  const L = net.W.length;
  const s = [];
  const o = [];
  let prev = x;
  for (let l = 0; l < L; l++) {
    // s^l = o^{l-1} W^l + b^l
    const W = net.W[l];
    const sl = net.b[l].map((bi, i) => {
      let total = 0;
      for (let j = 0; j < prev.length; j++) total += prev[j] * W[j][i];
      return total + bi;
    });
    s.push(sl);
    o.push(ACTIVATIONS[net.activations[l]].forward(sl));
    prev = o[l];
  }
  const delta = new Array(L);
  const dW = new Array(L);
  const db = new Array(L);
  const grad_o = new Array(L).fill(null);
  delta[L - 1] = outputDelta(net.activations[L - 1], net.loss, s[L - 1], o[L - 1], t);
  for (let l = L - 1; l >= 0; l--) {
    const oPrev = l === 0 ? x : o[l - 1];
    dW[l] = oPrev.map((oj) => delta[l].map((di) => oj * di)); // (o^{l-1})^T delta^l
    db[l] = delta[l].slice(); // sum over the one row
    if (l > 0) {
      // delta^{l-1} = (delta^l (W^l)^T) . J_f(s^{l-1})
      const W = net.W[l];
      const g = W.map((row) => {
        let total = 0;
        for (let i = 0; i < row.length; i++) total += delta[l][i] * row[i];
        return total;
      });
      grad_o[l - 1] = g;
      delta[l - 1] = ACTIVATIONS[net.activations[l - 1]].backward(s[l - 1], o[l - 1], g);
    }
  }
  const E = outputLoss(net.activations[L - 1], net.loss, s[L - 1], o[L - 1], t);
  return { s, o, delta, dW, db, grad_o, loss: E };
}

/** W <- W - lr dW, b <- b - lr db: new arrays (the old ones are kept for an undo). */
export function step(net, grads, lr) {
  return {
    W: net.W.map((W, l) => W.map((row, j) => row.map((w, i) => w - lr * grads.dW[l][j][i]))),
    b: net.b.map((b, l) => b.map((v, i) => v - lr * grads.db[l][i])),
  };
}

/** True if every number in a nested array (or a number) is finite. */
export function allFinite(value) {
  if (Array.isArray(value)) return value.every(allFinite);
  if (value === null) return true;
  return Number.isFinite(value);
}

/**
 * The probability vector t with t_i set to v (clipped to [0, 1]) and the other entries
 * rescaled to sum to 1 − v (shared equally if they were all 0): Σt = 1 after every move.
 */
export function coupled(t, i, v) {
  const vi = Math.min(1, Math.max(0, v));
  const rest = t.reduce((a, x, k) => (k === i ? a : a + Math.max(0, x)), 0);
  const n = t.length;
  return t.map((x, k) => {
    if (k === i) return vi;
    return rest > 0 ? (Math.max(0, x) * (1 - vi)) / rest : (1 - vi) / (n - 1);
  });
}

/**
 * Why targets t cannot be used with the loss, or null. The library's check_targets:
 * binary_cross_entropy needs t in [0, 1]; cross_entropy a probability vector (entries >= 0,
 * summing to 1 within max(1e-6, 10 n eps)).
 */
export function targetProblem(loss, t, where) {
  if (loss === "binary_cross_entropy") {
    const k = t.findIndex((v) => v < 0 || v > 1);
    if (k >= 0) {
      return `${where}: t must lie in [0, 1] for binary_cross_entropy; got ${t[k]} at t[0, ${k}].`;
    }
  }
  if (loss === "cross_entropy") {
    const k = t.findIndex((v) => v < 0);
    if (k >= 0) {
      return (
        `${where}: t rows must be probability vectors for cross_entropy (entries >= 0 ` +
        `summing to 1, e.g. one-hot); got ${t[k]} at t[0, ${k}].`
      );
    }
    const tolerance = Math.max(1e-6, 10 * t.length * Number.EPSILON);
    const total = sum(t);
    if (Math.abs(total - 1.0) > tolerance) {
      return (
        `${where}: t rows must be probability vectors for cross_entropy (entries >= 0 ` +
        `summing to 1, e.g. one-hot); row 0 sums to ${total}.`
      );
    }
  }
  return null;
}

// -- optimizers (backprop_lib/optimizers.py, as torch.optim defines them) --------------------
//
// The state has the shapes of W and b: state.t (steps taken) and, per rule, the velocity v
// (momentum, eq:op-momentum), the running mean of squares r (RMSProp, eq:op-rmsprop-r) or the
// two moments m, v (Adam, eq:op-adam-m, eq:op-adam-v). Everything starts at zero. Kept
// apart from step(): plain gradient descent ("sgd") gives exactly step()'s numbers.

export const OPTIMIZER_STATE = { sgd: [], momentum: ["v"], rmsprop: ["r"], adam: ["m", "v"] };

/** Zero state for the rule opt.kind and the parameters of net: {t, W: {...}, b: {...}}. */
export function optimizerState(net, opt) {
  const zerosW = () => net.W.map((W) => W.map((row) => row.map(() => 0.0)));
  const zerosB = () => net.b.map((b) => b.map(() => 0.0));
  const state = { t: 0, W: {}, b: {} };
  for (const key of OPTIMIZER_STATE[opt.kind]) {
    state.W[key] = zerosW();
    state.b[key] = zerosB();
  }
  return state;
}

/**
 * One parameter entry: value p, gradient g, its state entries s ({v} / {r} / {m, v}), at step
 * t; returns [new p, new s]. opt = {kind, lr, momentum, nesterov, alpha, betas, eps}.
 */
function ruleStep(opt, p, g, s, t) {
  const lr = opt.lr;
  if (opt.kind === "momentum") {
    const v = opt.momentum * s.v + g; // eq:op-momentum
    const d = opt.nesterov ? g + opt.momentum * v : v; // eq:op-nesterov
    return [p - lr * d, { v }];
  }
  if (opt.kind === "rmsprop") {
    const r = opt.alpha * s.r + (1 - opt.alpha) * (g * g); // eq:op-rmsprop-r
    return [p - (lr * g) / (Math.sqrt(r) + opt.eps), { r }]; // eq:op-rmsprop-step
  }
  if (opt.kind === "adam") {
    const [beta1, beta2] = opt.betas;
    const m = beta1 * s.m + (1 - beta1) * g; // eq:op-adam-m
    const v = beta2 * s.v + (1 - beta2) * (g * g); // eq:op-adam-v
    const mHat = m / (1 - beta1 ** t); // eq:op-adam-hat
    const vHat = v / (1 - beta2 ** t);
    return [p - (lr * mHat) / (Math.sqrt(vHat) + opt.eps), { m, v }]; // eq:op-adam-step
  }
  return [p - lr * g, {}]; // eq:td-update
}

/**
 * One step of the rule opt.kind on the gradients of backward(): new arrays
 * {W, b, state} (the old ones are kept for an undo), as the library's optimizer_step.
 */
export function optimizerStep(net, grads, opt, state) {
  const t = state.t + 1;
  const keys = OPTIMIZER_STATE[opt.kind];
  const next = { t, W: {}, b: {} };
  for (const key of keys) {
    next.W[key] = net.W.map((W) => W.map((row) => row.slice()));
    next.b[key] = net.b.map((b) => b.slice());
  }
  const entry = (where, l, j, i) => {
    const s = {};
    for (const key of keys) s[key] = i === undefined ? where[key][l][j] : where[key][l][j][i];
    return s;
  };
  const W = net.W.map((Wl, l) =>
    Wl.map((row, j) =>
      row.map((w, i) => {
        const [p, s] = ruleStep(opt, w, grads.dW[l][j][i], entry(state.W, l, j, i), t);
        for (const key of keys) next.W[key][l][j][i] = s[key];
        return p;
      }),
    ),
  );
  const b = net.b.map((bl, l) =>
    bl.map((v, i) => {
      const [p, s] = ruleStep(opt, v, grads.db[l][i], entry(state.b, l, i), t);
      for (const key of keys) next.b[key][l][i] = s[key];
      return p;
    }),
  );
  return { W, b, state: next };
}
