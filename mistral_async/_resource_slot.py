"""``ResourceSlot``: a resource attribute, imported and built on first access.

A leaf module (it imports nothing of the package), so that hand-written and generated
resource modules can declare their nested resources without import cycles.
"""

from __future__ import annotations

import importlib
from typing import Generic, TypeVar, overload

__all__ = ["ResourceSlot"]

R = TypeVar("R")


class ResourceSlot(Generic[R]):
    """A resource attribute, imported and built on first access (keeps imports cheap)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def load(self) -> type[R]:
        """The resource class (importing its module now)."""
        module, _, cls = self.target.partition(":")
        resource: type[R] = getattr(importlib.import_module(module, "mistral_async"), cls)
        return resource

    @overload
    def __get__(self, obj: None, owner: type) -> ResourceSlot[R]: ...
    @overload
    def __get__(self, obj: object, owner: type) -> R: ...
    def __get__(self, obj: object | None, owner: type) -> ResourceSlot[R] | R:
        if obj is None:
            return self
        # A nested resource (client.beta.agents) belongs to the client, not to its parent.
        client = getattr(obj, "_client", obj)
        resource = self.load()(client)  # type: ignore[call-arg]
        obj.__dict__[self.name] = resource  # later reads skip the descriptor
        return resource
