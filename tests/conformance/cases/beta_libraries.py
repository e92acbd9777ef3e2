"""Cases of the ``beta.libraries`` group.

:func:`library` creates a library for the calls that need one and gives its id. ``update``
is the API's ``PATCH``; ``replace`` its deprecated ``PUT``.
"""

from __future__ import annotations

from mistral_async import AsyncMistral
from mistral_async.types.libraries import Library, ListLibrariesResponse

from ..case import Case


async def library(client: AsyncMistral) -> str:
    """Create a library; its id."""
    created = await client.beta.libraries.create(name="Handbook", description="HR policies")
    return created.id


async def libraries(client: AsyncMistral) -> str:
    """Create three libraries, list one to get a continuation token; the token."""
    for name in ("Alpha", "Beta", "Gamma"):
        await client.beta.libraries.create(name=name)
    page = await client.beta.libraries.list(page_size=1)
    assert page.next_page_token
    return page.next_page_token


CASES: dict[str, Case] = {
    "libraries_list_v1": Case(
        method="beta.libraries.list",
        setup=libraries,
        kwargs=lambda token: {
            "page_size": 2,
            "page_token": token,
            "search": "a",
            "filter_owned_by_me": True,
        },
        returns="paginator",
        response_type=ListLibrariesResponse,
    ),
    "libraries_list_v1:by-page-number": Case(
        method="beta.libraries.list",
        setup=libraries,
        kwargs={"page": 1, "page_size": 1, "search": None, "filter_owned_by_me": False},
        returns="paginator",
        response_type=ListLibrariesResponse,
        note="the deprecated offset paging; None is not sent",
    ),
    "libraries_create_v1": Case(
        method="beta.libraries.create",
        kwargs={
            "name": "Contracts",
            "description": "Signed customer contracts",
            "chunk_size": 4096,
            "owner_type": "User",
        },
        response_type=Library,
    ),
    "libraries_create_v1:nulls": Case(
        method="beta.libraries.create",
        kwargs={"name": "Notes", "description": None, "chunk_size": None, "owner_type": None},
        response_type=Library,
    ),
    "libraries_get_v1": Case(
        method="beta.libraries.get",
        setup=library,
        args=lambda library_id: (library_id,),
        response_type=Library,
    ),
    "libraries_delete_v1": Case(
        method="beta.libraries.delete",
        setup=library,
        kwargs=lambda library_id: {"library_id": library_id},
        response_type=Library,
    ),
    "libraries_patch_v1": Case(
        method="beta.libraries.update",
        setup=library,
        args=lambda library_id: (library_id,),
        kwargs={"name": "Employee handbook", "description": None},
        response_type=Library,
    ),
    "libraries_update_v1": Case(
        method="beta.libraries.replace",
        setup=library,
        args=lambda library_id: (library_id,),
        kwargs={"name": "Employee handbook", "description": "2026 edition"},
        response_type=Library,
    ),
}
