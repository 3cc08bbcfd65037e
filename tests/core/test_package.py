"""The package is pure: importing it seeds nothing, silences nothing, plots nothing; and it
exports the API of its ``__all__`` (the book's generated API reference, book/api.md)."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import shutil
import subprocess
import sys
import zipfile

import pytest
import tomllib
from helpers import REPO_ROOT

import backprop_lib

IMPORT_CHECK = r"""
import sys, warnings
import numpy as np
state = np.random.get_state()
filters = list(warnings.filters)
errors = np.geterr()
printing = np.get_printoptions()
import backprop_lib
import backprop_lib.gradcheck, backprop_lib.pairs
after = np.random.get_state()
assert after[0] == state[0] and (after[1] == state[1]).all() and after[2:] == state[2:], "seeded"
assert warnings.filters == filters, "changed the warning filters"
assert np.geterr() == errors, "changed numpy's floating-point error handling"
assert np.get_printoptions() == printing, "changed numpy's print options"
assert "matplotlib" not in sys.modules, "imported matplotlib"
print("pure")
"""


def test_importing_the_package_changes_no_global_state():
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", IMPORT_CHECK],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "pure" and result.stderr == ""


def test_public_api():
    names = {
        "Dense",
        "Network",
        "History",
        "gradient_check",
        "numerical_gradient",
        "ACTIVATIONS",
        "ACTIVATION_NAMES",
        "get_activation",
        "Sigmoid",
        "Tanh",
        "ReLU",
        "Linear",
        "Softmax",
        "LOSSES",
        "LOSS_NAMES",
        "get_loss",
        "SquaredError",
        "SumSquaredError",
        "BinaryCrossEntropy",
        "CrossEntropy",
        "pair_problem",
        "check_pair",
        "VALID_PAIRS",
        "FUSED_PAIRS",
    }
    assert names <= set(backprop_lib.__all__)
    for name in backprop_lib.__all__:
        assert hasattr(backprop_lib, name), name


# -- the core needs numpy alone; each subpackage names its extra -------------------------------

#: Installed before any import of backprop_lib: a finder that refuses the optional packages, as
#: if they were not installed. ``BLOCKED`` is filled in per test.
BLOCKER = r"""
import sys

BLOCKED = {blocked!r}


class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ImportError(f"No module named {{name!r}} (blocked by the test)", name=name)
        return None


sys.meta_path.insert(0, Blocker())
for module in list(sys.modules):
    if module.partition(".")[0] in BLOCKED:
        del sys.modules[module]
"""

#: What backprop_lib.widgets needs, in the order its message lists them (distribution names).
WIDGETS_NEEDS = ("ipywidgets", "anywidget", "matplotlib", "pillow", "sympy")
OPTIONAL = ("sympy", "matplotlib", "ipywidgets", "anywidget", "PIL", "sklearn", "IPython")

CORE_WITH_NUMPY_ALONE = r"""
import numpy as np
import backprop_lib
from backprop_lib import Network, gradient_check
from backprop_lib.teaching import datasets

rng = np.random.default_rng(0)
net = Network.from_sizes([3, 4, 2], ["tanh", "softmax"], "cross_entropy", rng)
X = rng.normal(size=(5, 3))
T = np.eye(2)[rng.integers(0, 2, 5)]
before = net.loss(X, T)
net.backward(X, T)
net.step(0.05)
after = net.loss(X, T)
assert after < before, ("one small step did not lower the loss", before, after)
error = gradient_check(net, X, T)
assert error < 1e-7, ("gradient_check", error)
history = net.fit(X, T, epochs=2, lr=0.1, batch_size=2, rng=rng)
assert np.isfinite(history.loss).all(), history.loss
assert datasets.one_hot([1, 0], 2).tolist() == [[0.0, 1.0], [1.0, 0.0]]
loaded = sorted(m for m in sys.modules if m.partition(".")[0] in BLOCKED)
assert not loaded, loaded
print("core ok")
"""


def run_blocked(blocked, code):
    r"""Run ``code`` in a fresh interpreter in which the modules ``blocked`` cannot be imported."""
    script = BLOCKER.format(blocked=set(blocked)) + code
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", script], capture_output=True, text=True, check=False
    )


def test_the_blocker_blocks():
    # Without this, the tests below would pass with a finder that blocks nothing.
    result = run_blocked({"sympy"}, "import sympy")
    assert result.returncode == 1 and "blocked by the test" in result.stderr, result.stderr


def test_the_core_imports_trains_and_checks_with_numpy_alone():
    result = run_blocked(OPTIONAL, CORE_WITH_NUMPY_ALONE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "core ok" and result.stderr == ""


SUBPACKAGE_IMPORT = r"""
import importlib
try:
    importlib.import_module({module!r})
except ImportError as error:
    print(error)
    assert {module!r} not in sys.modules, "a half-imported module was left behind"
else:
    raise SystemExit("imported without its extra")
"""


@pytest.mark.parametrize(
    "module, blocked, extra, missing",
    [
        ("backprop_lib.symbolic", OPTIONAL, "symbolic", "sympy"),
        ("backprop_lib.symbolic.derivation", {"sympy"}, "symbolic", "sympy"),
        ("backprop_lib.widgets", OPTIONAL, "widgets", ", ".join(WIDGETS_NEEDS)),
        ("backprop_lib.widgets.explorer", {"anywidget"}, "widgets", "anywidget"),
        ("backprop_lib.widgets.retrain_live", {"PIL"}, "widgets", "pillow"),
        ("backprop_lib.widgets.pair_live", {"sympy"}, "widgets", "sympy"),
        ("backprop_lib.teaching.pair_catalogue", {"sympy"}, "symbolic", "sympy"),
        ("backprop_lib.teaching.training_run", {"matplotlib"}, "widgets", "matplotlib"),
    ],
)
def test_a_subpackage_without_its_extra_names_it(module, blocked, extra, missing):
    result = run_blocked(blocked, SUBPACKAGE_IMPORT.format(module=module))
    assert result.returncode == 0, result.stderr + result.stdout
    message = result.stdout.strip()
    # the subpackage's own require() names it; a teaching module names itself
    package = (
        module if module.startswith("backprop_lib.teaching.training") else f"backprop_lib.{extra}"
    )
    assert message.startswith(f"{package} needs "), message
    assert f"not installed: {missing}." in message, message
    assert message.endswith(f"pip install 'backprop_lib[{extra}]'"), message


def test_load_digits_without_scikit_learn_names_the_extra():
    code = (
        "from backprop_lib.teaching.datasets import load_digits\n"
        "rng = np.random.default_rng(3)\n"
        "state = rng.bit_generator.state\n"
        "try:\n"
        "    load_digits(rng=rng)\n"
        "except ImportError as error:\n"
        "    print(error)\n"
        "assert rng.bit_generator.state == state, 'the refused call drew numbers'\n"
    )
    result = run_blocked({"sklearn"}, "import numpy as np\n" + code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "load_digits needs scikit-learn (it ships the digits): pip install 'backprop_lib[teaching]'"
    ), result.stdout


def test_the_subpackages_import_with_their_extras():
    # The other side of the test above: with everything installed, nothing is refused.
    result = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-c",
            "import backprop_lib.symbolic, backprop_lib.widgets, backprop_lib.teaching",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_the_wheel_holds_every_file_of_the_package(tmp_path):
    # The JS and CSS the widgets read at run time are package data: a wheel without them
    # installs widgets that fail on first use. Built offline from a copy of the sources
    # (setuptools from this environment), so the checkout gets no build/ or egg-info.
    pytest.importorskip("setuptools")
    root = REPO_ROOT
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(root / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(root / "backprop_lib", source / "backprop_lib", ignore=ignore)
    files = (p for p in (source / "backprop_lib").rglob("*") if p.is_file())
    expected = {p.relative_to(source).as_posix() for p in files}
    assets = {"backprop_lib/widgets/explorer/engine.js", "backprop_lib/widgets/retrain.js"}
    assert assets <= expected
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(tmp_path / "dist"),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = (tmp_path / "dist").glob("backprop_lib-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        packed = {n for n in archive.namelist() if n.startswith("backprop_lib/")}
        metadata = archive.read(next(n for n in archive.namelist() if n.endswith("METADATA")))
    assert packed == expected, (sorted(expected - packed), sorted(packed - expected))
    requires = [line for line in metadata.decode().splitlines() if line.startswith("Requires-Dist")]
    core = [line for line in requires if "extra ==" not in line]
    assert [line.split()[1].split(">")[0] for line in core] == ["numpy"], core


def _requirement_name(requirement):
    r"""The normalized distribution name of a requirement string (PEP 503), and its extras."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?", requirement)
    name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
    extras = [e.strip() for e in (match.group(2) or "").split(",") if e.strip()]
    return name, extras


def _extra_closure(project, extra):
    r"""The distributions that ``pip install backprop_lib[extra]`` asks for by name."""
    names, todo, seen = set(), list(project["dependencies"]), set()
    todo += project["optional-dependencies"][extra]
    while todo:
        name, extras = _requirement_name(todo.pop())
        if name == "backprop-lib":
            for nested in extras:
                if nested not in seen:
                    seen.add(nested)
                    todo += project["optional-dependencies"][nested]
        else:
            names.add(name)
    return names


def test_the_book_extra_covers_every_import_of_the_chapters():
    # Binder installs -e .[book] (and jupyterlab, jupytext) and nothing else: a module a
    # chapter imports that the extra does not name fails there, not in our full environment.
    jupytext = pytest.importorskip("jupytext")
    root = REPO_ROOT
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = _extra_closure(project, "book")
    assert {"numpy", "sympy", "ipywidgets", "scikit-learn", "myst-nb"} <= declared, declared
    distributions = importlib.metadata.packages_distributions()
    imported = {}
    for page in sorted((root / "book").glob("*.md")):
        notebook = jupytext.read(page)
        if "kernelspec" not in notebook.metadata:
            continue  # a plain page (intro, glossary): its code blocks are not run
        for cell in notebook.cells:
            if cell.cell_type != "code":
                continue
            lines = [line for line in cell.source.splitlines() if not line.startswith(("%", "!"))]
            for node in ast.walk(ast.parse("\n".join(lines))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    imported.setdefault(module.partition(".")[0], page.name)
    assert {"numpy", "backprop_lib", "myst_nb"} <= set(imported), imported
    missing = {}
    for module, page in imported.items():
        if module in sys.stdlib_module_names or module == "backprop_lib":
            continue
        names = {_requirement_name(d)[0] for d in distributions.get(module, [module])}
        if not names & declared:
            missing[module] = page
    assert not missing, f"imported by chapters, not in backprop_lib[book]: {missing}"
