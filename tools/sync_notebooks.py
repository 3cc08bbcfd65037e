r"""Regenerate the output-free ``book/NAME.ipynb`` paired with each chapter ``book/NAME.md``.

A chapter is a MyST Markdown notebook: a ``.md`` whose front matter has a ``kernelspec``.
It is the source the book is built from and the file reviewers read. Its jupytext header
pairs it with a notebook (``jupytext: formats: ipynb,md:myst``); that ``.ipynb``, committed
next to it without outputs, is what Binder, JupyterLab and the page's launch button open.

    python tools/sync_notebooks.py            # rewrite every stale .ipynb
    python tools/sync_notebooks.py --check    # exit 1 and list the stale ones; write nothing

The written notebook is a pure function of the ``.md``: cell ids are derived from the cell's
position, type and source, so regenerating an unchanged chapter changes no byte. ``--check``
compares what matters (cells, their types, sources and metadata; the kernelspec and the
pairing) and that the notebook holds no outputs, so it does not depend on how a jupytext
version lays out the JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import jupytext
import nbformat

REPO_ROOT = Path(__file__).resolve().parent.parent
BOOK_DIR = REPO_ROOT / "book"
PAIRING = "ipynb,md:myst"


def chapter_sources(book_dir: Path = BOOK_DIR) -> list[Path]:
    r"""The MyST Markdown notebooks in ``book_dir``: ``.md`` files with a ``kernelspec``."""
    chapters = []
    for md in sorted(book_dir.glob("*.md")):
        if "kernelspec" in jupytext.read(md).metadata:
            chapters.append(md)
    return chapters


def _cell_id(index: int, cell: nbformat.NotebookNode) -> str:
    digest = hashlib.sha1(f"{index}\0{cell.cell_type}\0{cell.source}".encode()).hexdigest()
    return digest[:8]


def notebook_from_markdown(md: Path) -> nbformat.NotebookNode:
    r"""Read ``md`` and return the paired notebook: no outputs, deterministic cell ids.

    Raises ``ValueError`` if ``md`` does not declare the pairing ``formats: ipynb,md:myst``.
    """
    nb = jupytext.read(md)
    formats = nb.metadata.get("jupytext", {}).get("formats")
    if formats != PAIRING:
        raise ValueError(
            f"{md}: the jupytext header must pair the chapter with its notebook "
            f"(jupytext: formats: {PAIRING}); found formats={formats!r}"
        )
    for index, cell in enumerate(nb.cells):
        cell.id = _cell_id(index, cell)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.get("jupytext", {}).pop("text_representation", None)
    return nb


def _essentials(nb: nbformat.NotebookNode) -> dict:
    return {
        "cells": [
            {"cell_type": c.cell_type, "source": c.source, "metadata": dict(c.metadata)}
            for c in nb.cells
        ],
        "kernelspec": dict(nb.metadata.get("kernelspec", {})),
        "formats": nb.metadata.get("jupytext", {}).get("formats"),
    }


def problems(md: Path) -> list[str]:
    r"""Why ``md``'s paired ``.ipynb`` is not up to date and output-free ([] if it is)."""
    ipynb = md.with_suffix(".ipynb")
    try:
        expected = notebook_from_markdown(md)
    except ValueError as err:
        return [str(err)]
    if not ipynb.exists():
        return [f"{ipynb.name} is missing"]
    found = nbformat.read(ipynb, as_version=4)
    found_problems = []
    with_outputs = [
        i
        for i, c in enumerate(found.cells)
        if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]
    if with_outputs:
        found_problems.append(f"{ipynb.name} holds outputs in cells {with_outputs}")
    # Compare through JSON so that NotebookNode and dict compare alike.
    if json.dumps(_essentials(found), sort_keys=True) != json.dumps(
        _essentials(expected), sort_keys=True
    ):
        found_problems.append(f"{ipynb.name} differs from {md.name}")
    return found_problems


def write_notebook(md: Path) -> Path:
    r"""Write ``md``'s paired notebook next to it and return its path."""
    ipynb = md.with_suffix(".ipynb")
    text = jupytext.writes(notebook_from_markdown(md), fmt="ipynb")
    ipynb.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    return ipynb


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="list stale notebooks and exit 1; write nothing"
    )
    parser.add_argument(
        "chapters", nargs="*", type=Path, help="chapter .md files (default: every one in book/)"
    )
    args = parser.parse_args(argv)
    chapters = [p.resolve() for p in args.chapters] or chapter_sources()

    stale = {md: problems(md) for md in chapters}
    stale = {md: why for md, why in stale.items() if why}
    if args.check:
        for md, why in stale.items():
            print(f"{_shown(md)}: " + "; ".join(why))
        if stale:
            print("Run: python tools/sync_notebooks.py", file=sys.stderr)
        return 1 if stale else 0
    for md in stale:
        print(f"wrote {_shown(write_notebook(md))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
