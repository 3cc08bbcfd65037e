r"""A Sphinx extension for the book's generated API reference (``book/api.md``).

Loaded by ``_config.yml`` (``sphinx: local_extensions: {api_docs: tools/}``), after
``sphinx.ext.autodoc`` and ``sphinx.ext.napoleon``. The build is strict (``-W -n``): every
cross-reference in a rendered docstring must resolve. Two things make that hold without
rewriting the library's docstrings, and without silencing a stale name:

1. **A name resolves by the object it names.** The API page documents each public object
   once, under the name a reader imports it by (``backprop_lib.Network``, from
   ``backprop_lib.__all__``), while a docstring may name it by the module that defines it
   (``:func:`~backprop_lib.pairs.output_loss```), or relative to that module
   (``:func:`get_activation``` in ``backprop_lib.activations``), or through a subclass
   (``:meth:`forward``` in a ``Dense`` subclass). When Sphinx finds no such name, the
   reference is resolved here: the name is imported as Python would (relative to the
   docstring's module and class), and if the object it gives is documented under another
   name, the reference links there.
2. **A real object the page does not document renders as code, not as a broken link**:
   a private helper (``:func:`_log_softmax```), a module constant that is not exported
   (``:data:`FLOOR```), a third-party class (``numpy.ndarray``, sympy's ``Matrix``), and the
   words of napoleon's free-text types (``ndarray, shape (B, n_L)``, ``list of Dense``).

A role naming nothing that Python can import (a misspelt or removed name, say
``:func:`output_los```) still fails the build, as ``-n`` intends.

Before napoleon reads a docstring, it writes its ``$...$`` maths as ``:math:`...``` (the
sympy side writes maths in dollars, as the chapters do; reST has no dollar maths), and it
keeps napoleon from reading the first line of a property's or a constant's docstring as
``type: description``: the library writes those as prose, whose first colon is
punctuation ("True when ... : the fused pair"), not a type.
"""

from __future__ import annotations

import importlib
import inspect
import re
import types
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment


def _import(dotted: str) -> tuple[bool, Any]:
    """(True, the object) for a dotted name Python can reach: the longest importable module
    prefix, then attributes; (False, None) when there is none."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value: Any = importlib.import_module(".".join(parts[:cut]))
        except Exception:  # not a module (or not importable): try a shorter prefix
            continue
        try:
            for attribute in parts[cut:]:
                value = getattr(value, attribute)
        except AttributeError:
            return False, None
        return True, value
    return False, None


def _identity(value: Any) -> Any:
    """What two names of one object share: the function under a method, property or
    staticmethod, else the object itself."""
    if isinstance(value, (staticmethod, classmethod)):
        value = value.__func__
    return getattr(value, "__func__", value)


def _documented(env: BuildEnvironment) -> dict[int, str]:
    """id(object) -> the name the page documents it under, for every documented class,
    function, method, property and module (not constants: equal numbers share no identity)."""
    objects = env.get_domain("py").objects
    key = "api_docs_documented"
    cached = getattr(env, key, None)
    if cached is not None and cached[0] == len(objects):
        return cached[1]
    found: dict[int, str] = {}
    for name, entry in objects.items():
        if entry.aliased:
            continue
        ok, value = _import(name)
        if not ok:
            # a property or method, reached through its class's __dict__ (no descriptor call)
            owner_name, _, attribute = name.rpartition(".")
            ok, owner = _import(owner_name)
            if not (ok and inspect.isclass(owner)):
                continue
            value = inspect.getattr_static(owner, attribute, None)
        value = _identity(value)
        if isinstance(value, (type, types.FunctionType, types.ModuleType, property)):
            found.setdefault(id(value), name)
    setattr(env, key, (len(objects), found))
    return found


def _defining_module(node: nodes.Element) -> str | None:
    """The module that defines the object whose docstring or signature holds ``node``
    (autodoc records a docstring as the node's source, "...: docstring of
    backprop_lib.gradcheck.x"; a signature names its object)."""
    match = re.search(r"docstring of ([\w.]+)", node.source or "")
    if match is not None:
        name = match.group(1)
    else:  # in a signature: the object the signature describes
        signature = node.parent
        while signature is not None and not isinstance(signature, addnodes.desc_signature):
            signature = signature.parent
        if signature is None or not signature.get("fullname"):
            return None
        name = f"{signature.get('module')}.{signature['fullname']}"
    ok, value = _import(name)
    if not ok:
        return None
    value = getattr(_identity(value), "fget", None) or _identity(value)
    home = inspect.getmodule(value)
    return home.__name__ if home is not None else None


def resolve_by_object(
    app: Sphinx, env: BuildEnvironment, node: nodes.Element, contnode: nodes.Element
) -> nodes.Element | None:
    """``missing-reference``: link to the documented name of the object the target names,
    or render the target as code if it names a real object the page does not document."""
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"]
    module, owner = node.get("py:module"), node.get("py:class")
    candidates = [target]
    if module:
        candidates.insert(0, f"{module}.{target}")
        if owner:
            candidates.insert(0, f"{module}.{owner}.{target}")
    home = _defining_module(node)
    if home and home != module:
        # a docstring shown under a re-exported name names things as its own module does
        candidates.insert(0, f"{home}.{target}")
    for candidate in candidates:
        ok, value = _import(candidate)
        if not ok:
            owner_name, _, attribute = candidate.rpartition(".")
            ok, cls = _import(owner_name) if owner_name else (False, None)
            if not (ok and inspect.isclass(cls)):
                continue
            value = inspect.getattr_static(cls, attribute, None)
            if value is None:
                continue
        documented = _documented(env).get(id(_identity(value)))
        if documented is not None:
            domain = env.get_domain("py")
            for role in (node["reftype"], "obj"):
                found = domain.resolve_xref(
                    env, node["refdoc"], app.builder, role, documented, node, contnode
                )
                if found is not None:
                    return found
        return contnode  # a real object that is not documented here: code, no link
    if (
        isinstance(contnode, nodes.emphasis)
        or node.get("reftype") == "class"
        and (node.get("refspecific") or not target.isidentifier())
    ):
        # napoleon's free-text types ("ndarray, shape (B, n_L)", "list of Dense") and the
        # words of a type field: text, not names.
        return contnode
    return None


# $...$ outside ``literals``: one dollar each side, no blank line inside.
_LITERAL_OR_DOLLAR = re.compile(
    r"``.*?``"  # a literal: kept as it is
    r"|(?<![\\$])\$(?!\$)"  # an opening dollar, not escaped, not $$
    r"((?:[^$\n]|\n(?!\s*\n))+?)"  # the maths: no dollar, no blank line
    r"(?<![\\$])\$(?!\$)",  # the closing dollar
    re.S,
)


def dollar_maths(text: str) -> str:
    """``$x$`` as ``:math:`x``` (reST has no dollar maths), outside double-backquoted code."""
    return _LITERAL_OR_DOLLAR.sub(
        lambda m: m.group(0) if m.group(1) is None else f":math:`{m.group(1)}`", text
    )


def prepare_docstring(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """``autodoc-process-docstring``, before napoleon.

    - ``$...$`` maths becomes ``:math:`...```: ``backprop_lib.symbolic`` and a few other
      modules write their docstrings' maths as the chapters do, in dollars.
    - A property's or constant's docstring starts with a blank line, so napoleon does not
      split its first line into a type."""
    lines[:] = dollar_maths("\n".join(lines)).split("\n")
    if what in ("attribute", "data", "property") and lines and ":" in lines[0]:
        lines.insert(0, "")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("autodoc-process-docstring", prepare_docstring, priority=100)
    app.connect("missing-reference", resolve_by_object)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
