"""Every function and method of the public API has type hints on each parameter and on its
return; mypy (pyproject.toml [tool.mypy], run by .ci/run) checks that they are right.

The public API is what the packages export: ``backprop_lib.__all__``,
``backprop_lib.symbolic.__all__`` and the public names of ``backprop_lib.teaching``'s
modules. Hints are read from the source (``__annotations__``), not evaluated."""

from __future__ import annotations

import importlib
import inspect

import pytest

# The packages and modules whose public names are checked; a module without __all__
# contributes every name it defines that does not start with "_".
PUBLIC = [
    "backprop_lib",
    "backprop_lib.symbolic",
    "backprop_lib.teaching.bugs",
    "backprop_lib.teaching.datasets",
]


def _public_names(module) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is not None:
        return list(names)
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__
    ]


def _functions(value):
    """The function, or each public method a class defines in backprop_lib (inherited
    methods are checked where they are defined)."""
    if inspect.isfunction(value):
        yield value
    elif inspect.isclass(value) and value.__module__.startswith("backprop_lib"):
        for name, member in vars(value).items():
            if name.startswith("_") and name != "__init__":
                continue
            if isinstance(member, (staticmethod, classmethod)):
                member = member.__func__
            elif isinstance(member, property):
                member = member.fget
            if inspect.isfunction(member):
                yield member


def _api() -> dict[str, object]:
    found = {}
    for module_name in PUBLIC:
        module = importlib.import_module(module_name)
        for name in _public_names(module):
            for function in _functions(getattr(module, name)):
                found.setdefault(f"{function.__module__}.{function.__qualname__}", function)
    return found


def _missing(function) -> list[str]:
    annotations = function.__annotations__
    parameters = list(inspect.signature(function).parameters.values())
    if parameters and parameters[0].name in ("self", "cls"):
        parameters = parameters[1:]
    missing = [p.name for p in parameters if p.name not in annotations]
    if "return" not in annotations and function.__name__ != "__init__":
        missing.append("return")
    return missing


def test_the_public_api_has_type_hints():
    api = _api()
    assert len(api) > 100  # the walk found the API
    unhinted = {name: missing for name, f in sorted(api.items()) if (missing := _missing(f))}
    assert not unhinted, f"parameters or returns without a type hint: {unhinted}"


def test_the_hint_check_can_fail():
    def hinted(x: int, *, y: str = "") -> None: ...

    def half(x: int, y): ...

    assert _missing(hinted) == []
    assert _missing(half) == ["y", "return"]
    with pytest.raises(AssertionError):
        assert not _missing(half)
