/*
 * Self-checks: exercises a reader answers on the page, checked in the browser (no kernel,
 * no network). The contract (CONTRIBUTING.md, "Self-checks on the site"):
 *
 *   <div class="self-check" data-self-check='{"kind": "output-delta", "seed": 3}'>
 *   Self-check: answer it on the book's website.
 *   </div>
 *
 * - `data-self-check` holds the exercise's inputs as JSON: its `kind` and either its numbers
 *   or a `seed` from which they are drawn. Once the script has run, the attribute holds the
 *   numbers shown (a test reads them there and computes the answer on its own).
 * - The element gets answer fields (one per entry of the vector or matrix asked for, read
 *   row by row; class `self-check-field`) or radio buttons (a `choice`), a Check button
 *   and, for computed kinds, a "New numbers" button that draws a fresh instance from the
 *   next seed. The browser computes the answer from the inputs when Check is pressed; it is
 *   never written into the page.
 * - After Check the element carries `data-verdict="correct"` or `"incorrect"`, the verdict
 *   in text (`.self-check-verdict`), and on a wrong answer `data-hint`: the id of the
 *   typical mistake the answer matches (e.g. `transposed-W`, `derivative-at-o`,
 *   `missing-1/B`, `sign`), or `unknown`, or `incomplete` (a field is not a number).
 * - `data-mistakes` lists the mistakes that this instance tells apart from the answer.
 *
 * Notation of the book: rows are samples; s^l = o^{l-1} W^l + b^l, o^l = f(s^l);
 * E = (1/B) sum_n sum_k e(o_nk, t_nk); delta^l = dE/ds^l (it holds the 1/B);
 * dW^l = (o^{l-1})^T delta^l, db^l = sum over rows of delta^l; W <- W - lr dW.
 */
(() => {
  "use strict";

  // ---- numbers --------------------------------------------------------------------------
  function mulberry32(seed) {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function drawer(seed) {
    const next = mulberry32(seed);
    const r = {
      // a multiple of `step` in [lo, hi], never 0 unless `zero`
      num(lo, hi, step, zero) {
        const n = Math.round((hi - lo) / step);
        for (;;) {
          const x = +(lo + step * Math.floor(next() * (n + 1))).toFixed(6);
          if (zero || x !== 0) return x;
        }
      },
      mat(rows, cols, lo, hi, step) {
        return Array.from({ length: rows }, () =>
          Array.from({ length: cols }, () => r.num(lo, hi, step || 0.1)),
        );
      },
      int(n) {
        return Math.floor(next() * n);
      },
    };
    return r;
  }

  const map = (A, f) => A.map((row, i) => row.map((x, j) => f(x, i, j)));
  const zip = (A, B, f) => map(A, (x, i, j) => f(x, B[i][j]));
  const T = (A) => A[0].map((_, j) => A.map((row) => row[j]));
  const matmul = (A, B) =>
    A.map((row) => B[0].map((_, j) => row.reduce((sum, x, k) => sum + x * B[k][j], 0)));
  const addRow = (A, b) => map(A, (x, _i, j) => x + b[j]);
  const scale = (A, c) => map(A, (x) => x * c);
  const sumRows = (A) => [A[0].map((_, j) => A.reduce((sum, row) => sum + row[j], 0))];

  const sigmoid = (x) => 1 / (1 + Math.exp(-x));
  const ACT = {
    sigmoid: { f: sigmoid, d: (x) => sigmoid(x) * (1 - sigmoid(x)), name: "σ" },
    tanh: { f: Math.tanh, d: (x) => 1 - Math.tanh(x) ** 2, name: "tanh" },
    relu: { f: (x) => Math.max(0, x), d: (x) => (x > 0 ? 1 : 0), name: "ReLU" },
    linear: { f: (x) => x, d: () => 1, name: "the identity" },
  };
  function act(x) {
    const a = ACT[x.activation || "sigmoid"];
    if (!a) throw new Error(`self-check: unknown activation ${x.activation}`);
    return a;
  }
  function softmaxRows(S) {
    return S.map((row) => {
      const m = Math.max(...row);
      const e = row.map((x) => Math.exp(x - m));
      const z = e.reduce((a, b) => a + b, 0);
      return e.map((x) => x / z);
    });
  }

  // ---- writing --------------------------------------------------------------------------
  const sym = (name, up, down) =>
    `<i>${name}</i>` +
    (up !== undefined ? `<sup>${up}</sup>` : "") +
    (down !== undefined ? `<sub>${down}</sub>` : "");
  function fmt(x, digits) {
    if (typeof x !== "number") return String(x);
    let s = Number(x.toFixed(digits === undefined ? 4 : digits)).toString();
    if (s === "-0") s = "0";
    return s.replace("-", "−");
  }
  function matrixHTML(A, digits) {
    if (!Array.isArray(A)) return `<span class="self-check-number">${fmt(A, digits)}</span>`;
    const rows = A.map(
      (row) => `<tr>${row.map((x) => `<td>${fmt(x, digits)}</td>`).join("")}</tr>`,
    ).join("");
    return `<table class="self-check-matrix"><tbody>${rows}</tbody></table>`;
  }

  // ---- the kinds ------------------------------------------------------------------------
  // Each kind: generate(r) -> inputs; given(x) -> [[label HTML, value]]; question(x) -> HTML;
  // label(x) -> HTML of the answer; answer(x) -> matrix (array of rows) or number;
  // mistakes(x) -> [{id, value, hint}]; tol: {abs, rel} and its sentence; unknown: a hint.
  const ABS = {
    abs: 0.005,
    rel: 0,
    text: "Give 3 decimals: an entry within 0.005 of the exact value counts.",
  };
  const REL1 = { abs: 1e-12, rel: 0.01, text: "An answer within 1 % of the exact value counts." };
  const REL2 = { abs: 1e-6, rel: 0.02, text: "An answer within 2 % of the exact value counts." };

  const HINT = {
    transposedForward:
      "Your answer is what W<sup>T</sup> gives. In this book W<sup><i>l</i></sup> has one row per input and one column per unit: the row <i>o</i> multiplies W as it stands, <i>s</i> = <i>o</i>W + <i>b</i>.",
    noBias: "You left out the bias: add <i>b</i> to every row of <i>o</i>W.",
    noActivation:
      "That is the pre-activation <i>s</i>. The layer's output is <i>o</i> = <i>f</i>(<i>s</i>), entry by entry.",
    derivativeAtO:
      "You took <i>f</i>′ at the output <i>o</i>. The derivative is taken at the pre-activation: <i>f</i>′(<i>s</i>) (for the sigmoid that is <i>o</i>(1 − <i>o</i>), not σ′(<i>o</i>)).",
    sign: "Check the sign: the loss grows with <i>o</i> − <i>t</i>, so its derivative carries (<i>o</i> − <i>t</i>), not (<i>t</i> − <i>o</i>).",
    missingB:
      "You left out the 1/<i>B</i>: E is the mean over the <i>B</i> rows of the batch, so each row's δ carries a factor 1/<i>B</i>.",
    noDerivative:
      "You left out the factor <i>f</i>′(<i>s</i>): δ is the derivative with respect to <i>s</i>, not <i>o</i>.",
  };
  const UNKNOWN =
    "Not one of the usual slips: redo it one step at a time, and compare your intermediate values with the ones given.";

  const KINDS = {};

  KINDS["pre-activation"] = {
    generate: (r) => ({
      o_prev: r.mat(1, 2, -1, 1),
      W: r.mat(2, 2, -1, 1),
      b: r.mat(1, 2, -0.5, 0.5)[0],
    }),
    given: (x) => [
      [sym("o", 0), x.o_prev],
      [sym("W", 1), x.W],
      [sym("b", 1), [x.b]],
    ],
    question: () =>
      `Compute the pre-activation ${sym("s", 1)} = ${sym("o", 0)}${sym("W", 1)} + ${sym("b", 1)} of the first layer (one sample: a row, one entry per unit).`,
    label: () => sym("s", 1),
    answer: (x) => addRow(matmul(x.o_prev, x.W), x.b),
    mistakes: (x) => [
      {
        id: "transposed-W",
        value: addRow(matmul(x.o_prev, T(x.W)), x.b),
        hint: HINT.transposedForward,
      },
      { id: "no-bias", value: matmul(x.o_prev, x.W), hint: HINT.noBias },
    ],
    tol: ABS,
  };

  KINDS["layer-output"] = {
    generate: (r) => KINDS["pre-activation"].generate(r),
    given: (x) => KINDS["pre-activation"].given(x),
    question: (x) =>
      `The layer's activation is ${act(x).name}. Compute its output ${sym("o", 1)} = ${act(x).name}(${sym("o", 0)}${sym("W", 1)} + ${sym("b", 1)}).`,
    label: () => sym("o", 1),
    answer: (x) => map(addRow(matmul(x.o_prev, x.W), x.b), act(x).f),
    mistakes: (x) => [
      {
        id: "transposed-W",
        value: map(addRow(matmul(x.o_prev, T(x.W)), x.b), act(x).f),
        hint: HINT.transposedForward,
      },
      { id: "no-activation", value: addRow(matmul(x.o_prev, x.W), x.b), hint: HINT.noActivation },
      { id: "no-bias", value: map(matmul(x.o_prev, x.W), act(x).f), hint: HINT.noBias },
    ],
    tol: ABS,
  };

  function outputs(x) {
    return map(x.s, act(x).f);
  }
  KINDS["output-delta"] = {
    generate: (r) => ({
      s: r.mat(2, 2, -2, 2),
      t: r.mat(2, 2, 0, 1, 0.5).map((row) => row.map((v) => v)),
    }),
    given: (x) => [
      [sym("s", "L"), x.s],
      [`${sym("o", "L")} = ${act(x).name}(${sym("s", "L")})`, outputs(x)],
      [sym("t"), x.t],
    ],
    question: (x) =>
      `A batch of <i>B</i> = ${x.s.length} samples (rows), output activation ${act(x).name}, squared error <i>E</i> = (1/<i>B</i>) Σ<sub><i>n</i></sub> Σ<sub><i>k</i></sub> ½(<i>o</i><sub><i>nk</i></sub> − <i>t</i><sub><i>nk</i></sub>)². Compute the output delta δ<sup><i>L</i></sup> = ∂<i>E</i>/∂${sym("s", "L")}.`,
    label: () => "δ<sup><i>L</i></sup>",
    answer: (x) =>
      scale(
        zip(
          zip(outputs(x), x.t, (o, t) => o - t),
          x.s,
          (g, s) => g * act(x).d(s),
        ),
        1 / x.s.length,
      ),
    mistakes: (x) => {
      const B = x.s.length,
        o = outputs(x),
        a = act(x);
      const diff = zip(o, x.t, (p, t) => p - t);
      return [
        {
          id: "derivative-at-o",
          value: scale(
            zip(diff, o, (g, p) => g * a.d(p)),
            1 / B,
          ),
          hint: HINT.derivativeAtO,
        },
        {
          id: "sign",
          value: scale(
            zip(diff, x.s, (g, s) => -g * a.d(s)),
            1 / B,
          ),
          hint: HINT.sign,
        },
        { id: "missing-1/B", value: zip(diff, x.s, (g, s) => g * a.d(s)), hint: HINT.missingB },
        { id: "no-derivative", value: scale(diff, 1 / B), hint: HINT.noDerivative },
      ];
    },
    tol: ABS,
  };

  KINDS["fused-delta"] = {
    generate: (r) => ({
      s: r.mat(2, 3, -2, 2),
      t: [0, 1].map(() => {
        const k = r.int(3);
        return [0, 1, 2].map((j) => (j === k ? 1 : 0));
      }),
    }),
    given: (x) => [
      [sym("s", "L"), x.s],
      [`<i>p</i> = softmax(${sym("s", "L")})`, softmaxRows(x.s)],
      [`${sym("t")} (one-hot)`, x.t],
    ],
    question: (x) =>
      `Softmax output, cross-entropy <i>E</i> = −(1/<i>B</i>) Σ<sub><i>n</i></sub> Σ<sub><i>k</i></sub> <i>t</i><sub><i>nk</i></sub> log <i>p</i><sub><i>nk</i></sub>, a batch of <i>B</i> = ${x.s.length}. Compute δ<sup><i>L</i></sup> = ∂<i>E</i>/∂${sym("s", "L")} (this pair's δ is short: no Jacobian product to write out).`,
    label: () => "δ<sup><i>L</i></sup>",
    answer: (x) =>
      scale(
        zip(softmaxRows(x.s), x.t, (p, t) => p - t),
        1 / x.s.length,
      ),
    mistakes: (x) => {
      const B = x.s.length,
        p = softmaxRows(x.s),
        diff = zip(p, x.t, (a, t) => a - t);
      return [
        { id: "missing-1/B", value: diff, hint: HINT.missingB },
        { id: "sign", value: scale(diff, -1 / B), hint: HINT.sign },
        {
          id: "diagonal-jacobian",
          value: scale(
            zip(diff, p, (g, q) => g * q * (1 - q)),
            1 / B,
          ),
          hint: "You multiplied by <i>p</i>(1 − <i>p</i>) entry by entry, as if softmax were elementwise. Its Jacobian has off-diagonal terms; with cross-entropy the whole product collapses to (<i>p</i> − <i>t</i>)/<i>B</i>.",
        },
      ];
    },
    tol: ABS,
  };

  KINDS["softmax-jacobian"] = {
    generate: (r) => ({ s: r.mat(1, 3, -1.5, 1.5) }),
    given: (x) => [
      [sym("s"), x.s],
      [`<i>p</i> = softmax(${sym("s")})`, softmaxRows(x.s)],
    ],
    question: () =>
      "One sample, three units. Compute the softmax Jacobian <i>J</i><sub><i>ij</i></sub> = ∂<i>p</i><sub><i>i</i></sub>/∂<i>s</i><sub><i>j</i></sub> (a 3 × 3 matrix).",
    label: () => "<i>J</i>",
    answer: (x) => {
      const p = softmaxRows(x.s)[0];
      return p.map((pi, i) => p.map((pj, j) => (i === j ? pi : 0) - pi * pj));
    },
    mistakes: (x) => {
      const p = softmaxRows(x.s)[0];
      return [
        {
          id: "diagonal-only",
          value: p.map((pi, i) => p.map((_pj, j) => (i === j ? pi * (1 - pi) : 0))),
          hint: "You kept only the diagonal <i>p</i><sub><i>i</i></sub>(1 − <i>p</i><sub><i>i</i></sub>). Every <i>p</i><sub><i>j</i></sub> depends on every <i>s</i><sub><i>i</i></sub> through the sum in the denominator: off the diagonal, ∂<i>p</i><sub><i>i</i></sub>/∂<i>s</i><sub><i>j</i></sub> = −<i>p</i><sub><i>i</i></sub><i>p</i><sub><i>j</i></sub>.",
        },
        {
          id: "sign",
          value: p.map((pi, i) => p.map((pj, j) => pi * pj - (i === j ? pi : 0))),
          hint: "Check the sign: <i>J</i> = diag(<i>p</i>) − <i>p</i><i>p</i><sup>T</sup>, positive on the diagonal.",
        },
        {
          id: "no-diagonal-term",
          value: p.map((pi) => p.map((pj) => -pi * pj)),
          hint: "The diagonal also has the term <i>p</i><sub><i>i</i></sub> (from differentiating the numerator): <i>J</i><sub><i>ii</i></sub> = <i>p</i><sub><i>i</i></sub> − <i>p</i><sub><i>i</i></sub>².",
        },
      ];
    },
    tol: ABS,
  };

  KINDS["hidden-delta"] = {
    generate: (r) => ({
      delta_next: r.mat(1, 2, -0.5, 0.5, 0.05),
      W_next: r.mat(2, 2, -1, 1),
      s: r.mat(1, 2, -2, 2),
    }),
    given: (x) => [
      ["δ<sup><i>l</i>+1</sup>", x.delta_next],
      [sym("W", "<i>l</i>+1"), x.W_next],
      [sym("s", "<i>l</i>"), x.s],
      [`${sym("o", "<i>l</i>")} = ${act(x).name}(${sym("s", "<i>l</i>")})`, map(x.s, act(x).f)],
    ],
    question: (x) =>
      `Layer <i>l</i> has activation ${act(x).name}. From the delta of the layer above, compute δ<sup><i>l</i></sup> = ∂<i>E</i>/∂${sym("s", "<i>l</i>")} (one sample).`,
    label: () => "δ<sup><i>l</i></sup>",
    answer: (x) => zip(matmul(x.delta_next, T(x.W_next)), x.s, (g, s) => g * act(x).d(s)),
    mistakes: (x) => {
      const a = act(x),
        back = matmul(x.delta_next, T(x.W_next)),
        o = map(x.s, a.f);
      return [
        {
          id: "transposed-W",
          value: zip(matmul(x.delta_next, x.W_next), x.s, (g, s) => g * a.d(s)),
          hint: "Going back, the weights are transposed: δ<sup><i>l</i></sup> = (δ<sup><i>l</i>+1</sup> (W<sup><i>l</i>+1</sup>)<sup>T</sup>) ⊙ <i>f</i>′(<i>s</i><sup><i>l</i></sup>). Your answer used W<sup><i>l</i>+1</sup> as it stands: unit <i>j</i> of layer <i>l</i> receives blame through row <i>j</i> of W<sup><i>l</i>+1</sup>.",
        },
        {
          id: "derivative-at-o",
          value: zip(back, o, (g, p) => g * a.d(p)),
          hint: HINT.derivativeAtO,
        },
        { id: "no-derivative", value: back, hint: HINT.noDerivative },
      ];
    },
    tol: ABS,
  };

  KINDS["weight-gradient"] = {
    generate: (r) => ({ o_prev: r.mat(2, 2, 0, 1), delta: r.mat(2, 2, -0.3, 0.3, 0.05) }),
    given: (x) => [
      [sym("o", "<i>l</i>−1"), x.o_prev],
      ["δ<sup><i>l</i></sup> (it already holds the 1/<i>B</i>)", x.delta],
    ],
    question: (x) =>
      `A batch of <i>B</i> = ${x.o_prev.length} samples (rows). Compute the gradient ∂<i>E</i>/∂${sym("W", "<i>l</i>")} (one row per input, one column per unit, the shape of ${sym("W", "<i>l</i>")}).`,
    label: () => `∂<i>E</i>/∂${sym("W", "<i>l</i>")}`,
    answer: (x) => matmul(T(x.o_prev), x.delta),
    mistakes: (x) => [
      {
        id: "transposed",
        value: matmul(T(x.delta), x.o_prev),
        hint: "Your answer is the transpose: (δ<sup><i>l</i></sup>)<sup>T</sup><i>o</i><sup><i>l</i>−1</sup>. The gradient has the shape of W: (<i>o</i><sup><i>l</i>−1</sup>)<sup>T</sup>δ<sup><i>l</i></sup>, inputs down, units across.",
      },
      {
        id: "divided-again",
        value: scale(matmul(T(x.o_prev), x.delta), 1 / x.o_prev.length),
        hint: "You divided by <i>B</i> a second time. δ<sup><i>l</i></sup> = ∂<i>E</i>/∂<i>s</i><sup><i>l</i></sup> already carries the 1/<i>B</i> of the batch mean; the sum over rows in (<i>o</i><sup><i>l</i>−1</sup>)<sup>T</sup>δ<sup><i>l</i></sup> is all that is left.",
      },
      {
        id: "elementwise",
        value: zip(x.o_prev, x.delta, (a, b) => a * b),
        hint: "You multiplied entry by entry. The gradient is a matrix product, summing over the samples: (<i>o</i><sup><i>l</i>−1</sup>)<sup>T</sup>δ<sup><i>l</i></sup>.",
      },
    ],
    tol: ABS,
  };

  KINDS["bias-gradient"] = {
    generate: (r) => ({ delta: r.mat(3, 2, -0.3, 0.3, 0.05) }),
    given: (x) => [["δ<sup><i>l</i></sup> (it already holds the 1/<i>B</i>)", x.delta]],
    question: (x) =>
      `A batch of <i>B</i> = ${x.delta.length} samples (rows), two units. Compute ∂<i>E</i>/∂${sym("b", "<i>l</i>")} (one entry per unit).`,
    label: () => `∂<i>E</i>/∂${sym("b", "<i>l</i>")}`,
    answer: (x) => sumRows(x.delta),
    mistakes: (x) => [
      {
        id: "divided-again",
        value: scale(sumRows(x.delta), 1 / x.delta.length),
        hint: "You took the mean over the rows. δ<sup><i>l</i></sup> already holds the 1/<i>B</i>; the bias gradient is the plain sum of its rows.",
      },
      {
        id: "one-sample",
        value: [x.delta[0].slice()],
        hint: "That is one sample's row. The bias is shared by every sample in the batch: sum δ<sup><i>l</i></sup> over all its rows.",
      },
    ],
    tol: ABS,
  };

  KINDS["weight-update"] = {
    generate: (r) => ({
      W: r.mat(2, 2, -1, 1),
      dW: r.mat(2, 2, -0.5, 0.5, 0.05),
      lr: r.num(0.1, 1, 0.1),
    }),
    given: (x) => [
      [sym("W"), x.W],
      ["∂<i>E</i>/∂<i>W</i>", x.dW],
      ["η", x.lr],
    ],
    question: () => "Take one gradient-descent step: compute the new weights.",
    label: () => `new ${sym("W")}`,
    answer: (x) => zip(x.W, x.dW, (w, g) => w - x.lr * g),
    mistakes: (x) => [
      {
        id: "sign",
        value: zip(x.W, x.dW, (w, g) => w + x.lr * g),
        hint: "You stepped uphill. Gradient descent subtracts: <i>W</i> ← <i>W</i> − η ∂<i>E</i>/∂<i>W</i>.",
      },
      {
        id: "no-rate",
        value: zip(x.W, x.dW, (w, g) => w - g),
        hint: "You left out the learning rate η: the step is η times the gradient.",
      },
      {
        id: "step-only",
        value: scale(x.dW, -x.lr),
        hint: "That is the step alone; add it to the current weights.",
      },
    ],
    tol: ABS,
  };

  function byHand(x) {
    const s1 = addRow(matmul(x.x, x.W1), x.b1),
      o1 = map(s1, sigmoid);
    const s2 = addRow(matmul(o1, x.W2), x.b2),
      o2 = map(s2, sigmoid);
    const d = ACT.sigmoid.d;
    const delta2 = zip(
      zip(o2, x.t, (o, t) => o - t),
      s2,
      (g, s) => g * d(s),
    );
    const delta1 = zip(matmul(delta2, T(x.W2)), s1, (g, s) => g * d(s));
    return {
      s1,
      o1,
      s2,
      o2,
      delta2,
      delta1,
      dW1: matmul(T(x.x), delta1),
      dW2: matmul(T(o1), delta2),
    };
  }
  const BH_LABEL = { o2: sym("o", 2), delta2: "δ<sup>2</sup>", dW1: `∂<i>E</i>/∂${sym("W", 1)}` };
  KINDS["by-hand"] = {
    generate: (r) => ({
      x: r.mat(1, 2, 0, 1),
      W1: r.mat(2, 2, -1, 1),
      b1: r.mat(1, 2, -0.5, 0.5)[0],
      W2: r.mat(2, 1, -1, 1),
      b2: [r.num(-0.5, 0.5, 0.1)],
      t: [[r.num(0, 1, 0.1, true)]],
    }),
    given: (x) => {
      const v = byHand(x);
      const list = [
        [sym("o", 0), x.x],
        [sym("W", 1), x.W1],
        [sym("b", 1), [x.b1]],
        [sym("W", 2), x.W2],
        [sym("b", 2), [x.b2]],
        [sym("t"), x.t],
      ];
      if (x.ask !== "o2")
        list.push(
          [sym("s", 1), v.s1],
          [sym("o", 1), v.o1],
          [sym("s", 2), v.s2],
          [sym("o", 2), v.o2],
        );
      return list;
    },
    question: (x) =>
      `The 2-2-1 network of this chapter: sigmoid in both layers, one sample, <i>E</i> = ½(${sym("o", 2)} − <i>t</i>)². Compute ${BH_LABEL[x.ask || "dW1"]}.`,
    label: (x) => BH_LABEL[x.ask || "dW1"],
    answer: (x) => byHand(x)[x.ask || "dW1"],
    mistakes: (x) => {
      const v = byHand(x),
        d = ACT.sigmoid.d,
        ask = x.ask || "dW1";
      if (ask === "o2") {
        const s1t = addRow(matmul(x.x, T(x.W1)), x.b1);
        return [
          {
            id: "transposed-W",
            value: map(addRow(matmul(map(s1t, sigmoid), x.W2), x.b2), sigmoid),
            hint: HINT.transposedForward,
          },
          {
            id: "no-hidden-activation",
            value: map(addRow(matmul(v.s1, x.W2), x.b2), sigmoid),
            hint:
              "You passed " +
              sym("s", 1) +
              " to the second layer. It receives the hidden layer's output " +
              sym("o", 1) +
              " = σ(" +
              sym("s", 1) +
              ").",
          },
        ];
      }
      const diff = zip(v.o2, x.t, (o, t) => o - t);
      if (ask === "delta2") {
        return [
          {
            id: "derivative-at-o",
            value: zip(diff, v.o2, (g, o) => g * d(o)),
            hint: HINT.derivativeAtO,
          },
          { id: "sign", value: zip(diff, v.s2, (g, s) => -g * d(s)), hint: HINT.sign },
          { id: "no-derivative", value: diff, hint: HINT.noDerivative },
        ];
      }
      const d2o = zip(diff, v.o2, (g, o) => g * d(o));
      return [
        {
          id: "transposed",
          value: T(v.dW1),
          hint:
            "Your answer is the transpose. ∂<i>E</i>/∂" +
            sym("W", 1) +
            " = (" +
            sym("o", 0) +
            ")<sup>T</sup>δ<sup>1</sup> has the shape of " +
            sym("W", 1) +
            ": inputs down, units across.",
        },
        {
          id: "derivative-at-o",
          value: matmul(
            T(x.x),
            zip(matmul(d2o, T(x.W2)), v.o1, (g, o) => g * d(o)),
          ),
          hint: HINT.derivativeAtO,
        },
        { id: "sign", value: scale(v.dW1, -1), hint: HINT.sign },
      ];
    },
    tol: (x) => ((x.ask || "dW1") === "dW1" ? REL2 : ABS),
  };

  function unitLoss(x, w) {
    const o = sigmoid(x.x * w + x.b);
    return 0.5 * (o - x.t) ** 2;
  }
  KINDS["central-difference"] = {
    generate: (r) => ({
      x: r.num(-1, 1, 0.1),
      t: r.num(0, 1, 0.1, true),
      w: r.num(-1, 1, 0.1),
      b: r.num(-0.5, 0.5, 0.1, true),
      eps: 0.001,
    }),
    given: (x) => [
      ["<i>x</i>", x.x],
      ["<i>t</i>", x.t],
      ["<i>w</i>", x.w],
      ["<i>b</i>", x.b],
      ["ε", x.eps],
      ["<i>E</i>(<i>w</i> + ε)", unitLoss(x, x.w + x.eps).toPrecision(10)],
      ["<i>E</i>(<i>w</i> − ε)", unitLoss(x, x.w - x.eps).toPrecision(10)],
    ],
    question: () =>
      "One sigmoid unit, <i>o</i> = σ(<i>xw</i> + <i>b</i>), <i>E</i> = ½(<i>o</i> − <i>t</i>)². From the two losses given, estimate ∂<i>E</i>/∂<i>w</i> by a central difference.",
    label: () => "∂<i>E</i>/∂<i>w</i> ≈",
    answer: (x) =>
      (+unitLoss(x, x.w + x.eps).toPrecision(10) - +unitLoss(x, x.w - x.eps).toPrecision(10)) /
      (2 * x.eps),
    mistakes: (x) => {
      const g =
        +unitLoss(x, x.w + x.eps).toPrecision(10) - +unitLoss(x, x.w - x.eps).toPrecision(10);
      return [
        {
          id: "missing-2",
          value: g / x.eps,
          hint: "The two points are 2ε apart: divide by 2ε, not ε.",
        },
        {
          id: "sign",
          value: -g / (2 * x.eps),
          hint: "Check the order: <i>E</i>(<i>w</i> + ε) − <i>E</i>(<i>w</i> − ε), over 2ε.",
        },
      ];
    },
    tol: REL1,
  };

  KINDS["relative-error"] = {
    generate: (r) => {
      const a = r.num(-2, 2, 0.01);
      const n = +(a * (1 + r.num(-0.3, 0.3, 0.01))).toFixed(6);
      return { a, n };
    },
    given: (x) => [
      ["backprop's <i>a</i>", x.a],
      ["the central difference's <i>n</i>", x.n],
    ],
    question: () =>
      "Compute the relative error |<i>a</i> − <i>n</i>| / max(|<i>a</i>|, |<i>n</i>|) of the two gradient entries (you may type e.g. 2.5e-3).",
    label: () => "relative error",
    answer: (x) => Math.abs(x.a - x.n) / Math.max(Math.abs(x.a), Math.abs(x.n)),
    mistakes: (x) => [
      {
        id: "absolute-error",
        value: Math.abs(x.a - x.n),
        hint: "That is the absolute error |<i>a</i> − <i>n</i>|. Divide by max(|<i>a</i>|, |<i>n</i>|), so that the error is measured against the size of the gradient.",
      },
      {
        id: "divided-by-min",
        value: Math.abs(x.a - x.n) / Math.min(Math.abs(x.a), Math.abs(x.n)),
        hint: "Divide by the larger of |<i>a</i>| and |<i>n</i>| (the smaller one inflates the error, and is 0 when a gradient entry vanishes).",
      },
    ],
    tol: REL2,
  };

  function chain(x) {
    const s = [],
      o = [];
    let prev = x.x;
    for (const w of x.w) {
      s.push(prev * w);
      o.push(sigmoid(prev * w));
      prev = o[o.length - 1];
    }
    return { s, o };
  }
  KINDS.chain = {
    generate: (r) => ({
      x: r.num(0.5, 1, 0.1),
      w: [r.num(-2, 2, 0.5), r.num(-2, 2, 0.5), r.num(-2, 2, 0.5)],
      t: r.num(0, 1, 0.1, true),
    }),
    given: (x) => {
      const v = chain(x);
      return [
        ["<i>x</i> = <i>o</i><sup>0</sup>", x.x],
        ["<i>w</i><sup>1</sup>, <i>w</i><sup>2</sup>, <i>w</i><sup>3</sup>", [x.w]],
        ["<i>t</i>", x.t],
        ["<i>s</i><sup>1</sup>, <i>s</i><sup>2</sup>, <i>s</i><sup>3</sup>", [v.s]],
        ["<i>o</i><sup>1</sup>, <i>o</i><sup>2</sup>, <i>o</i><sup>3</sup>", [v.o]],
      ];
    },
    question: () =>
      "A chain of three sigmoid units, one weight each and no bias: <i>s</i><sup><i>l</i></sup> = <i>o</i><sup><i>l</i>−1</sup><i>w</i><sup><i>l</i></sup>, <i>E</i> = ½(<i>o</i><sup>3</sup> − <i>t</i>)². Compute ∂<i>E</i>/∂<i>w</i><sup>1</sup>, the gradient at the bottom of the chain.",
    label: () => "∂<i>E</i>/∂<i>w</i><sup>1</sup>",
    answer: (x) => {
      const v = chain(x),
        d = ACT.sigmoid.d;
      return x.x * d(v.s[0]) * x.w[1] * d(v.s[1]) * x.w[2] * d(v.s[2]) * (v.o[2] - x.t);
    },
    mistakes: (x) => {
      const v = chain(x),
        d = ACT.sigmoid.d,
        g = v.o[2] - x.t;
      return [
        {
          id: "derivative-at-o",
          value: x.x * d(v.o[0]) * x.w[1] * d(v.o[1]) * x.w[2] * d(v.o[2]) * g,
          hint: HINT.derivativeAtO,
        },
        {
          id: "missing-weights",
          value: x.x * d(v.s[0]) * d(v.s[1]) * d(v.s[2]) * g,
          hint: "Each step down the chain multiplies by the weight it crosses as well as by σ′: δ<sup><i>l</i></sup> = δ<sup><i>l</i>+1</sup> <i>w</i><sup><i>l</i>+1</sup> σ′(<i>s</i><sup><i>l</i></sup>).",
        },
        {
          id: "sign",
          value: -x.x * d(v.s[0]) * x.w[1] * d(v.s[1]) * x.w[2] * d(v.s[2]) * g,
          hint: HINT.sign,
        },
      ];
    },
    tol: REL2,
  };

  KINDS["cross-entropy"] = {
    generate: (r) => {
      const p = [0, 1].map(() => {
        const raw = [r.num(1, 9, 1), r.num(1, 9, 1), r.num(1, 9, 1)];
        const z = raw.reduce((a, b) => a + b, 0);
        const row = raw.map((v) => Math.round((100 * v) / z) / 100);
        row[2] = +(1 - row[0] - row[1]).toFixed(2);
        return row;
      });
      return { p, y: [r.int(3), r.int(3)] };
    },
    given: (x) => [
      ["<i>p</i> (softmax outputs)", x.p],
      ["labels <i>y</i>", [x.y]],
    ],
    question: (x) =>
      `A batch of <i>B</i> = ${x.p.length} samples, classes numbered from 0. Compute the cross-entropy <i>E</i> = −(1/<i>B</i>) Σ<sub><i>n</i></sub> ln <i>p</i><sub><i>n</i>,<i>y<sub>n</sub></i></sub> (natural logarithm).`,
    label: () => "<i>E</i>",
    answer: (x) => -x.y.reduce((sum, k, n) => sum + Math.log(x.p[n][k]), 0) / x.p.length,
    mistakes: (x) => {
      const total = -x.y.reduce((sum, k, n) => sum + Math.log(x.p[n][k]), 0);
      return [
        {
          id: "missing-1/B",
          value: total,
          hint: HINT.missingB.replace(
            ", so each row's δ carries a factor 1/<i>B</i>",
            ": divide the sum by <i>B</i>",
          ),
        },
        {
          id: "log10",
          value: total / x.p.length / Math.LN10,
          hint: "Use the natural logarithm ln, not log<sub>10</sub>.",
        },
        {
          id: "sign",
          value: -total / x.p.length,
          hint: "A loss is never negative here: E = −(1/<i>B</i>) Σ ln <i>p</i>, and ln <i>p</i> < 0.",
        },
      ];
    },
    tol: ABS,
  };

  KINDS.accuracy = {
    generate: (r) => {
      for (;;) {
        const o = r.mat(4, 3, 0.05, 0.95, 0.05);
        if (o.every((row) => new Set(row).size === 3))
          return { o, y: [r.int(3), r.int(3), r.int(3), r.int(3)] };
      }
    },
    given: (x) => [
      ["network outputs <i>o</i>", x.o],
      ["labels <i>y</i>", [x.y]],
    ],
    question: () =>
      "Four samples, classes numbered from 0; the predicted class of a sample is the index of its largest output. Compute the accuracy (a fraction between 0 and 1).",
    label: () => "accuracy",
    answer: (x) =>
      x.o.filter((row, n) => row.indexOf(Math.max(...row)) === x.y[n]).length / x.o.length,
    mistakes: (x) => {
      const right = x.o.filter((row, n) => row.indexOf(Math.max(...row)) === x.y[n]).length;
      return [
        {
          id: "count",
          value: right,
          hint: "That is the number of correct predictions; divide by the number of samples.",
        },
        {
          id: "error-rate",
          value: 1 - right / x.o.length,
          hint: "That is the error rate, the fraction predicted wrongly.",
        },
        {
          id: "argmin",
          value:
            x.o.filter((row, n) => row.indexOf(Math.min(...row)) === x.y[n]).length / x.o.length,
          hint: "The predicted class is the largest output (argmax), not the smallest.",
        },
      ];
    },
    tol: ABS,
  };

  // ---- beyond dense layers: the engine, the layers of a modern network, the optimizers ------
  const INT = { abs: 0.01, rel: 0, text: "Give a whole number." };
  const correlate = (X, K) =>
    Array.from({ length: X.length - K.length + 1 }, (_, i) =>
      Array.from({ length: X[0].length - K[0].length + 1 }, (_, j) =>
        K.reduce((sum, row, u) => sum + row.reduce((acc, w, v) => acc + w * X[i + u][j + v], 0), 0),
      ),
    );
  function pad(X, p) {
    const zeros = () => Array(X[0].length + 2 * p).fill(0);
    const side = Array(p).fill(0);
    return [
      ...Array.from({ length: p }, zeros),
      ...X.map((row) => [...side, ...row, ...side]),
      ...Array.from({ length: p }, zeros),
    ];
  }
  const flip = (K) =>
    K.slice()
      .reverse()
      .map((row) => row.slice().reverse());
  const ADD_UP =
    "A value used in several places gets the sum of the gradients of all its uses (eq. ad-accumulate): the engine writes <code>grad +=</code>, never <code>grad =</code>.";

  KINDS["broadcast-product"] = {
    generate: (r) => ({ x: r.mat(3, 2, -1, 1), w: r.mat(1, 2, -1, 1)[0], g: r.mat(3, 2, -1, 1) }),
    given: (x) => [
      [sym("x"), x.x],
      [sym("w"), [x.w]],
      ["<i>ȳ</i> = ∂<i>E</i>/∂<i>y</i>", x.g],
    ],
    question: (x) =>
      `The engine computes <i>y</i> = <i>x</i> ⊙ <i>w</i> entry by entry: <i>x</i> has ${x.x.length} rows, and the row <i>w</i> (one entry per column) is broadcast over them. Compute <i>w̄</i> = ∂<i>E</i>/∂<i>w</i> (one entry per column).`,
    label: () => "<i>w̄</i>",
    answer: (x) => sumRows(zip(x.g, x.x, (g, v) => g * v)),
    mistakes: (x) => {
      const each = zip(x.g, x.x, (g, v) => g * v);
      return [
        {
          id: "not-summed",
          value: [each[0].slice()],
          hint: `That is the share of the first row only. <i>w</i> is used in every row (the broadcast), so its gradient is the sum of the rows' shares: a broadcast in the forward pass becomes a sum in the backward pass (eq. ad-unbroadcast). ${ADD_UP}`,
        },
        {
          id: "mean",
          value: scale(sumRows(each), 1 / x.x.length),
          hint: "You averaged the rows' shares. The broadcast becomes a sum, not a mean (a 1/<i>B</i> of the loss is already inside <i>ȳ</i>).",
        },
        {
          id: "no-x",
          value: sumRows(x.g),
          hint: "You summed <i>ȳ</i> alone, as for a bias that is added. Here <i>w</i> multiplies <i>x</i>: its local derivative is <i>x</i>, so <i>w̄</i> = Σ<sub><i>n</i></sub> <i>ȳ</i><sub><i>n</i></sub> ⊙ <i>x</i><sub><i>n</i></sub>.",
        },
      ];
    },
    tol: ABS,
  };

  KINDS["used-twice"] = {
    generate: (r) => ({
      x: r.mat(1, 3, -1.5, 1.5),
      w: r.mat(1, 3, -1, 1),
      g: r.mat(1, 3, -1, 1),
    }),
    given: (x) => [
      [sym("x"), x.x],
      [sym("w"), x.w],
      ["tanh(<i>x</i>)", map(x.x, Math.tanh)],
      ["<i>ȳ</i> = ∂<i>E</i>/∂<i>y</i>", x.g],
    ],
    question: () =>
      "The engine computes <i>y</i> = <i>x</i> ⊙ <i>w</i> + tanh(<i>x</i>), entry by entry: <i>x</i> is used twice. Compute <i>x̄</i> = ∂<i>E</i>/∂<i>x</i>.",
    label: () => "<i>x̄</i>",
    answer: (x) =>
      zip(
        x.g,
        zip(x.w, x.x, (w, v) => w + 1 - Math.tanh(v) ** 2),
        (g, d) => g * d,
      ),
    mistakes: (x) => [
      {
        id: "only-tanh-path",
        value: zip(x.g, x.x, (g, v) => g * (1 - Math.tanh(v) ** 2)),
        hint: `That is the share through tanh alone: the share through <i>x</i> ⊙ <i>w</i> was overwritten. ${ADD_UP} Here <i>x̄</i> = <i>ȳ</i> ⊙ <i>w</i> + <i>ȳ</i> ⊙ (1 − tanh²<i>x</i>).`,
      },
      {
        id: "only-product-path",
        value: zip(x.g, x.w, (g, w) => g * w),
        hint: `That is the share through <i>x</i> ⊙ <i>w</i> alone: the share through tanh was overwritten. ${ADD_UP} Here <i>x̄</i> = <i>ȳ</i> ⊙ <i>w</i> + <i>ȳ</i> ⊙ (1 − tanh²<i>x</i>).`,
      },
      {
        id: "no-upstream",
        value: zip(x.w, x.x, (w, v) => w + 1 - Math.tanh(v) ** 2),
        hint: "You left out <i>ȳ</i>: each share is the gradient arriving from above times the local derivative (the vector-Jacobian product, eq. ad-vjp).",
      },
    ],
    tol: ABS,
  };

  KINDS["matmul-vjp"] = {
    generate: (r) => ({ A: r.mat(2, 2, -1, 1), B: r.mat(2, 2, -1, 1), g: r.mat(2, 2, -1, 1) }),
    given: (x) => [
      [sym("A"), x.A],
      [sym("B"), x.B],
      ["<i>Ȳ</i> = ∂<i>E</i>/∂<i>Y</i>", x.g],
    ],
    question: () =>
      "The engine computes the matrix product <i>Y</i> = <i>AB</i>. Given <i>Ȳ</i>, compute <i>Ā</i> = ∂<i>E</i>/∂<i>A</i> (the shape of <i>A</i>).",
    label: () => "<i>Ā</i>",
    answer: (x) => matmul(x.g, T(x.B)),
    mistakes: (x) => [
      {
        id: "not-transposed",
        value: matmul(x.g, x.B),
        hint: "Going back through a product, the other factor is transposed: <i>Ā</i> = <i>Ȳ</i><i>B</i><sup>T</sup> (eq. ad-matmul), since <i>Y</i><sub><i>ik</i></sub> = Σ<sub><i>j</i></sub> <i>A</i><sub><i>ij</i></sub><i>B</i><sub><i>jk</i></sub> gives ∂<i>Y</i><sub><i>ik</i></sub>/∂<i>A</i><sub><i>ij</i></sub> = <i>B</i><sub><i>jk</i></sub>. With matrices that are not square, only this order has the right shape.",
      },
      {
        id: "wrong-side",
        value: matmul(T(x.B), x.g),
        hint: "<i>B</i> stands to the right of <i>A</i> in <i>Y</i> = <i>AB</i>, so <i>B</i><sup>T</sup> multiplies <i>Ȳ</i> from the right: <i>Ā</i> = <i>Ȳ</i><i>B</i><sup>T</sup>.",
      },
      {
        id: "other-factor",
        value: matmul(T(x.A), x.g),
        hint: "That is <i>B̄</i> = <i>A</i><sup>T</sup><i>Ȳ</i>, the gradient of the other factor. <i>Ā</i> = <i>Ȳ</i><i>B</i><sup>T</sup>.",
      },
    ],
    tol: ABS,
  };

  function batchNorm(x) {
    const B = x.x.length;
    const mu = x.x.reduce((sum, row) => sum + row[0], 0) / B;
    const v = x.x.reduce((sum, row) => sum + (row[0] - mu) ** 2, 0) / B;
    const sigma = Math.sqrt(v + x.eps);
    const xhat = x.x.map((row) => [(row[0] - mu) / sigma]);
    const sumG = x.g.reduce((sum, row) => sum + row[0], 0);
    const sumGX = x.g.reduce((sum, row, b) => sum + row[0] * xhat[b][0], 0);
    const c = x.gamma / (B * sigma);
    return { B, mu, sigma, xhat, sumG, sumGX, c };
  }
  KINDS["batchnorm-backward"] = {
    generate: (r) => {
      for (;;) {
        const x = r.mat(3, 1, -2, 2, 0.5);
        if (new Set(x.map((row) => row[0])).size === 3)
          return { x, gamma: r.num(0.5, 2.5, 0.5), g: r.mat(3, 1, -1, 1), eps: 0.00001 };
      }
    },
    given: (x) => {
      const v = batchNorm(x);
      return [
        [sym("x"), x.x],
        ["γ", x.gamma],
        ["<i>g</i> = ∂<i>E</i>/∂<i>y</i>", x.g],
        ["μ", v.mu],
        ["σ = √(<i>v</i> + ε)", v.sigma],
        ["<i>x̂</i>", v.xhat],
      ];
    },
    question: (x) =>
      `Batch normalization in training mode, one feature over a batch of <i>B</i> = ${x.x.length} rows: <i>y</i> = γ<i>x̂</i> + β with <i>x̂</i> = (<i>x</i> − μ)/σ, μ and σ computed from the batch (ε = 10<sup>−5</sup>). Given <i>g</i>, compute ∂<i>E</i>/∂<i>x</i>.`,
    label: () => "∂<i>E</i>/∂<i>x</i>",
    answer: (x) => {
      const v = batchNorm(x);
      return x.g.map((row, b) => [v.c * (v.B * row[0] - v.sumG - v.xhat[b][0] * v.sumGX)]);
    },
    mistakes: (x) => {
      const v = batchNorm(x);
      return [
        {
          id: "no-variance-term",
          value: x.g.map((row) => [v.c * (v.B * row[0] - v.sumG)]),
          hint: "You left out the third term, the path through the variance: σ depends on every row too, and that path removes the gradient's component along <i>x̂</i>, − <i>x̂</i><sub><i>a</i></sub> Σ<sub><i>b</i></sub> <i>g</i><sub><i>b</i></sub><i>x̂</i><sub><i>b</i></sub> inside the bracket (eq. ml-bn-backward).",
        },
        {
          id: "no-mean-term",
          value: x.g.map((row, b) => [v.c * (v.B * row[0] - v.xhat[b][0] * v.sumGX)]),
          hint: "You left out the path through the mean: every row also receives minus the sum of the gradients, − Σ<sub><i>b</i></sub> <i>g</i><sub><i>b</i></sub> inside the bracket (eq. ml-bn-backward).",
        },
        {
          id: "constants",
          value: x.g.map((row) => [(x.gamma * row[0]) / v.sigma]),
          hint: "You treated μ and σ as constants, as in evaluation mode. In training mode they are computed from the batch, so each <i>x</i><sub><i>a</i></sub> reaches <i>E</i> three ways: directly, through μ and through σ (eq. ml-bn-backward).",
        },
        {
          id: "no-gamma",
          value: x.g.map((row, b) => [
            (v.B * row[0] - v.sumG - v.xhat[b][0] * v.sumGX) / (v.B * v.sigma),
          ]),
          hint: "You left out γ: the gradient that reaches <i>x̂</i> is <i>g</i>γ.",
        },
      ];
    },
    tol: ABS,
  };

  KINDS["conv-input-grad"] = {
    generate: (r) => ({ W: r.mat(2, 2, -1, 1), g: r.mat(2, 2, -1, 1) }),
    given: (x) => [
      [`kernel ${sym("W")}`, x.W],
      ["<i>g</i> = ∂<i>E</i>/∂<i>y</i>", x.g],
    ],
    question: () =>
      "A convolution layer (one channel in, one out, stride 1, no padding) maps a 3 × 3 input <i>x</i> to a 2 × 2 output, <i>y</i><sub><i>ij</i></sub> = <i>b</i> + Σ<sub><i>u</i>,<i>v</i></sub> <i>W</i><sub><i>uv</i></sub> <i>x</i><sub><i>i</i>+<i>u</i>, <i>j</i>+<i>v</i></sub>. Given <i>g</i>, compute ∂<i>E</i>/∂<i>x</i> (3 × 3).",
    label: () => "∂<i>E</i>/∂<i>x</i>",
    answer: (x) => correlate(pad(x.g, 1), flip(x.W)),
    mistakes: (x) => [
      {
        id: "not-flipped",
        value: correlate(pad(x.g, 1), x.W),
        hint: "You slid the kernel as it stands over the padded gradient. The input's gradient is the cross-correlation of the padded gradient with the kernel flipped in both axes (eq. ml-conv-dx): <i>x</i><sub><i>mn</i></sub> meets <i>W</i><sub><i>uv</i></sub> in output (<i>m</i> − <i>u</i>, <i>n</i> − <i>v</i>).",
      },
      {
        id: "flipped-one-axis",
        value: correlate(pad(x.g, 1), x.W.slice().reverse()),
        hint: "You flipped the kernel in one axis only: flip it top to bottom and left to right (a half turn).",
      },
      {
        id: "transposed-kernel",
        value: correlate(pad(x.g, 1), T(x.W)),
        hint: "Flipping is not transposing: the flipped kernel is <i>Ŵ</i><sub><i>uv</i></sub> = <i>W</i><sub>1−<i>u</i>, 1−<i>v</i></sub>, a half turn, while <i>W</i><sup>T</sup> exchanges rows and columns.",
      },
    ],
    tol: ABS,
  };

  function routed(x, pick) {
    const out = x.x.map((row) => row.map(() => 0));
    x.g[0].forEach((g, j) => {
      const cells = [
        [0, 2 * j],
        [0, 2 * j + 1],
        [1, 2 * j],
        [1, 2 * j + 1],
      ];
      const values = cells.map(([a, b]) => x.x[a][b]);
      const [a, b] = cells[values.indexOf(pick(...values))];
      out[a][b] = g;
    });
    return out;
  }
  KINDS["maxpool-backward"] = {
    generate: (r) => {
      for (;;) {
        const x = r.mat(2, 4, -1, 1);
        const windows = [0, 1].map((j) => [
          x[0][2 * j],
          x[0][2 * j + 1],
          x[1][2 * j],
          x[1][2 * j + 1],
        ]);
        if (windows.every((w) => new Set(w).size === 4)) return { x, g: r.mat(1, 2, -1, 1) };
      }
    },
    given: (x) => [
      [sym("x"), x.x],
      ["<i>g</i> = ∂<i>E</i>/∂<i>y</i>", x.g],
    ],
    question: () =>
      "Max-pooling with 2 × 2 windows (stride 2) maps the 2 × 4 input <i>x</i> to a 1 × 2 output <i>y</i>. Given <i>g</i>, compute ∂<i>E</i>/∂<i>x</i> (2 × 4).",
    label: () => "∂<i>E</i>/∂<i>x</i>",
    answer: (x) => routed(x, Math.max),
    mistakes: (x) => [
      {
        id: "spread",
        value: x.x.map((row) => row.map((_, j) => x.g[0][Math.floor(j / 2)] / 4)),
        hint: "You spread the gradient evenly over the window, as average-pooling would. The output of max-pooling is its window's largest entry alone: that entry gets the whole gradient, the other three 0 (eq. ml-maxpool-back).",
      },
      {
        id: "everywhere",
        value: x.x.map((row) => row.map((_, j) => x.g[0][Math.floor(j / 2)])),
        hint: "Only the largest entry of a window moves its output: it gets <i>g</i>, the other three entries 0 (eq. ml-maxpool-back).",
      },
      {
        id: "argmin",
        value: routed(x, Math.min),
        hint: "The gradient goes to the largest entry of each window, not the smallest.",
      },
    ],
    tol: ABS,
  };

  KINDS["conv-forward"] = {
    generate: (r) => ({ x: r.mat(3, 3, -1, 1), W: r.mat(2, 2, -1, 1), b: r.num(-0.5, 0.5, 0.1) }),
    given: (x) => [
      [sym("x"), x.x],
      [`kernel ${sym("W")}`, x.W],
      [sym("b"), x.b],
    ],
    question: () =>
      "A convolution layer as the frameworks (and the library's <code>Conv2D</code>) define it: one channel in, one out, a 2 × 2 kernel, stride 1, no padding. Compute its output <i>y</i> (2 × 2) for the 3 × 3 input <i>x</i>.",
    label: () => sym("y"),
    answer: (x) => map(correlate(x.x, x.W), (v) => v + x.b),
    mistakes: (x) => [
      {
        id: "flipped-kernel",
        value: map(correlate(x.x, flip(x.W)), (v) => v + x.b),
        hint: "You flipped the kernel, as the convolution of signal processing does. <code>Conv2D</code> computes a cross-correlation, the kernel as it stands: <i>y</i><sub><i>ij</i></sub> = <i>b</i> + Σ<sub><i>u</i>,<i>v</i></sub> <i>W</i><sub><i>uv</i></sub> <i>x</i><sub><i>i</i>+<i>u</i>, <i>j</i>+<i>v</i></sub> (eq. ml-conv). The flip appears in the backward pass.",
      },
      {
        id: "transposed-kernel",
        value: map(correlate(x.x, T(x.W)), (v) => v + x.b),
        hint: "You used the kernel transposed: <i>W</i><sub><i>uv</i></sub> multiplies <i>x</i><sub><i>i</i>+<i>u</i>, <i>j</i>+<i>v</i></sub>, row offset <i>u</i>, column offset <i>v</i>.",
      },
      {
        id: "no-bias",
        value: correlate(x.x, x.W),
        hint: "You left out the bias <i>b</i>: add it to every output.",
      },
    ],
    tol: ABS,
  };

  const convSize = (H, k, p, s) => Math.floor((H + 2 * p - k) / s) + 1;
  KINDS["conv-output-size"] = {
    generate: (r) => ({
      H: 6 + r.int(27),
      k: [3, 5, 7][r.int(3)],
      p: 1 + r.int(3),
      s: 2 + r.int(2),
    }),
    given: (x) => [
      ["height <i>H</i> of the input", x.H],
      ["kernel size <i>k</i>", x.k],
      ["padding <i>p</i>", x.p],
      ["stride <i>s</i>", x.s],
    ],
    question: () =>
      "A convolution layer with a <i>k</i> × <i>k</i> kernel, <i>p</i> zeros of padding on every side and stride <i>s</i> gets an input of height <i>H</i>. How many rows has its output?",
    label: () => "<i>H</i><sub>out</sub>",
    answer: (x) => convSize(x.H, x.k, x.p, x.s),
    mistakes: (x) => [
      {
        id: "no-plus-one",
        value: convSize(x.H, x.k, x.p, x.s) - 1,
        hint: "You counted the steps of the kernel, not its positions: the first position comes before any step, <i>H</i><sub>out</sub> = ⌊(<i>H</i> + 2<i>p</i> − <i>k</i>)/<i>s</i>⌋ + 1.",
      },
      {
        id: "no-padding",
        value: convSize(x.H, x.k, 0, x.s),
        hint: "You left out the padding: the kernel slides over the padded input, of height <i>H</i> + 2<i>p</i>.",
      },
      {
        id: "padding-once",
        value: convSize(x.H, x.k, x.p / 2, x.s),
        hint: "The padding is on both sides, top and bottom: the padded height is <i>H</i> + 2<i>p</i>.",
      },
      {
        id: "no-stride",
        value: convSize(x.H, x.k, x.p, 1),
        hint: "You left out the stride: the kernel moves <i>s</i> rows at a time, so divide (<i>H</i> + 2<i>p</i> − <i>k</i>) by <i>s</i>, rounding down, before adding 1.",
      },
    ],
    tol: INT,
  };

  KINDS["conv-parameters"] = {
    generate: (r) => ({ C: 2 + r.int(15), O: 2 + r.int(31), k: [3, 5][r.int(2)] }),
    given: (x) => [
      ["input channels <i>C</i>", x.C],
      ["output channels <i>O</i>", x.O],
      ["kernel size <i>k</i>", x.k],
    ],
    question: () =>
      "How many parameters (weights and biases) has a convolution layer with <i>C</i> input channels, <i>O</i> output channels and <i>k</i> × <i>k</i> kernels? (The image's size does not matter.)",
    label: () => "parameters",
    answer: (x) => x.O * x.C * x.k * x.k + x.O,
    mistakes: (x) => [
      {
        id: "no-bias",
        value: x.O * x.C * x.k * x.k,
        hint: "You left out the biases: one per output channel.",
      },
      {
        id: "no-channels",
        value: x.O * x.k * x.k + x.O,
        hint: "Each kernel spans all <i>C</i> input channels: it has <i>C</i> · <i>k</i> · <i>k</i> weights, and there are <i>O</i> of them.",
      },
      {
        id: "one-bias",
        value: x.O * x.C * x.k * x.k + 1,
        hint: "Each output channel has its own bias: <i>O</i> biases, not one.",
      },
    ],
    tol: INT,
  };

  KINDS["momentum-step"] = {
    generate: (r) => ({
      theta: r.mat(1, 3, -1, 1),
      v: r.mat(1, 3, -1, 1),
      g: r.mat(1, 3, -1, 1),
      mu: r.num(0.5, 0.9, 0.1),
      lr: r.num(0.1, 0.5, 0.1),
    }),
    given: (x) => [
      ["θ", x.theta],
      ["velocity <i>v</i> (before this step)", x.v],
      ["<i>g</i> = ∂<i>E</i>/∂θ", x.g],
      ["μ", x.mu],
      ["η", x.lr],
    ],
    question: () =>
      "One step of gradient descent with momentum, as in the book (and <code>torch.optim.SGD</code>): <i>v</i> ← μ<i>v</i> + <i>g</i>, then θ ← θ − η<i>v</i>. Compute the new θ.",
    label: () => "new θ",
    answer: (x) =>
      zip(
        x.theta,
        zip(x.v, x.g, (v, g) => x.mu * v + g),
        (t, v) => t - x.lr * v,
      ),
    mistakes: (x) => [
      {
        id: "sign",
        value: zip(
          x.theta,
          zip(x.v, x.g, (v, g) => x.mu * v - g),
          (t, v) => t - x.lr * v,
        ),
        hint: "Check momentum's sign: you subtracted the gradient inside the velocity and then subtracted the velocity, so the gradient's part of the step goes uphill. Here the velocity adds gradients, <i>v</i> ← μ<i>v</i> + <i>g</i>, and the step subtracts it, θ ← θ − η<i>v</i> (the other common form, <i>v</i> ← μ<i>v</i> − η<i>g</i>, θ ← θ + <i>v</i>, puts the minus in the velocity instead).",
      },
      {
        id: "old-velocity",
        value: zip(x.theta, x.v, (t, v) => t - x.lr * v),
        hint: "You stepped with the velocity before this step's update. First <i>v</i> ← μ<i>v</i> + <i>g</i>, then θ ← θ − η<i>v</i> with the new <i>v</i>.",
      },
      {
        id: "no-momentum",
        value: zip(x.theta, x.g, (t, g) => t - x.lr * g),
        hint: "That is a plain gradient step, without the velocity: θ ← θ − η(μ<i>v</i> + <i>g</i>).",
      },
      {
        id: "no-mu",
        value: zip(
          x.theta,
          zip(x.v, x.g, (v, g) => v + g),
          (t, v) => t - x.lr * v,
        ),
        hint: "You left out μ: the old velocity decays, <i>v</i> ← μ<i>v</i> + <i>g</i>.",
      },
    ],
    tol: ABS,
  };

  function adam(x) {
    const [b1, b2] = x.betas;
    const m = zip(x.m, x.g, (m0, g) => b1 * m0 + (1 - b1) * g);
    const v = zip(x.v, x.g, (v0, g) => b2 * v0 + (1 - b2) * g * g);
    const c1 = 1 - b1 ** x.t,
      c2 = 1 - b2 ** x.t;
    return { m, v, mhat: scale(m, 1 / c1), vhat: scale(v, 1 / c2) };
  }
  const adamStep = (x, m, v, sign) =>
    zip(
      x.theta,
      zip(m, v, (a, b) => a / (Math.sqrt(b) + x.eps)),
      (t, d) => t - sign * x.lr * d,
    );
  KINDS["adam-step"] = {
    generate: (r) => {
      const betas = [0.9, 0.999],
        t = 1 + r.int(3);
      let m = [[0, 0]],
        v = [[0, 0]];
      for (let k = 1; k < t; k += 1) {
        const g = r.mat(1, 2, -1, 1);
        m = zip(m, g, (a, b) => +(betas[0] * a + (1 - betas[0]) * b).toFixed(10));
        v = zip(v, g, (a, b) => +(betas[1] * a + (1 - betas[1]) * b * b).toFixed(10));
      }
      return {
        theta: r.mat(1, 2, -1, 1),
        g: r.mat(1, 2, -1, 1),
        m,
        v,
        t,
        lr: r.num(0.1, 0.5, 0.1),
        betas,
        eps: 1e-8,
      };
    },
    given: (x) => [
      ["θ", x.theta],
      ["<i>g</i> = ∂<i>E</i>/∂θ", x.g],
      ["<i>m</i> (before this step)", x.m, 10],
      ["<i>v</i> (before this step)", x.v, 10],
      ["this step's <i>t</i>", x.t],
      ["η", x.lr],
      ["β<sub>1</sub>, β<sub>2</sub>", [x.betas], 3],
      ["ε", "10<sup>−8</sup>"],
    ],
    question: () =>
      "One step of Adam: update <i>m</i> and <i>v</i> with <i>g</i>, correct them for starting at 0, and step. Compute the new θ.",
    label: () => "new θ",
    answer: (x) => {
      const a = adam(x);
      return adamStep(x, a.mhat, a.vhat, 1);
    },
    mistakes: (x) => {
      const a = adam(x);
      return [
        {
          id: "no-bias-correction",
          value: adamStep(x, a.m, a.v, 1),
          hint: "You left out the bias correction. <i>m</i> and <i>v</i> start at 0, so early on they are too small by the factors 1 − β<sub>1</sub><sup><i>t</i></sup> and 1 − β<sub>2</sub><sup><i>t</i></sup>; divide by them before the step: <i>m̂</i> = <i>m</i>/(1 − β<sub>1</sub><sup><i>t</i></sup>), <i>v̂</i> = <i>v</i>/(1 − β<sub>2</sub><sup><i>t</i></sup>) (eq. op-adam-hat).",
        },
        {
          id: "no-root",
          value: zip(
            x.theta,
            zip(a.mhat, a.vhat, (p, q) => p / (q + x.eps)),
            (t, d) => t - x.lr * d,
          ),
          hint: "Divide by the root √<i>v̂</i>: <i>v</i> is a running mean of squared gradients, and its root has the gradient's units.",
        },
        {
          id: "sign",
          value: adamStep(x, a.mhat, a.vhat, -1),
          hint: "Adam steps against its mean gradient: θ ← θ − η <i>m̂</i>/(√<i>v̂</i> + ε).",
        },
      ];
    },
    tol: ABS,
  };

  const norm = (...arrays) =>
    Math.sqrt(arrays.reduce((sum, A) => sum + A.flat().reduce((s, v) => s + v * v, 0), 0));
  KINDS["clip-norm"] = {
    generate: (r) => ({ dW: r.mat(2, 2, -2, 2), db: r.mat(1, 2, -2, 2), c: r.num(0.5, 2, 0.5) }),
    given: (x) => [
      ["∂<i>E</i>/∂<i>W</i>", x.dW],
      ["∂<i>E</i>/∂<i>b</i>", x.db],
      ["<i>c</i>", x.c],
    ],
    question: () =>
      "A network has one weight matrix and one bias. Clip the gradient's global norm to <i>c</i>, g ← g · min(1, <i>c</i>/‖g‖), and give the clipped ∂<i>E</i>/∂<i>W</i>.",
    label: () => "clipped ∂<i>E</i>/∂<i>W</i>",
    answer: (x) => scale(x.dW, Math.min(1, x.c / norm(x.dW, x.db))),
    mistakes: (x) => [
      {
        id: "per-array",
        value: scale(x.dW, Math.min(1, x.c / norm(x.dW))),
        hint: "You clipped ∂<i>E</i>/∂<i>W</i> by its own norm. The norm is global, over all the gradients together, ‖g‖² = ‖∂<i>E</i>/∂<i>W</i>‖² + ‖∂<i>E</i>/∂<i>b</i>‖², and every array is scaled by the same factor, so the direction is kept (eq. op-clip).",
      },
      {
        id: "no-clip",
        value: x.dW.map((row) => row.slice()),
        hint: "‖g‖ is larger than <i>c</i> here, so the gradient is scaled by <i>c</i>/‖g‖.",
      },
      {
        id: "unit",
        value: scale(x.dW, 1 / norm(x.dW, x.db)),
        hint: "You scaled the gradient to length 1. Clipping scales it to length <i>c</i>: multiply by <i>c</i>/‖g‖.",
      },
    ],
    tol: ABS,
  };

  // ---- the element ----------------------------------------------------------------------
  const tolOf = (kind, x) => (typeof kind.tol === "function" ? kind.tol(x) : kind.tol);
  function close(a, b, tol) {
    if (typeof b === "number") return Math.abs(a - b) <= tol.abs + tol.rel * Math.abs(b);
    return b.every((row, i) =>
      row.every((v, j) => Math.abs(a[i][j] - v) <= tol.abs + tol.rel * Math.abs(v)),
    );
  }
  // clearly apart: some entry differs by more than three tolerances
  function apart(a, b, tol) {
    if (typeof b === "number") return Math.abs(a - b) > 3 * (tol.abs + tol.rel * Math.abs(b));
    return b.some((row, i) =>
      row.some((v, j) => Math.abs(a[i][j] - v) > 3 * (tol.abs + tol.rel * Math.abs(v))),
    );
  }
  function liveMistakes(kind, x) {
    const answer = kind.answer(x);
    const tol = tolOf(kind, x);
    const found = kind.mistakes(x).filter((m) => apart(m.value, answer, tol));
    // two mistakes that give the same answer cannot be told apart: keep the first
    return found.filter((m, k) => found.slice(0, k).every((e) => apart(m.value, e.value, tol)));
  }
  function parse(text) {
    const clean = text.trim().replace(/−/g, "-").replace(/,/g, ".").replace(/\s+/g, "");
    if (clean === "" || !/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(clean)) return NaN;
    return Number(clean);
  }

  let counter = 0;

  // The scaffolding every self-check shares: its title, the row of buttons with "Check",
  // the verdict line, and how a verdict is shown and recorded on the element.
  function element(tag, className, text) {
    const node = document.createElement(tag);
    node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function button(className, text) {
    const node = document.createElement("button");
    node.type = "button";
    node.className = className;
    node.textContent = text;
    return node;
  }
  function frame() {
    const title = element("p", "self-check-title", "Self-check");
    const check = button("self-check-check", "Check");
    const buttons = element("div", "self-check-buttons");
    buttons.append(check);
    const verdict = element("p", "self-check-verdict");
    verdict.setAttribute("role", "status");
    return { title, buttons, check, verdict };
  }
  // `hint` is null for a right answer, "incomplete" (`text` says what is missing) or the id
  // of the mistake the answer matches ("unknown" for none), `text` then its hint (HTML).
  function tell(el, verdict, hint, text) {
    el.setAttribute("data-verdict", hint ? "incorrect" : "correct");
    if (hint) el.setAttribute("data-hint", hint);
    else el.removeAttribute("data-hint");
    if (!hint) verdict.textContent = "✓ Correct.";
    else if (hint === "incomplete") verdict.textContent = text;
    else {
      verdict.textContent = "✗ Incorrect. ";
      const span = element("span", "self-check-hint");
      span.innerHTML = text;
      verdict.append(span);
    }
  }

  function setupComputed(el, spec) {
    const kind = KINDS[spec.kind];
    if (!kind) throw new Error(`self-check: unknown kind ${spec.kind}`);
    const id = spec.id || `self-check-${++counter}`;
    let inputs;
    function draw(seed) {
      // a fresh instance whose typical mistakes are all told apart from the answer
      for (let k = 0; k < 200; k += 1) {
        const x = kind.generate(drawer(seed * 7919 + k));
        for (const key of ["kind", "id", "activation", "ask"])
          if (spec[key] !== undefined) x[key] = spec[key];
        if (liveMistakes(kind, x).length === kind.mistakes(x).length) {
          x.seed = seed;
          return x;
        }
      }
      throw new Error(`self-check ${id}: no instance for seed ${seed}`);
    }
    el.innerHTML = "";
    const question = element("p", "self-check-question");
    const given = element("div", "self-check-given");
    const form = element("div", "self-check-answer");
    const tol = element("p", "self-check-tolerance", "");
    const { title, buttons, check, verdict } = frame();
    el.append(title, question, given, form, tol, buttons, verdict);
    let fields = [];

    function show(x) {
      inputs = x;
      el.setAttribute("data-self-check", JSON.stringify(x));
      el.setAttribute(
        "data-mistakes",
        liveMistakes(kind, x)
          .map((m) => m.id)
          .join(" "),
      );
      el.removeAttribute("data-verdict");
      el.removeAttribute("data-hint");
      verdict.textContent = "";
      question.innerHTML = kind.question(x);
      tol.textContent = tolOf(kind, x).text;
      given.innerHTML =
        '<span class="self-check-given-title">Given</span>' +
        kind
          .given(x)
          .map(
            ([label, value, digits]) =>
              `<span class="self-check-item"><span class="self-check-label">${label} =</span> ${matrixHTML(value, digits)}</span>`,
          )
          .join("");
      const answer = kind.answer(x); // only its shape is used here
      const shape = typeof answer === "number" ? null : [answer.length, answer[0].length];
      form.innerHTML = `<span class="self-check-label">${kind.label(x)} =</span> `;
      fields = [];
      const make = (name) => {
        const input = document.createElement("input");
        input.type = "text";
        input.inputMode = "decimal";
        input.autocomplete = "off";
        input.className = "self-check-field";
        input.setAttribute("aria-label", name);
        input.addEventListener("keydown", (event) => {
          if (event.key === "Enter") check.click();
        });
        fields.push(input);
        return input;
      };
      if (!shape) {
        form.append(make("your answer"));
      } else {
        const table = document.createElement("table");
        table.className = "self-check-matrix self-check-grid";
        const body = document.createElement("tbody");
        for (let i = 0; i < shape[0]; i += 1) {
          const tr = document.createElement("tr");
          for (let j = 0; j < shape[1]; j += 1) {
            const td = document.createElement("td");
            td.append(make(`row ${i + 1}, column ${j + 1}`));
            tr.append(td);
          }
          body.append(tr);
        }
        table.append(body);
        form.append(table);
      }
    }

    check.addEventListener("click", () => {
      const answer = kind.answer(inputs);
      const values = fields.map((f) => parse(f.value));
      if (values.some((v) => Number.isNaN(v))) {
        tell(
          el,
          verdict,
          "incomplete",
          "✗ Not checked yet: type a number in every field (e.g. −0.125 or 2.5e-3).",
        );
        return;
      }
      const given =
        typeof answer === "number"
          ? values[0]
          : answer.map((row, i) => row.map((_, j) => values[i * row.length + j]));
      if (close(given, answer, tolOf(kind, inputs))) {
        tell(el, verdict, null);
        return;
      }
      const match = liveMistakes(kind, inputs).find((m) =>
        close(given, m.value, tolOf(kind, inputs)),
      );
      tell(el, verdict, match ? match.id : "unknown", match ? match.hint : UNKNOWN);
    });

    if (spec.seed !== undefined) {
      const again = button("self-check-new", "New numbers");
      again.addEventListener("click", () => show(draw(inputs.seed + 1)));
      buttons.append(again);
    }
    if (spec.seed !== undefined && !hasInputs(spec)) {
      show(draw(spec.seed));
    } else {
      show(Object.assign({}, spec));
    }
  }

  function hasInputs(spec) {
    return Object.keys(spec).some((k) => !["kind", "id", "seed", "activation", "ask"].includes(k));
  }

  function setupChoice(el, spec) {
    const id = spec.id || `self-check-${++counter}`;
    const options = Array.from(el.querySelectorAll("ol > li, ul > li"));
    const list = options.length ? options[0].parentElement : null;
    if (!list) throw new Error(`self-check ${id}: a choice needs a list of options`);
    const group = `self-check-${id}`;
    const form = element("div", "self-check-choices");
    const hints = options.map((li) => li.getAttribute("data-hint"));
    const radios = options.map((li, k) => {
      const label = document.createElement("label");
      const radio = document.createElement("input");
      radio.type = "radio";
      radio.name = group;
      radio.value = String(k);
      label.append(radio, " ");
      const text = document.createElement("span");
      text.innerHTML = li.innerHTML;
      label.append(text);
      form.append(label);
      return radio;
    });
    list.replaceWith(form);
    const { title, buttons, check, verdict } = frame();
    el.prepend(title);
    el.append(buttons, verdict);
    el.setAttribute(
      "data-mistakes",
      hints
        .map((h, k) => (h && k !== spec.answer ? `option-${k}` : null))
        .filter(Boolean)
        .join(" "),
    );
    check.addEventListener("click", () => {
      const chosen = radios.findIndex((r) => r.checked);
      if (chosen < 0)
        tell(el, verdict, "incomplete", "✗ Not checked yet: choose one of the answers.");
      else if (chosen === spec.answer) tell(el, verdict, null);
      else
        tell(
          el,
          verdict,
          hints[chosen] ? `option-${chosen}` : "unknown",
          hints[chosen] || "Read the question again, and the section it comes from.",
        );
    });
  }

  function setup(el) {
    if (el.getAttribute("data-self-check-ready")) return;
    const spec = JSON.parse(el.getAttribute("data-self-check"));
    if (spec.kind === "choice") setupChoice(el, spec);
    else setupComputed(el, spec);
    el.setAttribute("data-self-check-ready", "true");
  }

  function setupAll() {
    document.querySelectorAll("[data-self-check]").forEach((el) => {
      try {
        setup(el);
      } catch (error) {
        console.error(error); // a broken self-check must not stop the others
      }
    });
  }

  window.bookSelfCheck = { KINDS, setupAll };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setupAll);
  } else {
    setupAll();
  }
})();
