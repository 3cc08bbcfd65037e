// The optimizers' paths on the loss surface of one linear unit (an anywidget ES module).
// Python sends engine.js followed by this file as one module (PathsWidget._esm), so the
// engine's optimizerState and optimizerStep are in scope here.
//
// The problem: o = w x + b with the half squared error, E = (1/N) sum_n (w x_n + b - t_n)^2 / 2,
// full batch, as the chapter's two-weight problem. Each rule starts at the same (w, b) and
// takes `steps` steps with its own rate; the page draws E over (w, b) and every path.
//
// State (traits of backprop_lib.widgets.explorer.paths_live.PathsWidget): x, t, start, steps,
// rules ({name: the engine's description without lr}), rates ({name: lr}), rate_choices.
// Test hook: window.backpropPathViews, one entry per rendered view: {el, state(), act(name,
// rate)}; state() returns the paths and the final losses, act("rate", [name, lr]) does what
// a rate slider does.

const SVG_NS = "http://www.w3.org/2000/svg";
const COLORS = { sgd: "#000000", momentum: "#1f77b4", adam: "#d62728", rmsprop: "#2ca02c" };
const LABELS = {
  sgd: "gradient descent",
  momentum: "momentum 0.9",
  adam: "Adam",
  rmsprop: "RMSProp",
};

/** dE/dw and dE/db of the batch: delta_n = (o_n - t_n)/N, as the library's fused form. */
export function unitGradients(w, b, X, T) {
  const N = X.length;
  let gw = 0;
  let gb = 0;
  for (let n = 0; n < N; n++) {
    const delta = (w * X[n] + b - T[n]) / N; // (o - t)/B
    gw += X[n] * delta; // (o^0)^T delta
    gb += delta;
  }
  return { dW: [[[gw]]], db: [[gb]] };
}

/** E = (1/N) sum_n (w x_n + b - t_n)^2 / 2. */
export function unitLoss(w, b, X, T) {
  let total = 0;
  for (let n = 0; n < X.length; n++) total += 0.5 * (w * X[n] + b - T[n]) ** 2;
  return total / X.length;
}

/** [[w, b], ...]: the start, then the weights after each step (stops at a non-finite one). */
export function optimizerPath(X, T, start, opt, steps) {
  let net = { W: [[[start[0]]]], b: [[start[1]]] };
  let state = optimizerState(net, opt);
  const points = [[start[0], start[1]]];
  for (let k = 0; k < steps; k++) {
    const g = unitGradients(net.W[0][0][0], net.b[0][0], X, T);
    const next = optimizerStep(net, g, opt, state);
    const point = [next.W[0][0][0], next.b[0][0]];
    if (!Number.isFinite(point[0]) || !Number.isFinite(point[1])) break;
    points.push(point);
    net = { W: next.W, b: next.b };
    state = next.state;
  }
  return points;
}

function el(tag, attrs = {}, text = null, ns = null) {
  const e = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== null) e.textContent = text;
  return e;
}

function fmt(v) {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e-3 || v === 0 ? Number(v.toPrecision(3)).toString() : v.toExponential(2);
}

class PathsView {
  constructor(model, root) {
    this.model = model;
    this.root = root;
    root.classList.add("bp-paths");
    root.innerHTML = "";
    this.svg = el(
      "svg",
      {
        viewBox: "0 0 440 330",
        role: "img",
        "aria-label": "the paths on the loss surface",
        style: "max-width: 440px; width: 100%",
      },
      null,
      SVG_NS,
    );
    this.controls = el("div", { class: "bp-paths-controls" });
    this.readout = el("p", { class: "bp-paths-readout" });
    root.append(this.svg, this.controls, this.readout);
    this.sliders = {};
    const choices = model.get("rate_choices");
    for (const name of Object.keys(model.get("rules"))) {
      const row = el("label", { style: "display: flex; gap: 6px; align-items: center" });
      const input = el("input", {
        type: "range",
        min: 0,
        max: choices.length - 1,
        step: 1,
        "data-control": `rate-${name}`,
      });
      const out = el("output", {});
      // the rule's colour as a swatch, not as text colour: coloured text on the page's
      // background is unreadable in dark mode
      const label = el("span", { style: "flex: 0 0 180px" });
      const swatch = el("span", {
        style: `display: inline-block; width: 12px; height: 12px; margin-right: 6px; background: ${COLORS[name] || "#444"}`,
      });
      label.append(swatch, `${LABELS[name] || name}: η`);
      row.append(label, input, out);
      input.addEventListener("input", () => this.act("rate", [name, choices[Number(input.value)]]));
      this.controls.append(row);
      this.sliders[name] = { input, out };
    }
    this.compute();
    this.draw();
  }

  compute() {
    const m = this.model;
    const X = m.get("x");
    const T = m.get("t");
    const rates = m.get("rates");
    this.paths = {};
    for (const [name, rule] of Object.entries(m.get("rules"))) {
      this.paths[name] = optimizerPath(
        X,
        T,
        m.get("start"),
        { ...rule, lr: rates[name] },
        m.get("steps"),
      );
    }
  }

  state() {
    const m = this.model;
    const X = m.get("x");
    const T = m.get("t");
    const final = {};
    for (const [name, points] of Object.entries(this.paths)) {
      const [w, b] = points[points.length - 1];
      final[name] = unitLoss(w, b, X, T);
    }
    return JSON.parse(JSON.stringify({ rates: m.get("rates"), paths: this.paths, final }));
  }

  act(name, value) {
    if (name !== "rate") throw new Error(`unknown action ${name}`);
    const [rule, lr] = value;
    if (!(Number.isFinite(lr) && lr > 0) || !(rule in this.model.get("rules"))) {
      throw new Error(`rate must be a positive number for a known rule; got ${rule}, ${lr}`);
    }
    this.model.set("rates", { ...this.model.get("rates"), [rule]: lr });
    try {
      this.model.save_changes();
    } catch (_err) {
      // a static page: no kernel
    }
    this.compute();
    this.draw();
  }

  draw() {
    const m = this.model;
    const X = m.get("x");
    const T = m.get("t");
    const [w0, w1, b0, b1] = m.get("window");
    const svg = this.svg;
    svg.innerHTML = "";
    const left = 40;
    const top = 10;
    const width = 390;
    const height = 280;
    const sx = (w) => left + ((w - w0) / (w1 - w0)) * width;
    const sy = (b) => top + height - ((b - b0) / (b1 - b0)) * height;
    // E over the window, shaded by log E: darker is lower
    const nx = 48;
    const ny = 36;
    const cells = [];
    for (let i = 0; i < nx; i++) {
      for (let j = 0; j < ny; j++) {
        const w = w0 + ((i + 0.5) / nx) * (w1 - w0);
        const b = b0 + ((j + 0.5) / ny) * (b1 - b0);
        cells.push([i, j, Math.log(unitLoss(w, b, X, T))]);
      }
    }
    const lo = Math.min(...cells.map((c) => c[2]));
    const hi = Math.max(...cells.map((c) => c[2]));
    for (const [i, j, v] of cells) {
      const shade = Math.round(120 + (135 * (v - lo)) / (hi - lo || 1));
      svg.append(
        el(
          "rect",
          {
            x: left + (i * width) / nx,
            y: top + height - ((j + 1) * height) / ny,
            width: width / nx + 0.5,
            height: height / ny + 0.5,
            fill: `rgb(${shade},${shade},${shade})`,
          },
          null,
          SVG_NS,
        ),
      );
    }
    for (const [name, points] of Object.entries(this.paths)) {
      const inside = points.map(([w, b]) => [
        Math.min(Math.max(sx(w), left), left + width),
        Math.min(Math.max(sy(b), top), top + height),
      ]);
      svg.append(
        el(
          "polyline",
          {
            points: inside.map((p) => p.join(",")).join(" "),
            fill: "none",
            stroke: COLORS[name] || "#444",
            "stroke-width": 1.5,
            "data-path": name,
          },
          null,
          SVG_NS,
        ),
      );
    }
    svg.append(
      el(
        "text",
        { x: left + width / 2, y: 322, "text-anchor": "middle", "font-size": 13 },
        `w (${fmt(w0)} to ${fmt(w1)})`,
        SVG_NS,
      ),
    );
    svg.append(
      el(
        "text",
        {
          x: 12,
          y: top + height / 2,
          "text-anchor": "middle",
          "font-size": 13,
          transform: `rotate(-90 12 ${top + height / 2})`,
        },
        `b (${fmt(b0)} to ${fmt(b1)})`,
        SVG_NS,
      ),
    );
    const choices = m.get("rate_choices");
    const rates = m.get("rates");
    const finals = this.state().final;
    for (const [name, s] of Object.entries(this.sliders)) {
      const k = choices.indexOf(rates[name]);
      s.input.value = Math.max(k, 0);
      s.out.textContent = String(rates[name]);
    }
    this.readout.textContent =
      `After ${m.get("steps")} steps, E = ` +
      Object.entries(finals)
        .map(([name, E]) => `${fmt(E)} (${LABELS[name] || name})`)
        .join(", ") +
      ". Computed in your browser.";
  }
}

function render({ model, el: root }) {
  const view = new PathsView(model, root);
  const hook = { el: root, state: () => view.state(), act: (n, v) => view.act(n, v) };
  window.backpropPathViews = window.backpropPathViews || [];
  window.backpropPathViews.push(hook);
  const redraw = () => {
    view.compute();
    view.draw();
  };
  const names = ["x", "t", "start", "steps", "rates", "rules"];
  for (const name of names) model.on(`change:${name}`, redraw);
  return () => {
    for (const name of names) model.off(`change:${name}`, redraw);
    const k = window.backpropPathViews.indexOf(hook);
    if (k >= 0) window.backpropPathViews.splice(k, 1);
  };
}

export default { render };
