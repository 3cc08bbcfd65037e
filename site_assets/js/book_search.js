/*
 * Readable search snippets. Sphinx's search page fetches each hit's HTML and shows a
 * snippet of its text; the maths there is still TeX (MathJax typesets it only on the page
 * itself), so a snippet read "\(\delta^l = \partial E / \partial s^l\)". This shim, loaded
 * on every page and active on the search page only, writes the maths of a fetched page as
 * plain text ("δ^l = ∂E / ∂s^l") before Sphinx cuts its snippet, leaves out the page's
 * buttons and its table of contents, and collapses whitespace.
 */
(() => {
  "use strict";

  const SYMBOLS = {
    alpha: "α",
    beta: "β",
    gamma: "γ",
    delta: "δ",
    Delta: "Δ",
    epsilon: "ε",
    varepsilon: "ε",
    eta: "η",
    theta: "θ",
    lambda: "λ",
    mu: "μ",
    nu: "ν",
    pi: "π",
    rho: "ρ",
    sigma: "σ",
    Sigma: "Σ",
    tau: "τ",
    phi: "φ",
    varphi: "φ",
    psi: "ψ",
    omega: "ω",
    partial: "∂",
    nabla: "∇",
    sum: "Σ",
    prod: "Π",
    odot: "⊙",
    circ: "∘",
    cdot: "·",
    times: "×",
    top: "ᵀ",
    intercal: "ᵀ",
    le: "≤",
    leq: "≤",
    ge: "≥",
    geq: "≥",
    ne: "≠",
    neq: "≠",
    approx: "≈",
    to: "→",
    rightarrow: "→",
    leftarrow: "←",
    infty: "∞",
    in: "∈",
    mathbb: "",
    mathbf: "",
    mathrm: "",
    text: "",
    operatorname: "",
    ln: "ln",
    log: "log",
    exp: "exp",
    max: "max",
    min: "min",
    ldots: "…",
    dots: "…",
    cdots: "⋯",
    vdots: "⋮",
    quad: " ",
    qquad: "  ",
    left: "",
    right: "",
    big: "",
    Big: "",
    tfrac: "",
    frac: "",
    dfrac: "",
    sqrt: "√",
    mid: "|",
    lvert: "|",
    rvert: "|",
  };

  /* TeX as plain text: \frac{a}{b} -> a/b, \delta -> δ, braces and delimiters dropped. */
  function texToText(tex) {
    let text = tex.replace(/\\\(|\\\)|\\\[|\\\]|\$/g, " ");
    for (let k = 0; k < 5; k++) {
      text = text.replace(/\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, "($1)/($2)");
    }
    text = text
      .replace(/\\begin\{[^}]*\}|\\end\{[^}]*\}/g, " ")
      .replace(/\\\\/g, "; ")
      .replace(/&/g, " ")
      // a command becomes its symbol; TeX drops the space after a command, so does a
      // symbol ("\\partial E" -> "∂E"), while a word keeps it ("\\ln x" -> "ln x")
      .replace(/\\([A-Za-z]+)( ?)/g, (_match, name, space) => {
        const known = Object.hasOwn(SYMBOLS, name);
        const out = known ? SYMBOLS[name] : name;
        return /^[A-Za-z]+$/.test(out) ? out + space : out;
      })
      .replace(/\\[,;:! ]/g, " ")
      .replace(/\(([A-Za-z0-9^_ᵀ]+)\)\/\(([A-Za-z0-9^_ᵀ]+)\)/g, "$1/$2")
      .replace(/[{}]/g, "")
      .replace(/\s+/g, " ");
    return text.trim();
  }

  function install() {
    if (typeof Search === "undefined" || Search.bookReadableSnippets) {
      return;
    }
    const original = Search.htmlToText;
    Search.htmlToText = (htmlString, anchor) => {
      const doc = new DOMParser().parseFromString(htmlString, "text/html");
      // the page's buttons and its table of contents are not its text
      doc
        .querySelectorAll(
          ".bd-header-article, .bd-sidebar-secondary, .bd-sidebar-primary, .prev-next-area, " +
            ".bd-footer-article, .bd-footer-content",
        )
        .forEach((el) => {
          el.remove();
        });
      doc.querySelectorAll(".math").forEach((el) => {
        el.textContent = ` ${texToText(el.textContent)} `;
      });
      const text = original(doc.documentElement.outerHTML, anchor);
      return text.replace(/\s+/g, " ");
    };
    Search.bookReadableSnippets = true;
  }

  window.bookTexToText = texToText; // for the tests
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", install);
  } else {
    install();
  }
})();
