r"""Write the student edition: one notebook per chapter with exercises, to hand out.

    python tools/student_edition.py                 # every chapter, into _build/student/
    python tools/student_edition.py --out DIR book/pairs.md
    python tools/student_edition.py --nbgrader DIR  # also nbgrader's source: DIR/source/NAME/

Each chapter ``book/NAME.md`` that has exercises becomes ``_build/student/NAME.ipynb``: the
whole chapter (its code runs as in the book), with the worked solutions taken out. The
exercises whose solution code is marked in nbgrader's conventions become work for the
student:

- in a solution's code cell, each region between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION`` is replaced by ``# YOUR CODE HERE`` and
  ``raise NotImplementedError()`` (at the region's indentation);
- the solution's check cells (tagged ``exercise-check``) follow it, without their regions
  between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` (those stay with the
  teacher, for ``nbgrader autograde``); their messages say what is wrong (a shape, a factor,
  a sign);
- the solution's prose, and every code cell of a solution that holds neither, are left out.

Exercises without marked code keep their statement; their solution is replaced by a pointer
to the book. No marker and no solution code survives (``tests/chapters/test_student_edition.py``).
The notebooks have no outputs; the chapter's own cells run before the exercises, so a
student runs the notebook from the top.

**nbgrader.** Each exercise cell carries nbgrader's cell metadata for an autograded answer
(``{"nbgrader": {"solution": true, "grade": false, "locked": false, ...}}``) and each check
cell that of autograder tests (``"grade": true, "locked": true, "points": 1``), with a
``grade_id`` unique in the notebook (the exercise's label). With ``--nbgrader DIR`` the tool
also writes the teacher's version, ``DIR/source/NAME/NAME.ipynb``: the same notebook with the
solution regions and the hidden tests still in, in the course layout that ``nbgrader
generate_assignment NAME`` (run in ``DIR``) turns into the release and ``nbgrader
autograde`` grades.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import textwrap
from pathlib import Path

import jupytext
import nbformat

REPO_ROOT = Path(__file__).resolve().parent.parent
BOOK_DIR = REPO_ROOT / "book"
OUT_DIR = REPO_ROOT / "_build" / "student"

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CHECK_TAG = "exercise-check"
NBGRADER_SCHEMA = 3  # the version of nbgrader's cell metadata written here
SOLUTION_START = re.compile(r"^```\{solution-start\}\s+(\S+)")
EXERCISE = re.compile(r"^```\{exercise\}", re.M)
FENCE_END = re.compile(r"^```\s*$")


def has_exercises(path: Path) -> bool:
    return bool(EXERCISE.search(path.read_text(encoding="utf-8")))


def _regions(source: str, begin: str, end: str) -> list[tuple[int, int]]:
    r"""``[(first, last), ...]``: line indices of each marker pair (inclusive)."""
    lines = source.split("\n")
    regions, start = [], None
    for k, line in enumerate(lines):
        if line.strip() == begin:
            if start is not None:
                raise ValueError(f"nested {begin!r} at line {k + 1}:\n{source}")
            start = k
        elif line.strip() == end:
            if start is None:
                raise ValueError(f"{end!r} without {begin!r} at line {k + 1}:\n{source}")
            regions.append((start, k))
            start = None
    if start is not None:
        raise ValueError(f"{begin!r} without {end!r}:\n{source}")
    return regions


def solution_regions(source: str) -> list[str]:
    r"""The code between each ``### BEGIN SOLUTION`` / ``### END SOLUTION`` pair."""
    lines = source.split("\n")
    return ["\n".join(lines[a + 1 : b]) for a, b in _regions(source, BEGIN_SOLUTION, END_SOLUTION)]


def defined_names(source: str) -> list[str]:
    r"""The names the marked solution regions of a cell assign at the top level (what the
    student defines); not a function's locals, nor a comprehension's loop variables."""
    names: list[str] = []
    inside = _regions_in_functions(source)
    for k, region in enumerate(solution_regions(source)):
        if inside[k]:
            continue  # a function's body: enclosing_functions() names it
        try:
            tree = ast.parse(textwrap.dedent(region))
        except SyntaxError:  # a region inside a block
            continue
        if any(isinstance(node, ast.Return) for node in ast.walk(tree)):
            continue
        loop_variables = {
            node.id
            for comprehension in ast.walk(tree)
            if isinstance(comprehension, ast.comprehension)
            for node in ast.walk(comprehension.target)
            if isinstance(node, ast.Name)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                if node.id not in names and node.id not in loop_variables:
                    names.append(node.id)
    return names


def _region_functions(source: str) -> list[str | None]:
    r"""For each marked solution region: the name of the ``def`` whose body holds it, or
    None. Walks back through the blocks that enclose the region (each line indented less
    than the last one found) and stops at the first ``def`` or at the module's level."""
    lines = source.split("\n")
    found: list[str | None] = []
    for a, _ in _regions(source, BEGIN_SOLUTION, END_SOLUTION):
        indent = len(lines[a]) - len(lines[a].lstrip())
        name = None
        for line in reversed(lines[:a]):
            stripped = line.lstrip()
            if not stripped:
                continue
            depth = len(line) - len(stripped)
            if depth < indent:
                match = re.match(r"def (\w+)\(", stripped)
                if match:
                    name = match.group(1)
                    break
                indent = depth
                if depth == 0:
                    break
        found.append(name)
    return found


def _regions_in_functions(source: str) -> list[bool]:
    r"""For each marked solution region: whether it lies in the body of a ``def``."""
    return [name is not None for name in _region_functions(source)]


def enclosing_functions(source: str) -> list[str]:
    r"""The functions whose body holds a marked solution region (the student completes them)."""
    return [name for name in _region_functions(source) if name is not None]


def clear_solutions(source: str) -> str:
    r"""Each marked solution region becomes ``# YOUR CODE HERE`` / ``raise
    NotImplementedError()`` at the indentation of its ``### BEGIN SOLUTION`` line."""
    lines = source.split("\n")
    for a, b in reversed(_regions(source, BEGIN_SOLUTION, END_SOLUTION)):
        indent = lines[a][: len(lines[a]) - len(lines[a].lstrip())]
        lines[a : b + 1] = [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError()"]
    return "\n".join(lines)


def remove_hidden_tests(source: str) -> str:
    lines = source.split("\n")
    for a, b in reversed(_regions(source, BEGIN_HIDDEN, END_HIDDEN)):
        del lines[a : b + 1]
    return "\n".join(lines)


def _split_markdown(source: str, in_solution: bool) -> tuple[list[tuple[bool, str]], bool]:
    r"""Split a markdown cell's lines into runs inside and outside solutions; return the
    runs ``[(inside, text), ...]`` and whether the cell ends inside a solution."""
    runs: list[tuple[bool, list[str]]] = []
    lines = source.split("\n")
    k = 0
    while k < len(lines):
        line = lines[k]
        start = SOLUTION_START.match(line)
        if not in_solution and start:
            in_solution = True
            runs.append((True, [f"@@solution {start.group(1)}"]))
            runs.append((True, []))
            k += 1
            while k < len(lines) and not FENCE_END.match(lines[k]):
                k += 1  # the directive's options
            k += 1
            continue
        if in_solution and line.startswith("```{solution-end}"):
            in_solution = False
            runs.append((False, ["@@end"]))
            runs.append((False, []))
            k += 1
            if k < len(lines) and FENCE_END.match(lines[k]):
                k += 1
            continue
        if not runs or runs[-1][0] != in_solution:
            runs.append((in_solution, []))
        runs[-1][1].append(line)
        k += 1
    return [(inside, "\n".join(text)) for inside, text in runs], in_solution


def nbgrader_metadata(grade_id: str, answer: bool) -> dict:
    r"""nbgrader's cell metadata (schema 3): an autograded answer (``answer``: the student
    edits it; nbgrader clears its solution regions) or autograder tests (locked, one point;
    nbgrader removes their hidden tests from the release)."""
    meta = {
        "grade": not answer,
        "grade_id": grade_id,
        "locked": not answer,
        "schema_version": NBGRADER_SCHEMA,
        "solution": answer,
        "task": False,
    }
    if not answer:
        meta["points"] = 1
    return meta


def student_notebook(path: Path, teacher: bool = False) -> nbformat.NotebookNode:
    r"""The student edition of chapter ``path`` (see the module's docstring); with
    ``teacher``, nbgrader's source version: the solution regions and hidden tests kept."""
    nb = jupytext.read(path)
    cells = []
    counts: dict[str, int] = {}

    def grade_id(kind: str) -> str:
        key = f"{label}-{kind}"
        counts[key] = counts.get(key, 0) + 1
        return key if counts[key] == 1 else f"{key}-{counts[key]}"

    in_solution = False
    marked = False  # the current solution has a marked code cell
    label = None

    def note_for_unmarked() -> None:
        if label is not None and not marked:
            cells.append(
                nbformat.v4.new_markdown_cell(
                    f"*The worked solution of `{label}` is in the book, in its fold.*"
                )
            )

    for cell in nb.cells:
        if cell.cell_type == "markdown":
            runs, in_solution = _split_markdown(cell.source, in_solution)
            for inside, text in runs:
                if text.startswith("@@solution "):
                    label, marked = text.split()[1], False
                elif text == "@@end":
                    note_for_unmarked()
                    label = None
                elif not inside and text.strip():
                    cells.append(nbformat.v4.new_markdown_cell(text.strip("\n")))
            continue
        if cell.cell_type != "code":
            continue
        if not in_solution:
            cells.append(_code_cell(cell.source, cell.metadata))
            continue
        tags = cell.metadata.get("tags", [])
        if BEGIN_SOLUTION in cell.source:
            marked = True
            names = defined_names(cell.source)
            functions = enclosing_functions(cell.source)
            tasks = [f"define `{n}`" for n in names]
            tasks += [f"complete the function `{f}`" for f in functions]
            task = ", ".join(tasks) or "complete the code where it says so"
            cells.append(
                nbformat.v4.new_markdown_cell(f"**Your code** (exercise `{label}`): {task}.")
            )
            source = cell.source if teacher else remove_hidden_tests(clear_solutions(cell.source))
            answer = _code_cell(source, {})
            answer.metadata["nbgrader"] = nbgrader_metadata(grade_id("answer"), answer=True)
            cells.append(answer)
        elif CHECK_TAG in tags:
            source = (cell.source if teacher else remove_hidden_tests(cell.source)).strip("\n")
            check = _code_cell("# Checks of your answer above\n" + source, {"tags": [CHECK_TAG]})
            check.metadata["nbgrader"] = nbgrader_metadata(grade_id("check"), answer=False)
            cells.append(check)
    if in_solution:
        raise ValueError(f"{path.name}: the solution {label} has no end")
    title = nbformat.v4.new_markdown_cell(
        "*Student edition of this chapter of* Backprop, executed. *Run it from the top. "
        "Where a cell says `# YOUR CODE HERE`, replace `raise NotImplementedError()` with "
        "your code; the cell after it checks your answer and says what is wrong.*"
    )
    out = nbformat.v4.new_notebook(cells=[title, *cells], metadata=dict(nb.metadata))
    out.metadata.pop("jupytext", None)
    for k, cell in enumerate(out.cells):  # nbformat's ids are random: the same file each run
        cell.id = f"{path.stem}-{k}"
    return out


def _code_cell(source: str, metadata: dict) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    tags = [t for t in metadata.get("tags", []) if t not in ("remove-input", "hide-input")]
    if tags:
        cell.metadata["tags"] = tags
    return cell


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", nargs="*", type=Path, help="chapter .md files")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="folder (default %(default)s)")
    parser.add_argument(
        "--nbgrader",
        type=Path,
        metavar="DIR",
        help="also write nbgrader's source version of each notebook, DIR/source/NAME/NAME.ipynb",
    )
    args = parser.parse_args(argv)
    chapters = args.chapters or sorted(BOOK_DIR.glob("*.md"))
    args.out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in chapters:
        if not has_exercises(path):
            continue
        nb = student_notebook(path)
        target = args.out / f"{path.stem}.ipynb"
        nbformat.write(nb, target)
        written.append(target)
        print(f"{target.relative_to(REPO_ROOT) if target.is_relative_to(REPO_ROOT) else target}")
        if args.nbgrader is not None and any("nbgrader" in cell.metadata for cell in nb.cells):
            source = args.nbgrader / "source" / path.stem / f"{path.stem}.ipynb"
            source.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(student_notebook(path, teacher=True), source)
            print(source)
    return written


if __name__ == "__main__":
    main(sys.argv[1:])
