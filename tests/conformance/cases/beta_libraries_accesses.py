"""Cases of the ``beta.libraries.accesses`` group (sharing a library)."""

from __future__ import annotations

from mistral_async import AsyncMistral
from mistral_async.testing.groups.libraries import FAKE_ORG_ID
from mistral_async.types.libraries import ListSharingResponse, Sharing

from ..case import Case

COLLEAGUE = "0f8fad5b-d9cb-469f-a165-70867728950e"


async def library(client: AsyncMistral) -> str:
    """Create a library; its id."""
    created = await client.beta.libraries.create(name="Shared notes", owner_type="User")
    return created.id


async def shared_library(client: AsyncMistral) -> str:
    """Create a library and share it with a colleague; its id."""
    library_id = await library(client)
    await client.beta.libraries.accesses.update_or_create(
        library_id, level="Viewer", share_with_uuid=COLLEAGUE, share_with_type="User"
    )
    return library_id


CASES: dict[str, Case] = {
    "libraries_share_list_v1": Case(
        method="beta.libraries.accesses.list",
        setup=shared_library,
        args=lambda library_id: (library_id,),
        response_type=ListSharingResponse,
    ),
    "libraries_share_create_v1": Case(
        method="beta.libraries.accesses.update_or_create",
        setup=library,
        args=lambda library_id: (library_id,),
        kwargs={
            "level": "Editor",
            "share_with_uuid": COLLEAGUE,
            "share_with_type": "User",
            "org_id": FAKE_ORG_ID,
        },
        response_type=Sharing,
    ),
    "libraries_share_create_v1:organization": Case(
        method="beta.libraries.accesses.update_or_create",
        setup=library,
        kwargs=lambda library_id: {
            "library_id": library_id,
            "level": "Viewer",
            "share_with_uuid": FAKE_ORG_ID,
            "share_with_type": "Org",
            "org_id": None,
        },
        response_type=Sharing,
    ),
    "libraries_share_delete_v1": Case(
        method="beta.libraries.accesses.delete",
        setup=shared_library,
        args=lambda library_id: (library_id,),
        kwargs={
            "share_with_uuid": COLLEAGUE,
            "share_with_type": "User",
            "org_id": FAKE_ORG_ID,
            "level": "Viewer",
        },
        response_type=Sharing,
        note="the spec's SharingDelete requires a 'level' it does not define: it is sent",
    ),
}
