r"""Keep the chapters' code within 80 characters a line, the width of the text column.

    python tools/code_width.py            # list the code lines over 80 characters; exit 1 if any
    python tools/code_width.py --fix      # shorten them in place, then list what is left

A line of a ``{code-cell}`` of ``book/*.md`` longer than ``MAX_WIDTH`` overflows the text
column at 1280 px (the browser test ``tests/book/test_site_layout.py`` measures it). ``--fix``
changes only those lines: the innermost simple statement holding a long line is formatted
alone by ``ruff format`` (at the width its indentation leaves), and a long comment line is
wrapped at a space. Nothing else of a cell changes. Lines it cannot shorten (a long string,
a compound statement's header) are listed, to shorten by hand. Run
``tools/sync_notebooks.py`` afterwards to regenerate the paired notebooks.
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import subprocess
import sys
import textwrap
import tokenize
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BOOK_DIR = REPO_ROOT / "book"
MAX_WIDTH = 80
FENCE = re.compile(r"^(`{3,})\{code-cell\}")
TRAILING_COMMENT = re.compile(r"^([)\]}]+[,:]?)(\s+)(#.*)$")


def code_cells(lines: list[str]) -> list[tuple[int, int]]:
    r"""``[(first, end), ...]``: the code lines of each code cell, ``lines[first:end]``
    (after the fence and the cell's options)."""
    cells = []
    k = 0
    while k < len(lines):
        match = FENCE.match(lines[k])
        if not match:
            k += 1
            continue
        fence = match.group(1)
        k += 1
        if k < len(lines) and lines[k].strip() == "---":  # a YAML block of options
            k += 1
            while k < len(lines) and lines[k].strip() != "---":
                k += 1
            k += 1
        while k < len(lines) and lines[k].startswith(":"):  # short options
            k += 1
        first = k
        while k < len(lines) and lines[k].rstrip() != fence:
            k += 1
        cells.append((first, k))
        k += 1
    return cells


def long_lines(path: Path) -> list[tuple[int, str]]:
    r"""``[(line number, line), ...]`` of the code lines of ``path`` over ``MAX_WIDTH``."""
    lines = path.read_text(encoding="utf-8").split("\n")
    return [
        (k + 1, lines[k])
        for first, end in code_cells(lines)
        for k in range(first, end)
        if len(lines[k]) > MAX_WIDTH
    ]


def _ruff_format(source: str, width: int) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--isolated", f"--line-length={width}", "-"],
        input=source,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def _wrap_comment(line: str) -> list[str]:
    indent = line[: len(line) - len(line.lstrip())]
    text = line.strip()[1:].strip()
    return textwrap.wrap(
        text,
        width=MAX_WIDTH,
        initial_indent=f"{indent}# ",
        subsequent_indent=f"{indent}# ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def _comment_above(line: str) -> list[str]:
    r"""``code  # comment`` as two lines, the comment first (a real comment token only)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line + "\n").readline))
    except (tokenize.TokenError, SyntaxError):
        return [line]
    comments = [t for t in tokens if t.type == tokenize.COMMENT]
    if not comments:
        return [line]
    column = comments[-1].start[1]
    return [line[column:], line[:column].rstrip()]


def _innermost_simple(tree: ast.AST, line: int) -> ast.stmt | None:
    best = None
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and node.lineno <= line <= node.end_lineno:
            if hasattr(node, "body"):  # a compound statement: look inside it
                continue
            if best is None or node.lineno >= best.lineno:
                best = node
    return best


def shorten_cell(code: list[str]) -> list[str]:
    r"""The cell's lines with each long line shortened where it can be (see the module)."""
    source = "\n".join(code)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return code
    edits: dict[tuple[int, int], list[str]] = {}
    comments = []
    for k, line in enumerate(code, start=1):
        if len(line) <= MAX_WIDTH:
            continue
        if line.lstrip().startswith("#"):
            comments.append(k)
            continue
        node = _innermost_simple(tree, k)
        if node is None or (node.lineno, node.end_lineno) in edits:
            continue
        start, end = node.lineno, node.end_lineno
        block = code[start - 1 : end]
        indent = block[0][: len(block[0]) - len(block[0].lstrip())]
        dedented = textwrap.dedent("\n".join(block))
        if not dedented.startswith(block[0].lstrip()[:1]):
            continue
        formatted = _ruff_format(dedented + "\n", MAX_WIDTH - len(indent)).rstrip("\n")
        new = formatted.split("\n")
        trailing = TRAILING_COMMENT.match(new[-1])
        if len(new) > 1 and trailing:  # ")  # comment" reads better as a line above
            width = MAX_WIDTH - len(indent)
            bare = "\n".join([*new[:-1], trailing.group(1)]) + "\n"
            new = _ruff_format(bare, width).rstrip("\n").split("\n")
            comment = trailing.group(3)
            if len(new) == 1 and len(new[0]) + 2 + len(comment) <= width:
                new = [f"{new[0]}  {comment}"]
            else:
                new = [comment, *new]
        if len(new) == 1 and len(indent + new[0]) > MAX_WIDTH:
            new = _comment_above(new[0])
        edits[(start, end)] = [indent + s if s else s for s in new]
    for k in comments:  # a comment inside a statement being formatted waits for a next pass
        if not any(start <= k <= end for start, end in edits):
            edits[(k, k)] = _wrap_comment(code[k - 1])
    for (start, end), new in sorted(edits.items(), reverse=True):
        code[start - 1 : end] = new
    return code


def fix(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    for _ in range(3):  # a comment inside a formatted statement needs a second pass
        for first, end in reversed(code_cells(lines)):
            if any(len(line) > MAX_WIDTH for line in lines[first:end]):
                lines[first:end] = shorten_cell(lines[first:end])
    new = "\n".join(lines)
    if new != text:
        path.write_text(new, encoding="utf-8")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fix", action="store_true", help="shorten the long lines in place")
    parser.add_argument("files", nargs="*", type=Path, help="default: book/*.md")
    args = parser.parse_args(argv)
    files = args.files or sorted(BOOK_DIR.glob("*.md"))
    left = 0
    for path in files:
        if args.fix:
            fix(path)
        for number, line in long_lines(path):
            left += 1
            where = path.resolve().relative_to(REPO_ROOT)
            print(f"{where}:{number}: {len(line)} characters: {line.strip()[:60]}")
    print(f"{left} code lines over {MAX_WIDTH} characters")
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
