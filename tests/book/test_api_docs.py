r"""tools/api_docs.py, the Sphinx extension behind the API page (book/api.md), without a
build: its ``$...$`` conversion and its import of a dotted name. (The strict build checks
the page itself: every cross-reference of a rendered docstring resolves.)"""

from __future__ import annotations

import ast
import re
import sys

import pytest
from book_paths import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tools"))
import api_docs  # noqa: E402

pytestmark = pytest.mark.book


def test_dollar_maths_becomes_math_roles():
    assert api_docs.dollar_maths(r"$\max |a - b|$ over all") == r":math:`\max |a - b|` over all"
    # across a line break, but not across a blank line (a new paragraph)
    assert api_docs.dollar_maths("$a\nb$") == ":math:`a\nb`"
    assert api_docs.dollar_maths("$a\n\nb$") == "$a\n\nb$"


def test_dollar_maths_leaves_code_and_display_maths():
    assert api_docs.dollar_maths("``$x$`` and $$y$$") == "``$x$`` and $$y$$"
    assert api_docs.dollar_maths(r"\$5") == r"\$5"


def test_import_reaches_objects_by_their_dotted_names():
    from backprop_lib.pairs import output_loss

    assert api_docs._import("backprop_lib.pairs.output_loss") == (True, output_loss)
    assert api_docs._import("backprop_lib.output_loss") == (True, output_loss)
    # a misspelt or removed name names nothing: the build then keeps -n's warning
    assert api_docs._import("backprop_lib.pairs.output_los") == (False, None)
    assert api_docs._import("no_such_module.x") == (False, None)


_SECTIONS = {"Parameters", "Other Parameters", "Attributes", "Returns", "Yields", "Raises"}


def _swallowed(doc: str) -> list[str]:
    """The paragraphs napoleon would read as one more entry of a NumPy section: unindented
    prose after a blank line inside Parameters, Returns, ... (an entry is ``name : type``).
    Prose after a section belongs under a header of its own, e.g. ``Notes``."""
    lines, found, section = doc.split("\n"), [], False
    for i, line in enumerate(lines):
        underline = i + 1 < len(lines) and re.fullmatch(r"-{3,}", lines[i + 1].strip())
        if underline and line.strip():
            section = line.strip() in _SECTIONS
        elif (
            section
            and line
            and not line.startswith(" ")
            and lines[i - 1] == ""
            and not re.fullmatch(r"-{3,}", line.strip())
            and not re.fullmatch(r"[\w, *]+( : .*)?", line)
        ):
            found.append(line)
    return found


def test_no_docstring_prose_is_read_as_a_section_entry():
    swallowed = {}
    for path in sorted((REPO_ROOT / "backprop_lib").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)):
                doc = ast.get_docstring(node)
                if doc and (lines := _swallowed(doc)):
                    swallowed[f"{path.name}:{getattr(node, 'name', 'module')}"] = lines
    assert not swallowed, f"put a 'Notes' header before: {swallowed}"


def test_the_swallowed_prose_check_can_fail():
    doc = "Sum.\n\nParameters\n----------\nx : int\n    A number.\n\nThe sum is exact."
    assert _swallowed(doc) == ["The sum is exact."]
    assert _swallowed(doc.replace("\n\nThe sum", "\n\nNotes\n-----\nThe sum")) == []
