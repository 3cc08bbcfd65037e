"""Every equation label the library names (``eq:...`` in ``backprop_lib/**/*.py`` and in
``backprop_lib/README.md``) is defined in the book (``$$ (eq:...)`` or ``(eq:...)=`` in
``book/*.md``), so a reader can go from a line of code to its equation and back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import REPO_ROOT

ROOT = REPO_ROOT
LIBRARY = ROOT / "backprop_lib"

#: A label as the code and the README name it: ``eq:`` then lower-case words and hyphens.
NAMED = re.compile(r"\beq:([a-z0-9]+(?:-[a-z0-9]+)*)")
#: A label as a chapter defines it: after a display equation, or as a target.
DEFINED = re.compile(r"^\$\$\s*\(eq:([a-z0-9-]+)\)\s*$|^\(eq:([a-z0-9-]+)\)=\s*$", re.M)


def defined_labels(pages) -> set[str]:
    """The labels the book's pages define."""
    return {a or b for page in pages for a, b in DEFINED.findall(page.read_text())}


def named_labels(files, root: Path = ROOT) -> dict[str, list[str]]:
    """``{label: [file:line, ...]}`` for every ``eq:`` label the files name."""
    found: dict[str, list[str]] = {}
    for path in files:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for label in NAMED.findall(line):
                found.setdefault(label, []).append(f"{path.relative_to(root)}:{number}")
    return found


def undefined(named: dict[str, list[str]], defined: set[str]) -> dict[str, list[str]]:
    return {label: where for label, where in named.items() if label not in defined}


BOOK = defined_labels(sorted((ROOT / "book").glob("*.md")))
CODE = named_labels(sorted(LIBRARY.rglob("*.py")))
README = named_labels([LIBRARY / "README.md"])


def test_the_book_defines_labels():
    assert len(BOOK) > 50 and "rd-recursion" in BOOK


def test_every_label_in_the_code_exists_in_the_book():
    assert CODE, "no eq: label found in backprop_lib"
    missing = undefined(CODE, BOOK)
    assert not missing, f"labels named in the code but not defined in book/*.md: {missing}"


def test_every_label_in_the_library_readme_exists_in_the_book():
    assert README, "no eq: label found in backprop_lib/README.md"
    missing = undefined(README, BOOK)
    assert not missing, f"labels in backprop_lib/README.md not defined in the book: {missing}"


@pytest.mark.parametrize(
    "labels",
    [["rd-recursion"], ["rd-gradients", "ll-softmax-ce"], ["nt-forward", "pairs-chain"]],
)
def test_the_core_names_the_labels_of_its_maths(labels):
    for label in labels:
        assert label in CODE, f"eq:{label} is named nowhere in backprop_lib"


def test_a_fake_label_is_caught(tmp_path):
    source = tmp_path / "fake.py"
    source.write_text("x = 1  # eq:rd-recursion\ny = 2  # eq:rd-no-such-label\n")
    named = named_labels([source], root=tmp_path)
    assert set(named) == {"rd-recursion", "rd-no-such-label"}
    assert undefined(named, BOOK) == {"rd-no-such-label": ["fake.py:2"]}
