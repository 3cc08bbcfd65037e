// The retrain panel for static pages (an anywidget ES module; backprop_lib/widgets/retrain_live.py).
// The runs were computed by backprop_lib when the page was built (model trait "grid"); this
// file only chooses one and draws it: curves of the loss and accuracy per epoch, the
// figures after the chosen number of epochs, and the picture of W^1.
//
// Test hook: window.backpropRetrainPanels[k].state() -> {lr, n_hidden, batch_size, epochs,
// key, shown: {train_loss, val_loss, train_accuracy, val_accuracy} (the numbers on the page)}.

const NS = "http://www.w3.org/2000/svg";

function make(tag, attrs = {}, text = null, ns = null) {
  const e = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== null) e.textContent = text;
  return e;
}

/** One panel of curves: each series [values, colour, label] against the epoch, 0 to n. */
function curves(svg, series, n, title, percent) {
  svg.innerHTML = "";
  // accuracy on a fixed 0–100 % axis (38 % must not look like 100 %); the loss from its
  // smallest to its largest value
  const all = series.flatMap(([v]) => v.slice(0, n + 1));
  const lo = percent ? 0 : Math.min(...all);
  let hi = percent ? 1 : Math.max(...all);
  if (hi === lo) hi = lo + 1;
  const x = (e) => 36 + (190 * e) / Math.max(1, n);
  const y = (v) => 120 - (100 * (v - lo)) / (hi - lo);
  svg.append(make("text", { x: 130, y: 12, "text-anchor": "middle" }, title, NS));
  svg.append(make("line", { x1: 36, y1: 120, x2: 226, y2: 120, stroke: "#999" }, null, NS));
  svg.append(make("line", { x1: 36, y1: 20, x2: 36, y2: 120, stroke: "#999" }, null, NS));
  const label = (v) => (percent ? `${(100 * v).toFixed(0)}%` : v.toFixed(2));
  svg.append(make("text", { x: 32, y: 24, "text-anchor": "end" }, label(hi), NS));
  svg.append(make("text", { x: 32, y: 122, "text-anchor": "end" }, label(lo), NS));
  svg.append(make("text", { x: 131, y: 136, "text-anchor": "middle" }, `epoch (0 to ${n})`, NS));
  series.forEach(([values, colour, name], k) => {
    const points = values
      .slice(0, n + 1)
      .map((v, e) => `${x(e)},${y(v)}`)
      .join(" ");
    svg.append(
      make("polyline", { points, fill: "none", stroke: colour, "stroke-width": 1.5 }, null, NS),
    );
    // the legend: a short line and the name, both in the run's colour (an inline style,
    // which the panel's CSS for svg text does not override)
    const y0 = 30 + 12 * k;
    svg.append(
      make(
        "line",
        { x1: 150, y1: y0 - 3, x2: 164, y2: y0 - 3, stroke: colour, "stroke-width": 2 },
        null,
        NS,
      ),
    );
    svg.append(
      make(
        "text",
        { x: 167, y: y0, fill: colour, style: `fill: ${colour}`, "data-legend": name },
        name,
        NS,
      ),
    );
  });
}

class RetrainView {
  constructor(model, root) {
    this.model = model;
    this.root = root;
    this.build();
    this.update();
  }

  build() {
    const grid = this.model.get("grid");
    const root = this.root;
    root.classList.add("bp-retrain");
    root.append(
      make(
        "p",
        { class: "bp-note" },
        `These runs were precomputed by backprop_lib when this page was built: ` +
          `${Object.keys(grid.runs).length} runs, every combination of the settings below, ` +
          `each trained for ${Math.max(...grid.epochs)} epochs on the ${grid.n_fit} fitting ` +
          `images (seed ${grid.seed}). Choosing settings shows that run; nothing is trained in ` +
          "your browser. In a live kernel, train_swinn or the RetrainPanel retrains with any settings.",
      ),
    );
    const controls = make("div", { class: "bp-retrain-controls" });
    const menu = (label, name, options, text) => {
      const row = make("label", { class: "bp-row" });
      const select = make("select", { "data-control": name });
      for (const v of options) select.append(make("option", { value: String(v) }, text(v)));
      select.addEventListener("change", () => this.choose(name, Number(select.value)));
      row.append(make("span", {}, label), select);
      controls.append(row);
      return select;
    };
    this.menus = {
      lr: menu("learning rate η", "lr", grid.lrs, (v) => String(v)),
      n_hidden: menu("hidden units", "n_hidden", grid.hidden_units, (v) => String(v)),
      batch_size: menu("batch size B", "batch_size", grid.batch_sizes, (v) =>
        v === grid.n_fit ? `${v} (all)` : String(v),
      ),
      epochs: menu("epochs", "epochs", grid.epochs, (v) => String(v)),
    };
    this.figures = make("p", { class: "bp-figures", role: "status" });
    const pictures = make("div", { class: "bp-retrain-pictures" });
    this.lossPlot = make("svg", { viewBox: "0 0 240 140", class: "bp-plot" }, null, NS);
    this.accuracyPlot = make("svg", { viewBox: "0 0 240 140", class: "bp-plot" }, null, NS);
    this.weights = make("img", { class: "bp-weights", alt: "W^1" });
    this.weightsCaption = make("p", { class: "bp-note" });
    const w = make("figure", { class: "bp-weights-figure" });
    w.append(this.weights, this.weightsCaption);
    pictures.append(this.lossPlot, this.accuracyPlot, w);
    root.append(controls, this.figures, pictures);
  }

  choose(name, value) {
    this.model.set(name, value);
    try {
      this.model.save_changes();
    } catch {
      // a static page: no kernel to sync with
    }
    this.update();
  }

  update() {
    const grid = this.model.get("grid");
    const settings = {};
    for (const name of ["lr", "n_hidden", "batch_size", "epochs"]) {
      settings[name] = this.model.get(name);
      this.menus[name].value = String(settings[name]);
    }
    // the key as retrain_live.key writes it (String(lr): 1e-5 is "0.00001" on both sides)
    const key = `${settings.lr}|${settings.n_hidden}|${settings.batch_size}`;
    const run = grid.runs[key];
    const e = settings.epochs;
    this.current = { ...settings, key };
    if (run === undefined) {
      this.figures.textContent = `The grid has no run ${key} (lr|hidden units|batch size).`;
      this.current.error = `no run ${key}`;
      return;
    }
    if (run.error) {
      this.figures.textContent = `This run diverged: ${run.error}`;
      this.current.error = run.error;
      return;
    }
    const shown = {
      train_loss: run.loss[e],
      val_loss: run.val_loss[e],
      train_accuracy: run.accuracy[e],
      val_accuracy: run.val_accuracy[e],
    };
    this.current.shown = shown;
    this.figures.innerHTML = "";
    const fig = (q, text) => make("span", { "data-quantity": q }, text);
    this.figures.append(
      `After ${e} epochs: training loss `,
      fig("train_loss", shown.train_loss.toFixed(4)),
      ", validation loss ",
      fig("val_loss", shown.val_loss.toFixed(4)),
      ", validation accuracy ",
      fig("val_accuracy", `${(100 * shown.val_accuracy).toFixed(1)} %`),
      ` (training accuracy `,
      fig("train_accuracy", `${(100 * shown.train_accuracy).toFixed(1)} %`),
      ").",
    );
    curves(
      this.lossPlot,
      [
        [run.loss, "#1f77b4", "training"],
        [run.val_loss, "#d62728", "validation"],
      ],
      e,
      "loss E",
      false,
    );
    curves(
      this.accuracyPlot,
      [
        [run.accuracy, "#1f77b4", "training"],
        [run.val_accuracy, "#d62728", "validation"],
      ],
      e,
      "accuracy",
      true,
    );
    this.weights.src = run.weights[String(e)];
    this.weightsCaption.textContent =
      `W¹ after ${e} epochs: one tile per hidden unit ` +
      "(red: positive weights, blue: negative).";
  }
}

function render({ model, el }) {
  const view = new RetrainView(model, el);
  const hook = { el, state: () => JSON.parse(JSON.stringify(view.current)) };
  window.backpropRetrainPanels = window.backpropRetrainPanels || [];
  window.backpropRetrainPanels.push(hook);
  const names = ["lr", "n_hidden", "batch_size", "epochs"];
  const redraw = () => view.update();
  for (const n of names) model.on(`change:${n}`, redraw);
  return () => {
    for (const n of names) model.off(`change:${n}`, redraw);
    const k = window.backpropRetrainPanels.indexOf(hook);
    if (k >= 0) window.backpropRetrainPanels.splice(k, 1);
  };
}

export default { render };
