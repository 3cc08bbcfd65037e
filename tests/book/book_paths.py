r"""Paths and page lists shared by the book's tests and fixtures (see conftest.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext
import yaml

#: The repository's root (this file is tests/book/book_paths.py): the one definition,
#: shared with every test (tests/helpers.py) and with tools/ (screenshot.py,
#: reading_metrics.py), which put tests/book on sys.path.
REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_DIR = REPO_ROOT / "_build"
HTML_DIR = BUILD_DIR / "html"
EXECUTED_DIR = BUILD_DIR / "jupyter_execute"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def build_command() -> list[str]:
    r"""The jupyter-book part of the README's build command, with this venv's executable."""
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    return [str(jupyter_book), "build", ".", "--all", "-W", "-n", "--keep-going"]


def _toc_files(node: dict) -> list[str]:
    files = [node["root"]] if "root" in node else []
    if "file" in node:
        files.append(node["file"])
    for key in ("parts", "chapters", "sections"):
        for child in node.get(key, []):
            files.extend(_toc_files(child))
    return files


def toc_files() -> list[str]:
    r"""Every page of ``_toc.yml`` as a path without suffix, e.g. ``book/feedforward``."""
    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [str(Path(f).with_suffix("")) if Path(f).suffix else f for f in _toc_files(toc)]


def source_of(page: str) -> Path:
    r"""The source file of a ``_toc.yml`` page (``.md`` first, then ``.ipynb``)."""
    for suffix in (".md", ".ipynb"):
        path = REPO_ROOT / f"{page}{suffix}"
        if path.exists():
            return path
    raise FileNotFoundError(f"_toc.yml lists {page!r} but neither {page}.md nor .ipynb exists")


def is_notebook(page: str) -> bool:
    r"""Whether a page executes: a ``.ipynb``, or a ``.md`` whose front matter has a kernelspec."""
    source = source_of(page)
    return source.suffix == ".ipynb" or "kernelspec" in jupytext.read(source).metadata


# JavaScript for page.evaluate: resolves once MathJax has started and typeset the page (its
# startup promise), rejects if MathJax has not appeared within 20 s.
MATHJAX_READY = """() => new Promise((resolve, reject) => {
    const started = Date.now();
    (function poll() {
        const mj = window.MathJax;
        if (mj && mj.startup && mj.startup.promise) {
            mj.startup.promise.then(() => resolve(true), reject);
        } else if (Date.now() - started > 20000) {
            reject(new Error("MathJax never started"));
        } else {
            setTimeout(poll, 50);
        }
    })();
})"""


# MathJax's CHTML fonts that the browser tried to load and could not.
MATHJAX_FONT_ERRORS = """async () => {
    await document.fonts.ready;
    return Array.from(document.fonts)
        .filter(f => f.family.startsWith("MJX") && f.status === "error")
        .map(f => f.family);
}"""

# Visible text of the article, without code (which may hold a literal "$$").
ARTICLE_TEXT = """() => {
    const article = document.querySelector("article") || document.body;
    const copy = article.cloneNode(true);
    copy.querySelectorAll("pre, code, script, style, mjx-container").forEach(n => n.remove());
    return copy.innerText;
}"""


def typeset_state(page) -> dict:
    r"""On an open page with maths, once MathJax is ready: how many ``mjx-container`` it
    typeset, whether raw TeX (``$$``, ``\[``, ``\begin{``) shows in the article's text, and
    MathJax's fonts that failed to load."""
    page.evaluate(MATHJAX_READY)
    text = page.evaluate(ARTICLE_TEXT)
    return {
        "typeset": page.locator("mjx-container").count(),
        "raw": "$$" in text or "\\[" in text or "\\begin{" in text,
        "bad_fonts": page.evaluate(MATHJAX_FONT_ERRORS),
    }


def typeset_problems(page) -> list[str]:
    r"""What :func:`typeset_state` finds wrong on an open page with maths."""
    seen = typeset_state(page)
    return (
        (["MathJax typeset nothing"] if seen["typeset"] == 0 else [])
        + (["raw TeX is visible"] if seen["raw"] else [])
        + [f"MathJax fonts failed: {seen['bad_fonts']}"] * bool(seen["bad_fonts"])
    )


def widgets_ready(hook: str, what: str) -> str:
    r"""JavaScript for page.evaluate: resolves with the number of widgets a page's explorers
    have registered in ``window[hook]`` (e.g. ``backpropExplorers``), rejects with
    "no {what} rendered" if none has appeared within 30 s."""
    return f"""() => new Promise((resolve, reject) => {{
    const started = Date.now();
    (function poll() {{
        const list = window.{hook};
        if (list && list.length > 0) resolve(list.length);
        else if (Date.now() - started > 30000) reject(new Error("no {what} rendered"));
        else setTimeout(poll, 50);
    }})();
}})"""


def open_widget_page(offline_page, url: str, hook: str, what: str):
    r"""Open ``url`` in the offline page, wait until it has loaded and its widgets have
    registered in ``window[hook]`` (see :func:`widgets_ready`); returns ``offline_page``."""
    page = offline_page.page
    page.goto(url)
    page.wait_for_load_state("load")
    page.evaluate(widgets_ready(hook, what))
    return offline_page
