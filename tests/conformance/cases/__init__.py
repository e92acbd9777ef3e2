"""The case table: one module per SDK group, each exporting ``CASES: dict[str, Case]``.

Modules are found by name: every module of this package whose name does not start with
``_`` is imported. A module is named after its group with dots as underscores
(``beta.libraries.documents`` -> ``beta_libraries_documents.py``) and holds the cases of
that group's operations only. A module that fails to import, or exports something else
than ``CASES: dict[str, Case]``, is reported by ``test_case_modules_load`` and its
operations count as having no case; the other modules still run.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import traceback
from dataclasses import dataclass, field

from ..case import Case

__all__ = ["CaseTable", "load_cases", "module_for_group"]


def module_for_group(group: str) -> str:
    """The module that holds a group's cases: ``beta.agents`` -> ``beta_agents``."""
    return group.replace(".", "_")


@dataclass
class CaseTable:
    """Every case, by key, with the module it came from; and the modules that failed."""

    cases: dict[str, Case] = field(default_factory=dict)
    modules: dict[str, str] = field(default_factory=dict)
    """Case key -> module name."""
    errors: dict[str, str] = field(default_factory=dict)
    """Module name -> what is wrong with it."""


@functools.cache
def load_cases() -> CaseTable:
    """Import every case module (once per process)."""
    table = CaseTable()
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        name = info.name
        if name.startswith("_"):
            continue
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except Exception:
            table.errors[name] = "import failed:\n" + traceback.format_exc(limit=-3)
            continue
        cases = getattr(module, "CASES", None)
        if not isinstance(cases, dict):
            table.errors[name] = "has no CASES dict"
            continue
        for key, case in cases.items():
            if not isinstance(key, str) or not isinstance(case, Case):
                table.errors[name] = f"CASES[{key!r}] is not a Case keyed by a string"
            elif key in table.cases:
                table.errors[name] = f"case {key!r} is also in {table.modules[key]}"
            else:
                table.cases[key] = case
                table.modules[key] = name
    return table
