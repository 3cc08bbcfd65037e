// The pair explorer's view (an anywidget ES module). backprop_lib/widgets/pair_live.py puts
// explorer/engine.js first (outputLoss, ACTIVATIONS: the library's losses in float64), then
// the sympy-generated constants (PAIRS, N_UNITS, NUMERICAL_TOLERANCE, NUMERICAL_FLOOR,
// T_RANGES), then this file. Nothing here derives anything: o and delta are the library's
// (ACTIVATIONS[a].forward, outputDelta: its stable forms, exact where units saturate; sympy's
// naive formulas printed to JavaScript were not, NaN at |s| = 36.75); the check is central
// differences of the library's loss.

const FD_STEP = 1e-6;

function num(v) {
  return Number.isFinite(v)
    ? Number(v.toPrecision(10)).toString().replace("-", "\u2212")
    : String(v);
}

/** Central differences of E in each s_k: (E(s + h e_k) - E(s - h e_k)) / 2h. */
function centralDifferences(E, s, t, h) {
  return s.map((_, k) => {
    const up = s.slice();
    const down = s.slice();
    up[k] += h;
    down[k] -= h;
    return (E(up, t) - E(down, t)) / (2 * h);
  });
}

/** max_k |a_k - b_k| / max(max|a|, max|b|, floor): PairAgreement.error_numerical. */
function scaledError(a, b, floor) {
  const scale = Math.max(...a.map(Math.abs), ...b.map(Math.abs), floor, 1e-300);
  return Math.max(...a.map((v, k) => Math.abs(v - b[k]))) / scale;
}

function el(tag, attrs = {}, text = null) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== null) e.textContent = text;
  return e;
}

class PairView {
  constructor(model, root) {
    this.model = model;
    this.root = root;
    this.build();
    this.update();
  }

  /** The target row used: the sliders' row, divided by its sum for cross-entropy. */
  targets() {
    const t = this.model.get("t");
    if (this.model.get("loss") !== "cross_entropy") return t;
    const total = t.reduce((a, v) => a + v, 0);
    return total > 0 ? t.map((v) => v / total) : null;
  }

  state() {
    return JSON.parse(JSON.stringify(this.current));
  }

  set(name, value) {
    this.model.set(name, value);
    try {
      this.model.save_changes();
    } catch {
      // a static page: no kernel to sync with
    }
  }

  build() {
    const root = this.root;
    root.classList.add("bp-pairs");
    const controls = el("div", { class: "bp-pair-controls" });
    const menu = (label, names, key) => {
      const row = el("label", { class: "bp-row" });
      const select = el("select", { "data-control": key });
      for (const n of names) select.append(el("option", { value: n }, n));
      select.addEventListener("change", () => this.choose(key, select.value));
      row.append(el("span", { class: "bp-label" }, label), select);
      controls.append(row);
      return select;
    };
    this.activationMenu = menu("activation", this.model.get("activation_names"), "activation");
    this.lossMenu = menu("loss", this.model.get("loss_names"), "loss");
    const sliders = (key, min, max, step) =>
      Array.from({ length: N_UNITS }, (_, k) => {
        const row = el("label", { class: "bp-row" });
        const input = el("input", {
          type: "range",
          min,
          max,
          step,
          "data-control": `${key}${k + 1}`,
        });
        const out = el("output");
        input.addEventListener("input", () => this.move(key, k, Number(input.value)));
        row.append(el("span", { class: "bp-label" }, `${key}${k + 1}`), input, out);
        controls.append(row);
        return { input, out };
      });
    this.sSliders = sliders("s", -6, 6, 0.1);
    this.tSliders = sliders("t", 0, 1, 0.05);
    this.normalized = el("p", { class: "bp-note", "data-quantity": "normalized" });
    controls.append(this.normalized);
    this.message = el("p", { class: "bp-message", role: "status" });
    this.derivation = el("div", { class: "bp-derivation" });
    this.numbers = el("div", { class: "bp-numbers" });
    root.append(
      controls,
      this.message,
      this.derivation,
      this.numbers,
      el(
        "p",
        { class: "bp-note" },
        "Derived by sympy when the page was built; δ (the " +
          "library's stable forms) and the central differences are computed in your browser.",
      ),
    );
  }

  choose(key, value) {
    this.set(key, value);
    if (key === "loss" && value === "cross_entropy" && this.targets() !== null) {
      this.set("t", this.targets()); // visibly: the sliders move to the row used
    }
    this.set("message", "");
    this.update();
  }

  move(key, k, value) {
    if (!Number.isFinite(value)) {
      this.set("message", `${key}${k + 1} must be a finite number; got ${value}.`);
      return this.update(); // the slider is set back from the unchanged state
    }
    let row = this.model.get(key).slice();
    row[k] = value;
    // cross_entropy: the target used is a probability vector; moving t_k rescales the
    // others so that Σt = 1 (engine.js coupled), and the sliders show the row used
    if (key === "t" && this.model.get("loss") === "cross_entropy") {
      row = coupled(this.targets() || this.model.get("t"), k, value);
    }
    this.set(key, row);
    this.set("message", "");
    this.update();
  }

  update() {
    const a = this.model.get("activation");
    const loss = this.model.get("loss");
    const pair = PAIRS[`${a}|${loss}`];
    this.activationMenu.value = a;
    this.lossMenu.value = loss;
    const [low, high] = T_RANGES[loss];
    const s = this.model.get("s");
    const t = this.model.get("t");
    this.sSliders.forEach((c, k) => {
      c.input.value = s[k];
      c.out.textContent = num(s[k]);
    });
    // the sliders show the target used (for cross_entropy the row divided by its sum)
    const used = this.targets() || t;
    this.tSliders.forEach((c, k) => {
      c.input.min = Math.min(low, used[k]);
      c.input.max = Math.max(high, used[k]);
      c.input.value = used[k];
      c.out.textContent = num(used[k]);
    });
    const scaled = used !== t && used.some((v, k) => v !== t[k]);
    this.normalized.textContent = scaled
      ? `cross_entropy needs Σt = 1: the target (${t.map(num).join(", ")}) is divided by ` +
        `its sum; the target used (sliders and table) is (${used.map(num).join(", ")}).`
      : "";
    this.normalized.style.display = scaled ? "" : "none";
    const d = pair.data;
    const lines = d.latex.map(([left, right]) => `${left} &= ${right}`).join(" \\\\ ");
    this.derivation.innerHTML = "";
    this.derivation.append(
      el("h4", {}, `${a} + ${loss}`),
      el("p", {}, `${d.label}: ${d.reason}.`),
      el("div", { class: "bp-tex" }, `$$\\begin{aligned}${lines}\\end{aligned}$$`),
    );
    const mj = window.MathJax;
    if (mj?.typesetPromise) {
      const target = this.derivation;
      (mj.startup?.promise ? mj.startup.promise : Promise.resolve())
        .then(() => mj.typesetPromise([target]))
        .catch(() => {});
    }
    const message = this.model.get("message");
    const tt = this.targets();
    this.current = { activation: a, loss, s, t: tt, problem: d.problem, message };
    this.numbers.innerHTML = "";
    if (d.problem || tt === null) {
      const why =
        d.problem ||
        "cross_entropy needs a target row that sums to 1: move at " + "least one t slider above 0.";
      this.current.why = why;
      this.message.textContent = message ? `Refused: ${message}` : "";
      this.numbers.append(el("p", { class: "bp-message" }, `Nothing to compute. ${why}`));
      return;
    }
    const o = ACTIVATIONS[a].forward(s);
    const delta = outputDelta(a, loss, s, o, tt);
    // E as the library computes it (closed forms from s for the cross-entropy pairs)
    const libraryE = (x, y) => outputLoss(a, loss, x, ACTIVATIONS[a].forward(x), y);
    const E = libraryE(s, tt);
    const fd = centralDifferences(libraryE, s, tt, FD_STEP);
    const floor = NUMERICAL_FLOOR * Math.max(1, Math.abs(E)) * (1e-6 / FD_STEP);
    const error = scaledError(fd, delta, floor);
    const agree = error <= NUMERICAL_TOLERANCE;
    Object.assign(this.current, { o, delta, delta_fd: fd, E, error, agree, floor });
    this.message.textContent = message ? `Refused: ${message}` : "";
    const table = el("table", { class: "bp-pair-table" });
    const head = el("tr");
    for (const h of ["unit", "s", "o = f(s)", "t", "δ (library)", "δ (central differences)"]) {
      head.append(el("th", {}, h));
    }
    table.append(head);
    for (let k = 0; k < N_UNITS; k++) {
      const row = el("tr");
      for (const [v, q] of [
        [k + 1, null],
        [s[k], "s"],
        [o[k], "o"],
        [tt[k], "t"],
        [delta[k], "delta"],
        [fd[k], "delta_fd"],
      ]) {
        row.append(
          el("td", q ? { "data-quantity": q, "data-unit": k + 1 } : {}, q ? num(v) : String(v)),
        );
      }
      table.append(row);
    }
    this.numbers.append(
      table,
      el(
        "p",
        { "data-quantity": "agreement" },
        `E = ${num(E)}. Central differences vs the library's δ: ${error.toExponential(3)} ` +
          `(largest difference over max(largest δ, rounding floor ${floor.toExponential(1)})): ` +
          `${agree ? "agree" : "DISAGREE"} (tolerance ${NUMERICAL_TOLERANCE}).`,
      ),
    );
    if (a === "relu" && s.some((v) => v === 0)) {
      this.numbers.append(
        el(
          "p",
          {},
          "relu has a kink at s = 0: the derivative does not " +
            "exist there. The library and sympy use 0; central differences see the average of " +
            "the two slopes.",
        ),
      );
    }
  }
}

function render({ model, el: root }) {
  const view = new PairView(model, root);
  const hook = { el: root, state: () => view.state() };
  window.backpropPairExplorers = window.backpropPairExplorers || [];
  window.backpropPairExplorers.push(hook);
  const names = ["activation", "loss", "s", "t"];
  const redraw = () => view.update();
  for (const n of names) model.on(`change:${n}`, redraw);
  return () => {
    for (const n of names) model.off(`change:${n}`, redraw);
    const k = window.backpropPairExplorers.indexOf(hook);
    if (k >= 0) window.backpropPairExplorers.splice(k, 1);
  };
}

export default { render };
