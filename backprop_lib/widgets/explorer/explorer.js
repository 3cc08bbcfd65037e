// The weight-update explorer's view and controls (an anywidget ES module). Python sends it
// engine.js followed by this file as one module (ExplorerWidget._esm), so the engine's
// functions (backward, step, allFinite, targetProblem, ACTIVATIONS) are in scope here.
//
// State lives in the widget model (traits of backprop_lib.widgets.explorer.live.ExplorerWidget):
// sizes, start, W, b, x, t, lr, activations, loss, steps, curve, anchor_W, anchor_b,
// steps_since_edit, message, refusals, parameter, unit. Every action computes in this page
// (engine.js), writes the new state to the model and, when a kernel is connected, syncs it
// to Python (save_changes); on a static page there is no kernel and nothing else is needed.
//
// Test hook: window.backpropExplorers is an array with one entry per rendered explorer:
// {el, state(), act(name, value)}. state() returns a copy of every number shown (W, b, s, o,
// delta, dW, db, loss, steps, curve, message, ...); act() performs what a control does:
// act("step"), act("reset"), act("play"), act("pause"), act("x", [..]), act("t", [..]),
// act("lr", rate), act("activation", [layer, name]), act("loss", name),
// act("value", [parameterKey, v]), act("optimizer", name). The tests drive the DOM controls
// and read state().
//
// Optimizers (issue 23): the trait optimizer is one of optimizer_choices ("sgd", "momentum",
// "adam", settings from Python); optimizer_state is the engine's state (optimizerState /
// optimizerStep), zero after every edit or reset, shown for every parameter in a table under
// the controls.

const SVG = "http://www.w3.org/2000/svg";

/** The learning rates the rate slider offers, smallest first. */
const RATES = [
  0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 20, 30,
];

function fmt(v, digits = 4) {
  if (v === null || v === undefined) return "–";
  if (!Number.isFinite(v)) return String(v);
  const text =
    Math.abs(v) >= 1e-3 || v === 0
      ? Number(v.toPrecision(digits)).toString()
      : v.toExponential(digits - 1);
  return text.replace("-", "\u2212");
}

function node(tag, attrs = {}, text = null, ns = null) {
  const el = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== null) el.textContent = text;
  return el;
}

function copy(value) {
  return JSON.parse(JSON.stringify(value));
}

function layerName(l, L) {
  if (l === 0) return "input";
  if (l === L) return "output";
  return L === 2 ? "hidden" : `hidden ${l}`;
}

/**
 * Every parameter as [key, label]: weights "w,l,i,j" then biases "b,l,i", layer by layer.
 * Labels in the book's notation, units named one way: w^l_ji joins layer l-1 unit j to
 * layer l unit i.
 */
function parameterOptions(sizes) {
  const L = sizes.length - 1;
  const out = [];
  for (let l = 1; l <= L; l++) {
    for (let j = 1; j <= sizes[l - 1]; j++) {
      for (let i = 1; i <= sizes[l]; i++) {
        out.push([
          `w,${l},${i},${j}`,
          `w^${l}_${j}${i}: layer ${l - 1} unit ${j} → layer ${l} unit ${i}`,
        ]);
      }
    }
    for (let i = 1; i <= sizes[l]; i++) {
      out.push([`b,${l},${i}`, `b^${l}_${i}: bias of layer ${l} unit ${i}`]);
    }
  }
  return out;
}

function unitOptions(sizes) {
  const L = sizes.length - 1;
  const out = [];
  for (let l = 1; l <= L; l++) {
    for (let i = 1; i <= sizes[l]; i++) {
      const role = l === L ? "output" : "hidden";
      out.push([`${l},${i}`, `δ^${l}_${i}: layer ${l} unit ${i} (${role})`]);
    }
  }
  return out;
}

/** The value slider's half-range: 4, 10, 20, 40, 100, 200, 400, ... at least 2|v|. */
function valueRange(v) {
  const need = Math.max(4, 2 * Math.abs(v));
  for (let e = 0; e < 300; e++) {
    for (const m of [1, 2, 4]) if (m * 10 ** e >= need) return m * 10 ** e;
  }
  return need;
}

/** The one-hot row of class k (0-based) among n. */
function oneHot(n, k) {
  return Array.from({ length: n }, (_, i) => (i === k ? 1 : 0));
}

function parseParameter(key) {
  const [kind, l, i, j] = key.split(",");
  return { kind, l: Number(l), i: Number(i), j: j === undefined ? null : Number(j) };
}

function getParameter(W, b, p) {
  return p.kind === "w" ? W[p.l - 1][p.j - 1][p.i - 1] : b[p.l - 1][p.i - 1];
}

/** Squeeze an SVG text to at most `width` user units (its font size is kept). */
function fitInside(text, width) {
  let natural = 0;
  try {
    natural = text.getComputedTextLength();
  } catch {
    return; // not laid out (a detached element)
  }
  if (natural > width) {
    text.setAttribute("textLength", width);
    text.setAttribute("lengthAdjust", "spacingAndGlyphs");
  }
}

const SUP = (v) => `<sup>${v}</sup>`;
const SUB = (v) => `<sub>${v}</sub>`;

class Explorer {
  constructor(model, el) {
    this.model = model;
    this.el = el;
    this.timer = null;
    this.live = true; // false once save_changes finds no kernel
    this.build();
    this.compute();
    this.draw();
  }

  // -- state ----------------------------------------------------------------------------

  get(name) {
    return this.model.get(name);
  }

  net() {
    return {
      W: this.get("W"),
      b: this.get("b"),
      activations: this.get("activations"),
      loss: this.get("loss"),
    };
  }

  compute() {
    this.grads = backward(this.net(), this.get("x"), this.get("t"));
  }

  /** Write to the model; sync to Python when a kernel is there. */
  save(values) {
    this.saving = true; // our own changes: no redraw from the model's change events
    try {
      for (const [k, v] of Object.entries(values)) this.model.set(k, v);
    } finally {
      this.saving = false;
    }
    if (!this.live) return;
    try {
      this.model.save_changes();
    } catch {
      this.live = false; // a static page: no comm to a kernel
    }
  }

  state() {
    const g = this.grads;
    return copy({
      sizes: this.get("sizes"),
      activations: this.get("activations"),
      loss: this.get("loss"),
      x: this.get("x"),
      t: this.get("t"),
      lr: this.get("lr"),
      W: this.get("W"),
      b: this.get("b"),
      s: g.s,
      o: g.o,
      delta: g.delta,
      dW: g.dW,
      db: g.db,
      E: g.loss,
      steps: this.get("steps"),
      curve: this.get("curve"),
      message: this.get("message"),
      anchor_W: this.get("anchor_W"),
      anchor_b: this.get("anchor_b"),
      steps_since_edit: this.get("steps_since_edit"),
      last_update: this.lastUpdate || null,
      playing: this.timer !== null,
      optimizer: this.get("optimizer"),
      optimizer_state: this.get("optimizer_state"),
    });
  }

  // -- actions (every control calls one of these) ----------------------------------------

  /** The engine's description of the chosen rule: its settings and the rate. */
  optimizerSpec(name = this.get("optimizer")) {
    return { ...this.get("optimizer_choices")[name], lr: this.get("lr") };
  }

  step() {
    const before = this.net();
    const plain = this.get("optimizer") === "sgd";
    const next = plain
      ? step(before, this.grads, this.get("lr"))
      : optimizerStep(before, this.grads, this.optimizerSpec(), this.get("optimizer_state"));
    const trial = { ...before, W: next.W, b: next.b };
    const grads =
      allFinite(next.W) && allFinite(next.b) ? backward(trial, this.get("x"), this.get("t")) : null;
    const n = this.get("steps");
    if (grads === null || !allFinite([grads.loss, grads.s, grads.o, grads.delta])) {
      this.pause();
      this.refuse(
        `step ${n + 1} overflowed with learning rate ${this.get("lr")}; the weights ` +
          `are kept as they were after step ${n}. Use a smaller learning rate or press Reset.`,
      );
      return false;
    }
    this.lastUpdate = {
      W: next.W.map((W, l) => W.map((row, j) => row.map((w, i) => w - before.W[l][j][i]))),
      b: next.b.map((b, l) => b.map((v, i) => v - before.b[l][i])),
    };
    this.grads = grads;
    const optimizer = plain ? {} : { optimizer_state: next.state };
    this.save({
      W: next.W,
      b: next.b,
      steps: n + 1,
      message: "",
      curve: [...this.get("curve"), [n + 1, grads.loss]],
      steps_since_edit: this.get("steps_since_edit") + 1,
      ...optimizer,
    });
    this.draw();
    return true;
  }

  reset() {
    this.pause();
    const start = this.get("start");
    const W = start.map((layer) => layer.W);
    const b = start.map((layer) => layer.b);
    const grads = backward({ ...this.net(), W, b }, this.get("x"), this.get("t"));
    this.grads = grads;
    this.lastUpdate = null;
    this.save({
      W,
      b,
      steps: 0,
      curve: [[0, grads.loss]],
      anchor_W: W,
      anchor_b: b,
      steps_since_edit: 0,
      message: "",
      optimizer_state: optimizerState({ W, b }, this.optimizerSpec()),
    });
    this.draw();
  }

  play() {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      if (this.get("steps") >= this.get("max_steps") || !this.step()) this.pause();
    }, this.get("interval"));
    this.draw();
  }

  pause() {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.controls) this.draw();
  }

  refuse(message) {
    this.save({ message });
    this.draw(); // every control is set back from the unchanged state
  }

  /** Apply an edit (data, lr, activations, loss, a parameter's value) if the library would. */
  edit(changes, where) {
    const candidate = {
      ...this.net(),
      x: this.get("x"),
      t: this.get("t"),
      lr: this.get("lr"),
      optimizer: this.get("optimizer"),
      ...changes,
    };
    if (!(candidate.optimizer in this.get("optimizer_choices"))) {
      return this.refuse(
        `${where}: optimizer must be one of ` +
          `${Object.keys(this.get("optimizer_choices")).join(", ")}; got ${candidate.optimizer}.`,
      );
    }
    for (const v of [...candidate.x, ...candidate.t, candidate.lr]) {
      if (!Number.isFinite(v)) return this.refuse(`${where}: values must be finite; got ${v}.`);
    }
    if (!(candidate.lr > 0)) {
      return this.refuse(`${where}: lr must be a positive number; got ${candidate.lr}.`);
    }
    const refusals = this.get("refusals");
    const L = candidate.W.length;
    for (let l = 1; l <= L; l++) {
      const reason = refusals.layer[String(l)][candidate.activations[l - 1]];
      if (reason) return this.refuse(reason);
    }
    const pair = refusals.pair[candidate.activations[L - 1]][candidate.loss];
    if (pair) return this.refuse(pair);
    const targets = targetProblem(candidate.loss, candidate.t, "Network.backward");
    if (targets) return this.refuse(targets);
    const grads = backward(candidate, candidate.x, candidate.t);
    if (!allFinite([grads.loss, grads.s, grads.o, grads.delta])) {
      return this.refuse(`${where}: this makes the network overflow; kept the old value.`);
    }
    this.grads = grads;
    this.lastUpdate = null;
    const curve = this.get("curve");
    const last = curve[curve.length - 1];
    const steps = this.get("steps");
    // A new loss measures something else: its curve starts afresh at this step (the old
    // curve's values are not comparable with it).
    let newCurve = [...curve, [steps, grads.loss]];
    if (candidate.loss !== this.get("loss")) newCurve = [[steps, grads.loss]];
    else if (last[0] === steps && last[1] === grads.loss) newCurve = curve;
    this.save({
      W: candidate.W,
      b: candidate.b,
      x: candidate.x,
      t: candidate.t,
      lr: candidate.lr,
      activations: candidate.activations,
      loss: candidate.loss,
      curve: newCurve,
      anchor_W: candidate.W,
      anchor_b: candidate.b,
      steps_since_edit: 0,
      message: "",
      optimizer: candidate.optimizer,
      optimizer_state: optimizerState(candidate, this.optimizerSpec(candidate.optimizer)),
    });
    this.draw();
  }

  act(name, value) {
    const L = this.get("sizes").length - 1;
    switch (name) {
      case "step":
        return this.step();
      case "reset":
        return this.reset();
      case "play":
        return this.play();
      case "pause":
        return this.pause();
      case "x":
        return this.edit({ x: value.map(Number) }, "set_inputs");
      case "t":
        return this.edit({ t: value.map(Number) }, "set_targets");
      case "lr":
        return this.edit({ lr: Number(value) }, "set_lr");
      case "activation": {
        const acts = this.get("activations").slice();
        acts[value[0] - 1] = value[1];
        return this.edit({ activations: acts }, "set_activation");
      }
      case "loss":
        return this.edit({ loss: value }, "set_loss");
      case "optimizer":
        return this.edit({ optimizer: value }, "set_optimizer");
      case "value": {
        const p = parseParameter(value[0]);
        const v = Number(value[1]);
        if (!Number.isFinite(v)) {
          return this.refuse(`set_parameter: value must be a finite real number; got ${v}.`);
        }
        const W = copy(this.get("W"));
        const b = copy(this.get("b"));
        if (p.kind === "w") W[p.l - 1][p.j - 1][p.i - 1] = v;
        else b[p.l - 1][p.i - 1] = v;
        return this.edit({ W, b }, "set_parameter");
      }
      case "parameter":
        this.save({ parameter: value });
        return this.draw();
      case "unit":
        this.save({ unit: value });
        return this.draw();
      default:
        throw new Error(`unknown action ${name}; L = ${L}`);
    }
  }

  // -- the page ---------------------------------------------------------------------------

  build() {
    const sizes = this.get("sizes");
    const L = sizes.length - 1;
    const el = this.el;
    el.classList.add("bp-explorer");
    el.innerHTML = "";
    const c = {};
    this.controls = c;
    this.picture = node(
      "svg",
      { class: "bp-net", viewBox: "0 0 520 160", role: "img", "aria-label": "the network" },
      null,
      SVG,
    );
    this.curvePlot = node(
      "svg",
      { class: "bp-curve", viewBox: "0 0 220 150", role: "img", "aria-label": "the loss curve" },
      null,
      SVG,
    );
    const top = node("div", { class: "bp-top" });
    top.append(this.picture, this.curvePlot);
    this.messageBox = node("div", { class: "bp-message", role: "status" });
    const panel = node("div", { class: "bp-panels" });
    const left = node("div", { class: "bp-controls" });
    const right = node("div", { class: "bp-formulas" });
    panel.append(left, right);
    // The picture's numbers again, as a table: readable at any width.
    this.numbers = node("table", { class: "bp-numbers" });
    // The optimizer's state of every parameter, under the controls (hidden for plain
    // gradient descent): a long table must not push Step off the screen.
    this.stateTable = node("table", { class: "bp-state" });
    el.append(top, this.numbers, this.messageBox, panel, this.stateTable);

    const group = (parent, title) => {
      const box = node("fieldset", { class: "bp-group" });
      box.append(node("legend", {}, title));
      parent.append(box);
      return box;
    };
    // Every control has data-control="<name>" (x1, t2, lr, value, activation1, loss, ...).
    const slider = (parent, label, min, max, stepSize, onChange, name) => {
      const row = node("label", { class: "bp-row" });
      const input = node("input", {
        type: "range",
        min,
        max,
        step: stepSize,
        "data-control": name,
      });
      const readout = node("output", {});
      row.append(node("span", { class: "bp-label" }, label), input, readout);
      input.addEventListener("input", () => onChange({ input }));
      parent.append(row);
      return { input, readout, row };
    };
    const select = (parent, label, options, onChange, name) => {
      const row = node("label", { class: "bp-row" });
      const input = node("select", { "data-control": name });
      for (const [value, text] of options) input.append(node("option", { value }, text));
      row.append(node("span", { class: "bp-label" }, label), input);
      input.addEventListener("change", () => onChange({ input }));
      parent.append(row);
      return { input, row };
    };

    const data = group(left, "Data");
    c.x = Array.from({ length: sizes[0] }, (_, j) =>
      slider(
        data,
        `input x${j + 1}`,
        -2,
        2,
        0.05,
        () =>
          this.act(
            "x",
            c.x.map((s) => s.input.value),
          ),
        `x${j + 1}`,
      ),
    );
    // For cross_entropy the target is a probability vector: a class menu sets a one-hot row,
    // and the sliders are coupled (moving t_i rescales the others so that Σt = 1), so a
    // control never offers a row the library refuses.
    c.targetClass = select(
      data,
      "target class",
      [
        ["", "(a mixture)"],
        ...Array.from({ length: sizes[L] }, (_, i) => [String(i + 1), `class ${i + 1}`]),
      ],
      (s) => {
        if (s.input.value !== "") this.act("t", oneHot(sizes[L], Number(s.input.value) - 1));
      },
      "target-class",
    );
    c.t = Array.from({ length: sizes[L] }, (_, i) =>
      slider(
        data,
        `target t${i + 1}`,
        -1,
        1,
        0.05,
        () => {
          const values = c.t.map((s) => Number(s.input.value));
          this.act(
            "t",
            this.get("loss") === "cross_entropy" ? coupled(this.get("t"), i, values[i]) : values,
          );
        },
        `t${i + 1}`,
      ),
    );
    const network = group(left, "Network");
    const names = this.get("activation_names").map((n) => [n, n]);
    c.activations = Array.from({ length: L }, (_, k) =>
      select(
        network,
        `${layerName(k + 1, L)} f`,
        names,
        (s) => this.act("activation", [k + 1, s.input.value]),
        `activation${k + 1}`,
      ),
    );
    c.loss = select(
      network,
      "loss E",
      this.get("loss_names").map((n) => [n, n]),
      (s) => this.act("loss", s.input.value),
      "loss",
    );
    const descent = group(left, "Gradient descent");
    // The slider picks one of RATES (its position is the index); the rate used is the one
    // shown. A rate Python started with that is not in the list joins it.
    this.rates = RATES.includes(this.get("lr"))
      ? RATES.slice()
      : [...RATES, this.get("lr")].sort((a, b) => a - b);
    c.lr = slider(
      descent,
      "rate η",
      0,
      this.rates.length - 1,
      1,
      (s) => this.act("lr", this.rates[Number(s.input.value)]),
      "lr",
    );
    const rules = { sgd: "gradient descent", momentum: "momentum μ = 0.9", adam: "Adam" };
    c.optimizer = select(
      descent,
      "rule",
      Object.keys(this.get("optimizer_choices")).map((n) => [n, rules[n] || n]),
      (s) => this.act("optimizer", s.input.value),
      "optimizer",
    );
    const buttons = node("div", { class: "bp-buttons" });
    c.step = node("button", { type: "button", "data-control": "step" }, "Step");
    c.play = node("button", { type: "button", "data-control": "play" }, "▶ Play");
    c.reset = node("button", { type: "button", "data-control": "reset" }, "Reset");
    c.step.addEventListener("click", () => this.act("step"));
    c.play.addEventListener("click", () => this.act(this.timer === null ? "play" : "pause"));
    c.reset.addEventListener("click", () => this.act("reset"));
    buttons.append(c.step, c.play, c.reset);
    this.stepLabel = node("span", { class: "bp-steps" });
    buttons.append(this.stepLabel);
    descent.append(buttons);
    // Step/Play/Reset first in the column, right under the network and its numbers: all on
    // one 1280 × 800 screen
    left.prepend(descent);

    const formulas = group(right, "Formulas");
    c.parameter = select(
      formulas,
      "parameter",
      parameterOptions(sizes),
      (s) => this.act("parameter", s.input.value),
      "parameter",
    );
    c.value = slider(
      formulas,
      "value",
      -4,
      4,
      0.01,
      (s) => this.act("value", [this.get("parameter"), s.input.value]),
      "value",
    );
    c.value.input.addEventListener("pointerdown", () => {
      this.dragging = true;
    });
    c.value.input.addEventListener("pointerup", () => {
      this.dragging = false;
    });
    c.unit = select(
      formulas,
      "δ of",
      unitOptions(sizes),
      (s) => this.act("unit", s.input.value),
      "unit",
    );
    this.formulaBox = node("div", { class: "bp-formula" });
    right.append(this.formulaBox);
    this.note = node("p", { class: "bp-note" });
    el.append(this.note);
  }

  /** Set every control and every number from the state. */
  draw() {
    const c = this.controls;
    const sizes = this.get("sizes");
    const L = sizes.length - 1;
    const x = this.get("x");
    const t = this.get("t");
    const lr = this.get("lr");
    const show = (s, v, text) => {
      s.input.min = Math.min(Number(s.input.min), v);
      s.input.max = Math.max(Number(s.input.max), v);
      s.input.value = v;
      s.readout.textContent = text === undefined ? fmt(v, 3) : text;
    };
    c.x.forEach((s, j) => {
      show(s, x[j]);
    });
    // the target's range follows the loss: [0, 1] for the cross-entropies, else [−1, 1]
    const probability = this.get("loss").endsWith("cross_entropy");
    c.t.forEach((s, i) => {
      s.input.min = probability ? 0 : -1;
      s.input.max = 1;
      show(s, t[i]);
    });
    // the class menu is in the page only for cross_entropy (not a hidden control)
    const isCE = this.get("loss") === "cross_entropy";
    const classRow = c.targetClass.row;
    if (isCE && !classRow.isConnected) c.t[0].row.before(classRow);
    if (!isCE && classRow.isConnected) classRow.remove();
    const hot = t.indexOf(1);
    c.targetClass.input.value =
      hot >= 0 && t.every((v, i) => v === (i === hot ? 1 : 0)) ? String(hot + 1) : "";
    c.activations.forEach((s, k) => {
      s.input.value = this.get("activations")[k];
    });
    c.loss.input.value = this.get("loss");
    c.optimizer.input.value = this.get("optimizer");
    if (!this.rates.includes(lr)) {
      // set from Python: keep the list sorted, rebuild the range
      this.rates = [...this.rates, lr].sort((a, b) => a - b);
      c.lr.input.max = this.rates.length - 1;
    }
    show(c.lr, this.rates.indexOf(lr), String(lr));
    const p = parseParameter(this.get("parameter"));
    c.parameter.input.value = this.get("parameter");
    const value = getParameter(this.get("W"), this.get("b"), p);
    // The value slider spans ±R, R the smallest of 4, 10, 20, 40, 100, ... that is ≥ 2|value|:
    // set again when another parameter is chosen, when the value nears the end, and (not
    // while dragging) when the value has become much smaller.
    const R = valueRange(value);
    const oldR = Number(c.value.input.max);
    if (
      this.rangeFor !== this.get("parameter") ||
      Math.abs(value) > 0.95 * oldR ||
      (!this.dragging && R < oldR)
    ) {
      this.rangeFor = this.get("parameter");
      c.value.input.min = -R;
      c.value.input.max = R;
      c.value.input.step = R / 400;
    }
    show(c.value, value);
    c.unit.input.value = this.get("unit");
    c.play.textContent = this.timer === null ? "▶ Play" : "❚❚ Pause";
    this.stepLabel.textContent = `step ${this.get("steps")}, E = ${fmt(this.grads.loss, 6)}`;
    const message = this.get("message");
    this.messageBox.textContent = message ? `Refused: ${message}` : "";
    this.messageBox.style.display = message ? "" : "none";
    this.note.textContent =
      "Computed in your browser by the explorer's JavaScript " +
      "engine (no kernel needed); in a live kernel every change is also sent to Python.";
    this.drawNetwork(sizes, L, p);
    this.drawNumbers(L);
    this.drawState(sizes);
    this.drawCurve();
    this.drawFormulas(p, L);
  }

  drawNetwork(sizes, L, p) {
    const svg = this.picture;
    svg.innerHTML = "";
    const W = this.get("W");
    const g = this.grads;
    const x = this.get("x");
    // In viewBox units drawn at 1 px each: the drawing is as wide as the picture is shown
    // (at most 520, the CSS's max-width; at least 280), so its 12–13 px text is 12–13 px on a
    // phone too. A unit's number is squeezed to fit inside its circle. A unit's δ is drawn
    // beside it when the layers are at least 110 apart (it takes about 85 and the next
    // layer's circle 23), else under it.
    this.drawnWidth = svg.getBoundingClientRect().width;
    const width =
      this.drawnWidth > 0 ? Math.round(Math.min(520, Math.max(280, this.drawnWidth))) : 520;
    const narrow = (width - 140) / L < 110;
    const height = Math.max(160, 62 * Math.max(...sizes) + 36);
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    const R = 23;
    const left = narrow ? 36 : 40;
    const gapX = (width - left - (narrow ? 36 : 100)) / L;
    const pos = (l, i) => [left + l * gapX, ((i + 0.5) * (height - 24)) / sizes[l]];
    const wmax = Math.max(1e-12, ...W.flat(2).map(Math.abs));
    let edgeLabel = null;
    for (let l = 1; l <= L; l++) {
      for (let j = 0; j < sizes[l - 1]; j++) {
        for (let i = 0; i < sizes[l]; i++) {
          const w = W[l - 1][j][i];
          const [x1, y1] = pos(l - 1, j);
          const [x2, y2] = pos(l, i);
          const chosen = p.kind === "w" && p.l === l && p.i === i + 1 && p.j === j + 1;
          svg.append(
            node(
              "line",
              {
                x1,
                y1,
                x2,
                y2,
                "stroke-width": 0.5 + (4 * Math.abs(w)) / wmax,
                stroke: w >= 0 ? "#c0392b" : "#2c6fbb",
                opacity: chosen ? 1 : 0.6,
                class: chosen ? "bp-chosen" : "",
              },
              null,
              SVG,
            ),
          );
          if (chosen) {
            // drawn last, over the units, on a white halo
            edgeLabel = node(
              "text",
              {
                x: (x1 + x2) / 2,
                y: (y1 + y2) / 2 - 4,
                "text-anchor": "middle",
                class: "bp-edge-label bp-halo",
              },
              `w = ${fmt(w, 4)}`,
              SVG,
            );
          }
        }
      }
    }
    const unit = this.get("unit").split(",").map(Number);
    for (let l = 0; l <= L; l++) {
      for (let i = 0; i < sizes[l]; i++) {
        const [cx, cy] = pos(l, i);
        const chosen = unit[0] === l && unit[1] === i + 1;
        svg.append(
          node(
            "circle",
            { cx, cy, r: R, fill: chosen ? "#d5f5d5" : "#fff", stroke: "#333" },
            null,
            SVG,
          ),
        );
        const value = l === 0 ? x[i] : g.o[l - 1][i];
        const text = node(
          "text",
          { x: cx, y: cy + 4.5, "text-anchor": "middle", class: "bp-unit" },
          fmt(value, 3),
          SVG,
        );
        svg.append(text);
        fitInside(text, 2 * R - 6);
        if (l > 0) {
          // δ to the right of the unit (under it when narrow), on a white halo over the edges
          const where = narrow
            ? { x: cx, y: cy + R + 12, "text-anchor": "middle" }
            : { x: cx + R + 3, y: cy + R - 2 };
          svg.append(
            node(
              "text",
              { ...where, class: "bp-small bp-halo" },
              `δ ${fmt(g.delta[l - 1][i], 3)}`,
              SVG,
            ),
          );
        }
      }
      svg.append(
        node(
          "text",
          { x: pos(l, 0)[0], y: height - 2, "text-anchor": "middle", class: "bp-small" },
          layerName(l, L),
          SVG,
        ),
      );
    }
    if (edgeLabel !== null) svg.append(edgeLabel);
  }

  drawNumbers(L) {
    // One row per layer: its outputs o^l (the inputs x for l = 0) and its deltas.
    const table = this.numbers;
    table.innerHTML = "";
    const g = this.grads;
    const x = this.get("x");
    const head = node("tr", {});
    for (const text of ["layer", "o (x for the input)", "δ = ∂E/∂s"]) {
      head.append(node("th", { scope: "col" }, text));
    }
    table.append(head);
    const list = (values) => values.map((v) => fmt(v, 4)).join(", ");
    for (let l = 0; l <= L; l++) {
      const row = node("tr", {});
      row.append(node("th", { scope: "row" }, layerName(l, L)));
      row.append(node("td", {}, list(l === 0 ? x : g.o[l - 1])));
      row.append(node("td", {}, l === 0 ? "–" : list(g.delta[l - 1])));
      table.append(row);
    }
  }

  drawState(sizes) {
    // One row per parameter: its value, its gradient and the optimizer's state entries.
    const table = this.stateTable;
    table.innerHTML = "";
    const name = this.get("optimizer");
    const state = this.get("optimizer_state");
    const keys = OPTIMIZER_STATE[this.get("optimizer_choices")[name].kind];
    table.style.display = keys.length ? "" : "none";
    if (!keys.length) return;
    const label = {
      v: name === "adam" ? "v (2nd moment)" : "v (velocity)",
      m: "m (1st moment)",
      r: "r",
    };
    const head = node("tr", {});
    for (const text of ["parameter", "value", "∂E/∂θ", ...keys.map((k) => label[k])]) {
      head.append(node("th", { scope: "col" }, text));
    }
    table.append(head);
    const W = this.get("W");
    const b = this.get("b");
    const g = this.grads;
    for (const [key] of parameterOptions(sizes)) {
      const p = parseParameter(key);
      const k = p.l - 1;
      const at = (arrays) => (p.kind === "w" ? arrays[k][p.j - 1][p.i - 1] : arrays[k][p.i - 1]);
      const row = node("tr", { "data-parameter": key });
      const symbol =
        p.kind === "w" ? `w${SUP(p.l)}${SUB(`${p.j}${p.i}`)}` : `b${SUP(p.l)}${SUB(p.i)}`;
      const th = node("th", { scope: "row" });
      th.innerHTML = symbol;
      row.append(
        th,
        node("td", {}, fmt(getParameter(W, b, p), 4)),
        node("td", {}, fmt(at(p.kind === "w" ? g.dW : g.db), 4)),
      );
      for (const s of keys)
        row.append(node("td", {}, fmt(at((p.kind === "w" ? state.W : state.b)[s]), 4)));
      table.append(row);
    }
    const caption = node("caption", {}, `${name} state after t = ${state.t} steps`);
    table.prepend(caption);
  }

  drawCurve() {
    const svg = this.curvePlot;
    svg.innerHTML = "";
    const curve = this.get("curve");
    const values = curve.map((pt) => pt[1]);
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const logScale = lo > 0 && hi / lo > 1000;
    const f = (v) => (logScale ? Math.log10(v) : v);
    const a = f(lo);
    // the vertical span; for a flat curve (one point) 1, or |E| where E + 1 === E (E > 2^53)
    const span = f(hi) > a && Number.isFinite(f(hi) - a) ? f(hi) - a : Math.max(1, Math.abs(a));
    const first = curve[0][0];
    const last = Math.max(first + 1, curve[curve.length - 1][0]);
    const y = (v) => {
      const at = 130 - (110 * (f(v) - a)) / span;
      return Number.isFinite(at) ? at : 130;
    };
    const points = curve.map(([k, v]) => `${30 + (180 * (k - first)) / (last - first)},${y(v)}`);
    svg.append(
      node(
        "polyline",
        { points: points.join(" "), fill: "none", stroke: "#333", "stroke-width": 1.5 },
        null,
        SVG,
      ),
    );
    svg.append(
      node(
        "text",
        { x: 110, y: 146, "text-anchor": "middle", class: "bp-small" },
        `step (${first} to ${curve[curve.length - 1][0]}), ${this.get("loss")}`,
        SVG,
      ),
    );
    svg.append(
      node(
        "text",
        { x: 2, y: 14, class: "bp-small" },
        `E${logScale ? " (log)" : ""}: ${fmt(lo, 3)} to ${fmt(hi, 3)}`,
        SVG,
      ),
    );
  }

  drawFormulas(p, L) {
    const g = this.grads;
    const lr = this.get("lr");
    const W = this.get("W");
    const b = this.get("b");
    const k = p.l - 1;
    const delta = g.delta[k][p.i - 1];
    const value = getParameter(W, b, p);
    const gradient = p.kind === "w" ? g.dW[k][p.j - 1][p.i - 1] : g.db[k][p.i - 1];
    const name = this.get("optimizer");
    let update = -(lr * gradient);
    if (name !== "sgd") {
      // the chosen rule's next step, computed, not applied
      const next = optimizerStep(this.net(), g, this.optimizerSpec(), this.get("optimizer_state"));
      update = getParameter(next.W, next.b, p) - value;
    }
    let html;
    if (p.kind === "w") {
      const oPrev = p.l === 1 ? this.get("x")[p.j - 1] : g.o[p.l - 2][p.j - 1];
      html =
        `<p>Δw${SUP(p.l)}${SUB(`${p.j}${p.i}`)} = −η δ${SUP(p.l)}${SUB(p.i)} ` +
        `o${SUP(p.l - 1)}${SUB(p.j)} = −${fmt(lr)} × ${fmt(delta)} × ${fmt(oPrev)} = ` +
        `<b>${fmt(update)}</b></p>`;
    } else {
      html =
        `<p>Δb${SUP(p.l)}${SUB(p.i)} = −η δ${SUP(p.l)}${SUB(p.i)} = ` +
        `−${fmt(lr)} × ${fmt(delta)} = <b>${fmt(update)}</b></p>`;
    }
    if (name !== "sgd") {
      html =
        `<p>∂E/∂θ = ${fmt(gradient)}; the ${name} rule's next change: <b>${fmt(update)}</b>` +
        " (the state is in the table under the controls)</p>";
    }
    html += `<p>value now ${fmt(value, 6)}, after the next step ${fmt(value + update, 6)}`;
    if (this.lastUpdate) {
      const applied =
        p.kind === "w" ? this.lastUpdate.W[k][p.j - 1][p.i - 1] : this.lastUpdate.b[k][p.i - 1];
      html += `; the last step changed it by ${fmt(applied)}`;
    }
    html += ".</p>";
    const [ul, ui] = this.get("unit").split(",").map(Number);
    const d = g.delta[ul - 1][ui - 1];
    const act = this.get("activations")[ul - 1];
    if (ul < L) {
      const Wn = W[ul];
      const dn = g.delta[ul];
      if (act === "softmax") {
        html +=
          `<p>δ${SUP(ul)}${SUB(ui)} = Σ${SUB("k")} (∂E/∂o${SUP(ul)}${SUB("k")}) ` +
          `(∂o${SUP(ul)}${SUB("k")}/∂s${SUP(ul)}${SUB(ui)}) (softmax: not elementwise) = ` +
          `<b>${fmt(d)}</b>, with ∂E/∂o${SUP(ul)} = δ${SUP(ul + 1)} (W${SUP(ul + 1)})ᵀ = ` +
          `(${g.grad_o[ul - 1].map((v) => fmt(v)).join(", ")})</p>`;
      } else {
        const fprime = ACTIVATIONS[act].derivative([g.s[ul - 1][ui - 1]])[0];
        const terms = Wn[ui - 1].map((w, i) => `${fmt(w)} × ${fmt(dn[i])}`).join(" + ");
        html +=
          `<p>δ${SUP(ul)}${SUB(ui)} = f′(s${SUP(ul)}${SUB(ui)}) Σ${SUB("i")} ` +
          `w${SUP(ul + 1)}${SUB(`${ui}i`)} δ${SUP(ul + 1)}${SUB("i")} = ${fmt(fprime)} × ` +
          `(${terms}) = <b>${fmt(d)}</b></p>`;
      }
    } else {
      const loss = this.get("loss");
      const closed = CLOSED_FORMS[`${act}|${loss}`];
      const o = g.o[ul - 1][ui - 1];
      const t = this.get("t")[ui - 1];
      if (closed?.fused) {
        html +=
          `<p>δ${SUP(ul)}${SUB(ui)} = (o${SUP(ul)}${SUB(ui)} − t${SUB(ui)})/B = ` +
          `(${fmt(o)} − ${fmt(t)})/1 = ` +
          `<b>${fmt(d)}</b> (${act} with ${loss}: the fused pair)</p>`;
      } else if (closed) {
        html +=
          `<p>δ${SUP(ul)}${SUB(ui)} = <b>${fmt(d)}</b> (${act} with ${loss}: the ` +
          "closed form from s, as the library)</p>";
      } else if (act === "softmax") {
        html +=
          `<p>δ${SUP(ul)}${SUB(ui)} = Σ${SUB("k")} (∂E/∂o${SUP(ul)}${SUB("k")}) ` +
          `(∂o${SUP(ul)}${SUB("k")}/∂s${SUP(ul)}${SUB(ui)}) = <b>${fmt(d)}</b></p>`;
      } else {
        const gradO = LOSSES[loss].gradient(g.o[ul - 1], this.get("t"))[ui - 1];
        const fprime = ACTIVATIONS[act].derivative([g.s[ul - 1][ui - 1]])[0];
        html +=
          `<p>δ${SUP(ul)}${SUB(ui)} = ∂E/∂o${SUP(ul)}${SUB(ui)} × f′(s${SUP(ul)}${SUB(ui)}) = ` +
          `${fmt(gradO)} × ${fmt(fprime)} = <b>${fmt(d)}</b></p>`;
      }
    }
    this.formulaBox.innerHTML = html;
  }
}

function render({ model, el }) {
  const explorer = new Explorer(model, el);
  const hook = { el, state: () => explorer.state(), act: (n, v) => explorer.act(n, v) };
  window.backpropExplorers = window.backpropExplorers || [];
  window.backpropExplorers.push(hook);
  // Python may change the state (a live kernel): recompute and redraw.
  const names = [
    "W",
    "b",
    "x",
    "t",
    "lr",
    "activations",
    "loss",
    "parameter",
    "unit",
    "optimizer",
    "optimizer_state",
  ];
  const redraw = () => {
    if (explorer.saving) return;
    explorer.compute();
    explorer.draw();
  };
  for (const name of names) model.on(`change:${name}`, redraw);
  // The network is drawn as wide as it is shown: drawn again when that width changes (a
  // phone turned, a page laid out after the widget was rendered).
  const resized = new ResizeObserver(() => {
    const shown = explorer.picture.getBoundingClientRect().width;
    if (Math.abs(shown - explorer.drawnWidth) > 1) explorer.draw();
  });
  resized.observe(explorer.picture);
  return () => {
    explorer.pause();
    resized.disconnect();
    for (const name of names) model.off(`change:${name}`, redraw);
    const k = window.backpropExplorers.indexOf(hook);
    if (k >= 0) window.backpropExplorers.splice(k, 1);
  };
}

export default { render };
