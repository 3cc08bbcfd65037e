r"""Optional dependencies: a clear ImportError when a subpackage's extra is not installed.

The core (``import backprop_lib``) needs numpy alone. ``backprop_lib.symbolic`` needs sympy
(``pip install backprop_lib[symbolic]``); ``backprop_lib.widgets`` needs ipywidgets,
anywidget, matplotlib, Pillow and sympy (``pip install backprop_lib[widgets]``).
"""

from __future__ import annotations

import importlib.util


def require(package: str, extra: str, modules: dict[str, str]) -> None:
    r"""Raise ``ImportError`` naming ``package``, the missing distributions and ``extra``.

    ``modules`` maps an importable top-level module to its distribution's name
    (``{"PIL": "pillow"}``). The modules are looked up, not imported, so that importing a
    light part of a subpackage stays light.
    """
    missing = []
    for module, distribution in modules.items():
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(distribution)
    if missing:
        raise ImportError(
            f"{package} needs {', '.join(modules.values())}; not installed: "
            f"{', '.join(missing)}. Install them with: pip install 'backprop_lib[{extra}]'",
            name=package,
        )
