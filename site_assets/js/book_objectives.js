/*
 * The learning objectives fold on a phone (issue 21): at 390 px the "What you will learn"
 * box filled the first screen of every chapter. Below 768 px wide it is folded to its title
 * line when the page opens; the title opens and closes it (click, Enter or Space). On wider
 * screens nothing changes. The rules are in css/book.css; tests/book/test_reading_path.py
 * checks the box on every page at 390 x 844.
 */
(() => {
  "use strict";

  const TITLE = "What you will learn";
  const PHONE = "(max-width: 767.98px)";

  function bookFoldObjectives() {
    if (!window.matchMedia(PHONE).matches) {
      return 0;
    }
    let folded = 0;
    for (const title of document.querySelectorAll("article .admonition > .admonition-title")) {
      const box = title.parentElement;
      if (
        title.textContent.trim() !== TITLE ||
        box.classList.contains("book-objectives-foldable")
      ) {
        continue;
      }
      box.classList.add("book-objectives-foldable", "book-objectives-folded");
      title.setAttribute("role", "button");
      title.setAttribute("tabindex", "0");
      title.setAttribute("aria-expanded", "false");
      const toggle = () => {
        const open = box.classList.toggle("book-objectives-folded") === false;
        title.setAttribute("aria-expanded", String(open));
      };
      title.addEventListener("click", toggle);
      title.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          toggle();
        }
      });
      folded++;
    }
    return folded;
  }

  window.bookFoldObjectives = bookFoldObjectives;
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", bookFoldObjectives);
  } else {
    bookFoldObjectives();
  }
})();
