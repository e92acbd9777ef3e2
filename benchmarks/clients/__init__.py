"""Registry of the benchmarked clients, and of the import statements W5 times.

Each client is an adapter module with a ``create()`` function returning an
:class:`~benchmarks.clients.base.AsyncAdapter` or :class:`~benchmarks.clients.base.SyncAdapter`.
Adapter modules import their library lazily, so importing this registry is cheap.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Literal

from benchmarks.clients.base import AsyncAdapter, SyncAdapter

Kind = Literal["async", "sync"]

FLOOR_ASYNC = "aiohttp"
FLOOR_SYNC = "aiohttp-thread"


@dataclass(frozen=True)
class ClientSpec:
    """How to build one client and what it is compared with."""

    id: str
    label: str
    adapter: str
    kind: Kind
    #: Id of the client whose figures this one's ratios divide by.
    floor: str
    #: Distribution (library) the client belongs to.
    dist: str

    def create(self) -> AsyncAdapter | SyncAdapter:
        """Import the adapter module and return a new, unopened adapter."""
        module = importlib.import_module(self.adapter)
        adapter: AsyncAdapter | SyncAdapter = module.create()
        return adapter


@dataclass(frozen=True)
class ImportTarget:
    """One import statement timed by W5 in fresh interpreters."""

    id: str
    statement: str
    dist: str
    #: Statement used instead when the module of ``statement`` does not exist.
    fallback: str | None = None
    kind: Kind = "async"
    floor: str = FLOOR_ASYNC

    @property
    def label(self) -> str:
        """The statement, as shown in the table."""
        return self.statement

    @property
    def module(self) -> str:
        """The module the statement imports."""
        words = self.statement.split()
        return words[1]


CLIENTS: dict[str, ClientSpec] = {
    spec.id: spec
    for spec in (
        ClientSpec(
            "aiohttp",
            "raw aiohttp",
            "benchmarks.clients.raw_aiohttp",
            "async",
            FLOOR_ASYNC,
            "aiohttp",
        ),
        ClientSpec(
            "mistral_async",
            "mistral_async",
            "benchmarks.clients.mistral_async_async",
            "async",
            FLOOR_ASYNC,
            "mistral_async",
        ),
        ClientSpec(
            "mistralai",
            "mistralai",
            "benchmarks.clients.mistralai_async",
            "async",
            FLOOR_ASYNC,
            "mistralai",
        ),
        ClientSpec(
            "aiohttp-thread",
            "raw aiohttp (loop thread)",
            "benchmarks.clients.raw_aiohttp_thread",
            "sync",
            FLOOR_SYNC,
            "aiohttp",
        ),
        ClientSpec(
            "mistral_async-sync",
            "mistral_async Mistral (sync)",
            "benchmarks.clients.mistral_async_sync",
            "sync",
            FLOOR_SYNC,
            "mistral_async",
        ),
        ClientSpec(
            "mistralai-sync",
            "mistralai (sync)",
            "benchmarks.clients.mistralai_sync",
            "sync",
            FLOOR_SYNC,
            "mistralai",
        ),
    )
}

#: W5 rows. ``import mistral_async`` is what the issue names; since the package defers its
#: submodules to first use, the statement a user actually runs is timed as well.
IMPORT_TARGETS: tuple[ImportTarget, ...] = (
    ImportTarget("aiohttp", "import aiohttp", "aiohttp"),
    ImportTarget("mistral_async", "import mistral_async", "mistral_async"),
    ImportTarget(
        "mistral_async:AsyncMistral", "from mistral_async import AsyncMistral", "mistral_async"
    ),
    ImportTarget("mistralai", "import mistralai.client", "mistralai", fallback="import mistralai"),
)

__all__ = [
    "CLIENTS",
    "FLOOR_ASYNC",
    "FLOOR_SYNC",
    "IMPORT_TARGETS",
    "ClientSpec",
    "ImportTarget",
    "Kind",
]
