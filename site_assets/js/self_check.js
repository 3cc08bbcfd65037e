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
    const question = document.createElement("p");
    question.className = "self-check-question";
    const given = document.createElement("div");
    given.className = "self-check-given";
    const form = document.createElement("div");
    form.className = "self-check-answer";
    const tol = document.createElement("p");
    tol.className = "self-check-tolerance";
    tol.textContent = "";
    const buttons = document.createElement("div");
    buttons.className = "self-check-buttons";
    const check = document.createElement("button");
    check.type = "button";
    check.className = "self-check-check";
    check.textContent = "Check";
    buttons.append(check);
    const verdict = document.createElement("p");
    verdict.className = "self-check-verdict";
    verdict.setAttribute("role", "status");
    const title = document.createElement("p");
    title.className = "self-check-title";
    title.textContent = "Self-check";
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
            ([label, value]) =>
              `<span class="self-check-item"><span class="self-check-label">${label} =</span> ${matrixHTML(value)}</span>`,
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
      let verdictText,
        hint,
        ok = false;
      if (values.some((v) => Number.isNaN(v))) {
        hint = "incomplete";
        verdictText = "✗ Not checked yet: type a number in every field (e.g. −0.125 or 2.5e-3).";
      } else {
        const given =
          typeof answer === "number"
            ? values[0]
            : answer.map((row, i) => row.map((_, j) => values[i * row.length + j]));
        if (close(given, answer, tolOf(kind, inputs))) {
          ok = true;
          verdictText = "✓ Correct.";
        } else {
          const match = liveMistakes(kind, inputs).find((m) =>
            close(given, m.value, tolOf(kind, inputs)),
          );
          hint = match ? match.id : "unknown";
          verdictText = "✗ Incorrect. ";
          verdict.innerHTML = "";
          verdict.append(verdictText);
          const span = document.createElement("span");
          span.className = "self-check-hint";
          span.innerHTML = match ? match.hint : UNKNOWN;
          verdict.append(span);
        }
      }
      el.setAttribute("data-verdict", ok ? "correct" : "incorrect");
      if (hint) el.setAttribute("data-hint", hint);
      else el.removeAttribute("data-hint");
      if (ok || hint === "incomplete") verdict.textContent = verdictText;
    });

    if (spec.seed !== undefined) {
      const again = document.createElement("button");
      again.type = "button";
      again.className = "self-check-new";
      again.textContent = "New numbers";
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
    const form = document.createElement("div");
    form.className = "self-check-choices";
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
    const title = document.createElement("p");
    title.className = "self-check-title";
    title.textContent = "Self-check";
    el.prepend(title);
    const buttons = document.createElement("div");
    buttons.className = "self-check-buttons";
    const check = document.createElement("button");
    check.type = "button";
    check.className = "self-check-check";
    check.textContent = "Check";
    buttons.append(check);
    const verdict = document.createElement("p");
    verdict.className = "self-check-verdict";
    verdict.setAttribute("role", "status");
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
      verdict.innerHTML = "";
      if (chosen < 0) {
        el.setAttribute("data-verdict", "incorrect");
        el.setAttribute("data-hint", "incomplete");
        verdict.textContent = "✗ Not checked yet: choose one of the answers.";
        return;
      }
      if (chosen === spec.answer) {
        el.setAttribute("data-verdict", "correct");
        el.removeAttribute("data-hint");
        verdict.textContent = "✓ Correct.";
        return;
      }
      el.setAttribute("data-verdict", "incorrect");
      el.setAttribute("data-hint", hints[chosen] ? `option-${chosen}` : "unknown");
      verdict.append("✗ Incorrect. ");
      const span = document.createElement("span");
      span.className = "self-check-hint";
      span.innerHTML = hints[chosen] || "Read the question again, and the section it comes from.";
      verdict.append(span);
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
