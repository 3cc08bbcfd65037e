/*
 * Sidebar toggles that work: a shim for pydata-sphinx-theme #2451 / sphinx-book-theme #988.
 *
 * pydata-sphinx-theme 0.17 binds its sidebar handlers to the FIRST `.primary-toggle` and
 * `.secondary-toggle` of the page (document.querySelector), which is its own header button,
 * hidden under sphinx-book-theme. The buttons a reader sees (in the article header) get no
 * handler, so the table of contents cannot be opened on a phone, and the sidebar does not
 * collapse on a laptop.
 *
 * The shim forwards a click on every other toggle to the first one, whose handlers do the
 * right thing at each width: sphinx-book-theme's collapses the sidebar at >= 992 px, and
 * pydata-sphinx-theme's opens the sidebar as a dialog below that.
 */
(() => {
  "use strict";

  function forward(selector) {
    const toggles = Array.from(document.querySelectorAll(selector));
    const bound = toggles[0];
    toggles.slice(1).forEach((button) => {
      if (button.dataset.bookNavForwarded) {
        return;
      }
      button.dataset.bookNavForwarded = "true";
      button.addEventListener(
        "click",
        (event) => {
          event.preventDefault();
          event.stopImmediatePropagation();
          button.blur();
          bound.click();
        },
        true,
      );
    });
  }

  function setup() {
    forward(".primary-toggle");
    forward(".secondary-toggle");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
