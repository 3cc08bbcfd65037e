"""The library reads top-down (issue 19): its import graph has no cycle, ``_validate`` is a
leaf (it imports no module of the library, not even inside a function), no module reaches
into another object's private (``_name``) attributes, and nothing outside ``widgets/``
imports ipywidgets. Read from the source with ``ast``, so an import inside a function
counts; an import under ``if TYPE_CHECKING:`` (a type hint only) does not."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from helpers import REPO_ROOT

ROOT = REPO_ROOT


def _module(path: Path, library: Path) -> str:
    parts = list(path.relative_to(library.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` except those under ``if TYPE_CHECKING:``."""
    hidden = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden |= {id(sub) for sub in ast.walk(node)}
    return [node for node in ast.walk(tree) if id(node) not in hidden]


def import_graph(library: Path) -> dict[str, set[str]]:
    """``{module: {modules of the library it imports}}``."""
    files = sorted(library.rglob("*.py"))
    known = {_module(p, library) for p in files}
    graph = {}
    for path in files:
        module = _module(path, library)
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        found = set()
        for node in _runtime_nodes(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                found |= {target} if node.module else {f"{target}.{a.name}" for a in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(library.name):
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
        graph[module] = {m for m in found if m in known and m != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    state, found = {}, []

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for other in sorted(graph[module]):
            if state.get(other) == "open":
                found.append(path[path.index(other) :] + [other])
            elif other not in state:
                visit(other, path + [other])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return found


def private_reaches(library: Path) -> list[str]:
    """``file:line expression`` of every ``x._name`` read in a module that does not itself
    define ``_name`` (as a function, a method or an assigned attribute), with ``x`` not
    ``self``, ``cls`` or ``super()``: a module using another module's private attribute.
    (A class may use the private attributes of its own instances, as a reverse-mode engine
    sets and calls ``node._backward``: both sit in the module that defines them.)"""
    found = []
    for path in sorted(library.rglob("*.py")):
        tree = ast.parse(path.read_text())
        own = {
            node.name
            for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        } | {
            node.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
        }
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and node.attr.startswith("_")):
                continue
            if node.attr.startswith("__") or node.attr in own:
                continue
            value = node.value
            if isinstance(value, ast.Name) and value.id in ("self", "cls"):
                continue
            if isinstance(value, ast.Call) and getattr(value.func, "id", "") == "super":
                continue
            found.append(f"{path.relative_to(library)}:{node.lineno} {ast.unparse(node)}")
    return found


LIBRARY = ROOT / "backprop_lib"
GRAPH = import_graph(LIBRARY)


def test_the_import_graph_has_no_cycle():
    assert len(GRAPH) > 20 and "backprop_lib.network" in GRAPH["backprop_lib.gradcheck"]
    assert cycles(GRAPH) == []


@pytest.mark.parametrize("leaf", ["backprop_lib._validate", "backprop_lib._extras"])
def test_the_argument_checks_are_a_leaf(leaf):
    assert GRAPH[leaf] == set(), f"{leaf} imports {GRAPH[leaf]}"


def test_training_uses_the_network_only_through_its_argument():
    assert "backprop_lib.network" not in GRAPH["backprop_lib.training"]
    assert "backprop_lib.training" in GRAPH["backprop_lib.network"]


def test_no_module_reaches_into_another_objects_private_attributes():
    assert private_reaches(LIBRARY) == []


def test_only_widgets_import_ipywidgets():
    importers = []
    for path in sorted(LIBRARY.rglob("*.py")):
        if path.relative_to(LIBRARY).parts[0] == "widgets":
            continue
        for node in _runtime_nodes(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            if any(n.split(".")[0] == "ipywidgets" for n in names):
                importers.append(str(path.relative_to(LIBRARY)))
    assert importers == []


def test_the_checks_catch_a_cycle_and_a_private_reach(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from .b import g\n    return g\n")
    (package / "b.py").write_text("from .a import f\n\ndef g(net):\n    return net._loss(1)\n")
    (package / "c.py").write_text(  # a class using its own instances' private attributes
        "class V:\n    def mul(self, other):\n        out = V()\n"
        "        out._backward = lambda: None\n        out._backward()\n        return out\n"
    )
    graph = import_graph(package)
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.b"] == {"pkg.a"}
    assert cycles(graph) and private_reaches(package) == ["b.py:4 net._loss"]
