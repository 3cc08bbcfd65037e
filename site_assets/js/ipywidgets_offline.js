// Loaded before require.js and the widget manager (embed-amd.js) on every page that holds
// saved ipywidgets state (nb_ipywidgets_js in _config.yml). Two fixes, no network needed
// (and a third path: the module "anywidget" is served from vendor/anywidget/, see below):
//
// 1. The widget manager's stylesheets load their FontAwesome fonts from the folder of the
//    AMD module "@jupyter-widgets/html-manager/dist/libembed-amd", which require.js resolves
//    relative to the page: a folder that does not exist. A require.js configuration set
//    before require.js loads maps that module path onto the vendored copy, where the fonts
//    sit next to embed-amd.js.
// 2. ipywidgets typesets widget labels with MathJax 2's API, MathJax.Hub.Queue(["Typeset",
//    MathJax.Hub, element]). This site runs MathJax 3, which has no Hub: without this, every
//    labelled widget throws "Cannot read properties of undefined (reading 'Queue')".
//    MathJax 3 replaces window.MathJax when it starts, so the Hub is re-attached to whatever
//    object window.MathJax holds, and typesetting waits for MathJax to be ready.
(() => {
  "use strict";
  var here = document.currentScript?.src;
  if (here && window.require === undefined) {
    window.require = {
      paths: {
        "@jupyter-widgets/html-manager/dist": new URL(
          "../vendor/jupyter-widgets/html-manager",
          here,
        ).href,
        // anywidget's front-end (copied there by tools/book_site.py), instead of a CDN.
        anywidget: new URL("../vendor/anywidget/index", here).href,
      },
    };
  }

  var current = window.MathJax;
  var waiting = []; // elements queued before the page finished loading

  function typeset(element) {
    if (waiting !== null) {
      waiting.push(element);
      return;
    }
    var mj = current;
    if (mj?.startup?.promise && mj.typesetPromise) {
      mj.startup.promise.then(() => mj.typesetPromise([element]));
    }
  }

  var hub = {
    Queue: (...jobs) => {
      for (const job of jobs) {
        if (Array.isArray(job) && job[0] === "Typeset" && job[2]) {
          typeset(job[2]);
        }
      }
    },
  };

  function withHub(value) {
    if (value && typeof value === "object" && !value.Hub) {
      value.Hub = hub;
    }
    return value;
  }

  Object.defineProperty(window, "MathJax", {
    configurable: true,
    get: () => current,
    set: (value) => {
      current = withHub(value);
    },
  });
  withHub(current);

  window.addEventListener("load", () => {
    var queued = waiting;
    waiting = null;
    queued.forEach(typeset);
  });
})();
