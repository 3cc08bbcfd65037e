r"""Generate the equation map of ``backprop_lib/README.md`` from the ``# eq:`` comments.

    python tools/equation_map.py            # rewrite the map in backprop_lib/README.md
    python tools/equation_map.py --check    # exit 1 (and show the diff) if it is stale

A code line of ``backprop_lib/**/*.py`` that computes an equation of the book carries its
label in a comment, ``s = o_prev @ self.W + self.b  # eq:ff-preact``. This tool collects
every such comment (comments only: a label named in a docstring is prose, not a code line),
the function or method it sits in (``Dense.outputs``; ``(module)`` at the top level), and
the chapter of ``book/*.md`` that defines the label (``$$ (eq:...)`` or ``(eq:...)=``). It
writes one table row per label, in the order of the book's chapters, between the markers
``<!-- equation-map:start -->`` and ``<!-- equation-map:end -->`` of the README; the prose
around them is kept as written. A label named in the code but defined by no chapter is an
error (``tests/book/test_equation_labels.py`` says the same). ``--check`` runs in pre-commit and
in the test suite (``tests/book/test_equation_map.py``), so the map cannot drift from the code.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import io
import re
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
LIBRARY = REPO_ROOT / "backprop_lib"
README = LIBRARY / "README.md"
BOOK = REPO_ROOT / "book"
TOC = REPO_ROOT / "_toc.yml"
START, END = "<!-- equation-map:start -->", "<!-- equation-map:end -->"

#: A label as the code names it: ``eq:`` then lower-case words and hyphens.
LABEL = re.compile(r"\beq:([a-z0-9]+(?:-[a-z0-9]+)*)")
#: A label as a chapter defines it: after a display equation, or as a target.
DEFINED = re.compile(r"^\$\$\s*\(eq:([a-z0-9-]+)\)\s*$|^\(eq:([a-z0-9-]+)\)=\s*$", re.M)


@dataclass(frozen=True)
class Use:
    """One labelled code line: ``label`` at ``path:line`` inside ``function``."""

    label: str
    path: str  # relative to backprop_lib/
    line: int
    function: str


def _scopes(tree: ast.AST) -> list[tuple[int, int, str]]:
    """``(first line, last line, qualified name)`` of every function and class of a module."""
    found = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                found.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def uses_in(source: str, path: str) -> list[Use]:
    """Every ``# eq:`` comment of the Python ``source`` (file ``path``), with the innermost
    function or class around it."""
    scopes = _scopes(ast.parse(source))
    uses = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.COMMENT:
            continue
        line = token.start[0]
        inside = [s for s in scopes if s[0] <= line <= s[1]]
        function = max(inside, key=lambda s: s[0])[2] if inside else "(module)"
        for label in LABEL.findall(token.string):
            uses.append(Use(label, path, line, function))
    return uses


def library_uses(library: Path = LIBRARY) -> list[Use]:
    """The labelled code lines of every module of the library."""
    uses = []
    for file in sorted(library.rglob("*.py")):
        uses += uses_in(file.read_text(), file.relative_to(library).as_posix())
    return uses


def chapter_order(book: Path = BOOK, toc: Path = TOC) -> list[Path]:
    """The chapters in the order of ``_toc.yml`` (its ``file:`` entries, in order), then any
    other ``book/*.md`` alphabetically."""
    pages = sorted(book.glob("*.md"))
    named = re.findall(r"file:\s*([\w./-]+)", toc.read_text()) if toc.exists() else []
    ordered = [book.parent / f"{Path(n).with_suffix('')}.md" for n in named]
    ordered = [p for p in dict.fromkeys(ordered) if p.exists()]
    return ordered + [p for p in pages if p not in ordered]


def defined_labels(book: Path = BOOK) -> dict[str, str]:
    """``{label: chapter file name}`` for every label a chapter defines (the first one)."""
    where: dict[str, str] = {}
    for page in chapter_order(book):
        for a, b in DEFINED.findall(page.read_text()):
            where.setdefault(a or b, page.name)
    return where


def table(uses: list[Use], defined: dict[str, str]) -> str:
    """The map: one row per label, in the order the book defines them (chapters in the order
    of ``_toc.yml``), each with the files and functions whose lines carry it."""
    missing = sorted({u.label for u in uses} - set(defined))
    if missing:
        places = [f"eq:{u.label} at {u.path}:{u.line}" for u in uses if u.label in missing]
        raise SystemExit(
            "equation_map: labels named in the code but defined in no chapter of book/: "
            + ", ".join(places)
        )
    order = {label: k for k, label in enumerate(defined)}
    by_label: dict[str, list[Use]] = {}
    for use in uses:
        by_label.setdefault(use.label, []).append(use)
    rows = [
        "| label | defined in | file | function |",
        "|---|---|---|---|",
    ]
    for label in sorted(by_label, key=order.__getitem__):
        # no line numbers: the map changes when a label moves, not when a line above it does
        files = list(dict.fromkeys(f"`{u.path}`" for u in by_label[label]))
        functions = list(dict.fromkeys(f"`{u.function}`" for u in by_label[label]))
        rows.append(
            f"| `eq:{label}` | `book/{defined[label]}` | {', '.join(files)} | "
            f"{', '.join(functions)} |"
        )
    return "\n".join(rows)


def render(readme_text: str, uses: list[Use], defined: dict[str, str]) -> str:
    """``readme_text`` with the table between the markers replaced by a fresh one."""
    if START not in readme_text or END not in readme_text:
        raise SystemExit(f"equation_map: {README} lacks the markers {START} and {END}.")
    head, rest = readme_text.split(START, 1)
    _, tail = rest.split(END, 1)
    note = (
        "<!-- generated by tools/equation_map.py from the # eq: comments of the code; "
        "do not edit by hand -->"
    )
    return f"{head}{START}\n{note}\n\n{table(uses, defined)}\n\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the README's map is stale; write nothing"
    )
    args = parser.parse_args(argv)
    current = README.read_text()
    fresh = render(current, library_uses(), defined_labels())
    if args.check:
        if fresh != current:
            diff = difflib.unified_diff(
                current.splitlines(True), fresh.splitlines(True), "README.md", "generated"
            )
            sys.stdout.writelines(diff)
            print("\nbackprop_lib/README.md is stale: run `python tools/equation_map.py`.")
            return 1
        return 0
    if fresh != current:
        README.write_text(fresh)
        print(f"wrote {README.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
