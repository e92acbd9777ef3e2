"""``client.beta.libraries`` (with ``.accesses`` and ``.documents``): document libraries."""

from __future__ import annotations

from .._client import ResourceSlot
from ._base import AsyncResource

__all__ = ["AsyncLibraries", "AsyncLibraryAccesses", "AsyncLibraryDocuments"]


class AsyncLibraryAccesses(AsyncResource):
    """Who may use a library: list, share and unshare."""

    __slots__ = ()


class AsyncLibraryDocuments(AsyncResource):
    """The documents of a library."""

    __slots__ = ()


class AsyncLibraries(AsyncResource):
    """Document libraries that agents can search."""

    __slots__ = ("__dict__",)

    accesses: ResourceSlot[AsyncLibraryAccesses] = ResourceSlot(
        ".resources.libraries:AsyncLibraryAccesses"
    )
    documents: ResourceSlot[AsyncLibraryDocuments] = ResourceSlot(
        ".resources.libraries:AsyncLibraryDocuments"
    )
