"""The equation map of ``backprop_lib/README.md`` is generated from the ``# eq:`` comments
of the code (``tools/equation_map.py``) and is current: ``--check`` here is what pre-commit
runs. The expected rows below are read off the source by hand, not from the tool."""

from __future__ import annotations

import sys

import pytest
from helpers import REPO_ROOT

ROOT = REPO_ROOT
sys.path.insert(0, str(ROOT / "tools"))
import equation_map  # noqa: E402


def test_the_readme_map_is_current(capsys):
    status = equation_map.main(["--check"])
    assert status == 0, capsys.readouterr().out


def test_only_comments_count_and_each_names_its_function():
    source = (
        'r"""A docstring naming eq:rd-gradients is prose."""\n'
        "class Layer:\n"
        "    def backward(self, grad_o):\n"
        '        """(eq:rd-recursion) in a docstring: prose too."""\n'
        "        return grad_o * 2  # eq:rd-recursion\n"
        "\n"
        "x = 1  # eq:ff-preact, eq:nt-forward\n"
    )
    uses = equation_map.uses_in(source, "fake.py")
    assert [(u.label, u.line, u.function) for u in uses] == [
        ("rd-recursion", 5, "Layer.backward"),
        ("ff-preact", 7, "(module)"),
        ("nt-forward", 7, "(module)"),
    ]


def test_the_drift_of_issue_19_is_gone():
    """eq:ll-chain (CrossEntropy.gradient) is in the map; eq:td-batch-mean labels a code
    line (the batch-mean loss of fit)."""
    rows = {
        line.split("|")[1].strip(): line
        for line in (ROOT / "backprop_lib" / "README.md").read_text().splitlines()
        if line.startswith("| `eq:")
    }
    assert "`CrossEntropy.gradient`" in rows["`eq:ll-chain`"]
    assert "`training.py`" in rows["`eq:td-batch-mean`"] and "`fit`" in rows["`eq:td-batch-mean`"]
    assert "`Dense.backpropagate`" in rows["`eq:rd-recursion`"]
    assert rows["`eq:rd-recursion`"].count("`Dense.") == 1, "the recursion is labelled once"


def test_a_stale_map_and_an_undefined_label_are_caught():
    readme = (ROOT / "backprop_lib" / "README.md").read_text()
    uses, defined = equation_map.library_uses(), equation_map.defined_labels()
    assert equation_map.render(readme, uses, defined) == readme
    stale = readme.replace("| `eq:ll-chain`", "| `eq:ll-chained`")
    assert equation_map.render(stale, uses, defined) == readme
    moved = uses + [equation_map.Use("ll-chain", "network.py", 1, "Network.loss")]
    assert equation_map.render(readme, moved, defined) != readme
    fake = uses + [equation_map.Use("rd-no-such-label", "network.py", 1, "Network.loss")]
    with pytest.raises(SystemExit, match="eq:rd-no-such-label at network.py:1"):
        equation_map.render(readme, fake, defined)
