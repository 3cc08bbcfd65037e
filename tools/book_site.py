r"""A Sphinx extension that keeps every page of this book's site free of network requests.

Loaded by `_config.yml` (`sphinx: local_extensions: {book_site: tools/}`). On each
HTML page it

1. points the FontAwesome 4 stylesheet that matplotlib's ``Animation.to_jshtml()`` links
   from a CDN at the copy vendored in ``site_assets/vendor/font-awesome`` (served at
   ``vendor/`` by ``html_extra_path``), with a path relative to the page, so it also works
   from ``file://``;
2. warns (a build failure under ``-W``) about any other ``<script src>`` or
   ``<link href>`` that still points at ``http(s)://``, in the page body (cell outputs)
   or among the page's registered scripts and stylesheets.

It also serves anywidget's front-end without a CDN: the widget manager of static pages loads
the module ``anywidget`` (the model and view classes of every anywidget, e.g. the
weight-update explorer) through require.js, which ``site_assets/js/ipywidgets_offline.js``
points at ``vendor/anywidget/index.js``. When the build finishes, that file is copied from
the installed ``anywidget`` package (its ``nbextension/index.js``, an AMD module), so the
front-end always matches the Python package that wrote the widget state.

It also cleans the listings of library code (``{literalinclude}`` of a ``.py`` file): the
docstrings of the functions and classes shown are left out (they hold reST ``:math:``
markup, which a listing would show raw; the page states the formula in its own maths), and
the listing gets the class ``book-listing``, which ``site_assets/css/book.css`` wraps
within the text column.

It also hides nbgrader's markers in the code cells of exercise solutions: the lines
``### BEGIN SOLUTION``, ``### END SOLUTION``, ``### BEGIN HIDDEN TESTS`` and
``### END HIDDEN TESTS`` (which ``tools/student_edition.py`` reads) are left out of the
rendered listing; the cell still runs them as the comments they are.

It also numbers the equations named in the titles of folded cells: a title (myst-nb's
``code_prompt_show``, a plain string) that says ``(eq:td-update)`` shows the equation's
number instead, e.g. ``(12.3)``, as ``{eq}`eq:td-update``` prints it in the text; a label
that names no equation is a warning (a build failure under ``-W``).

It also gives every figure's image an alternative text: a figure drawn by a cell gets none
from myst-nb, which writes the image's path (``../_images/<hash>.png``) in its place, what a
screen reader would read out. The figure's caption (without its number) is used instead.

When the build starts, it also builds matplotlib's font cache in the build process. On a
fresh machine the first ``import matplotlib`` may otherwise do it inside a chapter's kernel,
and if that takes long, matplotlib says so on the cell's stderr: a build failure.
"""

from __future__ import annotations

import ast
import re
import textwrap
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

# matplotlib/_animation_data.py: href="https://maxcdn.bootstrapcdn.com/font-awesome/4.4.0/css/font-awesome.min.css"
FONT_AWESOME_CDN = re.compile(
    r"""https?://[^"'\s>]*font-awesome[^"'\s>]*/css/font-awesome(?:\.min)?\.css"""
)
FONT_AWESOME_LOCAL = "vendor/font-awesome/css/font-awesome.min.css"

# <script ... src="http..."> and <link ... href="http...">, in any attribute order.
EXTERNAL_RESOURCE = re.compile(
    r"""<(script|link)\b[^>]*?\b(?:src|href)\s*=\s*["']?((?:https?:)?//[^"'\s>]+)""",
    re.IGNORECASE,
)


def _localise_body(pagename: str, context: dict[str, Any]) -> None:
    body = context.get("body")
    if not body:
        return
    local = context["pathto"](FONT_AWESOME_LOCAL, 1)
    body = FONT_AWESOME_CDN.sub(local, body)
    context["body"] = body
    for tag, url in EXTERNAL_RESOURCE.findall(body):
        logger.warning(
            "book_site: page %r loads <%s> %s from the network; vendor it into "
            "site_assets/ (tools/vendor_assets.sh) and point the page at the local copy",
            pagename,
            tag,
            url,
            type="book_site",
            subtype="external_resource",
        )


def _check_registered_files(pagename: str, context: dict[str, Any]) -> None:
    for key in ("script_files", "css_files"):
        for asset in context.get(key, []):
            url = getattr(asset, "filename", asset)
            if not url:  # an inline <script> with a body and no src
                continue
            url = str(url)
            if "://" in url or url.startswith("//"):
                logger.warning(
                    "book_site: page %r registers %s from the network: %s",
                    pagename,
                    key,
                    url,
                    type="book_site",
                    subtype="external_resource",
                )


def on_page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    r"""``html-page-context`` handler: localise the body, then check what is left."""
    _localise_body(pagename, context)
    _check_registered_files(pagename, context)


def strip_docstrings(code: str) -> str:
    r"""``code`` without the docstrings of its functions and classes; unchanged if it does
    not parse (a fragment cut with ``start-at``/``end-before``) or has none."""
    try:
        tree = ast.parse(textwrap.dedent(code))
    except SyntaxError:
        return code
    drop: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
                and len(node.body) > 1
            ):
                drop.update(range(first.lineno - 1, first.end_lineno))
    if not drop:
        return code
    lines = code.split("\n")
    return "\n".join(line for k, line in enumerate(lines) if k not in drop)


def clean_listings(app: Sphinx, doctree: nodes.document) -> None:
    r"""``doctree-read`` handler: library listings without docstrings, marked for CSS."""
    for block in doctree.findall(nodes.literal_block):
        if not str(block.get("source", "")).endswith(".py"):
            continue
        code = block.astext()
        cleaned = strip_docstrings(code)
        if cleaned != code:
            block.children = [nodes.Text(cleaned)]
            block.rawsource = cleaned
        block["classes"].append("book-listing")


def warm_matplotlib_font_cache(app: Sphinx) -> None:
    r"""``builder-inited`` handler: build matplotlib's font cache outside any notebook."""
    import matplotlib.font_manager  # noqa: F401  (importing it builds the cache)


def copy_anywidget_frontend(app: Sphinx, exception: Exception | None) -> None:
    r"""``build-finished`` handler: copy anywidget's AMD front-end to ``vendor/anywidget/``."""
    if exception is not None or app.builder.format != "html":
        return
    import shutil
    from pathlib import Path

    import anywidget

    source = Path(anywidget.__file__).parent / "nbextension" / "index.js"
    target = Path(app.outdir) / "vendor" / "anywidget" / "index.js"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


NBGRADER_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) (SOLUTION|HIDDEN TESTS)[ \t]*\n?", re.M)


def hide_nbgrader_markers(app: Sphinx, doctree: nodes.document) -> None:
    r"""Drop nbgrader's marker lines from the listings of code cells."""
    for block in doctree.findall(nodes.literal_block):
        text = block.astext()
        if NBGRADER_MARKER.search(text):
            text = NBGRADER_MARKER.sub("", text)
            block.children = [nodes.Text(text)]
            block.rawsource = text


EQUATION_LABEL = re.compile(r"\((eq:[A-Za-z0-9_-]+)\)")


def number_equations_in_fold_titles(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    r"""``doctree-resolved`` handler: ``(eq:label)`` in a fold's title becomes the number the
    ``{eq}`` role prints, e.g. ``(12.3)``, from Sphinx's own equation numbering."""
    domain = app.env.get_domain("math")

    def number(match: re.Match, node: nodes.Element) -> str:
        ref = domain.resolve_xref(
            app.env, docname, app.builder, "eq", match.group(1), node, nodes.Text("")
        )
        if ref is None:
            logger.warning(
                f"a fold title names {match.group(1)!r}, which labels no equation",
                location=node,
            )
            return match.group(0)
        return ref.astext()

    for node in doctree.findall(nodes.Element):
        for key in ("prompt_show", "prompt_hide"):
            text = node.get(key)
            if isinstance(text, str) and "(eq:" in text:
                node[key] = EQUATION_LABEL.sub(lambda m, node=node: number(m, node), text)


def describe_figures(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    r"""``doctree-resolved`` handler: a figure's image whose ``alt`` is missing or its own
    path gets the figure's caption as its alternative text."""
    for figure in doctree.findall(nodes.figure):
        captions = list(figure.findall(nodes.caption))
        if not captions:
            continue
        text = " ".join(captions[0].astext().split())
        for image in figure.findall(nodes.image):
            alt = image.get("alt", "")
            if not alt or alt == image.get("uri") or "_images/" in alt:
                image["alt"] = text


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", warm_matplotlib_font_cache)
    app.connect("build-finished", copy_anywidget_frontend)
    app.connect("doctree-read", clean_listings)
    app.connect("doctree-read", hide_nbgrader_markers)
    app.connect("doctree-resolved", number_equations_in_fold_titles)
    app.connect("doctree-resolved", describe_figures)
    # After myst-nb (priority 500) has added the widget scripts for the page.
    app.connect("html-page-context", on_page_context, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
