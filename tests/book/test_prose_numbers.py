r"""The numbers in the chapters' prose come from their cells.

A figure that a cell computes is inserted with myst-nb's ``glue``: ``glue("key", value)`` in
a code cell, ``{glue:text}`key:.2g``` in the text. Two checks, on the sources (no build):

- every glue key a page uses is defined by a ``glue("key", ...)`` call in a code cell of the
  same page, and every key a page defines is used (a glued value nobody reads is a sign of
  text that drifted);
- no page states an approximate figure in its prose ("about 10^-8", "roughly 3", or
  ``\approx 2.2 \cdot 10^{-16}`` in inline maths) outside a glue. Display equations are not
  scanned. The deliberate exceptions, mathematical constants and estimates that no cell
  measures, are listed in ``EXCEPTIONS`` with the reason.

Values must be glued as Python ``int``/``float``: myst-nb formats ``text/plain``, and the
repr of a numpy scalar (``np.float64(0.1)``) cannot be formatted.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import pytest
from helpers import REPO_ROOT

BOOK = REPO_ROOT / "book"
PAGES = sorted(BOOK.glob("*.md"))

USE = re.compile(
    r"\{glue(?::[a-z]*)?\}`([^`]+)`|:::?\{glue:figure\}\s+(\S+)|```\{glue:figure\}\s+(\S+)"
)
DEFINE = re.compile(r"""\bglue\(\s*(f?)["']((?:[\w.-]|\{[^{}]*\})+)["']\s*,""")
FIGURE = r"(?:\d+(?:\.\d+)?\s*(?:\\cdot|\\times)\s*)?10\^\{-?\d+\}|\d+\.\d+|(?<![A-Za-z])\d{2,}"
APPROXIMATE = re.compile(
    rf"\b(?:about|roughly|approximately|around)\s+(?:\$[^$]*?(?:{FIGURE})[^$]*?\$|\d[\d.,]*)",
    re.I,
)
APPROX_SIGN = re.compile(rf"(?:\\approx|≈)\s*(-?\s*(?:{FIGURE}|\d))")
TRIVIAL = {"0", "1", "-1", "- 1"}  # "o ≈ 0", "δ ≈ -1": limits, not measurements

# (page, the matched text): why it stays typed. One place for every exception.
EXCEPTIONS = {
    ("feedforward.md", r"about $1.8 \times 10^{308}$"): "largest float64, a constant",
    ("feedforward.md", r"about $1.80 \times 10^{308}$"): "largest float64, a constant",
    ("feedforward.md", "about $709.78$"): "ln of the largest float64, asserted in its cell",
    ("feedforward.md", "about 710"): "ln of the largest float64, asserted in its cell",
    ("feedforward.md", r"\approx 0.731"): "sigma(1), a constant",
    ("feedforward.md", r"\approx 0.269"): "1 - sigma(1), a constant",
    ("gradient-checking.md", r"\approx 2.2 \cdot 10^{-16}"): "float64 machine epsilon",
    ("gradient-checking.md", r"\approx 1.2 \cdot 10^{-7}"): "float32 machine epsilon",
    ("gradient-checking.md", r"\approx 10^{-10}"): "the order of magnitude of u|E|/eps",
    ("training-digits.md", r"\approx 2.30"): "ln 10, a constant",
    ("training-digits.md", "about 11"): "the size of the MNIST download (not run here)",
}


def _markdown(page: Path) -> str:
    r"""The prose of a page: its markdown cells, without display maths and fenced blocks."""
    cells = jupytext.read(page).cells
    text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    return re.sub(r"```.*?```", " ", text, flags=re.S)


def _code(page: Path) -> str:
    return "\n".join(c.source for c in jupytext.read(page).cells if c.cell_type == "code")


def _defined_keys(page: Path) -> list[re.Pattern]:
    """The keys a page glues, as patterns: ``glue(f"ve_ratio_{name}", ...)`` in a loop
    defines every key ``ve_ratio_<word>``."""
    patterns = []
    for is_f, key in DEFINE.findall(_code(page)):
        if is_f:
            parts = re.split(r"\{[^}]*\}", key)
            patterns.append(re.compile(r"[\w-]+".join(map(re.escape, parts))))
        else:
            patterns.append(re.compile(re.escape(key)))
    return patterns


def _used_keys(page: Path) -> set[str]:
    text = "\n".join(c.source for c in jupytext.read(page).cells if c.cell_type == "markdown")
    keys = set()
    for match in USE.finditer(text):
        ref = next(group for group in match.groups() if group)
        assert "::" not in ref, f"{page.name}: {ref} glues from another page"
        keys.add(ref.split(":")[0])
    return keys


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_glue_key_used_is_defined_on_the_page_and_used(page: Path):
    used, defined = _used_keys(page), _defined_keys(page)
    undefined = sorted(k for k in used if not any(p.fullmatch(k) for p in defined))
    unused = sorted(p.pattern for p in defined if not any(p.fullmatch(k) for k in used))
    assert not undefined, f"{page.name}: used but never glued: {undefined}"
    assert not unused, f"{page.name}: glued but never used: {unused}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_typed_approximate_figure_in_the_prose(page: Path):
    prose = _markdown(page)
    found = [
        m.group(0).rstrip(".,")
        for m in APPROXIMATE.finditer(prose)
        if m.group(0).split()[-1] not in TRIVIAL
    ]
    found += [m.group(0) for m in APPROX_SIGN.finditer(prose) if m.group(1).strip() not in TRIVIAL]
    bare = [f for f in found if (page.name, f) not in EXCEPTIONS]
    assert not bare, f"{page.name}: typed figures, glue them or list them: {bare}"


def test_every_exception_still_occurs():
    for (name, text), reason in EXCEPTIONS.items():
        assert text in _markdown(BOOK / name), f"stale exception {name}: {text!r} ({reason})"


def test_the_checks_catch_a_missing_key_and_a_typed_figure(tmp_path: Path):
    page = tmp_path / "probe.md"
    page.write_text(
        "Text {glue:text}`probe_key:.2f` and about $10^{-8}$ here.\n\n"
        '```{code-cell} ipython3\nglue("other_key", 1.0, display=False)\n```\n',
        encoding="utf-8",
    )
    assert _used_keys(page) == {"probe_key"}
    assert [p.pattern for p in _defined_keys(page)] == ["other_key"]
    assert APPROXIMATE.search(_markdown(page))
