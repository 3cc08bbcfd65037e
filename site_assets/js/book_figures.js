/*
 * A tap (or a click) on a figure opens the image alone. On a phone a figure keeps its laptop
 * width inside a box that scrolls sideways (css/book.css): the image alone can be zoomed
 * and seen whole. Every image of a figure in the article (a PNG of _images/) is wrapped in a
 * link to itself, and the link gets the figure's caption as its title. Figures already
 * inside a link are left alone. tests/book/test_site_layout.py checks every figure at 390 px.
 */
(() => {
  "use strict";

  function bookLinkFigures() {
    let linked = 0;
    for (const img of document.querySelectorAll("article figure > img")) {
      const src = img.getAttribute("src") || "";
      if (!/_images\/[^/]+\.png$/.test(src)) {
        continue;
      }
      const link = document.createElement("a");
      link.href = src;
      link.className = "book-figure-link";
      const caption = img.parentElement.querySelector("figcaption .caption-number");
      const label = caption ? caption.textContent.trim() : "the figure";
      link.title = `Open ${label} alone`;
      img.replaceWith(link);
      link.appendChild(img);
      linked++;
    }
    return linked;
  }

  window.bookLinkFigures = bookLinkFigures;
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", bookLinkFigures);
  } else {
    bookLinkFigures();
  }
})();
