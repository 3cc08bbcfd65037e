r"""The student edition (``tools/student_edition.py``): notebooks a teacher can hand out.

- every chapter with exercises gets a notebook; no nbgrader marker and no line of solution
  code (marked or in a worked solution) survives in it, and no solution prose;
- executed as released, each exercise cell stops at ``NotImplementedError`` and each check
  cell after it fails with an ``AssertionError`` whose message says what to do (not a
  ``NameError`` or a crash elsewhere); every other cell runs;
- with the reference solution (the book's marked code) put back into each exercise cell, in
  the same kernel, every check passes;
- every exercise cell and check cell carries nbgrader's cell metadata (an autograded answer,
  autograder tests with points), with grade ids unique in the notebook; in the teacher's
  version (``--nbgrader``) every solution region and hidden test sits in a cell so marked
  (what ``nbgrader generate_assignment`` enforces), and clearing them gives the student
  edition.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import jupytext
import nbclient
import nbformat
import pytest
import yaml
from helpers import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tools"))

import student_edition as se  # noqa: E402

CHAPTERS = sorted(p for p in (REPO_ROOT / "book").glob("*.md") if se.has_exercises(p))
MARKERS = (se.BEGIN_SOLUTION, se.END_SOLUTION, se.BEGIN_HIDDEN, se.END_HIDDEN)


def _solution_code(path: Path) -> tuple[list[str], list[str]]:
    r"""The code of the chapter's worked solutions: (the code cells inside solutions, the
    code cells outside them), read from the book's source independently of the tool."""
    text = path.read_text(encoding="utf-8")
    inside, outside = [], []
    pieces = re.split(r"(```\{solution-start\}.*?```\{solution-end\})", text, flags=re.S)
    for k, piece in enumerate(pieces):
        cells = re.findall(r"```\{code-cell\} ipython3\n(.*?)\n```", piece, flags=re.S)
        (inside if k % 2 else outside).extend(cells)
    return inside, outside


def _code_lines(sources: list[str]) -> set[str]:
    return {line.strip() for source in sources for line in source.splitlines()}


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("student")
    written = se.main(["--out", str(out)])
    assert sorted(p.stem for p in written) == [p.stem for p in CHAPTERS]
    return out


def test_every_numbered_chapter_marks_an_exercise():
    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text(encoding="utf-8"))
    chapters = [
        Path(chapter["file"]).name
        for part in toc["parts"]
        if part.get("numbered")
        for chapter in part["chapters"]
    ]
    assert len(chapters) >= 14, chapters
    unmarked = [
        name
        for name in chapters
        if se.BEGIN_SOLUTION not in (REPO_ROOT / "book" / f"{name}.md").read_text(encoding="utf-8")
    ]
    assert not unmarked, f"chapters without a marked exercise: {unmarked}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_no_solution_survives(chapter, edition):
    nb = nbformat.read(edition / f"{chapter.stem}.ipynb", as_version=4)
    everything = "\n".join(cell.source for cell in nb.cells)
    for marker in MARKERS:
        assert marker not in everything, f"{chapter.stem}: {marker!r} survives"
    inside, outside = _solution_code(chapter)
    # lines of solution code that the chapter's own cells do not also hold
    secret = {
        line
        for line in _code_lines(inside) - _code_lines(outside)
        if len(line) > 12 and not line.startswith("#") and line not in MARKERS
    }
    # the lines outside the marked regions of exercise cells and the checks stay visible
    student_code = [c.source for c in nb.cells if c.cell_type == "code"]
    for source in inside:
        if se.BEGIN_SOLUTION in source or "exercise-check" in source:
            kept = se.remove_hidden_tests(se.clear_solutions(source))
            secret -= _code_lines([kept])
    leaked = secret & _code_lines(student_code)
    assert not leaked, f"{chapter.stem}: solution code in the student notebook: {sorted(leaked)}"
    # and no worked solution's prose: the first sentence of each solution is gone
    text = chapter.read_text(encoding="utf-8")
    for prose in re.findall(
        r"```\{solution-start\}[^\n]*\n(?::[^\n]*\n)*```\n\n([^\n`]{30,})", text
    ):
        assert prose not in everything, f"{chapter.stem}: solution prose survives: {prose!r}"


# Exercises whose worked solution holds code but that stay a pointer to the book, and why.
# Every other exercise with solution code is marked (test below): a new exercise must be
# marked, or listed here with its reason.
POINTERS = {
    "ex-td-learning-rate": "a measurement that trains three networks; its cell is being refolded",
}


def _exercises(path: Path) -> dict[str, str]:
    r"""``{label: the worked solution's text}`` of every exercise of the chapter, read from
    the source independently of the tool."""
    text = path.read_text(encoding="utf-8")
    labels = re.findall(r"```\{exercise\}\n:label: (\S+)", text)
    solutions = dict(
        re.findall(r"```\{solution-start\} (\S+)\n(.*?)```\{solution-end\}", text, flags=re.S)
    )
    assert set(labels) == set(solutions), f"{path.stem}: exercises {labels}, solutions {solutions}"
    return {label: solutions[label] for label in labels}


def test_every_code_exercise_is_marked_with_checks():
    marked, pointers = [], []
    for chapter in CHAPTERS:
        for label, solution in _exercises(chapter).items():
            cells = re.findall(r"```\{code-cell\} ipython3\n(.*?)\n```", solution, flags=re.S)
            answers = [k for k, cell in enumerate(cells) if se.BEGIN_SOLUTION in cell]
            if not answers:
                if cells:
                    assert label in POINTERS, (
                        f"{chapter.stem}: {label} has solution code but no marked answer: "
                        "mark it, or list it in POINTERS with the reason"
                    )
                    pointers.append(label)
                continue
            assert label not in POINTERS, f"{label} is marked: take it out of POINTERS"
            checks = [k for k, cell in enumerate(cells) if se.CHECK_TAG in cell]
            after = [k for k in checks if k > answers[0]]
            assert after, f"{chapter.stem}: {label} has a marked answer but no check cell after it"
            marked.append(label)
    assert sorted(pointers) == sorted(POINTERS), "POINTERS lists an exercise that is not a pointer"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_one_answer_cell_per_marked_exercise(chapter, edition):
    nb = nbformat.read(edition / f"{chapter.stem}.ipynb", as_version=4)
    answers = [
        cell.metadata["nbgrader"]["grade_id"]
        for cell in nb.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    ]
    marked = [
        f"{label}-answer"
        for label, solution in _exercises(chapter).items()
        if se.BEGIN_SOLUTION in solution
    ]
    assert answers == marked, f"{chapter.stem}: answer cells {answers}, marked {marked}"
    text = "\n".join(cell.source for cell in nb.cells)
    for label in _exercises(chapter):
        pointer = f"*The worked solution of `{label}` is in the book, in its fold.*"
        assert (pointer in text) == (f"{label}-answer" not in marked), (
            f"{chapter.stem}: {label}: a pointer to the book and a marked answer, or neither"
        )


ANSWER_KEYS = {"grade": False, "locked": False, "solution": True, "schema_version": 3}
CHECK_KEYS = {"grade": True, "locked": True, "solution": False, "schema_version": 3}


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_nbgrader_metadata(chapter, edition):
    nb = nbformat.read(edition / f"{chapter.stem}.ipynb", as_version=4)
    ids = []
    for k, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader")
        where = f"{chapter.stem}, cell {k}: {cell.source[:50]!r}"
        if cell.cell_type == "code" and "# YOUR CODE HERE" in cell.source:
            assert meta is not None, f"{where}: an exercise cell without nbgrader metadata"
            assert ANSWER_KEYS.items() <= meta.items(), f"{where}: {meta}"
        elif "exercise-check" in cell.metadata.get("tags", []):
            assert meta is not None, f"{where}: a check cell without nbgrader metadata"
            assert CHECK_KEYS.items() <= meta.items(), f"{where}: {meta}"
            assert isinstance(meta.get("points"), int) and meta["points"] > 0, where
        else:
            assert meta is None, f"{where}: nbgrader metadata on a cell of the chapter"
            continue
        assert re.fullmatch(r"[A-Za-z0-9_-]+", meta["grade_id"]), where
        ids.append(meta["grade_id"])
    assert len(ids) == len(set(ids)), f"{chapter.stem}: repeated grade ids {ids}"
    marked = se.BEGIN_SOLUTION in chapter.read_text(encoding="utf-8")
    assert bool(ids) == marked, f"{chapter.stem}: grade ids {ids}, marked exercise: {marked}"


@pytest.mark.parametrize(
    "chapter",
    [p for p in CHAPTERS if se.BEGIN_SOLUTION in p.read_text(encoding="utf-8")],
    ids=lambda p: p.stem,
)
def test_nbgrader_source_version(chapter, edition):
    source = se.student_notebook(chapter, teacher=True)
    released = nbformat.read(edition / f"{chapter.stem}.ipynb", as_version=4)
    assert len(source.cells) == len(released.cells)
    solutions = 0
    for k, (cell, student) in enumerate(zip(source.cells, released.cells, strict=True)):
        meta = cell.metadata.get("nbgrader", {})
        where = f"{chapter.stem}, cell {k}"
        if se.BEGIN_SOLUTION in cell.source:
            assert meta.get("solution") is True, (
                f"{where}: a solution region in a cell not so marked"
            )
            solutions += 1
        if se.BEGIN_HIDDEN in cell.source:
            assert meta.get("grade") is True, f"{where}: hidden tests in a cell not so marked"
        cleared = se.remove_hidden_tests(se.clear_solutions(cell.source))
        assert cleared == student.source, f"{where}: clearing does not give the student edition"
        assert cell.metadata.get("nbgrader") == student.metadata.get("nbgrader"), where
    assert solutions >= 1, f"{chapter.stem}: the teacher's version has no solution region"


def test_nbgrader_course_layout(tmp_path):
    chapter = REPO_ROOT / "book" / "pairs.md"
    se.main(
        ["--out", str(tmp_path / "student"), "--nbgrader", str(tmp_path / "course"), str(chapter)]
    )
    source = tmp_path / "course" / "source" / "pairs" / "pairs.ipynb"
    assert source.exists()
    assert se.BEGIN_SOLUTION in source.read_text(encoding="utf-8")


# A typical wrong answer to each exercise, and what its check must then say: after the
# reference solution has passed, the notebook runs the wrong answer and the check again
# (which must fail with an AssertionError holding the words), then the reference again
# (or both in a copy of the namespace: SIDE_EFFECT_FREE below).
WRONG_ANSWERS = {
    "er-ex-reshape": (
        "W_thin = np.array([[0.3, -1.2], [0.5, -1.2], [-1.2, 0.7]])",
        "differs from W_thin at the entries",
    ),
    "er-ex-second-order": (
        "second_order = eta_q**2 * (a_q * w_q) * a_q * (a_q * w_q)\neta_max = 2 / a_q",
        "a factor 1/2",
    ),
    "er-ex-noise-variance": ("eta_for_alpha = alpha / 2", "divide by the variance"),
    "nt-ex-mehmet-in-bl": (
        "delta1_mehmet = top.delta @ top.W.T\nS_hat = hidden.delta.T",
        "lacks the factor sigma'(z_1)",
    ),
    "nt-ex-swinn-update": (
        "epsilon = eta\nbook_change = -eta * hidden.o.T @ top.delta",
        "with epsilon = eta",
    ),
    "nt-ex-letters": (
        "W_ascent = W0 + alpha * dW\nb_ascent = b0 + alpha * db",
        "the note's step",
    ),
    "ex-pairs-tanh-rescaled": (
        "inner = 2 * s\ndelta_rescaled = o_rescaled - t",
        "inner derivative",
    ),
    "ex-pairs-two-classes": (
        "s_diff = S_two[:, 1:] - S_two[:, :1]\nt_sigmoid = T_two[:, :1]",
        "wrong sign",
    ),
    "ex-pairs-unnormalised": ("o_rest = [1, 1, 0]", "a softmax output sums to 1"),
    "ex-wu-rate": ("rising_rates = {5.0}", "with eta = 2.0 the loss rises"),
    "ex-wu-dead": ('changing = {"b1", "b2"}', "b1 does not change"),
    "ex-wu-path": (
        "def weights_after(lr, steps):\n    return flat(ExplorerModel(lr=lr).start)",
        "gives the start weights",
    ),
    "ex-wu-refused": ('reason = "refused"', "not the library's message"),
    "ex-ll-saturation": (
        "delta_se = o_sat - 1\ndelta_bce = o_sat - 1",
        "the factor f'(s) stays",
    ),
    "ex-ll-batch-mean": (
        "mean_dW1 = np.sum([net.backward(X[n:n + 1], T[n:n + 1])[0][0] for n in range(6)], axis=0)",
        "the sum of the six gradients",
    ),
    "ex-ff-two-class": ("z_two = s_2 - s_1", "wrong sign"),
    "ex-ff-scale": (
        "limit_small = np.zeros((1, 4))\nlimit_large = np.eye(1, 4)",
        "limit_small sums to 0",
    ),
    "ex-ff-no-bias": ("o_blank = np.full((64, 1), 0.5)", "(1, 64)"),
    "ex-bl-bias-trick": (
        "X_aug = np.hstack([X_col.T, np.ones((B, 1))])\nW_aug = np.vstack([W1, b1]).T",
        "has a row more than W",
    ),
    "ex-bl-gradient-shape": (
        "fd_entry = float(net_c.backward(X_col.T, T_col.T)[0][0][1, 0])",
        "the library's dW[1, 0]",
    ),
    "ex-gc-one-sample": ("caught_at_B1 = True\nsmallest_B = 1", "a sum and a mean"),
    "ex-gc-hiding": ("gap_leading = sp.Rational(2, 3) * s_**2", "the gap starts at order"),
    "ex-gc-climbing": (
        'catches = {"gradient check", "loss curve"}',
        "gradient check does not catch it",
    ),
    "ex-ml-bn-two": (
        "x_hat_two = (x_two - x_two.mean(axis=0)) / x_two.std(axis=0, ddof=1)",
        "divides by B, not by B - 1",
    ),
    "ex-ml-pool-tie": ("central_tie = np.array([1.0, 0, 0, 0])", "the library's routing"),
    "ex-op-adam-first": (
        "def adam_first_move(g, lr, betas=(0.9, 0.999), eps=1e-8):\n"
        "    return -lr * (1 - betas[0]) * g / (np.sqrt((1 - betas[1]) * g**2) + eps)\n"
        "moves_by_size = adam_first_move(np.array([1e-3, -0.5, 2.0, 4e3]), 0.01)",
        "bias corrections",
    ),
    "ex-op-velocity": ("v_after = g_ * mu_**steps_\nv_limit = g_", "v_after at t = 1"),
    "ex-rd-softmax-hidden": (
        "delta1_full = back * hidden.o * (1 - hidden.o)",
        "the elementwise version",
    ),
    "ex-rd-vanishing": (
        "def delta_norms(net):\n"
        "    return np.array([np.linalg.norm(la.delta) for la in net.layers[::-1]])",
        "reverse order",
    ),
    "ex-bh-target": (
        'by_paper = {"E": Fraction(1, 8), "delta2": Fraction(1, 2), '
        '"delta1": [Fraction(1, 4), 0], "dw21": Fraction(1, 4), "w21_new": Fraction(15, 16)}',
        "delta2 has the wrong sign",
    ),
    "ex-td-blank-bias": ("unchanged_biases = 3", "biases still have the value 0"),
    "ex-td-test-once": (
        "chosen_by_validation = test_scores.max()",
        "choose by the validation set",
    ),
    "ex-cnn-bn-mode": (
        "cnn.layers[5].training = True\n"
        "in_training_mode = float(np.mean(cnn.predict(as_images(X_test)) == y_test))",
        "back in evaluation mode",
    ),
    "ex-cnn-shift": (
        "shifted = np.zeros_like(images)\nshifted[:, :, :-1] = images[:, :, 1:]",
        "to the left",
    ),
}


# Wrong answers that only bind names, from values they do not change: they run with their
# check in a copy of the notebook's namespace (exec), which leaves the kernel as the reference
# left it, so the reference need not run a third time. Only where that saves real time: the
# reference of ex-td-test-once trains twenty networks.
SIDE_EFFECT_FREE = {"ex-td-test-once"}


def _in_copy(source: str) -> str:
    r"""A cell that runs ``source`` in ``_wrong_ns``, a copy of the namespace made by
    :func:`_fresh_copy`: what it binds never reaches the notebook's names."""
    return f"exec(compile({source!r}, '<cell>', 'exec'), _wrong_ns)"


def _fresh_copy(source: str) -> str:
    return "_wrong_ns = dict(globals())\n" + _in_copy(source)


def test_wrong_answers_name_marked_exercises():
    marked = {
        label
        for chapter in CHAPTERS
        for label, solution in _exercises(chapter).items()
        if se.BEGIN_SOLUTION in solution
    }
    assert set(WRONG_ANSWERS) <= marked, sorted(set(WRONG_ANSWERS) - marked)
    assert SIDE_EFFECT_FREE <= set(WRONG_ANSWERS), sorted(SIDE_EFFECT_FREE - set(WRONG_ANSWERS))


def _error(cell) -> tuple[str, str] | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return output["ename"], output["evalue"]
    return None


@pytest.mark.slow
@pytest.mark.parametrize(
    "chapter",
    [p for p in CHAPTERS if se.BEGIN_SOLUTION in p.read_text(encoding="utf-8")],
    ids=lambda p: p.stem,
)
def test_released_fails_helpfully_and_reference_passes(chapter, edition):
    nb = nbformat.read(edition / f"{chapter.stem}.ipynb", as_version=4)
    # the reference solutions, in order, from the book's source
    book = jupytext.read(chapter)
    references = [
        c.source for c in book.cells if c.cell_type == "code" and se.BEGIN_SOLUTION in c.source
    ]
    cells, roles, expected = [], [], {}
    pending = label = None
    for cell in nb.cells:
        cells.append(cell)
        if cell.cell_type != "code":
            roles.append("text")
        elif "raise NotImplementedError()" in cell.source and "# YOUR CODE HERE" in cell.source:
            roles.append("exercise")
            pending = references.pop(0)
            label = cell.metadata["nbgrader"]["grade_id"].removesuffix("-answer")
        elif "exercise-check" in cell.metadata.get("tags", []):
            roles.append("check")
            assert pending is not None, f"{chapter.stem}: a check cell without an exercise cell"
            # the reference solution, then the same check again
            cells.append(nbformat.v4.new_code_cell(pending))
            roles.append("reference")
            cells.append(nbformat.v4.new_code_cell(cell.source))
            roles.append("check-again")
            if label in WRONG_ANSWERS:
                wrong, words = WRONG_ANSWERS[label]
                expected[len(cells) + 1] = words
                if label in SIDE_EFFECT_FREE:  # in a copy of the namespace, dropped after
                    wrong, check = _fresh_copy(wrong), _in_copy(cell.source)
                else:  # then the reference again, for the cells below
                    check = cell.source
                for source, role in ((wrong, "wrong answer"), (check, "wrong-check")):
                    cells.append(nbformat.v4.new_code_cell(source))
                    roles.append(role)
                if label not in SIDE_EFFECT_FREE:
                    cells.append(nbformat.v4.new_code_cell(pending))
                    roles.append("reference")
            pending = None
        else:
            roles.append("chapter")
    assert not references, f"{chapter.stem}: {len(references)} marked solutions not in the notebook"
    run = nbformat.v4.new_notebook(cells=cells, metadata=nb.metadata)
    nbclient.NotebookClient(
        run,
        timeout=600,
        allow_errors=True,
        resources={"metadata": {"path": str(REPO_ROOT / "book")}},
    ).execute()
    problems = []
    for k, (cell, role) in enumerate(zip(run.cells, roles, strict=True)):
        error = _error(cell) if cell.cell_type == "code" else None
        where = f"{chapter.stem}, cell {k} ({role}): {cell.source[:60]!r}"
        if role == "exercise":
            if error is None or error[0] != "NotImplementedError":
                problems.append(f"{where}: released, it gave {error}, not NotImplementedError")
        elif role == "wrong-check":
            if error is None or error[0] != "AssertionError" or expected[k] not in error[1]:
                problems.append(f"{where}: a wrong answer gave {error}, not {expected[k]!r}")
        elif role == "check":
            if error is None:
                problems.append(f"{where}: the check passes on the unfinished exercise")
            elif error[0] != "AssertionError" or len(error[1]) < 20:
                problems.append(f"{where}: not a helpful failure: {error}")
        elif error is not None:
            problems.append(f"{where}: {error[0]}: {error[1][:300]}")
        if role != "text":  # the book's build fails on stderr: so does this run
            stderr = [o for o in cell.get("outputs", []) if o.get("name") == "stderr"]
            if stderr:
                problems.append(f"{where}: stderr: {stderr[0]['text'][:300]}")
    assert not problems, "\n".join(problems)


def test_task_names_what_the_student_defines():
    source = (
        "def f(x):\n"
        "    for i in range(3):\n"
        "        ### BEGIN SOLUTION\n"
        "        y = x + i\n"
        "        ### END SOLUTION\n"
        "    return y\n"
        "\n"
        "\n"
        "### BEGIN SOLUTION\n"
        "total = sum([v for v in (1, 2)])\n"
        "### END SOLUTION\n"
    )
    # not the function's local y, nor the comprehension's v: only total, and the function
    assert se.defined_names(source) == ["total"]
    assert se.enclosing_functions(source) == ["f"]


def test_a_region_in_a_loop_after_a_function_is_not_in_that_function():
    source = (
        "def helper():\n"
        "    return 1\n"
        "\n"
        "\n"
        "for k in range(3):\n"
        "    ### BEGIN SOLUTION\n"
        "    x = k\n"
        "    ### END SOLUTION\n"
    )
    assert se.enclosing_functions(source) == []
    assert se.defined_names(source) == ["x"]


def test_the_edition_is_the_same_file_on_every_run(tmp_path):
    chapter = CHAPTERS[0]
    first, second = tmp_path / "a", tmp_path / "b"
    (written,) = se.main([str(chapter), "--out", str(first)])
    se.main([str(chapter), "--out", str(second)])
    assert written.read_bytes() == (second / written.name).read_bytes()
    nbformat.validate(nbformat.read(written, as_version=4))
